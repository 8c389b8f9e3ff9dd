// The web app's HTTP side without a socket: static files, security headers,
// the cookie session and the CSRF check (server/include/server/web_routes.h).
#include "server/web_routes.h"

#include <gtest/gtest.h>

#include <fstream>

#include "server/router.h"
#include "test_env.h"

namespace mxr::server::test {
namespace {

void writeFile(const std::filesystem::path& p, const std::string& text) {
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
}

const HeaderList kJson = {{"Content-Type", "application/json"}};

struct WebFixture : ::testing::Test {
    TestEnv env{"web"};
    std::filesystem::path root = env.dir / "app";
    std::unique_ptr<WebRoutes> web;

    void SetUp() override {
        auto admin = env.bootstrap();
        (void)admin;
        writeFile(root / "index.html", "<!doctype html><title>MentorXR</title>");
        writeFile(root / "app" / "main.js", "export const x = 1;");
        writeFile(root / "style.css", "body{}");
        writeFile(root / ".env", "SECRET=1");
        writeFile(root / ".git" / "config", "[core]");
        writeFile(root / "notes.md", "private notes");
        writeFile(env.dir / "chart.min.js", "/* chart */");
        auto made = WebRoutes::create(*env.handlers, nullptr, WebOptions{root, env.dir / "chart.min.js"}, Logger());
        ASSERT_TRUE(made) << made.error().describe();
        web = std::move(*made);
    }

    WebReply send(const std::string& method, const std::string& path, HeaderList headers = {}, std::string body = "") {
        WebRequest r{method, path, {}, std::move(headers), std::move(body), "127.0.0.1", false};
        auto reply = web->handle(r);
        if (!reply) {
            ADD_FAILURE() << method << " " << path << " was not claimed by the web routes";
            return {};
        }
        return *reply;
    }

    // Logs in through /web/login; returns the cookie pair and the CSRF token.
    std::pair<std::string, std::string> login(const std::string& email, const std::string& password) {
        const auto r = send("POST", "/web/login", {{"Content-Type", "application/json"}},
                            Json{{"email", email}, {"password", password}}.dump());
        EXPECT_EQ(r.status, 200) << r.body;
        const std::string cookie = r.header("Set-Cookie");
        return {cookie.substr(0, cookie.find(';')), Json::parse(r.body, nullptr, false).value("csrf", "")};
    }
};

TEST_F(WebFixture, ServesTheAppFilesWithTheirTypesAndNothingElse) {
    auto index = send("GET", "/");
    EXPECT_EQ(index.status, 200);
    EXPECT_EQ(index.body, "<!doctype html><title>MentorXR</title>");
    EXPECT_EQ(index.header("content-type"), "text/html; charset=utf-8");
    auto js = send("GET", "/app/main.js");
    EXPECT_EQ(js.header("Content-Type"), "text/javascript; charset=utf-8");
    EXPECT_EQ(send("GET", "/style.css").header("Content-Type"), "text/css; charset=utf-8");
    EXPECT_EQ(send("GET", "/vendor/chart.min.js").body, "/* chart */");
    // Dot files, unknown extensions and paths outside the root are never
    // the web app's: the front end answers its JSON 404.
    for (const char* p : {"/.env", "/.git/config", "/notes.md", "/../mentorxr.db", "/app/../../mentorxr.db",
                          "/index.html/", "/%2e%2e/x"}) {
        WebRequest r{"GET", p, {}, {}, "", "127.0.0.1", false};
        EXPECT_FALSE(web->handle(r)) << p;
    }
    // A write to a file is refused.
    EXPECT_EQ(send("POST", "/index.html").status, 405);
}

TEST_F(WebFixture, RevalidatesWithETagAndHead) {
    auto first = send("GET", "/app/main.js");
    const std::string etag = first.header("ETag");
    ASSERT_FALSE(etag.empty());
    EXPECT_EQ(first.header("Cache-Control"), "no-cache");
    auto again = send("GET", "/app/main.js", {{"If-None-Match", etag}});
    EXPECT_EQ(again.status, 304);
    EXPECT_TRUE(again.body.empty());
    EXPECT_EQ(send("GET", "/app/main.js", {{"If-None-Match", "\"other\""}}).status, 200);
    // Weak comparison over a list: the front end's gzip variant is W/"...".
    EXPECT_EQ(send("GET", "/app/main.js", {{"If-None-Match", "\"other\", W/" + etag}}).status, 304);
    auto head = send("HEAD", "/app/main.js");
    EXPECT_EQ(head.status, 200);
    EXPECT_TRUE(head.body.empty());
}

TEST_F(WebFixture, EveryReplyCarriesTheSecurityHeaders) {
    for (auto reply : {send("GET", "/"), send("GET", "/web/session"), send("POST", "/web/login", kJson, "{}")}) {
        EXPECT_EQ(reply.header("Content-Security-Policy"), WebRoutes::kContentSecurityPolicy);
        EXPECT_EQ(reply.header("X-Content-Type-Options"), "nosniff");
        EXPECT_EQ(reply.header("X-Frame-Options"), "DENY");
        EXPECT_EQ(reply.header("Referrer-Policy"), "no-referrer");
        EXPECT_EQ(reply.header("Cross-Origin-Opener-Policy"), "same-origin");
        EXPECT_TRUE(reply.header("Strict-Transport-Security").empty()) << "HSTS only over TLS";
    }
    const std::string csp(WebRoutes::kContentSecurityPolicy);
    EXPECT_NE(csp.find("script-src 'self';"), std::string::npos);
    EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos);
    EXPECT_EQ(csp.find("unsafe-eval"), std::string::npos);
    EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos);
    EXPECT_NE(csp.find("require-trusted-types-for 'script'"), std::string::npos);
    EXPECT_EQ(send("GET", "/web/session").header("Cache-Control"), "no-store");
}

