// The meeting window in virtual time: the real RoomHost and ClientSessions
// over ENet on 127.0.0.1 (port 0), the real RoomService over SQLite. The
// host's monotonic clock, its Unix clock (which is the RoomService's wall
// clock) and the clients' clock are manual clocks that only the test moves:
// "29 s later" is one jump of all of them, never a sleep. Real time passes
// only while ENet carries packets and while the host notices a lost
// connection (its peer timeout, lowered to 1 s here); the loops below wait
// for outcomes with a deadline that only bounds a failing test.
//
// Leaving and coming back after 29 s is the same meeting (same session
// record; a lost connection resumes its avatar); after 31 s it is a new
// meeting (the client's resume has expired, it joins as new, and a new
// session record starts).
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "net/client_session.h"
#include "net/crypto.h"
#include "net/room_host.h"
#include "server/rooms.h"
#include "test_env.h"

namespace mxr::server::test {
namespace {

constexpr Nanos kSecond = 1'000'000'000;

enum class Away { kConnectionLost, kLeft };
[[maybe_unused]] std::ostream& operator<<(std::ostream& o, Away a) {
    return o << (a == Away::kConnectionLost ? "connection lost" : "left");
}

class MeetingWindow : public ::testing::TestWithParam<std::tuple<Away, std::int64_t>> {
protected:
    void SetUp() override {
        admin = env.bootstrap();
        mentor = env.person(admin, "mentor", Json::array({"mentor"}));
        mentee = env.person(admin, "mentee", Json::array({"mentee"}));
        const auto program = env.must(env.handlers->create(admin, Entity::kProgram, Json{{"name", "P"}}));
        mentorship = env.must(env.handlers->create(
            admin, Entity::kMentorship,
            Json{{"program_id", program}, {"kind", "one_to_one"}, {"status", "active"},
                 {"mentors", {mentor}}, {"mentees", {mentee}}}));
        room = "mentorship-" + std::to_string(mentorship);
        rooms = std::make_unique<RoomService>(*env.handlers, *env.store, env.wall, net::SigningKeyPair::generate(),
                                              RoomServiceOptions{}, Logger());
        net::RoomHostConfig cfg;
        cfg.bindAddress = "127.0.0.1";
        cfg.port = 0;
        cfg.serverKey = net::KeyPair::generate();
        cfg.ticketKey = rooms->ticketKey().publicKey;
        cfg.createRoomsOnTicket = true;
        cfg.unixNow = [this] { return env.wall.nowUnix(); };
        cfg.peerTimeoutMs = 1000;  // real time: how soon the host notices a lost connection
        cfg.resumeWindow = 30 * kSecond;
        auto h = net::RoomHost::create(cfg, *rooms, hostClock, Logger(), rooms.get());
        ASSERT_TRUE(h) << h.error().describe();
        host = std::move(*h);
        host->start();
    }
    void TearDown() override {
        clients.clear();
        if (host) host->stop();
        host.reset();
        rooms.reset();
    }

    // Every clock of the story moves at once.
    void advance(std::int64_t seconds) {
        hostClock.advance(seconds * kSecond);
        clientClock.advance(seconds * kSecond);
        env.wall.advance(seconds);
    }

    struct Client {
        std::unique_ptr<net::ClientSession> session;
        std::vector<net::ClientEvent> events;
        bool paused = false;  // not serviced: as silent as a machine off the network
        const net::JoinedEvent* joined() const {
            for (auto it = events.rbegin(); it != events.rend(); ++it) {
                if (auto* j = std::get_if<net::JoinedEvent>(&*it)) return j;
            }
            return nullptr;
        }
    };

    Client& join(std::int64_t person) {
        auto principal = env.handlers->principalOf(person);
        EXPECT_TRUE(principal);
        auto t = rooms->ticket(*principal, room);
        EXPECT_TRUE(t);
        auto ticket = net::fromBase64((*t)["ticket"].get<std::string>());
        EXPECT_TRUE(ticket);
        net::ClientConfig cfg;
        cfg.serverHost = "127.0.0.1";
        cfg.serverPort = host->port();
        cfg.room = room;
        cfg.credentials = net::TicketJoin{*ticket};
        cfg.expectedServerKey = host->publicKey();
        auto s = net::ClientSession::create(cfg, clientClock, Logger());
        EXPECT_TRUE(s) << s.error().describe();
        clients.push_back(std::make_unique<Client>());
        clients.back()->session = std::move(*s);
        return *clients.back();
    }

    // Services the clients that are not paused until `done`; the real-time
    // deadline only ends a failing test.
    bool pumpUntil(const std::function<bool()>& done) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (std::chrono::steady_clock::now() < deadline) {
            for (auto& c : clients) {
                if (c->paused) continue;
                c->session->service(1);
                for (auto& e : c->session->takeEvents()) c->events.push_back(std::move(e));
            }
            if (done()) return true;
        }
        return false;
    }
    bool joined(Client& c) {
        return pumpUntil([&] { return c.session->state() == net::ClientState::kJoined; });
    }
    std::size_t awayInHost() {
        std::size_t n = 0;
        for (const auto& p : host->presence(room)) n += p.away;
        return n;
    }

