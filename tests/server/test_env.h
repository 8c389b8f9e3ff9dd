#pragma once
// In-process server pieces over a fresh database in a temporary folder, for
// store, handler and authorization tests.
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <random>
#include <string>

#include "server/auth.h"
#include "server/handlers.h"
#include "server/sqlite_store.h"

namespace mxr::server::test {

inline std::filesystem::path makeTempDir(const std::string& tag) {
    std::random_device rd;
    auto dir = std::filesystem::temp_directory_path() / ("mxr-" + tag + "-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(dir);
    return dir;
}

// 2026-03-01T00:00:00Z: tests run on a fixed calendar.
inline constexpr std::int64_t kTestEpoch = 1772323200;

struct TestEnv {
    explicit TestEnv(const std::string& tag, std::string vfs = "")
        : dir(makeTempDir(tag)), wall(kTestEpoch), limiter(steady, LoginLimits{}) {
        EXPECT_TRUE(PasswordHasher::initSodium());
        openStore(vfs);
    }
    ~TestEnv() {
        handlers.reset();
        store.reset();
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }

    // walRestartFrames: 0 for the store's default (SqliteStoreOptions).
    void openStore(const std::string& vfs = "", int walRestartFrames = 0) {
        handlers.reset();
        store.reset();
        auto s = openSqliteStore(SqliteStoreOptions{.path = (dir / "mentorxr.db").string(),
                                                    .vfs = vfs,
                                                    .walRestartFrames = walRestartFrames},
                                 wall, Logger());
        if (!s) {
            ADD_FAILURE() << s.error().describe();
            return;
        }
        store = std::move(*s);
        handlers = std::make_unique<Handlers>(*store, hasher, limiter, wall, HandlerOptions{}, Logger());
    }

    // Bootstraps the first program manager and logs them in.
    Principal bootstrap() {
        auto r = handlers->bootstrapAdmin("admin@example.org:adminpassword");
        EXPECT_TRUE(r) << (r ? "" : r.error().describe());
        return principalFor("admin@example.org", "adminpassword");
    }

    std::string tokenFor(const std::string& email, const std::string& password) {
        auto login = handlers->login(Json{{"email", email}, {"password", password}}, "127.0.0.1");
        if (!login) {
            ADD_FAILURE() << "login " << email << ": " << login.error().message;
            return {};
        }
        return (*login)["token"].get<std::string>();
    }

    Principal principalFor(const std::string& email, const std::string& password) {
        auto login = handlers->login(Json{{"email", email}, {"password", password}}, "127.0.0.1");
        if (!login) {
            ADD_FAILURE() << "login " << email << ": " << login.error().message;
            return {};
        }
        auto p = handlers->authenticate("Bearer " + (*login)["token"].get<std::string>());
        if (!p) ADD_FAILURE() << p.error().message;
        return p ? *p : Principal{};
    }

    // Creates a person with a password and returns their id.
    std::int64_t person(const Principal& admin, const std::string& name, const Json& roles) {
        auto r = handlers->create(admin, Entity::kPerson,
                                  Json{{"name", name}, {"email", name + "@example.org"}, {"roles", roles},
                                       {"password", name + "-password"}});
        EXPECT_TRUE(r) << (r ? "" : r.error().message);
        return r ? (*r)["id"].get<std::int64_t>() : 0;
    }

    std::int64_t must(const ApiResult& r) {
        EXPECT_TRUE(r) << (r ? "" : r.error().field + ": " + r.error().message);
        return r && r->contains("id") ? (*r)["id"].get<std::int64_t>() : 0;
    }

    std::filesystem::path dir;
    ManualWallClock wall;
    ManualClock steady;
    PasswordHasher hasher{HashCost::kTest, 2};
    LoginLimiter limiter;
    std::unique_ptr<Store> store;
    std::unique_ptr<Handlers> handlers;
};

}  // namespace mxr::server::test
