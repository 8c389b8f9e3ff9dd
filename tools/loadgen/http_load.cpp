#include "http_load.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <thread>

#include "engine/core/clock.h"

namespace mxr::loadgen {
namespace {

using Clock = std::chrono::steady_clock;

// A connected, non-blocking socket; with `tls`, the handshake is done
// (blocking, before the phase starts) and *ssl is set.
int openConnection(const LoadOptions& o, SSL_CTX* tls = nullptr, SSL** ssl = nullptr) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(o.port));
    if (::inet_pton(AF_INET, o.host.c_str(), &a.sin_addr) != 1 ||
        ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(fd);
        return -1;
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (tls) {
        *ssl = SSL_new(tls);
        SSL_set_fd(*ssl, fd);
        if (SSL_connect(*ssl) != 1) {
            SSL_free(*ssl);
            *ssl = nullptr;
            ::close(fd);
            return -1;
        }
        SSL_set_mode(*ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    }
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

// send()/recv() through TLS when there is a session: -1 with errno EAGAIN
// when it would block, 0 at the end of the stream.
ssize_t ioSend(int fd, SSL* ssl, const char* data, std::size_t n) {
    if (!ssl) return ::send(fd, data, n, MSG_NOSIGNAL);
    const int r = SSL_write(ssl, data, static_cast<int>(n));
    if (r > 0) return r;
    const int e = SSL_get_error(ssl, r);
    errno = (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) ? EAGAIN : EPIPE;
    return -1;
}
ssize_t ioRecv(int fd, SSL* ssl, char* data, std::size_t n) {
    if (!ssl) return ::recv(fd, data, n, 0);
    const int r = SSL_read(ssl, data, static_cast<int>(n));
    if (r > 0) return r;
    const int e = SSL_get_error(ssl, r);
    if (e == SSL_ERROR_ZERO_RETURN) return 0;
    errno = (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) ? EAGAIN : ECONNRESET;
    return -1;
}

// What one complete answer at the front of `in` looks like, if it is there.
struct Answer {
    bool complete = false;
    bool malformed = false;
    int status = 0;
    std::size_t length = 0;  // header + body bytes
};

Answer parseAnswer(const std::string& in) {
    Answer a;
    const auto headerEnd = in.find("\r\n\r\n");
    if (headerEnd == std::string::npos) {
        a.malformed = in.size() > 64 * 1024;
        return a;
    }
    if (in.compare(0, 9, "HTTP/1.1 ") != 0 || headerEnd < 12) {
        a.malformed = true;
        return a;
    }
    a.status = std::atoi(in.c_str() + 9);
    std::size_t bodyLength = 0;
    bool haveLength = false;
    for (std::size_t line = in.find("\r\n") + 2; line < headerEnd;) {
        const std::size_t next = in.find("\r\n", line);
        static constexpr char kName[] = "content-length:";
        if (next - line > sizeof kName - 1 && strncasecmp(in.c_str() + line, kName, sizeof kName - 1) == 0) {
            bodyLength = std::strtoull(in.c_str() + line + sizeof kName - 1, nullptr, 10);
            haveLength = true;
        }
        line = next + 2;
    }
    if (!haveLength) {
        a.malformed = true;
        return a;
    }
    a.length = headerEnd + 4 + bodyLength;
    a.complete = in.size() >= a.length;
    return a;
}

struct Connection {
    int index = 0;
    int fd = -1;
    SSL* ssl = nullptr;           // with LoadOptions::tls
    std::uint64_t sent = 0;       // requests sent
    bool inFlight = false;
    Clock::time_point due;        // when the request in flight (or the next one) was due
    std::string out;
    std::size_t outOffset = 0;
    std::string in;
};

struct ThreadResult {
    std::uint64_t ok = 0, errors = 0, reconnects = 0;
    std::vector<double> latencyMs;
    std::string firstError;
};

class Worker {
public:
    Worker(const LoadOptions& o, const RequestBuilder& build, int expectedStatus, std::vector<int> indices, SSL_CTX* tls)
        : m_o(o), m_build(build), m_expected(expectedStatus), m_tls(tls) {
        m_epoll = ::epoll_create1(EPOLL_CLOEXEC);
        for (int i : indices) {
            Connection c;
            c.index = i;
            c.fd = openConnection(o, m_tls, &c.ssl);
            if (c.fd < 0) throw std::runtime_error("cannot connect to " + o.host + ":" + std::to_string(o.port));
            m_conns.push_back(std::move(c));
        }
        for (std::size_t k = 0; k < m_conns.size(); ++k) watch(m_conns[k], k, EPOLLIN);
        m_result.latencyMs.reserve(1 << 18);
    }
    ~Worker() {
        for (auto& c : m_conns) {
            if (c.ssl) SSL_free(c.ssl);
            if (c.fd >= 0) ::close(c.fd);
        }
        ::close(m_epoll);
    }

    void run(Clock::time_point start, Clock::time_point end) {
        const bool open = m_o.ratePerSecond > 0;
        const auto interval = open ? std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
                                         static_cast<double>(m_o.connections) / m_o.ratePerSecond))
                                   : Clock::duration::zero();
        for (auto& c : m_conns) {
            // Stagger the connections evenly over one interval.
            c.due = start + interval * c.index / std::max(1, m_o.connections);
        }
        std::vector<epoll_event> events(m_conns.size() + 1);
        for (;;) {
            auto now = Clock::now();
            if (now >= end) break;
            auto wake = end;
            for (std::size_t k = 0; k < m_conns.size(); ++k) {
                Connection& c = m_conns[k];
                if (c.inFlight) continue;
                if (c.due <= now) {
                    send(c, k);
                } else {
                    wake = std::min(wake, c.due);
                }
            }
            // Sleep to the next due request to the microsecond: epoll_wait's
            // milliseconds would either spin (rounding down) or send late.
            const auto waitNs = std::clamp<long long>(
                std::chrono::duration_cast<std::chrono::nanoseconds>(wake - now).count(), 0, 100'000'000);
            const timespec timeout{static_cast<time_t>(waitNs / 1'000'000'000), static_cast<long>(waitNs % 1'000'000'000)};
            const int n = ::epoll_pwait2(m_epoll, events.data(), static_cast<int>(events.size()), &timeout, nullptr);
            for (int e = 0; e < n; ++e) {
                const std::size_t k = events[e].data.u64;
                Connection& c = m_conns[k];
                if (events[e].events & EPOLLOUT) flush(c, k);
                if (events[e].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) receive(c, k, interval, end);
            }
        }
    }

    ThreadResult& result() { return m_result; }

private:
    void watch(Connection& c, std::size_t k, std::uint32_t what) {
        epoll_event ev{};
        ev.events = what;
        ev.data.u64 = k;
        if (::epoll_ctl(m_epoll, EPOLL_CTL_MOD, c.fd, &ev) != 0) ::epoll_ctl(m_epoll, EPOLL_CTL_ADD, c.fd, &ev);
    }

    void send(Connection& c, std::size_t k) {
        c.out = m_build(c.index, c.sent++);
        c.outOffset = 0;
        c.inFlight = true;
        if (m_o.ratePerSecond <= 0) c.due = Clock::now();
        flush(c, k);
    }

    void flush(Connection& c, std::size_t k) {
        while (c.outOffset < c.out.size()) {
            const ssize_t n = ioSend(c.fd, c.ssl, c.out.data() + c.outOffset, c.out.size() - c.outOffset);
            if (n > 0) {
                c.outOffset += static_cast<std::size_t>(n);
            } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                watch(c, k, EPOLLIN | EPOLLOUT);
                return;
            } else {
                return broken(c, k, "send failed");
            }
        }
        watch(c, k, EPOLLIN);
    }

