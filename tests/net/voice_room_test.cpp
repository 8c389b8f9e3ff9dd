// Voice through a real room host over ENet on 127.0.0.1: frames reach the
// other members unchanged with the talker's id, a moderator's mute stops a
// voice at the host, private talk, consent in presence, loss reports back
// to the talker, and malformed or flooding voice dropped and counted.
#include "net/voice_frame.h"
#include "room_fixture.h"

namespace mxr::net {
namespace {

Bytes voiceFrame(std::uint16_t seq, std::uint8_t level = 60) {
    voice::VoiceFrame f;
    f.sequence = seq;
    f.timestamp = std::uint32_t(seq) * 480u;
    f.level = level;
    f.payload = Bytes(30, std::uint8_t(seq));
    return voice::encodeVoiceFrame(f);
}

class VoiceRoomTest : public RoomTest {
protected:
    // Frames of `talker` each client received (its VoiceEvents' bytes).
    static std::vector<Bytes> heard(const Client& c, std::uint16_t talker) {
        std::vector<Bytes> out;
        for (const auto& e : c.events) {
            if (auto* v = std::get_if<VoiceEvent>(&e); v && v->speaker == talker) out.push_back(v->frame);
        }
        return out;
    }
    // Sends frames from `talker` (10 ms apart in sequence) until `done`.
    bool talkUntil(Client& talker, std::uint16_t& seq, const std::function<bool()>& done) {
        return pumpUntil([&] {
            (void)talker.session->sendVoice(voiceFrame(seq++));
            return done();
        });
    }
};

TEST_F(VoiceRoomTest, FramesReachTheOthersUnchangedWithTheTalkersId) {
    startHost();
    Client& ada = connect(GuestLogin{"Ada"});
    Client& bob = connect(GuestLogin{"Bob"});
    Client& cem = connect(GuestLogin{"Cem"});
    for (Client* c : {&ada, &bob, &cem}) ASSERT_TRUE(joined(*c));
    const std::uint16_t adaId = ada.session->avatarId();
    ASSERT_TRUE(ada.session->sendVoice(voiceFrame(7)));
    ASSERT_TRUE(pumpUntil([&] { return !heard(bob, adaId).empty() && !heard(cem, adaId).empty(); }));
    EXPECT_EQ(heard(bob, adaId)[0], voiceFrame(7));
    EXPECT_EQ(heard(cem, adaId)[0], voiceFrame(7));
    EXPECT_TRUE(heard(ada, adaId).empty()) << "nobody hears their own voice back";
    EXPECT_FALSE(ada.session->sendVoice(Bytes{1, 2, 3})) << "not a voice frame";
    EXPECT_EQ(m_host->stats().voiceFramesIn, 1u);
    EXPECT_EQ(m_host->stats().voiceFramesOut, 2u);
}

TEST_F(VoiceRoomTest, AModeratorsMuteStopsTheVoiceAtTheHost) {
    m_auth.addAccount("m@x.org", "pw", Identity{"account:1", "Mentor", Role::kMentor});
    ListedModerators policy({"account:1"});
    startHost([&](RoomHostConfig& c) { c.policy = &policy; });
    Client& mentor = connect(AccountLogin{"m@x.org", "pw"});
    Client& guest = connect(GuestLogin{"Guest"});
    ASSERT_TRUE(joined(mentor));
    ASSERT_TRUE(joined(guest));
    const std::uint16_t guestId = guest.session->avatarId();
    std::uint16_t seq = 0;
    ASSERT_TRUE(talkUntil(guest, seq, [&] { return !heard(mentor, guestId).empty(); }));
    mentor.session->moderate(Moderate{ModerationAction::kMute, guestId, ""});
    ASSERT_TRUE(pumpUntil([&] {
        auto* p = guest.last<PresenceEvent>();
        return p && byId(p->members, guestId) && byId(p->members, guestId)->muted;
    }));
    const auto before = heard(mentor, guestId).size();
    const auto droppedBefore = m_host->stats().voiceFramesDropped;
    for (int i = 0; i < 20; ++i) ASSERT_TRUE(guest.session->sendVoice(voiceFrame(seq++)));
    ASSERT_TRUE(pumpUntil([&] { return m_host->stats().voiceFramesDropped >= droppedBefore + 20; }));
    pumpUntil([] { return false; }, 0.2);
    EXPECT_EQ(heard(mentor, guestId).size(), before);
}

TEST_F(VoiceRoomTest, APrivatePairHearsOnlyEachOtherAndEveryoneSeesIt) {
    startHost();
    Client& ada = connect(GuestLogin{"Ada"});
    Client& bob = connect(GuestLogin{"Bob"});
    Client& cem = connect(GuestLogin{"Cem"});
    for (Client* c : {&ada, &bob, &cem}) ASSERT_TRUE(joined(*c));
    const std::uint16_t adaId = ada.session->avatarId(), bobId = bob.session->avatarId(),
                        cemId = cem.session->avatarId();
    ada.session->askPrivateTalk(bobId);
    bob.session->askPrivateTalk(adaId);
    ASSERT_TRUE(pumpUntil([&] {
        auto* p = cem.last<PresenceEvent>();
        return p && byId(p->members, adaId) && byId(p->members, adaId)->privateWith == bobId &&
               byId(p->members, bobId)->privateWith == adaId;
    }));
    std::uint16_t seq = 0, cemSeq = 0;
    ASSERT_TRUE(talkUntil(ada, seq, [&] { return heard(bob, adaId).size() >= 5; }));
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(cem.session->sendVoice(voiceFrame(cemSeq++)));
    pumpUntil([] { return false; }, 0.3);
    EXPECT_TRUE(heard(cem, adaId).empty()) << "nobody else hears the pair";
    EXPECT_TRUE(heard(ada, cemId).empty()) << "the pair hears only each other";
    EXPECT_TRUE(heard(bob, cemId).empty());
    // Ending it: everyone hears everyone again.
    ada.session->askPrivateTalk(0);
    ASSERT_TRUE(pumpUntil([&] {
        auto* p = cem.last<PresenceEvent>();
        return p && byId(p->members, adaId) && byId(p->members, adaId)->privateWith == 0;
    }));
    ASSERT_TRUE(talkUntil(ada, seq, [&] { return !heard(cem, adaId).empty(); }));
}

TEST_F(VoiceRoomTest, ConsentShowsInPresenceAndLossReportsReachTheTalker) {
    startHost();
    Client& ada = connect(GuestLogin{"Ada"});
    Client& bob = connect(GuestLogin{"Bob"});
    ASSERT_TRUE(joined(ada));
    ASSERT_TRUE(joined(bob));
    const std::uint16_t adaId = ada.session->avatarId();
    ada.session->setRecordingConsent(true);
    ASSERT_TRUE(pumpUntil([&] {
        auto* p = bob.last<PresenceEvent>();
        return p && byId(p->members, adaId) && byId(p->members, adaId)->recordingConsent;
    }));
    bob.session->reportVoiceLoss(adaId, 12);
    ASSERT_TRUE(pumpUntil([&] { return ada.last<VoiceLossEvent>() != nullptr; }));
    EXPECT_EQ(ada.last<VoiceLossEvent>()->lossPercent, 12);
}

TEST_F(VoiceRoomTest, AFloodingTalkerIsHeldToItsRate) {
    startHost();
    Client& ada = connect(GuestLogin{"Ada"});
    Client& bob = connect(GuestLogin{"Bob"});
    ASSERT_TRUE(joined(ada));
    ASSERT_TRUE(joined(bob));
    for (std::uint16_t i = 0; i < 400; ++i) ASSERT_TRUE(ada.session->sendVoice(voiceFrame(i)));
    ASSERT_TRUE(pumpUntil([&] { return m_host->stats().voiceFramesIn >= 200; }));
    pumpUntil([] { return false; }, 0.3);
    const auto& s = m_host->stats();
    EXPECT_GT(s.voiceFramesDropped, 0u) << "400 frames at once are far over 110 a second";
    EXPECT_EQ(s.voiceFramesOut + s.voiceFramesDropped, s.voiceFramesIn);
}

}  // namespace
}  // namespace mxr::net
