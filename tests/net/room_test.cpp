// Room host and clients over real ENet sockets on 127.0.0.1 (port 0). The
// host runs on its own thread; clients are pumped from the test thread.
// Deadlines only bound how long a failing test waits; nothing asserts on
// elapsed time.
#include <enet/enet.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>
#include <unistd.h>

#include "room_fixture.h"

namespace mxr::net {
namespace {

TEST_F(RoomTest, TwoGuestsSeeEachOthersAvatarsAndNames) {
    startHost();
    Client& ada = connect(GuestLogin{"Ada"});
    Client& bob = connect(GuestLogin{"Bob"});
    ASSERT_TRUE(joined(ada));
    ASSERT_TRUE(joined(bob));
    EXPECT_NE(ada.session->avatarId(), bob.session->avatarId());

    auto seesOther = [&](Client& viewer, float x, const std::string& name) {
        for (const auto& v : viewer.remotes.sample(m_clock.now())) {
            if (v.displayName == name && std::fabs(v.shown.state.head.position.x - x) < 0.002f &&
                std::fabs(v.shown.state.rightHand.position.x - (x + 0.3f)) < 0.002f) {
                return true;
            }
        }
        return false;
    };
    const bool ok = pumpUntil([&] {
        (void)ada.session->sendAvatar(standingAt(1.0f));
        (void)bob.session->sendAvatar(standingAt(-1.0f));
        return seesOther(ada, -1.0f, "Bob") && seesOther(bob, 1.0f, "Ada");
    });
    EXPECT_TRUE(ok);
    // Each sees exactly one remote avatar: never itself.
    EXPECT_EQ(ada.remotes.sample(m_clock.now()).size(), 1u);
    const auto presence = m_host->presence("demo");
    ASSERT_EQ(presence.size(), 2u);
    ASSERT_TRUE(byName(presence, "Ada"));
    ASSERT_TRUE(byName(presence, "Bob"));
    EXPECT_EQ(byName(presence, "Bob")->role, Role::kGuest);
    EXPECT_EQ(byName(presence, "Bob")->avatarId, bob.session->avatarId());
    EXPECT_EQ(m_host->stats().forged, 0u);
}

TEST_F(RoomTest, TheClientOutsideTheRoomGetsARoomFullError) {
    startHost([](RoomHostConfig& c) { c.defaultCapacity = 2; });
    Client& a = connect(GuestLogin{"A"});
    Client& b = connect(GuestLogin{"B"});
    ASSERT_TRUE(joined(a));
    ASSERT_TRUE(joined(b));
    Client& c = connect(GuestLogin{"C"});
    const FailedEvent* f = failure(c);
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->code, ReplyCode::kRoomFull);
    EXPECT_NE(f->error.message.find("room full"), std::string::npos);
    EXPECT_NE(f->error.message.find("2 of 2"), std::string::npos);
    EXPECT_EQ(m_host->presence("demo").size(), 2u);
}

TEST_F(RoomTest, GuestsNeedAnOpenRoomOnAHostThatAllowsThem) {
    startHost();
    Client& c = connect(GuestLogin{"Eve"}, "closed");
    const FailedEvent* f = failure(c);
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->code, ReplyCode::kNotAllowed);
    EXPECT_NE(f->error.message.find("not open to guests"), std::string::npos);
}

TEST_F(RoomTest, GuestsAreRefusedByDefault) {
    startHost([](RoomHostConfig& c) { c.allowGuests = false; });
    Client& c = connect(GuestLogin{"Eve"});
    const FailedEvent* f = failure(c);
    ASSERT_NE(f, nullptr);
    EXPECT_NE(f->error.message.find("does not allow guests"), std::string::npos);
}

