#include "text_atlas.h"

#include <stb_truetype.h>

#include <fstream>
#include <iterator>

namespace mxr::engine {

Result<void> TextAtlas::load(const std::string& fontPath) {
    std::ifstream in(fontPath, std::ios::binary);
    if (!in) {
        return makeError(ErrorCode::kNotFound,
                         strCat("font ", fontPath, ": cannot open (install fonts-dejavu-core or pass another font)"));
    }
    std::vector<unsigned char> ttf((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (ttf.size() < 12 || stbtt_GetNumberOfFonts(ttf.data()) <= 0) {
        return makeError(ErrorCode::kInvalidArgument, strCat("font ", fontPath, ": not a TrueType font"));
    }
    m_pixels.assign(static_cast<std::size_t>(kSize) * kSize, 0);
    std::array<stbtt_bakedchar, 96> baked{};
    const int rows = stbtt_BakeFontBitmap(ttf.data(), 0, kPixelHeight, m_pixels.data(), kSize, kSize - 4, 32, 96,
                                          baked.data());
    if (rows == 0) return makeError(ErrorCode::kInvalidArgument, strCat("font ", fontPath, ": could not bake glyphs"));
    for (std::size_t i = 0; i < baked.size(); ++i) {
        const auto& b = baked[i];
        m_glyphs[i] = Glyph{float(b.x0), float(b.y0), float(b.x1), float(b.y1), b.xoff, b.yoff, b.xadvance};
    }
    // A solid 4x4 block in the last rows: label plates sample it.
    for (int y = kSize - 4; y < kSize; ++y) {
        for (int x = 0; x < 4; ++x) m_pixels[static_cast<std::size_t>(y) * kSize + x] = 255;
    }
    m_whiteUv = Vec2(2.0f / kSize, (kSize - 2.0f) / kSize);
    return {};
}

float TextAtlas::measure(const std::string& text, float height) const {
    float w = 0.0f;
    for (unsigned char c : text) {
        if (c < 32 || c >= 128) c = '?';
        w += m_glyphs[c - 32].advance;
    }
    return w * height / kPixelHeight;
}

void TextAtlas::appendLabel(const Label& label, const Vec3& right, const Vec3& up, std::vector<TextVertex>& out) const {
    const float scale = label.height / kPixelHeight;
    const float width = measure(label.text, label.height);
    // Baseline a third of a line below the anchor: capitals then sit centred
    // on the plate.
    const Vec3 origin = label.anchor - right * (width * 0.5f) - up * (label.height * 0.3f);
    auto quad = [&](Vec3 p0, Vec3 p1, Vec3 p2, Vec3 p3, Vec2 t0, Vec2 t1, const Vec4& color) {
        // p0 top-left, p1 top-right, p2 bottom-right, p3 bottom-left
        out.push_back({p0, t0, color});
        out.push_back({p3, Vec2(t0.x, t1.y), color});
        out.push_back({p2, t1, color});
        out.push_back({p0, t0, color});
        out.push_back({p2, t1, color});
        out.push_back({p1, Vec2(t1.x, t0.y), color});
    };
    if (label.background.a > 0.0f) {
        const float pad = label.height * 0.25f;
        const Vec3 tl = label.anchor - right * (width * 0.5f + pad) + up * (label.height * 0.5f + pad);
        const Vec3 w = right * (width + 2 * pad), h = up * (label.height + 2 * pad);
        quad(tl, tl + w, tl + w - h, tl - h, m_whiteUv, m_whiteUv, label.background);
    }
    float penX = 0.0f;
    const float inv = 1.0f / kSize;
    for (unsigned char c : label.text) {
        if (c < 32 || c >= 128) c = '?';
        const Glyph& g = m_glyphs[c - 32];
        if (g.x1 > g.x0) {
            const float gx0 = (penX + g.xoff) * scale, gx1 = gx0 + (g.x1 - g.x0) * scale;
            const float gy0 = -g.yoff * scale, gy1 = gy0 - (g.y1 - g.y0) * scale;  // up is +
            const Vec3 tl = origin + right * gx0 + up * gy0;
            const Vec3 tr = origin + right * gx1 + up * gy0;
            const Vec3 br = origin + right * gx1 + up * gy1;
            const Vec3 bl = origin + right * gx0 + up * gy1;
            quad(tl, tr, br, bl, Vec2(g.x0 * inv, g.y0 * inv), Vec2(g.x1 * inv, g.y1 * inv), label.color);
        }
        penX += g.advance;
    }
}

}  // namespace mxr::engine
