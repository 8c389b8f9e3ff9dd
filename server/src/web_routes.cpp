#include "server/web_routes.h"
#include "ascii.h"

#include <sodium.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace mxr::server {
namespace {

constexpr std::string_view kApiPrefix = "/api/v1";
constexpr std::size_t kMaxFileBytes = 4 << 20;   // one servable file
constexpr std::size_t kMaxFiles = 512;           // files under the web root
constexpr std::size_t kMaxTokenBytes = 256;

std::string findHeader(const HeaderList& headers, std::string_view name) {
    for (const auto& [k, v] : headers) {
        if (iequalsAscii(k, name)) return v;
    }
    return {};
}

// Only what the app is made of; everything else under the root (READMEs,
// editor backups, dot files) stays private.
std::optional<std::string_view> contentTypeOf(const std::filesystem::path& p) {
    static constexpr std::pair<std::string_view, std::string_view> kTypes[] = {
        {".html", "text/html; charset=utf-8"},       {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},  {".css", "text/css; charset=utf-8"},
        {".svg", "image/svg+xml"},                   {".png", "image/png"},
        {".ico", "image/x-icon"},                    {".webmanifest", "application/manifest+json"},
        {".json", "application/json"},               {".txt", "text/plain; charset=utf-8"},
    };
    const std::string ext = p.extension().string();
    for (const auto& [e, t] : kTypes) {
        if (ext == e) return t;
    }
    return std::nullopt;
}

std::string hexHash(std::string_view domain, std::string_view data, std::size_t bytes) {
    unsigned char out[32];
    crypto_generichash_state st;
    crypto_generichash_init(&st, nullptr, 0, bytes);
    crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(domain.data()), domain.size());
    crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(data.data()), data.size());
    crypto_generichash_final(&st, out, bytes);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex;
    for (std::size_t i = 0; i < bytes; ++i) {
        hex += kHex[out[i] >> 4];
        hex += kHex[out[i] & 15];
    }
    return hex;
}

Result<std::string> readFile(const std::filesystem::path& p) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(p, ec);
    if (ec) return makeError(ErrorCode::kIo, strCat("cannot read ", p.string(), ": ", ec.message()));
    if (size > kMaxFileBytes) {
        return makeError(ErrorCode::kLimit, strCat(p.string(), " is larger than ", kMaxFileBytes, " bytes"));
    }
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    if (!in) return makeError(ErrorCode::kIo, strCat("cannot read ", p.string()));
    return ss.str();
}

// The session token from "Cookie: a=b; mxr_session=TOKEN"; "" when absent
// or not shaped like a token.
std::string cookieToken(const std::string& cookieHeader) {
    std::string_view rest = cookieHeader;
    while (!rest.empty()) {
        const auto semi = rest.find(';');
        std::string_view pair = rest.substr(0, semi);
        rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
        while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
        const auto eq = pair.find('=');
        if (eq == std::string_view::npos || pair.substr(0, eq) != WebRoutes::kCookieName) continue;
        const std::string_view value = pair.substr(eq + 1);
        const bool shaped = !value.empty() && value.size() <= kMaxTokenBytes &&
                            std::all_of(value.begin(), value.end(), [](char c) {
                                return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
                            });
        return shaped ? std::string(value) : std::string();
    }
    return {};
}

WebReply jsonReply(int status, const Json& body) {
    WebReply r;
    r.status = status;
    r.headers.emplace_back("Content-Type", "application/json");
    r.body = body.dump();
    return r;
}

WebReply errorReply(int status, std::string code, std::string message) {
    return jsonReply(status, ApiError{status, std::move(code), "", std::move(message), 0}.toJson());
}

WebReply fromRouter(const RouterReply& rr) {
    WebReply r;
    r.status = rr.status;
    r.headers.emplace_back("Content-Type", rr.contentType);
    r.body = rr.body.is_null() ? rr.text : rr.body.dump();
    if (rr.status == 429 && rr.retryAfter > 0) r.headers.emplace_back("Retry-After", std::to_string(rr.retryAfter));
    return r;
}

std::string sessionCookie(const std::string& token, bool tls) {
    // No Max-Age: a browser session; the server ends the token itself.
    return strCat(WebRoutes::kCookieName, "=", token, "; Path=/; HttpOnly; SameSite=Strict", tls ? "; Secure" : "");
}

bool isWrite(const std::string& method) { return method != "GET" && method != "HEAD"; }

// A browser names the page's origin on writes; another site's page must not
// write with our cookie, nor log the browser into another account (login CSRF).
bool crossOrigin(const WebRequest& req) {
    const std::string origin = req.header("Origin");
    return !origin.empty() && origin != strCat(req.tls ? "https://" : "http://", req.header("Host"));
}

}  // namespace

std::string WebRequest::header(std::string_view name) const { return findHeader(headers, name); }
std::string WebReply::header(std::string_view name) const { return findHeader(headers, name); }

std::string WebRoutes::csrfFor(std::string_view sessionToken) { return hexHash("mxr-csrf-v1\n", sessionToken, 16); }