TEST_F(RoomTest, AccountsLogInGetATicketAndJoinWithTheirRole) {
    m_auth.addAccount("mentor@example.org", "correct horse", Identity{"account:1", "Grace", Role::kMentor});
    m_auth.addToken("tok-123", Identity{"account:2", "Linus", Role::kMentee});
    startHost();
    Client& grace = connect(AccountLogin{"mentor@example.org", "correct horse"}, "closed");
    Client& linus = connect(TokenLogin{"tok-123"}, "closed");
    ASSERT_TRUE(joined(grace));
    ASSERT_TRUE(joined(linus));
    const auto p = m_host->presence("closed");
    ASSERT_EQ(p.size(), 2u);
    ASSERT_TRUE(byName(p, "Grace"));
    ASSERT_TRUE(byName(p, "Linus"));
    EXPECT_EQ(byName(p, "Grace")->role, Role::kMentor);
    EXPECT_EQ(byName(p, "Linus")->role, Role::kMentee);
    const auto lines = m_observer.lines();
    EXPECT_NE(std::find(lines.begin(), lines.end(), "joined closed account:1"), lines.end());
}

TEST_F(RoomTest, WrongPasswordIsRefused) {
    m_auth.addAccount("mentor@example.org", "correct horse", Identity{"account:1", "Grace", Role::kMentor});
    startHost();
    Client& c = connect(AccountLogin{"mentor@example.org", "wrong"});
    const FailedEvent* f = failure(c);
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->code, ReplyCode::kAuthFailed);
}

// Logs in as m_auth does, but each login takes `delay` (like argon2id at a
// high cost on a busy machine) and says while one is running.
class SlowAuthenticator final : public Authenticator {
public:
    SlowAuthenticator(Authenticator& inner, std::chrono::milliseconds delay) : m_inner(inner), m_delay(delay) {}
    Result<Identity> login(std::string_view email, std::string_view password) override {
        ++m_running;
        std::this_thread::sleep_for(m_delay);
        auto who = m_inner.login(email, password);
        --m_running;
        ++m_finished;
        return who;
    }
    Result<Identity> verifyToken(std::string_view token) override { return m_inner.verifyToken(token); }
    Result<Bytes> issueTicket(const Identity& who, std::string_view room) override {
        return m_inner.issueTicket(who, room);
    }
    bool loginRunning() const { return m_running.load() > 0; }
    int finished() const { return m_finished.load(); }

private:
    Authenticator& m_inner;
    std::chrono::milliseconds m_delay;
    std::atomic<int> m_running{0};
    std::atomic<int> m_finished{0};
};

TEST_F(RoomTest, ASlowLoginDoesNotStallTheRelayOfOtherAvatars) {
    m_auth.addAccount("mentor@example.org", "correct horse", Identity{"account:1", "Grace", Role::kMentor});
    SlowAuthenticator slow(m_auth, std::chrono::milliseconds(400));
    m_hostAuth = &slow;
    startHost();
    Client& ada = connect(GuestLogin{"Ada"});
    Client& bob = connect(GuestLogin{"Bob"});
    ASSERT_TRUE(joined(ada));
    ASSERT_TRUE(joined(bob));
    // Ada's avatar is flowing to Bob before anyone logs in.
    ASSERT_TRUE(pumpUntil([&] {
        (void)ada.session->sendAvatar(standingAt(1.0f));
        return bob.last<AvatarsEvent>() != nullptr;
    }));

    Client& grace = connect(AccountLogin{"mentor@example.org", "correct horse"}, "closed");
    std::size_t batchesDuringLogin = 0;
    std::size_t seenEvents = bob.events.size();
    bool sawLoginRun = false;
    const bool ok = pumpUntil([&] {
        (void)ada.session->sendAvatar(standingAt(1.0f));
        // What Bob received while the host was inside the slow login.
        const bool running = slow.loginRunning();
        sawLoginRun = sawLoginRun || running;
        for (; seenEvents < bob.events.size(); ++seenEvents) {
            if (running && std::holds_alternative<AvatarsEvent>(bob.events[seenEvents])) ++batchesDuringLogin;
        }
        return grace.session->state() == ClientState::kJoined || grace.session->state() == ClientState::kFailed;
    });
    ASSERT_TRUE(ok);
    EXPECT_TRUE(sawLoginRun);
    EXPECT_EQ(slow.finished(), 1);
    // The login still succeeds, with its identity.
    ASSERT_EQ(grace.session->state(), ClientState::kJoined);
    const auto p = m_host->presence("closed");
    ASSERT_EQ(p.size(), 1u);
    EXPECT_EQ(p[0].displayName, "Grace");
    EXPECT_EQ(p[0].role, Role::kMentor);
    // 400 ms at a 15-45 Hz relay is 6-18 batches; a relay blocked by the
    // login would deliver none while it runs. Asking for 3 leaves room for a
    // loaded machine without letting a stalled relay pass.
    EXPECT_GE(batchesDuringLogin, 3u);
}

