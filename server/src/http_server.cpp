// The HTTP binding: one transport-neutral function from a request (method,
// target, headers, body) to an answer (status, headers, body), served by the
// Beast front end (http_front.h). Routes: /healthz and /api/v1/... through
// the one Router that records over ENet use too.
#include "server/http_server.h"
#include "server/router.h"
#include "server/web_routes.h"  // web app (issue 17)

#include "http_front.h"

#include <strings.h>

#include <algorithm>
#include <optional>
#include <mutex>

namespace mxr::server {
namespace {

int hexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Percent-decoding; '+' is a space in a query only.
std::string urlDecode(std::string_view s, bool plusIsSpace) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (c == '%' && i + 2 < s.size() && hexValue(s[i + 1]) >= 0 && hexValue(s[i + 2]) >= 0) {
            out.push_back(static_cast<char>(hexValue(s[i + 1]) * 16 + hexValue(s[i + 2])));
            i += 2;
        } else if (c == '+' && plusIsSpace) {
            out.push_back(' ');
        } else {
            out.push_back(c);
        }
    }
    return out;
}

Params parseQuery(std::string_view q) {
    Params params;
    while (!q.empty()) {
        const auto amp = q.find('&');
        const std::string_view pair = q.substr(0, amp);
        if (!pair.empty()) {
            const auto eq = pair.find('=');
            std::string key = urlDecode(pair.substr(0, eq), true);
            std::string value = eq == std::string_view::npos ? std::string() : urlDecode(pair.substr(eq + 1), true);
            params.emplace(std::move(key), std::move(value));  // the first of a repeated key wins
        }
        if (amp == std::string_view::npos) break;
        q.remove_prefix(amp + 1);
    }
    return params;
}

HttpResponse jsonResponse(int status, const Json& body) {
    HttpResponse r;
    r.status = status;
    r.body = body.dump();
    return r;
}

std::string trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return std::string(s);
}

// Where a request's handler runs (HttpPlacement, http_front.h). Record
// writes (POST to a collection, PATCH and DELETE of one record) wait only on
// the store's group commit; people's are the exception (password hashing).
HttpPlacement placeRequest(std::string_view method, std::string_view target) {
    constexpr std::string_view kApi = "/api/v1/";
    // Matching proposals score a whole pool (up to about a second for 200 x
    // 1,000, server/README.md "Matching"): on a worker, never an I/O thread.
    const std::string_view path = target.substr(0, target.find('?'));
    if (path.size() > 10 && path.substr(path.size() - 10) == "/proposals") return HttpPlacement::kWorker;
    if (method == "GET") return target.rfind("/api/v1/export", 0) == 0 ? HttpPlacement::kWorker : HttpPlacement::kIoThread;
    if (method != "POST" && method != "PATCH" && method != "DELETE") return HttpPlacement::kWorker;
    if (target.substr(0, kApi.size()) != kApi) return HttpPlacement::kWorker;
    std::string_view plural = target.substr(kApi.size());
    plural = plural.substr(0, plural.find_first_of("/?"));
    const auto entity = entityFromPlural(plural);
    if (!entity || *entity == Entity::kPerson) return HttpPlacement::kWorker;
    return HttpPlacement::kIoFiber;
}

}  // namespace

struct HttpServer::Impl {
    Handlers& handlers;
    HttpOptions options;
    Logger log;
    RoomService* rooms = nullptr;
    Router router{handlers, rooms};
    std::mutex mutex;  // guards front (stop() may come from another thread)
    std::unique_ptr<HttpFront> front;
    WebRoutes* web = nullptr;  // the web app (issue 17); null with --no-web

    // The client's address for the login limits: the peer's, or, when the
    // peer is the trusted reverse proxy, the last X-Forwarded-For entry
    // (the one that proxy appended; earlier ones are the client's to forge).
    std::string clientAddress(const HttpRequest& req) const {
        if (options.trustedProxy.empty() || req.address != options.trustedProxy) return req.address;
        const std::string xff = req.header("X-Forwarded-For");
        if (xff.empty()) return req.address;
        const auto comma = xff.rfind(',');
        std::string last = trim(comma == std::string::npos ? std::string_view(xff) : std::string_view(xff).substr(comma + 1));
        return last.empty() ? req.address : last;
    }

