// Response compression by the HTTP front end (server/README.md,
// "Compression"), seen on the wire: the same request with and without
// Accept-Encoding: gzip gives the same bytes once decoded (zlib here, not
// the server's code), with Content-Encoding and Vary as they should be;
// small bodies and answers that carry a secret are never compressed.
#include <gtest/gtest.h>
#include <zlib.h>

#include <map>
#include <nlohmann/json.hpp>

#include "raw_http.h"
#include "server_process.h"
#include "test_env.h"

namespace mxr::server::test {
namespace {

struct Answer {
    int status = 0;
    std::multimap<std::string, std::string> headers;  // names in lower case
    std::string body;
    std::string header(const std::string& name) const {
        auto it = headers.find(name);
        return it == headers.end() ? std::string() : it->second;
    }
    bool has(const std::string& name) const { return headers.count(name) > 0; }
};

Answer ask(int port, const std::string& method, const std::string& path, const std::string& extraHeaders = "",
           const std::string& body = "") {
    const int fd = connectFrom("127.0.0.1", port);
    EXPECT_GE(fd, 0);
    const std::string raw = roundTrip(fd, strCat(method, " ", path, " HTTP/1.1\r\nHost: 127.0.0.1\r\n", extraHeaders,
                                                 body.empty() ? "" : strCat("Content-Type: application/json\r\nContent-Length: ", body.size(), "\r\n"),
                                                 "Connection: close\r\n\r\n", body));
    ::close(fd);
    Answer a;
    a.status = statusOf(raw);
    const auto end = raw.find("\r\n\r\n");
    if (end == std::string::npos) return a;
    std::size_t at = raw.find("\r\n") + 2;
    while (at < end) {
        const auto eol = raw.find("\r\n", at);
        const std::string line = raw.substr(at, eol - at);
        const auto colon = line.find(':');
        std::string name = line.substr(0, colon);
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        a.headers.emplace(name, line.substr(line.find_first_not_of(' ', colon + 1)));
        at = eol + 2;
    }
    a.body = raw.substr(end + 4);
    return a;
}

std::string gunzipped(const std::string& data) {
    z_stream z{};
    EXPECT_EQ(inflateInit2(&z, 15 + 16), Z_OK);
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    z.avail_in = static_cast<uInt>(data.size());
    std::string out;
    char chunk[8192];
    int rc = Z_OK;
    while (rc == Z_OK) {
        z.next_out = reinterpret_cast<Bytef*>(chunk);
        z.avail_out = sizeof chunk;
        rc = inflate(&z, Z_NO_FLUSH);
        out.append(chunk, sizeof chunk - z.avail_out);
    }
    inflateEnd(&z);
    EXPECT_EQ(rc, Z_STREAM_END) << "a whole gzip stream";
    return out;
}

const std::string kGzip = "Accept-Encoding: gzip, deflate, br\r\n";

TEST(ServerCompression, TextIsGzippedForClientsThatAskAndDecodesToTheSameBytes) {
    auto dir = makeTempDir("gzip");
    ServerProcess server;
    ASSERT_TRUE(server.start(dir, {"--init-admin", "admin@example.org:adminpassword"})) << server.why();
    const int port = server.port();

    // A static file: compressed once (best ratio), its validator weakened
    // for the gzip variant, and both variants revalidate as 304.
    for (const std::string path : {"/js/main.js", "/style.css", "/"}) {
        const Answer plain = ask(port, "GET", path);
        const Answer zipped = ask(port, "GET", path, kGzip);
        ASSERT_EQ(plain.status, 200) << path;
        ASSERT_EQ(zipped.status, 200) << path;
        EXPECT_FALSE(plain.has("content-encoding")) << path;
        EXPECT_EQ(zipped.header("content-encoding"), "gzip") << path;
        EXPECT_EQ(plain.header("vary"), "Accept-Encoding") << path;
        EXPECT_EQ(zipped.header("vary"), "Accept-Encoding") << path;
        EXPECT_EQ(plain.header("content-type"), zipped.header("content-type")) << path;
        EXPECT_EQ(plain.header("content-security-policy"), zipped.header("content-security-policy")) << path;
        EXPECT_EQ(zipped.header("etag"), "W/" + plain.header("etag")) << path;
        EXPECT_EQ(std::stoul(zipped.header("content-length")), zipped.body.size()) << path;
        EXPECT_LT(zipped.body.size(), plain.body.size() * 6 / 10) << path;
        EXPECT_EQ(gunzipped(zipped.body), plain.body) << path;
        // Cached: the second gzip answer is the same bytes.
        EXPECT_EQ(ask(port, "GET", path, kGzip).body, zipped.body) << path;
        const Answer zipped304 = ask(port, "GET", path, kGzip + "If-None-Match: " + zipped.header("etag") + "\r\n");
        EXPECT_EQ(zipped304.status, 304) << path;
        EXPECT_EQ(zipped304.header("etag"), zipped.header("etag")) << path;
        EXPECT_EQ(zipped304.header("vary"), "Accept-Encoding") << path;
        const Answer plain304 = ask(port, "GET", path, "If-None-Match: " + plain.header("etag") + "\r\n");
        EXPECT_EQ(plain304.status, 304) << path;
        EXPECT_EQ(plain304.header("etag"), plain.header("etag")) << path;
        // A 304 has no body and must not relabel the cached one: a cache
        // updates stored headers from it, so a JSON type here would turn a
        // cached script into "JSON".
        EXPECT_FALSE(plain304.has("content-type")) << path << ": " << plain304.header("content-type");
        EXPECT_FALSE(zipped304.has("content-type")) << path << ": " << zipped304.header("content-type");
    }
    // gzip refused by its q-value; only other codings; the wildcard.
    EXPECT_FALSE(ask(port, "GET", "/js/main.js", "Accept-Encoding: gzip;q=0, br\r\n").has("content-encoding"));
    EXPECT_FALSE(ask(port, "GET", "/js/main.js", "Accept-Encoding: br, deflate\r\n").has("content-encoding"));
    EXPECT_EQ(ask(port, "GET", "/js/main.js", "Accept-Encoding: *\r\n").header("content-encoding"), "gzip");

    // API answers (JSON): a list of people, over 1 KiB.
    const Answer login = ask(port, "POST", "/api/v1/login", kGzip, R"({"email":"admin@example.org","password":"adminpassword"})");
    ASSERT_EQ(login.status, 200) << login.body;
    EXPECT_FALSE(login.has("content-encoding")) << "the answer holding the token is never compressed";
    const std::string bearer = "Authorization: Bearer " + nlohmann::json::parse(login.body)["token"].get<std::string>() + "\r\n";
    for (int i = 0; i < 12; ++i) {
        ASSERT_EQ(ask(port, "POST", "/api/v1/people", bearer,
                      strCat(R"({"name":"Person )", i, R"(","email":"p)", i, R"(@example.org","roles":["mentee"]})")).status, 201);
    }
    const Answer plainList = ask(port, "GET", "/api/v1/people?limit=100", bearer);
    const Answer zippedList = ask(port, "GET", "/api/v1/people?limit=100", bearer + kGzip);
    ASSERT_EQ(plainList.status, 200);
    ASSERT_GT(plainList.body.size(), 1024u);
    EXPECT_EQ(zippedList.header("content-encoding"), "gzip");
    EXPECT_EQ(zippedList.header("vary"), "Accept-Encoding");
    EXPECT_EQ(zippedList.header("content-type"), plainList.header("content-type"));
    EXPECT_FALSE(zippedList.has("etag"));
    EXPECT_EQ(gunzipped(zippedList.body), plainList.body);

    // Small bodies are sent as they are, without Vary.
    const Answer health = ask(port, "GET", "/healthz", kGzip);
    EXPECT_EQ(health.status, 200);
    EXPECT_FALSE(health.has("content-encoding"));
    EXPECT_FALSE(health.has("vary"));

    // The web session's answer holds the CSRF token beside the person's own
    // fields: never compressed, however long (BREACH).
    const Answer me = ask(port, "GET", "/api/v1/people?limit=1", bearer);
    const auto adminId = nlohmann::json::parse(me.body)["items"][0]["id"].get<std::int64_t>();
    nlohmann::json skills = nlohmann::json::array();
    for (int i = 0; i < 30; ++i) skills.push_back(strCat("a skill with a long enough name, number ", i));
    ASSERT_EQ(ask(port, "PATCH", strCat("/api/v1/people/", adminId), bearer, nlohmann::json{{"skills", skills}}.dump()).status, 200);
    const Answer webLogin = ask(port, "POST", "/web/login", kGzip, R"({"email":"admin@example.org","password":"adminpassword"})");
    ASSERT_EQ(webLogin.status, 200) << webLogin.body;
    EXPECT_FALSE(webLogin.has("content-encoding"));
    const std::string setCookie = webLogin.header("set-cookie");
    const std::string cookie = "Cookie: " + setCookie.substr(0, setCookie.find(';')) + "\r\n";
    const Answer session = ask(port, "GET", "/web/session", cookie + kGzip);
    ASSERT_EQ(session.status, 200) << session.body;
    ASSERT_GT(session.body.size(), 1024u);
    EXPECT_NE(session.body.find("csrf"), std::string::npos);
    EXPECT_FALSE(session.has("content-encoding"));
    EXPECT_FALSE(session.has("vary"));
    // The same person's record through the cookie-carried API is compressed.
    const Answer record = ask(port, "GET", strCat("/api/v1/people/", adminId), cookie + kGzip);
    ASSERT_EQ(record.status, 200);
    EXPECT_EQ(record.header("content-encoding"), "gzip");
    EXPECT_EQ(nlohmann::json::parse(gunzipped(record.body))["skills"], skills);

    server.kill9();
    std::error_code rm;
    std::filesystem::remove_all(dir, rm);
}

}  // namespace
}  // namespace mxr::server::test
