// mentorxr-server: parse arguments, open the store, serve HTTP and the
// rooms (ENet) until SIGINT/SIGTERM. Prints "listening http=PORT udp=PORT"
// on stdout once ready.
#include <pthread.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <signal.h>
#ifdef MXR_SERVER_JEMALLOC
#include <jemalloc/jemalloc.h>
#endif

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <thread>

#include "server/auth.h"
#include "server/handlers.h"
#include "net/crypto.h"
#include "net/room_host.h"
#include "net/ticket.h"
#include "server/http_server.h"
#include "server/rooms.h"
#include "server/sqlite_store.h"
#include "server/web_routes.h"

namespace {

// The allocator serving this process, asked of the allocator itself
// (server/README.md "Allocator").
std::string allocatorName() {
#ifdef MXR_SERVER_JEMALLOC
    const char* version = nullptr;
    std::size_t size = sizeof(version);
    if (mallctl("version", &version, &size, nullptr, 0) == 0 && version) return std::string("jemalloc ") + version;
#endif
    return "glibc malloc";
}

std::string defaultDataDir() {
    if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg) return std::string(xdg) + "/mentorxr";
    if (const char* home = std::getenv("HOME"); home && *home) return std::string(home) + "/.local/share/mentorxr";
    return "mentorxr-data";
}

