#include "engine/text/shaper.h"

#include <ft2build.h>
#include FT_FREETYPE_H
#include <hb-ft.h>
#include <hb.h>
#include <unicode/ubidi.h>
#include <unicode/uscript.h>
#include <unicode/utf16.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "engine/core/text.h"

namespace mxr::engine::text {

const char* toString(FontId font) noexcept {
    switch (font) {
        case FontId::kLatin: return "latin";
        case FontId::kArabic: return "arabic";
        case FontId::kHebrew: return "hebrew";
        case FontId::kDevanagari: return "devanagari";
        case FontId::kChinese: return "chinese";
        case FontId::kJapanese: return "japanese";
    }
    return "?";
}

FontFiles debianFontFiles() {
    const std::string noto = "/usr/share/fonts/truetype/noto/";
    const std::string cjk = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc";
    FontFiles f;
    f[std::size_t(FontId::kLatin)] = {"/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 0};
    f[std::size_t(FontId::kArabic)] = {noto + "NotoSansArabic-Regular.ttf", 0};
    f[std::size_t(FontId::kHebrew)] = {noto + "NotoSansHebrew-Regular.ttf", 0};
    f[std::size_t(FontId::kDevanagari)] = {noto + "NotoSansDevanagari-Regular.ttf", 0};
    // The collection's faces: 0 JP, 1 KR, 2 SC, 3 TC, 4 HK (fc-list shows them).
    f[std::size_t(FontId::kChinese)] = {cjk, 2};
    f[std::size_t(FontId::kJapanese)] = {cjk, 0};
    return f;
}

namespace {

bool isKana(UScriptCode s) { return s == USCRIPT_HIRAGANA || s == USCRIPT_KATAKANA || s == USCRIPT_KATAKANA_OR_HIRAGANA; }

FontId fontForScript(UScriptCode s, bool kana) {
    switch (s) {
        case USCRIPT_ARABIC: return FontId::kArabic;
        case USCRIPT_HEBREW: return FontId::kHebrew;
        case USCRIPT_DEVANAGARI: return FontId::kDevanagari;
        case USCRIPT_HAN: return kana ? FontId::kJapanese : FontId::kChinese;
        case USCRIPT_HIRAGANA:
        case USCRIPT_KATAKANA:
        case USCRIPT_KATAKANA_OR_HIRAGANA: return FontId::kJapanese;
        default: return FontId::kLatin;
    }
}

}  // namespace

struct Shaper::Impl {
    Logger log;
    FT_Library ft = nullptr;
    std::array<FT_Face, kFontCount> faces{};
    std::array<hb_font_t*, kFontCount> fonts{};
    hb_buffer_t* buffer = nullptr;
    UBiDi* bidi = nullptr;
    float em = 0.0f;
    float ascender = 0.0f;
    std::u16string utf16;
    std::vector<UScriptCode> scripts;  // per UTF-16 unit

    ~Impl() {
        for (auto* f : fonts) {
            if (f) hb_font_destroy(f);
        }
        for (auto* f : faces) {
            if (f) FT_Done_Face(f);
        }
        if (buffer) hb_buffer_destroy(buffer);
        if (bidi) ubidi_close(bidi);
        if (ft) FT_Done_FreeType(ft);
    }

    void shapeRun(std::size_t start, std::size_t length, bool rtl, UScriptCode script, FontId font, ShapedText& out,
                  float& pen) {
        hb_buffer_clear_contents(buffer);
        hb_buffer_set_flags(buffer, hb_buffer_flags_t(HB_BUFFER_FLAG_REMOVE_DEFAULT_IGNORABLES |
                                                      (start == 0 ? HB_BUFFER_FLAG_BOT : 0) |
                                                      (start + length == utf16.size() ? HB_BUFFER_FLAG_EOT : 0)));
        hb_buffer_add_utf16(buffer, reinterpret_cast<const std::uint16_t*>(utf16.data()), int(utf16.size()),
                            unsigned(start), int(length));
        hb_buffer_set_direction(buffer, rtl ? HB_DIRECTION_RTL : HB_DIRECTION_LTR);
        hb_buffer_set_script(buffer, hb_script_from_string(uscript_getShortName(script), -1));
        if (font == FontId::kJapanese) hb_buffer_set_language(buffer, hb_language_from_string("ja", -1));
        if (font == FontId::kChinese) hb_buffer_set_language(buffer, hb_language_from_string("zh-Hans", -1));
        hb_buffer_guess_segment_properties(buffer);
        hb_shape(fonts[std::size_t(font)], buffer, nullptr, 0);
        unsigned count = 0;
        const hb_glyph_info_t* info = hb_buffer_get_glyph_infos(buffer, &count);
        const hb_glyph_position_t* pos = hb_buffer_get_glyph_positions(buffer, &count);
        for (unsigned i = 0; i < count; ++i) {
            char32_t cp = 0;
            U16_GET(utf16.data(), 0, info[i].cluster, utf16.size(), cp);
            float advance = float(pos[i].x_advance) / 64.0f;
            // A missing glyph is drawn as a box (glyph_atlas.h): give it room.
            if (info[i].codepoint == 0) advance = std::max(advance, 0.6f * em);
            out.glyphs.push_back({font, info[i].codepoint, cp, pen + float(pos[i].x_offset) / 64.0f,
                                  float(pos[i].y_offset) / 64.0f});
            pen += advance;
        }
    }

    static std::size_t missingFrom(const ShapedText& t, std::size_t from) {
        return std::size_t(std::count_if(t.glyphs.begin() + std::ptrdiff_t(from), t.glyphs.end(),
                                         [](const ShapedGlyph& g) { return g.glyph == 0; }));
    }

    // Shapes with the script's font; glyphs it lacks (digits in an Arabic
    // run, say) are tried in the Latin font, and the better one is kept.
    void shapeScriptRun(std::size_t start, std::size_t length, bool rtl, UScriptCode script, bool kana,
                        ShapedText& out, float& pen) {
        FontId font = fontForScript(script, kana);
        if (!fonts[std::size_t(font)]) font = FontId::kLatin;
        const std::size_t mark = out.glyphs.size();
        const float penBefore = pen;
        shapeRun(start, length, rtl, script, font, out, pen);
        const std::size_t missing = missingFrom(out, mark);
        if (missing == 0 || font == FontId::kLatin) return;
        ShapedText alt;
        float altPen = penBefore;
        shapeRun(start, length, rtl, script, FontId::kLatin, alt, altPen);
        if (missingFrom(alt, 0) < missing) {
            out.glyphs.resize(mark);
            out.glyphs.insert(out.glyphs.end(), alt.glyphs.begin(), alt.glyphs.end());
            pen = altPen;
        }
    }

    ShapedText shape(std::string_view utf8) {
        ShapedText out;
        const std::u32string cps = decodeUtf8(utf8);
        utf16.clear();
        bool kana = false;
        for (char32_t c : cps) {
            if (c < 0x10000) {
                utf16.push_back(char16_t(c));
            } else {
                utf16.push_back(char16_t(0xD7C0 + (c >> 10)));
                utf16.push_back(char16_t(0xDC00 | (c & 0x3FF)));
            }
            UErrorCode e = U_ZERO_ERROR;
            kana = kana || isKana(uscript_getScript(UChar32(c), &e));
        }
        if (utf16.empty()) return out;
        // Scripts per unit; Common and Inherited join the run before them.
        scripts.assign(utf16.size(), USCRIPT_COMMON);
        for (std::size_t i = 0; i < utf16.size();) {
            const std::size_t at = i;
            char32_t c = 0;
            U16_NEXT(utf16.data(), i, utf16.size(), c);
            UErrorCode e = U_ZERO_ERROR;
            const UScriptCode s = uscript_getScript(UChar32(c), &e);
            std::fill(scripts.begin() + std::ptrdiff_t(at), scripts.begin() + std::ptrdiff_t(i), s);
        }
        UErrorCode err = U_ZERO_ERROR;
        ubidi_setPara(bidi, reinterpret_cast<const UChar*>(utf16.data()), int32_t(utf16.size()), UBIDI_DEFAULT_LTR,
                      nullptr, &err);
        float pen = 0.0f;
        if (U_FAILURE(err)) {
            shapeScriptRun(0, utf16.size(), false, USCRIPT_LATIN, kana, out, pen);
            out.width = pen;
            return out;
        }
        const int32_t runs = ubidi_countRuns(bidi, &err);
        struct Sub {
            std::size_t start, length;
            UScriptCode script;
        };
        std::vector<Sub> subs;
        for (int32_t r = 0; r < runs; ++r) {
            int32_t start = 0, length = 0;
            const bool rtl = ubidi_getVisualRun(bidi, r, &start, &length) == UBIDI_RTL;
            // Script runs inside this direction run, in logical order.
            subs.clear();
            UScriptCode current = USCRIPT_COMMON;
            for (int32_t i = start; i < start + length; ++i) {
                const UScriptCode s = scripts[std::size_t(i)];
                const bool weak = s == USCRIPT_COMMON || s == USCRIPT_INHERITED;
                if (subs.empty()) {
                    subs.push_back({std::size_t(i), 0, s});
                    current = s;
                } else if (!weak && s != current) {
                    if (current == USCRIPT_COMMON || current == USCRIPT_INHERITED) {
                        subs.back().script = s;  // leading weak text joins the first script
                    } else {
                        subs.push_back({std::size_t(i), 0, s});
                    }
                    current = s;
                }
                ++subs.back().length;
            }
            if (rtl) std::reverse(subs.begin(), subs.end());
            for (const Sub& s : subs) {
                const UScriptCode script = (s.script == USCRIPT_COMMON || s.script == USCRIPT_INHERITED) ? USCRIPT_LATIN
                                                                                                       : s.script;
                shapeScriptRun(s.start, s.length, rtl, script, kana, out, pen);
            }
        }
        out.width = pen;
        return out;
    }
};

Shaper::Shaper(std::unique_ptr<Impl> impl) : m(std::move(impl)) {}
Shaper::~Shaper() = default;

Result<std::unique_ptr<Shaper>> Shaper::create(const FontFiles& files, float lineHeightPx, Logger log) {
    auto impl = std::make_unique<Impl>();
    impl->log = std::move(log);
    if (FT_Init_FreeType(&impl->ft) != 0) return makeError(ErrorCode::kUnavailable, "FreeType did not initialise");
    for (std::size_t i = 0; i < kFontCount; ++i) {
        const FontFile& f = files[i];
        const bool latin = i == std::size_t(FontId::kLatin);
        std::error_code ec;
        if (f.path.empty() || !std::filesystem::is_regular_file(f.path, ec)) {
            if (latin) {
                return makeError(ErrorCode::kNotFound,
                                 strCat("font ", f.path, ": cannot open (install fonts-dejavu-core or pass another font)"));
            }
            impl->log.warn(strCat("font for ", toString(FontId(i)), " (", f.path,
                                  ") is missing: that script is drawn as boxes (tools/dev.sh setup installs it)"));
            continue;
        }
        FT_Face face = nullptr;
        if (FT_New_Face(impl->ft, f.path.c_str(), f.faceIndex, &face) != 0) {
            if (latin) return makeError(ErrorCode::kInvalidArgument, strCat("font ", f.path, ": not a TrueType or OpenType font"));
            impl->log.warn(strCat("font ", f.path, ": not a TrueType or OpenType font; ", toString(FontId(i)), " drawn as boxes"));
            continue;
        }
        impl->faces[i] = face;
    }
    FT_Face latin = impl->faces[0];
    if (!FT_IS_SCALABLE(latin) || latin->units_per_EM == 0) {
        return makeError(ErrorCode::kInvalidArgument, strCat("font ", files[0].path, ": not a scalable font"));
    }
    const float lineUnits = float(latin->ascender - latin->descender);
    impl->em = lineHeightPx * float(latin->units_per_EM) / std::max(lineUnits, 1.0f);
    impl->ascender = impl->em * float(latin->ascender) / float(latin->units_per_EM);
    for (std::size_t i = 0; i < kFontCount; ++i) {
        FT_Face face = impl->faces[i];
        if (!face) continue;
        FT_Set_Char_Size(face, 0, FT_F26Dot6(std::lround(impl->em * 64.0f)), 72, 72);
        impl->fonts[i] = hb_ft_font_create_referenced(face);
        // Unhinted advances: the positions match the outlines drawn.
        hb_ft_font_set_load_flags(impl->fonts[i], FT_LOAD_NO_HINTING);
    }
    impl->buffer = hb_buffer_create();
    UErrorCode err = U_ZERO_ERROR;
    impl->bidi = ubidi_open();
    if (!impl->bidi || !hb_buffer_allocation_successful(impl->buffer) || U_FAILURE(err)) {
        return makeError(ErrorCode::kLimit, "shaper: out of memory");
    }
    return std::unique_ptr<Shaper>(new Shaper(std::move(impl)));
}

ShapedText Shaper::shape(std::string_view utf8) { return m->shape(utf8); }

bool Shaper::hasFont(FontId font) const { return m->faces[std::size_t(font)] != nullptr; }
FontId Shaper::fontFor(FontId wanted) const { return hasFont(wanted) ? wanted : FontId::kLatin; }
float Shaper::emPixels() const { return m->em; }
float Shaper::ascenderPixels() const { return m->ascender; }

GlyphBitmap Shaper::rasterize(FontId font, std::uint32_t glyph) {
    GlyphBitmap b;
    const float em = m->em;
    if (glyph == 0) {
        // A visible hollow box, whatever the font's .notdef looks like.
        b.width = int(std::lround(0.5f * em));
        b.height = int(std::lround(0.7f * em));
        b.left = int(std::lround(0.05f * em));
        b.top = b.height;
        b.pixels.assign(std::size_t(b.width * b.height), 0);
        const int t = std::max(2, int(std::lround(0.06f * em)));
        for (int y = 0; y < b.height; ++y) {
            for (int x = 0; x < b.width; ++x) {
                const bool edge = x < t || y < t || x >= b.width - t || y >= b.height - t;
                if (edge) b.pixels[std::size_t(y * b.width + x)] = 255;
            }
        }
        return b;
    }
    FT_Face face = m->faces[std::size_t(font)];
    if (!face || FT_Load_Glyph(face, glyph, FT_LOAD_NO_HINTING | FT_LOAD_RENDER) != 0) return b;
    const FT_Bitmap& bm = face->glyph->bitmap;
    if (bm.pixel_mode != FT_PIXEL_MODE_GRAY) return b;
    b.width = int(bm.width);
    b.height = int(bm.rows);
    b.left = face->glyph->bitmap_left;
    b.top = face->glyph->bitmap_top;
    b.pixels.resize(std::size_t(b.width * b.height));
    for (int y = 0; y < b.height; ++y) {
        const unsigned char* row = bm.buffer + std::ptrdiff_t(y) * bm.pitch;
        std::copy(row, row + b.width, b.pixels.begin() + std::ptrdiff_t(y * b.width));
    }
    return b;
}

}  // namespace mxr::engine::text
