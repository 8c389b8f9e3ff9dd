// mentorxr-loadgen: load against a running mentorxr-server.
//
// Each client is one keep-alive connection with its own token (it logs in
// once as its own mentor account); the connections are driven by a few
// event-loop threads (http_load.h), closed loop or on an open-loop schedule.
// A write is one POST of one goal, counted when the server answers 201
// (acknowledged = durable). A read is one GET of a goal the client owns.
// Prints throughput, p50/p99/p99.9 latency and the CPU this process and the
// server used, for each phase.
#include <httplib.h>

#include "http_load.h"
#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

struct Options {
    std::string host = "127.0.0.1";
    int port = 8080;
    std::string admin;
    std::vector<int> writeClients{1, 16, 200};
    std::vector<int> readClients{16, 200};
    std::vector<std::pair<int, double>> openWrites, openReads;  // clients, requests/s
    double seconds = 5;
    int threads = 2;
    int serverPid = 0;
    bool tls = false;
};

struct Account {
    std::string email;
    std::int64_t mentorship = 0;
};

std::unique_ptr<httplib::Client> connect(const Options& o) {
    auto c = o.tls ? std::make_unique<httplib::Client>("https://" + o.host + ":" + std::to_string(o.port))
                   : std::make_unique<httplib::Client>(o.host, o.port);
    if (o.tls) c->enable_server_certificate_verification(false);  // loopback load, a self-signed certificate
    c->set_keep_alive(true);
    c->set_tcp_nodelay(true);  // headers and body go out in separate writes: avoid Nagle + delayed ACK
    c->set_connection_timeout(10, 0);
    c->set_read_timeout(30, 0);
    c->set_write_timeout(30, 0);
    return c;
}

httplib::Headers auth(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }

std::string login(httplib::Client& c, const std::string& email, const std::string& password) {
    const std::string body = json{{"email", email}, {"password", password}}.dump();
    auto r = c.Post("/api/v1/login", body, "application/json");
    // A connection the server closed between phases is retried once.
    if (!r) r = c.Post("/api/v1/login", body, "application/json");
    if (!r || r->status != 200) {
        throw std::runtime_error("login failed for " + email + ": " + (r ? r->body : httplib::to_string(r.error())));
    }
    return json::parse(r->body)["token"];
}

json postJson(httplib::Client& c, const std::string& token, const std::string& path, const json& body) {
    auto r = c.Post(path.c_str(), auth(token), body.dump(), "application/json");
    if (!r || r->status != 201) {
        throw std::runtime_error("POST " + path + " failed: " + (r ? r->body : httplib::to_string(r.error())));
    }
    return json::parse(r->body);
}

