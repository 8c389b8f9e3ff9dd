#pragma once
// World-space labels: shaped lines (engine/text) turned into quads that
// sample the glyph atlas, facing the viewer.
#include <memory>
#include <string>
#include <vector>

#include "engine/core/math.h"
#include "engine/core/result.h"
#include "engine/render/renderer.h"
#include "engine/text/glyph_atlas.h"
#include "engine/text/label_layout.h"

namespace mxr::engine {

struct TextVertex {
    Vec3 position;
    Vec2 uv;
    Vec4 color;
};

class TextAtlas {
public:
    static constexpr int kSize = text::GlyphAtlas::kSize;
    // Pixels per line (the Latin font's ascender to descender).
    static constexpr float kPixelHeight = 40.0f;

    // Fonts: `fonts` (Latin required, errors name the file).
    Result<void> load(const text::FontFiles& fonts, Logger log);
    std::vector<std::uint8_t> initialPixels() const { return m_glyphs->initialPixels(); }

    void beginFrame();
    // Appends the quads of one label (plate, then glyphs) facing along
    // -forward with the given right/up axes (the viewer's). New glyphs are
    // queued in glyphs().uploads().
    void appendLabel(const Label& label, const Vec3& right, const Vec3& up, std::vector<TextVertex>& out);
    // Width of `text` in metres for a given line height (after any cut to
    // `maxWidth`, 0: none).
    float measure(const std::string& text, float height, float maxWidth = 0.0f);

    text::GlyphAtlas& glyphs() { return *m_glyphs; }
    text::Shaper& shaper() { return *m_shaper; }

private:
    std::unique_ptr<text::Shaper> m_shaper;
    std::unique_ptr<text::GlyphAtlas> m_glyphs;
    std::unique_ptr<text::LabelLayout> m_layout;
};

}  // namespace mxr::engine
