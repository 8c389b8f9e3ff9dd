#pragma once
// For client tests against the real mentorxr-server (records, procedures):
// the first administrator, the password of the people a test creates, each
// suite's output folder and a fresh server.
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "http_client.h"
#include "server_process.h"

namespace mxr::test {

inline constexpr const char* kAdmin = "admin@example.org";
inline constexpr const char* kAdminPassword = "adminpassword";
inline constexpr const char* kPassword = "a-long-password";

// MXR_TEST_OUT/<suite>, made if needed.
inline std::filesystem::path suiteOut(const std::string& suite) {
    const auto dir = std::filesystem::path(MXR_TEST_OUT) / suite;
    std::filesystem::create_directories(dir);
    return dir;
}

// A fresh server with its data in `out`/server, the first administrator
// made by --init-admin. The clients' pins (`out`/known_servers) are removed:
// a fresh server has a fresh key, and a pin left by an earlier run on a
// reused port would read as a changed server key. `adminToken` gets the
// administrator's token. Null (a test failure saying why) when it does not
// start or the administrator cannot log in.
inline std::unique_ptr<server::test::ServerProcess> startRecordsServer(const std::filesystem::path& out,
                                                                       std::string& adminToken,
                                                                       std::vector<std::string> extra = {}) {
    std::filesystem::remove_all(out / "server");
    std::filesystem::remove(out / "known_servers");
    auto server = std::make_unique<server::test::ServerProcess>();
    extra.insert(extra.end(), {"--init-admin", std::string(kAdmin) + ":" + kAdminPassword});
    if (!server->start(out / "server", extra)) {
        ADD_FAILURE() << server->why();
        return nullptr;
    }
    adminToken = server::test::HttpClient(server->port()).login(kAdmin, kAdminPassword);
    if (adminToken.empty()) {
        ADD_FAILURE() << "the administrator cannot log in";
        return nullptr;
    }
    return server;
}

// A mentor or mentee with kPassword, made by the administrator; its id.
inline std::int64_t createPerson(server::test::HttpClient& http, const std::string& adminToken,
                                 const std::string& name, const std::string& email, const char* role) {
    auto r = http.post("/api/v1/people", {{"name", name}, {"email", email}, {"roles", {role}}, {"password", kPassword}},
                       adminToken);
    EXPECT_EQ(r.status, 201) << r.raw;
    return r.body.value("id", std::int64_t{0});
}

}  // namespace mxr::test
