// BM_XrFrame (label bench; a figure, never a gate): CPU time of one stereo
// XR frame of mentorxr's VR loop against tests/xr_runtime, unpaced
// (frame_rate_hz 0): xrWaitFrame + xrBeginFrame + view location + swapchain
// acquire (XrSystem::beginFrame), building the demo room with 16 avatars,
// the wearer and the world panel, recording and submitting both eyes, and
// xrEndFrame. The wait on the renderer's frame fence (the software
// rasterizer's own work) is excluded: what is timed is wall time outside
// that wait. Counters: median_cpu_ms (the figure), p90_cpu_ms, the median
// of each phase, and median_thread_cpu_ms (the main thread's CPU clock over
// the whole frame, waits included, as a cross-check). The world panel's
// ImGui UI is laid out and drawn into the overlay image every frame.
//
// BM_XrFrameAnnotations/256/N (issue 14's figure): the AR frame of
// BM_XrFrame/256/1 with a workspace and the annotation tools
// (WorkspaceComponent, AnnotationComponent, driven as the client's loop
// drives them) over N annotations: 0, or 200 of which 25 are ink strokes of
// 200 points (5,000 ink points). The figure is the difference of the medians.
#include <benchmark/benchmark.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <vector>

#include "engine/render/vulkan_renderer.h"
#include "engine/ui/imgui_layer.h"
#include "net/annotation_replica.h"
#include "scenes/annotation_tools.h"
#include "scenes/ar_view.h"
#include "scenes/avatar.h"
#include "scenes/local_player.h"
#include "scenes/world_panel.h"
#include "xr/xr_system.h"

namespace {

using namespace mxr;
using Clock = std::chrono::steady_clock;

double msSince(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

double threadCpuMs() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) * 1e3 + double(ts.tv_nsec) * 1e-6;
}

