// The Beast/Asio front end: see http_front.h and server/README.md.
//
// A connection's life: accept (counted per address; over a limit it is
// answered 503 and closed at once), [TLS handshake], then per request:
// wait for the first byte (the keep-alive idle timeout, or the header
// deadline on a new connection), read the headers before a total deadline,
// read the body before a total deadline, queue the request for a worker
// (503 if the queue is full), write the answer before a deadline, and go
// round again while keep-alive allows. Every wait has a deadline, so a
// client that trickles bytes or sends nothing is closed, and none of that
// holds a thread: the Asio threads only run completion handlers.
#include "http_front.h"

#include "http_gzip.h"
#include "request_fiber.h"

#include <pthread.h>
#include <strings.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/context/fiber.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <variant>

namespace mxr::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;

std::string HttpRequest::header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
        if (k.size() == name.size() && ::strncasecmp(k.data(), name.data(), k.size()) == 0) return v;
    }
    return {};
}

namespace {

// A request fiber's stack (request_fiber.h). The deepest handler path
// (router, access check, SQLite, JSON of a depth the router bounds) uses a
// few tens of KiB; ASan's frames are several times larger.
#if defined(__SANITIZE_ADDRESS__)
constexpr std::size_t kFiberStackBytes = 1024 * 1024;
#else
constexpr std::size_t kFiberStackBytes = 256 * 1024;
#endif

std::chrono::steady_clock::duration seconds(double s) {
    return std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(s));
}

HttpResponse errorResponse(int status, const char* code, const std::string& field, std::string message) {
    HttpResponse r;
    r.status = status;
    r.body = ApiError{status, code, field, std::move(message), 0}.toJson().dump();
    return r;
}

// Requests waiting for a worker, bounded; workers are named mxr-http so
// profiles tell them from the group-commit writer (mxr-writer).
class WorkerPool {
public:
    WorkerPool(std::size_t workers, std::size_t maxQueued) : m_maxQueued(maxQueued) {
        for (std::size_t i = 0; i < workers; ++i) {
            m_threads.emplace_back([this] {
                pthread_setname_np(pthread_self(), "mxr-http");
                work();
            });
        }
    }
    ~WorkerPool() { shutdown(); }

    // False when the queue is full (or the pool is stopping): answer 503.
    bool tryEnqueue(std::function<void()> job) {
        {
            std::lock_guard lock(m_mutex);
            if (m_stopping || m_jobs.size() >= m_maxQueued) return false;
            m_jobs.push_back(std::move(job));
        }
        m_cv.notify_one();
        return true;
    }

    void shutdown() {
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

    const std::size_t m_maxQueued;
    std::mutex m_mutex;
    std::condition_variable m_cv;
    std::deque<std::function<void()>> m_jobs;
    bool m_stopping = false;
    std::vector<std::thread> m_threads;
};

struct Shared;

// Counts a connection against the totals while it lives.
class Slot {
public:
    Slot(Shared& shared, std::string address) : m_shared(shared), m_address(std::move(address)) {}
    ~Slot();
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    const std::string& address() const { return m_address; }

private:
    Shared& m_shared;
    std::string m_address;
};

class ConnectionBase {
public:
    virtual ~ConnectionBase() = default;
    virtual void requestStop() = 0;  // thread-safe: runs on the connection's own io thread
};

// What every connection shares: options, the handler, the pool, the
// per-address counts, the live connections (for stop) and the counters.
struct Shared {
    HttpOptions options;
    HttpHandler handler;
    HttpPlacer place;
    std::unique_ptr<FiberStacks> fiberStacks;
    Logger log;
    std::unique_ptr<WorkerPool> pool;
    std::atomic<bool> stopping{false};
    GzipCache gzipCache;  // static files' compressed bodies, by ETag

    std::mutex mutex;  // guards perAddress, total, live
    std::unordered_map<std::string, std::size_t> perAddress;
    std::size_t total = 0;
    std::unordered_map<ConnectionBase*, std::weak_ptr<ConnectionBase>> live;

    struct {
        std::atomic<std::uint64_t> accepted{0}, refusedPerAddress{0}, refusedTotal{0}, headerDeadline{0},
            bodyDeadline{0}, idleClosed{0}, queueFull{0}, requests{0};
    } counters;

