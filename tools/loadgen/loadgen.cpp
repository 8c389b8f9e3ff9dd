// mentorxr-loadgen: closed-loop load against a running mentorxr-server.
//
// Each client is one thread with one keep-alive connection and its own
// token (it logs in once as its own mentor account). A write is one POST of
// one goal, counted when the server answers 201 (acknowledged = durable).
// A read is one GET of a goal the client owns. Prints throughput, p50/p99
// latency and the CPU this process used, for each client count.
#include <httplib.h>
#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
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
    double seconds = 5;
    int serverPid = 0;
};

struct Account {
    std::string email;
    std::int64_t mentorship = 0;
};

std::unique_ptr<httplib::Client> connect(const Options& o) {
    auto c = std::make_unique<httplib::Client>(o.host, o.port);
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

double cpuSeconds() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

// utime + stime of another process from /proc, in seconds; -1 if unknown.
double processCpuSeconds(int pid) {
    if (pid <= 0) return -1;
    std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
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

struct PhaseResult {
    std::uint64_t ok = 0, errors = 0;
    double wall = 0, p50ms = 0, p99ms = 0, cpu = 0, serverCpu = -1;
};

// Runs `clients` threads, each calling op(client index, connection, token)
// in a loop for the configured time; op returns false on an error answer.
template <typename Op>
PhaseResult runPhase(const Options& o, int clients, const std::vector<Account>& accounts, const std::string& password,
                     Op op) {
    std::vector<std::unique_ptr<httplib::Client>> conns(clients);
    std::vector<std::string> tokens(clients);
    {
        // Log in first (not measured); 16 at a time keeps connects orderly.
        std::atomic<int> next{0};
        std::vector<std::thread> t;
        for (int w = 0; w < std::min(clients, 16); ++w) {
            t.emplace_back([&] {
                for (int i = next++; i < clients; i = next++) {
                    conns[i] = connect(o);
                    try {
                        tokens[i] = login(*conns[i], accounts[i].email, password);
                    } catch (const std::exception& e) {
                        std::fprintf(stderr, "mentorxr-loadgen: %s\n", e.what());
                    }
                }
            });
        }
        for (auto& x : t) x.join();
    }
    for (const auto& t : tokens) {
        if (t.empty()) throw std::runtime_error("some clients could not log in");
    }
    std::vector<std::vector<double>> latencies(clients);
    std::vector<std::uint64_t> errors(clients, 0);
    std::atomic<bool> go{false};
    std::atomic<int> ready{0};
    Clock::time_point deadline;
    std::vector<std::thread> threads;
    for (int i = 0; i < clients; ++i) {
        threads.emplace_back([&, i] {
            latencies[i].reserve(1 << 16);
            ++ready;
            while (!go) std::this_thread::yield();
            for (std::uint64_t n = 0;; ++n) {
                const auto t0 = Clock::now();
                if (t0 >= deadline) break;
                const bool ok = op(i, n, *conns[i], tokens[i]);
                const auto t1 = Clock::now();
                if (ok) {
                    latencies[i].push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
                } else {
                    ++errors[i];
                }
            }
        });
    }
    while (ready < clients) std::this_thread::yield();
    const double cpu0 = cpuSeconds();
    const double server0 = processCpuSeconds(o.serverPid);
    const auto start = Clock::now();
    deadline = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.seconds));
    go = true;
    for (auto& t : threads) t.join();
    PhaseResult r;
    r.wall = std::chrono::duration<double>(Clock::now() - start).count();
    r.cpu = cpuSeconds() - cpu0;
    if (server0 >= 0) r.serverCpu = processCpuSeconds(o.serverPid) - server0;
    std::vector<double> all;
    for (int i = 0; i < clients; ++i) {
        all.insert(all.end(), latencies[i].begin(), latencies[i].end());
        r.errors += errors[i];
    }
    r.ok = all.size();
    if (!all.empty()) {
        std::sort(all.begin(), all.end());
        r.p50ms = all[all.size() / 2];
        r.p99ms = all[std::min(all.size() - 1, all.size() * 99 / 100)];
    }
    return r;
}

