// The room service's side of revoked credentials, in process: an identity
// the room host got from a login carries the person's credential
// generation; a password change, a role change and erasure bump it and tell
// the credentials listener, and from then on that identity gets no ticket
// and no records (whether or not the host has dropped the connection yet).
// The same through the real server process, with the ENet session ending,
// is in rooms_test.cpp.
#include <gtest/gtest.h>

#include <future>

#include "server/rooms.h"
#include "test_env.h"

namespace mxr::server::test {
namespace {

struct Told : CredentialsListener {
    std::vector<std::pair<std::int64_t, std::string>> calls;
    void credentialsChanged(std::int64_t personId, std::string_view reason) override {
        calls.emplace_back(personId, std::string(reason));
    }
};

class RoomCredentials : public ::testing::Test {
protected:
    void SetUp() override {
        admin = env.bootstrap();
        mentee = env.person(admin, "ben", Json::array({"mentee"}));
        env.handlers->setCredentialsListener(&told);
    }
    net::Identity login() {
        auto who = rooms.loginFrom("ben@example.org", password, "127.0.0.1:5000");
        EXPECT_TRUE(who) << (who ? "" : who.error().message);
        return who ? *who : net::Identity{};
    }
    bool ticketFor(const net::Identity& who) { return rooms.issueTicket(who, "demo").has_value(); }
    int recordsStatus(const net::Identity& who) {
        std::promise<net::ApiResponse> answer;
        rooms.onApiRequest(who, net::ApiRequest{1, net::ApiMethod::kGet, "/mentorships", ""},
                           [&](net::ApiResponse r) { answer.set_value(std::move(r)); });
        return answer.get_future().get().status;
    }

    TestEnv env{"room-credentials"};
    Told told;
    RoomService rooms{*env.handlers, *env.store, env.wall, net::SigningKeyPair::generate(), RoomServiceOptions{},
                      Logger()};
    Principal admin;
    std::int64_t mentee = 0;
    std::string password = "ben-password";
};

TEST_F(RoomCredentials, APasswordChangeEndsWhatEarlierLoginsMayDo) {
    const net::Identity before = login();
    EXPECT_TRUE(ticketFor(before));
    EXPECT_EQ(recordsStatus(before), 200);
    // A change that is no credential (the name) leaves the login valid.
    ASSERT_TRUE(env.handlers->update(admin, Entity::kPerson, mentee, Json{{"name", "Ben O."}}));
    EXPECT_TRUE(told.calls.empty());
    EXPECT_TRUE(ticketFor(before));

    ASSERT_TRUE(env.handlers->update(admin, Entity::kPerson, mentee, Json{{"password", "a-new-long-password"}}));
    ASSERT_EQ(told.calls.size(), 1u);
    EXPECT_EQ(told.calls[0].first, mentee);
    EXPECT_NE(told.calls[0].second.find("password"), std::string::npos);
    auto refused = rooms.issueTicket(before, "demo");
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, ErrorCode::kPermissionDenied);
    EXPECT_NE(refused.error().message.find("log in again"), std::string::npos);
    EXPECT_EQ(recordsStatus(before), 401);
    // A login with the new password works.
    password = "a-new-long-password";
    const net::Identity after = login();
    EXPECT_TRUE(ticketFor(after));
    EXPECT_EQ(recordsStatus(after), 200);
}

TEST_F(RoomCredentials, ARoleChangeAndErasureDoTooButTheSameRolesAgainDoNot) {
    const net::Identity before = login();
    ASSERT_TRUE(env.handlers->update(admin, Entity::kPerson, mentee, Json{{"roles", {"mentee"}}}));
    EXPECT_TRUE(told.calls.empty());
    EXPECT_TRUE(ticketFor(before));
    ASSERT_TRUE(env.handlers->update(admin, Entity::kPerson, mentee, Json{{"roles", {"mentor"}}}));
    ASSERT_EQ(told.calls.size(), 1u);
    EXPECT_NE(told.calls[0].second.find("roles"), std::string::npos);
    EXPECT_FALSE(ticketFor(before));
    EXPECT_EQ(recordsStatus(before), 401);

    const net::Identity mentor = login();
    EXPECT_EQ(mentor.role, net::Role::kMentor);
    EXPECT_TRUE(ticketFor(mentor));
    ASSERT_TRUE(env.handlers->remove(admin, Entity::kPerson, mentee));
    ASSERT_EQ(told.calls.size(), 2u);
    EXPECT_EQ(told.calls[1], (std::pair<std::int64_t, std::string>{mentee, "your account was erased"}));
    EXPECT_FALSE(ticketFor(mentor));
    EXPECT_EQ(recordsStatus(mentor), 401);
}

}  // namespace
}  // namespace mxr::server::test
