// gzip for the HTTP front end: see http_gzip.h.
#include "http_gzip.h"
#include "ascii.h"

#include <zlib.h>

#include <cstdlib>

namespace mxr::server {
namespace {

bool startsWith(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() && iequalsAscii(s.substr(0, prefix.size()), prefix);
}

// The q-value of one Accept-Encoding element's parameters ("; q=0.5"); 1
// when absent, 0 when malformed (a client that sent garbage gets identity).
double qValue(std::string_view params) {
    while (!params.empty()) {
        const auto semi = params.find(';');
        const std::string_view p = trimAscii(params.substr(0, semi));
        params = semi == std::string_view::npos ? std::string_view() : params.substr(semi + 1);
        if (p.size() < 2 || (p[0] != 'q' && p[0] != 'Q') || p[1] != '=') continue;
        const std::string v(trimAscii(p.substr(2)));
        if (v.empty() || v.size() > 5) return 0;
        char* end = nullptr;
        const double q = std::strtod(v.c_str(), &end);
        return end == v.c_str() + v.size() && q >= 0 && q <= 1 ? q : 0;
    }
    return 1;
}

Result<std::string> zerror(const char* what, int code) {
    return makeError(ErrorCode::kIo, strCat(what, " failed: zlib error ", code));
}

}  // namespace

bool acceptsGzip(std::string_view header) {
    double gzipQ = -1, anyQ = -1;
    while (!header.empty()) {
        const auto comma = header.find(',');
        const std::string_view element = header.substr(0, comma);
        header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
        const auto semi = element.find(';');
        const std::string_view coding = trimAscii(element.substr(0, semi));
        const double q = qValue(semi == std::string_view::npos ? std::string_view() : element.substr(semi + 1));
        if (iequalsAscii(coding, "gzip") || iequalsAscii(coding, "x-gzip")) gzipQ = q;
        if (coding == "*") anyQ = q;
    }
    // An explicit gzip entry wins over the wildcard.
    return gzipQ >= 0 ? gzipQ > 0 : anyQ > 0;
}

bool compressibleType(std::string_view type) {
    type = trimAscii(type.substr(0, type.find(';')));
    return startsWith(type, "text/") || iequalsAscii(type, "application/json") || iequalsAscii(type, "application/javascript") ||
           iequalsAscii(type, "application/manifest+json") || iequalsAscii(type, "image/svg+xml");
}

Result<std::string> gzip(std::string_view data, int level) {
    z_stream z{};
    // windowBits 15 + 16: a gzip header and trailer instead of zlib's.
    int rc = deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
    if (rc != Z_OK) return zerror("deflateInit2", rc);
    std::string out(deflateBound(&z, static_cast<uLong>(data.size())), '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    z.avail_in = static_cast<uInt>(data.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    rc = deflate(&z, Z_FINISH);  // deflateBound's room: one call finishes
    const auto written = z.total_out;
    deflateEnd(&z);
    if (rc != Z_STREAM_END) return zerror("deflate", rc);
    out.resize(written);
    return out;
}

Result<std::string> gunzip(std::string_view data, std::size_t maxBytes) {
    z_stream z{};
    int rc = inflateInit2(&z, 15 + 16);
    if (rc != Z_OK) return zerror("inflateInit2", rc);
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    z.avail_in = static_cast<uInt>(data.size());
    std::string out;
    char chunk[16384];
    do {
        z.next_out = reinterpret_cast<Bytef*>(chunk);
        z.avail_out = sizeof chunk;
        rc = inflate(&z, Z_NO_FLUSH);
        if (rc != Z_OK && rc != Z_STREAM_END) {
            inflateEnd(&z);
            return zerror("inflate", rc);
        }
        out.append(chunk, sizeof chunk - z.avail_out);
        if (out.size() > maxBytes) {
            inflateEnd(&z);
            return makeError(ErrorCode::kInvalidArgument, strCat("gzip body larger than ", maxBytes, " bytes"));
        }
        if (rc != Z_STREAM_END && z.avail_in == 0 && z.avail_out != 0) {
            inflateEnd(&z);
            return makeError(ErrorCode::kInvalidArgument, "truncated gzip body");
        }
    } while (rc != Z_STREAM_END);
    inflateEnd(&z);
    return out;
}

bool GzipCache::has(const std::string& etag) {
    std::lock_guard lock(m_mutex);
    return m_bodies.count(etag) > 0;
}

std::shared_ptr<const std::string> GzipCache::get(const std::string& etag, std::string_view body) {
    {
        std::lock_guard lock(m_mutex);
        if (auto it = m_bodies.find(etag); it != m_bodies.end()) return it->second;
    }
    // Compressed outside the lock: two first requests may both compress,
    // and the first one kept wins. Static files are few and small.
    auto z = gzip(body, 9);  // once per file: the best ratio is worth it
    if (!z) return nullptr;
    auto shared = std::make_shared<const std::string>(std::move(*z));
    std::lock_guard lock(m_mutex);
    if (auto it = m_bodies.find(etag); it != m_bodies.end()) return it->second;
    if (m_bytes + shared->size() <= m_maxBytes) {
        m_bytes += shared->size();
        m_bodies.emplace(etag, shared);
    }
    return shared;
}

}  // namespace mxr::server
