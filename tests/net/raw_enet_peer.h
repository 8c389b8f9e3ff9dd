#pragma once
// A raw ENet peer for tests that speak the protocol by hand (sending what
// the shipped client never would): it connects to a room host on 127.0.0.1,
// answering the host's connect-cookie challenge as ClientSession does, sends
// and receives raw packets, and can do the plain Hello/HelloAck handshake.
// The tests add what they need on top (sealed messages, queue tricks).
//
// Thread: one thread. Waits are bounded (about 5 s of 1 ms services), so a
// silent host fails the test instead of hanging it.
#include <enet/enet.h>

#include <cstdint>
#include <optional>
#include <utility>
#include <variant>

#include "enet_guard.h"  // net/src: the client's cookie catcher
#include "net/crypto.h"
#include "net/messages.h"

namespace mxr::net::testing {

class RawEnetPeer {
public:
    explicit RawEnetPeer(std::uint16_t port) {
        m_host = enet_host_create(nullptr, 1, kChannelCount, 0, 0);
        m_cookies.emplace(m_host);
        ENetAddress a{};
        enet_address_set_host(&a, "127.0.0.1");
        a.port = port;
        m_peer = enet_host_connect(m_host, &a, kChannelCount, 0);
    }
    ~RawEnetPeer() {
        m_cookies.reset();
        enet_host_destroy(m_host);
    }
    RawEnetPeer(const RawEnetPeer&) = delete;
    RawEnetPeer& operator=(const RawEnetPeer&) = delete;

    // Connects, answering the host's cookie challenge.
    bool waitConnected() {
        ENetEvent ev;
        for (int i = 0; i < 5000; ++i) {
            if (enet_host_service(m_host, &ev, 1) > 0 && ev.type == ENET_EVENT_TYPE_CONNECT) return true;
            for (const auto& c : m_cookies->take()) m_peer = reconnectWithCookie(m_host, c.peer, c.challenge.cookie);
        }
        return false;
    }
    // Queues a packet (empty ones too); flush sends it now.
    void sendRaw(Channel ch, const Bytes& b, std::uint32_t flags = ENET_PACKET_FLAG_RELIABLE, bool flush = true) {
        ENetPacket* p = enet_packet_create(b.empty() ? nullptr : b.data(), b.size(), flags);
        enet_peer_send(m_peer, static_cast<enet_uint8>(ch), p);
        if (flush) enet_host_flush(m_host);
    }
    // The next packet from the host, with its channel.
    std::optional<std::pair<Channel, Bytes>> receiveRaw() {
        ENetEvent ev;
        for (int i = 0; i < 5000; ++i) {
            if (enet_host_service(m_host, &ev, 1) > 0 && ev.type == ENET_EVENT_TYPE_RECEIVE) {
                Bytes b(ev.packet->data, ev.packet->data + ev.packet->dataLength);
                const auto ch = static_cast<Channel>(ev.channelID);
                enet_packet_destroy(ev.packet);
                return std::pair{ch, std::move(b)};
            }
        }
        return std::nullopt;
    }
    // Hello with a fresh ephemeral key; the host's HelloAck and the session
    // keys derived from it (nullopt when the host answers anything else).
    struct Handshake {
        SessionKeys keys;
        HelloAck ack;
    };
    std::optional<Handshake> hello() {
        const KeyPair eph = KeyPair::generate();
        sendRaw(Channel::kControl, encodeMessage(Hello{eph.publicKey}));
        auto reply = receiveRaw();
        if (!reply) return std::nullopt;
        auto m = decodeMessage(reply->second);
        if (!m || !std::holds_alternative<HelloAck>(*m)) return std::nullopt;
        const auto& ack = std::get<HelloAck>(*m);
        auto keys = clientSessionKeys(eph, ack.serverStaticKey, ack.serverEphemeralKey);
        if (!keys) return std::nullopt;
        return Handshake{*keys, ack};
    }
    void disconnect() {
        enet_peer_disconnect_now(m_peer, 0);
        enet_host_flush(m_host);
    }
    ENetHost* host() { return m_host; }
    ENetPeer* peer() { return m_peer; }

private:
    ENetHost* m_host = nullptr;
    std::optional<ClientCookieCatcher> m_cookies;
    ENetPeer* m_peer = nullptr;
};

}  // namespace mxr::net::testing
