// Voice costs (label bench; figures in net/voice/README.md):
//   BM_ReceiveStream/N: N talkers heard at once, each 10 ms block through
//     its jitter buffer and Opus decoder and placed with HRTF in OpenAL
//     Soft's loopback mixer; counter `core_pct_per_stream`: the share of one
//     core one received stream costs (CPU per 10 ms of audio / 10 ms / N).
//   BM_EncodeFrame: the talker's side, one 10 ms frame through Opus.
//   BM_WireBytesPerTalker: bytes per second one talker puts on the wire
//     (Opus at the loss-free setting + frame header + message header + seal +
//     ENet + UDP/IP), counter `kbit_per_s`.
#include <benchmark/benchmark.h>

#include <ctime>
#include <vector>

#include "engine/audio/spatial_mixer.h"
#include "net/voice/voice_codec.h"
#include "net/voice/voice_receiver.h"
#include "net/voice_frame.h"
#include "voice_signal.h"

namespace {

using namespace mxr;
using namespace mxr::net::voice;
using mxr::net::Bytes;

std::vector<Bytes> encodedSpeech(double seconds, std::size_t* opusBytes = nullptr) {
    const auto pcm = mxr::test::speechLike(seconds, 100.0, 100.0);  // talking all along
    auto enc = VoiceEncoder::create();
    std::vector<Bytes> frames;
    std::uint16_t seq = 0;
    std::size_t bytes = 0;
    for (std::size_t at = 0; at + 480 <= pcm.size(); at += 480) {
        const auto block = std::span<const std::int16_t>(pcm).subspan(at, 480);
        auto p = enc->encode(block);
        if (!p || !p->has_value()) continue;
        bytes += (*p)->size();
        VoiceFrame f;
        f.sequence = seq++;
        f.timestamp = std::uint32_t(at);
        f.level = levelOf(block);
        f.payload = std::move(**p);
        frames.push_back(encodeVoiceFrame(f));
    }
    if (opusBytes) *opusBytes = bytes;
    return frames;
}

double threadCpuSeconds() {  // the process's CPU (one thread does the work)
    timespec t{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return double(t.tv_sec) + double(t.tv_nsec) * 1e-9;
}

void BM_ReceiveStream(benchmark::State& state) {
    const auto streams = std::size_t(state.range(0));
    const auto frames = encodedSpeech(2.0);
    auto mixer = engine::audio::SpatialMixer::create({.loopback = true});
    if (!mixer) {
        state.SkipWithError(mixer.error().message.c_str());
        return;
    }
    std::vector<VoiceReceiver> rx;
    for (std::size_t s = 0; s < streams; ++s) {
        rx.push_back(std::move(*VoiceReceiver::create()));
        (void)(*mixer)->setSpeaker(std::uint32_t(s), Vec3(float(s % 4) - 1.5f, 1.6f, -1.0f - float(s / 4)));
    }
    std::vector<std::int16_t> pcm, stereo(960);
    std::size_t k = 0;
    Nanos now = 0;
    const double cpu0 = threadCpuSeconds();
    std::int64_t blocks = 0;
    for (auto _ : state) {
        const Bytes& f = frames[k++ % frames.size()];
        for (std::size_t s = 0; s < streams; ++s) {
            // The same frame re-stamped per loop so the buffers see a
            // steady stream.
            (void)rx[s].push(f, now);
            rx[s].pull(now + 20'000'000, pcm);
            (void)(*mixer)->queue(std::uint32_t(s), pcm);
        }
        (void)(*mixer)->render(stereo);
        now += 10'000'000;
        ++blocks;
        if (k % frames.size() == 0) {
            state.PauseTiming();
            for (auto& r : rx) r = std::move(*VoiceReceiver::create());  // timestamps start over
            now += 20'000'000'000;
            state.ResumeTiming();
        }
    }
    const double cpuPerBlock = (threadCpuSeconds() - cpu0) / double(std::max<std::int64_t>(blocks, 1));
    state.counters["core_pct_per_stream"] = 100.0 * cpuPerBlock / 0.010 / double(streams);
}
BENCHMARK(BM_ReceiveStream)->Arg(1)->Arg(8)->Unit(benchmark::kMicrosecond);

void BM_EncodeFrame(benchmark::State& state) {
    const auto pcm = mxr::test::speechLike(2.0, 100.0, 100.0);
    auto enc = VoiceEncoder::create();
    std::size_t at = 0;
    const double cpu0 = threadCpuSeconds();
    for (auto _ : state) {
        auto p = enc->encode(std::span<const std::int16_t>(pcm).subspan(at, 480));
        benchmark::DoNotOptimize(p);
        at = (at + 480) % (pcm.size() - 480);
    }
    // The share of one core a talker's encoder takes (10 ms per frame).
    state.counters["core_pct"] =
        100.0 * (threadCpuSeconds() - cpu0) / double(std::max<std::int64_t>(state.iterations(), 1)) / 0.010;
}
BENCHMARK(BM_EncodeFrame)->Unit(benchmark::kMicrosecond);

void BM_WireBytesPerTalker(benchmark::State& state) {
    std::size_t opus = 0;
    std::vector<Bytes> frames;
    for (auto _ : state) frames = encodedSpeech(5.0, &opus);
    // Per datagram: 8 voice header + 2 message header + 27 seal + 12 ENet
    // (header and unsequenced command) + 28 UDP/IPv4.
    const double perFrame = double(opus) / double(frames.size()) + 8 + 2 + 27 + 12 + 28;
    state.counters["kbit_per_s"] = perFrame * double(frames.size()) / 5.0 * 8.0 / 1000.0;
    state.counters["opus_kbit_per_s"] = double(opus) / 5.0 * 8.0 / 1000.0;
}
BENCHMARK(BM_WireBytesPerTalker)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
BENCHMARK_MAIN();
