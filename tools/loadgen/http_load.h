#pragma once
// An event-driven HTTP/1.1 keep-alive load engine for mentorxr-loadgen (the
// way wrk drives servers): a few threads, each with an epoll set of
// connections; every request is one write() of a pre-built request and its
// answer is read until its Content-Length is complete. The load generator's
// own CPU then stays small next to the server's (one thread per client with
// a general-purpose HTTP client used about half of this machine's 2 cores).
//
// Two ways to load:
// - closed loop (ratePerSecond == 0): each connection sends its next
//   request as soon as the previous answer is complete; throughput is what
//   the server can do with that many clients waiting on it, and latency is
//   then mostly queueing (mean = clients / throughput).
// - open loop (ratePerSecond > 0): requests are due on a fixed schedule
//   (the total rate spread evenly over the connections, staggered); a
//   connection still waiting for an answer sends the next one as soon as it
//   can, and every latency is measured from the time the request was due,
//   not from when it could be sent, so a server that falls behind is not
//   flattered by its clients waiting for it ("coordinated omission").
//
// Not thread-safe; run() blocks until the phase ends.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace mxr::loadgen {

struct LoadOptions {
    std::string host = "127.0.0.1";  // numeric IPv4 address
    int port = 8080;
    int connections = 1;
    int threads = 2;             // at most `connections`
    double seconds = 5;
    double ratePerSecond = 0;    // 0: closed loop
    bool tls = false;            // HTTPS (the server's certificate is not verified: loopback load only)
};

// Builds the complete bytes of request `n` (0, 1, ...) on connection `conn`.
using RequestBuilder = std::function<std::string(int conn, std::uint64_t n)>;

struct LoadResult {
    std::uint64_t ok = 0;         // answers with the expected status
    std::uint64_t errors = 0;     // other statuses, broken connections
    std::uint64_t reconnects = 0;
    double wallSeconds = 0;
    double cpuSeconds = 0;        // this process, during the phase
    std::vector<double> latencyMs;  // of the ok answers, sorted
    std::string firstError;       // e.g. the first unexpected status line

    double percentileMs(double p) const;
};

// Opens the connections, runs the phase, closes them. Throws
// std::runtime_error when it cannot connect at all.
LoadResult runLoad(const LoadOptions& options, const RequestBuilder& build, int expectedStatus);

}  // namespace mxr::loadgen
