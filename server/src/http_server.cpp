#include "server/http_server.h"
#include "server/router.h"
#include "server/web_routes.h"  // web app (issue 17)

#include <httplib.h>

#include <pthread.h>
#include <sys/socket.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace mxr::server {
namespace {

constexpr int kListenBacklog = 1024;

// cpp-httplib's ThreadPool with named threads (mxr-http), so profiles and
// per-thread CPU figures tell the request workers from the group-commit
// writer (mxr-writer) and the room host. (Tried and measured: running the
// workers SCHED_BATCH so they cannot preempt the writer that wakes them
// helped 200 concurrent writers by about 10% but more than halved what 16
// clients get, whose workers then wait out other threads' time slices.)
// Each connection keeps its worker for as long as it is kept alive.
class WorkerPool final : public httplib::TaskQueue {
public:
    explicit WorkerPool(std::size_t n) {
        for (std::size_t i = 0; i < n; ++i) {
            m_threads.emplace_back([this] {
                pthread_setname_np(pthread_self(), "mxr-http");
                work();
            });
        }
    }
    ~WorkerPool() override { shutdown(); }

    void enqueue(std::function<void()> fn) override {
        {
            std::lock_guard lock(m_mutex);
            m_jobs.push_back(std::move(fn));
        }
        m_cv.notify_one();
    }

    void shutdown() override {
        {
            std::lock_guard lock(m_mutex);
            if (m_stopping) return;
            m_stopping = true;
        }
        m_cv.notify_all();
        for (auto& t : m_threads) t.join();
    }

private:
    void work() {
        for (;;) {
            std::function<void()> job;
            {
                std::unique_lock lock(m_mutex);
                m_cv.wait(lock, [&] { return m_stopping || !m_jobs.empty(); });
                if (m_jobs.empty()) return;  // stopping, and nothing left to serve
                job = std::move(m_jobs.front());
                m_jobs.pop_front();
            }
            job();
        }
    }

    std::mutex m_mutex;
    std::condition_variable m_cv;
    std::deque<std::function<void()>> m_jobs;
    bool m_stopping = false;
    std::vector<std::thread> m_threads;
};

void sendJson(httplib::Response& res, int status, const Json& body) {
    res.status = status;
    res.set_content(body.dump(), "application/json");
}






}  // namespace

struct HttpServer::Impl {
    Handlers& handlers;
    HttpOptions options;
    Logger log;
    RoomService* rooms = nullptr;
    Router router{handlers, rooms};
    WebRoutes* web = nullptr;  // web app (issue 17)
    httplib::Server server;
    int listenFd = -1;


    // web app (issue 17): true when web_routes.h answered the request.
    bool askWeb(const httplib::Request& req, httplib::Response& res) {
        if (!web) return false;
        WebRequest w{req.method, req.path, {req.params.begin(), req.params.end()},
                     {req.headers.begin(), req.headers.end()}, req.body, req.remote_addr, false};
        auto reply = web->handle(w);
        if (!reply) return false;
        res.status = reply->status;
        for (const auto& [k, v] : reply->headers) {
            if (k != "Content-Type") res.set_header(k, v);
        }
        if (const auto type = reply->header("Content-Type"); !type.empty()) res.set_content(reply->body, type);
        return true;
    }

