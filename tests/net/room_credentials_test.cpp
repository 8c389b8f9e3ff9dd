// What a credential is worth at the room host: single-use tickets, one
// member per account and room, records and tickets only for a login on the
// connection (never for a ticket or a resumed avatar), resumes that never
// take over a live connection, and dropping a person's connections when
// the session server revokes their credentials. Host on its own thread on
// 127.0.0.1 port 0; ClientSessions and a raw protocol client pumped from
// the test thread. Deadlines only bound how long a failing test waits.
#include <enet/enet.h>
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <optional>
#include <thread>

#include "net/client_session.h"
#include "net/room_host.h"
#include "raw_enet_peer.h"

namespace mxr::net {
namespace {

struct Recorder : RoomObserver {
    std::mutex mutex;
    std::vector<std::string> log;
    void onMemberJoined(const std::string& room, const Identity& who, std::uint16_t, std::int64_t) override {
        std::lock_guard l(mutex);
        log.push_back("joined " + room + " " + who.subject);
    }
    void onMemberLeft(const std::string& room, const Identity& who, std::uint16_t, std::int64_t,
                      std::string_view reason) override {
        std::lock_guard l(mutex);
        log.push_back("left " + room + " " + who.subject + " " + std::string(reason));
    }
    bool saw(const std::string& line) {
        std::lock_guard l(mutex);
        return std::find(log.begin(), log.end(), line) != log.end();
    }
};

// Answers on a thread of its own, as the session server does.
struct SubjectEchoGateway : ApiGateway {
    std::mutex mutex;
    std::vector<std::thread> threads;
    ~SubjectEchoGateway() override {
        for (auto& t : threads) t.join();
    }
    void onApiRequest(const Identity& who, ApiRequest request, Reply reply) override {
        std::lock_guard l(mutex);
        threads.emplace_back([id = request.requestId, reply, subject = who.subject] {
            reply(ApiResponse{id, 200, "as " + subject});
        });
    }
};

// Speaks the protocol by hand (Hello, then sealed messages), so a test can
// send what the shipped client never would.
class HandClient : public testing::RawEnetPeer {
public:
    using RawEnetPeer::RawEnetPeer;

    bool handshake() {
        if (!waitConnected()) return false;
        auto h = hello();
        if (!h) return false;
        m_secure.emplace(h->keys);
        return true;
    }
    void send(const Message& m) {
        sendRaw(Channel::kControl, m_secure->seal(Channel::kControl, encodeMessage(m)));
    }
    // The next control message (presence and avatars skipped).
    std::optional<Message> receive() {
        for (int i = 0; i < 50; ++i) {
            auto raw = receiveRaw();
            if (!raw) return std::nullopt;
            auto plain = m_secure->open(raw->first, raw->second);
            if (!plain) return std::nullopt;
            auto m = decodeMessage(*plain);
            if (!m) return std::nullopt;
            if (raw->first == Channel::kControl) return *m;
        }
        return std::nullopt;
    }
    template <typename T>
    std::optional<T> request(const Message& m) {
        send(m);
        auto r = receive();
        if (!r || !std::holds_alternative<T>(*r)) return std::nullopt;
        return std::get<T>(*r);
    }
    // The ErrorReply code a request is answered with (nullopt: another answer).
    std::optional<ReplyCode> refusal(const Message& m) {
        auto e = request<ErrorReply>(m);
        return e ? std::optional(e->code) : std::nullopt;
    }

private:
    std::optional<SecureChannel> m_secure;
};

class RoomCredentials : public ::testing::Test {
protected:
    void startHost(std::function<void(RoomHostConfig&)> tweak = {}) {
        RoomHostConfig cfg;
        cfg.bindAddress = "127.0.0.1";
        cfg.port = 0;
        cfg.allowGuests = true;
        cfg.serverKey = KeyPair::generate();
        cfg.ticketKey = m_auth.ticketKey().publicKey;
        cfg.unixNow = [this] { return m_now.load(); };
        if (tweak) tweak(cfg);
        auto host = RoomHost::create(cfg, m_auth, m_clock, Logger(m_sink, "host"), &m_observer);
        ASSERT_TRUE(host) << host.error().message;
        m_host = std::move(*host);
        ASSERT_TRUE(m_host->createRoom(RoomConfig{"demo", 0, true, std::nullopt}));
        ASSERT_TRUE(m_host->createRoom(RoomConfig{"closed", 0, false, std::nullopt}));
        m_host->start();
    }
    void TearDown() override {
        m_clients.clear();
        if (m_host) m_host->stop();
    }