TEST_F(RoomTest, LoginsBeyondTheQueueBoundAreAnsweredBusyAndClientsRetry) {
    m_auth.addAccount("mentor@example.org", "correct horse", Identity{"account:1", "Grace", Role::kMentor});
    // Another account: one account has one member per room.
    m_auth.addAccount("mentor2@example.org", "correct horse", Identity{"account:2", "Alan", Role::kMentor});
    SlowAuthenticator slow(m_auth, std::chrono::milliseconds(1500));
    m_hostAuth = &slow;
    startHost([](RoomHostConfig& cfg) {
        cfg.authThreads = 1;
        cfg.maxPendingAuth = 1;
    });
    Client& first = connect(AccountLogin{"mentor@example.org", "correct horse"}, "closed");
    // Two more logins arrive while the first is still being checked.
    ASSERT_TRUE(pumpUntil([&] { return slow.loginRunning(); }));
    Client& impatient = connect(AccountLogin{"mentor@example.org", "correct horse"}, "closed",
                                [](ClientConfig& cfg) { cfg.busyRetries = 0; });
    Client& patient = connect(AccountLogin{"mentor2@example.org", "correct horse"}, "closed");
    // Without retries the client fails with the host's clear answer...
    const FailedEvent* f = failure(impatient);
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->code, ReplyCode::kBusy);
    EXPECT_NE(f->error.message.find("retry"), std::string::npos) << f->error.message;
    // ...with them (the default) it gets in once the queue has room.
    EXPECT_TRUE(joined(first));
    EXPECT_TRUE(joined(patient));
    EXPECT_GE(m_host->stats().authBusy, 2u);
    EXPECT_EQ(slow.finished(), 2);
}

TEST_F(RoomTest, TicketsFromTheHttpApiAreVerifiedWithoutTheDatabase) {
    startHost();
    Identity who{"account:9", "Hedy", Role::kMentee};
    auto good = m_auth.issueTicket(who, "closed");
    Client& ok = connect(TicketJoin{*good}, "closed");
    ASSERT_TRUE(joined(ok));

    Client& otherRoom = connect(TicketJoin{*m_auth.issueTicket(who, "demo")}, "closed");
    const FailedEvent* f = failure(otherRoom);
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->code, ReplyCode::kBadTicket);
    EXPECT_NE(f->error.message.find("not 'closed'"), std::string::npos);

    TestAuthenticator forger(SigningKeyPair::generate(), systemUnixNow);
    Client& forged = connect(TicketJoin{*forger.issueTicket(who, "closed")}, "closed");
    f = failure(forged);
    ASSERT_NE(f, nullptr);
    EXPECT_NE(f->error.message.find("signature"), std::string::npos);
}

// Answers on a thread of its own, as the session server does.
struct EchoGateway : ApiGateway {
    std::mutex mutex;
    std::vector<std::string> callers;
    std::vector<std::thread> threads;
    ~EchoGateway() override {
        for (auto& t : threads) t.join();
    }
    void onApiRequest(const Identity& who, ApiRequest request, Reply reply) override {
        std::lock_guard l(mutex);
        callers.push_back(who.subject);
        threads.emplace_back([request = std::move(request), reply, subject = who.subject] {
            reply(ApiResponse{request.requestId, 200,
                              std::string(toString(request.method)) + " " + request.path + " as " + subject});
        });
    }
};

