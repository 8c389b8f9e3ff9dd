#include "bot_preencoded.h"

#include <algorithm>

#include "bot_voice.h"
#include "engine/audio/capture.h"
#include "net/voice/voice_codec.h"
#include "net/voice_frame.h"

namespace mxr::bot {

namespace {
constexpr std::size_t kFrameSamples = 480;  // 10 ms at 48 kHz
constexpr std::size_t kFramesPerSecond = 100;
constexpr Nanos kFrameNanos = 10'000'000;
}  // namespace

Result<std::shared_ptr<const PreencodedVoice>> PreencodedVoice::create(const std::filesystem::path& wav) {
    MXR_TRY_ASSIGN(auto source, engine::audio::WavCaptureSource::open(wav, /*loop=*/true));
    // No DTX and no 20 ms frames: a talker who never pauses, every 10 ms.
    MXR_TRY_ASSIGN(auto encoder, net::voice::VoiceEncoder::create({.fec = true, .dtx = false, .allow20ms = false}));
    auto voice = std::make_shared<PreencodedVoice>();
    std::vector<std::int16_t> pcm(kFrameSamples);
    for (std::size_t i = 0; i < kFramesPerSecond; ++i) {
        MXR_TRY(source->read(pcm));
        MXR_TRY_ASSIGN(auto packet, encoder.encode(pcm));
        if (!packet || packet->size() < net::voice::kMinVoicePayload) {
            return makeError(ErrorCode::kInvalidArgument,
                             strCat(wav.string(), ": Opus gave no packet for frame ", i, " with DTX off"));
        }
        net::voice::VoiceFrame f;
        f.level = net::voice::levelOf(pcm);
        voice->m_opusBytes += packet->size();
        f.payload = std::move(*packet);
        voice->m_frames.push_back(net::voice::encodeVoiceFrame(f));
    }
    return std::shared_ptr<const PreencodedVoice>(std::move(voice));
}

void PreencodedSpeaker::pump(net::ClientSession& session, Nanos now) {
    if (session.state() != net::ClientState::kJoined) return;
    if (m_start < 0) m_start = now;
    const auto& frames = m_voice->frames();
    // Frames due by now; after a stall the bot skips what it missed rather
    // than bursting (a real talker's microphone does not wait either).
    const auto due = static_cast<std::uint64_t>((now - m_start) / kFrameNanos) + 1;
    if (due > m_next + 10) m_next = due - 1;
    for (; m_next < due; ++m_next) {
        const net::Bytes& src = frames[m_next % frames.size()];
        m_frame.assign(src.begin(), src.end());
        // Header: flags u8, sequence u16, timestamp u32 (little-endian).
        const auto seq = static_cast<std::uint16_t>(m_next);
        const auto ts = static_cast<std::uint32_t>(m_next * kFrameSamples);
        m_frame[1] = static_cast<std::uint8_t>(seq);
        m_frame[2] = static_cast<std::uint8_t>(seq >> 8);
        for (int b = 0; b < 4; ++b) m_frame[3 + std::size_t(b)] = static_cast<std::uint8_t>(ts >> (8 * b));
        if (session.sendVoice(m_frame)) {
            if (m_sent++ == 0) m_firstSentUnixMs = unixMs();
        }
    }
}

}  // namespace mxr::bot
