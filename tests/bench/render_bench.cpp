// Benchmarks (label bench; figures, never gates):
//   BM_RecordSubmit/{1,2}views: CPU time to build and record+submit one frame
//     of the demo room with 16 avatars (renderer's own measure from fence
//     wait to submit; a 64x64 target keeps lavapipe's raster work out).
//   BM_FrameLavapipe/{4,1}/{0..3}: whole frames at 1280x720 on lavapipe with
//     4x or no MSAA: frames per second on this machine's CPU rasterizer; the
//     second argument takes parts away to show where the frame goes (0 the
//     whole room, 1 without labels, 2 without lights, 3 only the clear).
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <vector>

#include "engine/render/vulkan_renderer.h"
#include "scenes/avatar.h"
#include "xr/xr_system.h"

namespace {

using namespace mxr;

struct Bench {
    std::unique_ptr<engine::GpuContext> gpu;
    std::unique_ptr<engine::VulkanRenderer> renderer;
    scenes::Room room;
    scenes::SceneMeshes meshes;
    bool ok = false;
    Bench() {
        auto g = engine::GpuContext::create(engine::VulkanRenderer::requirements(), {}, Logger());
        if (!g) return;
        gpu = std::move(*g);
        auto r = engine::VulkanRenderer::create(*gpu, {}, Logger());
        if (!r) return;
        renderer = std::move(*r);
        auto rm = scenes::loadRoom(MXR_DEMO_ROOM);
        if (!rm) return;
        room = *rm;
        auto m = scenes::uploadSceneMeshes(*renderer);
        if (!m) return;
        meshes = *m;
        ok = true;
    }
};

double processCpuMs() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e3 + double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e3;
}

Bench& bench() {
    static Bench b;  // one device for the whole program
    return b;
}

void BM_RecordSubmit(benchmark::State& state) {
    Bench& b = bench();
    if (!b.ok) {
        state.SkipWithError("no Vulkan device");
        return;
    }
    const auto views = static_cast<std::uint32_t>(state.range(0));
    auto target = b.renderer->createOffscreenTarget({64, 64}, views);
    xr::CameraRig rig;
    rig.position = b.room.cameras.at("overview").position;
    const auto eyes = rig.views(views, 1.0f);
    engine::FrameScene scene;
    std::vector<double> submitMs;
    double t = 0.0;
    for (auto _ : state) {
        const auto start = std::chrono::steady_clock::now();
        scene.instances.clear();
        scene.labels.clear();
        scene.lights.clear();
        scenes::appendRoom(b.room, b.meshes, scene);
        for (const auto& p : scenes::demoParticipants(b.room, 16, t)) scenes::appendAvatar(p, b.meshes, scene);
        const double buildMs =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
        if (!b.renderer->drawFrame(scene, eyes, *target)) {
            state.SkipWithError("drawFrame failed");
            break;
        }
        submitMs.push_back(buildMs + b.renderer->lastCpuSubmitMs());
        state.SetIterationTime((buildMs + b.renderer->lastCpuSubmitMs()) * 1e-3);
        t += 1.0 / 90.0;
    }
    (void)b.renderer->waitIdle();
    std::sort(submitMs.begin(), submitMs.end());
    if (!submitMs.empty()) state.counters["median_cpu_ms"] = submitMs[submitMs.size() / 2];
    state.counters["instances"] = double(scene.instances.size());
    b.renderer->unregisterTarget(*target);
}
BENCHMARK(BM_RecordSubmit)->Arg(1)->Arg(2)->UseManualTime()->Unit(benchmark::kMicrosecond)->Iterations(400);

void BM_FrameLavapipe(benchmark::State& state) {
    Bench& base = bench();
    if (!base.ok) {
        state.SkipWithError("no Vulkan device");
        return;
    }
    // A renderer with this run's sample count on the shared device.
    engine::VulkanRenderer::Options options;
    options.msaa = static_cast<VkSampleCountFlagBits>(state.range(0));
    auto r = engine::VulkanRenderer::create(*base.gpu, options, Logger());
    auto m = r ? scenes::uploadSceneMeshes(**r) : Result<scenes::SceneMeshes>(makeError(ErrorCode::kGpu, ""));
    if (!r || !m) {
        state.SkipWithError("renderer creation failed");
        return;
    }
    struct {
        std::unique_ptr<engine::VulkanRenderer> renderer;
        scenes::Room& room;
        scenes::SceneMeshes meshes;
    } b{std::move(*r), base.room, *m};
    auto target = b.renderer->createOffscreenTarget({1280, 720}, 1);
    xr::CameraRig rig;
    rig.position = b.room.cameras.at("overview").position;
    rig.yaw = b.room.cameras.at("overview").yawRadians;
    rig.pitch = b.room.cameras.at("overview").pitchRadians;
    const auto eyes = rig.views(1, 1280.0f / 720.0f);
    engine::FrameScene scene;
    scenes::appendRoom(b.room, b.meshes, scene);
    for (const auto& p : scenes::demoParticipants(b.room, 16, 0.0)) scenes::appendAvatar(p, b.meshes, scene);
    // Where the frame goes: range(1) takes parts away (0 all, 1 no labels,
    // 2 no lights either: ambient only, 3 nothing but the clear).
    const auto part = state.range(1);
    if (part >= 1) scene.labels.clear();
    if (part >= 2) scene.lights.clear();
    if (part >= 3) scene.instances.clear();
    const double cpuBefore = processCpuMs();
    for (auto _ : state) {
        // Two frames in flight, as in the client: throughput, not latency.
        if (!b.renderer->drawFrame(scene, eyes, *target)) {
            state.SkipWithError("drawFrame failed");
            break;
        }
    }
    (void)b.renderer->waitIdle();
    // CPU of every thread of the process per frame (lavapipe's rasterizer
    // threads included): steadier than wall time on a shared machine.
    state.counters["cpu_ms"] = (processCpuMs() - cpuBefore) / double(std::max<std::int64_t>(state.iterations(), 1));
    state.counters["fps"] = benchmark::Counter(double(state.iterations()), benchmark::Counter::kIsRate);
    b.renderer->unregisterTarget(*target);
}
BENCHMARK(BM_FrameLavapipe)
    ->Args({4, 0})
    ->Args({1, 0})
    ->Args({1, 1})
    ->Args({1, 2})
    ->Args({1, 3})
    ->Unit(benchmark::kMillisecond)
    ->MinTime(3.0)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