TEST_F(WebFixture, LoginSetsAnHttpOnlyStrictCookieAndNeverShowsTheToken) {
    const auto r = send("POST", "/web/login", kJson, Json{{"email", "admin@example.org"}, {"password", "adminpassword"}}.dump());
    ASSERT_EQ(r.status, 200) << r.body;
    const std::string cookie = r.header("Set-Cookie");
    EXPECT_EQ(cookie.rfind("mxr_session=", 0), 0u) << cookie;
    EXPECT_NE(cookie.find("; HttpOnly"), std::string::npos);
    EXPECT_NE(cookie.find("; SameSite=Strict"), std::string::npos);
    EXPECT_NE(cookie.find("; Path=/"), std::string::npos);
    EXPECT_EQ(cookie.find("Secure"), std::string::npos) << "no TLS, no Secure";
    const std::string token = cookie.substr(12, cookie.find(';') - 12);
    EXPECT_EQ(r.body.find(token), std::string::npos) << "the token stays out of the page's reach";
    const Json body = Json::parse(r.body);
    EXPECT_EQ(body["csrf"], WebRoutes::csrfFor(token));

    // Over TLS the cookie is Secure and the reply carries HSTS.
    WebRequest tls{"POST", "/web/login", {}, kJson, Json{{"email", "admin@example.org"}, {"password", "adminpassword"}}.dump(),
                   "127.0.0.1", true};
    const auto overTls = web->handle(tls);
    ASSERT_TRUE(overTls);
    EXPECT_NE(overTls->header("Set-Cookie").find("; Secure"), std::string::npos);
    EXPECT_FALSE(overTls->header("Strict-Transport-Security").empty());
}

TEST_F(WebFixture, WrongPasswordAndThrottlingAnswerAsTheApiDoes) {
    const std::string bad = Json{{"email", "admin@example.org"}, {"password", "wrong-password"}}.dump();
    EXPECT_EQ(send("POST", "/web/login", kJson, bad).status, 401);
    EXPECT_EQ(send("POST", "/web/login", kJson, bad).status, 401);
    EXPECT_EQ(send("POST", "/web/login", kJson, bad).status, 401);
    const auto throttled = send("POST", "/web/login", kJson, bad);
    EXPECT_EQ(throttled.status, 429);
    EXPECT_FALSE(throttled.header("Retry-After").empty());
    EXPECT_TRUE(throttled.header("Set-Cookie").empty());
    EXPECT_EQ(send("POST", "/web/login", kJson, "not json").status, 400);
    // Login CSRF: a form's text/plain body, or another site's page, is refused.
    const std::string good = Json{{"email", "admin@example.org"}, {"password", "adminpassword"}}.dump();
    EXPECT_EQ(send("POST", "/web/login", {{"Content-Type", "text/plain"}}, good).status, 415);
    EXPECT_EQ(send("POST", "/web/login", {{"Content-Type", "application/json"}, {"Origin", "http://evil.example"},
                                          {"Host", "127.0.0.1:8080"}}, good).status, 403);
}