    // A slot for a new connection from `address`, or why not (0: refused
    // for the address, 1: refused for the total).
    std::variant<std::unique_ptr<Slot>, int> admit(const std::string& address) {
        std::lock_guard lock(mutex);
        if (total >= options.maxConnections) return 1;
        auto& n = perAddress[address];
        if (n >= options.maxConnectionsPerAddress) return 0;
        ++n;
        ++total;
        return std::make_unique<Slot>(*this, address);
    }
    void release(const std::string& address) {
        std::lock_guard lock(mutex);
        --total;
        auto it = perAddress.find(address);
        if (it != perAddress.end() && --it->second == 0) perAddress.erase(it);
    }
};

Slot::~Slot() { m_shared.release(m_address); }

HttpResponse callHandler(Shared& shared, const HttpRequest& request) {
    try {
        return shared.handler(request);
    } catch (const boost::context::detail::forced_unwind&) {
        throw;  // a request fiber being unwound (request_fiber.h): not an error
    } catch (const std::exception& e) {
        shared.log.error(strCat("request ", request.method, " ", request.target, " threw: ", e.what()));
    } catch (...) {
        shared.log.error(strCat("request ", request.method, " ", request.target, " threw"));
    }
    return errorResponse(500, "internal", "", "internal error");
}

std::string* findHeader(HttpResponse& r, std::string_view name) {
    for (auto& [k, v] : r.headers) {
        if (k.size() == name.size() && ::strncasecmp(k.data(), name.data(), k.size()) == 0) return &v;
    }
    return nullptr;
}

// gzip for text bodies of 1 KiB and more when the client accepts it, never
// for responses that carry a secret (BREACH: server/README.md,
// "Compression"). Runs on the thread that ran the handler.
void compress(Shared& shared, const HttpRequest& request, HttpResponse& r) {
    if (r.status == 304) {
        // A 304 names the variant the client holds: the gzip one's weak tag.
        std::string* etag = findHeader(r, "ETag");
        if (etag && !etag->empty() && etag->front() == '"' && shared.gzipCache.has(*etag)) {
            r.headers.emplace_back("Vary", "Accept-Encoding");
            if (acceptsGzip(request.header("Accept-Encoding"))) *etag = "W/" + *etag;
        }
        return;
    }
    if (r.secret || r.body.size() < kGzipMinBytes || !compressibleType(r.contentType) ||
        findHeader(r, "Content-Encoding")) {
        return;
    }
    // The answer depends on Accept-Encoding from here on, sent or not.
    if (std::string* vary = findHeader(r, "Vary")) {
        *vary += ", Accept-Encoding";
    } else {
        r.headers.emplace_back("Vary", "Accept-Encoding");
    }
    if (!acceptsGzip(request.header("Accept-Encoding"))) return;
    std::string* etag = findHeader(r, "ETag");
    std::shared_ptr<const std::string> z;
    if (r.status == 200 && etag && !etag->empty() && etag->front() == '"') {
        // A strong ETag names these bytes: compressed once, then cached. The
        // gzip variant's validator is weak (same content, other bytes), and
        // If-None-Match compares weakly, so both variants revalidate as 304.
        z = shared.gzipCache.get(*etag, r.body);
        if (z) *etag = "W/" + *etag;
    } else if (auto once = gzip(r.body)) {
        z = std::make_shared<const std::string>(std::move(*once));
    }
    if (!z || z->size() >= r.body.size()) return;
    r.body.assign(*z);
    r.headers.emplace_back("Content-Encoding", "gzip");
}

HttpResponse handle(Shared& shared, const HttpRequest& request) {
    HttpResponse r = callHandler(shared, request);
    compress(shared, request, r);
    return r;
}

tcp::socket& lowestSocket(beast::tcp_stream& s) { return s.socket(); }
tcp::socket& lowestSocket(beast::ssl_stream<beast::tcp_stream>& s) { return beast::get_lowest_layer(s).socket(); }

template <class Stream>
class Connection final : public ConnectionBase, public std::enable_shared_from_this<Connection<Stream>> {
public:
    Connection(Shared& shared, std::unique_ptr<Slot> slot, Stream stream, bool tls)
        : m_shared(shared), m_slot(std::move(slot)), m_stream(std::move(stream)), m_tls(tls) {}

