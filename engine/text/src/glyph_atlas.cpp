#include "engine/text/glyph_atlas.h"

#include <algorithm>

namespace mxr::engine::text {
namespace {

constexpr int kWhiteBlock = 4;  // texels, top left of page 0

std::uint64_t keyOf(FontId font, std::uint32_t glyph) { return (std::uint64_t(font) << 32) | glyph; }

}  // namespace

GlyphAtlas::GlyphAtlas(Shaper& shaper, Logger log) : m_shaper(shaper), m_log(std::move(log)) {
    for (int p = 0; p < kPages; ++p) resetPage(p);
}

void GlyphAtlas::resetPage(int page) {
    Page& pg = m_pages[std::size_t(page)];
    pg = Page{};
    if (page == 0) {
        pg.shelfHeight = kWhiteBlock;
        pg.penX = kWhiteBlock;
    }
}

std::vector<std::uint8_t> GlyphAtlas::initialPixels() const {
    std::vector<std::uint8_t> px(textureBytes(), 0);
    for (int y = 0; y < kWhiteBlock; ++y) {
        for (int x = 0; x < kWhiteBlock; ++x) px[std::size_t(y * kSize + x)] = 255;
    }
    return px;
}

void GlyphAtlas::beginFrame() { ++m_frame; }

void GlyphAtlas::clearUploads() {
    m_uploads.clear();
    m_uploadPixels.clear();
}

bool GlyphAtlas::place(int page, int w, int h, int& x, int& y) {
    Page& pg = m_pages[std::size_t(page)];
    if (w > kPageSize || h > kPageSize) return false;
    if (pg.penX + w > kPageSize) {
        pg.shelfY += pg.shelfHeight;
        pg.shelfHeight = 0;
        pg.penX = 0;
    }
    if (pg.shelfY + h > kPageSize) return false;
    x = (page % kPagesPerRow) * kPageSize + pg.penX;
    y = (page / kPagesPerRow) * kPageSize + pg.shelfY;
    pg.penX += w;
    pg.shelfHeight = std::max(pg.shelfHeight, h);
    pg.used = true;
    return true;
}

const GlyphAtlas::Entry* GlyphAtlas::glyph(FontId font, std::uint32_t glyph, char32_t codePoint) {
    const std::uint64_t key = keyOf(font, glyph);
    if (auto it = m_entries.find(key); it != m_entries.end()) {
        if (it->second.page >= 0) m_pages[std::size_t(it->second.page)].lastUsed = m_frame;
        return &it->second;
    }
    if (glyph == 0 && m_loggedMissing.insert(codePoint).second) {
        m_log.warn(strCat("no glyph for U+", std::hex, std::uppercase, std::uint32_t(codePoint), std::dec, " in the ",
                          toString(font), " font: drawn as a box"));
    }
    const GlyphBitmap bm = m_shaper.rasterize(font, glyph);
    ++m_rasterized;
    Entry e;
    e.left = float(bm.left);
    e.top = float(bm.top);
    if (bm.width == 0 || bm.height == 0) return &m_entries.emplace(key, e).first->second;  // a space
    const int w = bm.width + 2 * kPadding, h = bm.height + 2 * kPadding;
    int x = 0, y = 0, page = -1;
    for (int p = 0; p < kPages && page < 0; ++p) {
        if (place(p, w, h, x, y)) page = p;
    }
    if (page < 0) {
        // Empty the page used least recently, unless every page is in use
        // by this frame.
        int victim = -1;
        for (int p = 0; p < kPages; ++p) {
            const Page& pg = m_pages[std::size_t(p)];
            if (pg.lastUsed == m_frame) continue;
            if (victim < 0 || pg.lastUsed < m_pages[std::size_t(victim)].lastUsed) victim = p;
        }
        if (victim < 0) {
            if (!m_loggedFull) m_log.warn("glyph atlas full within one frame: some glyphs are not drawn");
            m_loggedFull = true;
            return nullptr;
        }
        std::erase_if(m_entries, [&](const auto& kv) { return kv.second.page == victim; });
        resetPage(victim);
        ++m_evictions;
        m_log.debug(strCat("glyph atlas: page ", victim, " emptied (used least recently)"));
        if (!place(victim, w, h, x, y)) return nullptr;  // larger than a page
        page = victim;
    }
    m_pages[std::size_t(page)].lastUsed = m_frame;
    // The slot with its empty border: whatever an evicted glyph left there
    // is overwritten.
    Upload up{std::uint32_t(x), std::uint32_t(y), std::uint32_t(w), std::uint32_t(h), m_uploadPixels.size()};
    m_uploadPixels.resize(up.offset + std::size_t(w * h), 0);
    for (int r = 0; r < bm.height; ++r) {
        std::copy_n(bm.pixels.begin() + std::ptrdiff_t(r * bm.width), bm.width,
                    m_uploadPixels.begin() + std::ptrdiff_t(up.offset + std::size_t((r + kPadding) * w + kPadding)));
    }
    m_uploadPixels.resize((m_uploadPixels.size() + 3) & ~std::size_t(3), 0);  // copy offsets: 4-byte aligned
    m_uploads.push_back(up);
    const float inv = 1.0f / float(kSize);
    e.u0 = float(x + kPadding) * inv;
    e.v0 = float(y + kPadding) * inv;
    e.u1 = float(x + kPadding + bm.width) * inv;
    e.v1 = float(y + kPadding + bm.height) * inv;
    e.width = float(bm.width);
    e.height = float(bm.height);
    e.page = page;
    return &m_entries.emplace(key, e).first->second;
}

GlyphAtlas::Stats GlyphAtlas::stats() const {
    Stats s;
    s.glyphs = m_entries.size();
    s.rasterized = m_rasterized;
    s.evictions = m_evictions;
    for (const Page& p : m_pages) s.pagesInUse += p.used ? 1 : 0;
    return s;
}

}  // namespace mxr::engine::text
