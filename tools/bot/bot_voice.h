#pragma once
// A bot's voice: speaking a WAV file (looped, 10 ms frames through Opus,
// bitrate following the loss its listeners report) and listening (every
// talker through its own jitter buffer and decoder, placed at the talker's
// head in OpenAL Soft's loopback device with HRTF, the stereo written to a
// WAV file from the first voice packet on).
//
// Thin over scenes/voice/voice_chat.h (the client uses the same code).
// Thread: the bot's loop.
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>

#include "net/client_session.h"
#include "scenes/voice/voice_chat.h"

namespace mxr::bot {

using scenes::voice::unixMs;

class BotSpeaker {
public:
    static Result<std::unique_ptr<BotSpeaker>> create(const std::filesystem::path& wav);
    // Sends the frames due by `now` (10 ms each since the first call).
    void pump(net::ClientSession& session, Nanos now);
    void onLoss(std::uint8_t lossPercent) { m_talk->onLoss(lossPercent); }
    std::uint64_t framesSent() const { return m_talk->framesSent(); }
    double firstSentUnixMs() const { return m_talk->firstSentUnixMs(); }

private:
    std::unique_ptr<scenes::voice::VoiceTalk> m_talk;
};

struct ListenerOptions {
    std::filesystem::path out;
    bool fec = true;
    bool concealment = true;
};

class BotListener {
public:
    static Result<std::unique_ptr<BotListener>> create(const ListenerOptions& options);
    void onVoice(const net::VoiceEvent& e) { m_listen->onVoice(e.speaker, e.frame, e.arrival); }
    // Renders the 10 ms blocks due by `now`; `heads` are the talkers'
    // positions by avatar id, `self` the listener's head.
    void pump(net::ClientSession& session, Nanos now, const std::map<std::uint16_t, Vec3>& heads, const Pose& self);
    // Writes the recording; the summary's figures.
    Result<void> finish();
    double firstSampleUnixMs() const { return m_listen->firstSampleUnixMs(); }
    std::uint64_t framesHeard() const { return m_listen->framesHeard(); }
    std::string jitterSummary() const { return m_listen->jitterSummary(); }

private:
    ListenerOptions m_options;
    std::unique_ptr<scenes::voice::VoiceListen> m_listen;
    std::vector<scenes::voice::TalkerPlace> m_places;
};

}  // namespace mxr::bot
