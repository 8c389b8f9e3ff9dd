#include "net/voice_frame.h"

#include <algorithm>
#include <cassert>
#include <cmath>


namespace mxr::net::voice {

namespace {
constexpr std::uint8_t kDurationMask = 0x03;
constexpr std::uint8_t kSpeechBit = 0x04;
constexpr std::uint8_t kKnownBits = kDurationMask | kSpeechBit;
}  // namespace

Bytes encodeVoiceFrame(const VoiceFrame& frame) {
    assert(frame.durationMs == 10 || frame.durationMs == 20);
    assert(frame.level <= kMaxLevel);
    assert(frame.payload.size() >= kMinVoicePayload && frame.payload.size() <= kMaxVoicePayload);
    ByteWriter w(kHeaderBytes + frame.payload.size());
    w.u8(static_cast<std::uint8_t>((frame.durationMs == 20 ? 1 : 0) | (frame.speech ? kSpeechBit : 0)));
    w.u16(frame.sequence);
    w.u32(frame.timestamp);
    w.u8(frame.level);
    w.bytes(frame.payload);
    return w.take();
}

Result<VoiceHeader> readVoiceHeader(ByteSpan bytes) {
    ByteReader r(bytes);
    VoiceHeader f;
    MXR_TRY_ASSIGN(const std::uint8_t flags, r.u8("voice flags"));
    if ((flags & ~kKnownBits) != 0) {
        return tl::unexpected(protocolError(strCat("voice flags: unknown bits ", int(flags & ~kKnownBits))));
    }
    const std::uint8_t duration = flags & kDurationMask;
    if (duration > 1) return tl::unexpected(protocolError(strCat("voice duration: unknown code ", int(duration))));
    f.durationMs = duration == 1 ? 20 : 10;
    f.speech = (flags & kSpeechBit) != 0;
    MXR_TRY_ASSIGN(f.sequence, r.u16("voice sequence"));
    MXR_TRY_ASSIGN(f.timestamp, r.u32("voice timestamp"));
    MXR_TRY_ASSIGN(f.level, r.u8("voice level"));
    if (f.level > kMaxLevel) {
        return tl::unexpected(protocolError(strCat("voice level: ", int(f.level), " is above ", int(kMaxLevel))));
    }
    const std::size_t n = r.remaining();
    if (n < kMinVoicePayload || n > kMaxVoicePayload) {
        return tl::unexpected(protocolError(strCat("voice payload: ", n, " bytes, not within ", kMinVoicePayload,
                                                   "..", kMaxVoicePayload)));
    }
    f.payloadBytes = n;
    return f;
}

Result<VoiceFrame> decodeVoiceFrame(ByteSpan bytes) {
    MXR_TRY_ASSIGN(const VoiceHeader h, readVoiceHeader(bytes));
    VoiceFrame f;
    f.sequence = h.sequence;
    f.timestamp = h.timestamp;
    f.durationMs = h.durationMs;
    f.speech = h.speech;
    f.level = h.level;
    f.payload.assign(bytes.end() - std::ptrdiff_t(h.payloadBytes), bytes.end());
    return f;
}

std::uint8_t levelOf(std::span<const std::int16_t> pcm) {
    if (pcm.empty()) return 0;
    double sum = 0.0;
    for (std::int16_t s : pcm) sum += double(s) * double(s);
    const double rms = std::sqrt(sum / double(pcm.size())) / 32768.0;
    if (rms <= 0.0) return 0;
    const double db = 20.0 * std::log10(rms) + double(kMaxLevel);
    return static_cast<std::uint8_t>(std::clamp(std::lround(db), 0L, long(kMaxLevel)));
}

}  // namespace mxr::net::voice