    void start() {
        {
            std::lock_guard lock(m_shared.mutex);
            m_shared.live.emplace(this, this->weak_from_this());
        }
        // The first request's header deadline runs from the accept: a
        // connection that sends nothing is closed when it expires.
        lowest().expires_after(seconds(m_shared.options.headerTimeoutSeconds));
        if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
            readHeader(false);
        } else {
            m_stream.async_handshake(ssl::stream_base::server,
                                     [self = this->shared_from_this()](beast::error_code ec) {
                                         if (ec) {
                                             if (ec == beast::error::timeout) ++self->m_shared.counters.headerDeadline;
                                             return self->close();
                                         }
                                         self->readHeader(false);
                                     });
        }
    }

    ~Connection() override {
        std::lock_guard lock(m_shared.mutex);
        m_shared.live.erase(this);
    }

    // Idle connections close now; busy ones after their answer.
    void requestStop() override {
        asio::post(m_stream.get_executor(), [self = this->shared_from_this()] {
            self->m_stopRequested = true;
            if (!self->m_busy) self->close();
        });
    }

private:
    beast::tcp_stream& lowest() { return beast::get_lowest_layer(m_stream); }

    // Between keep-alive requests: wait for the next request's first bytes
    // for at most the idle timeout (bytes already buffered skip the wait).
    void awaitNext() {
        m_busy = false;
        if (m_stopRequested || m_shared.stopping) return close();
        if (m_buffer.size() > 0) {
            lowest().expires_after(seconds(m_shared.options.headerTimeoutSeconds));
            return readHeader(false);
        }
        lowest().expires_after(seconds(m_shared.options.keepAliveTimeoutSeconds));
        m_stream.async_read_some(m_buffer.prepare(4096), [self = this->shared_from_this()](beast::error_code ec,
                                                                                            std::size_t n) {
            if (ec) {
                if (ec == beast::error::timeout) ++self->m_shared.counters.idleClosed;
                return self->close();
            }
            self->m_buffer.commit(n);
            self->lowest().expires_after(seconds(self->m_shared.options.headerTimeoutSeconds));
            self->readHeader(true);
        });
    }

    void readHeader(bool /*hadFirstBytes*/) {
        m_parser.emplace();
        m_parser->header_limit(static_cast<std::uint32_t>(m_shared.options.maxHeaderBytes));
        m_parser->body_limit(m_shared.options.maxBodyBytes);
        http::async_read_header(m_stream, m_buffer, *m_parser,
                                [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                                    self->m_busy = true;
                                    if (ec) return self->readFailed(ec, true);
                                    self->afterHeader();
                                });
    }

