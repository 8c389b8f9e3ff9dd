// Shaping: glyph ids and order against HarfBuzz's own hb-shape (package
// libharfbuzz-bin) for the same font, the font chosen per script, bidi
// isolates, invalid UTF-8, and labels cut at a grapheme boundary.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <sstream>

#include "engine/core/text.h"
#include "engine/text/label_layout.h"
#include "engine/text/shaper.h"

namespace mxr::test {
namespace {

using engine::text::FontId;
using engine::text::ShapedText;

std::string run(const std::string& command) {
    std::string out;
    std::unique_ptr<FILE, int (*)(FILE*)> p(popen(command.c_str(), "r"), pclose);
    if (!p) return out;
    std::array<char, 4096> buf{};
    while (std::size_t n = std::fread(buf.data(), 1, buf.size(), p.get())) out.append(buf.data(), n);
    return out;
}

// hb-shape's glyph ids in output (visual) order: "[12|34|5]".
std::vector<std::uint32_t> hbShape(const engine::text::FontFile& font, const std::string& text) {
    const std::string out = run("hb-shape --no-glyph-names --no-positions --no-clusters --font-file='" + font.path +
                                "' --face-index=" + std::to_string(font.faceIndex) + " '" + text + "'");
    std::vector<std::uint32_t> ids;
    std::string s = out.substr(0, out.find(']'));
    for (char& c : s) {
        if (c == '[' || c == '|') c = ' ';
    }
    std::istringstream in(s);
    for (std::uint32_t id; in >> id;) ids.push_back(id);
    return ids;
}

std::vector<std::uint32_t> ids(const ShapedText& t) {
    std::vector<std::uint32_t> out;
    for (const auto& g : t.glyphs) out.push_back(g.glyph);
    return out;
}

class ShaperTest : public ::testing::Test {
protected:
    void SetUp() override {
        auto s = engine::text::Shaper::create(engine::text::debianFontFiles(), 40.0f, Logger(m_sink, "text"));
        ASSERT_TRUE(s) << s.error().message;
        m_shaper = std::move(*s);
    }
    void needFont(FontId f) {
        if (!m_shaper->hasFont(f)) GTEST_SKIP() << toString(f) << " font not installed (tools/dev.sh setup)";
    }
    std::shared_ptr<MemorySink> m_sink = std::make_shared<MemorySink>();
    std::unique_ptr<engine::text::Shaper> m_shaper;
};

void expectSameAsHbShape(engine::text::Shaper& shaper, FontId font, const std::string& text) {
    if (std::system("command -v hb-shape >/dev/null") != 0) GTEST_SKIP() << "hb-shape missing (libharfbuzz-bin)";
    const auto expected = hbShape(engine::text::debianFontFiles()[std::size_t(font)], text);
    ASSERT_FALSE(expected.empty());
    const ShapedText t = shaper.shape(text);
    for (const auto& g : t.glyphs) EXPECT_EQ(g.font, font) << text;
    EXPECT_EQ(ids(t), expected) << text;
}

TEST_F(ShaperTest, ArabicMatchesHbShape) {
    needFont(FontId::kArabic);
    expectSameAsHbShape(*m_shaper, FontId::kArabic, "محمد");
    // Joined forms: four letters, none of them the isolated form of its
    // neighbour, and drawn right to left (the first letter's glyph last).
    const ShapedText t = m_shaper->shape("محمد");
    ASSERT_EQ(t.glyphs.size(), 4u);
    EXPECT_EQ(t.glyphs.back().codePoint, U'م');
    EXPECT_EQ(t.glyphs.front().codePoint, U'د');
}

TEST_F(ShaperTest, DevanagariMatchesHbShape) {
    needFont(FontId::kDevanagari);
    expectSameAsHbShape(*m_shaper, FontId::kDevanagari, "नमस्ते");
    // The conjunct स्त is one glyph: fewer glyphs than the 6 code points.
    EXPECT_LT(m_shaper->shape("नमस्ते").glyphs.size(), 6u);
}

TEST_F(ShaperTest, FontPerScriptAndKanaPicksJapanese) {
    needFont(FontId::kChinese);
    EXPECT_EQ(m_shaper->shape("李明").glyphs[0].font, FontId::kChinese);
    EXPECT_EQ(m_shaper->shape("佐藤さくら").glyphs[0].font, FontId::kJapanese);  // kanji beside kana
    EXPECT_EQ(m_shaper->shape("Οδυσσέας").glyphs[0].font, FontId::kLatin);
    EXPECT_EQ(m_shaper->shape("Анна").glyphs[0].font, FontId::kLatin);
    for (const char* name : {"Jürgen", "Łukasz", "Ioana", "Οδυσσέας", "Анна", "محمد", "李明", "佐藤", "नमस्ते"}) {
        for (const auto& g : m_shaper->shape(name).glyphs) EXPECT_NE(g.glyph, 0u) << name << " has a missing glyph";
    }
}

TEST_F(ShaperTest, IsolatedRightToLeftNameKeepsWhatFollowsAfterIt) {
    needFont(FontId::kArabic);
    // "محمد (muted)": the Arabic name, then "(muted)" to its right; the
    // isolates themselves draw nothing.
    const ShapedText t = m_shaper->shape("\u2068محمد\u2069 (muted)");
    float arabicRight = 0.0f, latinLeft = 1e9f;
    for (const auto& g : t.glyphs) {
        EXPECT_NE(g.codePoint, U'\u2068');
        if (g.font == FontId::kArabic) arabicRight = std::max(arabicRight, g.x);
        if (g.codePoint == U'(') latinLeft = std::min(latinLeft, g.x);
    }
    EXPECT_LT(arabicRight, latinLeft);
    EXPECT_EQ(t.glyphs.size(), 4u + 8u);  // 4 Arabic glyphs, " (muted)"
}

TEST_F(ShaperTest, InvalidUtf8IsAReplacementCharacterAndTheRestIsKept) {
    const ShapedText t = m_shaper->shape("Zo\xC3\x28\xFF\xFEë");
    std::u32string cps;
    for (const auto& g : t.glyphs) cps.push_back(g.codePoint);
    EXPECT_EQ(cps, U"Zo\uFFFD(\uFFFD\uFFFDë");
    for (const auto& g : t.glyphs) EXPECT_NE(g.glyph, 0u);  // DejaVu has U+FFFD
}

TEST_F(ShaperTest, MissingGlyphIsAVisibleBox) {
    // U+1F9D1 (an emoji) is in none of the fonts: glyph 0, drawn as a box
    // with room for it.
    const ShapedText t = m_shaper->shape("a\U0001F9D1b");
    ASSERT_EQ(t.glyphs.size(), 3u);
    EXPECT_EQ(t.glyphs[1].glyph, 0u);
    EXPECT_GT(t.glyphs[2].x - t.glyphs[1].x, 0.5f * m_shaper->emPixels());
    const auto box = m_shaper->rasterize(t.glyphs[1].font, 0);
    ASSERT_GT(box.width, 4);
    ASSERT_GT(box.height, 4);
    EXPECT_EQ(box.pixels[0], 255);                                            // its border
    EXPECT_EQ(box.pixels[std::size_t(box.height / 2 * box.width + box.width / 2)], 0);  // hollow
}

TEST_F(ShaperTest, LongNameIsCutAtAGraphemeWithAnEllipsis) {
    engine::text::LabelLayout layout(*m_shaper);
    // "e" + U+0301 repeated (cutAtGrapheme, tested in tests/core, keeps the
    // pairs whole).
    std::string name = "Zoë Ñandú ";
    for (int i = 0; i < 40; ++i) name += "e\u0301";
    const float limit = 400.0f;
    const ShapedText& full = layout.line(name, 0.0f);
    EXPECT_GT(full.width, limit);
    const ShapedText cut = layout.line(name, limit);
    EXPECT_LE(cut.width, limit);
    EXPECT_GT(cut.width, limit - 2.0f * m_shaper->emPixels());  // the longest that fits
    ASSERT_FALSE(cut.glyphs.empty());
    EXPECT_EQ(cut.glyphs.back().codePoint, U'…');
    // Cached: the same line again is the same object, no new shaping.
    EXPECT_EQ(&layout.line(name, limit), &layout.line(name, limit));
}

}  // namespace
}  // namespace mxr::test
