// The Mentorship panel end to end, as a user (scripted, no mouse) drives
// it: the real mentorxr-server (HTTP API, room host, records over ENet)
// and the real headless client logged in with an account. Records are set
// up over HTTP; the client saves a goal's progress and sends session
// feedback from its panel; the test reads the records and the audit log
// back over HTTP, and checks what the server refuses (another mentorship's
// goal, an out-of-range rating, a guest) changed nothing and was printed.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "engine/core/clock.h"
#include "http_client.h"
#include "net/client_session.h"
#include "records_server.h"
#include "run_command.h"
#include "scenes/records_panel.h"

namespace {

using mxr::server::test::HttpClient;
using mxr::server::test::ServerProcess;
using nlohmann::json;
using mxr::test::kPassword;

std::filesystem::path outDir() { return mxr::test::suiteOut("client_records"); }

// One server and one set of records for the whole suite: a program, mentor
// Ana with mentee Ben (mentorship m1, goal g1, a held session) and with
// mentee Cy (mentorship m2, goal g2).
class ClientRecords : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        s_server = mxr::test::startRecordsServer(outDir(), s_admin, {"--allow-guests"}).release();
        ASSERT_NE(s_server, nullptr);
        HttpClient http(s_server->port());
        s_ana = mxr::test::createPerson(http, s_admin, "Ana Ruiz", "ana@example.org", "mentor");
        s_ben = mxr::test::createPerson(http, s_admin, "Ben Ode", "ben@example.org", "mentee");
        s_cy = mxr::test::createPerson(http, s_admin, "Cy Park", "cy@example.org", "mentee");
        auto program = http.post("/api/v1/programs", {{"name", "Apprentices"}}, s_admin);
        ASSERT_EQ(program.status, 201) << program.raw;
        auto mentorship = [&](std::int64_t mentee) {
            auto r = http.post("/api/v1/mentorships",
                               {{"program_id", program.body["id"]},
                                {"kind", "one_to_one"},
                                {"status", "active"},
                                {"mentors", {s_ana}},
                                {"mentees", {mentee}}},
                               s_admin);
            EXPECT_EQ(r.status, 201) << r.raw;
            return r.body.value("id", std::int64_t{0});
        };
        s_m1 = mentorship(s_ben);
        s_m2 = mentorship(s_cy);
        s_anaToken = http.login("ana@example.org", kPassword);
        ASSERT_FALSE(s_anaToken.empty());
        auto goal = [&](std::int64_t m, const std::string& title) {
            auto r = http.post("/api/v1/goals", {{"mentorship_id", m}, {"title", title}}, s_anaToken);
            EXPECT_EQ(r.status, 201) << r.raw;
            return r.body.value("id", std::int64_t{0});
        };
        s_g1 = goal(s_m1, "Pass the weld test");
        s_g2 = goal(s_m2, "Lead a stand-up");
        auto session = http.post("/api/v1/sessions",
                                 {{"mentorship_id", s_m1},
                                  {"scheduled_at", "2026-03-02T09:00:00Z"},
                                  {"started_at", "2026-03-02T09:05:00Z"},
                                  {"ended_at", "2026-03-02T10:00:00Z"},
                                  {"attendees", {s_ana, s_ben}}},
                                 s_anaToken);
        ASSERT_EQ(session.status, 201) << session.raw;
        s_session = session.body["id"];
    }
    static void TearDownTestSuite() {
        delete s_server;
        s_server = nullptr;
    }
    void SetUp() override { ASSERT_NE(s_server, nullptr); }

    // The headless client in `room`, logged in as `email` (or a guest when
    // email is empty), with the scripted panel options `extra`.
    static mxr::test::CommandResult client(const std::string& room, const std::string& email,
                                           const std::string& extra) {
        const std::string who = email.empty() ? "--guest Guest" : "--login " + email;
        return mxr::test::runCommand(std::string("env MENTORXR_PASSWORD=") + kPassword + " " + MXR_CLIENT +
                                     " --mode headless --size 960x540 --frames 2 --connect-timeout 30 "
                                     "--known-servers " +
                                     (outDir() / "known_servers").string() + " --screenshot " +
                                     (outDir() / (room + ".png")).string() +
                                     " --server 127.0.0.1:" + std::to_string(s_server->udpPort()) + " --room " + room +
                                     " " + who + " " + extra + " </dev/null");
    }

    static json get(const std::string& path, const std::string& token) {
        HttpClient http(s_server->port());
        auto r = http.get(path, token);
        EXPECT_EQ(r.status, 200) << path << ": " << r.raw;
        return r.body;
    }

    // Audit events on `entity` `id` (as the program manager sees them).
    static std::vector<json> audit(const std::string& entity, std::int64_t id) {
        std::vector<json> out;
        const json log = get("/api/v1/audit?after=0&limit=1000", s_admin);
        for (const auto& e : log["items"]) {
            if (e["entity"] == entity && e["entity_id"] == id) out.push_back(e);
        }
        return out;
    }

    static inline ServerProcess* s_server = nullptr;
    static inline std::string s_admin, s_anaToken;
    static inline std::int64_t s_ana = 0, s_ben = 0, s_cy = 0, s_m1 = 0, s_m2 = 0, s_g1 = 0, s_g2 = 0, s_session = 0;
};

