#include "engine/text/label_layout.h"

#include <cstring>

#include "engine/core/text.h"

namespace mxr::engine::text {
namespace {

constexpr std::size_t kKeepLines = 512;
constexpr std::uint64_t kKeepFrames = 300;

}  // namespace

const ShapedText& LabelLayout::line(std::string_view text, float maxWidthPx) {
    // Key: the limit's bits, then the text.
    m_key.resize(sizeof(float));
    std::memcpy(m_key.data(), &maxWidthPx, sizeof(float));
    m_key.append(text);
    auto it = m_cache.find(m_key);
    if (it == m_cache.end()) {
        ShapedText shaped = m_shaper.shape(text);
        if (maxWidthPx > 0.0f && shaped.width > maxWidthPx) {
            // The longest cut that fits: cutAtGrapheme's width grows with
            // its byte budget, so a binary search over the budget.
            std::size_t lo = 0, hi = text.size() - 1;
            ShapedText best = m_shaper.shape(cutAtGrapheme(text, 0));
            while (lo < hi) {
                const std::size_t mid = (lo + hi + 1) / 2;
                ShapedText cut = m_shaper.shape(cutAtGrapheme(text, mid));
                if (cut.width <= maxWidthPx) {
                    lo = mid;
                    best = std::move(cut);
                } else {
                    hi = mid - 1;
                }
            }
            shaped = std::move(best);
        }
        it = m_cache.emplace(m_key, Cached{std::move(shaped), 0}).first;
    }
    it->second.lastUsed = m_frame;
    return it->second.shaped;
}

void LabelLayout::beginFrame() {
    ++m_frame;
    if (m_cache.size() > kKeepLines) {
        std::erase_if(m_cache, [&](const auto& kv) { return kv.second.lastUsed + kKeepFrames < m_frame; });
    }
}

}  // namespace mxr::engine::text
