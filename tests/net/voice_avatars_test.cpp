// Avatar entries riding on voice frames (VoiceWithAvatars, protocol 5):
// through a real room host, listeners still see avatars move where their
// senders put them and still hear every frame; and a client facing a host
// that sends malformed combined messages drops and counts them and keeps
// what was well formed.
#include <enet/enet.h>

#include "enet_util.h"
#include "net/voice_frame.h"
#include "room_fixture.h"

namespace mxr::net {
namespace {

Bytes frameOf(std::uint16_t seq) {
    voice::VoiceFrame f;
    f.sequence = seq;
    f.timestamp = std::uint32_t(seq) * 480u;
    f.level = 60;
    f.payload = Bytes(30, std::uint8_t(seq));
    return voice::encodeVoiceFrame(f);
}

class VoiceAvatarsTest : public RoomTest {};

TEST_F(VoiceAvatarsTest, AvatarsRideOnVoiceAndStillMoveForListeners) {
    startHost();
    Client& ada = connect(GuestLogin{"Ada"});  // talks
    Client& bob = connect(GuestLogin{"Bob"});  // listens
    Client& cem = connect(GuestLogin{"Cem"});  // walks
    for (Client* c : {&ada, &bob, &cem}) ASSERT_TRUE(joined(*c));
    const std::uint16_t adaId = ada.session->avatarId();
    const std::uint16_t cemId = cem.session->avatarId();
    std::uint16_t seq = 0;
    Nanos nextVoice = 0, nextAvatar = 0;
    float x = -3.0f;
    std::vector<float> cemSent;
    auto bobSawCem = [&] {
        std::size_t n = 0;
        for (const auto& e : bob.events) {
            if (auto* a = std::get_if<AvatarsEvent>(&e)) {
                n += static_cast<std::size_t>(std::count_if(a->entries.begin(), a->entries.end(),
                                                            [&](const AvatarEntry& x) { return x.avatarId == cemId; }));
            }
        }
        return n;
    };
    // Ada talks at 100 frames a second, Cem walks along x at 45 updates a second.
    ASSERT_TRUE(pumpUntil([&] {
        const Nanos now = m_clock.now();
        if (now >= nextVoice) {
            (void)ada.session->sendVoice(frameOf(seq++));
            nextVoice = now + msToNanos(10);
        }
        if (now >= nextAvatar) {
            x += 0.005f;
            cemSent.push_back(x);
            (void)cem.session->sendAvatar(standingAt(x));
            (void)ada.session->sendAvatar(standingAt(1.0f));
            nextAvatar = now + msToNanos(22);
        }
        return seq >= 150 && m_host->stats().avatarEntriesWithVoice >= 20 && bobSawCem() >= 20;
    }, 20.0));
    pumpUntil([] { return false; }, 0.2);  // the last frames arrive

    // What Bob sees of Cem: each position one Cem sent, in order of sending,
    // up to where Cem is now.
    std::vector<float> seen;
    std::vector<std::uint16_t> heardSeq;
    for (const auto& e : bob.events) {
        if (auto* a = std::get_if<AvatarsEvent>(&e)) {
            for (const auto& entry : a->entries) {
                if (entry.avatarId == cemId) seen.push_back(entry.state.head.position.x);
            }
        } else if (auto* v = std::get_if<VoiceEvent>(&e); v && v->speaker == adaId) {
            auto f = voice::decodeVoiceFrame(v->frame);
            ASSERT_TRUE(f) << f.error().message;
            EXPECT_EQ(v->frame, frameOf(f->sequence)) << "a frame changed on the way";
            heardSeq.push_back(f->sequence);
        }
    }
    ASSERT_GE(seen.size(), 20u);
    for (float s : seen) {
        const bool sent = std::any_of(cemSent.begin(), cemSent.end(), [&](float c) { return std::fabs(c - s) < 0.001f; });
        EXPECT_TRUE(sent) << "Bob saw Cem at x=" << s << ", where Cem never was";
    }
    EXPECT_GT(seen.back(), seen.front() + 0.1f) << "Cem walked at least 10 cm as Bob saw it";
    EXPECT_LT(std::fabs(seen.back() - cemSent.back()), 0.05f) << "Bob sees Cem where Cem is now";
    auto shown = bob.remotes.sample(m_clock.now());
    const auto cemShown = std::find_if(shown.begin(), shown.end(), [&](const auto& v) { return v.avatarId == cemId; });
    ASSERT_NE(cemShown, shown.end());
    EXPECT_LT(std::fabs(cemShown->shown.state.head.position.x - cemSent.back()), 0.1f);
    // Every frame Ada sent reached Bob, once.
    std::sort(heardSeq.begin(), heardSeq.end());
    EXPECT_EQ(heardSeq.size(), std::size_t(seq));
    EXPECT_EQ(std::adjacent_find(heardSeq.begin(), heardSeq.end()), heardSeq.end());
    const RoomHostStats s = m_host->stats();
    EXPECT_GE(s.avatarEntriesWithVoice, 20u);
    EXPECT_EQ(s.voiceFramesDropped, 0u);
    EXPECT_EQ(bob.session->stats().malformed, 0u);
    EXPECT_GT(bob.session->stats().voiceBytesIn, 0u);
    EXPECT_LT(bob.session->stats().voiceBytesIn, bob.session->stats().bytesIn);
}

// A host that speaks the protocol by hand: handshake, Joined, then combined
// messages good and bad.
class FakeHost {
public:
    FakeHost() {
        ENetAddress a{};
        enet_address_set_host(&a, "127.0.0.1");
        a.port = 0;
        m_host = enet_host_create(&a, 4, kChannelCount, 0, 0);
        enet_socket_get_address(m_host->socket, &a);
        m_port = a.port;
    }
    ~FakeHost() { enet_host_destroy(m_host); }
    std::uint16_t port() const { return m_port; }
    const KeyPair& key() const { return m_key; }
    // Handles what came in; true once the client joined.
    bool pump() {
        ENetEvent ev;
        while (enet_host_service(m_host, &ev, 0) > 0) {
            if (ev.type == ENET_EVENT_TYPE_CONNECT) m_peer = ev.peer;
            if (ev.type != ENET_EVENT_TYPE_RECEIVE) continue;
            const Bytes data(ev.packet->data, ev.packet->data + ev.packet->dataLength);
            const auto ch = static_cast<Channel>(ev.channelID);
            enet_packet_destroy(ev.packet);
            if (!m_secure) {
                auto m = decodeMessage(data);
                if (!m || !std::holds_alternative<Hello>(*m)) continue;
                const KeyPair eph = KeyPair::generate();
                auto keys = serverSessionKeys(m_key, eph, std::get<Hello>(*m).clientPublicKey);
                if (!keys) continue;
                m_secure.emplace(*keys);
                sendRaw(Channel::kControl, encodeMessage(HelloAck{m_key.publicKey, eph.publicKey}));
                continue;
            }
            auto plain = m_secure->open(ch, data);
            if (!plain) continue;
            auto m = decodeMessage(*plain);
            if (m && std::holds_alternative<JoinGuest>(*m)) {
                send(Channel::kControl, encodeMessage(Joined{"demo", 7, ResumeToken{}, RoomBounds{}, 16, 1, false}));
                m_joined = true;
            }
        }
        return m_joined;
    }
    void send(Channel ch, const Bytes& plain) { sendRaw(ch, m_secure->seal(ch, plain)); }

private:
    void sendRaw(Channel ch, const Bytes& b) {
        ENetPacket* p = enet_packet_create(b.data(), b.size(), packetFlags(ch));
        enet_peer_send(m_peer, static_cast<enet_uint8>(ch), p);
        enet_host_flush(m_host);
    }
    ENetHost* m_host = nullptr;
    ENetPeer* m_peer = nullptr;
    std::uint16_t m_port = 0;
    KeyPair m_key = KeyPair::generate();
    std::optional<SecureChannel> m_secure;
    bool m_joined = false;
};

TEST(VoiceAvatarsClient, MalformedCombinedMessagesAreDroppedAndCounted) {
    FakeHost host;
    SteadyClock clock;
    ClientConfig cfg;
    cfg.serverHost = "127.0.0.1";
    cfg.serverPort = host.port();
    cfg.room = "demo";
    cfg.credentials = GuestLogin{"Ada"};
    cfg.expectedServerKey = host.key().publicKey;
    auto session = ClientSession::create(cfg, clock, Logger(std::make_shared<MemorySink>(), "client"));
    ASSERT_TRUE(session) << session.error().message;
    std::vector<ClientEvent> events;
    auto pumpUntil = [&](const std::function<bool()>& done) {
        const Nanos deadline = clock.now() + msToNanos(10'000);
        while (clock.now() < deadline) {
            host.pump();
            (*session)->service(1);
            for (auto& e : (*session)->takeEvents()) events.push_back(std::move(e));
            if (done()) return true;
        }
        return false;
    };
    ASSERT_TRUE(pumpUntil([&] { return (*session)->state() == ClientState::kJoined; }));

    AvatarEntry walker;
    walker.avatarId = 9;
    walker.timeMs = 100;
    walker.state = standingAt(2.0f);
    const Bytes good = encodeMessage(VoiceWithAvatars{{walker}, 9, frameOf(1)});
    Bytes zeroEntries = good;
    zeroEntries[2] = 0;
    AvatarEntry outside = walker;
    outside.state.head.position.x = 30.0f;  // encodes (int16 mm) but is outside the room
    const Bytes outOfRoom = encodeMessage(VoiceWithAvatars{{outside}, 9, frameOf(2)});
    Bytes badFrame = good;
    badFrame[badFrame.size() - frameOf(1).size()] |= 0x80;
    host.send(Channel::kVoice, zeroEntries);
    host.send(Channel::kVoice, outOfRoom);
    host.send(Channel::kVoice, badFrame);
    host.send(Channel::kAvatar, good);  // voice belongs on the voice channel
    host.send(Channel::kVoice, good);
    ASSERT_TRUE(pumpUntil([&] { return (*session)->stats().voiceFramesIn >= 1 && (*session)->stats().malformed >= 4; }));
    const Nanos settle = clock.now() + msToNanos(300);
    pumpUntil([&] { return clock.now() >= settle; });  // nothing more arrives
    EXPECT_EQ((*session)->stats().malformed, 4u);
    EXPECT_EQ((*session)->stats().voiceFramesIn, 1u);
    EXPECT_EQ((*session)->stats().avatarEntriesIn, 1u);
    EXPECT_EQ((*session)->state(), ClientState::kJoined) << "bad messages end nothing";
    std::size_t voices = 0, avatars = 0;
    for (const auto& e : events) {
        if (auto* v = std::get_if<VoiceEvent>(&e)) {
            ++voices;
            EXPECT_EQ(v->speaker, 9);
            EXPECT_EQ(v->frame, frameOf(1));
        } else if (auto* a = std::get_if<AvatarsEvent>(&e)) {
            ++avatars;
            ASSERT_EQ(a->entries.size(), 1u);
            EXPECT_LT(glm::length(a->entries[0].state.head.position - walker.state.head.position), 0.001f);
        }
    }
    EXPECT_EQ(voices, 1u);
    EXPECT_EQ(avatars, 1u);
}

}  // namespace
}  // namespace mxr::net
