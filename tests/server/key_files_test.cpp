// The server's key files at start, as an operator meets them: a damaged key
// stops the start with the file's name before anything else happens, so the
// first administrator's one-time password is not spent on a start that fails.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "server_process.h"
#include "test_env.h"

namespace mxr::server::test {
namespace {

TEST(ServerKeyFiles, ADamagedHostKeyStopsTheStartBeforeTheFirstAdministratorIsMade) {
    const auto dir = makeTempDir("keyfiles");
    { std::ofstream(dir / "room_host.key"); }  // empty (nothing of ours leaves one; a disk fault might)
    std::filesystem::permissions(dir / "room_host.key",
                                 std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    ServerProcess server;
    ASSERT_FALSE(server.start(dir));
    EXPECT_NE(server.why().find("room_host.key"), std::string::npos) << server.why();
    EXPECT_EQ(server.why().find("one-time password"), std::string::npos) << server.why();

    // Restored (here: removed, so a new key is made): the start that works
    // is the one that shows the one-time password.
    std::filesystem::remove(dir / "room_host.key");
    std::filesystem::remove(dir / "server-stderr.log");
    ASSERT_TRUE(server.start(dir)) << server.why();
    EXPECT_NE(server.stderrText().find("one-time password"), std::string::npos) << server.stderrText();
    EXPECT_EQ(server.terminate(), 0);
    std::filesystem::remove_all(dir);
}

TEST(ServerKeyFiles, AKeyFileOthersMayReadStopsTheStartWithTheFix) {
    const auto dir = makeTempDir("keyfiles");
    ServerProcess first;
    ASSERT_TRUE(first.start(dir)) << first.why();
    EXPECT_EQ(first.terminate(), 0);
    std::filesystem::permissions(dir / "ticket_signing.key", std::filesystem::perms::others_read,
                                 std::filesystem::perm_options::add);
    ServerProcess second;
    ASSERT_FALSE(second.start(dir));
    EXPECT_NE(second.why().find("chmod 600 " + (dir / "ticket_signing.key").string()), std::string::npos)
        << second.why();
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace mxr::server::test
