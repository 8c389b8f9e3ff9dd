// kill -9 while clients write continuously: after a restart every record
// the server acknowledged (answered 201) is there, intact, and SQLite's
// integrity check passes.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "http_client.h"
#include "server_process.h"
#include "test_env.h"

namespace mxr::server::test {
namespace {

std::string integrityCheck(const std::filesystem::path& db) {
    sqlite3* h = nullptr;
    if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) return "cannot open";
    std::string out;
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(h, "PRAGMA integrity_check", -1, &s, nullptr) == SQLITE_OK) {
        while (sqlite3_step(s) == SQLITE_ROW) out += reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
    }
    sqlite3_finalize(s);
    sqlite3_close(h);
    return out;
}

TEST(CrashRecovery, EveryAcknowledgedRecordSurvivesKillNine) {
    const auto dir = makeTempDir("crash");
    ServerProcess server;
    ASSERT_TRUE(server.start(dir, {"--init-admin", "admin@example.org:adminpassword"})) << server.why();

    std::int64_t mentorship = 0;
    std::string token;
    {
        HttpClient http(server.port());
        const auto admin = http.login("admin@example.org", "adminpassword");
        const auto mentor = http.post("/api/v1/people", {{"name", "M"}, {"email", "m@example.org"}, {"roles", {"mentor"}},
                                                         {"password", "mentor-password"}}, admin).body["id"];
        const auto program = http.post("/api/v1/programs", {{"name", "P"}}, admin).body["id"];
        mentorship = http.post("/api/v1/mentorships", {{"program_id", program}, {"kind", "group"}, {"mentors", {mentor}}},
                               admin).body["id"];
        token = http.login("m@example.org", "mentor-password");
        ASSERT_FALSE(token.empty());
    }

    std::mutex mutex;
    std::vector<std::pair<std::int64_t, std::string>> acknowledged;  // id, title
    for (int round = 0; round < 2; ++round) {
        std::atomic<bool> stop{false};
        std::atomic<int> acks{0};
        std::atomic<int> finished{0};
        std::vector<std::thread> writers;
        for (int t = 0; t < 8; ++t) {
            writers.emplace_back([&, t] {
                HttpClient c(server.port());
                for (int i = 0; !stop; ++i) {
                    const std::string title = "r" + std::to_string(round) + "-w" + std::to_string(t) + "-" + std::to_string(i);
                    auto r = c.post("/api/v1/goals", {{"mentorship_id", mentorship}, {"title", title}}, token);
                    if (r.status == 0) break;  // the server is gone
                    if (r.status == 201) {
                        std::lock_guard lock(mutex);
                        acknowledged.emplace_back(r.body["id"].get<std::int64_t>(), title);
                        ++acks;
                    } else {
                        ADD_FAILURE() << "unexpected answer " << r.status << " " << r.raw;
                        break;
                    }
                }
                ++finished;
            });
        }
        // Kill mid-stream once enough writes are acknowledged (a count, not a time).
        while (acks < 300 && finished == 0) std::this_thread::yield();
        EXPECT_GE(acks.load(), 300) << "a writer stopped before the kill";
        server.kill9();
        stop = true;
        for (auto& w : writers) w.join();

        EXPECT_EQ(integrityCheck(dir / "mentorxr.db"), "ok");
        ASSERT_TRUE(server.start(dir)) << server.why();
    }

    HttpClient http(server.port());
    std::size_t missing = 0;
    for (const auto& [id, title] : acknowledged) {
        auto r = http.get("/api/v1/goals/" + std::to_string(id), token);
        if (r.status != 200 || r.body["title"] != title) {
            ++missing;
            if (missing < 5) ADD_FAILURE() << "acknowledged goal " << id << " (" << title << ") lost: " << r.status;
        }
    }
    EXPECT_EQ(missing, 0u) << "of " << acknowledged.size() << " acknowledged records";
    EXPECT_GE(acknowledged.size(), 600u);
    server.kill9();
    EXPECT_EQ(integrityCheck(dir / "mentorxr.db"), "ok");
    std::filesystem::remove_all(dir);
}

// The server holds its database file alone while it runs: a second server
// started on the same --data by mistake is refused with a message that
// says why, and the first one serves on, its records intact.
TEST(DataFolder, ASecondServerOnTheSameDataIsRefusedAndTheFirstServesOn) {
    const auto dir = makeTempDir("second");
    ServerProcess first;
    ASSERT_TRUE(first.start(dir, {"--init-admin", "admin@example.org:adminpassword"})) << first.why();
    HttpClient http(first.port());
    const auto admin = http.login("admin@example.org", "adminpassword");
    ASSERT_EQ(http.post("/api/v1/programs", {{"name", "Before"}}, admin).status, 201);

    ServerProcess second;
    EXPECT_FALSE(second.start(dir)) << "a second server opened a database the first one holds";
    EXPECT_NE(second.stderrText().find("is in use by another process"), std::string::npos) << second.stderrText();

    EXPECT_EQ(http.get("/healthz").status, 200);
    EXPECT_EQ(http.post("/api/v1/programs", {{"name", "After"}}, admin).status, 201);
    const auto programs = http.get("/api/v1/programs", admin);
    ASSERT_EQ(programs.status, 200);
    EXPECT_EQ(programs.body["items"].size(), 2u) << programs.raw;
    first.kill9();
    EXPECT_EQ(integrityCheck(dir / "mentorxr.db"), "ok");
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace mxr::server::test
