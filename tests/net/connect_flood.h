#pragma once
// A CONNECT flood against a room host on 127.0.0.1, for the attack and soak
// tests: bare ENet CONNECT commands from loopback addresses 127.0.0.1 up to
// 127.0.0.<addresses> (a spoofer forges its victims' addresses, so the
// legitimate clients' own is among them), each with a new connect id, that
// never complete the handshake (the host's cookie challenges are counted
// and never answered). A thread of its own sends about `perSecond` of them
// until stop() or destruction.
//
// Thread: construct, read the counters and stop() from one thread; the
// counters are atomics updated by the flood's thread.
#include <arpa/inet.h>
#include <enet/enet.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

#include "net/messages.h"  // kChannelCount

namespace mxr::net::testing {

// What ENet's enet_host_connect sends (see handshake_test.cpp).
inline std::vector<std::uint8_t> bareConnect(std::uint32_t connectId) {
    std::vector<std::uint8_t> d(sizeof(ENetProtocolHeader) + sizeof(ENetProtocolConnect));
    ENetProtocolHeader h{};
    h.peerID = htons(static_cast<std::uint16_t>(int(ENET_PROTOCOL_MAXIMUM_PEER_ID) |
                                                int(ENET_PROTOCOL_HEADER_FLAG_SENT_TIME)));
    ENetProtocolConnect c{};
    c.header.command = static_cast<std::uint8_t>(int(ENET_PROTOCOL_COMMAND_CONNECT) |
                                                 int(ENET_PROTOCOL_COMMAND_FLAG_ACKNOWLEDGE));
    c.header.channelID = 0xFF;
    c.header.reliableSequenceNumber = htons(1);
    c.incomingSessionID = c.outgoingSessionID = 0xFF;
    c.mtu = htonl(1400);
    c.windowSize = htonl(ENET_PROTOCOL_MAXIMUM_WINDOW_SIZE);
    c.channelCount = htonl(kChannelCount);
    c.packetThrottleInterval = htonl(ENET_PEER_PACKET_THROTTLE_INTERVAL);
    c.packetThrottleAcceleration = htonl(ENET_PEER_PACKET_THROTTLE_ACCELERATION);
    c.packetThrottleDeceleration = htonl(ENET_PEER_PACKET_THROTTLE_DECELERATION);
    c.connectID = connectId;
    std::memcpy(d.data(), &h, sizeof h);
    std::memcpy(d.data() + sizeof h, &c, sizeof c);
    return d;
}

class ConnectFlood {
public:
    ConnectFlood(std::uint16_t port, int addresses, double perSecond) {
        for (int a = 1; a <= addresses; ++a) {
            const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
            sockaddr_in local{};
            local.sin_family = AF_INET;
            local.sin_addr.s_addr = htonl(0x7f000000u | static_cast<std::uint32_t>(a));
            if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) == 0) {
                ::fcntl(fd, F_SETFL, O_NONBLOCK);
                m_sockets.push_back(fd);
            } else if (fd >= 0) {
                ::close(fd);
            }
        }
        m_to.sin_family = AF_INET;
        m_to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        m_to.sin_port = htons(port);
        const auto round = std::chrono::duration<double>(static_cast<double>(m_sockets.size()) / std::max(1.0, perSecond));
        m_thread = std::thread([this, round] { run(std::chrono::duration_cast<std::chrono::nanoseconds>(round)); });
    }
    ~ConnectFlood() {
        stop();
        for (int fd : m_sockets) ::close(fd);
    }
    ConnectFlood(const ConnectFlood&) = delete;
    ConnectFlood& operator=(const ConnectFlood&) = delete;

    void stop() {
        m_stop = true;
        if (m_thread.joinable()) m_thread.join();
    }
    std::size_t addresses() const { return m_sockets.size(); }
    std::uint64_t sent() const { return m_sent.load(); }
    std::uint64_t repliesReceived() const { return m_replies.load(); }
    std::uint64_t replyBytes() const { return m_replyBytes.load(); }

private:
    void run(std::chrono::nanoseconds round) {
        std::uint32_t id = 1;
        auto next = std::chrono::steady_clock::now();
        while (!m_stop.load()) {
            for (int fd : m_sockets) {
                const auto d = bareConnect(id++);
                if (::sendto(fd, d.data(), d.size(), 0, reinterpret_cast<const sockaddr*>(&m_to), sizeof m_to) > 0) {
                    ++m_sent;
                }
                std::uint8_t buf[1500];
                for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) {
                    ++m_replies;
                    m_replyBytes += static_cast<std::uint64_t>(n);
                }
            }
            next += round;
            std::this_thread::sleep_until(next);
            if (std::chrono::steady_clock::now() > next + round * 100) next = std::chrono::steady_clock::now();
        }
    }

    std::vector<int> m_sockets;
    sockaddr_in m_to{};
    std::atomic<bool> m_stop{false};
    std::atomic<std::uint64_t> m_sent{0}, m_replies{0}, m_replyBytes{0};
    std::thread m_thread;
};

}  // namespace mxr::net::testing
