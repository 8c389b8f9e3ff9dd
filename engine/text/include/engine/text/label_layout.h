#pragma once
// Shaped label lines, cached by text and width limit so a warm frame shapes
// nothing. A line wider than its limit is cut at a grapheme boundary (never
// inside "é" written as e + U+0301, a conjunct cluster or a flag) and ends
// in "…"; the cut is the longest that fits.
//
// Thread: main thread (uses the Shaper). Lifetime: a returned reference is
// valid until the next beginFrame().
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "engine/text/shaper.h"

namespace mxr::engine::text {

class LabelLayout {
public:
    explicit LabelLayout(Shaper& shaper) : m_shaper(shaper) {}

    // `maxWidthPx` <= 0: no limit.
    const ShapedText& line(std::string_view text, float maxWidthPx);
    // Forgets lines unused for a while once the cache is large.
    void beginFrame();
    std::size_t cached() const { return m_cache.size(); }

private:
    struct Cached {
        ShapedText shaped;
        std::uint64_t lastUsed = 0;
    };
    Shaper& m_shaper;
    std::unordered_map<std::string, Cached> m_cache;
    std::string m_key;
    std::uint64_t m_frame = 0;
};

}  // namespace mxr::engine::text
