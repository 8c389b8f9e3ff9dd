#include "server/http_server.h"

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

void sendError(httplib::Response& res, const ApiError& e) {
    if (e.status == 429 && e.retryAfter > 0) res.set_header("Retry-After", std::to_string(e.retryAfter));
    if (e.status == 401) res.set_header("WWW-Authenticate", "Bearer");
    sendJson(res, e.status, e.toJson());
}

void sendResult(httplib::Response& res, const ApiResult& r, int okStatus = 200) {
    if (r) {
        sendJson(res, okStatus, *r);
    } else {
        sendError(res, r.error());
    }
}

Params paramsOf(const httplib::Request& req) {
    Params p;
    for (const auto& [k, v] : req.params) p[k] = v;
    return p;
}

tl::expected<Json, ApiError> parseBody(const httplib::Request& req) {
    if (req.body.empty()) return tl::unexpected(ApiError{400, "invalid_argument", "body", "the request needs a JSON body", 0});
    Json body = Json::parse(req.body, nullptr, false);
    if (body.is_discarded()) {
        // Re-parse with exceptions only to get the position for the message.
        std::string why = "malformed JSON";
        try {
            const Json ignored = Json::parse(req.body);
            (void)ignored;
        } catch (const Json::parse_error& e) {
            why = strCat("malformed JSON at byte ", e.byte);
        }
        return tl::unexpected(ApiError{400, "invalid_argument", "body", why, 0});
    }
    if (!body.is_object()) {
        return tl::unexpected(ApiError{400, "invalid_argument", "body", "the body must be a JSON object", 0});
    }
    return body;
}

tl::expected<std::int64_t, ApiError> parsePathId(const std::string& s) {
    if (s.empty() || s.size() > 18 || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
        std::stoll(s) == 0) {
        return tl::unexpected(ApiError{400, "invalid_argument", "id", strCat("id must be a positive integer, got '",
                                                                            s.substr(0, 40), "'"), 0});
    }
    return std::stoll(s);
}

tl::expected<Entity, ApiError> parseEntity(const std::string& s) {
    auto e = entityFromPlural(s);
    if (!e) return tl::unexpected(ApiError{404, "not_found", "", strCat("no resource /api/v1/", s.substr(0, 40)), 0});
    return *e;
}

}  // namespace

struct HttpServer::Impl {
    Handlers& handlers;
    HttpOptions options;
    Logger log;
    RoomService* rooms = nullptr;
    httplib::Server server;
    int listenFd = -1;

    // Runs fn with the authenticated principal, or answers 401.
    template <typename Fn>
    void authed(const httplib::Request& req, httplib::Response& res, Fn fn) {
        auto p = handlers.authenticate(req.get_header_value("Authorization"));
        if (!p) return sendError(res, p.error());
        fn(*p);
    }

    void routes() {
        server.Get("/healthz", [this](const httplib::Request&, httplib::Response& res) {
            sendResult(res, handlers.health());
        });
        server.Post("/api/v1/login", [this](const httplib::Request& req, httplib::Response& res) {
            auto body = parseBody(req);
            if (!body) return sendError(res, body.error());
            sendResult(res, handlers.login(*body, req.remote_addr));
        });
        server.Get("/api/v1/export", [this](const httplib::Request& req, httplib::Response& res) {
            authed(req, res, [&](const Principal& p) {
                auto r = handlers.exportData(p, paramsOf(req));
                if (r && r->is_string()) {
                    res.status = 200;
                    res.set_content(r->get<std::string>(), "text/csv; charset=utf-8");
                    return;
                }
                sendResult(res, r);
            });
        });
        server.Post(R"(/api/v1/rooms/([^/]+)/ticket)", [this](const httplib::Request& req, httplib::Response& res) {
            authed(req, res, [&](const Principal& p) {
                if (!rooms) return sendError(res, ApiError{404, "not_found", "", "this server hosts no rooms", 0});
                sendResult(res, rooms->ticket(p, req.matches[1].str()));
            });
        });
        server.Get("/api/v1/audit", [this](const httplib::Request& req, httplib::Response& res) {
            authed(req, res, [&](const Principal& p) { sendResult(res, handlers.auditLog(p, paramsOf(req))); });
        });
        server.Get(R"(/api/v1/programs/([^/]+)/attention)", [this](const httplib::Request& req, httplib::Response& res) {
            authed(req, res, [&](const Principal& p) {
                auto id = parsePathId(req.matches[1]);
                if (!id) return sendError(res, id.error());
                sendResult(res, handlers.attention(p, *id, paramsOf(req)));
            });
        });
        server.Get(R"(/api/v1/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
            authed(req, res, [&](const Principal& p) {
                auto e = parseEntity(req.matches[1]);
                if (!e) return sendError(res, e.error());
                sendResult(res, handlers.list(p, *e, paramsOf(req)));
            });
        });
        server.Post(R"(/api/v1/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
            authed(req, res, [&](const Principal& p) {
                auto e = parseEntity(req.matches[1]);
                if (!e) return sendError(res, e.error());
                auto body = parseBody(req);
                if (!body) return sendError(res, body.error());
                sendResult(res, handlers.create(p, *e, *body), 201);
            });
        });
        auto withRecord = [this](const httplib::Request& req, httplib::Response& res, auto fn) {
            authed(req, res, [&](const Principal& p) {
                auto e = parseEntity(req.matches[1]);
                if (!e) return sendError(res, e.error());
                auto id = parsePathId(req.matches[2]);
                if (!id) return sendError(res, id.error());
                fn(p, *e, *id);
            });
        };
        server.Get(R"(/api/v1/([^/]+)/([^/]+))", [this, withRecord](const httplib::Request& req, httplib::Response& res) {
            withRecord(req, res, [&](const Principal& p, Entity e, std::int64_t id) {
                sendResult(res, handlers.get(p, e, id));
            });
        });
        server.Patch(R"(/api/v1/([^/]+)/([^/]+))", [this, withRecord](const httplib::Request& req, httplib::Response& res) {
            withRecord(req, res, [&](const Principal& p, Entity e, std::int64_t id) {
                auto body = parseBody(req);
                if (!body) return sendError(res, body.error());
                sendResult(res, handlers.update(p, e, id, *body));
            });
        });
        server.Delete(R"(/api/v1/([^/]+)/([^/]+))", [this, withRecord](const httplib::Request& req, httplib::Response& res) {
            withRecord(req, res, [&](const Principal& p, Entity e, std::int64_t id) {
                sendResult(res, handlers.remove(p, e, id));
            });
        });

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

HttpServer::HttpServer(Handlers& handlers, HttpOptions options, Logger logger, RoomService* rooms)
    : m_impl(new Impl{handlers, std::move(options), std::move(logger), rooms, {}}) {
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