WebRoutes::WebRoutes(Handlers& handlers, RoomService* rooms, Logger logger)
    : m_handlers(handlers), m_router(handlers, rooms), m_log(std::move(logger)) {}

Result<std::unique_ptr<WebRoutes>> WebRoutes::create(Handlers& handlers, RoomService* rooms, WebOptions options,
                                                     Logger logger) {
    std::unique_ptr<WebRoutes> web(new WebRoutes(handlers, rooms, std::move(logger)));
    web->m_roomPort = options.roomPort;
    std::error_code ec;
    if (!std::filesystem::is_regular_file(options.root / "index.html", ec)) {
        return makeError(ErrorCode::kNotFound,
                         strCat("the web app's folder ", options.root.string(), " has no index.html (--web-root)"));
    }
    auto addFile = [&](const std::string& url, const std::filesystem::path& p, std::string_view type) -> Result<void> {
        auto body = readFile(p);
        if (!body) return tl::unexpected(body.error());
        if (web->m_files.size() >= kMaxFiles) {
            return makeError(ErrorCode::kLimit, strCat("more than ", kMaxFiles, " files under ", options.root.string()));
        }
        const std::string etag = strCat("\"", hexHash("mxr-etag\n", *body, 12), "\"");
        web->m_files[url] = File{std::move(*body), std::string(type), etag};
        return {};
    };
    for (auto it = std::filesystem::recursive_directory_iterator(options.root, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
        const auto& p = it->path();
        const std::string name = p.filename().string();
        if (!name.empty() && name.front() == '.') {
            if (it->is_directory()) it.disable_recursion_pending();
            continue;
        }
        if (!it->is_regular_file()) continue;
        const auto type = contentTypeOf(p);
        if (!type) continue;
        const std::string rel = std::filesystem::relative(p, options.root).generic_string();
        if (auto r = addFile("/" + rel, p, *type); !r) return tl::unexpected(r.error());
    }
    if (ec) return makeError(ErrorCode::kIo, strCat("cannot list ", options.root.string(), ": ", ec.message()));
    if (!options.chartJs.empty()) {
        if (auto r = addFile("/vendor/chart.min.js", options.chartJs, "text/javascript; charset=utf-8"); !r) {
            return makeError(r.error().code, strCat(r.error().message, " (Chart.js: install libjs-chart.js or pass --chartjs)"));
        }
    }
    return web;
}

std::optional<WebReply> WebRoutes::handle(const WebRequest& req) {
    const std::string& path = req.path;
    if (path.rfind("/web/", 0) == 0) {
        if (path == "/web/login" && req.method == "POST") return finish(login(req), req, false);
        if (path == "/web/logout" && req.method == "POST") return finish(logout(req), req, false);
        if (path == "/web/session" && req.method == "GET") return finish(session(req), req, false);
        return finish(errorReply(404, "not_found", strCat("no route ", req.method, " ", path.substr(0, 80))), req, false);
    }
    if (path == kApiPrefix || path.rfind(strCat(kApiPrefix, "/"), 0) == 0) {
        // A bearer token (API clients, tools) is the front end's business;
        // a browser's cookie is ours.
        if (!req.header("Authorization").empty()) return std::nullopt;
        const std::string token = cookieToken(req.header("Cookie"));
        if (token.empty()) return std::nullopt;
        return finish(api(req, token), req, false);
    }
    const std::string key = path == "/" ? "/index.html" : path;
    if (!m_files.contains(key)) return std::nullopt;
    if (req.method != "GET" && req.method != "HEAD") {
        WebReply r = errorReply(405, "method_not_allowed", strCat("method ", req.method, " is not supported here"));
        r.headers.emplace_back("Allow", "GET, HEAD");
        return finish(std::move(r), req, false);
    }
    return finish(serveFile(req), req, true);
}

namespace {
// If-None-Match compares weakly (RFC 9110, 13.1.2): a list of tags, each
// maybe W/-prefixed (the front end weakens the gzip variant's ETag), or "*".
bool noneMatch(std::string_view header, std::string_view etag) {
    while (!header.empty()) {
        const auto comma = header.find(',');
        std::string_view tag = header.substr(0, comma);
        header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
        while (!tag.empty() && (tag.front() == ' ' || tag.front() == '\t')) tag.remove_prefix(1);
        while (!tag.empty() && (tag.back() == ' ' || tag.back() == '\t')) tag.remove_suffix(1);
        if (tag.substr(0, 2) == "W/") tag.remove_prefix(2);
        if (tag == etag || tag == "*") return true;
    }
    return false;
}
}  // namespace

WebReply WebRoutes::serveFile(const WebRequest& req) const {
    const auto it = m_files.find(req.path == "/" ? "/index.html" : req.path);
    const File& f = it->second;
    WebReply r;
    r.headers.emplace_back("ETag", f.etag);
    if (noneMatch(req.header("If-None-Match"), f.etag)) {
        r.status = 304;
        return r;
    }
    r.headers.emplace_back("Content-Type", f.contentType);
    if (req.method != "HEAD") r.body = f.body;
    return r;
}

WebReply WebRoutes::login(const WebRequest& req) {
    // A form of another site can post text/plain that parses as JSON, but
    // not application/json (that needs our CORS consent, never given).
    if (req.header("Content-Type").rfind("application/json", 0) != 0) {
        return errorReply(415, "unsupported_media_type", "send the login as Content-Type: application/json");
    }
    if (crossOrigin(req)) return errorReply(403, "csrf", strCat("cross-origin login from ", req.header("Origin").substr(0, 100)));
    RouterRequest rr;
    rr.method = "POST";
    rr.path = "/login";
    rr.body = req.body;
    rr.address = req.address;
    const RouterReply out = m_router.handle(rr);
    if (out.status != 200) return fromRouter(out);  // 400, 401, 429 with Retry-After: as the API says
    const std::string token = out.body.value("token", "");
    WebReply r = jsonReply(200, Json{{"person_id", out.body.value("person_id", Json())},
                                     {"expires_at", out.body.value("expires_at", Json())},
                                     {"csrf", csrfFor(token)}});
    r.headers.emplace_back("Set-Cookie", sessionCookie(token, req.tls));
    return r;
}

WebReply WebRoutes::logout(const WebRequest& req) {
    const std::string token = cookieToken(req.header("Cookie"));
    if (!token.empty()) {
        const std::string sent = req.header("X-CSRF-Token");
        const std::string want = csrfFor(token);
        if (sent.size() != want.size() || sodium_memcmp(sent.data(), want.data(), want.size()) != 0) {
            return errorReply(403, "csrf", "the request lacks this session's X-CSRF-Token");
        }
        // The token itself ends on the server, not only the cookie: a copy
        // of the cookie is worthless afterwards. An unknown or expired token
        // has nothing left to end.
        if (auto who = m_handlers.authenticate(strCat("Bearer ", token))) {
            if (auto ended = m_handlers.logout(*who); !ended) return jsonReply(ended.error().status, ended.error().toJson());
        }
    }
    WebReply r = jsonReply(200, Json{{"logged_out", true}});
    r.headers.emplace_back("Set-Cookie", strCat(kCookieName, "=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict",
                                                req.tls ? "; Secure" : ""));
    r.headers.emplace_back("Clear-Site-Data", "\"cache\", \"storage\"");
    return r;
}

WebReply WebRoutes::session(const WebRequest& req) {
    const std::string token = cookieToken(req.header("Cookie"));
    if (token.empty()) return errorReply(401, "unauthenticated", "not logged in");
    auto who = m_handlers.authenticate(strCat("Bearer ", token));
    if (!who) return jsonReply(who.error().status, who.error().toJson());
    auto person = m_handlers.get(*who, Entity::kPerson, who->personId);
    if (!person) return jsonReply(person.error().status, person.error().toJson());
    return jsonReply(200, Json{{"person", *person}, {"csrf", csrfFor(token)}, {"rooms", {{"udp_port", m_roomPort}}}});
}

WebReply WebRoutes::api(const WebRequest& req, const std::string& token) {
    if (isWrite(req.method)) {
        // Another origin can make the browser send the cookie only by
        // navigation (SameSite=Strict stops the rest); it can never read
        // the CSRF token nor set a custom header without our CORS consent.
        const std::string sent = req.header("X-CSRF-Token");
        const std::string want = csrfFor(token);
        if (sent.size() != want.size() || sodium_memcmp(sent.data(), want.data(), want.size()) != 0) {
            return errorReply(403, "csrf", "the request lacks this session's X-CSRF-Token");
        }
        if (crossOrigin(req)) {
            return errorReply(403, "csrf", strCat("cross-origin request from ", req.header("Origin").substr(0, 100)));
        }
    }
    RouterRequest rr;
    rr.method = req.method == "HEAD" ? "GET" : req.method;
    rr.path = req.path.substr(kApiPrefix.size());
    rr.query = req.query;
    rr.body = req.body;
    rr.authorization = strCat("Bearer ", token);
    rr.idempotencyKey = req.header("Idempotency-Key");
    rr.address = req.address;
    return fromRouter(m_router.handle(rr));
}

WebReply WebRoutes::finish(WebReply reply, const WebRequest& req, bool cacheable) const {
    auto& h = reply.headers;
    h.emplace_back("Content-Security-Policy", std::string(kContentSecurityPolicy));
    h.emplace_back("X-Content-Type-Options", "nosniff");
    h.emplace_back("Referrer-Policy", "no-referrer");
    h.emplace_back("X-Frame-Options", "DENY");
    h.emplace_back("Cross-Origin-Opener-Policy", "same-origin");
    h.emplace_back("Cross-Origin-Resource-Policy", "same-origin");
    h.emplace_back("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()");
    // Files are revalidated on every load (their names carry no version;
    // the ETag makes that a 304); answers about people are never stored.
    h.emplace_back("Cache-Control", cacheable ? "no-cache" : "no-store");
    if (req.tls) h.emplace_back("Strict-Transport-Security", "max-age=31536000");
    return reply;
}

}  // namespace mxr::server