// utime + stime from a /proc stat file, in seconds; -1 if unknown.
double statCpuSeconds(const std::string& path) {
    std::ifstream f(path);
    std::string s((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    const auto close = s.rfind(')');
    if (close == std::string::npos) return -1;
    std::istringstream in(s.substr(close + 2));
    std::string field;
    double utime = 0, stime = 0;
    for (int i = 3; i <= 15 && in >> field; ++i) {
        if (i == 14) utime = std::stod(field);
        if (i == 15) stime = std::stod(field);
    }
    return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// Another process's CPU, in seconds; -1 if unknown.
double processCpuSeconds(int pid) {
    if (pid <= 0) return -1;
    return statCpuSeconds("/proc/" + std::to_string(pid) + "/stat");
}

// The CPU of another process's threads named `name` (the server's
// mxr-writer), in seconds; -1 if it has none.
double threadsCpuSeconds(int pid, const std::string& name) {
    if (pid <= 0) return -1;
    double sum = -1;
    std::error_code ec;
    const std::filesystem::path tasks = "/proc/" + std::to_string(pid) + "/task";
    for (const auto& t : std::filesystem::directory_iterator(tasks, ec)) {
        std::ifstream comm(t.path() / "comm");
        std::string n;
        std::getline(comm, n);
        if (n != name) continue;
        const double s = statCpuSeconds((t.path() / "stat").string());
        if (s >= 0) sum = std::max(sum, 0.0) + s;
    }
    return sum;
}

// Setup (not measured): calls fn(connection, i) for i in [0, n) on up to 16
// threads, each with its own connection; the first exception is rethrown.
template <typename Fn>
void forEachClient(const Options& o, int n, Fn fn) {
    std::atomic<int> next{0};
    std::mutex failedMutex;
    std::exception_ptr failed;
    std::vector<std::thread> t;
    for (int w = 0; w < std::min(n, 16); ++w) {
        t.emplace_back([&] {
            try {
                auto c = connect(o);
                for (int i = next++; i < n; i = next++) fn(*c, i);
            } catch (...) {
                std::lock_guard lock(failedMutex);
                if (!failed) failed = std::current_exception();
            }
        });
    }
    for (auto& x : t) x.join();
    if (failed) std::rethrow_exception(failed);
}

// Logs every client in (not measured) and returns their bearer tokens.
std::vector<std::string> loginAll(const Options& o, int clients, const std::vector<Account>& accounts,
                                  const std::string& password) {
    std::vector<std::string> tokens(clients);
    forEachClient(o, clients, [&](httplib::Client& c, int i) {
        try {
            tokens[i] = login(c, accounts[i].email, password);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "mentorxr-loadgen: %s\n", e.what());
        }
    });
    for (const auto& tok : tokens) {
        if (tok.empty()) throw std::runtime_error("some clients could not log in");
    }
    return tokens;
}

struct Phase {
    const char* kind;
    int clients;
    double rate;  // 0: closed loop
};

void report(const Options& o, const Phase& ph, const mxr::loadgen::LoadResult& r, double serverCpu, double writerCpu) {
    const double cores = static_cast<double>(std::thread::hardware_concurrency());
    char offered[32] = "closed";
    if (ph.rate > 0) std::snprintf(offered, sizeof offered, "%.0f/s", ph.rate);
    std::printf("%-6s clients=%-4d offered=%-8s ok=%-8llu errors=%-4llu rate=%8.0f/s p50=%7.2fms p99=%7.2fms "
                "p99.9=%7.2fms loadgen_cpu=%.2f cores (%.0f%% of %.0f, %d threads)",
                ph.kind, ph.clients, offered, static_cast<unsigned long long>(r.ok),
                static_cast<unsigned long long>(r.errors), static_cast<double>(r.ok) / r.wallSeconds,
                r.percentileMs(0.50), r.percentileMs(0.99), r.percentileMs(0.999), r.cpuSeconds / r.wallSeconds,
                100.0 * r.cpuSeconds / r.wallSeconds / cores, cores, std::min(o.threads, ph.clients));
    // Per request: a figure that the machine's other load moves less than rates.
    const double perRequest = r.ok ? 1e6 / static_cast<double>(r.ok) : 0;
    if (serverCpu >= 0) std::printf(" server_cpu=%.2f cores (%.1f us/req)", serverCpu / r.wallSeconds, serverCpu * perRequest);
    if (writerCpu >= 0) std::printf(" writer_cpu=%.2f cores (%.1f us/req)", writerCpu / r.wallSeconds, writerCpu * perRequest);
    std::printf("\n");
    if (!r.firstError.empty()) std::printf("  first error: %s\n", r.firstError.substr(0, 200).c_str());
    std::fflush(stdout);
}

mxr::loadgen::LoadResult runPhase(const Options& o, const Phase& ph, const mxr::loadgen::RequestBuilder& build,
                                  int expectedStatus) {
    mxr::loadgen::LoadOptions lo;
    lo.tls = o.tls;
    lo.host = o.host;
    lo.port = o.port;
    lo.connections = ph.clients;
    lo.threads = o.threads;
    lo.seconds = o.seconds;
    lo.ratePerSecond = ph.rate;
    const double server0 = processCpuSeconds(o.serverPid);
    const double writer0 = threadsCpuSeconds(o.serverPid, "mxr-writer");
    auto r = mxr::loadgen::runLoad(lo, build, expectedStatus);
    const double serverCpu = server0 >= 0 ? processCpuSeconds(o.serverPid) - server0 : -1;
    const double writerCpu = writer0 >= 0 ? threadsCpuSeconds(o.serverPid, "mxr-writer") - writer0 : -1;
    report(o, ph, r, serverCpu, writerCpu);
    return r;
}

std::string request(const char* method, const std::string& path, const std::string& host, const std::string& token,
                    const std::string& body) {
    std::string r;
    r.reserve(256 + body.size());
    r += method;
    r += ' ';
    r += path;
    r += " HTTP/1.1\r\nHost: ";
    r += host;
    r += "\r\nAuthorization: Bearer ";
    r += token;
    if (!body.empty()) {
        r += "\r\nContent-Type: application/json\r\nContent-Length: ";
        r += std::to_string(body.size());
    }
    r += "\r\n\r\n";
    r += body;
    return r;
}

int run(const Options& o) {
    const auto colon = o.admin.find(':');
    if (colon == std::string::npos) throw std::runtime_error("--admin wants EMAIL:PASSWORD");
    int maxClients = 1;
    for (int c : o.writeClients) maxClients = std::max(maxClients, c);
    for (int c : o.readClients) maxClients = std::max(maxClients, c);
    for (const auto& [c, rate] : o.openWrites) maxClients = std::max(maxClients, c);
    for (const auto& [c, rate] : o.openReads) maxClients = std::max(maxClients, c);
    auto adminConn = connect(o);
    const std::string adminToken = login(*adminConn, o.admin.substr(0, colon), o.admin.substr(colon + 1));
    const std::string tag = std::to_string(::getpid()) + "-" +
                            std::to_string(std::chrono::system_clock::now().time_since_epoch().count() % 1000000);
    const std::string password = "loadgen-password-" + tag;
    const auto program = postJson(*adminConn, adminToken, "/api/v1/programs", {{"name", "loadgen " + tag}})["id"];

    // One mentor account and one mentorship per client.
    std::vector<Account> accounts(maxClients);
    forEachClient(o, maxClients, [&](httplib::Client& c, int i) {
        accounts[i].email = "loadgen-" + tag + "-" + std::to_string(i) + "@example.org";
        const auto person = postJson(c, adminToken, "/api/v1/people",
                                     {{"name", "Loadgen " + std::to_string(i)}, {"email", accounts[i].email},
                                      {"roles", {"mentor"}}, {"password", password}})["id"];
        accounts[i].mentorship = postJson(c, adminToken, "/api/v1/mentorships",
                                          {{"program_id", program}, {"kind", "group"}, {"status", "active"},
                                           {"mentors", {person}}})["id"];
    });
    std::printf("setup: %d accounts and mentorships in program %s\n", maxClients, program.dump().c_str());

    std::vector<Phase> writePhases, readPhases;
    for (int c : o.writeClients) writePhases.push_back({"writes", c, 0});
    for (const auto& [c, rate] : o.openWrites) writePhases.push_back({"writes", c, rate});
    for (int c : o.readClients) readPhases.push_back({"reads", c, 0});
    for (const auto& [c, rate] : o.openReads) readPhases.push_back({"reads", c, rate});

    for (const Phase& ph : writePhases) {
        const auto tokens = loginAll(o, ph.clients, accounts, password);
        runPhase(o, ph,
                 [&](int i, std::uint64_t n) {
                     const json body = {{"mentorship_id", accounts[i].mentorship}, {"title", "goal " + std::to_string(n)}};
                     return request("POST", "/api/v1/goals", o.host, tokens[i], body.dump());
                 },
                 201);
    }
    // Reads: each client reads back one goal of its own mentorship.
    std::vector<std::int64_t> goalIds(maxClients);
    {
        const auto tokens = loginAll(o, maxClients, accounts, password);
        auto c = connect(o);
        for (int i = 0; i < maxClients; ++i) {
            goalIds[i] = postJson(*c, tokens[i], "/api/v1/goals", {{"mentorship_id", accounts[i].mentorship}, {"title", "read me"}})["id"];
        }
    }
    for (const Phase& ph : readPhases) {
        const auto tokens = loginAll(o, ph.clients, accounts, password);
        runPhase(o, ph,
                 [&](int i, std::uint64_t) {
                     return request("GET", "/api/v1/goals/" + std::to_string(goalIds[i]), o.host, tokens[i], "");
                 },
                 200);
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"MentorXR session server load generator"};
    Options o;
    app.add_option("--host", o.host)->capture_default_str();
    app.add_option("--port", o.port)->required();
    app.add_option("--admin", o.admin, "EMAIL:PASSWORD of a program manager")->required();
    app.add_option("--write-clients", o.writeClients, "client counts for the write phases")->delimiter(',');
    app.add_option("--read-clients", o.readClients, "client counts for the read phases")->delimiter(',');
    app.add_option("--seconds", o.seconds, "length of each phase")->check(CLI::Range(0.5, 3600.0))->capture_default_str();
    app.add_option("--server-pid", o.serverPid, "report this process's CPU use too");
    app.add_flag("--tls", o.tls, "HTTPS (the certificate is not verified: for loopback load only)");
    std::vector<std::string> openWrites, openReads;
    app.add_option("--open-writes", openWrites,
                   "open-loop write phases CLIENTS:RATE (requests/s in all), latency from when each was due")
        ->delimiter(',');
    app.add_option("--open-reads", openReads, "open-loop read phases CLIENTS:RATE")->delimiter(',');
    app.add_option("--threads", o.threads, "load threads (each drives its share of the connections)")
        ->check(CLI::Range(1, 64))->capture_default_str();
    CLI11_PARSE(app, argc, argv);
    try {
        auto parsePairs = [](const std::vector<std::string>& in, std::vector<std::pair<int, double>>& out) {
            for (const auto& x : in) {
                const auto colon = x.find(':');
                if (colon == std::string::npos) throw std::runtime_error("open-loop phases are CLIENTS:RATE, got '" + x + "'");
                out.emplace_back(std::stoi(x.substr(0, colon)), std::stod(x.substr(colon + 1)));
                if (out.back().first < 1 || out.back().second <= 0) throw std::runtime_error("bad open-loop phase '" + x + "'");
            }
        };
        parsePairs(openWrites, o.openWrites);
        parsePairs(openReads, o.openReads);
        return run(o);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "mentorxr-loadgen: %s\n", e.what());
        return 1;
    }
}
