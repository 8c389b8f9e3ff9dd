#include "text_atlas.h"

namespace mxr::engine {

Result<void> TextAtlas::load(const text::FontFiles& fonts, Logger log) {
    MXR_TRY_ASSIGN(m_shaper, text::Shaper::create(fonts, kPixelHeight, log));
    m_glyphs = std::make_unique<text::GlyphAtlas>(*m_shaper, log);
    m_layout = std::make_unique<text::LabelLayout>(*m_shaper);
    return {};
}

void TextAtlas::beginFrame() {
    m_glyphs->beginFrame();
    m_layout->beginFrame();
}

float TextAtlas::measure(const std::string& s, float height, float maxWidth) {
    const float scale = height / kPixelHeight;
    return m_layout->line(s, maxWidth > 0.0f ? maxWidth / scale : 0.0f).width * scale;
}

void TextAtlas::appendLabel(const Label& label, const Vec3& right, const Vec3& up, std::vector<TextVertex>& out) {
    const float scale = label.height / kPixelHeight;
    const text::ShapedText& line = m_layout->line(label.text, label.maxWidth > 0.0f ? label.maxWidth / scale : 0.0f);
    const float width = line.width * scale;
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
        const Vec2 white(m_glyphs->whiteU(), m_glyphs->whiteV());
        quad(tl, tl + w, tl + w - h, tl - h, white, white, label.background);
    }
    for (const text::ShapedGlyph& g : line.glyphs) {
        const text::GlyphAtlas::Entry* e = m_glyphs->glyph(g.font, g.glyph, g.codePoint);
        if (!e || e->width <= 0.0f) continue;
        const float gx0 = (g.x + e->left) * scale, gx1 = gx0 + e->width * scale;
        const float gy0 = (g.y + e->top) * scale, gy1 = gy0 - e->height * scale;  // up is +
        const Vec3 tl = origin + right * gx0 + up * gy0;
        const Vec3 tr = origin + right * gx1 + up * gy0;
        const Vec3 br = origin + right * gx1 + up * gy1;
        const Vec3 bl = origin + right * gx0 + up * gy1;
        quad(tl, tr, br, bl, Vec2(e->u0, e->v0), Vec2(e->u1, e->v1), label.color);
    }
}

}  // namespace mxr::engine