TEST_F(RoomTest, ApiRequestsReachTheGatewayAsTheLoggedInIdentityAndNeverAsAGuest) {
    EchoGateway gateway;
    startHost([&](RoomHostConfig& cfg) { cfg.api = &gateway; });
    m_auth.addAccount("m@x.org", "pw", Identity{"account:1", "Mentor", Role::kMentor});
    Client& mentor = connect(AccountLogin{"m@x.org", "pw"}, "closed");
    Client& guest = connect(GuestLogin{"G"});
    ASSERT_TRUE(joined(mentor));
    ASSERT_TRUE(joined(guest));
    EXPECT_FALSE(mentor.session->sendApiRequest(ApiMethod::kGet, "goals/1"));  // no leading '/'
    auto id = mentor.session->sendApiRequest(ApiMethod::kPatch, "/goals/1", R"({"progress":5})");
    auto gid = guest.session->sendApiRequest(ApiMethod::kPatch, "/goals/1", R"({"progress":5})");
    ASSERT_TRUE(id);
    ASSERT_TRUE(gid);
    std::vector<ApiResponse> mine, theirs;
    ASSERT_TRUE(pumpUntil([&] {
        for (auto& r : mentor.session->takeApiResponses()) mine.push_back(r);
        for (auto& r : guest.session->takeApiResponses()) theirs.push_back(r);
        return !mine.empty() && !theirs.empty();
    }));
    EXPECT_EQ(mine[0].requestId, *id);
    EXPECT_EQ(mine[0].status, 200);
    EXPECT_EQ(mine[0].body, "PATCH /goals/1 as account:1");
    EXPECT_EQ(theirs[0].requestId, *gid);
    EXPECT_EQ(theirs[0].status, 401);
    m_host->stop();  // the gateway goes before TearDown
    std::lock_guard l(gateway.mutex);
    EXPECT_EQ(gateway.callers, std::vector<std::string>{"account:1"});  // the guest's never reached it
}

TEST_F(RoomTest, WithoutAGatewayRecordsRequestsAnswer404) {
    startHost();
    m_auth.addAccount("m@x.org", "pw", Identity{"account:1", "Mentor", Role::kMentor});
    Client& mentor = connect(AccountLogin{"m@x.org", "pw"}, "closed");
    ASSERT_TRUE(joined(mentor));
    ASSERT_TRUE(mentor.session->sendApiRequest(ApiMethod::kGet, "/goals/1"));
    std::vector<ApiResponse> got;
    ASSERT_TRUE(pumpUntil([&] {
        for (auto& r : mentor.session->takeApiResponses()) got.push_back(r);
        return !got.empty();
    }));
    EXPECT_EQ(got[0].status, 404);
}

TEST_F(RoomTest, TicketJoinsCreateRoomsOnDemandThatGoAwayWhenEmpty) {
    startHost([](RoomHostConfig& cfg) { cfg.createRoomsOnTicket = true; });
    const Identity who{"account:9", "Ada", Role::kMentee};
    Client& ada = connect(TicketJoin{*m_auth.issueTicket(who, "mentorship-7")}, "mentorship-7");
    ASSERT_TRUE(joined(ada));
    EXPECT_EQ(m_host->presence("mentorship-7").size(), 1u);
    const RoomConfig probe{"mentorship-7", 0, false, std::nullopt};
    auto exists = m_host->createRoom(probe);
    ASSERT_FALSE(exists);
    EXPECT_EQ(exists.error().code, ErrorCode::kConflict);
    ada.session->leave();
    // Once empty it is dropped: creating it again succeeds.
    ASSERT_TRUE(pumpUntil([&] { return m_host->createRoom(probe).has_value(); }));
}

TEST_F(RoomTest, LeavingUpdatesEveryonesPresenceAndTheRecords) {
    startHost();
    Client& a = connect(GuestLogin{"A"});
    Client& b = connect(GuestLogin{"B"});
    ASSERT_TRUE(joined(a));
    ASSERT_TRUE(joined(b));
    ASSERT_TRUE(pumpUntil([&] { auto* p = a.last<PresenceEvent>(); return p && p->members.size() == 2; }));
    b.session->leave();
    ASSERT_TRUE(pumpUntil([&] { auto* p = a.last<PresenceEvent>(); return p && p->members.size() == 1; }));
    EXPECT_EQ(a.last<PresenceEvent>()->members[0].displayName, "A");
    const auto lines = m_observer.lines();
    EXPECT_NE(std::find(lines.begin(), lines.end(), "left demo guest:B left"), lines.end());
}

