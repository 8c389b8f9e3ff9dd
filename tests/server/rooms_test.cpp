// Shared rooms on the real mentorxr-server process (127.0.0.1, ports 0):
// room tickets and who may enter which room, ENet login with the HTTP
// accounts, sessions recorded from room presence and read back over HTTP,
// records over ENet (ApiRequest) with the same authorization as HTTP, and
// guests in the demo room.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <thread>

#include "http_client.h"
#include "process_util.h"
#include "net/authenticator.h"
#include "net/client_session.h"
#include "net/crypto.h"
#include "net/room_client.h"
#include "net/ticket.h"
#include "server/time_util.h"
#include "server_process.h"
#include "test_env.h"

namespace mxr::server::test {
namespace {

using nlohmann::json;

// A ClientSession driven by the test thread.
class Client {
public:
    Client(int udpPort, std::string room, net::Credentials creds) {
        net::ClientConfig cfg;
        cfg.serverPort = static_cast<std::uint16_t>(udpPort);
        cfg.room = std::move(room);
        cfg.credentials = std::move(creds);
        cfg.pinFile = makeTempDir("pins") / "known_servers";  // first use pins the test server's key
        auto s = net::ClientSession::create(cfg, m_clock, Logger(std::make_shared<MemorySink>(), "client"));
        EXPECT_TRUE(s) << (s ? "" : s.error().message);
        if (s) m_session = std::move(*s);
    }
    net::ClientSession& session() { return *m_session; }

    // Services the session until pred() holds; false after 20 s (a
    // deadline against hangs, not a timing assertion).
    bool until(const std::function<bool()>& pred) {
        const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (std::chrono::steady_clock::now() < end) {
            m_session->service(10);
            for (auto& e : m_session->takeEvents()) {
                if (auto* p = std::get_if<net::PresenceEvent>(&e)) presence = p->members;
                if (auto* f = std::get_if<net::FailedEvent>(&e)) failure = f->error.message;
                if (auto* n = std::get_if<net::NoticeEvent>(&e)) notices.push_back(n->message);
                if (auto* r = std::get_if<net::RemovedEvent>(&e)) removed = r->reason;
            }
            for (auto& r : m_session->takeApiResponses()) answers.push_back(r);
            if (pred()) return true;
        }
        return false;
    }
    // Lets a Leave and the disconnect go out (leave() only queues them).
    void flush() {
        for (int i = 0; i < 50; ++i) m_session->service(10);
    }
    bool joined() {
        return until([&] { return m_session->state() == net::ClientState::kJoined || !failure.empty(); }) &&
               m_session->state() == net::ClientState::kJoined;
    }
    // Sends one request and waits for its answer.
    std::optional<net::ApiResponse> api(net::ApiMethod method, const std::string& path, const std::string& body = "",
                                        const std::string& idempotencyKey = "") {
        auto id = m_session->sendApiRequest(method, path, body, idempotencyKey);
        if (!id) return std::nullopt;
        std::optional<net::ApiResponse> out;
        until([&] {
            for (auto& a : answers) {
                if (a.requestId == *id) out = a;
            }
            return out.has_value();
        });
        return out;
    }