TEST_F(WebFixture, CookieCarriesApiCallsAndWritesNeedTheCsrfToken) {
    const auto [cookie, csrf] = login("admin@example.org", "adminpassword");
    // Reads need only the cookie.
    auto me = send("GET", "/web/session", {{"Cookie", "theme=dark; " + cookie}});
    ASSERT_EQ(me.status, 200) << me.body;
    EXPECT_EQ(Json::parse(me.body)["person"]["email"], "admin@example.org");
    EXPECT_EQ(Json::parse(me.body)["csrf"], csrf);
    auto list = send("GET", "/api/v1/programs", {{"Cookie", cookie}});
    EXPECT_EQ(list.status, 200) << list.body;

    const std::string program = Json{{"name", "Apprentices"}}.dump();
    // A write without the token, with a wrong one, or from another origin: 403, nothing written.
    EXPECT_EQ(send("POST", "/api/v1/programs", {{"Cookie", cookie}}, program).status, 403);
    EXPECT_EQ(send("POST", "/api/v1/programs", {{"Cookie", cookie}, {"X-CSRF-Token", std::string(32, '0')}}, program).status, 403);
    EXPECT_EQ(send("POST", "/api/v1/programs",
                   {{"Cookie", cookie}, {"X-CSRF-Token", csrf}, {"Origin", "http://evil.example"}, {"Host", "127.0.0.1:8080"}},
                   program).status, 403);
    EXPECT_EQ(Json::parse(send("GET", "/api/v1/programs", {{"Cookie", cookie}}).body)["items"].size(), 0u);
    // With it (same origin): created.
    auto created = send("POST", "/api/v1/programs",
                        {{"Cookie", cookie}, {"X-CSRF-Token", csrf}, {"Origin", "http://127.0.0.1:8080"}, {"Host", "127.0.0.1:8080"}},
                        program);
    EXPECT_EQ(created.status, 201) << created.body;
    EXPECT_EQ(Json::parse(send("GET", "/api/v1/programs", {{"Cookie", cookie}}).body)["items"].size(), 1u);
    // CSV comes through as CSV.
    auto csv = send("GET", "/api/v1/export", {{"Cookie", cookie}});
    EXPECT_EQ(csv.status, 200);
}

TEST_F(WebFixture, BearerCallsAndCookielessCallsStayTheFrontEndsBusiness) {
    const auto [cookie, csrf] = login("admin@example.org", "adminpassword");
    WebRequest bearer{"GET", "/api/v1/programs", {}, {{"Authorization", "Bearer x"}, {"Cookie", cookie}}, "", "127.0.0.1", false};
    EXPECT_FALSE(web->handle(bearer));
    WebRequest none{"GET", "/api/v1/programs", {}, {}, "", "127.0.0.1", false};
    EXPECT_FALSE(web->handle(none));
    WebRequest health{"GET", "/healthz", {}, {}, "", "127.0.0.1", false};
    EXPECT_FALSE(web->handle(health));
    // A malformed cookie is no cookie.
    WebRequest odd{"GET", "/api/v1/programs", {}, {{"Cookie", "mxr_session=a\"b"}}, "", "127.0.0.1", false};
    EXPECT_FALSE(web->handle(odd));
}

TEST_F(WebFixture, ExpiredOrLoggedOutSessionsAnswer401) {
    const auto [cookie, csrf] = login("admin@example.org", "adminpassword");
    EXPECT_EQ(send("GET", "/web/session").status, 401);
    EXPECT_EQ(send("GET", "/api/v1/programs", {{"Cookie", "mxr_session=not-a-real-token"}}).status, 401);
    EXPECT_EQ(send("POST", "/web/logout", {{"Cookie", cookie}}).status, 403) << "logout needs the CSRF token";
    const auto out = send("POST", "/web/logout", {{"Cookie", cookie}, {"X-CSRF-Token", csrf}});
    EXPECT_EQ(out.status, 200);
    EXPECT_NE(out.header("Set-Cookie").find("Max-Age=0"), std::string::npos);
    // The token's own expiry: a day later the cookie no longer works.
    env.wall.advance(13 * 3600);
    EXPECT_EQ(send("GET", "/api/v1/programs", {{"Cookie", cookie}}).status, 401);
    EXPECT_EQ(send("GET", "/web/session", {{"Cookie", cookie}}).status, 401);
}