    struct Client {
        std::unique_ptr<ClientSession> session;
        std::vector<ClientEvent> events;
        std::vector<ApiResponse> answers;
        template <typename T>
        const T* last() const {
            for (auto it = events.rbegin(); it != events.rend(); ++it) {
                if (auto* e = std::get_if<T>(&*it)) return e;
            }
            return nullptr;
        }
    };
    Client& connect(Credentials creds, std::string room, std::function<void(ClientConfig&)> tweak = {}) {
        ClientConfig cfg;
        cfg.serverHost = "127.0.0.1";
        cfg.serverPort = m_host->port();
        cfg.room = std::move(room);
        cfg.credentials = std::move(creds);
        cfg.expectedServerKey = m_host->publicKey();
        cfg.reconnectInterval = msToNanos(50);
        if (tweak) tweak(cfg);
        auto s = ClientSession::create(cfg, m_clock, Logger(m_sink, "client"));
        EXPECT_TRUE(s) << s.error().message;
        m_clients.push_back(std::make_unique<Client>());
        m_clients.back()->session = std::move(*s);
        return *m_clients.back();
    }
    bool pumpUntil(const std::function<bool()>& done, double seconds = 15.0) {
        const Nanos deadline = m_clock.now() + static_cast<Nanos>(seconds * 1e9);
        while (m_clock.now() < deadline) {
            for (auto& c : m_clients) {
                c->session->service(1);
                for (auto& e : c->session->takeEvents()) c->events.push_back(std::move(e));
                for (auto& a : c->session->takeApiResponses()) c->answers.push_back(std::move(a));
            }
            if (done()) return true;
        }
        return false;
    }
    bool joined(Client& c) {
        return pumpUntil([&] {
            return c.session->state() == ClientState::kJoined || c.session->state() == ClientState::kFailed;
        }) && c.session->state() == ClientState::kJoined;
    }
    const FailedEvent* failure(Client& c) {
        pumpUntil([&] { return c.session->state() == ClientState::kFailed; });
        return c.last<FailedEvent>();
    }
    bool resumed(Client& c) {
        return pumpUntil([&] {
            auto* j = c.last<JoinedEvent>();
            return (j && j->resumed) || c.session->state() == ClientState::kFailed;
        }) && c.session->state() == ClientState::kJoined;
    }
    // Sends a records request and waits for its answer's status (0: none).
    int apiStatus(Client& c) {
        auto id = c.session->sendApiRequest(ApiMethod::kGet, "/goals/1");
        if (!id) return 0;
        int status = 0;
        pumpUntil([&] {
            for (const auto& a : c.answers) {
                if (a.requestId == *id) status = a.status;
            }
            return status != 0;
        });
        return status;
    }
    Bytes ticket(const std::string& subject, const std::string& name, const std::string& room) {
        return *m_auth.issueTicket(Identity{subject, name, Role::kMentee}, room);
    }

