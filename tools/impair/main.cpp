// mentorxr-impair: UDP impairment proxy.
//
//   mentorxr-impair --listen 0 --target 127.0.0.1:7777 --loss 0.2 --delay-ms 100 --jitter-ms 50
//
// Prints "listening udp=PORT" at start and a summary at exit. Delay and
// jitter apply to each direction (so the round trip is twice the delay).
#include <signal.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>

#include "impair_proxy.h"

namespace {

int run(int argc, char** argv) {
    using namespace mxr;
    CLI::App app{"MentorXR UDP impairment proxy"};
    tools::ImpairProxyConfig cfg;
    std::string target;
    double loss = 0, duplicate = 0, delayMs = 0, jitterMs = 0, outageEveryMs = 0, outageMs = 0, outageAtMs = 0,
           seconds = 0, impairAfterMs = 0;
    std::uint64_t seed = 1;
    app.add_option("--listen", cfg.listenPort, "UDP port to listen on (0: any)")->capture_default_str();
    app.add_option("--target", target, "HOST:PORT to forward to")->required();
    app.add_option("--loss", loss, "drop probability per datagram and direction")->check(CLI::Range(0.0, 1.0));
    app.add_option("--delay-ms", delayMs, "one-way delay")->check(CLI::Range(0.0, 10000.0));
    app.add_option("--jitter-ms", jitterMs, "delay varies uniformly by +/- this (reorders)")->check(CLI::Range(0.0, 10000.0));
    app.add_option("--duplicate", duplicate, "duplication probability")->check(CLI::Range(0.0, 1.0));
    app.add_option("--outage-every-ms", outageEveryMs, "repeat outages this often (0: one outage when --outage-ms is set)")->check(CLI::Range(0.0, 1e9));
    app.add_option("--outage-ms", outageMs, "length of each outage")->check(CLI::Range(0.0, 1e9));
    app.add_option("--outage-at-ms", outageAtMs, "when the first outage starts")->check(CLI::Range(0.0, 1e9));
    app.add_option("--impair-after-ms", impairAfterMs,
                   "forward untouched until this long after start (clients join on a clean link)")
        ->check(CLI::Range(0.0, 1e9));
    app.add_option("--seed", seed, "random seed")->capture_default_str();
    app.add_option("--seconds", seconds, "exit after this many seconds (0: until signalled)");
    CLI11_PARSE(app, argc, argv);
    const auto colon = target.rfind(':');
    if (colon == std::string::npos) {
        std::cerr << "mentorxr-impair: --target must be HOST:PORT\n";
        return 2;
    }
    cfg.targetHost = target.substr(0, colon);
    try {
        cfg.targetPort = static_cast<std::uint16_t>(std::stoul(target.substr(colon + 1)));
    } catch (const std::exception&) {
        std::cerr << "mentorxr-impair: --target port is not a number\n";
        return 2;
    }
    SteadyClock clock;
    net::ImpairmentConfig imp;
    imp.loss = loss;
    imp.duplicate = duplicate;
    imp.delay = msToNanos(delayMs);
    imp.jitter = std::min(msToNanos(jitterMs), imp.delay);
    imp.outageEvery = outageEveryMs > 0 ? msToNanos(outageEveryMs) : (outageMs > 0 ? msToNanos(1e12) : 0);
    imp.outageLength = msToNanos(outageMs);
    imp.outageFirstAt = clock.now() + msToNanos(outageAtMs);
    imp.impairFrom = clock.now() + msToNanos(impairAfterMs);
    cfg.upstream = imp;
    cfg.upstream.seed = seed;
    cfg.downstream = imp;
    cfg.downstream.seed = seed * 7919 + 1;
    auto proxy = tools::ImpairProxy::create(cfg, clock, Logger(std::make_shared<StderrSink>(), "impair"));
    if (!proxy) {
        std::cerr << "mentorxr-impair: " << proxy.error().describe() << "\n";
        return 1;
    }
    std::printf("listening udp=%u\n", (*proxy)->port());
    std::fflush(stdout);
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, nullptr);
    const timespec noWait{0, 0};
    const Nanos start = clock.now();
    while (sigtimedwait(&stop, nullptr, &noWait) < 0) {
        if (seconds > 0 && nanosToSeconds(clock.now() - start) >= seconds) break;
        (*proxy)->runFor(msToNanos(20));
    }
    const auto& s = (*proxy)->stats();
    std::printf("summary received=%llu forwarded=%llu dropped=%llu\n", static_cast<unsigned long long>(s.received),
                static_cast<unsigned long long>(s.forwarded), static_cast<unsigned long long>(s.dropped));
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        std::cerr << "mentorxr-impair: " << e.what() << "\n";
        return 1;
    }
}
