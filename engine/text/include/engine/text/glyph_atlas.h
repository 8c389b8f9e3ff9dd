#pragma once
// The renderer's glyph atlas: one 1024x1024 R8 texture split into four
// 512x512 pages, filled shelf by shelf as glyphs are first drawn. When no
// page has room, the page used least recently (never one used in this
// frame) is emptied and its glyphs are drawn again when next needed. The
// atlas only keeps pixels and rectangles; the renderer copies the pending
// uploads into its texture before the frame that uses them (a barrier after
// earlier frames' reads, so a glyph evicted while a frame is in flight is
// overwritten only once that frame has sampled it).
//
// A glyph a font lacks (id 0) is drawn as a hollow box; each such code point
// is logged once.
//
// Thread: main thread (the renderer's). Errors: none; a glyph that finds no
// room in this frame is skipped (logged once).
#include <array>
#include <cstdint>
#include <span>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "engine/core/log.h"
#include "engine/text/shaper.h"

namespace mxr::engine::text {

class GlyphAtlas {
public:
    static constexpr int kSize = 1024;
    static constexpr int kPageSize = 512;
    static constexpr int kPagesPerRow = kSize / kPageSize;
    static constexpr int kPages = kPagesPerRow * kPagesPerRow;
    static constexpr int kPadding = 1;  // empty texels around each glyph

    struct Entry {
        float u0 = 0, v0 = 0, u1 = 0, v1 = 0;   // texture coordinates
        float left = 0, top = 0;                // bearing, pixels (top: up)
        float width = 0, height = 0;            // pixels; 0: nothing to draw
        int page = -1;
    };
    struct Upload {
        std::uint32_t x = 0, y = 0, width = 0, height = 0;  // texels
        std::size_t offset = 0;                             // into uploadPixels(), rows packed
    };
    struct Stats {
        std::size_t glyphs = 0;       // in the atlas now
        std::size_t rasterized = 0;   // since creation
        std::size_t evictions = 0;    // pages emptied
        int pagesInUse = 0;
    };

    GlyphAtlas(Shaper& shaper, Logger log);

    // Starts a frame: pages touched from now on are not evicted in it.
    void beginFrame();
    // The glyph's place, rasterised and queued for upload on first use;
    // nullptr when it found no room in this frame.
    const Entry* glyph(FontId font, std::uint32_t glyph, char32_t codePoint);

    // The whole texture as it starts (empty, with the solid block that label
    // plates sample at whiteUv()).
    std::vector<std::uint8_t> initialPixels() const;
    float whiteU() const { return 2.0f / kSize; }
    float whiteV() const { return 2.0f / kSize; }

    std::span<const Upload> uploads() const { return m_uploads; }
    std::span<const std::uint8_t> uploadPixels() const { return m_uploadPixels; }
    void clearUploads();

    Stats stats() const;
    static constexpr std::size_t textureBytes() { return std::size_t(kSize) * kSize; }

private:
    struct Page {
        int shelfY = 0, shelfHeight = 0, penX = 0;
        std::uint64_t lastUsed = 0;
        bool used = false;
    };
    bool place(int page, int w, int h, int& x, int& y);
    void resetPage(int page);

    Shaper& m_shaper;
    Logger m_log;
    std::uint64_t m_frame = 1;
    std::array<Page, kPages> m_pages{};
    std::unordered_map<std::uint64_t, Entry> m_entries;
    std::unordered_set<char32_t> m_loggedMissing;
    bool m_loggedFull = false;
    std::vector<Upload> m_uploads;
    std::vector<std::uint8_t> m_uploadPixels;
    std::size_t m_rasterized = 0;
    std::size_t m_evictions = 0;
};

}  // namespace mxr::engine::text
