#pragma once
// A small blocking JSON client over cpp-httplib for the process tests.
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <string>

namespace mxr::server::test {

struct Reply {
    int status = 0;  // 0: no answer (connection failed)
    nlohmann::json body;
    std::string raw;
    std::string contentType;
};

class HttpClient {
public:
    explicit HttpClient(int port) : m_cli("127.0.0.1", port) {
        m_cli.set_keep_alive(true);
        m_cli.set_tcp_nodelay(true);
        m_cli.set_connection_timeout(5, 0);
        m_cli.set_read_timeout(20, 0);
        m_cli.set_write_timeout(20, 0);
    }

    Reply call(const std::string& method, const std::string& path, const std::string& body = "",
               const std::string& token = "") {
        httplib::Headers headers;
        if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
        auto send = [&]() -> httplib::Result {
            if (method == "POST") return m_cli.Post(path.c_str(), headers, body, "application/json");
            if (method == "PATCH") return m_cli.Patch(path.c_str(), headers, body, "application/json");
            if (method == "DELETE") return m_cli.Delete(path.c_str(), headers);
            return m_cli.Get(path.c_str(), headers);
        };
        httplib::Result r = send();
        Reply out;
        if (!r) return out;
        out.status = r->status;
        out.raw = r->body;
        out.contentType = r->get_header_value("Content-Type");
        out.body = nlohmann::json::parse(r->body, nullptr, false);
        return out;
    }

    Reply post(const std::string& path, const nlohmann::json& body, const std::string& token = "") {
        return call("POST", path, body.dump(), token);
    }
    Reply get(const std::string& path, const std::string& token = "") { return call("GET", path, "", token); }

    std::string login(const std::string& email, const std::string& password) {
        auto r = post("/api/v1/login", {{"email", email}, {"password", password}});
        return r.status == 200 ? r.body["token"].get<std::string>() : std::string();
    }

private:
    httplib::Client m_cli;
};

}  // namespace mxr::server::test
