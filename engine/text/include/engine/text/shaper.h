#pragma once
// Shaping of one line of UTF-8 text (library mxr_glyphs): ICU splits it into
// runs by direction (the Unicode bidi algorithm, isolates honoured) and by
// script, HarfBuzz shapes each run with the font chosen for its script, and
// FreeType rasterises the glyphs. No GPU here; the renderer's glyph atlas
// (glyph_atlas.h) and label layout (label_layout.h) sit on top.
//
// Fonts per script (Debian packages): DejaVu Sans for Latin, Greek,
// Cyrillic and everything else (fonts-dejavu-core); Noto Sans Arabic,
// Hebrew and Devanagari (fonts-noto-core); Noto Sans CJK (fonts-noto-cjk),
// its Japanese face when the text holds kana, else Simplified Chinese.
//
// Thread: one Shaper per thread (it reuses its HarfBuzz buffer and ICU
// state). Errors: create() fails only when the Latin font cannot be used;
// a missing optional font is logged once and its scripts fall back to the
// Latin font (and so to visible boxes).
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/log.h"
#include "engine/core/result.h"

namespace mxr::engine::text {

enum class FontId : std::uint8_t { kLatin, kArabic, kHebrew, kDevanagari, kChinese, kJapanese };
inline constexpr std::size_t kFontCount = 6;
const char* toString(FontId font) noexcept;

struct FontFile {
    std::string path;
    int faceIndex = 0;  // in a collection (.ttc)
};
using FontFiles = std::array<FontFile, kFontCount>;  // indexed by FontId
// Where Debian installs the fonts above.
FontFiles debianFontFiles();

struct ShapedGlyph {
    FontId font = FontId::kLatin;
    std::uint32_t glyph = 0;     // 0: the font has no glyph (drawn as a box)
    char32_t codePoint = 0;      // the first code point of its cluster
    float x = 0.0f;              // pen position plus offset, pixels
    float y = 0.0f;              // offset, pixels, up positive
};

// Glyphs in visual order, left to right.
struct ShapedText {
    std::vector<ShapedGlyph> glyphs;
    float width = 0.0f;  // pixels
};

// 8-bit coverage, rows top to bottom; left/top: bearing from the pen
// position on the baseline (top is up from the baseline).
struct GlyphBitmap {
    int width = 0;
    int height = 0;
    int left = 0;
    int top = 0;
    std::vector<std::uint8_t> pixels;
};

class Shaper {
public:
    // `lineHeightPx`: the Latin font's ascender to descender in pixels; every
    // font gets the same em size.
    static Result<std::unique_ptr<Shaper>> create(const FontFiles& files, float lineHeightPx, Logger log);
    ~Shaper();
    Shaper(const Shaper&) = delete;
    Shaper& operator=(const Shaper&) = delete;

    // Invalid UTF-8 is shown as U+FFFD; bidi controls are not drawn.
    ShapedText shape(std::string_view utf8);
    GlyphBitmap rasterize(FontId font, std::uint32_t glyph);
    bool hasFont(FontId font) const;
    // The font a script run uses (a font that did not load: kLatin).
    FontId fontFor(FontId wanted) const;
    float emPixels() const;
    float ascenderPixels() const;  // of the Latin font

private:
    struct Impl;
    explicit Shaper(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m;
};

}  // namespace mxr::engine::text