    Json sessions() {
        rooms->drain();
        auto r = env.handlers->list(admin, Entity::kSession, Params{{"mentorship_id", std::to_string(mentorship)}});
        EXPECT_TRUE(r);
        return r ? (*r)["items"] : Json::array();
    }

    TestEnv env{"meeting-window"};
    ManualClock hostClock{1000 * kSecond};
    ManualClock clientClock{5000 * kSecond};  // another machine: another origin, the same pace
    Principal admin;
    std::int64_t mentor = 0, mentee = 0, mentorship = 0;
    std::string room;
    std::unique_ptr<RoomService> rooms;
    std::unique_ptr<net::RoomHost> host;
    std::vector<std::unique_ptr<Client>> clients;
};

TEST_P(MeetingWindow, ComingBackWithinTheWindowIsTheSameMeetingAndAfterItANewOne) {
    const auto [how, awaySeconds] = GetParam();
    const bool inWindow = awaySeconds <= 30;
    const std::int64_t t0 = env.wall.nowUnix();
    Client& a = join(mentor);
    Client& b = join(mentee);
    ASSERT_TRUE(joined(a));
    ASSERT_TRUE(joined(b));
    Json s = sessions();
    ASSERT_EQ(s.size(), 1u);
    const std::int64_t first = s[0]["id"];
    EXPECT_EQ(s[0]["started_at"], formatTimestamp(t0));
    EXPECT_TRUE(s[0]["ended_at"].is_null());
    const std::uint16_t idA = a.session->avatarId(), idB = b.session->avatarId();

    // Both go away at t0: their connections drop (the host keeps them away,
    // resumable) or they leave (the room empties now).
    if (how == Away::kConnectionLost) {
        a.session->simulateConnectionLoss();
        b.session->simulateConnectionLoss();
        a.paused = b.paused = true;
        ASSERT_TRUE(pumpUntil([&] { return awayInHost() == 2; }));  // the host noticed (its peer timeout)
    } else {
        a.session->leave();
        b.session->leave();
        ASSERT_TRUE(pumpUntil([&] { return host->presence(room).empty(); }));
        s = sessions();
        ASSERT_EQ(s.size(), 1u);
        EXPECT_EQ(s[0]["ended_at"], formatTimestamp(t0));
    }

    advance(awaySeconds);
    if (how == Away::kConnectionLost) {
        a.paused = b.paused = false;
        if (inWindow) {
            // Both resume their avatars: nobody ever left the meeting.
            ASSERT_TRUE(pumpUntil([&] {
                return a.joined() && a.joined()->resumed && b.joined() && b.joined()->resumed;
            }));
            EXPECT_EQ(a.session->avatarId(), idA);
            EXPECT_EQ(b.session->avatarId(), idB);
            EXPECT_EQ(host->stats().resumes, 2u);
            EXPECT_EQ(awayInHost(), 0u);
        } else {
            // Too late to resume: the clients give up, and the host has let
            // them go as of when their connections were lost.
            ASSERT_TRUE(pumpUntil([&] {
                return a.session->state() == net::ClientState::kFailed &&
                       b.session->state() == net::ClientState::kFailed && host->presence(room).empty();
            }));
            EXPECT_EQ(host->stats().resumes, 0u);
        }
    }
    if (how == Away::kLeft || !inWindow) {
        // They join again as new members.
        Client& a2 = join(mentor);
        Client& b2 = join(mentee);
        ASSERT_TRUE(joined(a2));
        ASSERT_TRUE(joined(b2));
        EXPECT_FALSE(a2.joined()->resumed);
        EXPECT_FALSE(b2.joined()->resumed);
    }
    ASSERT_EQ(host->presence(room).size(), 2u);

    s = sessions();
    if (inWindow) {
        // The same meeting: one record, in progress, from t0.
        ASSERT_EQ(s.size(), 1u) << s;
        EXPECT_EQ(s[0]["id"], first);
        EXPECT_EQ(s[0]["started_at"], formatTimestamp(t0));
        EXPECT_TRUE(s[0]["ended_at"].is_null()) << s[0];
        EXPECT_EQ(s[0]["attendees"], Json({mentor, mentee}));
    } else {
        // The first meeting ended at t0, when they went; a new one started.
        ASSERT_EQ(s.size(), 2u) << s;
        for (const Json& x : s) {
            if (x["id"] == first) {
                EXPECT_EQ(x["started_at"], formatTimestamp(t0));
                EXPECT_EQ(x["ended_at"], formatTimestamp(t0)) << x;
            } else {
                EXPECT_EQ(x["started_at"], formatTimestamp(t0 + awaySeconds));
                EXPECT_TRUE(x["ended_at"].is_null()) << x;
                EXPECT_EQ(x["attendees"], Json({mentor, mentee}));
            }
        }
    }
}

INSTANTIATE_TEST_SUITE_P(AwayFor, MeetingWindow,
                         ::testing::Combine(::testing::Values(Away::kConnectionLost, Away::kLeft),
                                            ::testing::Values(std::int64_t{29}, std::int64_t{31})),
                         [](const auto& info) {
                             return std::string(std::get<0>(info.param) == Away::kConnectionLost ? "ConnectionLost"
                                                                                                 : "Left") +
                                    std::to_string(std::get<1>(info.param)) + "s";
                         });

}  // namespace
}  // namespace mxr::server::test