    void afterHeader() {
        auto& req = m_parser->get();
        lowest().expires_after(seconds(m_shared.options.bodyTimeoutSeconds));
        if (m_parser->is_done()) return dispatch();
        // curl and browsers wait for this before sending a large body.
        if (beast::iequals(req[http::field::expect], "100-continue")) {
            auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_, req.version());
            http::async_write(m_stream, *cont, [self = this->shared_from_this(), cont](beast::error_code ec, std::size_t) {
                if (ec) return self->close();
                self->readBody();
            });
            return;
        }
        readBody();
    }

    void readBody() {
        http::async_read(m_stream, m_buffer, *m_parser, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec) return self->readFailed(ec, false);
            self->dispatch();
        });
    }

    void readFailed(beast::error_code ec, bool inHeader) {
        if (ec == beast::error::timeout) {
            ++(inHeader ? m_shared.counters.headerDeadline : m_shared.counters.bodyDeadline);
            return close();
        }
        if (ec == http::error::body_limit) {
            return answerAndClose(errorResponse(413, "payload_too_large", "body",
                                                strCat("the body is larger than ", m_shared.options.maxBodyBytes, " bytes")));
        }
        if (ec == http::error::header_limit) {
            return answerAndClose(errorResponse(431, "header_too_large", "",
                                                strCat("the request headers are larger than ",
                                                       m_shared.options.maxHeaderBytes, " bytes")));
        }
        if (ec.category() == http::make_error_code(http::error::bad_method).category() &&
            ec != http::error::end_of_stream && ec != http::error::partial_message) {
            return answerAndClose(errorResponse(400, "invalid_argument", "", strCat("malformed HTTP request: ", ec.message())));
        }
        close();  // the peer went away (eof, reset, partial message)
    }

    // Hands the request to a worker; the answer comes back to this connection's io thread.
    void dispatch() {
        auto msg = m_parser->release();
        m_parser.reset();
        ++m_requests;
        auto request = std::make_shared<HttpRequest>();
        request->method = std::string(msg.method_string());
        request->target = std::string(msg.target());
        request->headers.reserve(16);
        for (const auto& f : msg) request->headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
        request->body = std::move(msg.body());
        request->address = m_slot->address();
        request->tls = m_tls;
        m_keepAlive = msg.keep_alive() && m_requests < m_shared.options.keepAliveMaxRequests;
        m_version = msg.version();
        ++m_shared.counters.requests;
        const HttpPlacement placement = m_shared.place ? m_shared.place(*request) : HttpPlacement::kWorker;
        if (placement == HttpPlacement::kIoThread) return write(handle(m_shared, *request));
        auto self = this->shared_from_this();
        if (placement == HttpPlacement::kIoFiber) {
            // The answer is written from the fiber, on this connection's thread.
            const bool started = runInFiber(m_stream.get_executor(), *m_shared.fiberStacks, [self, request] {
                self->write(handle(self->m_shared, *request));
            });
            if (started) return;
        }
        // The answer still to write counts as work: run() does not return
        // while a worker holds a request.
        auto work = asio::make_work_guard(m_stream.get_executor());
        const bool queued = m_shared.pool->tryEnqueue([self, request, work]() mutable {
            HttpResponse response = handle(self->m_shared, *request);
            asio::post(self->m_stream.get_executor(),
                       [self, r = std::move(response)]() mutable { self->write(std::move(r)); });
            work.reset();
        });
        if (!queued) {
            ++m_shared.counters.queueFull;
            HttpResponse busy = errorResponse(503, "unavailable", "", "the server is busy; retry shortly");
            busy.headers.emplace_back("Retry-After", "1");
            write(std::move(busy));
        }
    }

    void answerAndClose(HttpResponse r) {
        m_keepAlive = false;
        m_version = m_parser && m_parser->get().version() ? m_parser->get().version() : 11;
        m_parser.reset();
        write(std::move(r));
    }

    void write(HttpResponse r) {
        auto& res = m_response.emplace(static_cast<http::status>(r.status), m_version);
        // A 304 (or 204) has no body, and a cache would copy a type it
        // names onto the body it holds.
        if (r.status != 304 && r.status != 204) res.set(http::field::content_type, r.contentType);
        for (auto& [k, v] : r.headers) res.insert(k, v);
        res.body() = std::move(r.body);
        const bool keep = m_keepAlive && !m_stopRequested && !m_shared.stopping;
        res.keep_alive(keep);
        res.prepare_payload();
        lowest().expires_after(seconds(m_shared.options.writeTimeoutSeconds));
        http::async_write(m_stream, res, [self = this->shared_from_this(), keep](beast::error_code ec, std::size_t) {
            self->m_response.reset();
            if (ec) return self->close();
            if (!keep) return self->m_shared.stopping ? self->close() : self->lingeringClose();
            self->awaitNext();
        });
    }

    // After an answer that ends the connection: stop sending, then read and
    // drop what the client still sends (a body we refused) for a moment, so
    // the kernel does not reset the connection before it read our answer.
    void lingeringClose() {
        beast::error_code ignored;
        if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
            lowestSocket(m_stream).shutdown(tcp::socket::shutdown_send, ignored);
            lowest().expires_after(std::chrono::seconds(2));
            drain();
        } else {
            lowest().expires_after(std::chrono::seconds(2));
            m_stream.async_shutdown([self = this->shared_from_this()](beast::error_code) { self->close(); });
        }
    }

    void drain() {
        m_buffer.clear();
        m_stream.async_read_some(m_buffer.prepare(16 * 1024), [self = this->shared_from_this()](beast::error_code ec, std::size_t n) {
            self->m_drained += n;
            if (ec || self->m_drained > 4 * self->m_shared.options.maxBodyBytes) return self->close();
            self->drain();
        });
    }

    void close() {
        beast::error_code ignored;
        lowest().cancel();
        lowestSocket(m_stream).shutdown(tcp::socket::shutdown_both, ignored);
        lowestSocket(m_stream).close(ignored);
    }

    Shared& m_shared;
    std::unique_ptr<Slot> m_slot;
    Stream m_stream;
    const bool m_tls;
    beast::flat_buffer m_buffer{16 * 1024};
    std::optional<http::request_parser<http::string_body>> m_parser;
    std::optional<http::response<http::string_body>> m_response;
    std::size_t m_requests = 0;
    std::size_t m_drained = 0;
    unsigned m_version = 11;
    bool m_keepAlive = true;
    bool m_busy = false;  // a request is being read past its first byte, handled or answered
    bool m_stopRequested = false;
};

}  // namespace