    void routes() {
        // --- web app (issue 17): static files, cookie session, CSRF; see web_routes.h.
        // Another front end hands it every request (with its body) first.
        server.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
            // cpp-httplib reads bodies only after routing: writes are asked in their routes.
            const bool bodyless = req.method == "GET" || req.method == "HEAD";
            return bodyless && askWeb(req, res) ? httplib::Server::HandlerResponse::Handled
                                                : httplib::Server::HandlerResponse::Unhandled;
        });
        server.Post(R"(/web/.*)", [this](const httplib::Request& req, httplib::Response& res) { askWeb(req, res); });
        // --- end web app
        server.Get("/healthz", [this](const httplib::Request&, httplib::Response& res) {
            const auto r = handlers.health();
            sendJson(res, r ? 200 : r.error().status, r ? *r : r.error().toJson());
        });
        // Everything under /api/v1 goes through the one router that
        // records over ENet use too.
        auto api = [this](const httplib::Request& req, httplib::Response& res) {
            if (askWeb(req, res)) return;  // web app (issue 17): a browser's cookie session
            RouterRequest r;
            r.method = req.method;
            r.path = req.matches[1].str();
            for (const auto& [k, v] : req.params) r.query[k] = v;
            r.body = req.body;
            r.authorization = req.get_header_value("Authorization");
            r.idempotencyKey = req.get_header_value("Idempotency-Key");
            r.address = req.remote_addr;
            const RouterReply reply = router.handle(r);
            res.status = reply.status;
            if (reply.status == 429 && reply.retryAfter > 0) res.set_header("Retry-After", std::to_string(reply.retryAfter));
            if (reply.status == 401) res.set_header("WWW-Authenticate", "Bearer");
            if (reply.body.is_null()) {
                res.set_content(reply.text, reply.contentType);
            } else {
                res.set_content(reply.body.dump(), reply.contentType);
            }
        };
        const char* const kApi = R"(/api/v1(/.*))";
        server.Get(kApi, api);
        server.Post(kApi, api);
        server.Patch(kApi, api);
        server.Delete(kApi, api);

        // Whatever cpp-httplib answers by itself (no route, body too large)
        // still gets a JSON error body.
        server.set_error_handler(httplib::Server::HandlerWithResponse(
            [this](const httplib::Request&, httplib::Response& res) {
            if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
            ApiError e{res.status, "not_found", "", "no such route", 0};
            if (res.status == 413) {
                e = {413, "payload_too_large", "body", strCat("the body is larger than ", options.maxBodyBytes, " bytes"), 0};
            } else if (res.status == 400) {
                e = {400, "invalid_argument", "", "malformed HTTP request", 0};
            } else if (res.status != 404) {
                e.code = "http_error";
                e.message = strCat("HTTP error ", res.status);
            }
            res.set_content(e.toJson().dump(), "application/json");
            return httplib::Server::HandlerResponse::Handled;
        }));
        server.set_exception_handler([this](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
            std::string what = "unknown exception";
            try {
                if (ep) std::rethrow_exception(ep);
            } catch (const std::exception& e) {
                what = e.what();
            } catch (...) {
            }
            log.error(strCat("request ", req.method, " ", req.path, " threw: ", what));
            sendJson(res, 500, ApiError{500, "internal", "", "internal error", 0}.toJson());
        });
    }
};

HttpServer::HttpServer(Handlers& handlers, HttpOptions options, Logger logger, RoomService* rooms, WebRoutes* web)
    : m_impl(new Impl{handlers, std::move(options), std::move(logger), rooms, Router{handlers, rooms}, web, {}}) {
    auto& s = m_impl->server;
    const auto& o = m_impl->options;
    const std::size_t workers = std::max<std::size_t>(1, o.workers);
    s.new_task_queue = [workers] { return new WorkerPool(workers); };
    s.set_keep_alive_max_count(o.keepAliveMaxRequests);
    s.set_keep_alive_timeout(o.keepAliveTimeoutSeconds);
    s.set_read_timeout(o.readTimeoutSeconds, 0);
    s.set_write_timeout(o.writeTimeoutSeconds, 0);
    s.set_payload_max_length(o.maxBodyBytes);
    s.set_tcp_nodelay(true);
    // cpp-httplib's own options also set SO_REUSEPORT, which would let a
    // second server silently share the port; keep SO_REUSEADDR only, and
    // remember the listening socket to widen its backlog after bind().
    Impl* impl = m_impl.get();
    s.set_socket_options([impl](socket_t sock) {
        int yes = 1;
        setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
        impl->listenFd = sock;
    });
    m_impl->routes();
}

HttpServer::~HttpServer() = default;

Result<int> HttpServer::bind() {
    const auto& o = m_impl->options;
    int port = o.port;
    if (port == 0) {
        port = m_impl->server.bind_to_any_port(o.host);
        if (port <= 0) return makeError(ErrorCode::kIo, strCat("could not bind a free port on ", o.host));
    } else if (!m_impl->server.bind_to_port(o.host, port)) {
        return makeError(ErrorCode::kIo, strCat("could not bind ", o.host, ":", port));
    }
    // The prebuilt library listens with a backlog of 5; with hundreds of
    // clients connecting at once the kernel would drop SYNs and resets.
    // listen() again on a listening socket only updates its backlog.
    if (m_impl->listenFd >= 0) ::listen(m_impl->listenFd, kListenBacklog);
    return port;
}

Result<void> HttpServer::run() {
    if (!m_impl->server.listen_after_bind()) return makeError(ErrorCode::kIo, "the HTTP listener stopped with an error");
    return {};
}

void HttpServer::stop() { m_impl->server.stop(); }

}  // namespace mxr::server
