#pragma once
// A bot's voice: speaking a WAV file (looped, 10 ms frames through Opus,
// bitrate following the loss its listeners report) and listening (every
// talker through its own jitter buffer and decoder, placed at the talker's
// head in OpenAL Soft's loopback device with HRTF, the stereo written to a
// WAV file from the first voice packet on).
//
// Thread: the bot's loop.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/audio/capture.h"
#include "engine/audio/spatial_mixer.h"
#include "net/client_session.h"
#include "net/voice/voice_codec.h"
#include "net/voice/voice_receiver.h"

namespace mxr::bot {

// CLOCK_REALTIME in unix milliseconds (for latency across processes).
double unixMs();

class BotSpeaker {
public:
    static Result<std::unique_ptr<BotSpeaker>> create(const std::filesystem::path& wav);
    // Sends the frames due by `now` (10 ms each since the first call).
    void pump(net::ClientSession& session, Nanos now);
    void onLoss(std::uint8_t lossPercent);
    std::uint64_t framesSent() const { return m_sent; }
    double firstSentUnixMs() const { return m_firstSentUnixMs; }

private:
    std::unique_ptr<engine::audio::WavCaptureSource> m_source;
    std::unique_ptr<net::voice::VoiceEncoder> m_encoder;
    std::vector<std::int16_t> m_pcm;
    Nanos m_start = -1;
    std::int64_t m_samples = 0;  // encoded so far
    std::uint16_t m_seq = 0;
    std::uint64_t m_sent = 0;
    double m_firstSentUnixMs = 0;
};

struct ListenerOptions {
    std::filesystem::path out;
    bool fec = true;
    bool concealment = true;
};

class BotListener {
public:
    static Result<std::unique_ptr<BotListener>> create(const ListenerOptions& options);
    void onVoice(const net::VoiceEvent& e);
    // Renders the 10 ms blocks due by `now`; `heads` are the talkers'
    // positions by avatar id, `self` the listener's head.
    void pump(net::ClientSession& session, Nanos now, const std::map<std::uint16_t, Vec3>& heads, const Pose& self);
    // Writes the recording; the summary's figures.
    Result<void> finish();
    double firstSampleUnixMs() const { return m_firstSampleUnixMs; }
    std::uint64_t framesHeard() const { return m_framesHeard; }
    // The jitter buffers' counters, summed over talkers, as key=value text.
    std::string jitterSummary() const;

private:
    struct Talker {
        std::unique_ptr<net::voice::VoiceReceiver> receiver;
        std::vector<std::int16_t> fifo;  // decoded, not yet given to the mixer
    };
    ListenerOptions m_options;
    std::unique_ptr<engine::audio::SpatialMixer> m_mixer;
    std::map<std::uint16_t, Talker> m_talkers;
    std::vector<std::int16_t> m_recording;  // stereo
    Nanos m_start = -1;
    std::int64_t m_blocks = 0;
    Nanos m_lastLossReport = 0;
    std::uint64_t m_framesHeard = 0;
    double m_firstSampleUnixMs = 0;
};

}  // namespace mxr::bot
