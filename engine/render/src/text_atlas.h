#pragma once
// A baked font atlas (stb_truetype) and the geometry of world-space labels.
#include <array>
#include <string>
#include <vector>

#include "engine/core/math.h"
#include "engine/core/result.h"
#include "engine/render/renderer.h"

namespace mxr::engine {

struct TextVertex {
    Vec3 position;
    Vec2 uv;
    Vec4 color;
};

class TextAtlas {
public:
    static constexpr int kSize = 512;
    static constexpr float kPixelHeight = 40.0f;

    // Bakes printable ASCII from a TrueType file. Errors name the file.
    Result<void> load(const std::string& fontPath);
    const std::vector<std::uint8_t>& pixels() const { return m_pixels; }

    // Appends the quads of one label (plate, then glyphs) facing along
    // -forward with the given right/up axes (the viewer's).
    void appendLabel(const Label& label, const Vec3& right, const Vec3& up, std::vector<TextVertex>& out) const;
    // Width of `text` in metres for a given line height.
    float measure(const std::string& text, float height) const;

private:
    struct Glyph {
        float x0, y0, x1, y1;  // atlas pixels
        float xoff, yoff, advance;
    };
    std::vector<std::uint8_t> m_pixels;
    std::array<Glyph, 96> m_glyphs{};
    Vec2 m_whiteUv{0.0f};
};

}  // namespace mxr::engine