    std::vector<net::PresenceEntry> presence;
    std::vector<net::ApiResponse> answers;
    std::string failure;
    std::vector<std::string> notices;
    std::string removed;

private:
    SteadyClock m_clock;
    std::unique_ptr<net::ClientSession> m_session;
};

class ServerRooms : public ::testing::Test {
protected:
    void start(std::vector<std::string> extra = {}) {
        extra.insert(extra.begin(), {"--init-admin", "admin@example.org:adminpassword"});
        ASSERT_TRUE(server.start(dir, extra)) << server.why();
        http = std::make_unique<HttpClient>(server.port());
        admin = http->login("admin@example.org", "adminpassword");
        ASSERT_FALSE(admin.empty());
        mentor = person("mentor", "Ana Mentor");
        mentee = person("mentee", "Ben Mentee");
        outsider = person("mentee", "Cy Outsider");
        program = http->post("/api/v1/programs", {{"name", "Welding"}}, admin).body["id"];
        mentorship = http->post("/api/v1/mentorships",
                                {{"program_id", program}, {"kind", "one_to_one"}, {"status", "active"},
                                 {"mentors", {mentor}}, {"mentees", {mentee}}}, admin)
                         .body["id"];
        ASSERT_GT(mentorship, 0);
        room = "mentorship-" + std::to_string(mentorship);
    }
    void TearDown() override {
        http.reset();
        server.kill9();
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }
    std::int64_t person(const std::string& role, const std::string& name) {
        const std::string email = std::to_string(++m_people) + "@example.org";
        auto r = http->post("/api/v1/people", {{"name", name}, {"email", email}, {"roles", {role}},
                                               {"password", "a-long-password"}}, admin);
        EXPECT_EQ(r.status, 201) << r.raw;
        emails[r.body["id"].get<std::int64_t>()] = email;
        return r.body["id"];
    }
    std::string token(std::int64_t who) { return http->login(emails[who], "a-long-password"); }
    // The mentorship's sessions over HTTP, polled until `done` holds for the
    // list (a deadline against hangs, not a timing assertion).
    json sessionsWhen(const std::string& bearer, const std::function<bool(const json&)>& done) {
        json items = json::array();
        for (int i = 0; i < 400; ++i) {
            items = http->get("/api/v1/sessions?mentorship_id=" + std::to_string(mentorship), bearer).body["items"];
            if (done(items)) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        return items;
    }
    static bool oneEnded(const json& items) { return items.size() == 1 && items[0]["ended_at"].is_string(); }
    // Restarts the server on the same data folder (its ports change).
    void restart() {
        http.reset();
        ASSERT_TRUE(server.start(dir)) << server.why();
        http = std::make_unique<HttpClient>(server.port());
    }
    net::AccountLogin account(std::int64_t who) { return net::AccountLogin{emails[who], "a-long-password"}; }

    std::filesystem::path dir = makeTempDir("rooms");
    ServerProcess server;
    std::unique_ptr<HttpClient> http;
    std::string admin;
    std::int64_t mentor = 0, mentee = 0, outsider = 0, program = 0, mentorship = 0;
    std::string room;
    std::map<std::int64_t, std::string> emails;

private:
    int m_people = 0;
};

TEST_F(ServerRooms, TicketsFollowMentorshipAccessAndVerifyWithTheStoredKey) {
    start();
    // Both keys were created in the data folder, owner-only.
    for (const char* f : {"room_host.key", "ticket_signing.key"}) {
        struct stat st {};
        ASSERT_EQ(::stat((dir / f).c_str(), &st), 0) << f;
        EXPECT_EQ(st.st_mode & 0777, 0600u) << f;
    }
    auto key = net::loadOrCreateSigningKey(dir / "ticket_signing.key");
    ASSERT_TRUE(key);

    const std::string path = "/api/v1/rooms/" + room + "/ticket";
    auto ok = http->post(path, json::object(), token(mentee));
    ASSERT_EQ(ok.status, 200) << ok.raw;
    auto bytes = net::fromBase64(ok.body["ticket"].get<std::string>());
    ASSERT_TRUE(bytes);
    auto t = net::verifyTicket(*bytes, key->publicKey, room, net::systemUnixNow());
    ASSERT_TRUE(t) << t.error().message;
    EXPECT_EQ(t->subject, std::to_string(mentee));
    EXPECT_EQ(t->displayName, "Ben Mentee");
    EXPECT_EQ(t->role, net::Role::kMentee);
    EXPECT_TRUE(ok.body["expires_at"].is_string());

    EXPECT_EQ(http->post(path, json::object(), token(mentor)).status, 200);
    EXPECT_EQ(http->post(path, json::object(), admin).status, 200);  // the program's manager
    // Not a member, not a manager of its program: as if it did not exist.
    EXPECT_EQ(http->post(path, json::object(), token(outsider)).status, 404);
    const std::int64_t otherManager = person("program_manager", "Other Manager");
    EXPECT_EQ(http->post(path, json::object(), token(otherManager)).status, 404);
    EXPECT_EQ(http->post("/api/v1/rooms/mentorship-999/ticket", json::object(), token(mentor)).status, 404);
    EXPECT_EQ(http->post(path, json::object()).status, 401);
    // Other rooms: created through the API by someone (who owns them), then
    // open to any authenticated person; names are validated.
    EXPECT_EQ(http->post("/api/v1/rooms/welding-101/ticket", json::object(), token(outsider)).status, 404);
    EXPECT_EQ(http->post("/api/v1/rooms", {{"name", "welding-101"}}, token(outsider)).status, 201);
    EXPECT_EQ(http->post("/api/v1/rooms", {{"name", "welding-101"}}, token(mentor)).status, 409);
    EXPECT_EQ(http->post("/api/v1/rooms", {{"name", "mentorship-5"}}, token(mentor)).status, 400);
    EXPECT_EQ(http->post("/api/v1/rooms/welding-101/ticket", json::object(), token(mentor)).status, 200);
    EXPECT_EQ(http->post("/api/v1/rooms/bad%20name/ticket", json::object(), token(outsider)).status, 400);
    EXPECT_EQ(http->post("/api/v1/rooms/mentorship-x/ticket", json::object(), token(mentor)).status, 400);
    const std::string tooLong(65, 'a');
    EXPECT_EQ(http->post("/api/v1/rooms/" + tooLong + "/ticket", json::object(), token(mentor)).status, 400);

    // Over ENet the same rule: the outsider logs in but gets no ticket.
    Client intruder(server.udpPort(), room, account(outsider));
    EXPECT_FALSE(intruder.joined());
    EXPECT_NE(intruder.failure.find("not found"), std::string::npos) << intruder.failure;
    // A ticket from HTTP lets its holder in (the room is created on demand).
    Client holder(server.udpPort(), room, net::TicketJoin{*bytes});
    EXPECT_TRUE(holder.joined()) << holder.failure;
}

TEST_F(ServerRooms, PairMeetingInItsRoomIsRecordedAsASession) {
    start();
    {
        Client a(server.udpPort(), room, account(mentor));
        ASSERT_TRUE(a.joined()) << a.failure;
        Client b(server.udpPort(), room, net::TokenLogin{token(mentee)});
        ASSERT_TRUE(b.joined()) << b.failure;
        ASSERT_TRUE(a.until([&] { return a.presence.size() == 2; }));
        std::set<std::string> names;
        for (const auto& p : a.presence) names.insert(p.displayName);
        EXPECT_EQ(names, (std::set<std::string>{"Ana Mentor", "Ben Mentee"}));
        // While they are there the session is recorded as in progress.
        json during = sessionsWhen(token(mentor), [](const json& items) { return !items.empty(); });
        ASSERT_EQ(during.size(), 1u) << during;
        EXPECT_TRUE(during[0]["started_at"].is_string()) << during[0];
        EXPECT_TRUE(during[0]["ended_at"].is_null()) << during[0];
        EXPECT_EQ(during[0]["attendees"], json({mentor, mentee})) << during[0];
        a.session().leave();
        b.session().leave();
        a.flush();
        b.flush();
    }
    json items = sessionsWhen(token(mentee), oneEnded);
    ASSERT_EQ(items.size(), 1u);
    const json& s = items[0];
    ASSERT_TRUE(s["started_at"].is_string()) << s;
    ASSERT_TRUE(s["ended_at"].is_string()) << s;
    EXPECT_LE(s["started_at"].get<std::string>(), s["ended_at"].get<std::string>());
    EXPECT_EQ(s["attendees"], json({mentor, mentee})) << s;
}

TEST_F(ServerRooms, AMeetingInProgressWhenTheServerStopsIsRecordedAsEndedThen) {
    start();
    Client a(server.udpPort(), room, account(mentor));
    ASSERT_TRUE(a.joined()) << a.failure;
    Client b(server.udpPort(), room, net::TokenLogin{token(mentee)});
    ASSERT_TRUE(b.joined()) << b.failure;
    ASSERT_TRUE(a.until([&] { return a.presence.size() == 2; }));
    const std::string beforeStop = formatTimestamp(SystemWallClock().nowUnix());
    // SIGTERM while both are still in the room: a clean stop.
    http.reset();
    EXPECT_EQ(server.terminate(), 0) << server.stderrText();
    const std::string afterStop = formatTimestamp(SystemWallClock().nowUnix());
    restart();
    const json items = sessionsWhen(admin, oneEnded);
    ASSERT_EQ(items.size(), 1u) << items;
    const json& s = items[0];
    ASSERT_TRUE(s["started_at"].is_string()) << s;
    ASSERT_TRUE(s["ended_at"].is_string()) << s;
    EXPECT_LE(s["started_at"].get<std::string>(), s["ended_at"].get<std::string>()) << s;
    // Ended at the stop, as if everyone had left then.
    EXPECT_GE(s["ended_at"].get<std::string>(), beforeStop) << s;
    EXPECT_LE(s["ended_at"].get<std::string>(), afterStop) << s;
    EXPECT_EQ(s["attendees"], json({mentor, mentee})) << s;
    EXPECT_EQ(s["notes"], "recorded from room presence") << s;
    // Recorded by the stop itself, not repaired at the next start.
    const std::string log = server.stderrText();
    EXPECT_NE(log.find("stopping: ended 1 meeting"), std::string::npos) << log;
    EXPECT_EQ(log.find("left open by an unclean stop"), std::string::npos) << log;
}

TEST_F(ServerRooms, AMeetingLeftOpenByACrashIsClosedAtTheNextStart) {
    start();
    std::string startedAt;
    {
        Client a(server.udpPort(), room, account(mentor));
        ASSERT_TRUE(a.joined()) << a.failure;
        Client b(server.udpPort(), room, net::TokenLogin{token(mentee)});
        ASSERT_TRUE(b.joined()) << b.failure;
        // The session in progress is on disk (acknowledged to HTTP readers).
        json during = sessionsWhen(admin, [](const json& items) { return !items.empty(); });
        ASSERT_EQ(during.size(), 1u) << during;
        ASSERT_TRUE(during[0]["ended_at"].is_null()) << during[0];
        startedAt = during[0]["started_at"].get<std::string>();
        // kill -9 while both are in the room: nothing runs at exit.
        http.reset();
        server.kill9();
    }
    const std::string afterCrash = formatTimestamp(SystemWallClock().nowUnix());
    restart();
    const json items = sessionsWhen(admin, oneEnded);
    ASSERT_EQ(items.size(), 1u) << items;
    const json& s = items[0];
    ASSERT_TRUE(s["ended_at"].is_string()) << s;
    EXPECT_EQ(s["started_at"], startedAt) << s;
    // The last time the server saw it in progress: not before it started,
    // not after the crash.
    EXPECT_GE(s["ended_at"].get<std::string>(), startedAt) << s;
    EXPECT_LE(s["ended_at"].get<std::string>(), afterCrash) << s;
    EXPECT_EQ(s["attendees"], json({mentor, mentee})) << s;
    EXPECT_NE(server.stderrText().find("left open by an unclean stop"), std::string::npos) << server.stderrText();
    // A second start finds nothing more to close and changes nothing.
    http.reset();
    EXPECT_EQ(server.terminate(), 0);
    restart();
    const json again = sessionsWhen(admin, oneEnded);
    ASSERT_EQ(again.size(), 1u);
    EXPECT_EQ(again[0]["ended_at"], s["ended_at"]);
    EXPECT_EQ(again[0]["updated_at"], s["updated_at"]);
}

TEST_F(ServerRooms, RecordsOverEnetUseTheHttpRules) {
    start({"--allow-guests"});
    auto goal = http->post("/api/v1/goals", {{"mentorship_id", mentorship}, {"title", "Pass the weld test"}},
                           token(mentor));
    ASSERT_EQ(goal.status, 201) << goal.raw;
    const std::string goalPath = "/goals/" + std::to_string(goal.body["id"].get<std::int64_t>());

    Client ben(server.udpPort(), room, account(mentee));
    ASSERT_TRUE(ben.joined()) << ben.failure;
    auto r = ben.api(net::ApiMethod::kPatch, goalPath, R"({"progress":55})");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(http->get("/api/v1" + goalPath, token(mentor)).body["progress"], 55);
    auto list = ben.api(net::ApiMethod::kGet, "/goals?mentorship_id=" + std::to_string(mentorship));
    ASSERT_TRUE(list);
    EXPECT_EQ(list->status, 200);
    EXPECT_EQ(json::parse(list->body)["items"].size(), 1u);
    // Feedback on a session, written over ENet, read by the mentor over HTTP.
    auto held = http->post("/api/v1/sessions", {{"mentorship_id", mentorship}, {"scheduled_at", "2026-03-02T09:00:00Z"}},
                           token(mentor));
    ASSERT_EQ(held.status, 201) << held.raw;
    const json fb{{"session_id", held.body["id"]}, {"subject_id", mentor}, {"rating_goal_progress", 4},
                  {"rating_communication", 5}, {"rating_trust_respect", 5}, {"rating_usefulness", 4},
                  {"text", "clear demo"}};
    auto posted = ben.api(net::ApiMethod::kPost, "/feedback", fb.dump());
    ASSERT_TRUE(posted);
    ASSERT_EQ(posted->status, 201) << posted->body;
    const auto fbId = json::parse(posted->body)["id"].get<std::int64_t>();
    auto readBack = http->get("/api/v1/feedback/" + std::to_string(fbId), token(mentor));
    EXPECT_EQ(readBack.status, 200);
    EXPECT_EQ(readBack.body["text"], "clear demo");
    EXPECT_EQ(readBack.body["author_id"], mentee);
    // A write retried with the same idempotency key (a lost answer) is applied once.
    const json keyed{{"mentorship_id", mentorship}, {"title", "written once"}};
    auto once = ben.api(net::ApiMethod::kPost, "/goals", keyed.dump(), "ben-goal-1");
    auto twice = ben.api(net::ApiMethod::kPost, "/goals", keyed.dump(), "ben-goal-1");
    ASSERT_TRUE(once && twice);
    ASSERT_EQ(once->status, 201) << once->body;
    EXPECT_EQ(twice->status, 201);
    EXPECT_EQ(json::parse(twice->body)["id"], json::parse(once->body)["id"]);
    std::size_t written = 0;
    const auto goals = http->get("/api/v1/goals?mentorship_id=" + std::to_string(mentorship), token(mentor));
    for (const auto& g : goals.body["items"]) written += g["title"] == "written once" ? 1 : 0;
    EXPECT_EQ(written, 1u) << goals.raw;
    auto bad = ben.api(net::ApiMethod::kPatch, goalPath, R"({"progress":101})");
    ASSERT_TRUE(bad);
    EXPECT_EQ(bad->status, 400);
    EXPECT_EQ(json::parse(bad->body)["error"]["field"], "progress");
    // Not on the allow-list: refused, nothing deleted.
    auto del = ben.api(net::ApiMethod::kDelete, goalPath);
    ASSERT_TRUE(del);
    EXPECT_EQ(del->status, 404);

    // The outsider in another room: the same status as over HTTP, nothing changed.
    ASSERT_EQ(http->post("/api/v1/rooms", {{"name", "lobby"}}, token(outsider)).status, 201);
    Client cy(server.udpPort(), "lobby", account(outsider));
    ASSERT_TRUE(cy.joined()) << cy.failure;
    const int httpStatus = http->call("PATCH", "/api/v1" + goalPath, R"({"progress":1})", token(outsider)).status;
    auto refused = cy.api(net::ApiMethod::kPatch, goalPath, R"({"progress":1})");
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, httpStatus);
    EXPECT_EQ(refused->status, 404);
    EXPECT_EQ(http->get("/api/v1" + goalPath, token(mentor)).body["progress"], 55);