double median(std::vector<double> v) {
    if (v.empty()) return 0.0;
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

double percentile90(std::vector<double> v) {
    if (v.empty()) return 0.0;
    std::sort(v.begin(), v.end());
    return v[v.size() * 9 / 10];
}

// 200 annotations over the bench top (x -0.6..0.6, z -0.3..0.3, y 0.9):
// 175 arrows, labels, boxes, spheres and markers in turn, and 25 ink
// strokes of 200 points each.
void addBenchAnnotations(net::AnnotationReplica& replica, int count) {
    using net::AnnotationKind;
    const int inkStrokes = count / 8;
    for (int i = 0; i < count - inkStrokes; ++i) {
        net::AnnotationValues v;
        v.colour = std::uint8_t(i % 8);
        v.position = Vec3(-0.6f + float(i % 15) * 0.08f, 0.95f, -0.3f + float(i / 15) * 0.05f);
        static constexpr AnnotationKind kKinds[] = {AnnotationKind::kArrow, AnnotationKind::kLabel,
                                                    AnnotationKind::kBox, AnnotationKind::kSphere,
                                                    AnnotationKind::kMarker};
        const AnnotationKind kind = kKinds[i % 5];
        v.end = v.position + Vec3(0.03f, -0.05f, 0.0f);
        v.extents = Vec3(0.02f);
        v.radius = 0.02f;
        v.text = strCat("Step ", i);
        v.number = std::uint16_t(i + 1);
        (void)replica.create(kind, v);
    }
    for (int s = 0; s < inkStrokes; ++s) {
        net::AnnotationValues v;
        v.colour = std::uint8_t(s % 8);
        v.position = Vec3(-0.6f, 0.91f, -0.3f + float(s) * 0.024f);
        // A wavy underline drawn with the ink tool (a point every 5 mm,
        // waves 20 cm long and 3 cm high).
        for (int j = 0; j < 200; ++j) {
            const float x = float(j) * scenes::kInkStep;
            v.points.push_back(Vec3(x, 0.0f, 0.03f * std::sin(6.2831853f * x / 0.2f)));
        }
        (void)replica.create(AnnotationKind::kInk, v);
    }
}

// `annotations` < 0: no workspace; else the workspace, the annotation tools
// and that many annotations.
void runXrFrame(benchmark::State& state, int viewSize, bool ar, int annotations) {
    const auto config = std::filesystem::temp_directory_path() / "mxr_xr_bench_config.json";
    std::ofstream(config) << "{\"frame_rate_hz\": 0, \"view_size\": [" << viewSize << ", " << viewSize
                          << "], \"interaction_profile\": \"/interaction_profiles/oculus/touch_controller\""
                          << (ar ? ", \"blend_modes\": [\"alpha_blend\"]" : "") << "}";
    setenv("MXR_XRRT_CONFIG", config.c_str(), 1);

    xr::OpenXrOptions xo;
    xo.ar = ar;
    auto systemR = xr::makeOpenXrSystem(xo, Logger());
    if (!systemR) {
        state.SkipWithError(systemR.error().message.c_str());
        return;
    }
    xr::XrSystem& system = **systemR;
    scenes::WorldPanel panel;
    xr::GraphicsOptions go;
    go.overlayWidth = panel.layout().widthPx;
    go.overlayHeight = panel.layout().heightPx;
    auto gfx = system.createGraphics(go);
    auto room = scenes::loadRoom(MXR_DEMO_ROOM);
    if (!gfx || !room) {
        state.SkipWithError("graphics, room or session creation failed");
        return;
    }
    engine::Renderer& renderer = (*gfx)->renderer();
    engine::UiLayer* imgui = (*gfx)->ui();
    auto meshes = scenes::uploadSceneMeshes(renderer);
    if (!meshes || !imgui) {
        state.SkipWithError("mesh upload or ImGui failed");
        return;
    }
    const auto& table = room->cameras.at("table");
    scenes::LocalPlayer player(Pose{Vec3(table.position.x, 0, table.position.z), Quat(1, 0, 0, 0)}, {});
    // The workspace a metre in front of the wearer, and its annotations.
    net::AnnotationReplica replica;
    replica.setSelf(1, true);
    scenes::WorkspaceDef def;
    def.name = "bench";
    def.pose.position = Vec3(table.position.x, 0.0f, table.position.z - 1.0f);
    scenes::WorkspaceMeshes noModel;
    std::unique_ptr<scenes::WorkspaceComponent> workspace;
    std::unique_ptr<scenes::AnnotationComponent> tools;
    if (annotations >= 0) {
        addBenchAnnotations(replica, annotations);
        const xr::BlendMode blend = ar ? xr::BlendMode::kAlphaBlend : xr::BlendMode::kOpaque;
        workspace =
            std::make_unique<scenes::WorkspaceComponent>(def, noModel, &player, system, ar, [](const std::string&) {});
        tools =
            std::make_unique<scenes::AnnotationComponent>(replica, *workspace, scenes::WorkspaceSurface({}, def.size),
                                                          *meshes, blend, &player, [](const std::string&) {});
    }
    engine::FrameScene scene;
    std::vector<double> total, begin, build, submit, end, threadCpu;
    double t = 0.0;
    int rendered = 0;
    for (auto _ : state) {
        const double cpu0 = threadCpuMs();
        auto t0 = Clock::now();
        if (!system.pollEvents()) {
            state.SkipWithError("the session ended");
            break;
        }
        auto f = system.beginFrame();
        if (!f) {
            state.SkipWithError(f.error().message.c_str());
            break;
        }
        const double beginMs = msSince(t0);
        t0 = Clock::now();
        scene.instances.clear();
        scene.labels.clear();
        scene.lights.clear();
        scene.lines.clear();
        if (ar) {
            scenes::appendSeeThroughRoom(*room, scene);
        } else {
            scenes::appendRoom(*room, *meshes, scene);
        }
        for (const auto& p : scenes::demoParticipants(*room, 16, t)) scenes::appendAvatar(p, *meshes, scene);
        player.update(system.input());
        player.toWorld(f->views);
        player.appendSelf(*meshes, Vec4(0.85f, 0.78f, 0.7f, 1.0f), scene);
        panel.aim(player.toWorld(panel.layout().inStage), player.aimWorld(), player.aimTracked());
        imgui->frame(1.0f / 90.0f, [&] { scenes::buildPanelUi(panel.layout(), false, "vr", room->name, 17); });
        panel.append(scene);
        if (tools) {
            scenes::FrameContext ctx(system.input(), 1.0 / 90.0, t, f->views);
            workspace->update(ctx);
            tools->update(ctx);
            workspace->contribute(ctx, scene);
            tools->contribute(ctx, scene);
        }
        const double buildMs = msSince(t0);
        double submitMs = 0.0;
        if (f->shouldRender) {
            if (!renderer.drawFrame(scene, f->views, f->target)) {
                state.SkipWithError("drawFrame failed");
                break;
            }
            submitMs = renderer.lastCpuSubmitMs();  // after the fence wait
            ++rendered;
        }
        t0 = Clock::now();
        if (!system.endFrame(*f)) {
            state.SkipWithError("endFrame failed");
            break;
        }
        const double endMs = msSince(t0);
        const double frameMs = beginMs + buildMs + submitMs + endMs;
        state.SetIterationTime(frameMs * 1e-3);
        if (f->shouldRender) {
            total.push_back(frameMs);
            begin.push_back(beginMs);
            build.push_back(buildMs);
            submit.push_back(submitMs);
            end.push_back(endMs);
            threadCpu.push_back(threadCpuMs() - cpu0);
        }
        t += 1.0 / 90.0;
    }
    (void)renderer.waitIdle();
    state.counters["median_cpu_ms"] = median(total);
    state.counters["p90_cpu_ms"] = percentile90(total);
    state.counters["median_wait_begin_ms"] = median(begin);
    state.counters["median_build_ms"] = median(build);
    state.counters["median_record_submit_ms"] = median(submit);
    state.counters["median_end_ms"] = median(end);
    state.counters["median_thread_cpu_ms"] = median(threadCpu);
    state.counters["instances"] = double(scene.instances.size());
    state.counters["lines"] = double(scene.lines.size());
    state.counters["labels"] = double(scene.labels.size());
    state.counters["rendered"] = rendered;
    tools.reset();
    workspace.reset();
    system.releaseGraphics();
}

void BM_XrFrame(benchmark::State& state) {
    // Second argument 1: the AR frame (ALPHA_BLEND; no room geometry, a
    // transparent clear), the baseline issue 14's annotation figures are
    // measured against.
    runXrFrame(state, static_cast<int>(state.range(0)), state.range(1) != 0, -1);
}

void BM_XrFrameAnnotations(benchmark::State& state) {
    runXrFrame(state, static_cast<int>(state.range(0)), true, static_cast<int>(state.range(1)));
}
// 256x256 per eye keeps lavapipe's raster short; 1024x1024 is the runtime's
// default view size (fewer frames: the rasterizer takes most of the wall time).
BENCHMARK(BM_XrFrame)->Args({256, 0})->UseManualTime()->Unit(benchmark::kMicrosecond)->Iterations(300);
BENCHMARK(BM_XrFrame)->Args({1024, 0})->UseManualTime()->Unit(benchmark::kMicrosecond)->Iterations(60);
BENCHMARK(BM_XrFrame)->Args({256, 1})->UseManualTime()->Unit(benchmark::kMicrosecond)->Iterations(300);
BENCHMARK(BM_XrFrameAnnotations)->Args({256, 0})->UseManualTime()->Unit(benchmark::kMicrosecond)->Iterations(300);
BENCHMARK(BM_XrFrameAnnotations)->Args({256, 200})->UseManualTime()->Unit(benchmark::kMicrosecond)->Iterations(300);

}  // namespace

BENCHMARK_MAIN();
