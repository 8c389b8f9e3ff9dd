// The server over TLS (--tls-cert, --tls-key) with a self-signed
// certificate made at test time by the openssl command: requests and
// keep-alive over one TLS connection, plain HTTP refused, bad files refused
// at start-up with a message naming them.
#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "raw_http.h"
#include "server_process.h"
#include "test_env.h"

namespace mxr::server::test {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace ssl = boost::asio::ssl;
using nlohmann::json;

// A self-signed certificate for 127.0.0.1 and its key, in `dir`.
bool makeCertificate(const std::filesystem::path& dir) {
    const std::string cmd = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
                            "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout '" +
                            (dir / "key.pem").string() + "' -out '" + (dir / "cert.pem").string() + "' 2>/dev/null";
    return std::system(cmd.c_str()) == 0;
}

TEST(ServerTls, RequestsAndKeepAliveOverOneVerifiedTlsConnection) {
    auto dir = makeTempDir("tls");
    ASSERT_TRUE(makeCertificate(dir)) << "the openssl command failed";
    ServerProcess server;
    ASSERT_TRUE(server.start(dir / "data", {"--init-admin", "admin@example.org:adminpassword", "--tls-cert",
                                            (dir / "cert.pem").string(), "--tls-key", (dir / "key.pem").string()}))
        << server.why();

    asio::io_context io;
    ssl::context ctx(ssl::context::tls_client);
    ctx.load_verify_file((dir / "cert.pem").string());  // trust exactly this certificate
    beast::ssl_stream<beast::tcp_stream> stream(io, ctx);
    stream.set_verify_mode(ssl::verify_peer);
    stream.set_verify_callback(ssl::host_name_verification("127.0.0.1"));
    beast::get_lowest_layer(stream).connect(
        asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<std::uint16_t>(server.port())));
    beast::error_code ec;
    stream.handshake(ssl::stream_base::client, ec);
    ASSERT_FALSE(ec) << ec.message();

    beast::flat_buffer buffer;
    auto call = [&](http::verb verb, const std::string& target, const std::string& body, const std::string& token) {
        http::request<http::string_body> req{verb, target, 11};
        req.set(http::field::host, "127.0.0.1");
        if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
        if (!body.empty()) req.set(http::field::content_type, "application/json");
        req.body() = body;
        req.prepare_payload();
        http::response<http::string_body> res;
        beast::error_code e;
        http::write(stream, req, e);
        if (!e) http::read(stream, buffer, res, e);
        EXPECT_FALSE(e) << target << ": " << e.message();
        EXPECT_TRUE(res.keep_alive()) << target;
        return res;
    };
    // Everything on the one connection: if the server closed it after any
    // answer, the next write or read would fail.
    auto login = call(http::verb::post, "/api/v1/login",
                      json{{"email", "admin@example.org"}, {"password", "adminpassword"}}.dump(), "");
    ASSERT_EQ(login.result_int(), 200u) << login.body();
    const std::string token = json::parse(login.body())["token"];
    EXPECT_EQ(call(http::verb::get, "/healthz", "", "").result_int(), 200u);
    auto program = call(http::verb::post, "/api/v1/programs", json{{"name", "Over TLS"}}.dump(), token);
    ASSERT_EQ(program.result_int(), 201u) << program.body();
    const auto id = json::parse(program.body())["id"].get<std::int64_t>();
    auto again = call(http::verb::get, "/api/v1/programs/" + std::to_string(id), "", token);
    EXPECT_EQ(again.result_int(), 200u) << again.body();
    EXPECT_EQ(json::parse(again.body(), nullptr, false).value("name", ""), "Over TLS");
    stream.shutdown(ec);

    // Plain HTTP to the TLS port gets no HTTP answer, and the server goes on.
    const int plain = connectFrom("127.0.0.1", server.port());
    ASSERT_GE(plain, 0);
    EXPECT_EQ(statusOf(roundTrip(plain, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")), 0);
    ::close(plain);
    server.kill9();
    std::error_code rm;
    std::filesystem::remove_all(dir, rm);
}

TEST(ServerTls, AMissingKeyOrCertificateStopsTheStartNamingTheFile) {
    auto dir = makeTempDir("tlsbad");
    ASSERT_TRUE(makeCertificate(dir));
    ServerProcess server;
    EXPECT_FALSE(server.start(dir / "a", {"--tls-cert", (dir / "cert.pem").string(), "--tls-key", (dir / "nope.pem").string()}));
    EXPECT_NE(server.why().find("nope.pem"), std::string::npos) << server.why();
    EXPECT_FALSE(server.start(dir / "b", {"--tls-cert", (dir / "cert.pem").string()}));
    EXPECT_NE(server.why().find("--tls-key"), std::string::npos) << server.why();
    std::error_code rm;
    std::filesystem::remove_all(dir, rm);
}

}  // namespace
}  // namespace mxr::server::test

namespace mxr::server::test {
namespace {

// A failed login from `source`, claiming to be `forwardedFor`; the status.
int guessFrom(int port, const char* source, const std::string& forwardedFor) {
    const int fd = connectFrom(source, port);
    if (fd < 0) return 0;
    const std::string body = json{{"email", "admin@example.org"}, {"password", "wrong-guess"}}.dump();
    const int status = statusOf(roundTrip(fd, "POST /api/v1/login HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: " + forwardedFor +
                                                 "\r\nContent-Type: application/json\r\nContent-Length: " +
                                                 std::to_string(body.size()) + "\r\n\r\n" + body));
    ::close(fd);
    return status;
}

// Behind a reverse proxy every client has the proxy's address: the login
// limits tell clients apart by X-Forwarded-For only when it comes from the
// proxy that --trusted-proxy names.
TEST(ServerProxy, TheLoginLimitsUseXForwardedForOnlyFromTheTrustedProxy) {
    for (const bool trusted : {true, false}) {
        auto dir = makeTempDir("proxy");
        ServerProcess server;
        std::vector<std::string> args = {"--init-admin", "admin@example.org:adminpassword"};
        if (trusted) args.insert(args.end(), {"--trusted-proxy", "127.0.0.2"});
        ASSERT_TRUE(server.start(dir, args)) << server.why();
        // One client behind the proxy guesses until it is slowed down...
        int slowed = 0;
        for (int i = 0; i < 12; ++i) slowed += guessFrom(server.port(), "127.0.0.2", "192.0.2.7") == 429;
        EXPECT_GT(slowed, 0) << "trusted=" << trusted;
        // ...another client behind the same proxy is not, when the proxy is
        // trusted; when it is not, both are the proxy's one address.
        const int other = guessFrom(server.port(), "127.0.0.2", "192.0.2.8");
        EXPECT_EQ(other, trusted ? 401 : 429) << "trusted=" << trusted;
        // A client reaching the server directly cannot pick its address by
        // sending the header: 127.0.0.3 is not the trusted proxy.
        if (trusted) {
            EXPECT_EQ(guessFrom(server.port(), "127.0.0.3", "192.0.2.7"), 401);
        }
        server.kill9();
        std::error_code rm;
        std::filesystem::remove_all(dir, rm);
    }
}

}  // namespace
}  // namespace mxr::server::test
