// A job-shadowing procedure end to end (issue 14, point 5): the real
// mentorxr-server and two real headless clients in the mentorship's room.
// The mentor loads a procedure file linked to a goal, saves it (records
// over ENet), and moves the room's step; the mentee, joining later, gets
// the procedure from the room (the host keeps the step; the card fetches
// the record), goes back to the first step and completes every step. The
// test reads the procedure, its steps and the completions back over HTTP,
// and the goal's progress (100: every step done). Plus: a save the server
// refuses is shown with its reason, and a bad file ends the client with
// exit code 2 naming the field.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "http_client.h"
#include "process_util.h"
#include "records_server.h"
#include "run_command.h"

namespace {

using mxr::net::testing::ChildProcess;
using mxr::server::test::HttpClient;
using mxr::server::test::ServerProcess;
using nlohmann::json;
using mxr::test::kPassword;

std::filesystem::path outDir() { return mxr::test::suiteOut("client_procedure"); }

class ClientProcedure : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        std::string admin;
        s_server = mxr::test::startRecordsServer(outDir(), admin).release();
        ASSERT_NE(s_server, nullptr);
        HttpClient http(s_server->port());
        s_ana = mxr::test::createPerson(http, admin, "Ana Ruiz", "ana@example.org", "mentor");
        s_ben = mxr::test::createPerson(http, admin, "Ben Ode", "ben@example.org", "mentee");
        auto program = http.post("/api/v1/programs", {{"name", "Workshop"}}, admin);
        ASSERT_EQ(program.status, 201) << program.raw;
        auto mentorship = [&] {
            auto r = http.post("/api/v1/mentorships",
                               {{"program_id", program.body["id"]}, {"kind", "job_shadowing"}, {"status", "active"},
                                {"mentors", {s_ana}}, {"mentees", {s_ben}}},
                               admin);
            EXPECT_EQ(r.status, 201) << r.raw;
            return r.body.value("id", std::int64_t{0});
        };
        s_m1 = mentorship();
        s_m2 = mentorship();
        s_ana_token = http.login("ana@example.org", kPassword);
        ASSERT_FALSE(s_ana_token.empty());
        auto goal = [&](std::int64_t m) {
            auto r = http.post("/api/v1/goals", {{"mentorship_id", m}, {"title", "Service the vice alone"}}, s_ana_token);
            EXPECT_EQ(r.status, 201) << r.raw;
            return r.body.value("id", std::int64_t{0});
        };
        s_g1 = goal(s_m1);
        s_g2 = goal(s_m2);
        ::setenv("MENTORXR_PASSWORD", kPassword, 1);
    }
    static void TearDownTestSuite() {
        delete s_server;
        s_server = nullptr;
    }
    void SetUp() override { ASSERT_NE(s_server, nullptr); }

    // A procedure file of `steps` steps linked to `goal`.
    static std::string procedureFile(const std::string& name, std::int64_t goal, int steps) {
        json p = {{"title", "Replace the jaw pads"}, {"goal_id", goal}, {"steps", json::array()}};
        for (int i = 1; i <= steps; ++i) {
            p["steps"].push_back({{"title", "Step number " + std::to_string(i)},
                                  {"instruction", "Do part " + std::to_string(i)},
                                  {"expected_seconds", 30 * i},
                                  {"annotations", {{{"kind", "marker"}, {"number", i}, {"position", {0.1 * i, 0.9, 0.2}}}}}});
        }
        const auto path = outDir() / name;
        std::ofstream(path) << p.dump(1);
        return path.string();
    }

    static std::vector<std::string> clientArgs(const std::string& email, const std::string& room,
                                               const std::string& state) {
        return {MXR_CLIENT, "--mode", "headless", "--size", "320x180", "--frames", "2", "--no-voice",
                "--connect-timeout", "30", "--known-servers", (outDir() / "known_servers").string(),
                "--screenshot", (outDir() / (state + ".png")).string(), "--dump-state",
                (outDir() / (state + ".json")).string(), "--server",
                "127.0.0.1:" + std::to_string(s_server->udpPort()), "--room", room, "--login", email};
    }

    static json get(const std::string& path) {
        HttpClient http(s_server->port());
        auto r = http.get(path, s_ana_token);
        EXPECT_EQ(r.status, 200) << path << ": " << r.raw;
        return r.body;
    }
    static json state(const std::string& name) {
        return json::parse(std::ifstream(outDir() / (name + ".json")), nullptr, false);
    }

    static inline ServerProcess* s_server = nullptr;
    static inline std::string s_ana_token;
    static inline std::int64_t s_ana = 0, s_ben = 0, s_m1 = 0, s_m2 = 0, s_g1 = 0, s_g2 = 0;
};