TEST_F(ClientRecords, MenteeSavesGoalProgressFromThePanel) {
    const auto state = outDir() / "saved.json";
    const auto r = client("mentorship-" + std::to_string(s_m1), "ben@example.org",
                          "--set-goal-progress " + std::to_string(s_g1) + ":60 --dump-state " + state.string());
    ASSERT_EQ(r.exitCode, 0) << r.output;
    EXPECT_NE(r.output.find("records: goal " + std::to_string(s_g1) + " progress 60 saved\n"), std::string::npos)
        << r.output;
    // What the panel shows: the goal listed with the new progress and "saved".
    const json shown = json::parse(std::ifstream(state), nullptr, false);
    ASSERT_TRUE(shown.is_object()) << r.output;
    ASSERT_EQ(shown["records"]["goals"].size(), 1u) << shown.dump(1);
    EXPECT_EQ(shown["records"]["goals"][0]["id"], s_g1);
    EXPECT_EQ(shown["records"]["goals"][0]["progress"], 60);
    EXPECT_EQ(shown["records"]["goals"][0]["answer"], "saved");
    EXPECT_EQ(shown["records"]["session"], s_session);

    // The record, as the mentor reads it over HTTP.
    EXPECT_EQ(get("/api/v1/goals/" + std::to_string(s_g1), s_anaToken)["progress"], 60);
    // The audit log says Ben changed the progress.
    bool byBen = false;
    for (const auto& e : audit("goal", s_g1)) {
        if (e["action"] == "update" && e["actor_id"] == s_ben &&
            std::find(e["fields"].begin(), e["fields"].end(), json("progress")) != e["fields"].end()) {
            byBen = true;
        }
    }
    EXPECT_TRUE(byBen) << get("/api/v1/audit?after=0&limit=1000", s_admin).dump(1);
}

TEST_F(ClientRecords, AnotherMentorshipsGoalIsRefusedAndUnchanged) {
    // Ben, in his own mentorship's room, names Cy's goal: the server answers
    // as for an absent goal, the client prints it, nothing changes.
    const auto r = client("mentorship-" + std::to_string(s_m1), "ben@example.org",
                          "--set-goal-progress " + std::to_string(s_g2) + ":60");
    ASSERT_EQ(r.exitCode, 0) << r.output;
    EXPECT_NE(r.output.find("records: goal " + std::to_string(s_g2) + " progress 60 refused 404"), std::string::npos)
        << r.output;
    EXPECT_EQ(get("/api/v1/goals/" + std::to_string(s_g2), s_anaToken)["progress"], 0);
    for (const auto& e : audit("goal", s_g2)) EXPECT_NE(e["action"], "update") << e.dump();
}

