#pragma once
// The HTTP/JSON binding of the handler layer (cpp-httplib). It parses
// requests, authenticates the bearer token, calls Handlers and writes JSON;
// all rules live in Handlers.
//
// Threads: run() accepts on the calling thread; requests are served by a
// pool of `workers` threads. cpp-httplib serves one keep-alive connection per
// worker for its whole life, so workers should be at least the number of
// clients expected to stay connected (handlers block while their write's
// group commit is fsynced, which is what lets the writer batch them).
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
    std::size_t workers = 256;             // cpp-httplib's default is 8
    std::size_t keepAliveMaxRequests = 100000;  // per connection (default 5)
    std::time_t keepAliveTimeoutSeconds = 5;   // also bounds how long a stop waits for idle connections
    std::time_t readTimeoutSeconds = 10;
    std::time_t writeTimeoutSeconds = 10;
    std::size_t maxBodyBytes = 256 * 1024; // larger bodies answer 413 (default: unlimited)
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