void report(const char* kind, int clients, const PhaseResult& r) {
    const double cores = static_cast<double>(std::thread::hardware_concurrency());
    std::printf("%-6s clients=%-4d ok=%-8llu errors=%-5llu rate=%9.0f/s p50=%7.2fms p99=%7.2fms "
                "loadgen_cpu=%.2f cores (%.0f%% of %.0f)",
                kind, clients, static_cast<unsigned long long>(r.ok), static_cast<unsigned long long>(r.errors),
                static_cast<double>(r.ok) / r.wall, r.p50ms, r.p99ms, r.cpu / r.wall, 100.0 * r.cpu / r.wall / cores, cores);
    if (r.serverCpu >= 0) std::printf(" server_cpu=%.2f cores", r.serverCpu / r.wall);
    std::printf("\n");
    std::fflush(stdout);
}

int run(const Options& o) {
    const auto colon = o.admin.find(':');
    if (colon == std::string::npos) throw std::runtime_error("--admin wants EMAIL:PASSWORD");
    const int maxClients = std::max(*std::max_element(o.writeClients.begin(), o.writeClients.end()),
                                    *std::max_element(o.readClients.begin(), o.readClients.end()));
    auto adminConn = connect(o);
    const std::string adminToken = login(*adminConn, o.admin.substr(0, colon), o.admin.substr(colon + 1));
    const std::string tag = std::to_string(::getpid()) + "-" +
                            std::to_string(std::chrono::system_clock::now().time_since_epoch().count() % 1000000);
    const std::string password = "loadgen-password-" + tag;
    const auto program = postJson(*adminConn, adminToken, "/api/v1/programs", {{"name", "loadgen " + tag}})["id"];

    // One mentor account and one mentorship per client.
    std::vector<Account> accounts(maxClients);
    {
        std::atomic<int> next{0};
        std::vector<std::thread> t;
        for (int w = 0; w < std::min(maxClients, 16); ++w) {
            t.emplace_back([&] {
                auto c = connect(o);
                for (int i = next++; i < maxClients; i = next++) {
                    accounts[i].email = "loadgen-" + tag + "-" + std::to_string(i) + "@example.org";
                    const auto person = postJson(*c, adminToken, "/api/v1/people",
                                                 {{"name", "Loadgen " + std::to_string(i)}, {"email", accounts[i].email},
                                                  {"roles", {"mentor"}}, {"password", password}})["id"];
                    accounts[i].mentorship = postJson(*c, adminToken, "/api/v1/mentorships",
                                                      {{"program_id", program}, {"kind", "group"}, {"status", "active"},
                                                       {"mentors", {person}}})["id"];
                }
            });
        }
        for (auto& x : t) x.join();
    }
    std::printf("setup: %d accounts and mentorships in program %s\n", maxClients, program.dump().c_str());

    for (int clients : o.writeClients) {
        auto r = runPhase(o, clients, accounts, password,
                          [&](int i, std::uint64_t n, httplib::Client& c, const std::string& token) {
                              const json body = {{"mentorship_id", accounts[i].mentorship},
                                                 {"title", "goal " + std::to_string(n)}};
                              auto res = c.Post("/api/v1/goals", auth(token), body.dump(), "application/json");
                              return res && res->status == 201;
                          });
        report("writes", clients, r);
    }
    // Reads: each client reads back one goal of its own mentorship.
    std::vector<std::int64_t> goalIds(maxClients);
    for (int i = 0; i < maxClients; ++i) {
        auto c = connect(o);
        const auto token = login(*c, accounts[i].email, password);
        goalIds[i] = postJson(*c, token, "/api/v1/goals", {{"mentorship_id", accounts[i].mentorship}, {"title", "read me"}})["id"];
    }
    for (int clients : o.readClients) {
        auto r = runPhase(o, clients, accounts, password,
                          [&](int i, std::uint64_t, httplib::Client& c, const std::string& token) {
                              const std::string path = "/api/v1/goals/" + std::to_string(goalIds[i]);
                              auto res = c.Get(path.c_str(), auth(token));
                              return res && res->status == 200;
                          });
        report("reads", clients, r);
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
    CLI11_PARSE(app, argc, argv);
    try {
        return run(o);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "mentorxr-loadgen: %s\n", e.what());
        return 1;
    }
}