// The host holds no rule about who moderates: it asks its RoomPolicy (the
// session server's access layer in production, a fixed list here).
TEST_F(RoomTest, ThePolicysModeratorsMuteRemoveForTheRoomsLifetimeAndLockOthersCannot) {
    m_auth.addAccount("m@x.org", "pw", Identity{"account:1", "Mentor", Role::kMentor});
    m_auth.addAccount("n@x.org", "pw", Identity{"account:2", "Other mentor", Role::kMentor});
    ListedModerators policy({"account:1"});
    startHost([&](RoomHostConfig& c) { c.policy = &policy; });
    Client& mentor = connect(AccountLogin{"m@x.org", "pw"});
    Client& guest = connect(GuestLogin{"Guest"});
    Client& other = connect(AccountLogin{"n@x.org", "pw"});
    ASSERT_TRUE(joined(mentor));
    ASSERT_TRUE(joined(guest));
    ASSERT_TRUE(joined(other));
    // Neither a guest nor a mentor the policy does not name may moderate.
    for (Client* c : {&guest, &other}) {
        c->session->moderate(Moderate{ModerationAction::kMute, mentor.session->avatarId(), ""});
        ASSERT_TRUE(pumpUntil([&] { return c->last<NoticeEvent>() != nullptr; }));
        EXPECT_EQ(c->last<NoticeEvent>()->code, ReplyCode::kNotAllowed);
    }

    mentor.session->moderate(Moderate{ModerationAction::kMute, guest.session->avatarId(), ""});
    ASSERT_TRUE(pumpUntil([&] {
        auto* p = guest.last<PresenceEvent>();
        if (!p || p->members.size() != 3) return false;
        for (const auto& m : p->members) {
            if (m.avatarId == guest.session->avatarId()) return m.muted && m.displayName == "Guest";
        }
        return false;
    }));
    mentor.session->moderate(Moderate{ModerationAction::kRemove, guest.session->avatarId(), "shouting"});
    ASSERT_TRUE(pumpUntil([&] { return guest.last<RemovedEvent>() != nullptr; }));
    EXPECT_EQ(guest.last<RemovedEvent>()->reason, "removed by Mentor: shouting");
    EXPECT_EQ(guest.session->state(), ClientState::kClosed);
    ASSERT_TRUE(pumpUntil([&] { auto* p = mentor.last<PresenceEvent>(); return p && p->members.size() == 2; }));
    // For the room's lifetime: coming back is refused, with the reason.
    Client& back = connect(GuestLogin{"Guest"});
    ASSERT_FALSE(joined(back));
    ASSERT_NE(failure(back), nullptr);
    EXPECT_NE(failure(back)->error.message.find("shouting"), std::string::npos) << failure(back)->error.message;

    // Locked: nobody new comes in. (Muting oneself after the lock is a
    // marker: the host handles one connection's messages in order.)
    mentor.session->moderate(Moderate{ModerationAction::kLock, 0, ""});
    mentor.session->moderate(Moderate{ModerationAction::kMute, mentor.session->avatarId(), ""});
    ASSERT_TRUE(pumpUntil([&] {
        auto* p = mentor.last<PresenceEvent>();
        if (!p) return false;
        for (const auto& m : p->members) {
            if (m.avatarId == mentor.session->avatarId()) return m.muted;
        }
        return false;
    }));
    Client& late = connect(GuestLogin{"Late"});
    ASSERT_FALSE(joined(late));
    EXPECT_NE(failure(late)->error.message.find("locked"), std::string::npos) << failure(late)->error.message;
    mentor.session->moderate(Moderate{ModerationAction::kUnlock, 0, ""});
    mentor.session->moderate(Moderate{ModerationAction::kUnmute, mentor.session->avatarId(), ""});
    ASSERT_TRUE(pumpUntil([&] {
        auto* p = mentor.last<PresenceEvent>();
        if (!p) return false;
        for (const auto& m : p->members) {
            if (m.avatarId == mentor.session->avatarId()) return !m.muted;
        }
        return false;
    }));
    Client& welcome = connect(GuestLogin{"Welcome"});
    EXPECT_TRUE(joined(welcome));
}

