// Name labels in every script the issue names (Latin with diacritics,
// Greek, Cyrillic, Arabic, Devanagari, Chinese, Japanese) and an over-long
// name, on lavapipe with validation on: a golden image, plus probes that
// each label has ink and that the long one is cut to 1.2 m unless pointed
// at.
#include "golden.h"
#include "render_fixture.h"

namespace mxr::test {
namespace {

using engine::Image;

const char* const kNames[] = {
    "Zoë Ñandú Jürgen Łukasz", "Οδυσσέας", "Анна", "محمد", "नमस्ते", "李明", "佐藤さくら",
    "Maximiliane Alexandrina Konstantinopoulou-Wittelsbach of Hohenzollern-Sigmaringen",
};
constexpr std::size_t kCount = sizeof(kNames) / sizeof(kNames[0]);
constexpr std::uint32_t kW = 480, kH = 400;
constexpr float kDistance = 2.0f, kHeight = 0.09f;

class LabelGolden : public RenderFixture {
protected:
    static float rowY(std::size_t i) { return 0.6f - 0.16f * float(i); }

    engine::FrameScene scene(float longMaxWidth) const {
        engine::FrameScene s;
        s.clearColor = Vec4(0.25f, 0.27f, 0.3f, 1.0f);
        for (std::size_t i = 0; i < kCount; ++i) {
            engine::Label l;
            l.text = kNames[i];
            l.anchor = Vec3(0.0f, rowY(i), -kDistance);
            l.facing = Vec3(0, 0, 1);
            l.height = kHeight;
            l.background = Vec4(0.02f, 0.02f, 0.05f, 0.8f);
            l.maxWidth = i + 1 == kCount ? longMaxWidth : scenes::kNameLabelMaxWidth;
            s.labels.push_back(l);
        }
        return s;
    }
    std::vector<engine::ViewInfo> views() const {
        engine::ViewInfo v;
        v.fov = Fov{-0.6f, 0.6f, 0.5f, -0.5f};
        return {v};
    }
    Image render(const engine::FrameScene& s) {
        auto target = m_renderer->createOffscreenTarget({kW, kH}, 1);
        EXPECT_TRUE(target) << target.error().message;
        auto d = m_renderer->drawFrame(s, views(), *target);
        EXPECT_TRUE(d) << d.error().message;
        auto img = m_renderer->readback(*target, 0);
        EXPECT_TRUE(img) << img.error().message;
        return img ? *img : Image{};
    }
    // Bright (text) pixels in label i's line: how many, and their span in
    // metres at the labels' distance.
    std::pair<int, float> ink(const Image& img, std::size_t i) const {
        const auto v = views()[0];
        const Vec2 top = project(v, Vec3(0, rowY(i) + 0.5f * kHeight, -kDistance), kW, kH);
        const Vec2 bottom = project(v, Vec3(0, rowY(i) - 0.5f * kHeight, -kDistance), kW, kH);
        int count = 0;
        std::uint32_t minX = kW, maxX = 0;
        for (auto y = std::uint32_t(std::min(top.y, bottom.y)); y < std::uint32_t(std::max(top.y, bottom.y)); ++y) {
            for (std::uint32_t x = 0; x < kW; ++x) {
                const Vec4 c = engine::pixelAt(img, x, y);
                if (c.r + c.g + c.b > 2.2f) {
                    ++count;
                    minX = std::min(minX, x);
                    maxX = std::max(maxX, x);
                }
            }
        }
        const float metresPerPixel = (project(v, Vec3(1, 0, -kDistance), kW, kH).x - project(v, Vec3(0, 0, -kDistance), kW, kH).x);
        return {count, count ? float(maxX - minX) / metresPerPixel : 0.0f};
    }
};

TEST_F(LabelGolden, EveryScriptAndAnOverlongNameCutTo1_2Metres) {
    const Image img = render(scene(scenes::kNameLabelMaxWidth));
    EXPECT_TRUE(matchesGolden(img, "labels_scripts"));
    for (std::size_t i = 0; i < kCount; ++i) {
        const auto [count, span] = ink(img, i);
        EXPECT_GT(count, 25) << kNames[i] << ": no text drawn";
        EXPECT_LE(span, scenes::kNameLabelMaxWidth) << kNames[i];
    }
    const auto [count, cutSpan] = ink(img, kCount - 1);
    EXPECT_GT(cutSpan, 1.0f) << "the cut keeps as much of the name as fits";
    // Pointed at (no limit): the whole name, much wider than the cut one.
    const Image full = render(scene(0.0f));
    EXPECT_GT(ink(full, kCount - 1).second, 1.6f);
    // Glyphs first drawn in the second frame were uploaded while the first
    // frame's reads were done (validation stays clean, checked in TearDown).
}

// Frames full of new CJK glyphs overflow the atlas's four pages, so pages
// are emptied and refilled while earlier frames are in flight; afterwards
// the labels are drawn exactly as on a fresh atlas (same golden), and
// validation stays clean.
TEST_F(LabelGolden, AtlasEvictionRedrawsGlyphsCorrectly) {
    char32_t cp = 0x4E00;
    for (int frame = 0; frame < 8; ++frame) {
        engine::FrameScene s;
        for (int row = 0; row < 10; ++row) {
            std::u32string line;
            for (int i = 0; i < 20; ++i) line.push_back(cp++);
            engine::Label l;
            for (char32_t c : line) {  // UTF-8, three bytes each
                l.text += char(0xE0 | (c >> 12));
                l.text += char(0x80 | ((c >> 6) & 0x3F));
                l.text += char(0x80 | (c & 0x3F));
            }
            l.anchor = Vec3(0.0f, 0.6f - 0.12f * float(row), -kDistance);
            l.facing = Vec3(0, 0, 1);
            l.height = 0.05f;
            s.labels.push_back(l);
        }
        auto target = m_renderer->createOffscreenTarget({kW, kH}, 1);
        ASSERT_TRUE(target);
        ASSERT_TRUE(m_renderer->drawFrame(s, views(), *target));
    }
    EXPECT_TRUE(matchesGolden(render(scene(scenes::kNameLabelMaxWidth)), "labels_scripts"));
}

}  // namespace
}  // namespace mxr::test