// Logout ends the one token on the server: a copy of the old cookie (or
// the same token as a bearer) gets 401 at once, even though it was just
// used and sits in the token cache; the person's other sessions go on.
TEST_F(WebFixture, LogoutRevokesThatTokenOnTheServerAndOnlyThatOne) {
    const auto [cookie, csrf] = login("admin@example.org", "adminpassword");
    const auto [otherCookie, otherCsrf] = login("admin@example.org", "adminpassword");
    const std::string bearer = env.tokenFor("admin@example.org", "adminpassword");
    Router router(*env.handlers, nullptr);
    auto api = [&](const std::string& method, const std::string& path, const std::string& token) {
        RouterRequest r;
        r.method = method;
        r.path = path;
        r.authorization = "Bearer " + token;
        return router.handle(r).status;
    };
    // All three work (and are cached by authenticate()).
    ASSERT_EQ(send("GET", "/api/v1/programs", {{"Cookie", cookie}}).status, 200);
    ASSERT_EQ(send("GET", "/web/session", {{"Cookie", otherCookie}}).status, 200);
    ASSERT_EQ(api("GET", "/programs", bearer), 200);

    ASSERT_EQ(send("POST", "/web/logout", {{"Cookie", cookie}, {"X-CSRF-Token", csrf}}).status, 200);
    EXPECT_EQ(send("GET", "/api/v1/programs", {{"Cookie", cookie}}).status, 401);
    EXPECT_EQ(send("GET", "/web/session", {{"Cookie", cookie}}).status, 401);
    EXPECT_EQ(api("GET", "/programs", cookie.substr(cookie.find('=') + 1)), 401) << "the token itself is gone";
    EXPECT_EQ(send("POST", "/api/v1/programs", {{"Cookie", cookie}, {"X-CSRF-Token", csrf}}, R"({"name":"x"})").status, 401);
    // The other browser session and the API client are still logged in.
    EXPECT_EQ(send("GET", "/web/session", {{"Cookie", otherCookie}}).status, 200);
    EXPECT_EQ(send("GET", "/api/v1/programs", {{"Cookie", otherCookie}}).status, 200);
    EXPECT_EQ(api("GET", "/programs", bearer), 200);
    // Logging out again with the dead cookie only clears it.
    EXPECT_EQ(send("POST", "/web/logout", {{"Cookie", cookie}, {"X-CSRF-Token", csrf}}).status, 200);

    // API clients end their own token the same way (POST /api/v1/logout).
    EXPECT_EQ(api("GET", "/logout", bearer), 404);
    EXPECT_EQ(api("POST", "/logout", bearer), 200);
    EXPECT_EQ(api("GET", "/programs", bearer), 401);
    EXPECT_EQ(api("POST", "/logout", bearer), 401);
    EXPECT_EQ(send("GET", "/web/session", {{"Cookie", otherCookie}}).status, 200);
}

TEST(WebRoutesCreate, AMissingFolderOrChartJsIsAClearError) {
    TestEnv env("web-missing");
    auto none = WebRoutes::create(*env.handlers, nullptr, WebOptions{env.dir / "absent", {}}, Logger());
    ASSERT_FALSE(none);
    EXPECT_NE(none.error().message.find("absent"), std::string::npos);
    EXPECT_NE(none.error().message.find("--web-root"), std::string::npos);
    writeFile(env.dir / "app" / "index.html", "x");
    auto noChart = WebRoutes::create(*env.handlers, nullptr, WebOptions{env.dir / "app", env.dir / "nochart.js"}, Logger());
    ASSERT_FALSE(noChart);
    EXPECT_NE(noChart.error().message.find("libjs-chart.js"), std::string::npos);
}

}  // namespace
}  // namespace mxr::server::test