TEST_F(RoomTest, ResumingAfterAnOutageKeepsTheSameAvatarWithoutADuplicate) {
    // The host holds B's old connection until its peer timeout (the resume
    // is answered busy meanwhile): a short one keeps the test short.
    startHost([](RoomHostConfig& c) { c.peerTimeoutMs = 1000; });
    Client& a = connect(GuestLogin{"A"});
    Client& b = connect(GuestLogin{"B"}, "demo", [](ClientConfig& c) { c.reconnectInterval = msToNanos(50); });
    ASSERT_TRUE(joined(a));
    ASSERT_TRUE(joined(b));
    const auto id = b.session->avatarId();
    b.session->simulateConnectionLoss();
    EXPECT_EQ(b.session->state(), ClientState::kReconnecting);
    ASSERT_TRUE(pumpUntil([&] { auto* j = b.last<JoinedEvent>(); return j && j->resumed; }));
    EXPECT_EQ(b.session->avatarId(), id);
    EXPECT_EQ(m_host->presence("demo").size(), 2u);
    EXPECT_EQ(m_host->stats().resumes, 1u);
    // And its avatar still reaches the other side.
    ASSERT_TRUE(pumpUntil([&] {
        (void)b.session->sendAvatar(standingAt(2.0f));
        for (const auto& v : a.remotes.sample(m_clock.now())) {
            if (v.avatarId == id && std::fabs(v.shown.state.head.position.x - 2.0f) < 0.002f) return true;
        }
        return false;
    }));
}

// A sealed channel's counter must never wrap (the nonce would repeat). The
// side whose counters run out hangs up; the client resumes on a fresh
// connection with fresh keys and keeps its avatar. The limits are lowered
// here so that "run out" comes after a few dozen frames.
TEST_F(RoomTest, ASideWhoseFrameCountersRunOutHangsUpAndTheClientResumes) {
    // 20 frames: at the 9 Hz relay the host's avatar channel toward A runs
    // out after about 2 s.
    startHost([](RoomHostConfig& c) { c.framesPerChannel = 20; });
    Client& a = connect(GuestLogin{"A"}, "demo", [](ClientConfig& c) { c.reconnectInterval = msToNanos(20); });
    Client& b = connect(GuestLogin{"B"}, "demo", [](ClientConfig& c) {
        c.reconnectInterval = msToNanos(20);
        c.framesPerChannel = 30;
    });
    ASSERT_TRUE(joined(a));
    ASSERT_TRUE(joined(b));
    const auto idA = a.session->avatarId();
    const auto idB = b.session->avatarId();
    // B's avatar updates use up B's own counters; the host's relay of them
    // to A uses up the host's counters toward A.
    ASSERT_TRUE(pumpUntil([&] {
        (void)b.session->sendAvatar(standingAt(1.0f));
        auto* ja = a.last<JoinedEvent>();
        auto* jb = b.last<JoinedEvent>();
        return ja && ja->resumed && jb && jb->resumed;
    }));
    EXPECT_EQ(a.session->avatarId(), idA);
    EXPECT_EQ(b.session->avatarId(), idB);
    EXPECT_GE(m_host->stats().resumes, 2u);
    EXPECT_EQ(m_host->presence("demo").size(), 2u);  // never twice
    EXPECT_TRUE(m_sink->contains("frame counter used up"));
}