    void receive(Connection& c, std::size_t k, Clock::duration interval, Clock::time_point end) {
        char buf[16384];
        for (;;) {
            const ssize_t n = ioRecv(c.fd, c.ssl, buf, sizeof buf);
            if (n > 0) {
                c.in.append(buf, static_cast<std::size_t>(n));
                continue;
            }
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
            return broken(c, k, n == 0 ? "the server closed the connection" : "recv failed");
        }
        for (;;) {
            const Answer a = parseAnswer(c.in);
            if (a.malformed) return broken(c, k, "malformed answer");
            if (!a.complete) return;
            const auto now = Clock::now();
            if (!c.inFlight) return broken(c, k, "an answer nobody asked for");
            if (now <= end) {
                if (a.status == m_expected) {
                    ++m_result.ok;
                    m_result.latencyMs.push_back(std::chrono::duration<double, std::milli>(now - c.due).count());
                } else {
                    ++m_result.errors;
                    if (m_result.firstError.empty()) m_result.firstError = c.in.substr(0, std::min<std::size_t>(a.length, 300));
                }
            }
            c.in.erase(0, a.length);
            c.inFlight = false;
            c.due += interval;  // open loop: the next one's slot; closed loop: reset when sent
        }
    }

    void broken(Connection& c, std::size_t k, const char* why) {
        if (c.inFlight) ++m_result.errors;
        if (m_result.firstError.empty()) m_result.firstError = why;
        ++m_result.reconnects;
        ::epoll_ctl(m_epoll, EPOLL_CTL_DEL, c.fd, nullptr);
        if (c.ssl) SSL_free(c.ssl);
        c.ssl = nullptr;
        ::close(c.fd);
        c.in.clear();
        c.inFlight = false;
        c.fd = openConnection(m_o, m_tls, &c.ssl);
        if (c.fd < 0) throw std::runtime_error(std::string("lost a connection (") + why + ") and cannot reconnect");
        watch(c, k, EPOLLIN);
    }

