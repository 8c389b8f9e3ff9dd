#pragma once
// The microphone's path before the encoder, one 10 ms frame at a time:
// acoustic echo cancellation against what the client itself played (the
// far end), then noise suppression, automatic gain and voice activity
// detection (speexdsp's preprocessor).
//
// Two echo cancellers are offered: speexdsp's (MDF linear filter plus the
// preprocessor's residual echo suppression) and webrtc-audio-processing
// 0.3's AEC. tests/audio/echo_test.cpp measures both on a simulated echo path
// and the better one is the default (see engine/audio/README.md).
//
// Thread: one thread (the audio thread). Frames are kFrameSamples long.
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "engine/audio/capture.h"

namespace mxr::engine::audio {

enum class EchoKind : std::uint8_t { kNone, kSpeex, kWebRtc };
std::string_view toString(EchoKind k);

class EchoCanceller {
public:
    virtual ~EchoCanceller() = default;
    // The frame the client sent to the speakers, in step with process():
    // one farEnd() per process().
    virtual void farEnd(std::span<const std::int16_t> frame) = 0;
    // The microphone's frame, echo removed in place.
    virtual void process(std::span<std::int16_t> mic) = 0;
};

// `tailMs`: the longest echo path the filter models (speex).
Result<std::unique_ptr<EchoCanceller>> makeEchoCanceller(EchoKind kind, int tailMs = 150);

struct ProcessorConfig {
    EchoKind echo = EchoKind::kSpeex;  // measured better: see README
    bool denoise = true;
    bool agc = true;
    bool vad = true;
};

class VoiceProcessor {
public:
    static Result<std::unique_ptr<VoiceProcessor>> create(const ProcessorConfig& config = {});
    ~VoiceProcessor();
    void farEnd(std::span<const std::int16_t> frame);
    // Returns whether the frame holds speech (always true with vad off).
    bool process(std::span<std::int16_t> mic);

private:
    VoiceProcessor() = default;
    ProcessorConfig m_config;
    std::unique_ptr<EchoCanceller> m_echo;
    void* m_pre = nullptr;  // SpeexPreprocessState
};

}  // namespace mxr::engine::audio