TEST_F(ClientRecords, FeedbackIsSavedForTheLatestSessionAboutTheMentor) {
    const auto file = outDir() / "feedback.json";
    std::ofstream(file) << R"({"rating_goal_progress":4,"rating_communication":5,"rating_trust_respect":5,
        "rating_usefulness":3,"text":"clear demonstrations","visibility":"pair"})";
    const auto r = client("mentorship-" + std::to_string(s_m1), "ben@example.org", "--send-feedback " + file.string());
    ASSERT_EQ(r.exitCode, 0) << r.output;
    EXPECT_NE(r.output.find("records: feedback on session " + std::to_string(s_session) + " saved id "),
              std::string::npos)
        << r.output;

    // Ana (the subject, a pair-visible entry) reads it over HTTP.
    const auto items = get("/api/v1/feedback?session_id=" + std::to_string(s_session), s_anaToken)["items"];
    ASSERT_EQ(items.size(), 1u) << items.dump(1);
    EXPECT_EQ(items[0]["author_id"], s_ben);
    EXPECT_EQ(items[0]["subject_id"], s_ana) << "a mentee's feedback is about the mentor";
    EXPECT_EQ(items[0]["rating_goal_progress"], 4);
    EXPECT_EQ(items[0]["rating_usefulness"], 3);
    EXPECT_EQ(items[0]["text"], "clear demonstrations");
    EXPECT_EQ(items[0]["visibility"], "pair");
}

TEST_F(ClientRecords, AnInvalidRatingIsRefusedNamingTheField) {
    const auto file = outDir() / "bad_feedback.json";
    std::ofstream(file) << R"({"rating_goal_progress":4,"rating_communication":5,"rating_trust_respect":5,
        "rating_usefulness":9,"visibility":"pair","session_id":)"
                        << s_session << "}";
    const auto before = get("/api/v1/feedback?session_id=" + std::to_string(s_session), s_anaToken)["items"].size();
    const auto r = client("mentorship-" + std::to_string(s_m1), "ben@example.org", "--send-feedback " + file.string());
    ASSERT_EQ(r.exitCode, 0) << r.output;
    EXPECT_NE(r.output.find("records: feedback on session " + std::to_string(s_session) +
                            " refused 400 field rating_usefulness"),
              std::string::npos)
        << r.output;
    EXPECT_EQ(get("/api/v1/feedback?session_id=" + std::to_string(s_session), s_anaToken)["items"].size(), before);
}

// In a headset (the headless OpenXR runtime) the panel is the world
// panel's lower part; the same actions reach the server.
TEST_F(ClientRecords, InAHeadsetThePanelSavesProgressToo) {
    const auto config = outDir() / "xrrt.json", state = outDir() / "vr.json";
    std::ofstream(config) << R"({"view_size": [96, 96], "frame_rate_hz": 0})";
    const auto r = mxr::test::runCommand(
        std::string("env XR_RUNTIME_JSON=") + MXR_XR_RUNTIME_JSON + " MXR_XRRT_CONFIG=" + config.string() +
        " MENTORXR_PASSWORD=" + kPassword + " " + MXR_CLIENT + " --mode vr --frames 3 --connect-timeout 30" +
        " --known-servers " + (outDir() / "known_servers").string() + " --dump-state " + state.string() +
        " --server 127.0.0.1:" + std::to_string(s_server->udpPort()) + " --room mentorship-" + std::to_string(s_m1) +
        " --login ben@example.org --set-goal-progress " + std::to_string(s_g1) + ":35 </dev/null");
    ASSERT_EQ(r.exitCode, 0) << r.output;
    EXPECT_NE(r.output.find("records: goal " + std::to_string(s_g1) + " progress 35 saved\n"), std::string::npos)
        << r.output;
    EXPECT_EQ(get("/api/v1/goals/" + std::to_string(s_g1), s_anaToken)["progress"], 35);
    const json shown = json::parse(std::ifstream(state), nullptr, false);
    ASSERT_TRUE(shown.is_object()) << r.output;
    EXPECT_EQ(shown["mode"], "vr");
    EXPECT_EQ(shown["panel"]["visible"], true);
    ASSERT_EQ(shown["records"]["goals"].size(), 1u) << shown.dump(1);
    EXPECT_EQ(shown["records"]["goals"][0]["progress"], 35);
}

