// The glyph atlas: glyphs placed once and queued for upload, pages emptied
// least recently used first (never one the current frame uses), a missing
// glyph logged once.
#include <gtest/gtest.h>

#include <set>

#include "engine/text/glyph_atlas.h"

namespace mxr::test {
namespace {

using engine::text::FontId;
using engine::text::GlyphAtlas;

class GlyphAtlasTest : public ::testing::Test {
protected:
    void SetUp() override {
        auto s = engine::text::Shaper::create(engine::text::debianFontFiles(), 40.0f, Logger(m_sink, "text"));
        ASSERT_TRUE(s) << s.error().message;
        m_shaper = std::move(*s);
        m_atlas = std::make_unique<GlyphAtlas>(*m_shaper, Logger(m_sink, "text"));
    }
    std::shared_ptr<MemorySink> m_sink = std::make_shared<MemorySink>();
    std::unique_ptr<engine::text::Shaper> m_shaper;
    std::unique_ptr<GlyphAtlas> m_atlas;
};

TEST_F(GlyphAtlasTest, NewGlyphIsPlacedOnceAndUploadedWithItsPixels) {
    m_atlas->beginFrame();
    const auto t = m_shaper->shape("A");
    const auto* e = m_atlas->glyph(t.glyphs[0].font, t.glyphs[0].glyph, U'A');
    ASSERT_NE(e, nullptr);
    EXPECT_GT(e->width, 10.0f);
    ASSERT_EQ(m_atlas->uploads().size(), 1u);
    const auto& up = m_atlas->uploads()[0];
    EXPECT_EQ(up.width, std::uint32_t(e->width) + 2 * GlyphAtlas::kPadding);
    // Ink inside, an empty border around it.
    int ink = 0;
    for (std::uint32_t i = 0; i < up.width * up.height; ++i) ink += m_atlas->uploadPixels()[up.offset + i] > 128;
    EXPECT_GT(ink, 20);
    for (std::uint32_t x = 0; x < up.width; ++x) EXPECT_EQ(m_atlas->uploadPixels()[up.offset + x], 0);
    m_atlas->clearUploads();
    EXPECT_EQ(m_atlas->glyph(t.glyphs[0].font, t.glyphs[0].glyph, U'A'), e);
    EXPECT_TRUE(m_atlas->uploads().empty());
    EXPECT_EQ(m_atlas->stats().rasterized, 1u);
}

TEST_F(GlyphAtlasTest, FullAtlasEvictsThePageUsedLeastRecentlyNeverThisFramesPages) {
    if (!m_shaper->hasFont(FontId::kChinese)) GTEST_SKIP() << "CJK font not installed";
    // CJK ideographs, a few hundred per frame: more than four pages hold.
    std::uint32_t cp = 0x4E00;
    std::set<int> pagesThisFrame;
    std::size_t placedTotal = 0;
    for (int frame = 0; frame < 12; ++frame) {
        m_atlas->beginFrame();
        pagesThisFrame.clear();
        std::vector<const GlyphAtlas::Entry*> drawn;
        for (int i = 0; i < 150; ++i, ++cp) {
            std::string s;
            s += char(0xE0 | (cp >> 12));
            s += char(0x80 | ((cp >> 6) & 0x3F));
            s += char(0x80 | (cp & 0x3F));
            const auto t = m_shaper->shape(s);
            const auto* e = m_atlas->glyph(t.glyphs[0].font, t.glyphs[0].glyph, cp);
            ASSERT_NE(e, nullptr) << "frame " << frame;
            drawn.push_back(e);
            pagesThisFrame.insert(e->page);
            ++placedTotal;
        }
        // Every glyph drawn in this frame is still where it was put.
        for (const auto* e : drawn) EXPECT_TRUE(pagesThisFrame.count(e->page));
        m_atlas->clearUploads();
    }
    const auto st = m_atlas->stats();
    EXPECT_GT(st.evictions, 0u);
    EXPECT_LT(st.glyphs, placedTotal);
    EXPECT_EQ(st.pagesInUse, GlyphAtlas::kPages);
}

TEST_F(GlyphAtlasTest, MissingGlyphIsLoggedOnce) {
    for (int frame = 0; frame < 3; ++frame) {
        m_atlas->beginFrame();
        const auto t = m_shaper->shape("\U0001F9D1");
        ASSERT_EQ(t.glyphs[0].glyph, 0u);
        const auto* e = m_atlas->glyph(t.glyphs[0].font, 0, t.glyphs[0].codePoint);
        ASSERT_NE(e, nullptr);
        EXPECT_GT(e->width, 0.0f);  // the box is drawn
    }
    int logged = 0;
    for (const auto& l : m_sink->lines()) logged += l.message.find("U+1F9D1") != std::string::npos;
    EXPECT_EQ(logged, 1);
}

}  // namespace
}  // namespace mxr::test
