// Text benchmarks (label bench; figures, never gates); only
// BM_FrameWithLabels takes a Vulkan device:
//   BM_LabelPass/{0,1}: CPU of a frame's label pass (16 name labels facing
//     the viewer, quads built from the warm glyph atlas and shaped-line
//     cache): 0 ASCII names, 1 names in mixed scripts. The difference is
//     what mixed scripts cost per frame (goal: at most 0.05 ms).
//   BM_FrameWithLabels/{0,1}: the whole frame's CPU (renderer's build,
//     record and submit) with those labels, lavapipe, 64x64 target.
//   BM_NewScriptFirstGlyphs/{0..3}: a label in a script the atlas has not
//     seen (Latin, Arabic, Devanagari, Chinese): shaping, rasterising and
//     queueing its glyphs for upload, on a fresh atlas each time.
//   BM_LoadFonts: opening the six faces (renderer start).
// Counters: atlas texture bytes, glyphs and pages in use after the mixed
// frame, pixels queued for upload by a new script.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>

#include "engine/render/vulkan_renderer.h"
#include "frame_packet.h"
#include "text_atlas.h"

namespace {

using namespace mxr;

const std::array<const char*, 16> kAscii = {"Amara (mentor)", "Ben (mentee)", "Chen", "Dana", "Elif", "Farid",
                                            "Grace", "Hiro", "Ines", "Jonas", "Kofi", "Lena", "Mateo", "Nadia",
                                            "Omar", "Priya"};
const std::array<const char*, 16> kMixed = {
    "\u2068Zoë Ñandú\u2069 (mentor)", "Jürgen", "Łukasz", "Ioana", "Οδυσσέας", "Анна", "\u2068محمد\u2069 (muted)",
    "李明", "佐藤", "नमस्ते", "Ștefan", "Ελένη", "Дмитрий", "فاطمة", "王芳", "さくら"};

engine::FrameScene labelScene(const std::array<const char*, 16>& names) {
    engine::FrameScene scene;
    for (std::size_t i = 0; i < names.size(); ++i) {
        engine::Label l;
        l.text = names[i];
        l.anchor = Vec3(float(i % 4) - 1.5f, 1.8f, -2.0f - float(i / 4));
        l.height = 0.07f;
        l.maxWidth = 1.2f;
        scene.labels.push_back(l);
    }
    return scene;
}

void BM_LabelPass(benchmark::State& state) {
    engine::TextAtlas atlas;
    if (!atlas.load(engine::text::debianFontFiles(), Logger())) {
        state.SkipWithError("fonts missing (tools/dev.sh setup)");
        return;
    }
    const engine::FrameScene scene = labelScene(state.range(0) ? kMixed : kAscii);
    const engine::ViewInfo view{Pose{Vec3(0, 1.6f, 2.0f), Quat(1, 0, 0, 0)}, Fov{}};
    engine::FramePacket packet;
    for (int warm = 0; warm < 2; ++warm) {
        atlas.beginFrame();
        engine::buildFramePacket(scene, std::span(&view, 1), atlas, false, packet);
        atlas.glyphs().clearUploads();
    }
    for (auto _ : state) {
        atlas.beginFrame();
        engine::buildFramePacket(scene, std::span(&view, 1), atlas, false, packet);
        benchmark::DoNotOptimize(packet.text.data());
    }
    const auto st = atlas.glyphs().stats();
    state.counters["glyphs"] = double(st.glyphs);
    state.counters["pages_in_use"] = st.pagesInUse;
    state.counters["atlas_texture_bytes"] = double(engine::text::GlyphAtlas::textureBytes());
    state.counters["text_vertices"] = double(packet.text.size());
}
BENCHMARK(BM_LabelPass)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

// The whole frame's CPU (build, record, submit: the renderer's own measure
// from fence wait to submit) with the 16 labels, on lavapipe into a 64x64
// target so rasterising stays out: 0 ASCII, 1 mixed scripts.
void BM_FrameWithLabels(benchmark::State& state) {
    auto gpu = engine::GpuContext::create(engine::VulkanRenderer::requirements(), {}, Logger());
    if (!gpu) {
        state.SkipWithError("no Vulkan device");
        return;
    }
    auto renderer = engine::VulkanRenderer::create(**gpu, {}, Logger());
    if (!renderer) {
        state.SkipWithError("renderer creation failed");
        return;
    }
    auto target = (*renderer)->createOffscreenTarget({64, 64}, 1);
    const engine::FrameScene scene = labelScene(state.range(0) ? kMixed : kAscii);
    const engine::ViewInfo view{Pose{Vec3(0, 1.6f, 2.0f), Quat(1, 0, 0, 0)}, Fov{}};
    for (int warm = 0; warm < 3; ++warm) (void)(*renderer)->drawFrame(scene, std::span(&view, 1), *target);
    std::vector<double> ms;
    for (auto _ : state) {
        if (!(*renderer)->drawFrame(scene, std::span(&view, 1), *target)) {
            state.SkipWithError("drawFrame failed");
            break;
        }
        ms.push_back((*renderer)->lastCpuSubmitMs());
        state.SetIterationTime(ms.back() * 1e-3);
    }
    (void)(*renderer)->waitIdle();
    std::sort(ms.begin(), ms.end());
    if (!ms.empty()) state.counters["median_cpu_ms"] = ms[ms.size() / 2];
}
BENCHMARK(BM_FrameWithLabels)->Arg(0)->Arg(1)->UseManualTime()->Unit(benchmark::kMicrosecond)->Iterations(400);

void BM_NewScriptFirstGlyphs(benchmark::State& state) {
    static constexpr std::array<const char*, 4> kLabel = {"Jürgen Łukasz", "محمد فاطمة", "नमस्ते", "李明 王芳"};
    std::size_t pixels = 0;
    for (auto _ : state) {
        state.PauseTiming();
        auto atlas = std::make_unique<engine::TextAtlas>();
        if (!atlas->load(engine::text::debianFontFiles(), Logger())) {
            state.SkipWithError("fonts missing");
            return;
        }
        atlas->beginFrame();
        engine::Label l;
        l.text = kLabel[std::size_t(state.range(0))];
        l.height = 0.07f;
        std::vector<engine::TextVertex> out;
        out.reserve(1024);
        state.ResumeTiming();
        atlas->appendLabel(l, Vec3(1, 0, 0), Vec3(0, 1, 0), out);
        benchmark::DoNotOptimize(out.data());
        state.PauseTiming();
        pixels = atlas->glyphs().uploadPixels().size();
        atlas.reset();
        state.ResumeTiming();
    }
    state.counters["upload_bytes"] = double(pixels);
}
BENCHMARK(BM_NewScriptFirstGlyphs)->DenseRange(0, 3)->Unit(benchmark::kMicrosecond);

void BM_LoadFonts(benchmark::State& state) {
    for (auto _ : state) {
        engine::TextAtlas atlas;
        benchmark::DoNotOptimize(atlas.load(engine::text::debianFontFiles(), Logger()));
    }
}
BENCHMARK(BM_LoadFonts)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