    std::atomic<std::int64_t> m_now{1'800'000'000};
    SteadyClock m_clock;
    std::shared_ptr<MemorySink> m_sink = std::make_shared<MemorySink>();
    TestAuthenticator m_auth{SigningKeyPair::generate(), [this] { return m_now.load(); }};
    Recorder m_observer;
    std::unique_ptr<RoomHost> m_host;
    std::vector<std::unique_ptr<Client>> m_clients;
};

TEST_F(RoomCredentials, ATicketJoinsOnceEvenAfterItsHolderLeft) {
    startHost();
    const Bytes t = ticket("account:9", "Hedy", "closed");
    Client& first = connect(TicketJoin{t}, "closed");
    ASSERT_TRUE(joined(first));
    Client& again = connect(TicketJoin{t}, "closed");
    const FailedEvent* f = failure(again);
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->code, ReplyCode::kBadTicket);
    EXPECT_NE(f->error.message.find("already used"), std::string::npos) << f->error.message;
    EXPECT_EQ(m_host->presence("closed").size(), 1u);
    // Leaving does not give the ticket back.
    first.session->leave();
    ASSERT_TRUE(pumpUntil([&] { return m_host->presence("closed").empty(); }));
    Client& third = connect(TicketJoin{t}, "closed");
    f = failure(third);
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->code, ReplyCode::kBadTicket);
    EXPECT_EQ(m_host->stats().ticketsReused, 2u);
    // A fresh ticket for the same person still gets in.
    EXPECT_TRUE(joined(connect(TicketJoin{ticket("account:9", "Hedy", "closed")}, "closed")));
}

TEST_F(RoomCredentials, UsedTicketIdsAreBoundedAndForgottenWhenTheyExpire) {
    startHost([](RoomHostConfig& cfg) { cfg.maxUsedTickets = 1; });
    ASSERT_TRUE(joined(connect(TicketJoin{ticket("account:1", "A", "closed")}, "closed")));
    // The one slot holds a ticket that has not expired: refused, never forgotten early.
    Client& b = connect(TicketJoin{ticket("account:2", "B", "closed")}, "closed");
    const FailedEvent* f = failure(b);
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->code, ReplyCode::kBusy);
    // Once it has expired its id is dropped and the slot is free again.
    m_now += kDefaultTicketLifetimeSeconds + 1;
    EXPECT_TRUE(joined(connect(TicketJoin{ticket("account:3", "C", "closed")}, "closed")));
    EXPECT_EQ(m_host->presence("closed").size(), 2u);
}

TEST_F(RoomCredentials, AnAccountHasOneMemberPerRoomTheNewerJoinReplacesItGuestsAreNotBound) {
    startHost();
    Client& laptop = connect(TicketJoin{ticket("account:7", "Ada", "closed")}, "closed");
    ASSERT_TRUE(joined(laptop));
    Client& headset = connect(TicketJoin{ticket("account:7", "Ada", "closed")}, "closed");
    ASSERT_TRUE(joined(headset));
    ASSERT_TRUE(pumpUntil([&] { return laptop.last<RemovedEvent>() != nullptr; }));
    EXPECT_NE(laptop.last<RemovedEvent>()->reason.find("another connection"), std::string::npos);
    EXPECT_EQ(laptop.session->state(), ClientState::kClosed);
    const auto p = m_host->presence("closed");
    ASSERT_EQ(p.size(), 1u);
    EXPECT_EQ(p[0].avatarId, headset.session->avatarId());
    EXPECT_TRUE(m_observer.saw("left closed account:7 replaced by a new join"));

    Client& g1 = connect(GuestLogin{"Visitor"}, "demo");
    Client& g2 = connect(GuestLogin{"Visitor"}, "demo");
    ASSERT_TRUE(joined(g1));
    ASSERT_TRUE(joined(g2));
    EXPECT_EQ(m_host->presence("demo").size(), 2u);
}

