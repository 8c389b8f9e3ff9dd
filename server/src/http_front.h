#pragma once
// The event-driven HTTP/1.1 front end (Boost.Beast on Asio, optional TLS
// through OpenSSL). It owns the sockets, the deadlines and the limits, and
// hands each complete request to an HttpHandler on a bounded pool of worker
// threads; it knows nothing about routes. server/README.md ("HTTP front
// end") describes the limits and why they are what they are.
//
// Threads: run() runs `ioThreads` Asio threads (the calling thread is one of
// them) that accept, read, parse and write; idle and slow connections cost
// no thread. Handlers run where the placer puts them (HttpPlacement): on
// the Asio thread, in a fiber there, or on `workers` threads (they may
// block). At most `maxQueuedRequests` requests
// wait for a worker; beyond that the front end answers 503 itself.
//
// Errors: bad configuration (TLS files, address) comes back from create()
// and bind(); a bad request gets a JSON error answer, a connection that
// misses a deadline is closed, and the server keeps serving.
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/core/log.h"
#include "engine/core/result.h"
#include "server/http_server.h"

namespace mxr::server {

// A request as the front end read it: transport-neutral, so the routes
// (the records router, the web app's files) never see a socket.
struct HttpRequest {
    std::string method;   // "GET", "POST", ...
    std::string target;   // as sent: path and query, still URL-encoded
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::string address;  // the peer's IP address (not a proxy's header: see HttpServer)
    bool tls = false;

    // The first header of that name (case-insensitive); empty if absent.
    std::string header(std::string_view name) const;
};

struct HttpResponse {
    int status = 200;
    std::string contentType = "application/json";
    std::vector<std::pair<std::string, std::string>> headers;  // beside Content-Type/Length
    std::string body;
    // The body carries a secret (a bearer token, a CSRF token, a room
    // ticket): the front end never compresses it (BREACH). Other text
    // bodies of 1 KiB and more are sent gzipped to clients that accept it
    // (http_gzip.h, server/README.md "Compression").
    bool secret = false;
};

// Called on a worker thread, once per request; must not throw (a throw is
// caught, logged and answered 500).
using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;
// Where a request's handler runs. kIoThread: on the Asio thread that read
// it, for requests that are quick and never wait (reads): no thread
// hand-off. kIoFiber: there too, in a fiber that the store's group commit
// suspends and resumes (request_fiber.h), for requests whose one wait is
// Store::write. kWorker: on the worker pool, for anything that may block
// otherwise (password hashing, exports, the room service).
enum class HttpPlacement { kWorker, kIoThread, kIoFiber };
using HttpPlacer = std::function<HttpPlacement(const HttpRequest&)>;

// What the front end did to hostile or unlucky clients, for tests and logs.
struct HttpFrontCounters {
    std::uint64_t accepted = 0;
    std::uint64_t refusedPerAddress = 0;   // over maxConnectionsPerAddress
    std::uint64_t refusedTotal = 0;        // over maxConnections
    std::uint64_t headerDeadline = 0;      // closed: headers not complete in time
    std::uint64_t bodyDeadline = 0;        // closed: body not complete in time
    std::uint64_t idleClosed = 0;          // closed: keep-alive idle timeout
    std::uint64_t queueFull = 0;           // answered 503
    std::uint64_t requests = 0;            // handed to the handler
};

class HttpFront {
public:
    static Result<std::unique_ptr<HttpFront>> create(const HttpOptions& options, HttpHandler handler, Logger log,
                                                     HttpPlacer place = {});
    ~HttpFront();
    HttpFront(const HttpFront&) = delete;
    HttpFront& operator=(const HttpFront&) = delete;

    Result<int> bind();
    Result<void> run();  // blocks until stop()
    void stop();         // thread-safe
    HttpFrontCounters counters() const;

private:
    struct Impl;
    explicit HttpFront(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

}  // namespace mxr::server
