// WAV files as bots and tests are given them (engine/audio/wav.h): any
// bytes either parse into well-formed audio (channels and rate in range,
// samples finite within -1..1) that converts to 48 kHz mono, or are refused
// with an error naming the file.
#include <cmath>
#include <cstdint>
#include <cstdlib>

#include "engine/audio/wav.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace mxr::engine::audio;
    auto audio = parseWav(std::span<const std::uint8_t>(data, size), "fuzz.wav");
    if (!audio) {
        if (audio.error().message.find("fuzz.wav") == std::string::npos) std::abort();
        return 0;
    }
    if (audio->channels < 1 || audio->channels > 8 || audio->sampleRate < 8000 || audio->sampleRate > 192000) std::abort();
    if (audio->samples.empty() || audio->samples.size() % audio->channels != 0) std::abort();
    for (float v : audio->samples) {
        if (!std::isfinite(v) || v < -1.0f || v > 1.0f) std::abort();
    }
    // Bound the resampling work per input (a long file is valid but slow).
    if (audio->frames() <= 48000) {
        // As many samples as the duration holds at 48 kHz (a file shorter
        // than one output sample gives none), never more.
        const auto pcm = toMono48k(*audio);
        const double expected = double(audio->frames()) * 48000.0 / double(audio->sampleRate);
        if (double(pcm.size()) > expected + 1.0 || double(pcm.size()) < expected - 2.0) std::abort();
    }
    return 0;
}
