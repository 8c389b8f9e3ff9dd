// Panels with names in every script: ImGui's atlas is rebuilt with the
// characters noted so far (the font texture re-created while frames were in
// flight, validation clean), and a golden image of the panel.
#include <gtest/gtest.h>

#include <imgui.h>

#include "engine/render/image_io.h"
#include "engine/render/vulkan_renderer.h"
#include "engine/ui/imgui_layer.h"
#include "golden.h"

namespace {

using namespace mxr;

const char* const kNames[] = {
    "Zoë Ñandú Jürgen Łukasz", "Οδυσσέας", "Анна", "محمد", "नमस्ते", "李明", "佐藤さくら",
    "Maximiliane Alexandrina Konstantinopoulou-Wittelsbach",
};
constexpr std::uint32_t kSize = 256;

struct Panel {
    std::unique_ptr<engine::GpuContext> gpu;
    std::unique_ptr<engine::VulkanRenderer> renderer;
    std::unique_ptr<engine::UiLayer> ui;
    engine::TargetHandle target;

    Panel() {
        auto log = Logger(std::make_shared<StderrSink>(LogLevel::kWarn), "test");
        engine::GpuCreateInfo info;
        info.validation = true;
        auto g = engine::GpuContext::create(engine::VulkanRenderer::requirements(), info, log);
        if (!g) return;
        gpu = std::move(*g);
        engine::VulkanRenderer::Options o;
        o.msaa = VK_SAMPLE_COUNT_1_BIT;
        o.overlayExtent = {kSize, kSize};
        auto r = engine::VulkanRenderer::create(*gpu, o, log);
        if (!r) return;
        renderer = std::move(*r);
        auto u = engine::createImGuiLayer(*renderer, nullptr, kSize, kSize);
        if (!u) return;
        ui = std::move(*u);
        auto t = renderer->createOffscreenTarget({kSize, kSize}, 1);
        if (t) target = *t;
    }
    // One frame of a window listing `names`; the picture when `read`.
    engine::Image draw(const std::vector<const char*>& names, bool read = true) {
        engine::FrameScene scene;
        scene.clearColor = Vec4(0.1f, 0.1f, 0.1f, 1.0f);
        scene.drawOverlay = true;
        ui->frame(1.0f / 60.0f, [&] {
            ImGui::SetNextWindowPos(ImVec2(0, 0));
            ImGui::SetNextWindowSize(ImVec2(float(kSize), float(kSize)));
            ImGui::SetNextWindowBgAlpha(1.0f);
            ImGui::Begin("People", nullptr, ImGuiWindowFlags_NoDecoration);
            for (const char* n : names) ImGui::TextUnformatted(n);
            ImGui::End();
        });
        const engine::ViewInfo view{Pose{Vec3(0), Quat(1, 0, 0, 0)}, Fov::symmetric(1.0f, 1.0f)};
        EXPECT_TRUE(renderer->drawFrame(scene, std::span(&view, 1), target));
        if (!read) return {};
        auto img = renderer->readback(target);
        EXPECT_TRUE(img);
        return img ? *img : engine::Image{};
    }
};

TEST(UiText, PanelShowsNamesInEveryScriptAfterTheAtlasIsRebuilt) {
    Panel p;
    ASSERT_TRUE(p.ui && p.target);
    const std::vector<const char*> names(std::begin(kNames), std::end(kNames));
    // Before the names are noted: ASCII only, the rest drawn as '?'.
    const engine::Image before = p.draw(names);
    EXPECT_EQ(p.ui->fontRebuilds(), 0u);
    for (const char* n : kNames) p.ui->noteText(n);
    // A frame in flight when the next frame() rebuilds the atlas.
    (void)p.draw(names, false);
    EXPECT_EQ(p.ui->fontRebuilds(), 1u);
    const engine::Image after = p.draw(names);
    EXPECT_GT(p.ui->extraGlyphs(), 25u);
    EXPECT_TRUE(test::matchesGolden(after, "panel_names"));
    // The lines with non-ASCII names changed ('?' became the letters).
    const auto d = engine::compareImages(before, after, 8);
    EXPECT_GT(d.differing, 200u);
    // Noting the same names again rebuilds nothing; a new character does.
    for (const char* n : kNames) p.ui->noteText(n);
    (void)p.draw(names, false);
    EXPECT_EQ(p.ui->fontRebuilds(), 1u);
    p.ui->noteText("Ioana Ștefănescu");
    (void)p.draw(names, false);
    EXPECT_EQ(p.ui->fontRebuilds(), 2u);
    p.ui.reset();
    ASSERT_TRUE(p.renderer->waitIdle());
    EXPECT_EQ(p.gpu->validation().errors.load(), 0u);
    EXPECT_EQ(p.gpu->validation().warnings.load(), 0u);
}

}  // namespace