// One io_context per Asio thread, each run by that thread alone, with the
// connections dealt to them in turn at accept: a connection's handlers then
// never cross threads (no strand), and one context's thread never has to
// wake another's to share work. One context run by several threads did
// that several times per request (its scheduler hands extra ready handlers
// to idle threads through a condition variable), a futex wake each on this
// machine's virtual CPUs (server/README.md, "HTTP front end").
struct HttpFront::Impl {
    explicit Impl(std::size_t ioThreads) : ios(makeContexts(ioThreads)), acceptor(*ios.front()) {}

    static std::vector<std::unique_ptr<asio::io_context>> makeContexts(std::size_t n) {
        std::vector<std::unique_ptr<asio::io_context>> out;
        for (std::size_t i = 0; i < n; ++i) out.push_back(std::make_unique<asio::io_context>(1));
        return out;
    }

    Shared shared;
    std::vector<std::unique_ptr<asio::io_context>> ios;
    tcp::acceptor acceptor;
    std::optional<ssl::context> tls;
    std::size_t nextIo = 0;  // the context the next connection goes to (the acceptor's thread only)
    // Keep the contexts of threads without connections running until stop().
    std::vector<asio::executor_work_guard<asio::io_context::executor_type>> keepRunning;

    void accept() {
        asio::io_context& io = *ios[nextIo];
        nextIo = (nextIo + 1) % ios.size();
        acceptor.async_accept(io.get_executor(), [this](beast::error_code ec, tcp::socket socket) {
            if (ec) {
                if (!acceptor.is_open()) return;  // stopped
                // EMFILE and the like: the connection was not taken; go on.
                shared.log.warn(strCat("accept failed: ", ec.message()));
                return accept();
            }
            onAccepted(std::move(socket));
            accept();
        });
    }

    void onAccepted(tcp::socket socket) {
        beast::error_code ec;
        const auto peer = socket.remote_endpoint(ec);
        if (ec) return;
        std::string address = peer.address().to_string();
        auto admitted = shared.admit(address);
        if (std::holds_alternative<int>(admitted)) {
            ++(std::get<int>(admitted) == 0 ? shared.counters.refusedPerAddress : shared.counters.refusedTotal);
            if (!tls) {
                // Best effort, never blocking: a plain client learns why.
                static constexpr std::string_view kBody =
                    R"({"error":{"code":"unavailable","message":"too many connections from this address"}})";
                const std::string busy = strCat("HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                                                "Retry-After: 1\r\nConnection: close\r\nContent-Length: ",
                                                kBody.size(), "\r\n\r\n", kBody);
                socket.non_blocking(true, ec);
                socket.write_some(asio::buffer(busy), ec);
            }
            socket.close(ec);
            return;
        }
        ++shared.counters.accepted;
        socket.set_option(tcp::no_delay(true), ec);
        auto slot = std::move(std::get<std::unique_ptr<Slot>>(admitted));
        // The connection starts on its own thread (this is the acceptor's),
        // so from its first operation on it is touched by that thread alone.
        const auto executor = socket.get_executor();
        if (tls) {
            auto c = std::make_shared<Connection<beast::ssl_stream<beast::tcp_stream>>>(
                shared, std::move(slot), beast::ssl_stream<beast::tcp_stream>(beast::tcp_stream(std::move(socket)), *tls), true);
            asio::dispatch(executor, [c] { c->start(); });
        } else {
            auto c = std::make_shared<Connection<beast::tcp_stream>>(shared, std::move(slot),
                                                                     beast::tcp_stream(std::move(socket)), false);
            asio::dispatch(executor, [c] { c->start(); });
        }
    }
};

HttpFront::HttpFront(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}

HttpFront::~HttpFront() {
    stop();
    if (m_impl->shared.pool) m_impl->shared.pool->shutdown();
}

