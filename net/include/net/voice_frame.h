#pragma once
// One talker's voice frame as it travels: an 8-byte header and one Opus
// packet. The room host forwards these without decoding them; clients
// decode them behind a jitter buffer (jitter_buffer.h).
//
//   u8  flags      bits 0-1: duration (0: 10 ms, 1: 20 ms), bit 2: speech
//                  (the sender's voice activity detector), bits 3-7: zero
//   u16 sequence   per talker, +1 for every frame sent (wraps)
//   u32 timestamp  the frame's first sample, in 48 kHz samples (wraps);
//                  a jump larger than the frame with no sequence gap is
//                  silence the sender did not send (Opus DTX)
//   u8  level      the talker's level over the frame: dB above -127 dBFS,
//                  0..127 (the host clamps and rate-limits it)
//   ... payload    one Opus packet, 3..kMaxVoicePayload bytes (shorter
//                  packets are DTX placeholders and never sent)
//
// Thread: pure functions.
#include <cstdint>
#include <span>

#include "engine/core/result.h"
#include "net/wire.h"

namespace mxr::net::voice {

constexpr std::uint32_t kSampleRate = 48000;
constexpr std::size_t kHeaderBytes = 8;
constexpr std::size_t kMinVoicePayload = 3;
constexpr std::size_t kMaxVoicePayload = 400;  // 10 ms at 320 kbit/s; voice uses a tenth of it
constexpr std::uint8_t kMaxLevel = 127;

struct VoiceFrame {
    std::uint16_t sequence = 0;
    std::uint32_t timestamp = 0;
    std::uint8_t durationMs = 10;  // 10 or 20
    bool speech = true;
    std::uint8_t level = 0;
    Bytes payload;

    std::uint32_t samples() const { return kSampleRate / 1000u * durationMs; }
    bool operator==(const VoiceFrame&) const = default;
};

// The header's fields, the payload left where it is.
struct VoiceHeader {
    std::uint16_t sequence = 0;
    std::uint32_t timestamp = 0;
    std::uint8_t durationMs = 10;
    bool speech = true;
    std::uint8_t level = 0;
    std::size_t payloadBytes = 0;
};
// Validates a whole frame as decodeVoiceFrame does, without copying it
// (the room host's forwarding path).
Result<VoiceHeader> readVoiceHeader(ByteSpan bytes);

// Asserts the frame is valid (the encoder makes only valid frames).
Bytes encodeVoiceFrame(const VoiceFrame& frame);
// kProtocol errors name the field: flags, duration, level, payload.
Result<VoiceFrame> decodeVoiceFrame(ByteSpan bytes);

// The level byte for PCM samples: 20*log10(rms / 32768) + 127, clamped.
std::uint8_t levelOf(std::span<const std::int16_t> pcm);

}  // namespace mxr::net::voice
