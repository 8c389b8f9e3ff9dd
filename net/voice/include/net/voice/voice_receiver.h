#pragma once
// One talker as heard: the wire bytes of its voice frames go in, 48 kHz mono
// PCM comes out one frame period at a time, through the jitter buffer and
// the Opus decoder (FEC for a single lost frame, PLC for the rest, silence
// in DTX). A malformed frame or an Opus packet that does not decode is
// counted and played as concealment, never as noise.
//
// Thread: one thread (the audio mixer's).
#include <cstdint>
#include <vector>

#include "net/voice/jitter_buffer.h"
#include "net/voice/voice_codec.h"

namespace mxr::net::voice {

struct ReceiverConfig {
    JitterConfig jitter;
    bool useFec = true;          // off: a lost frame is concealed (for comparisons)
    bool useConcealment = true;  // off: a lost frame is silence (for comparisons)
};

class VoiceReceiver {
public:
    static Result<VoiceReceiver> create(const ReceiverConfig& config = {});

    // kProtocol error (and counted) when the bytes are not a voice frame.
    Result<void> push(ByteSpan wire, Nanos now);
    // The next frame period's samples (480 or 960) replace `out`.
    PlayKind pull(Nanos now, std::vector<std::int16_t>& out);

    const JitterBuffer& buffer() const { return m_buffer; }
    std::uint64_t malformed() const { return m_malformed; }
    std::uint64_t undecodable() const { return m_undecodable; }
    // The level the talker reported with the last frame played (0..127).
    std::uint8_t level() const { return m_level; }

private:
    VoiceReceiver(const ReceiverConfig& config, VoiceDecoder decoder);

    ReceiverConfig m_config;
    JitterBuffer m_buffer;
    VoiceDecoder m_decoder;
    std::uint64_t m_malformed = 0;
    std::uint64_t m_undecodable = 0;
    std::uint8_t m_level = 0;
};

}  // namespace mxr::net::voice