TEST_F(RoomTest, AHostThatTimedThePeerOutKeepsItAwayUntilItResumes) {
    startHost([](RoomHostConfig& c) { c.peerTimeoutMs = 1000; });
    Client& a = connect(GuestLogin{"A"});
    Client& b = connect(GuestLogin{"B"}, "demo", [](ClientConfig& c) { c.reconnectInterval = msToNanos(10); });
    ASSERT_TRUE(joined(a));
    ASSERT_TRUE(joined(b));
    const auto id = b.session->avatarId();
    ASSERT_TRUE(pumpUntil([&] {
        (void)b.session->sendAvatar(standingAt(2.0f));
        return !a.remotes.sample(m_clock.now()).empty();
    }));
    // B drops off the network and stays silent (not serviced) until the
    // host has timed it out.
    b.session->simulateConnectionLoss();
    b.paused = true;
    ASSERT_TRUE(pumpUntil([&] {
        auto* p = a.last<PresenceEvent>();
        return p && p->members.size() == 2 && byId(p->members, id) && byId(p->members, id)->away;
    }));
    EXPECT_EQ(m_host->stats().timeouts, 1u);
    // A's view of B fades out.
    ASSERT_TRUE(pumpUntil([&] {
        for (const auto& v : a.remotes.sample(m_clock.now())) {
            if (v.avatarId == id) return v.shown.alpha == 0.0f;
        }
        return false;
    }));
    // B comes back within the resume window: same avatar, present again, once.
    b.paused = false;
    ASSERT_TRUE(pumpUntil([&] { auto* j = b.last<JoinedEvent>(); return j && j->resumed; }));
    EXPECT_EQ(b.session->avatarId(), id);
    ASSERT_TRUE(pumpUntil([&] {
        auto* p = a.last<PresenceEvent>();
        return p && p->members.size() == 2 && byId(p->members, id) && !byId(p->members, id)->away;
    }));
    ASSERT_TRUE(pumpUntil([&] {
        (void)b.session->sendAvatar(standingAt(2.5f));
        const auto views = a.remotes.sample(m_clock.now());
        return views.size() == 1 && views[0].avatarId == id && views[0].shown.alpha == 1.0f &&
               std::fabs(views[0].shown.state.head.position.x - 2.5f) < 0.002f;
    }));
}

TEST_F(RoomTest, AChangedServerKeyIsRefused) {
    startHost();
    const std::filesystem::path pins =
        std::filesystem::temp_directory_path() / ("mxr_pins_" + std::to_string(::getpid()));
    {
        std::ofstream out(pins);
        out << "127.0.0.1:" << m_host->port() << " " << toHex(KeyPair::generate().publicKey) << "\n";
    }
    Client& c = connect(GuestLogin{"A"}, "demo", [&](ClientConfig& cfg) {
        cfg.expectedServerKey.reset();
        cfg.pinFile = pins;
    });
    const FailedEvent* f = failure(c);
    std::filesystem::remove(pins);
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->error.code, ErrorCode::kPermissionDenied);
    EXPECT_NE(f->error.message.find("changed"), std::string::npos);
    EXPECT_TRUE(m_host->presence("demo").empty());
}

// Counts what reaches the authenticator: a password sent to an impostor
// would be one more login attempt at whoever answered.
struct CountingAuthenticator final : Authenticator {
    explicit CountingAuthenticator(Authenticator& inner) : inner(inner) {}
    Result<Identity> login(std::string_view email, std::string_view password) override {
        ++logins;
        return inner.login(email, password);
    }
    Result<Identity> verifyToken(std::string_view token) override {
        ++logins;
        return inner.verifyToken(token);
    }
    Result<Bytes> issueTicket(const Identity& who, std::string_view room) override {
        return inner.issueTicket(who, room);
    }
    Authenticator& inner;
    std::atomic<int> logins{0};
};

