#pragma once
// The HTTP/JSON binding of the handler layer: /healthz and /api/v1 through
// the one Router (router.h), served by an event-driven front end
// (Boost.Beast on Asio, server/src/http_front.h) with deadlines, connection
// limits, a bounded request queue and optional TLS. All rules live in
// Handlers and the Router.
//
// Threads: run() serves on `ioThreads` Asio threads (the calling thread is
// one); idle or slow connections hold no thread. Requests run on `workers`
// threads (handlers block while their write's group commit is fsynced,
// which is what lets the writer batch them), so `workers` bounds the
// requests in progress at once, not the connections.
#include <cstddef>
#include <ctime>
#include <memory>
#include <string>

#include "engine/core/log.h"
#include "engine/core/result.h"
#include "server/handlers.h"
#include "server/rooms.h"

namespace mxr::server {

class WebRoutes;  // web_routes.h (issue 17)

struct HttpOptions {
    std::string host = "127.0.0.1";
    int port = 8080;                       // 0 binds a free port
    std::size_t ioThreads = 2;             // Asio threads: accept, parse, write
    std::size_t workers = 256;             // requests handled at once (handlers may block)
    std::size_t maxQueuedRequests = 1024;  // waiting for a worker; beyond: 503
    std::size_t maxConnections = 8192;     // open at once; beyond: closed at accept
    std::size_t maxConnectionsPerAddress = 256;  // from one IP address; beyond: 503 and closed
    std::size_t keepAliveMaxRequests = 100000;   // per connection, then Connection: close
    double keepAliveTimeoutSeconds = 5;    // idle between requests; also bounds how long a stop waits
    double headerTimeoutSeconds = 10;      // total, from the first byte (or the accept) to the end of the headers
    double bodyTimeoutSeconds = 30;        // total, from the end of the headers to the end of the body
    double writeTimeoutSeconds = 10;       // total, for writing one answer
    std::size_t maxHeaderBytes = 16 * 1024;  // larger request headers answer 431
    std::size_t maxBodyBytes = 256 * 1024; // larger bodies answer 413
    // TLS: both set serves HTTPS only (PEM files, read at start-up).
    std::string tlsCertFile;
    std::string tlsKeyFile;
    // The address of a reverse proxy whose X-Forwarded-For header names the
    // client (for the login limits); empty: the header is ignored.
    std::string trustedProxy;
};

class HttpServer {
public:
    // rooms (may be null: no /rooms routes) serves POST /api/v1/rooms/{name}/ticket.
    // web (may be null: no web app) is asked first about every request (issue 17).
    HttpServer(Handlers& handlers, HttpOptions options, Logger logger, RoomService* rooms = nullptr,
               WebRoutes* web = nullptr);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    // Binds the listening socket; returns the port (the real one for port 0).
    Result<int> bind();
    // Serves until stop(); call after bind(). Blocks the calling thread.
    Result<void> run();
    // Thread-safe; makes run() return after in-flight requests finish.
    void stop();

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

}  // namespace mxr::server