TEST_F(RoomCredentials, RecordsAndTicketsNeedALoginOnTheConnectionNotATicketOrAResume) {
    SubjectEchoGateway gateway;
    startHost([&](RoomHostConfig& cfg) { cfg.api = &gateway; });
    m_auth.addAccount("other@x.org", "pw", Identity{"account:2", "Other", Role::kMentor});

    HandClient owner(m_host->port());
    ASSERT_TRUE(owner.handshake());
    auto j = owner.request<Joined>(Join{"closed", ticket("account:1", "Ann", "closed")});
    ASSERT_TRUE(j);
    // Joined with a ticket only: no records, no tickets.
    auto api = owner.request<ApiResponse>(ApiRequest{1, ApiMethod::kGet, "/goals/1", ""});
    ASSERT_TRUE(api);
    EXPECT_EQ(api->status, 401);
    EXPECT_EQ(owner.refusal(TicketRequest{"demo"}), ReplyCode::kNotAllowed);

    // While the owner's connection is open, its resume token is answered
    // busy and the owner keeps its place.
    HandClient thief(m_host->port());
    ASSERT_TRUE(thief.handshake());
    EXPECT_EQ(thief.refusal(Resume{j->resumeToken}), ReplyCode::kBusy);
    EXPECT_EQ(m_host->stats().resumesBusy, 1u);
    auto still = owner.request<ApiResponse>(ApiRequest{2, ApiMethod::kGet, "/goals/1", ""});
    ASSERT_TRUE(still);  // the owner's connection still answers
    ASSERT_EQ(m_host->presence("closed").size(), 1u);
    EXPECT_FALSE(m_host->presence("closed")[0].away);

    owner.disconnect();
    ASSERT_TRUE(pumpUntil([&] {
        const auto p = m_host->presence("closed");
        return p.size() == 1 && p[0].away;
    }));
    // A connection logged in as another account may not take the avatar.
    HandClient other(m_host->port());
    ASSERT_TRUE(other.handshake());
    ASSERT_TRUE(other.request<LoginOk>(Login{"other@x.org", "pw"}));
    EXPECT_EQ(other.refusal(Resume{j->resumeToken}), ReplyCode::kNotAllowed);
    // The avatar resumed without a login is not a login either.
    HandClient back(m_host->port());
    ASSERT_TRUE(back.handshake());
    auto r = back.request<Joined>(Resume{j->resumeToken});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->avatarId, j->avatarId);
    EXPECT_EQ(back.refusal(TicketRequest{"demo"}), ReplyCode::kNotAllowed);
    api = back.request<ApiResponse>(ApiRequest{3, ApiMethod::kGet, "/goals/1", ""});
    ASSERT_TRUE(api);
    EXPECT_EQ(api->status, 401);
    m_host->stop();  // the gateway goes before TearDown
}

TEST_F(RoomCredentials, AResumeWaitsUntilTheHostHasEndedTheOldConnection) {
    startHost([](RoomHostConfig& c) { c.peerTimeoutMs = 1000; });
    Client& a = connect(GuestLogin{"A"}, "demo");
    Client& b = connect(GuestLogin{"B"}, "demo");
    ASSERT_TRUE(joined(a));
    ASSERT_TRUE(joined(b));
    const auto id = b.session->avatarId();
    // B's side drops the connection without telling the host, which still
    // holds it: the resume is answered busy and retried until the host's
    // peer timeout has ended the old one, never taking it over.
    b.session->simulateConnectionLoss();
    ASSERT_TRUE(resumed(b));
    EXPECT_EQ(b.session->avatarId(), id);
    const auto s = m_host->stats();
    EXPECT_GE(s.resumesBusy, 1u);
    EXPECT_EQ(s.timeouts, 1u);
    EXPECT_EQ(s.resumes, 1u);
    EXPECT_EQ(m_host->presence("demo").size(), 2u);
}

TEST_F(RoomCredentials, AnAccountLogsInAgainBeforeResumingAndKeepsItsRecords) {
    SubjectEchoGateway gateway;
    startHost([&](RoomHostConfig& cfg) {
        cfg.api = &gateway;
        cfg.peerTimeoutMs = 1000;
    });
    m_auth.addToken("tok-1", Identity{"account:3", "Tess", Role::kMentee});
    Client& tess = connect(TokenLogin{"tok-1"}, "closed");
    ASSERT_TRUE(joined(tess));
    EXPECT_EQ(apiStatus(tess), 200);
    tess.session->simulateConnectionLoss();
    ASSERT_TRUE(resumed(tess));
    EXPECT_EQ(apiStatus(tess), 200);
    EXPECT_EQ(tess.answers.back().body, "as account:3");
    m_host->stop();
}

