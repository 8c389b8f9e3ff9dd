#pragma once
// A person's (or a bot's) voice in a room, apart from the network and the
// frame loop:
//
// - VoiceTalk: a capture source, the microphone path (echo cancellation
//   against what this side played, noise suppression, gain, voice activity),
//   Opus, and voice frames (net/voice_frame.h) with sequence numbers and
//   timestamps, handed to a callback to send.
// - VoiceListen: one jitter buffer and decoder per talker, each placed at
//   the talker's head in the spatial mixer (a playback device, or the
//   loopback device whose stereo can be recorded), the loss reports the
//   talkers need, and each talker's decoded level for the speaking
//   indicator.
//
// The client runs both on its audio thread (scenes/voice_component.h), the
// bot on its loop (tools/bot/bot_voice.h).
// Thread: each object is used by one thread.
// Errors: create() fails with kUnavailable naming the device when a device
// cannot be opened; after that nothing fails loudly: a device error ends
// capture (VoiceTalk::failed() says why), undecodable input is counted.
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "engine/audio/capture.h"
#include "engine/audio/spatial_mixer.h"
#include "engine/audio/voice_processor.h"
#include "engine/core/clock.h"
#include "net/voice/voice_codec.h"
#include "net/voice/voice_receiver.h"

namespace mxr::scenes::voice {

constexpr Nanos kBlock = 10'000'000;  // 10 ms, the unit of capture and playout

// CLOCK_REALTIME in unix milliseconds (for latency across processes).
double unixMs();

struct TalkConfig {
    // A file source is paced by the clock (the frames due by `now`); a
    // microphone gives what it has captured.
    bool paced = false;
    // The microphone path (AEC, denoise, AGC, VAD); files are sent as they are.
    bool process = true;
    engine::audio::ProcessorConfig processor;
    net::voice::EncoderConfig encoder;
};

class VoiceTalk {
public:
    using Send = std::function<void(net::Bytes frame)>;
    static Result<std::unique_ptr<VoiceTalk>> create(std::unique_ptr<engine::audio::CaptureSource> source,
                                                     const TalkConfig& config = {});
    // Reads what the source has for `now`, processes and encodes it, and
    // hands each frame to `send`. With `transmit` false (muted, push-to-talk
    // let go) frames are read and processed (the echo canceller keeps
    // converging) but not sent. Silence is not sent either (DTX).
    void pump(Nanos now, bool transmit, const Send& send);
    // A 10 ms block this side played (the far end for the echo canceller),
    // in step with what the microphone captured.
    void played(std::span<const std::int16_t> block);
    // The loss the listeners report (percent): bitrate, FEC, frame length.
    void onLoss(std::uint8_t lossPercent);

    // The level of the last frame sent (0..127), 0 while not sending.
    std::uint8_t level() const { return m_level; }
    std::uint64_t framesSent() const { return m_sent; }
    double firstSentUnixMs() const { return m_firstSentUnixMs; }
    std::string describe() const { return m_source->describe(); }
    // Empty while capture works; else why it stopped (said once by the caller).
    const std::string& failed() const { return m_failed; }

private:
    VoiceTalk() = default;
    bool readFrame(Nanos now, std::span<std::int16_t> frame);

    TalkConfig m_config;
    std::unique_ptr<engine::audio::CaptureSource> m_source;
    std::unique_ptr<engine::audio::VoiceProcessor> m_processor;
    std::unique_ptr<net::voice::VoiceEncoder> m_encoder;
    std::deque<std::int16_t> m_farEnd;  // played, not yet matched with a captured frame
    std::vector<std::int16_t> m_pcm, m_block;
    Nanos m_start = -1;
    std::int64_t m_read = 0;   // samples read from the source
    std::int64_t m_coded = 0;  // samples encoded (the timestamp)
    std::uint16_t m_seq = 0;
    std::uint64_t m_sent = 0;
    std::uint8_t m_level = 0;
    bool m_speech = false;  // voice activity over the frame being gathered
    double m_firstSentUnixMs = 0;
    std::string m_failed;
};

struct ListenConfig {
    engine::audio::MixerConfig mixer;
    net::voice::ReceiverConfig receiver;
    // A playback device: this much audio is kept queued ahead of it (the
    // audio thread may wake late). The loopback device renders exactly the
    // blocks due.
    Nanos lead = msToNanos(30);
    bool record = false;  // loopback: keep the stereo for recording()
};

struct TalkerPlace {
    std::uint16_t id = 0;
    Vec3 head{0.0f};
    float volume = 1.0f;  // per person, 0..2
};

class VoiceListen {
public:
    static Result<std::unique_ptr<VoiceListen>> create(const ListenConfig& config = {});
    // A voice frame from `speaker` as it arrived.
    void onVoice(std::uint16_t speaker, net::ByteSpan frame, Nanos arrival);
    // The talker left: its source goes.
    void forget(std::uint16_t speaker);
    // Plays the blocks due by `now`, each
    // talker where `places` puts it (unknown: at the listener), heard from
    // `listener`. Each block's mono sum goes to `played` (for the AEC).
    void pump(Nanos now, std::span<const TalkerPlace> places, const Pose& listener,
              const std::function<void(std::span<const std::int16_t>)>& played = {});
    // Once a second: how much of each talker's voice was lost (percent).
    void lossReports(Nanos now, const std::function<void(std::uint16_t, std::uint8_t)>& report);

    // The decoded level of the talker's last block played (0..127; 0 when
    // silent or unknown): what the speaking indicator shows.
    std::uint8_t level(std::uint16_t speaker) const;
    std::vector<std::uint16_t> talkers() const;
    // Loopback with `record`: stereo 48 kHz from the first voice packet.
    const std::vector<std::int16_t>& recording() const { return m_recording; }
    double firstSampleUnixMs() const { return m_firstSampleUnixMs; }
    std::uint64_t framesHeard() const { return m_framesHeard; }
    bool hrtf() const { return m_mixer->hrtfEnabled(); }
    std::string describe() const { return m_mixer->describe(); }
    // The jitter buffers' counters, summed over talkers, as key=value text.
    std::string jitterSummary() const;

private:
    VoiceListen() = default;
    struct Talker {
        std::unique_ptr<net::voice::VoiceReceiver> receiver;
        std::vector<std::int16_t> fifo;  // decoded, not yet given to the mixer
        std::uint8_t level = 0;
    };
    ListenConfig m_config;
    std::unique_ptr<engine::audio::SpatialMixer> m_mixer;
    std::map<std::uint16_t, Talker> m_talkers;
    std::map<std::uint16_t, float> m_volumes;  // the last asked for, by talker
    std::vector<std::int16_t> m_recording;
    std::vector<std::int16_t> m_pcm, m_stereo;
    std::vector<std::int32_t> m_sum;
    std::vector<std::int16_t> m_mono;
    Nanos m_start = -1;
    std::int64_t m_blocks = 0;
    Nanos m_lastLossReport = 0;
    std::uint64_t m_framesHeard = 0;
    double m_firstSampleUnixMs = 0;
};

}  // namespace mxr::scenes::voice
