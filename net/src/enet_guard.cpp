#include "enet_guard.h"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <utility>

namespace mxr::net {
namespace {

std::uint16_t be16(const std::uint8_t* p) { return static_cast<std::uint16_t>((p[0] << 8) | p[1]); }
std::uint32_t be32(const std::uint8_t* p) {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}

constexpr std::size_t kShortHeader = offsetof(ENetProtocolHeader, sentTime);  // peer id only
constexpr std::size_t kBucketCount = 4096;                                   // per-address connect buckets

// Sequence number distance from `from` forwards to `to` (mod 2^16);
// >= 0x8000 means `to` is behind `from`.
std::uint16_t ahead(std::uint16_t from, std::uint16_t to) { return static_cast<std::uint16_t>(to - from); }
bool isBehind(std::uint16_t d) { return d >= 0x8000; }

// The size of a command including its payload; 0 when it is unknown or
// does not fit in `left` bytes (ENet stops reading there too).
std::size_t commandBytes(const std::uint8_t* cmd, std::size_t left) {
    if (left < sizeof(ENetProtocolCommandHeader)) return 0;
    const std::uint8_t number = cmd[0] & ENET_PROTOCOL_COMMAND_MASK;
    if (number == ENET_PROTOCOL_COMMAND_NONE || number >= ENET_PROTOCOL_COMMAND_COUNT) return 0;
    const std::size_t fixed = enet_protocol_command_size(number);
    if (fixed == 0 || fixed > left) return 0;
    std::size_t payload = 0;
    switch (number) {
        case ENET_PROTOCOL_COMMAND_SEND_RELIABLE:
            payload = be16(cmd + offsetof(ENetProtocolSendReliable, dataLength));
            break;
        case ENET_PROTOCOL_COMMAND_SEND_UNRELIABLE:
            payload = be16(cmd + offsetof(ENetProtocolSendUnreliable, dataLength));
            break;
        case ENET_PROTOCOL_COMMAND_SEND_UNSEQUENCED:
            payload = be16(cmd + offsetof(ENetProtocolSendUnsequenced, dataLength));
            break;
        case ENET_PROTOCOL_COMMAND_SEND_FRAGMENT:
        case ENET_PROTOCOL_COMMAND_SEND_UNRELIABLE_FRAGMENT:
            payload = be16(cmd + offsetof(ENetProtocolSendFragment, dataLength));
            break;
        default:
            break;
    }
    if (payload > left - fixed) return 0;
    return fixed + payload;
}

bool keepCommand(const std::uint8_t* cmd, const PeerView& peer, const GuardPolicy& policy) {
    const std::uint8_t number = cmd[0] & ENET_PROTOCOL_COMMAND_MASK;
    const std::uint8_t ch = cmd[1];
    const std::uint16_t seq = be16(cmd + offsetof(ENetProtocolCommandHeader, reliableSequenceNumber));
    const bool known = ch < peer.channelCount && ch < kChannelCount;
    const bool reliableCh = known && ((policy.reliableChannels >> ch) & 1u) != 0;
    const bool unreliableCh = known && ((policy.unreliableChannels >> ch) & 1u) != 0;
    const bool unsequencedCh = known && ((policy.unsequencedChannels >> ch) & 1u) != 0;
    switch (number) {
        case ENET_PROTOCOL_COMMAND_ACKNOWLEDGE:
        case ENET_PROTOCOL_COMMAND_DISCONNECT:
        case ENET_PROTOCOL_COMMAND_PING:
        case ENET_PROTOCOL_COMMAND_BANDWIDTH_LIMIT:
        case ENET_PROTOCOL_COMMAND_THROTTLE_CONFIGURE:
            return true;  // handled on the spot, nothing queued but an acknowledgement
        case ENET_PROTOCOL_COMMAND_SEND_RELIABLE: {
            if (!reliableCh) return false;
            const std::uint16_t d = ahead(static_cast<std::uint16_t>(peer.incomingReliable[ch] + 1), seq);
            if (isBehind(d)) return true;  // a duplicate: ENet acknowledges and drops it
            if (!peer.open) {
                // Before Hello: only Hello itself, deliverable at once.
                const std::size_t len = be16(cmd + offsetof(ENetProtocolSendReliable, dataLength));
                return ch == static_cast<std::uint8_t>(Channel::kControl) && d == 0 && len <= policy.maxHelloBytes;
            }
            return d < policy.maxReliableAhead;
        }
        case ENET_PROTOCOL_COMMAND_SEND_FRAGMENT: {
            if (!peer.open || !reliableCh) return false;
            const std::uint16_t next = static_cast<std::uint16_t>(peer.incomingReliable[ch] + 1);
            const std::uint16_t start = be16(cmd + offsetof(ENetProtocolSendFragment, startSequenceNumber));
            const std::uint16_t d = ahead(next, seq), ds = ahead(next, start);
            if (isBehind(d)) return true;
            return d < policy.maxReliableAhead && !isBehind(ds) && ds < policy.maxReliableAhead;
        }
        case ENET_PROTOCOL_COMMAND_SEND_UNRELIABLE: {
            if (!peer.open || !unreliableCh) return false;
            // ENet holds unreliable commands that name a later reliable one
            // until that arrives; only those it can deliver at once pass.
            const std::uint16_t d = ahead(peer.incomingReliable[ch], seq);
            return d == 0 || isBehind(d);
        }
        case ENET_PROTOCOL_COMMAND_SEND_UNSEQUENCED:
            // Voice: delivered at once (ENet's unsequenced window drops
            // repeats), never held; the host drains what it is given.
            return peer.open && unsequencedCh;
        default:
            return false;  // CONNECT/VERIFY_CONNECT to a peer, unreliable fragments
    }
}

}  // namespace

std::size_t filterPeerDatagram(std::uint8_t* data, std::size_t length, const PeerView& peer,
                               const GuardPolicy& policy, std::uint64_t& refused) {
    if (length < kShortHeader) return 0;
    const std::uint16_t peerId = be16(data);
    if (peerId & ENET_PROTOCOL_HEADER_FLAG_COMPRESSED) return 0;  // no compressor here
    const std::size_t header = (peerId & ENET_PROTOCOL_HEADER_FLAG_SENT_TIME) ? sizeof(ENetProtocolHeader) : kShortHeader;
    if (length < header) return 0;
    std::size_t in = header, out = header;
    while (in < length) {
        const std::size_t n = commandBytes(data + in, length - in);
        if (n == 0) {
            ++refused;  // ENet would stop here as well: the tail goes
            break;
        }
        if (keepCommand(data + in, peer, policy)) {
            if (out != in) std::memmove(data + out, data + in, n);
            out += n;
        } else {
            ++refused;
        }
        in += n;
    }
    return out;
}

std::optional<ConnectView> parseConnectDatagram(ByteSpan d) {
    if (d.size() < kShortHeader) return std::nullopt;
    const std::uint16_t peerId = be16(d.data());
    if ((peerId & ENET_PROTOCOL_HEADER_FLAG_COMPRESSED) ||
        (peerId & ~(ENET_PROTOCOL_HEADER_FLAG_MASK | ENET_PROTOCOL_HEADER_SESSION_MASK)) != ENET_PROTOCOL_MAXIMUM_PEER_ID) {
        return std::nullopt;
    }
    const std::size_t header = (peerId & ENET_PROTOCOL_HEADER_FLAG_SENT_TIME) ? sizeof(ENetProtocolHeader) : kShortHeader;
    if (d.size() != header + sizeof(ENetProtocolConnect)) return std::nullopt;
    const std::uint8_t* cmd = d.data() + header;
    if ((cmd[0] & ENET_PROTOCOL_COMMAND_MASK) != ENET_PROTOCOL_COMMAND_CONNECT) return std::nullopt;
    ConnectView v;
    std::memcpy(&v.connectId, cmd + offsetof(ENetProtocolConnect, connectID), 4);
    v.data = be32(cmd + offsetof(ENetProtocolConnect, data));
    return v;
}

// --- the host ------------------------------------------------------------

HostGuard::HostGuard(ENetHost* host, HostGuardConfig config, const Clock& clock)
    : m_host(host), m_cfg(std::move(config)), m_clock(clock), m_slots(host->peerCount), m_buckets(kBucketCount) {
    m_host->compressor.context = this;
    m_host->intercept = &HostGuard::intercept;
}

HostGuard::~HostGuard() {
    m_host->intercept = nullptr;
    m_host->compressor.context = nullptr;
}

void HostGuard::helloDone(const ENetPeer* peer) {
    Slot& s = m_slots[peer->incomingPeerID];
    s.connectId = peer->connectID;
    s.open = true;
}

void HostGuard::afterService() {
    const Nanos now = m_clock.now();
    for (std::size_t i = 0; i < m_host->peerCount; ++i) {
        ENetPeer* peer = &m_host->peers[i];
        Slot& s = m_slots[i];
        if (peer->state == ENET_PEER_STATE_DISCONNECTED) {
            s = Slot{};
            continue;
        }
        if (peer->state != ENET_PEER_STATE_ACKNOWLEDGING_CONNECT) {
            s.halfOpen = false;
            continue;
        }
        if (!s.halfOpen || s.connectId != peer->connectID) {
            s = Slot{peer->connectID, false, true, now};
        } else if (now - s.halfOpenSince > m_cfg.halfOpenTimeout) {
            // Never acknowledged VERIFY_CONNECT: a spoofer's or a lost
            // client's slot. ENet raised no event for it, so a plain reset.
            enet_peer_reset(peer);
            s = Slot{};
            ++m_stats.halfOpenReset;
        }
    }
}

bool HostGuard::takeConnectToken(std::uint32_t ipv4, Nanos now) {
    Bucket& b = m_buckets[m_cookies.addressHash(ipv4) % kBucketCount];
    if (!b.used) {
        b = Bucket{m_cfg.connectBurstPerAddress, now, true};
    } else {
        b.tokens = std::min(m_cfg.connectBurstPerAddress,
                            b.tokens + nanosToSeconds(now - b.at) * m_cfg.connectsPerSecondPerAddress);
        b.at = now;
    }
    if (b.tokens < 1.0) return false;
    b.tokens -= 1.0;
    return true;
}

int HostGuard::onConnect(ByteSpan datagram) {
    const auto connect = parseConnectDatagram(datagram);
    if (!connect) {
        ++m_stats.datagramsDropped;
        return 1;
    }
    const ENetAddress& from = m_host->receivedAddress;
    const Nanos now = m_clock.now();
    if (m_cookies.verify(connect->data, from.host, from.port, now)) {
        if (!takeConnectToken(from.host, now)) {
            ++m_stats.connectsRateLimited;
            return 1;
        }
        ++m_stats.connectsAdmitted;
        return 0;  // ENet takes it from here
    }
    const Bytes reply = encodeCookieChallenge(
        CookieChallenge{m_cfg.protocolVersion, connect->connectId, m_cookies.mint(from.host, from.port, now)});
    ENetBuffer buffer;
    buffer.data = const_cast<std::uint8_t*>(reply.data());
    buffer.dataLength = reply.size();
    if (enet_socket_send(m_host->socket, &from, &buffer, 1) > 0) {
        m_host->totalSentData += static_cast<enet_uint32>(reply.size());
        ++m_host->totalSentPackets;
        ++m_stats.challenges;
        m_stats.challengeBytes += reply.size();
    }
    return 1;
}

int HostGuard::onDatagram() {
    std::uint8_t* data = m_host->receivedData;
    const std::size_t length = m_host->receivedDataLength;
    if (length < kShortHeader) {
        ++m_stats.datagramsDropped;
        return 1;
    }
    const std::uint16_t peerId =
        be16(data) & static_cast<std::uint16_t>(~(ENET_PROTOCOL_HEADER_FLAG_MASK | ENET_PROTOCOL_HEADER_SESSION_MASK));
    if (peerId == ENET_PROTOCOL_MAXIMUM_PEER_ID) return onConnect(ByteSpan(data, length));
    if (peerId >= m_host->peerCount) return 0;  // ENet drops it without looking further
    const ENetPeer* peer = &m_host->peers[peerId];
    if (peer->state == ENET_PEER_STATE_DISCONNECTED || peer->state == ENET_PEER_STATE_ZOMBIE ||
        peer->address.host != m_host->receivedAddress.host || peer->address.port != m_host->receivedAddress.port) {
        return 0;  // not this peer's: ENet drops it too
    }
    PeerView view;
    const Slot& s = m_slots[peerId];
    view.open = s.open && s.connectId == peer->connectID;
    view.channelCount = peer->channels ? peer->channelCount : 0;
    for (std::size_t c = 0; c < std::min(view.channelCount, kChannelCount); ++c) {
        view.incomingReliable[c] = peer->channels[c].incomingReliableSequenceNumber;
    }
    const std::size_t header =
        (be16(data) & ENET_PROTOCOL_HEADER_FLAG_SENT_TIME) ? sizeof(ENetProtocolHeader) : kShortHeader;
    std::size_t kept = filterPeerDatagram(data, length, view, m_cfg.policy, m_stats.commandsRefused);
    if (kept <= header) {
        ++m_stats.datagramsDropped;
        return 1;
    }
    if (peer->state == ENET_PEER_STATE_ACKNOWLEDGING_CONNECT) kept = acknowledgeVerifyConnect(peer, header, kept);
    m_host->receivedDataLength = kept;
    return 0;
}

std::size_t HostGuard::acknowledgeVerifyConnect(const ENetPeer* peer, std::size_t header, std::size_t length) {
    // Data from a half-open peer's address, with its peer id and session,
    // proves that the client got our VERIFY_CONNECT (nobody else learns
    // those): its acknowledgement was lost. Without this, only our own
    // VERIFY_CONNECT retries (0, 0.5, 1.5 s, then the reset) could finish
    // the handshake, and a client already sending Hello would wait for its
    // peer timeout. With it, every Hello retry the client sends finishes it.
    std::uint8_t* data = m_host->receivedData;
    for (std::size_t at = header; at < length;) {
        if ((data[at] & ENET_PROTOCOL_COMMAND_MASK) == ENET_PROTOCOL_COMMAND_ACKNOWLEDGE) return length;  // a real one
        const std::size_t n = commandBytes(data + at, length - at);
        if (n == 0) break;
        at += n;
    }
    const ENetOutgoingCommand* verify = nullptr;
    for (const ENetList* list : {&peer->sentReliableCommands, &peer->outgoingCommands}) {
        if (enet_list_empty(list)) continue;
        const auto* front = reinterpret_cast<const ENetOutgoingCommand*>(enet_list_front(list));
        if ((front->command.header.command & ENET_PROTOCOL_COMMAND_MASK) == ENET_PROTOCOL_COMMAND_VERIFY_CONNECT) {
            verify = front;
            break;
        }
    }
    constexpr std::size_t kAck = sizeof(ENetProtocolAcknowledge);
    if (!verify || length + kAck > sizeof m_host->packetData[0] || data != m_host->packetData[0]) return length;
    std::memmove(data + header + kAck, data + header, length - header);
    ENetProtocolAcknowledge ack{};
    ack.header.command = ENET_PROTOCOL_COMMAND_ACKNOWLEDGE;
    ack.header.channelID = 0xFF;
    ack.header.reliableSequenceNumber = ENET_HOST_TO_NET_16(verify->reliableSequenceNumber);
    ack.receivedReliableSequenceNumber = ENET_HOST_TO_NET_16(verify->reliableSequenceNumber);
    ack.receivedSentTime = ENET_HOST_TO_NET_16(static_cast<enet_uint16>(verify->sentTime & 0xFFFF));
    std::memcpy(data + header, &ack, kAck);
    ++m_stats.handshakesFinishedByData;
    return length + kAck;
}

int ENET_CALLBACK HostGuard::intercept(ENetHost* host, ENetEvent*) {
    return static_cast<HostGuard*>(host->compressor.context)->onDatagram();
}

// --- the client ------------------------------------------------------------

ClientCookieCatcher::ClientCookieCatcher(ENetHost* host) : m_host(host) {
    m_host->compressor.context = this;
    m_host->intercept = &ClientCookieCatcher::intercept;
}

ClientCookieCatcher::~ClientCookieCatcher() {
    m_host->intercept = nullptr;
    m_host->compressor.context = nullptr;
}

int ENET_CALLBACK ClientCookieCatcher::intercept(ENetHost* host, ENetEvent*) {
    auto* self = static_cast<ClientCookieCatcher*>(host->compressor.context);
    auto challenge = decodeCookieChallenge(ByteSpan(host->receivedData, host->receivedDataLength));
    if (!challenge) return 0;  // ordinary ENet traffic
    for (ENetPeer* peer = host->peers; peer < host->peers + host->peerCount; ++peer) {
        if (peer->state != ENET_PEER_STATE_CONNECTING || peer->connectID != challenge->connectId ||
            peer->address.host != host->receivedAddress.host || peer->address.port != host->receivedAddress.port) {
            continue;
        }
        auto same = std::find_if(self->m_caught.begin(), self->m_caught.end(), [&](const Caught& c) { return c.peer == peer; });
        if (same != self->m_caught.end()) {
            same->challenge = *challenge;
        } else {
            self->m_caught.push_back(Caught{peer, *challenge});
        }
        break;
    }
    return 1;  // a challenge for no connecting peer of ours is dropped
}

ENetPeer* reconnectWithCookie(ENetHost* host, ENetPeer* peer, std::uint32_t cookie) {
    const ENetAddress address = peer->address;
    const std::size_t channels = peer->channelCount;
    enet_peer_reset(peer);
    return enet_host_connect(host, &address, channels, cookie);
}

}  // namespace mxr::net