TEST_F(RoomTest, NoPasswordGoesToAKeyThatIsNeitherPinnedNorGiven) {
    CountingAuthenticator counting(m_auth);
    m_hostAuth = &counting;
    startHost();
    m_auth.addAccount("ana@example.org", "a-long-password", Identity{"7", "Ana", Role::kMentor});
    // A session with no way to check the key is refused before it connects.
    ClientConfig unchecked;
    unchecked.serverHost = "127.0.0.1";
    unchecked.serverPort = m_host->port();
    unchecked.room = "demo";
    unchecked.credentials = AccountLogin{"ana@example.org", "a-long-password"};
    auto refused = ClientSession::create(unchecked, m_clock, Logger(m_sink, "client"));
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(refused.error().message.find("known-servers"), std::string::npos) << refused.error().message;

    // A pinned key that does not match: refused before anything is sealed,
    // so the password never left the client.
    const std::filesystem::path pins =
        std::filesystem::temp_directory_path() / ("mxr_pins3_" + std::to_string(::getpid()));
    {
        std::ofstream out(pins);
        out << "127.0.0.1:" << m_host->port() << " " << toHex(KeyPair::generate().publicKey) << "\n";
    }
    Client& c = connect(AccountLogin{"ana@example.org", "a-long-password"}, "demo", [&](ClientConfig& cfg) {
        cfg.expectedServerKey.reset();
        cfg.pinFile = pins;
    });
    const FailedEvent* f = failure(c);
    std::filesystem::remove(pins);
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->error.code, ErrorCode::kPermissionDenied);
    EXPECT_EQ(counting.logins.load(), 0);
    // The same account with the right key logs in: the count was not blind.
    ASSERT_TRUE(joined(connect(AccountLogin{"ana@example.org", "a-long-password"}, "closed")));
    EXPECT_EQ(counting.logins.load(), 1);
}

TEST_F(RoomTest, FirstUsePinsTheKeyAndLaterSessionsMatchIt) {
    startHost();
    const std::filesystem::path pins =
        std::filesystem::temp_directory_path() / ("mxr_pins2_" + std::to_string(::getpid()));
    std::filesystem::remove(pins);
    auto usePins = [&](ClientConfig& cfg) {
        cfg.expectedServerKey.reset();
        cfg.pinFile = pins;
    };
    ASSERT_TRUE(joined(connect(GuestLogin{"A"}, "demo", usePins)));
    ASSERT_TRUE(joined(connect(GuestLogin{"B"}, "demo", usePins)));
    std::ifstream in(pins);
    std::string name, key;
    in >> name >> key;
    std::filesystem::remove(pins);
    EXPECT_EQ(name, "127.0.0.1:" + std::to_string(m_host->port()));
    EXPECT_EQ(key, toHex(m_host->publicKey()));
}

TEST_F(RoomTest, RoomClientsOnTheirOwnThreadsSeeEachOtherThroughTheQueues) {
    startHost();
    auto start = [&](const std::string& name) {
        ClientConfig cfg;
        cfg.serverHost = "127.0.0.1";
        cfg.serverPort = m_host->port();
        cfg.room = "demo";
        cfg.credentials = GuestLogin{name};
        cfg.expectedServerKey = m_host->publicKey();
        auto c = RoomClient::start(cfg, m_clock, Logger(m_sink, name));
        EXPECT_TRUE(c) << c.error().message;
        return std::move(*c);
    };
    auto ada = start("Ada");
    auto bob = start("Bob");
    RemoteAvatars adaView, bobView;
    auto seen = [&](RemoteAvatars& view, const std::string& name, float x) {
        for (const auto& v : view.sample(m_clock.now())) {
            if (v.displayName == name && std::fabs(v.shown.state.head.position.x - x) < 0.002f) return true;
        }
        return false;
    };
    const Nanos deadline = m_clock.now() + msToNanos(10'000);
    bool ok = false;
    while (!ok && m_clock.now() < deadline) {
        // The main thread's frame: post our pose, drain events, draw.
        ada->postAvatar(standingAt(0.5f));
        bob->postAvatar(standingAt(-0.5f));
        while (auto e = ada->poll()) adaView.apply(*e, m_clock.now());
        while (auto e = bob->poll()) bobView.apply(*e, m_clock.now());
        ok = seen(adaView, "Bob", -0.5f) && seen(bobView, "Ada", 0.5f);
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    EXPECT_TRUE(ok);
    bob.reset();  // leaves the room as it shuts down
    const Nanos deadline2 = m_clock.now() + msToNanos(10'000);
    while (m_host->presence("demo").size() != 1 && m_clock.now() < deadline2) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    EXPECT_EQ(m_host->presence("demo").size(), 1u);
}

}  // namespace
}  // namespace mxr::net