TEST_F(RoomCredentials, DroppingAPersonEndsTheirConnectionsWithTheReasonAndNoOneElses) {
    m_auth.addAccount("grace@x.org", "pw", Identity{"account:1", "Grace", Role::kMentor});
    m_auth.addAccount("linus@x.org", "pw", Identity{"account:2", "Linus", Role::kMentee});
    startHost();
    Client& grace = connect(AccountLogin{"grace@x.org", "pw"}, "closed");
    Client& graceElsewhere = connect(TicketJoin{ticket("account:1", "Grace", "demo")}, "demo");
    Client& linus = connect(AccountLogin{"linus@x.org", "pw"}, "closed");
    ASSERT_TRUE(joined(grace));
    ASSERT_TRUE(joined(graceElsewhere));
    ASSERT_TRUE(joined(linus));
    HandClient loggedIn(m_host->port());  // logged in, in no room
    ASSERT_TRUE(loggedIn.handshake());
    ASSERT_TRUE(loggedIn.request<LoginOk>(Login{"grace@x.org", "pw"}));

    m_host->dropConnectionsOf("account:1", "your password was changed; log in again");
    ASSERT_TRUE(pumpUntil([&] { return grace.last<RemovedEvent>() && graceElsewhere.last<RemovedEvent>(); }));
    EXPECT_EQ(grace.last<RemovedEvent>()->reason, "your password was changed; log in again");
    EXPECT_EQ(grace.session->state(), ClientState::kClosed);  // no resume
    EXPECT_EQ(graceElsewhere.session->state(), ClientState::kClosed);
    auto told = loggedIn.receive();
    ASSERT_TRUE(told && std::holds_alternative<ErrorReply>(*told));
    EXPECT_EQ(std::get<ErrorReply>(*told).code, ReplyCode::kAuthFailed);
    EXPECT_EQ(std::get<ErrorReply>(*told).message, "your password was changed; log in again");

    ASSERT_TRUE(pumpUntil([&] { return m_host->presence("closed").size() == 1 && m_host->presence("demo").empty(); }));
    EXPECT_EQ(m_host->presence("closed")[0].displayName, "Linus");
    EXPECT_EQ(linus.session->state(), ClientState::kJoined);
    EXPECT_TRUE(m_observer.saw("left closed account:1 removed: your password was changed; log in again"));
}

// A ticket Grace got before her password changed (unused, not expired)
// no longer joins; one issued after the change does, and tickets that
// would outlive the host's memory of revocations are refused.
TEST_F(RoomCredentials, ATicketIssuedBeforeARevocationNoLongerJoins) {
    startHost();
    const Bytes before = ticket("account:1", "Grace", "closed");
    const Bytes someoneElse = ticket("account:2", "Linus", "closed");
    m_now += 10;
    m_host->dropConnectionsOf("account:1", "your password was changed; log in again");
    // The drop is applied on the host's thread: wait until a join sees it.
    Client& stale = connect(TicketJoin{before}, "closed");
    const FailedEvent* f = failure(stale);
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->code, ReplyCode::kBadTicket);
    EXPECT_NE(f->error.message.find("issued before this account's credentials changed"), std::string::npos)
        << f->error.message;
    // Other people's tickets are untouched; a ticket Grace fetches after
    // the change joins, even within the same second (she logs in again at
    // once with her new password).
    EXPECT_TRUE(joined(connect(TicketJoin{someoneElse}, "closed")));
    EXPECT_TRUE(joined(connect(TicketJoin{ticket("account:1", "Grace", "closed")}, "closed")));
    EXPECT_EQ(m_host->presence("closed").size(), 2u);
    // A ticket meant to live longer than the host remembers revocations is refused.
    RoomTicket forever;
    forever.room = "closed";
    forever.subject = "account:4";
    forever.displayName = "Ada";
    forever.issuedAt = m_now.load();
    forever.expiresAt = forever.issuedAt + 2 * 24 * 3600;
    f = failure(connect(TicketJoin{signTicket(forever, m_auth.ticketKey())}, "closed"));
    ASSERT_NE(f, nullptr);
    EXPECT_NE(f->error.message.find("longer than a day"), std::string::npos) << f->error.message;
}

}  // namespace
}  // namespace mxr::net