    const LoadOptions& m_o;
    const RequestBuilder& m_build;
    int m_expected;
    SSL_CTX* m_tls;
    int m_epoll = -1;
    std::vector<Connection> m_conns;
    ThreadResult m_result;
};

}  // namespace

double LoadResult::percentileMs(double p) const {
    if (latencyMs.empty()) return 0;
    const auto k = static_cast<std::size_t>(p * static_cast<double>(latencyMs.size() - 1) + 0.5);
    return latencyMs[std::min(k, latencyMs.size() - 1)];
}

LoadResult runLoad(const LoadOptions& o, const RequestBuilder& build, int expectedStatus) {
    const int threads = std::clamp(o.threads, 1, std::max(1, o.connections));
    std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> tls(o.tls ? SSL_CTX_new(TLS_client_method()) : nullptr, &SSL_CTX_free);
    if (o.tls && !tls) throw std::runtime_error("cannot create a TLS context");
    std::vector<std::unique_ptr<Worker>> workers;
    for (int t = 0; t < threads; ++t) {
        std::vector<int> mine;
        for (int i = t; i < o.connections; i += threads) mine.push_back(i);
        workers.push_back(std::make_unique<Worker>(o, build, expectedStatus, std::move(mine), tls.get()));
    }
    const double cpu0 = mxr::processCpuSeconds();
    const auto start = Clock::now() + std::chrono::milliseconds(20);
    const auto end = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.seconds));
    std::vector<std::thread> running;
    std::vector<std::exception_ptr> failures(workers.size());
    for (std::size_t t = 0; t < workers.size(); ++t) {
        running.emplace_back([&, t] {
            try {
                std::this_thread::sleep_until(start);
                workers[t]->run(start, end);
            } catch (...) {
                failures[t] = std::current_exception();
            }
        });
    }
    for (auto& t : running) t.join();
    for (auto& f : failures) {
        if (f) std::rethrow_exception(f);
    }
    LoadResult r;
    r.wallSeconds = std::chrono::duration<double>(end - start).count();
    r.cpuSeconds = mxr::processCpuSeconds() - cpu0;
    for (auto& w : workers) {
        auto& x = w->result();
        r.ok += x.ok;
        r.errors += x.errors;
        r.reconnects += x.reconnects;
        if (r.firstError.empty()) r.firstError = x.firstError;
        r.latencyMs.insert(r.latencyMs.end(), x.latencyMs.begin(), x.latencyMs.end());
    }
    std::sort(r.latencyMs.begin(), r.latencyMs.end());
    return r;
}

}  // namespace mxr::loadgen
