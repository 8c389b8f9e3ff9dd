#pragma once
// Response compression for the HTTP front end (http_front.cpp): gzip through
// zlib (Debian's zlib1g-dev), the rules for when a response is compressed,
// and a cache of compressed static bodies. server/README.md ("Compression")
// says why these rules, BREACH included.
//
// Thread: the free functions are pure; GzipCache is thread-safe.
// Errors: gzip()/gunzip() return zlib's failure as a Result; compressing is
// never required, so the front end sends the body as it is when it fails.
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "engine/core/result.h"

namespace mxr::server {

// Bodies shorter than this are sent as they are: gzip's 18-byte frame and
// the lost cross-request caching (Vary) cost more than a packet saves.
inline constexpr std::size_t kGzipMinBytes = 1024;

// Whether an Accept-Encoding header admits gzip: "gzip", "x-gzip" or "*"
// with a q-value above 0 (RFC 9110, 12.5.3), "gzip;q=0" refuses it.
bool acceptsGzip(std::string_view acceptEncoding);
// Text worth compressing: text/*, JSON, JavaScript, SVG, web manifests.
// Images, fonts and archives are compressed already.
bool compressibleType(std::string_view contentType);

// RFC 1952 gzip of data at zlib's level (1..9).
Result<std::string> gzip(std::string_view data, int level = 6);
// The inverse (tests, and a check that a cached body is what it claims).
Result<std::string> gunzip(std::string_view data, std::size_t maxBytes = 64u << 20);

// Compressed bodies of responses that carry a strong ETag (the web app's
// static files): the same ETag means the same bytes, so each file is
// compressed once. Bounded by total compressed bytes; when full, new
// bodies are compressed per request and not kept.
class GzipCache {
public:
    explicit GzipCache(std::size_t maxBytes = 16u << 20) : m_maxBytes(maxBytes) {}
    // The compressed body for (etag, body): from the cache, or compressed now
    // (and kept while there is room). Null when zlib failed.
    std::shared_ptr<const std::string> get(const std::string& etag, std::string_view body);
    // Whether a compressed body for this ETag is kept (its 200 was sent gzipped).
    bool has(const std::string& etag);

private:
    std::mutex m_mutex;
    std::size_t m_maxBytes;
    std::size_t m_bytes = 0;
    std::unordered_map<std::string, std::shared_ptr<const std::string>> m_bodies;
};

}  // namespace mxr::server
