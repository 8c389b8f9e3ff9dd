// The impairment proxy moving real UDP datagrams on 127.0.0.1 both ways.
#include "impair_proxy.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <thread>

namespace mxr::tools {
namespace {

struct Socket {
    int fd = -1;
    std::uint16_t port = 0;
    Socket() {
        fd = ::socket(AF_INET, SOCK_DGRAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
        socklen_t len = sizeof a;
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
        port = ntohs(a.sin_port);
    }
    ~Socket() { ::close(fd); }
    void sendTo(std::uint16_t to, std::uint32_t value) const {
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a.sin_port = htons(to);
        ::sendto(fd, &value, sizeof value, 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
    }
    // Values received until `quietMs` pass without one; replies to each
    // sender with the value + 1000 when `echo`.
    std::vector<std::uint32_t> receiveAll(int quietMs, bool echo = false) const {
        std::vector<std::uint32_t> out;
        pollfd p{fd, POLLIN, 0};
        while (::poll(&p, 1, quietMs) > 0) {
            std::uint32_t v = 0;
            sockaddr_in from{};
            socklen_t len = sizeof from;
            if (::recvfrom(fd, &v, sizeof v, 0, reinterpret_cast<sockaddr*>(&from), &len) == sizeof v) {
                out.push_back(v);
                if (echo) {
                    const std::uint32_t reply = v + 1000;
                    ::sendto(fd, &reply, sizeof reply, 0, reinterpret_cast<sockaddr*>(&from), len);
                }
            }
        }
        return out;
    }
};

class ProxyRun {
public:
    ProxyRun(net::ImpairmentConfig up, net::ImpairmentConfig down, std::uint16_t target) {
        ImpairProxyConfig cfg;
        cfg.targetPort = target;
        cfg.upstream = up;
        cfg.downstream = down;
        auto p = ImpairProxy::create(cfg, m_clock, Logger());
        EXPECT_TRUE(p) << p.error().message;
        m_proxy = std::move(*p);
        m_thread = std::thread([this] {
            while (m_run.load()) m_proxy->runFor(msToNanos(5));
        });
    }
    ~ProxyRun() { stop(); }
    void stop() {
        m_run.store(false);
        if (m_thread.joinable()) m_thread.join();
    }
    std::uint16_t port() const { return m_proxy->port(); }
    // Stops the proxy's thread first: the stats belong to it.
    ImpairProxyStats stats() {
        stop();
        return m_proxy->stats();
    }

private:
    SteadyClock m_clock;
    std::unique_ptr<ImpairProxy> m_proxy;
    std::atomic<bool> m_run{true};
    std::thread m_thread;
};

TEST(ImpairProxy, CleanLinkDeliversEverythingInOrderBothWays) {
    Socket target, client;
    ProxyRun proxy({}, {}, target.port);
    for (std::uint32_t i = 0; i < 100; ++i) {
        client.sendTo(proxy.port(), i);
        std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    const auto got = target.receiveAll(500, /*echo=*/true);
    ASSERT_EQ(got.size(), 100u);
    for (std::uint32_t i = 0; i < 100; ++i) EXPECT_EQ(got[i], i);
    const auto replies = client.receiveAll(500);
    ASSERT_EQ(replies.size(), 100u);
    EXPECT_EQ(replies.front(), 1000u);
}

TEST(ImpairProxy, LossDropsAboutThatShareAndCountsIt) {
    Socket target, client;
    net::ImpairmentConfig lossy;
    lossy.loss = 0.5;
    lossy.seed = 3;
    ProxyRun proxy(lossy, {}, target.port);
    for (std::uint32_t i = 0; i < 400; ++i) {
        client.sendTo(proxy.port(), i);
        std::this_thread::sleep_for(std::chrono::microseconds(200));  // no socket-buffer overflow
    }
    const auto got = target.receiveAll(500);
    const auto s = proxy.stats();
    EXPECT_EQ(s.received, 400u);
    EXPECT_EQ(got.size(), s.received - s.dropped);  // what it did not drop, it delivered
    EXPECT_GT(s.dropped, 120u);
    EXPECT_LT(s.dropped, 280u);
}

TEST(ImpairProxy, DuplicationAndJitterReorder) {
    Socket target, client;
    net::ImpairmentConfig bad;
    bad.duplicate = 1.0;
    bad.delay = msToNanos(30);
    bad.jitter = msToNanos(30);
    ProxyRun proxy(bad, {}, target.port);
    for (std::uint32_t i = 0; i < 100; ++i) {
        client.sendTo(proxy.port(), i);
        std::this_thread::sleep_for(std::chrono::microseconds(500));
    }
    const auto got = target.receiveAll(500);
    EXPECT_EQ(got.size(), 200u);
    std::size_t outOfOrder = 0;
    for (std::size_t i = 1; i < got.size(); ++i) outOfOrder += got[i] < got[i - 1];
    EXPECT_GT(outOfOrder, 10u);
}

TEST(ImpairProxy, OutageDropsEverythingWhileItLasts) {
    Socket target, client;
    net::ImpairmentConfig out;
    out.outageEvery = msToNanos(1e9);
    out.outageLength = msToNanos(1e9);  // from the start, for good
    ProxyRun proxy(out, {}, target.port);
    for (std::uint32_t i = 0; i < 50; ++i) client.sendTo(proxy.port(), i);
    EXPECT_TRUE(target.receiveAll(200).empty());
    EXPECT_EQ(proxy.stats().dropped, 50u);
}

}  // namespace
}  // namespace mxr::tools