// The panel's requests still answer after a reconnect: the session logs in
// again before it resumes (the host restores the avatar, not the login, so
// a resumed connection alone would get 401). In process: the panel model
// over a ClientSession whose connection the test cuts.
TEST_F(ClientRecords, ThePanelsRequestsAnswerAfterAReconnect) {
    using namespace mxr;
    SteadyClock clock;
    net::ClientConfig cfg;
    cfg.serverPort = static_cast<std::uint16_t>(s_server->udpPort());
    cfg.room = "mentorship-" + std::to_string(s_m1);
    cfg.credentials = net::AccountLogin{"ben@example.org", kPassword};
    cfg.reconnectInterval = msToNanos(100);
    cfg.pinFile = outDir() / "known_servers_reconnect";
    std::filesystem::remove(cfg.pinFile);  // this run's server has a fresh key
    auto session = net::ClientSession::create(cfg, clock, Logger(std::make_shared<MemorySink>(), "client"));
    ASSERT_TRUE(session) << session.error().message;
    net::ClientSession& s = **session;
    scenes::RecordsPanel panel(cfg.room, true);
    const scenes::RecordsPanel::Sender send = [&](net::ApiMethod m, const std::string& path, const std::string& body) {
        auto id = s.sendApiRequest(m, path, body);
        return id ? std::optional<std::uint32_t>(*id) : std::nullopt;
    };
    bool resumed = false;
    std::vector<std::string> said;
    // Frames until `done` (a deadline against hangs, not a timing assertion).
    auto frames = [&](const std::function<bool()>& done) {
        const Nanos deadline = clock.now() + msToNanos(30'000);
        while (clock.now() < deadline && s.state() != net::ClientState::kFailed) {
            s.service(10);
            for (auto& e : s.takeEvents()) {
                if (auto* j = std::get_if<net::JoinedEvent>(&e)) resumed = resumed || j->resumed;
            }
            panel.update(s.state() == net::ClientState::kJoined, send);
            for (const auto& r : s.takeApiResponses()) panel.onResponse(r);
            for (auto& line : panel.takeAnnouncements()) said.push_back(line);
            if (done()) return true;
        }
        return false;
    };
    ASSERT_TRUE(frames([&] { return panel.phase() == scenes::RecordsPhase::kReady; })) << panel.statusText();
    s.simulateConnectionLoss();
    ASSERT_TRUE(frames([&] { return resumed && s.state() == net::ClientState::kJoined; }))
        << net::toString(s.state());
    ASSERT_TRUE(panel.saveProgress(s_g1, 45));
    ASSERT_TRUE(frames([&] { return !said.empty(); }));
    EXPECT_EQ(said[0], "records: goal " + std::to_string(s_g1) + " progress 45 saved");
    EXPECT_EQ(get("/api/v1/goals/" + std::to_string(s_g1), s_anaToken)["progress"], 45);
}

TEST_F(ClientRecords, GuestsAreToldRecordsNeedAnAccount) {
    const auto r = client("demo", "", "--set-goal-progress " + std::to_string(s_g1) + ":5");
    ASSERT_EQ(r.exitCode, 0) << r.output;
    EXPECT_NE(r.output.find("records: not sent: goals and feedback need an account"), std::string::npos) << r.output;
    EXPECT_NE(get("/api/v1/goals/" + std::to_string(s_g1), s_anaToken)["progress"], 5);
}

TEST_F(ClientRecords, ScriptedOptionsNeedAServerAndValidValues) {
    auto r = mxr::test::runCommand(std::string(MXR_CLIENT) + " --mode headless --set-goal-progress 3:60 </dev/null");
    EXPECT_EQ(r.exitCode, 2) << r.output;
    EXPECT_NE(r.output.find("need --server and --login"), std::string::npos) << r.output;
    r = mxr::test::runCommand(std::string(MXR_CLIENT) +
                              " --mode headless --server 127.0.0.1:7 --guest G "
                              "--set-goal-progress 3:101 </dev/null");
    EXPECT_EQ(r.exitCode, 2) << r.output;
    EXPECT_NE(r.output.find("expected GOAL_ID:PERCENT"), std::string::npos) << r.output;
    r = mxr::test::runCommand(std::string(MXR_CLIENT) +
                              " --mode headless --server 127.0.0.1:7 --guest G "
                              "--send-feedback /nonexistent </dev/null");
    EXPECT_EQ(r.exitCode, 2) << r.output;
    EXPECT_NE(r.output.find("cannot read /nonexistent"), std::string::npos) << r.output;
}

}  // namespace
