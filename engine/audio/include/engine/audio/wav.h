#pragma once
// WAV files in and out, and the conversion every voice input goes through:
// any common rate and channel count to 48 kHz mono (speexdsp's resampler).
//
// Reads RIFF/WAVE with PCM 8, 16, 24 or 32 bits or IEEE float 32, any rate
// from 8 to 192 kHz, 1 to 8 channels (WAVE_FORMAT_EXTENSIBLE too). Errors
// are kInvalidArgument and name the file and what is wrong with it.
//
// Thread: pure functions.
#include <cstdint>
#include <filesystem>
#include <span>
#include <string_view>
#include <vector>

#include "engine/core/result.h"

namespace mxr::engine::audio {

struct PcmAudio {
    std::uint32_t sampleRate = 0;
    std::uint16_t channels = 0;
    std::vector<float> samples;  // interleaved, -1..1
    std::size_t frames() const { return channels ? samples.size() / channels : 0; }
};

Result<PcmAudio> parseWav(std::span<const std::uint8_t> bytes, std::string_view name);
Result<PcmAudio> readWav(const std::filesystem::path& path);
// 16-bit PCM.
Result<void> writeWav(const std::filesystem::path& path, std::span<const std::int16_t> interleaved,
                      std::uint32_t sampleRate, std::uint16_t channels);

// Channels averaged, resampled to 48 kHz (speexdsp, quality 8), 16-bit.
std::vector<std::int16_t> toMono48k(const PcmAudio& audio);

}  // namespace mxr::engine::audio
