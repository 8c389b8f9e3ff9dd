// mentorxr-roomhost: serves rooms over ENet with net::RoomHost.
//
//   mentorxr-roomhost --port 0 --allow-guests --room demo --open-demo --stats
//
// Prints "listening udp=PORT" and "server-key HEX" at start; with --stats a
// line per second and a summary at exit (CPU is this process's user+system
// time over wall time). SIGINT/SIGTERM or --seconds end it.
#include <signal.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>

#include "net/crypto.h"
#include "net/room_host.h"

namespace {

// This process's resident memory now and at its peak, in MiB (Linux; 0 elsewhere).
struct Rss {
    double nowMb = 0, peakMb = 0;
};
Rss residentMemory() {
    Rss r;
    std::FILE* f = std::fopen("/proc/self/status", "r");
    if (!f) return r;
    char line[256];
    while (std::fgets(line, sizeof line, f)) {
        long kb = 0;
        if (std::sscanf(line, "VmRSS: %ld kB", &kb) == 1) r.nowMb = static_cast<double>(kb) / 1024.0;
        if (std::sscanf(line, "VmHWM: %ld kB", &kb) == 1) r.peakMb = static_cast<double>(kb) / 1024.0;
    }
    std::fclose(f);
    return r;
}

// Hosts started from a test harness have no accounts; logins are refused.
class NoAccounts final : public mxr::net::Authenticator {
public:
    mxr::Result<mxr::net::Identity> login(std::string_view, std::string_view) override {
        return mxr::makeError(mxr::ErrorCode::kPermissionDenied, "this room host has no accounts (guests only)");
    }
    mxr::Result<mxr::net::Identity> verifyToken(std::string_view) override {
        return mxr::makeError(mxr::ErrorCode::kPermissionDenied, "this room host has no accounts (guests only)");
    }
    mxr::Result<mxr::net::Bytes> issueTicket(const mxr::net::Identity&, std::string_view) override {
        return mxr::makeError(mxr::ErrorCode::kPermissionDenied, "this room host issues no tickets");
    }
};

int run(int argc, char** argv) {
    using namespace mxr;
    using namespace mxr::net;
    CLI::App app{"MentorXR standalone room host"};
    RoomHostConfig cfg;
    std::vector<std::string> rooms;
    bool openDemo = false, stats = false;
    std::string keyFile, ticketKeyHex;
    double seconds = 0;
    unsigned capacity = 16;
    app.add_option("--port", cfg.port, "UDP port (0: any free one)")->capture_default_str();
    app.add_option("--bind", cfg.bindAddress, "address to bind")->capture_default_str();
    app.add_flag("--allow-guests", cfg.allowGuests, "let guests join open demo rooms");
    app.add_option("--room", rooms, "room to create (repeatable)");
    app.add_flag("--open-demo", openDemo, "rooms created here are open to guests");
    app.add_option("--capacity", capacity, "people per room")->check(CLI::Range(1, 4000))->capture_default_str();
    app.add_option("--max-peers", cfg.maxPeers, "ENet peers")->check(CLI::Range(1, 4000))->capture_default_str();
    app.add_option("--max-per-address", cfg.duplicatePeersPerAddress, "peers from one IP address")
        ->check(CLI::Range(1, 4000))->capture_default_str();
    app.add_option("--key-file", keyFile, "long-term X25519 key file (created if absent; default: a fresh key)");
    app.add_option("--ticket-key", ticketKeyHex, "session server's Ed25519 public key (hex) for room tickets");
    app.add_option("--seconds", seconds, "exit after this many seconds (0: run until signalled)");
    app.add_flag("--stats", stats, "print a stats line every second");
    CLI11_PARSE(app, argc, argv);
    cfg.defaultCapacity = static_cast<std::uint16_t>(capacity);
    // An address may open as many connections at once as it may hold, and
    // all of them again within 4 s (net/README.md, handshake bounds).
    cfg.connectBurstPerAddress = static_cast<double>(cfg.duplicatePeersPerAddress);
    cfg.connectsPerSecondPerAddress = cfg.connectBurstPerAddress / 4.0;

    auto sink = std::make_shared<StderrSink>();
    Logger log(sink, "roomhost");
    if (keyFile.empty()) {
        cfg.serverKey = KeyPair::generate();
    } else {
        auto k = loadOrCreateServerKey(keyFile);
        if (!k) {
            std::cerr << "mentorxr-roomhost: " << k.error().describe() << "\n";
            return 2;
        }
        cfg.serverKey = *k;
    }
    if (!ticketKeyHex.empty()) {
        auto k = fromHex(ticketKeyHex);
        if (!k || k->size() != cfg.ticketKey.size()) {
            std::cerr << "mentorxr-roomhost: --ticket-key must be 64 hex digits\n";
            return 2;
        }
        std::copy(k->begin(), k->end(), cfg.ticketKey.begin());
    }
    NoAccounts auth;
    SteadyClock clock;
    auto host = RoomHost::create(cfg, auth, clock, log);
    if (!host) {
        std::cerr << "mentorxr-roomhost: " << host.error().describe() << "\n";
        return 1;
    }
    for (const auto& r : rooms) {
        if (auto ok = (*host)->createRoom(RoomConfig{r, 0, openDemo, std::nullopt}); !ok) {
            std::cerr << "mentorxr-roomhost: --room " << r << ": " << ok.error().message << "\n";
            return 2;
        }
    }
    std::printf("listening udp=%u\nserver-key %s\n", (*host)->port(), toHex((*host)->publicKey()).c_str());
    std::fflush(stdout);

    sigset_t stopSignals;
    sigemptyset(&stopSignals);
    sigaddset(&stopSignals, SIGINT);
    sigaddset(&stopSignals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stopSignals, nullptr);
    const timespec noWait{0, 0};

    const Nanos start = clock.now();
    const double cpuStart = mxr::processCpuSeconds();
    Nanos lastReport = start;
    double cpuLast = cpuStart;
    RoomHostStats prev{};
    double peakCpu = 0;
    while (sigtimedwait(&stopSignals, nullptr, &noWait) < 0) {
        (*host)->service(msToNanos(5));
        const Nanos now = clock.now();
        if (seconds > 0 && nanosToSeconds(now - start) >= seconds) break;
        if (stats && now - lastReport >= msToNanos(1000)) {
            const double wall = nanosToSeconds(now - lastReport);
            const double cpu = mxr::processCpuSeconds();
            const RoomHostStats s = (*host)->stats();
            const double pct = 100.0 * (cpu - cpuLast) / wall;
            if (nanosToSeconds(now - start) > 3) peakCpu = std::max(peakCpu, pct);
            std::printf("stats t=%.0f cpu=%.1f%% rss_mb=%.1f members=%llu in=%.1fkB/s out=%.1fkB/s updates_in=%.0f/s "
                        "entries_out=%.0f/s forged=%llu replayed=%llu malformed=%llu\n",
                        nanosToSeconds(now - start), pct, residentMemory().nowMb, static_cast<unsigned long long>(s.members),
                        static_cast<double>(s.bytesIn - prev.bytesIn) / wall / 1000.0,
                        static_cast<double>(s.bytesOut - prev.bytesOut) / wall / 1000.0,
                        static_cast<double>(s.avatarUpdatesIn - prev.avatarUpdatesIn) / wall,
                        static_cast<double>(s.avatarEntriesOut - prev.avatarEntriesOut) / wall,
                        static_cast<unsigned long long>(s.forged), static_cast<unsigned long long>(s.replayed),
                        static_cast<unsigned long long>(s.malformed));
            std::fflush(stdout);
            prev = s;
            cpuLast = cpu;
            lastReport = now;
        }
    }
    const double wall = nanosToSeconds(clock.now() - start);
    const RoomHostStats s = (*host)->stats();
    std::printf("summary seconds=%.1f cpu=%.1f%% peak_cpu=%.1f%% peak_rss_mb=%.1f bytes_in=%llu bytes_out=%llu "
                "connect_challenges=%llu connects_rate_limited=%llu half_open_reset=%llu commands_refused=%llu "
                "hello_timeouts=%llu forged=%llu replayed=%llu malformed=%llu timeouts=%llu resumes=%llu "
                "voice_in=%llu voice_out=%llu voice_dropped=%llu voice_malformed=%llu avatar_entries_out=%llu "
                "avatar_entries_with_voice=%llu avatar_packets_out=%llu\n",
                wall, 100.0 * (mxr::processCpuSeconds() - cpuStart) / wall, peakCpu, residentMemory().peakMb,
                static_cast<unsigned long long>(s.bytesIn), static_cast<unsigned long long>(s.bytesOut),
                static_cast<unsigned long long>(s.connectChallenges),
                static_cast<unsigned long long>(s.connectsRateLimited),
                static_cast<unsigned long long>(s.halfOpenReset), static_cast<unsigned long long>(s.commandsRefused),
                static_cast<unsigned long long>(s.helloTimeouts), static_cast<unsigned long long>(s.forged), static_cast<unsigned long long>(s.replayed),
                static_cast<unsigned long long>(s.malformed), static_cast<unsigned long long>(s.timeouts),
                static_cast<unsigned long long>(s.resumes), static_cast<unsigned long long>(s.voiceFramesIn),
                static_cast<unsigned long long>(s.voiceFramesOut), static_cast<unsigned long long>(s.voiceFramesDropped),
                static_cast<unsigned long long>(s.voiceMalformed), static_cast<unsigned long long>(s.avatarEntriesOut),
                static_cast<unsigned long long>(s.avatarEntriesWithVoice),
                static_cast<unsigned long long>(s.avatarPacketsOut));
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        std::cerr << "mentorxr-roomhost: " << e.what() << "\n";
        return 1;
    }
}
