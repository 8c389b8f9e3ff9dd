#include "engine/audio/voice_processor.h"

#include <speex/speex_echo.h>
#include <speex/speex_preprocess.h>
#include <webrtc/modules/audio_processing/include/audio_processing.h>

#include <array>

namespace mxr::engine::audio {

namespace {

constexpr int kRate = 48000;

// speexdsp: the MDF filter, then the preprocessor's residual echo
// suppressor fed with the filter's state (denoise and gain off here: the
// VoiceProcessor's own preprocessor does those).
class SpeexEcho final : public EchoCanceller {
public:
    SpeexEcho(int tailMs) {
        m_echo = speex_echo_state_init(int(kFrameSamples), kRate / 1000 * tailMs);
        int rate = kRate;
        speex_echo_ctl(m_echo, SPEEX_ECHO_SET_SAMPLING_RATE, &rate);
        m_residual = speex_preprocess_state_init(int(kFrameSamples), kRate);
        int off = 0;
        speex_preprocess_ctl(m_residual, SPEEX_PREPROCESS_SET_DENOISE, &off);
        speex_preprocess_ctl(m_residual, SPEEX_PREPROCESS_SET_AGC, &off);
        speex_preprocess_ctl(m_residual, SPEEX_PREPROCESS_SET_ECHO_STATE, m_echo);
    }
    ~SpeexEcho() override {
        speex_preprocess_state_destroy(m_residual);
        speex_echo_state_destroy(m_echo);
    }
    void farEnd(std::span<const std::int16_t> frame) override {
        std::copy(frame.begin(), frame.end(), m_far.begin());
    }
    void process(std::span<std::int16_t> mic) override {
        std::array<std::int16_t, kFrameSamples> out{};
        speex_echo_cancellation(m_echo, mic.data(), m_far.data(), out.data());
        speex_preprocess_run(m_residual, out.data());
        std::copy(out.begin(), out.end(), mic.begin());
    }

private:
    SpeexEchoState* m_echo = nullptr;
    SpeexPreprocessState* m_residual = nullptr;
    std::array<std::int16_t, kFrameSamples> m_far{};
};

// webrtc-audio-processing 0.3: its AEC with the default (moderate)
// suppression; nothing else of the module is enabled.
class WebRtcEcho final : public EchoCanceller {
public:
    static Result<std::unique_ptr<EchoCanceller>> create() {
        auto e = std::unique_ptr<WebRtcEcho>(new WebRtcEcho());
        e->m_apm.reset(webrtc::AudioProcessing::Create());
        if (!e->m_apm || e->m_apm->echo_cancellation()->Enable(true) != webrtc::AudioProcessing::kNoError) {
            return makeError(ErrorCode::kUnknown, "webrtc audio processing: echo cancellation unavailable");
        }
        e->m_apm->echo_cancellation()->enable_drift_compensation(false);
        return std::unique_ptr<EchoCanceller>(std::move(e));
    }
    void farEnd(std::span<const std::int16_t> frame) override {
        std::array<float, kFrameSamples> f{};
        for (std::size_t i = 0; i < kFrameSamples; ++i) f[i] = float(frame[i]) / 32768.0f;
        float* ch[1] = {f.data()};
        m_apm->ProcessReverseStream(ch, m_config, m_config, ch);
    }
    void process(std::span<std::int16_t> mic) override {
        std::array<float, kFrameSamples> f{};
        for (std::size_t i = 0; i < kFrameSamples; ++i) f[i] = float(mic[i]) / 32768.0f;
        float* ch[1] = {f.data()};
        // The far end and the microphone are handed over in step: no
        // device buffering between them to report.
        m_apm->set_stream_delay_ms(0);
        m_apm->ProcessStream(ch, m_config, m_config, ch);
        for (std::size_t i = 0; i < kFrameSamples; ++i) {
            mic[i] = std::int16_t(std::lround(std::clamp(f[i], -1.0f, 32767.0f / 32768.0f) * 32768.0f));
        }
    }

private:
    WebRtcEcho() : m_config(kRate, 1) {}
    std::unique_ptr<webrtc::AudioProcessing> m_apm;
    webrtc::StreamConfig m_config;
};

}  // namespace

std::string_view toString(EchoKind k) {
    switch (k) {
        case EchoKind::kNone: return "none";
        case EchoKind::kSpeex: return "speexdsp";
        case EchoKind::kWebRtc: return "webrtc";
    }
    return "?";
}

Result<std::unique_ptr<EchoCanceller>> makeEchoCanceller(EchoKind kind, int tailMs) {
    switch (kind) {
        case EchoKind::kNone: return std::unique_ptr<EchoCanceller>();
        case EchoKind::kSpeex: return std::unique_ptr<EchoCanceller>(new SpeexEcho(tailMs));
        case EchoKind::kWebRtc: return WebRtcEcho::create();
    }
    return makeError(ErrorCode::kInvalidArgument, "unknown echo canceller");
}

Result<std::unique_ptr<VoiceProcessor>> VoiceProcessor::create(const ProcessorConfig& config) {
    auto p = std::unique_ptr<VoiceProcessor>(new VoiceProcessor());
    p->m_config = config;
    MXR_TRY_ASSIGN(p->m_echo, makeEchoCanceller(config.echo));
    auto* pre = speex_preprocess_state_init(int(kFrameSamples), kRate);
    p->m_pre = pre;
    int denoise = config.denoise ? 1 : 0, agc = config.agc ? 1 : 0, vad = config.vad ? 1 : 0;
    speex_preprocess_ctl(pre, SPEEX_PREPROCESS_SET_DENOISE, &denoise);
    speex_preprocess_ctl(pre, SPEEX_PREPROCESS_SET_AGC, &agc);
    speex_preprocess_ctl(pre, SPEEX_PREPROCESS_SET_VAD, &vad);
    if (config.agc) {
        float level = 12000.0f;  // about -8.7 dBFS RMS while speaking
        speex_preprocess_ctl(pre, SPEEX_PREPROCESS_SET_AGC_LEVEL, &level);
    }
    return p;
}

VoiceProcessor::~VoiceProcessor() {
    if (m_pre) speex_preprocess_state_destroy(static_cast<SpeexPreprocessState*>(m_pre));
}

void VoiceProcessor::farEnd(std::span<const std::int16_t> frame) {
    if (m_echo) m_echo->farEnd(frame);
}

bool VoiceProcessor::process(std::span<std::int16_t> mic) {
    if (m_echo) m_echo->process(mic);
    const int speech = speex_preprocess_run(static_cast<SpeexPreprocessState*>(m_pre), mic.data());
    return !m_config.vad || speech != 0;
}

}  // namespace mxr::engine::audio