    // A guest in the demo room cannot use records.
    Client guest(server.udpPort(), "demo", net::GuestLogin{"Visitor"});
    ASSERT_TRUE(guest.joined()) << guest.failure;
    auto g = guest.api(net::ApiMethod::kPatch, goalPath, R"({"progress":2})");
    ASSERT_TRUE(g);
    EXPECT_EQ(g->status, 401);
    EXPECT_EQ(http->get("/api/v1" + goalPath, token(mentor)).body["progress"], 55);

    // The application's RoomClient (network thread, queues) reaches the same route.
    SteadyClock clock;
    net::ClientConfig cfg;
    cfg.serverPort = static_cast<std::uint16_t>(server.udpPort());
    cfg.room = room;
    cfg.credentials = account(mentor);
    cfg.pinFile = dir / "known_servers";
    auto rc = net::RoomClient::start(cfg, clock, Logger(std::make_shared<MemorySink>(), "room-client"));
    ASSERT_TRUE(rc);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    bool joined = false;
    while (!joined && std::chrono::steady_clock::now() < deadline) {
        while (auto e = (*rc)->poll()) joined = joined || std::holds_alternative<net::JoinedEvent>(*e);
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ASSERT_TRUE(joined);
    auto id = (*rc)->sendApiRequest(net::ApiMethod::kPatch, goalPath, R"({"status":"achieved"})");
    ASSERT_TRUE(id);
    std::optional<net::ApiResponse> answer;
    while (!answer && std::chrono::steady_clock::now() < deadline) {
        answer = (*rc)->pollApiResponse();
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->requestId, *id);
    EXPECT_EQ(answer->status, 200) << answer->body;
    EXPECT_EQ(http->get("/api/v1" + goalPath, token(mentee)).body["status"], "achieved");
}

// Revoked credentials end the ENet session at once: a password change over
// HTTP removes the person from the room with the reason, and neither the old
// password nor the token the room client used gets back in (the token that
// made the change, from another login, stays: it is the person's own
// session); a role change does the same.
TEST_F(ServerRooms, APasswordOrRoleChangeOverHttpEndsTheEnetSession) {
    start();
    const std::string oldToken = token(mentee);
    const std::string browserToken = token(mentee);
    Client ben(server.udpPort(), room, net::TokenLogin{oldToken});
    ASSERT_TRUE(ben.joined()) << ben.failure;
    Client ana(server.udpPort(), room, account(mentor));
    ASSERT_TRUE(ana.joined()) << ana.failure;
    auto before = ben.api(net::ApiMethod::kGet, "/mentorships");
    ASSERT_TRUE(before);
    EXPECT_EQ(before->status, 200);

    auto changed = http->call("PATCH", "/api/v1/people/" + std::to_string(mentee),
                              R"({"password":"another-long-password"})", browserToken);
    ASSERT_EQ(changed.status, 200) << changed.raw;
    ASSERT_TRUE(ben.until([&] { return !ben.removed.empty(); })) << "the ENet session outlived the password";
    EXPECT_NE(ben.removed.find("password was changed"), std::string::npos) << ben.removed;
    EXPECT_EQ(ben.session().state(), net::ClientState::kClosed);
    EXPECT_FALSE(ben.session().sendApiRequest(net::ApiMethod::kGet, "/mentorships"));
    // Neither the old token nor the old password gets a ticket again.
    Client oldTok(server.udpPort(), room, net::TokenLogin{oldToken});
    EXPECT_FALSE(oldTok.joined());
    EXPECT_NE(oldTok.failure.find("auth"), std::string::npos) << oldTok.failure;
    EXPECT_EQ(http->get("/api/v1/people/" + std::to_string(mentee), browserToken).status, 200);
    Client oldPassword(server.udpPort(), room, account(mentee));
    EXPECT_FALSE(oldPassword.joined());
    // The new password does, with records.
    Client again(server.udpPort(), room, net::AccountLogin{emails[mentee], "another-long-password"});
    ASSERT_TRUE(again.joined()) << again.failure;
    auto after = again.api(net::ApiMethod::kGet, "/mentorships");
    ASSERT_TRUE(after);
    EXPECT_EQ(after->status, 200);

    // Ana, untouched so far, is removed by a change of her roles.
    EXPECT_TRUE(ana.removed.empty());
    auto roles = http->call("PATCH", "/api/v1/people/" + std::to_string(mentor),
                            R"({"roles":["mentor","mentee"]})", admin);
    ASSERT_EQ(roles.status, 200) << roles.raw;
    ASSERT_TRUE(ana.until([&] { return !ana.removed.empty(); }));
    EXPECT_NE(ana.removed.find("roles"), std::string::npos) << ana.removed;
    auto stillIn = again.api(net::ApiMethod::kGet, "/mentorships");  // nobody else's session ended
    ASSERT_TRUE(stillIn);
    EXPECT_EQ(stillIn->status, 200);
}

// Who moderates is decided by the room (through the server's access
// layer), not by the role: a mentorship's mentor, not its mentee; a named
// room's owner, not a mentor who joined it first.
TEST_F(ServerRooms, TheRoomDecidesWhoModeratesAndARemovedPersonStaysOutWithTheReason) {
    start();
    Client ana(server.udpPort(), room, account(mentor));
    ASSERT_TRUE(ana.joined()) << ana.failure;
    Client ben(server.udpPort(), room, account(mentee));
    ASSERT_TRUE(ben.joined()) << ben.failure;
    ASSERT_TRUE(ana.until([&] { return ana.presence.size() == 2; }));
    ben.session().moderate(net::Moderate{net::ModerationAction::kMute, ana.session().avatarId(), ""});
    ASSERT_TRUE(ben.until([&] { return !ben.notices.empty(); }));
    EXPECT_NE(ben.notices[0].find("do not moderate"), std::string::npos) << ben.notices[0];
    ana.session().moderate(net::Moderate{net::ModerationAction::kRemove, ben.session().avatarId(), "please rejoin tomorrow"});
    ASSERT_TRUE(ben.until([&] {
        ana.session().service(1);
        for (auto& e : ana.session().takeEvents()) {
            if (auto* n = std::get_if<net::NoticeEvent>(&e)) ana.notices.push_back(n->message);
        }
        return !ben.removed.empty() || !ana.notices.empty();
    }));
    ASSERT_TRUE(ana.notices.empty()) << ana.notices[0];
    EXPECT_EQ(ben.removed, "removed by Ana Mentor: please rejoin tomorrow");
    Client benAgain(server.udpPort(), room, account(mentee));
    EXPECT_FALSE(benAgain.joined());
    EXPECT_NE(benAgain.failure.find("please rejoin tomorrow"), std::string::npos) << benAgain.failure;

    // A named room: its owner moderates; a mentor who is merely there does not.
    ASSERT_EQ(http->post("/api/v1/rooms", {{"name", "study-hall"}}, token(outsider)).status, 201);
    Client mentorThere(server.udpPort(), "study-hall", account(mentor));
    ASSERT_TRUE(mentorThere.joined()) << mentorThere.failure;
    Client owner(server.udpPort(), "study-hall", account(outsider));
    ASSERT_TRUE(owner.joined()) << owner.failure;
    ASSERT_TRUE(owner.until([&] { return owner.presence.size() == 2; }));
    mentorThere.session().moderate(net::Moderate{net::ModerationAction::kMute, owner.session().avatarId(), ""});
    ASSERT_TRUE(mentorThere.until([&] { return !mentorThere.notices.empty(); }));
    owner.session().moderate(net::Moderate{net::ModerationAction::kMute, mentorThere.session().avatarId(), ""});
    ASSERT_TRUE(owner.until([&] {
        for (const auto& p : owner.presence) {
            if (p.avatarId == mentorThere.session().avatarId()) return p.muted;
        }
        return false;
    }));
}

TEST_F(ServerRooms, GuestsOnlyWithAllowGuestsAndOnlyInTheDemoRoom) {
    start();
    Client refused(server.udpPort(), "demo", net::GuestLogin{"Visitor"});
    EXPECT_FALSE(refused.joined());
    EXPECT_NE(refused.failure.find("guests"), std::string::npos) << refused.failure;
}

TEST_F(ServerRooms, GuestsJoinTheDemoRoomButNoMentorshipRoom) {
    start({"--allow-guests"});
    Client guest(server.udpPort(), "demo", net::GuestLogin{"Visitor"});
    ASSERT_TRUE(guest.joined()) << guest.failure;
    Client nosy(server.udpPort(), room, net::GuestLogin{"Nosy"});
    EXPECT_FALSE(nosy.joined());
}

TEST_F(ServerRooms, BotsLogInAndAsGuestsAgainstTheRealServer) {
    start({"--allow-guests"});
    const std::string udp = "127.0.0.1:" + std::to_string(server.udpPort());
    // mentorxr-bot reads the password from the environment (inherited).
    ::setenv("MENTORXR_PASSWORD", "a-long-password", 1);
    net::testing::ChildProcess ana({MXR_BOT, "--server", udp, "--known-servers", (dir / "known_servers").string(), "--room", room, "--login", emails[mentor],
                                    "--seconds", "3", "--warmup", "1"});
    net::testing::ChildProcess ben({MXR_BOT, "--server", udp, "--known-servers", (dir / "known_servers").string(), "--room", room, "--login", emails[mentee],
                                    "--seconds", "3", "--warmup", "1"});
    net::testing::ChildProcess guests({MXR_BOT, "--server", udp, "--known-servers", (dir / "known_servers").string(), "--room", "demo", "--bots", "3", "--seconds", "3",
                                       "--warmup", "1"});
    for (auto* p : {&ana, &ben, &guests}) {
        auto summary = p->lineStartingWith("summary ", 60);
        ASSERT_TRUE(summary) << p->output();
        EXPECT_EQ(net::testing::field(*summary, "failed"), 0.0) << *summary;
        EXPECT_EQ(net::testing::field(*summary, "disconnected"), 0.0) << *summary;
        EXPECT_EQ(p->wait(), 0) << p->output();
    }
    // The two logged-in bots met in the mentorship's room: a session.
    json items;
    for (int i = 0; i < 200 && items.empty(); ++i) {
        items = http->get("/api/v1/sessions?mentorship_id=" + std::to_string(mentorship), admin).body["items"];
        if (items.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_EQ(items.size(), 1u);
    EXPECT_EQ(items[0]["attendees"], json({mentor, mentee})) << items[0];
    // A wrong password is refused, as over HTTP.
    ::setenv("MENTORXR_PASSWORD", "not-the-password", 1);
    net::testing::ChildProcess wrong({MXR_BOT, "--server", udp, "--known-servers", (dir / "known_servers").string(), "--room", room, "--login", emails[mentor],
                                      "--seconds", "2", "--warmup", "0"});
    auto summary = wrong.lineStartingWith("summary ", 60);
    ASSERT_TRUE(summary) << wrong.output();
    EXPECT_EQ(net::testing::field(*summary, "joined"), 0.0) << *summary;
    EXPECT_NE(wrong.wait(), 0);
    ::unsetenv("MENTORXR_PASSWORD");
}

// Names from an international program survive the trip to everyone in the
// room, for accounts (the server's identity, NFC and cut with an ellipsis
// at a grapheme boundary) and guests (the host normalises); names that
// would break a label or reorder its neighbours are refused, naming the
// field.
TEST_F(ServerRooms, NamesInEveryScriptAreSeenByOthersAsTheyAreWritten) {
    start({"--allow-guests"});
    Client observer(server.udpPort(), "demo", net::GuestLogin{"Observer"});
    ASSERT_TRUE(observer.joined()) << observer.failure;
    const auto inPresence = [&](const std::string& name) {
        for (const auto& m : observer.presence) {
            if (m.displayName == name) return true;
        }
        return false;
    };
    // Joins `c` while the observer is serviced too (a login hashes a
    // password, slow under the sanitizers: an observer left alone that long
    // would time out). The bound is against hangs, not a timing assertion.
    const auto joinsSeenAs = [&](Client& c, const std::string& name) {
        for (int i = 0; i < 3000; ++i) {
            c.until([] { return true; });
            observer.until([] { return true; });
            if (!c.failure.empty()) return false;
            if (c.session().state() == net::ClientState::kJoined && inPresence(name)) return true;
        }
        std::string there;
        for (const auto& m : observer.presence) there += " [" + m.displayName + "]";
        ADD_FAILURE() << "not seen as " << name << "; state " << int(c.session().state()) << ", observer sees"
                      << there << ", observer failure: " << observer.failure;
        return false;
    };
    const std::vector<std::string> names = {"Jürgen", "Łukasz", "Ioana", "Οδυσσέας", "Анна",
                                            "محمد",   "李明",   "佐藤",  "Zoë Ñandú 李明"};
    for (const auto& name : names) {
        const auto id = person("mentee", name);
        Client c(server.udpPort(), "demo", account(id));
        EXPECT_TRUE(joinsSeenAs(c, name)) << "account " << name << ": " << c.failure;
        c.session().leave();  // room for the next (the room holds 16)
        c.flush();
    }
    for (const auto& name : names) {
        Client c(server.udpPort(), "demo", net::GuestLogin{name});
        EXPECT_TRUE(joinsSeenAs(c, name)) << "guest " << name << ": " << c.failure;
        c.session().leave();
        c.flush();
    }
    // Typed with a combining accent: one spelling (NFC) for everyone.
    {
        const auto id = person("mentee", "Zoe\xCC\x88 Account");
        Client account_(server.udpPort(), "demo", account(id));
        EXPECT_TRUE(joinsSeenAs(account_, "Zoë Account")) << account_.failure;
        Client guest(server.udpPort(), "demo", net::GuestLogin{"Zoe\xCC\x88 Guest"});
        EXPECT_TRUE(joinsSeenAs(guest, "Zoë Guest")) << guest.failure;
    }
    // 30 CJK characters (90 bytes) in a 64-byte room name: 20 of them and "…".
    {
        std::string longName;
        for (int i = 0; i < 15; ++i) longName += "李明";
        const auto id = person("mentee", longName);
        Client c(server.udpPort(), "demo", account(id));
        EXPECT_TRUE(joinsSeenAs(c, longName.substr(0, 60) + "…")) << c.failure;
    }
    // Refused over HTTP, naming the field and the character.
    for (const auto& [bad, why] : std::vector<std::pair<std::string, std::string>>{
             {"Ana\xE2\x80\xAEgpj.exe", "bidirectional override or isolate (U+202E)"},
             {"Ana\xC2\x85", "control character (U+0085)"}}) {
        auto r = http->post("/api/v1/people",
                            {{"name", bad}, {"email", "bad@example.org"}, {"roles", {"mentee"}},
                             {"password", "a-long-password"}},
                            admin);
        EXPECT_EQ(r.status, 400) << r.raw;
        EXPECT_EQ(r.body["error"]["field"], "name") << r.raw;
        EXPECT_NE(r.raw.find(why), std::string::npos) << r.raw;
    }
}

}  // namespace
}  // namespace mxr::server::test