int serve(int argc, char** argv) {
    using namespace mxr;
    using namespace mxr::server;
    CLI::App app{"MentorXR session server"};
    std::string dataDir = defaultDataDir();
    std::string initAdmin;
    std::string hashCost = "production";
    int hashConcurrency = 2;
    double tokenTtlHours = 12;
    HttpOptions http;
    HandlerOptions handlerOptions;
    std::size_t maxBatch = 1024;
    int udpPort = 7777;
    std::string udpHost = "0.0.0.0";
    bool allowGuests = false;
    int roomCapacity = 16;
    int maxPeers = 256;
    int maxPeersPerAddress = 16;
    std::string webRoot = MXR_DEFAULT_WEB_ROOT;
    std::string chartJs = "/usr/share/javascript/chart.js/chart.min.js";  // Debian's libjs-chart.js
    bool noWeb = false;
    app.add_option("--data", dataDir, "folder holding mentorxr.db")->capture_default_str();
    app.add_option("--http-port", http.port, "HTTP port; 0 binds a free one")->capture_default_str();
    app.add_option("--http-host", http.host, "address to listen on")->capture_default_str();
    app.add_option("--http-workers", http.workers, "HTTP requests handled at once (worker threads)")
        ->check(CLI::Range(1, 4096))->capture_default_str();
    app.add_option("--http-io-threads", http.ioThreads, "threads that accept, read and write HTTP connections")
        ->check(CLI::Range(1, 64))->capture_default_str();
    app.add_option("--max-connections", http.maxConnections, "most HTTP connections open at once")
        ->check(CLI::Range(1, 1 << 20))->capture_default_str();
    app.add_option("--max-connections-per-address", http.maxConnectionsPerAddress,
                   "most HTTP connections from one IP address")->check(CLI::Range(1, 1 << 20))->capture_default_str();
    app.add_option("--max-queued-requests", http.maxQueuedRequests, "requests waiting for a worker before 503")
        ->check(CLI::Range(1, 1 << 20))->capture_default_str();
    app.add_option("--header-timeout-seconds", http.headerTimeoutSeconds, "total time to send a request's headers")
        ->check(CLI::Range(0.1, 3600.0))->capture_default_str();
    app.add_option("--body-timeout-seconds", http.bodyTimeoutSeconds, "total time to send a request's body")
        ->check(CLI::Range(0.1, 3600.0))->capture_default_str();
    app.add_option("--keep-alive-requests", http.keepAliveMaxRequests, "most requests on one connection")
        ->check(CLI::Range(1, 1 << 30))->capture_default_str();
    app.add_option("--tls-cert", http.tlsCertFile, "PEM certificate chain: serve HTTPS (with --tls-key)");
    app.add_option("--tls-key", http.tlsKeyFile, "PEM private key of --tls-cert");
    app.add_option("--trusted-proxy", http.trustedProxy,
                   "IP address of a reverse proxy whose X-Forwarded-For names the client (login limits)");
    app.add_option("--max-body-bytes", http.maxBodyBytes, "largest request body")->check(CLI::Range(1024, 16 << 20))
        ->capture_default_str();
    app.add_option("--keep-alive-seconds", http.keepAliveTimeoutSeconds, "idle keep-alive timeout")
        ->check(CLI::Range(0.1, 3600.0))->capture_default_str();
    app.add_option("--group-commit-max", maxBatch, "most writes in one group commit")
        ->check(CLI::Range(1, 65536))->capture_default_str();
    app.add_option("--init-admin", initAdmin, "EMAIL:PASSWORD of the first program manager (only if none exists)");
    app.add_option("--password-hash-cost", hashCost,
                   "argon2id cost: production (sodium INTERACTIVE) or test (minimum; tests and benchmarks only)")
        ->check(CLI::IsMember({"production", "test"}))->capture_default_str();
    app.add_option("--hash-concurrency", hashConcurrency, "password hashes computed at once")
        ->check(CLI::Range(1, 64))->capture_default_str();
    app.add_option("--token-ttl-hours", tokenTtlHours, "bearer token lifetime")->check(CLI::Range(0.01, 24.0 * 365))
        ->capture_default_str();
    app.add_option("--attention-days", handlerOptions.attentionDays, "days without a held session before a pair needs attention")
        ->check(CLI::Range(1, 3650))->capture_default_str();
    app.add_option("--port", udpPort, "UDP port of the rooms (ENet); 0 binds a free one")->check(CLI::Range(0, 65535))
        ->capture_default_str();
    app.add_option("--udp-host", udpHost, "address the rooms listen on")->capture_default_str();
    app.add_flag("--allow-guests", allowGuests, "let people without an account into the open room \"demo\"");
    app.add_option("--room-capacity", roomCapacity, "most people in one room")->check(CLI::Range(1, 256))
        ->capture_default_str();
    app.add_option("--max-peers", maxPeers, "most ENet connections at once")->check(CLI::Range(1, 4095))
        ->capture_default_str();
    app.add_option("--max-peers-per-address", maxPeersPerAddress, "most ENet connections from one IP address")
        ->check(CLI::Range(1, 4095))->capture_default_str();
    app.add_option("--web-root", webRoot, "folder of the web app (web/app), served at /")->capture_default_str();
    app.add_option("--chartjs", chartJs, "Chart.js file served as /vendor/chart.min.js")->capture_default_str();
    app.add_flag("--no-web", noWeb, "serve the API only, no web app");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    handlerOptions.tokenTtlSeconds = static_cast<std::int64_t>(tokenTtlHours * 3600);

    // Each HTTP connection is a file descriptor: allow as many as the hard
    // limit does (the front end's own limits bound them).
    if (rlimit nofile{}; ::getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
        nofile.rlim_cur = nofile.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &nofile);
    }
    // The database holds password hashes and personal data: owner-only files.
    ::umask(077);
    auto sink = std::make_shared<StderrSink>();
    Logger log(sink, "server");
    std::error_code ec;
    std::filesystem::create_directories(dataDir, ec);
    if (ec) {
        log.error(strCat("cannot create the data folder ", dataDir, ": ", ec.message()));
        return 1;
    }
    if (auto s = PasswordHasher::initSodium(); !s) {
        log.error(s.error().describe());
        return 1;
    }

    // Signals go to one waiting thread, never to an arbitrary worker.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    signal(SIGPIPE, SIG_IGN);

    SystemWallClock wallClock;
    SteadyClock steadyClock;
    log.info(mxr::strCat("allocator ", allocatorName()));
    auto store = openSqliteStore(SqliteStoreOptions{dataDir + "/mentorxr.db", "", maxBatch, 16384}, wallClock,
                                 log.child("store"));
    if (!store) {
        log.error(strCat("cannot open the records store: ", store.error().describe()));
        return 1;
    }
    // Both keys live beside the database, owner-only: the host's X25519 key
    // (clients pin it) and the Ed25519 key that signs room tickets. Checked
    // before the first administrator is made: a start that fails on a bad
    // key must not have spent the one-time password.
    auto hostKey = net::loadOrCreateServerKey(std::filesystem::path(dataDir) / "room_host.key");
    auto ticketKey = net::loadOrCreateSigningKey(std::filesystem::path(dataDir) / "ticket_signing.key");
    if (!hostKey || !ticketKey) {
        log.error((hostKey ? ticketKey.error() : hostKey.error()).describe());
        return 1;
    }
    PasswordHasher hasher(hashCost == "test" ? HashCost::kTest : HashCost::kProduction, hashConcurrency);
    LoginLimiter limiter(steadyClock, LoginLimits{});
    Handlers handlers(**store, hasher, limiter, wallClock, handlerOptions, log.child("handlers"));
    auto admin = handlers.bootstrapAdmin(initAdmin);
    if (!admin) {
        log.error(admin.error().describe());
        return 1;
    }
    if (admin->has_value() && !(*admin)->empty()) {
        std::fprintf(stderr, "first program manager: admin@localhost, one-time password: %s (shown only now)\n",
                     (*admin)->c_str());
    }
    // One window for both: a member who may resume is still in the meeting,
    // and a room occupied again within it continues the same meeting.
    RoomServiceOptions roomOptions;
    RoomService rooms(handlers, **store, wallClock, *ticketKey, roomOptions, log.child("rooms"));
    // Meetings a crash (kill -9, power loss) left open are closed before
    // anyone can join again.
    if (auto closed = rooms.closeLeftoverSessions(); !closed) {
        log.error(strCat("cannot close the sessions left open: ", closed.error().describe()));
        return 1;
    }
    net::RoomHostConfig hostConfig;
    hostConfig.bindAddress = udpHost;
    hostConfig.port = static_cast<std::uint16_t>(udpPort);
    hostConfig.allowGuests = allowGuests;
    hostConfig.resumeWindow = msToNanos(1000.0 * static_cast<double>(roomOptions.meetingWindowSeconds));
    hostConfig.defaultCapacity = static_cast<std::uint16_t>(roomCapacity);
    hostConfig.maxPeers = static_cast<std::size_t>(maxPeers);
    hostConfig.duplicatePeersPerAddress = static_cast<std::size_t>(maxPeersPerAddress);
    // As many new connections at once as an address may hold, all again within 4 s (net/README.md).
    hostConfig.connectBurstPerAddress = static_cast<double>(maxPeersPerAddress);
    hostConfig.connectsPerSecondPerAddress = hostConfig.connectBurstPerAddress / 4.0;
    hostConfig.serverKey = *hostKey;
    hostConfig.ticketKey = ticketKey->publicKey;
    hostConfig.createRoomsOnTicket = true;
    hostConfig.api = &rooms;
    hostConfig.policy = &rooms;
    auto host = net::RoomHost::create(hostConfig, rooms, steadyClock, log.child("rooms"), &rooms);
    if (!host) {
        log.error(strCat("cannot open the rooms' UDP port: ", host.error().describe()));
        return 1;
    }
    // A password change, role change or erasure ends the person's ENet
    // connections (tickets and records are refused to them from then on).
    rooms.attachHost(host->get());
    handlers.setCredentialsListener(&rooms);
    if (allowGuests) {
        if (auto r = (*host)->createRoom(net::RoomConfig{std::string(kDemoRoom), 0, true, std::nullopt}); !r) {
            log.error(r.error().describe());
            return 1;
        }
    }
    log.info(strCat("room host key ", net::toHex((*host)->publicKey()), " (clients pin it)"));
    std::unique_ptr<WebRoutes> web;
    // An installed server (cmake --install) finds the app beside its binary.
    if (std::error_code e; app.count("--web-root") == 0 && !std::filesystem::exists(webRoot, e)) {
        webRoot = (std::filesystem::read_symlink("/proc/self/exe", e).parent_path() / "../share/mentorxr/web").string();
    }
    if (!noWeb) {
        auto made = WebRoutes::create(handlers, &rooms, WebOptions{webRoot, chartJs, static_cast<int>((*host)->port())}, log.child("web"));
        if (!made) {
            log.error(strCat("cannot serve the web app: ", made.error().describe(), " (--no-web serves the API only)"));
            return 1;
        }
        web = std::move(*made);
    }
    HttpServer server(handlers, http, log.child("http"), &rooms, web.get());
    auto port = server.bind();
    if (!port) {
        log.error(port.error().describe());
        return 1;
    }
    (*host)->start();
    // A signal that lands before run() has started listening would be lost
    // by a single stop(), so keep asking until run() has returned.
    std::atomic<bool> done{false};
    std::thread signalThread([&] {
        int sig = 0;
        sigwait(&signals, &sig);
        while (!done) {
            server.stop();
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    });
    std::printf("listening http=%d udp=%u\n", *port, static_cast<unsigned>((*host)->port()));
    std::fflush(stdout);
    auto ran = server.run();
    done = true;
    // Wake the signal thread if the listener stopped on its own.
    pthread_kill(signalThread.native_handle(), SIGTERM);
    signalThread.join();
    // The host calls into `rooms`: stop it first. Then every meeting still in
    // progress ends now, as if everyone had left, and its record is written
    // before we exit.
    (*host)->stop();
    rooms.attachHost(nullptr);
    rooms.endMeetings();
    if (!ran) {
        log.error(ran.error().describe());
        return 1;
    }
    log.info("stopped");
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return serve(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "mentorxr-server: fatal: %s\n", e.what());
        return 1;
    }
}
