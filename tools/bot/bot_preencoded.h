#pragma once
// Pre-encoded voice for load tests (`mentorxr-bot --speak-preencoded`): one
// second of a WAV file goes through Opus once (10 ms frames, DTX off, so
// every slot carries speech as a talker who never pauses would), and every
// talking bot replays those packets in a loop with its own sequence numbers
// and timestamps at 100 frames a second. Fifty talkers then cost the bot
// process a memcpy and a seal per frame instead of fifty Opus encoders, so
// the room host, not the load generator, is what a benchmark measures.
//
// Thread: the bot's loop.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <vector>

#include "engine/core/clock.h"
#include "engine/core/result.h"
#include "net/client_session.h"

namespace mxr::bot {

// The shared packets: complete voice frames (voice_frame.h) whose sequence
// and timestamp the replaying speaker overwrites.
class PreencodedVoice {
public:
    static Result<std::shared_ptr<const PreencodedVoice>> create(const std::filesystem::path& wav);
    const std::vector<net::Bytes>& frames() const { return m_frames; }
    std::uint64_t opusBytes() const { return m_opusBytes; }

private:
    std::vector<net::Bytes> m_frames;
    std::uint64_t m_opusBytes = 0;
};

class PreencodedSpeaker {
public:
    explicit PreencodedSpeaker(std::shared_ptr<const PreencodedVoice> voice) : m_voice(std::move(voice)) {}
    // Sends the frames due by `now` (10 ms each since the first call in the room).
    void pump(net::ClientSession& session, Nanos now);
    std::uint64_t framesSent() const { return m_sent; }
    double firstSentUnixMs() const { return m_firstSentUnixMs; }

private:
    std::shared_ptr<const PreencodedVoice> m_voice;
    net::Bytes m_frame;  // reused: no allocation per frame
    Nanos m_start = -1;
    std::uint64_t m_next = 0;  // frames sent or skipped since m_start
    std::uint64_t m_sent = 0;
    double m_firstSentUnixMs = 0;
};

}  // namespace mxr::bot
