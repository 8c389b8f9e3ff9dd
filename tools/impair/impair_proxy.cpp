#include "impair_proxy.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace mxr::tools {
namespace {

std::uint64_t key(const sockaddr_in& a) {
    return (static_cast<std::uint64_t>(a.sin_addr.s_addr) << 16) | a.sin_port;
}

int udpSocket(std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_ANY);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

}  // namespace

Result<std::unique_ptr<ImpairProxy>> ImpairProxy::create(const ImpairProxyConfig& config, const Clock& clock,
                                                         Logger log) {
    std::unique_ptr<ImpairProxy> p(new ImpairProxy(config, clock, std::move(log)));
    addrinfo hints{};
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_DGRAM;
    addrinfo* res = nullptr;
    if (::getaddrinfo(config.targetHost.c_str(), nullptr, &hints, &res) != 0 || !res) {
        return makeError(ErrorCode::kNotFound, strCat("cannot resolve target host '", config.targetHost, "'"));
    }
    p->m_target = *reinterpret_cast<sockaddr_in*>(res->ai_addr);
    p->m_target.sin_port = htons(config.targetPort);
    ::freeaddrinfo(res);
    p->m_listen = udpSocket(config.listenPort);
    if (p->m_listen < 0) {
        return makeError(ErrorCode::kIo, strCat("cannot bind UDP port ", config.listenPort, ": ", std::strerror(errno)), errno);
    }
    sockaddr_in bound{};
    socklen_t len = sizeof bound;
    ::getsockname(p->m_listen, reinterpret_cast<sockaddr*>(&bound), &len);
    p->m_port = ntohs(bound.sin_port);
    return p;
}

ImpairProxy::~ImpairProxy() {
    if (m_listen >= 0) ::close(m_listen);
    for (auto& [k, fd] : m_upstreamByClient) ::close(fd);
}

int ImpairProxy::upstreamFor(const sockaddr_in& client) {
    auto it = m_upstreamByClient.find(key(client));
    if (it != m_upstreamByClient.end()) return it->second;
    const int fd = udpSocket(0);
    if (fd < 0) return -1;
    m_upstreamByClient[key(client)] = fd;
    m_clientByUpstream[fd] = client;
    return fd;
}

void ImpairProxy::schedule(net::Impairment& imp, int fd, const sockaddr_in& to, const std::uint8_t* data,
                           std::size_t n) {
    ++m_stats.received;
    const Nanos now = m_clock.now();
    const auto delays = imp.decide(now);
    if (delays.empty()) ++m_stats.dropped;
    for (Nanos d : delays) {
        m_pending.push(Pending{now + d, m_order++, fd, to, std::vector<std::uint8_t>(data, data + n)});
    }
}

void ImpairProxy::runFor(Nanos duration) {
    const Nanos end = m_clock.now() + duration;
    std::vector<std::uint8_t> buf(65536);
    std::vector<pollfd> fds;
    for (;;) {
        Nanos now = m_clock.now();
        while (!m_pending.empty() && m_pending.top().due <= now) {
            const Pending& p = m_pending.top();
            ::sendto(p.fd, p.data.data(), p.data.size(), 0, reinterpret_cast<const sockaddr*>(&p.to), sizeof p.to);
            ++m_stats.forwarded;
            m_pending.pop();
        }
        if (now >= end) return;
        Nanos wait = end - now;
        if (!m_pending.empty()) wait = std::min(wait, m_pending.top().due - now);
        fds.clear();
        fds.push_back(pollfd{m_listen, POLLIN, 0});
        for (auto& [fd, client] : m_clientByUpstream) fds.push_back(pollfd{fd, POLLIN, 0});
        const int ms = static_cast<int>((wait + 999'999) / 1'000'000);
        if (::poll(fds.data(), fds.size(), ms) <= 0) continue;
        for (const pollfd& f : fds) {
            if (!(f.revents & POLLIN)) continue;
            for (;;) {
                sockaddr_in from{};
                socklen_t len = sizeof from;
                const ssize_t n = ::recvfrom(f.fd, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &len);
                if (n < 0) break;
                if (f.fd == m_listen) {
                    const int up = upstreamFor(from);
                    if (up >= 0) schedule(m_up, up, m_target, buf.data(), static_cast<std::size_t>(n));
                } else {
                    schedule(m_down, m_listen, m_clientByUpstream[f.fd], buf.data(), static_cast<std::size_t>(n));
                }
            }
        }
    }
}

}  // namespace mxr::tools