TEST_F(ClientProcedure, AuthoredAdvancedAndCompletedTheGoalFollows) {
    const std::string room = "mentorship-" + std::to_string(s_m1);
    // The mentor: saves, moves the room to step 3, back to step 2, and stays
    // until the room's procedure is finished.
    auto mentorArgs = clientArgs("ana@example.org", room, "mentor");
    mentorArgs.insert(mentorArgs.end(), {"--procedure", procedureFile("pads.json", s_g1, 4), "--procedure-script",
                                         "save,next,next,back,await-finished"});
    ChildProcess mentor(mentorArgs);
    ASSERT_TRUE(mentor.started());
    const auto saved = mentor.lineStartingWith("procedure: saved id ", 60);
    ASSERT_TRUE(saved) << mentor.output();
    const std::int64_t procedure = std::stoll(saved->substr(std::string("procedure: saved id ").size()));
    EXPECT_EQ(*saved, "procedure: saved id " + std::to_string(procedure) + " with 4 steps");
    const auto waiting = mentor.lineStartingWith("procedure: awaiting the end", 60);
    ASSERT_TRUE(waiting) << mentor.output();
    EXPECT_EQ(*waiting, "procedure: awaiting the end at step 2 of 4");

    // Saved as a record of the mentorship, its steps in order with their
    // annotations; nothing done yet, so the goal is where it was.
    const json record = get("/api/v1/procedures/" + std::to_string(procedure));
    EXPECT_EQ(record["mentorship_id"], s_m1);
    EXPECT_EQ(record["goal_id"], s_g1);
    const json steps = get("/api/v1/procedure_steps?procedure_id=" + std::to_string(procedure))["items"];
    ASSERT_EQ(steps.size(), 4u) << steps.dump(1);
    for (std::size_t i = 0; i < 4; ++i) {
        EXPECT_EQ(steps[i]["title"], "Step number " + std::to_string(i + 1));
        EXPECT_EQ(steps[i]["annotations"][0]["kind"], "marker");
    }
    EXPECT_EQ(get("/api/v1/goals/" + std::to_string(s_g1))["progress"], 0);

    // The mentee joins later: arrives on the room's step (2), goes back to
    // the first and completes each.
    auto menteeArgs = clientArgs("ben@example.org", room, "mentee");
    menteeArgs.insert(menteeArgs.end(), {"--procedure-script", "back,done-all"});
    ChildProcess mentee(menteeArgs);
    ASSERT_TRUE(mentee.started());
    const auto loaded = mentee.lineStartingWith("procedure: loaded id", 60);
    ASSERT_TRUE(loaded) << mentee.output();
    EXPECT_EQ(*loaded, "procedure: loaded id " + std::to_string(procedure) + " from the room, 4 steps");
    ASSERT_EQ(mentee.wait(90), 0) << mentee.output();
    for (int i = 1; i <= 4; ++i) {
        EXPECT_NE(mentee.output().find("procedure: step " + std::to_string(i) + " done in "), std::string::npos)
            << mentee.output();
    }
    EXPECT_EQ(mentee.output().find("refused"), std::string::npos) << mentee.output();
    ASSERT_EQ(mentor.wait(90), 0) << mentor.output();

    // Both cards show the end: the mentee's Done moved the mentor's card too.
    for (const char* who : {"mentor", "mentee"}) {
        const json s = state(who);
        ASSERT_TRUE(s.is_object()) << who;
        EXPECT_EQ(s["procedure"]["heading"], "Done: all 4 steps") << who << s.dump(1);
        EXPECT_EQ(s["procedure"]["id"], procedure) << who;
    }
    EXPECT_EQ(state("mentee")["procedure"]["done_seconds"].size(), 4u);

    // The completions, read back over HTTP: one per step, Ben's.
    for (const auto& step : steps) {
        const json done = get("/api/v1/step_completions?step_id=" + step["id"].dump())["items"];
        ASSERT_EQ(done.size(), 1u) << step.dump() << done.dump(1);
        EXPECT_EQ(done[0]["person_id"], s_ben);
        EXPECT_GE(done[0]["seconds_taken"].get<int>(), 0);
    }
    // The linked goal follows the completed steps: all four of four.
    EXPECT_EQ(get("/api/v1/goals/" + std::to_string(s_g1))["progress"], 100);
}

TEST_F(ClientProcedure, ASaveTheServerRefusesIsShownWithItsReason) {
    // A goal of another mentorship: refused, nothing stored.
    const std::string list = "/api/v1/procedures?mentorship_id=" + std::to_string(s_m1);
    const auto before = get(list)["items"].size();
    auto args = clientArgs("ana@example.org", "mentorship-" + std::to_string(s_m1), "refused");
    args.insert(args.end(), {"--procedure", procedureFile("other_goal.json", s_g2, 2), "--procedure-script", "save"});
    ChildProcess mentor(args);
    ASSERT_EQ(mentor.wait(60), 0) << mentor.output();
    const auto line = mentor.lineStartingWith("procedure: save");
    ASSERT_TRUE(line) << mentor.output();
    EXPECT_NE(line->find("procedure: save refused 4"), std::string::npos) << *line;
    EXPECT_NE(line->find("goal_id"), std::string::npos) << *line;
    EXPECT_EQ(state("refused")["procedure"]["save_answer"], line->substr(std::string("procedure: save ").size()));
    EXPECT_EQ(get(list)["items"].size(), before);
}

TEST(ClientProcedureFile, ABadFileEndsWithExitCode2NamingTheField) {
    const auto path = outDir() / "bad.json";
    std::ofstream(path) << R"({"title": "T", "steps": [{"title": "ok"}, {"title": "x", "expected_seconds": -4}]})";
    const auto r = mxr::test::runCommand(std::string(MXR_CLIENT) + " --mode headless --procedure " + path.string() +
                                         " </dev/null");
    EXPECT_EQ(r.exitCode, 2) << r.output;
    EXPECT_NE(r.output.find("mentorxr: --procedure " + path.string() +
                            ": steps[1].expected_seconds: must be between 1 and 86400"),
              std::string::npos)
        << r.output;
}

}  // namespace