    // The web app (web_routes.h: static files, cookie session, CSRF) sees
    // every request first; nullopt when it is not the app's.
    std::optional<HttpResponse> askWeb(const HttpRequest& req, const std::string& path, std::string_view query) {
        if (!web) return std::nullopt;
        WebRequest w{req.method, path, parseQuery(query), req.headers, req.body, clientAddress(req), req.tls};
        auto reply = web->handle(w);
        if (!reply) return std::nullopt;
        HttpResponse res;
        res.status = reply->status;
        for (const auto& [k, v] : reply->headers) {
            if (k.size() == 12 && strcasecmp(k.c_str(), "Content-Type") == 0) {
                res.contentType = v;
            } else {
                res.headers.emplace_back(k, v);
            }
        }
        res.body = std::move(reply->body);
        return res;
    }

    // Answers that may carry a secret: the bearer token (POST /login), the
    // CSRF token (POST /web/login, GET /web/session), room tickets (POST).
    // Every answer to a write is counted in (they are small records), so no
    // spelling of a path slips past. The front end never compresses them
    // (BREACH: server/README.md, "Compression").
    static bool carriesSecret(const HttpRequest& req, const std::string& path) {
        return req.method != "GET" || path == "/web/session";
    }

    HttpResponse serve(const HttpRequest& req) {
        const std::string_view target = req.target;
        const auto q = target.find('?');
        const std::string path = urlDecode(target.substr(0, q), false);
        const std::string_view query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
        HttpResponse res = answer(req, path, query);
        res.secret = carriesSecret(req, path);
        return res;
    }

    HttpResponse answer(const HttpRequest& req, const std::string& path, std::string_view query) {
        if (auto answered = askWeb(req, path, query)) return std::move(*answered);

        if (path == "/healthz") {
            if (req.method != "GET") {
                return jsonResponse(405, ApiError{405, "method_not_allowed", "", "use GET", 0}.toJson());
            }
            const auto r = handlers.health();
            return jsonResponse(r ? 200 : r.error().status, r ? *r : r.error().toJson());
        }
        constexpr std::string_view kApi = "/api/v1/";
        if (path.compare(0, kApi.size(), kApi) == 0) {
            if (req.method != "GET" && req.method != "POST" && req.method != "PATCH" && req.method != "DELETE") {
                return jsonResponse(405, ApiError{405, "method_not_allowed", "", strCat("no ", req.method, " on ", path), 0}.toJson());
            }
            // Everything under /api/v1 goes through the one router that
            // records over ENet use too.
            RouterRequest r;
            r.method = req.method;
            r.path = path.substr(kApi.size() - 1);
            r.query = parseQuery(query);
            r.body = req.body;
            r.authorization = req.header("Authorization");
            r.idempotencyKey = req.header("Idempotency-Key");
            r.address = clientAddress(req);
            const RouterReply reply = router.handle(r);
            HttpResponse res;
            res.status = reply.status;
            if (reply.status == 429 && reply.retryAfter > 0) res.headers.emplace_back("Retry-After", std::to_string(reply.retryAfter));
            if (reply.status == 401) res.headers.emplace_back("WWW-Authenticate", "Bearer");
            res.contentType = reply.contentType;
            res.body = reply.body.is_null() ? reply.text : reply.body.dump();
            return res;
        }
        return jsonResponse(404, ApiError{404, "not_found", "", "no such route", 0}.toJson());
    }
};

HttpServer::HttpServer(Handlers& handlers, HttpOptions options, Logger logger, RoomService* rooms, WebRoutes* web)
    : m_impl(new Impl{handlers, std::move(options), std::move(logger), rooms, Router{handlers, rooms}, {}, {}, web}) {}

HttpServer::~HttpServer() = default;

Result<int> HttpServer::bind() {
    Impl* impl = m_impl.get();
    // Reads run on the I/O thread that parsed them (no hand-off to a
    // worker and back); record writes run there too, in a fiber that waits
    // for the group commit without holding the thread; logins and people
    // (password hashing), logout and rooms (the room service), exports
    // (large, slow) and the web app's routes go to the workers.
    auto place = [](const HttpRequest& req) { return placeRequest(req.method, req.target); };
    auto front = HttpFront::create(impl->options, [impl](const HttpRequest& req) { return impl->serve(req); },
                                   impl->log, place);
    if (!front) return tl::unexpected(front.error());
    auto port = (*front)->bind();
    if (!port) return port;
    std::lock_guard lock(impl->mutex);
    impl->front = std::move(*front);
    return port;
}

Result<void> HttpServer::run() {
    HttpFront* front = nullptr;
    {
        std::lock_guard lock(m_impl->mutex);
        front = m_impl->front.get();
    }
    if (!front) return makeError(ErrorCode::kIo, "run() before bind()");
    return front->run();
}

void HttpServer::stop() {
    std::lock_guard lock(m_impl->mutex);
    if (m_impl->front) m_impl->front->stop();
}

}  // namespace mxr::server