Result<std::unique_ptr<HttpFront>> HttpFront::create(const HttpOptions& options, HttpHandler handler, Logger log,
                                                     HttpPlacer place) {
    auto impl = std::make_unique<Impl>(std::max<std::size_t>(1, options.ioThreads));
    impl->shared.options = options;
    impl->shared.handler = std::move(handler);
    impl->shared.place = std::move(place);
    impl->shared.fiberStacks = std::make_unique<FiberStacks>(kFiberStackBytes);
    impl->shared.log = std::move(log);
    if (options.tlsCertFile.empty() != options.tlsKeyFile.empty()) {
        return makeError(ErrorCode::kInvalidArgument, "TLS needs both --tls-cert and --tls-key");
    }
    if (!options.tlsCertFile.empty()) {
        auto& ctx = impl->tls.emplace(ssl::context::tls_server);
        ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                        ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
        // TLS 1.3 suites in the server's order: AES-128-GCM first (with
        // AES-NI, AES-GCM costs less than ChaCha20-Poly1305 on x86, and
        // AES-128 runs 10 rounds to AES-256's 14; OpenSSL's default order
        // puts AES-256 first), unless the client itself puts ChaCha20 first
        // (a device without AES instructions: PRIORITIZE_CHACHA).
        SSL_CTX_set_ciphersuites(ctx.native_handle(),
                                 "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256");
        SSL_CTX_set_options(ctx.native_handle(), SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_PRIORITIZE_CHACHA);
        beast::error_code ec;
        ctx.use_certificate_chain_file(options.tlsCertFile, ec);
        if (ec) return makeError(ErrorCode::kInvalidArgument, strCat("cannot use the TLS certificate ", options.tlsCertFile, ": ", ec.message()));
        ctx.use_private_key_file(options.tlsKeyFile, ssl::context::pem, ec);
        if (ec) return makeError(ErrorCode::kInvalidArgument, strCat("cannot use the TLS key ", options.tlsKeyFile, ": ", ec.message()));
    }
    return std::unique_ptr<HttpFront>(new HttpFront(std::move(impl)));
}

Result<int> HttpFront::bind() {
    auto& a = m_impl->acceptor;
    const auto& o = m_impl->shared.options;
    beast::error_code ec;
    const auto address = asio::ip::make_address(o.host, ec);
    if (ec) return makeError(ErrorCode::kInvalidArgument, strCat("not an IP address: ", o.host));
    const tcp::endpoint endpoint(address, static_cast<std::uint16_t>(o.port));
    a.open(endpoint.protocol(), ec);
    // SO_REUSEADDR only: SO_REUSEPORT would let a second server silently share the port.
    if (!ec) a.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) a.bind(endpoint, ec);
    if (!ec) a.listen(1024, ec);  // hundreds of clients connect at once
    if (ec) return makeError(ErrorCode::kIo, strCat("could not bind ", o.host, ":", o.port, ": ", ec.message()));
    return static_cast<int>(a.local_endpoint().port());
}

Result<void> HttpFront::run() {
    auto& impl = *m_impl;
    if (!impl.acceptor.is_open()) return makeError(ErrorCode::kIo, "run() before bind()");
    impl.shared.pool = std::make_unique<WorkerPool>(std::max<std::size_t>(1, impl.shared.options.workers),
                                                    std::max<std::size_t>(1, impl.shared.options.maxQueuedRequests));
    for (auto& io : impl.ios) impl.keepRunning.push_back(asio::make_work_guard(*io));
    impl.accept();
    std::vector<std::thread> threads;
    for (std::size_t i = 1; i < impl.ios.size(); ++i) {
        threads.emplace_back([&impl, i] {
            pthread_setname_np(pthread_self(), "mxr-http-io");
            impl.ios[i]->run();
        });
    }
    impl.ios.front()->run();
    for (auto& t : threads) t.join();
    impl.shared.pool->shutdown();
    return {};
}

void HttpFront::stop() {
    auto& impl = *m_impl;
    if (impl.shared.stopping.exchange(true)) return;
    asio::post(*impl.ios.front(), [&impl] {
        beast::error_code ec;
        impl.acceptor.close(ec);
        // From here each context's run() returns once its connections are done.
        for (auto& guard : impl.keepRunning) guard.reset();
        std::vector<std::shared_ptr<ConnectionBase>> live;
        {
            std::lock_guard lock(impl.shared.mutex);
            for (auto& [p, weak] : impl.shared.live) {
                if (auto c = weak.lock()) live.push_back(std::move(c));
            }
        }
        for (auto& c : live) c->requestStop();
    });
}

HttpFrontCounters HttpFront::counters() const {
    const auto& c = m_impl->shared.counters;
    return {c.accepted, c.refusedPerAddress, c.refusedTotal, c.headerDeadline, c.bodyDeadline, c.idleClosed, c.queueFull,
            c.requests};
}

}  // namespace mxr::server
