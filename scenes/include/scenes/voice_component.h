#pragma once
// Voice in the client: the microphone through scenes/voice's VoiceTalk to
// the room, everyone else through VoiceListen at their avatars' heads, on an
// audio thread of its own (ARCHITECTURE.md: capture and encode run on an
// audio thread). The main thread and the audio thread share nothing but two
// bounded SPSC queues (controls in: who stands where, whether to send;
// reports out: levels, failures); the audio thread reaches the network
// through RoomClient's voice queues.
//
// A missing or failing device never stops the client: it is said once
// ("voice: no microphone (...): you can listen but not talk") and the
// client goes on without that half (or without voice).
//
// Thread: main thread (the audio thread is private).
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "scenes/client_components.h"

namespace mxr::scenes {

struct VoiceOptions {
    bool pushToTalk = false;  // else an open microphone (voice activity decides)
    std::string mic;          // capture device; empty: the default
    std::string speaker;      // playback device; empty: the default
    // Tests and demos: a WAV file (looped, paced by the clock) instead of
    // the microphone, sent as it is (no echo canceller, no gate).
    std::filesystem::path micWav;
    // Tests: play into OpenAL Soft's loopback device instead of the
    // speakers and write the stereo there at the end (48 kHz, 16-bit).
    std::filesystem::path recordPath;
    // Desktop and headless with the UI: a "Voice" window (collapsed at
    // first, under the status window) with mute, recording consent, and per
    // person a volume and private talk.
    bool peopleWindow = false;
    // How fast voices fade with distance beyond 1 m (inverse distance; 0: not at all).
    float rolloff = 1.0f;
};

// Whether the microphone goes to the room: an open microphone unless muted;
// push-to-talk while the talk button is held and not muted. The mute button
// toggles on each press. Without input focus (InputState::focused false)
// push-to-talk lets go; an open microphone stays as it is.
class TalkSwitch {
public:
    explicit TalkSwitch(bool pushToTalk) : m_pushToTalk(pushToTalk) {}
    // One frame's input; returns whether to send.
    bool update(const xr::InputState& input);
    bool transmitting() const { return m_transmit; }
    bool muted() const { return m_muted; }
    bool pushToTalk() const { return m_pushToTalk; }
    void setMuted(bool muted) { m_muted = muted; }

private:
    bool m_pushToTalk;
    bool m_muted = false;
    bool m_muteWasDown = false;
    bool m_transmit = false;
};

// The speaking indicator's strength (0..1) for a decoded level byte
// (dB above -127 dBFS): nothing below -55 dBFS, full at -15 dBFS.
float speakingFromLevel(std::uint8_t level);

class VoiceComponent final : public ClientComponent {
public:
    VoiceComponent(VoiceOptions options, PresenceComponent& presence, const LocalPlayerComponent& local,
                   LineSink print);
    ~VoiceComponent() override;  // stops the audio thread
    void update(FrameContext& frame) override;
    void drawUi(UiContext& ui) override;
    // Stops the audio thread, writes the recording, prints the summary line.
    void shutdown(ShutdownContext& end) override;

    // For the status displays: "voice: open microphone (speaking)",
    // "voice: push-to-talk (hold V)", "voice: muted (M)", "voice: off (...)".
    std::string statusLine() const;
    float selfSpeaking() const { return m_selfSpeaking; }
    const TalkSwitch& talkSwitch() const { return m_switch; }
    // Per-person volume (0..2, default 1), by avatar id.
    void setVolume(std::uint16_t avatarId, float volume);
    float volume(std::uint16_t avatarId) const;
    // Talk time so far, in seconds (a mentoring session's balance: who
    // did the talking): this person's, and each other person's by avatar id.
    double ownTalkSeconds() const { return m_ownTalk; }
    const std::map<std::uint16_t, double>& talkSeconds() const { return m_talk; }

    struct Engine;

private:
    void stop();

    VoiceOptions m_options;
    PresenceComponent& m_presence;
    const LocalPlayerComponent& m_local;
    LineSink m_print;
    TalkSwitch m_switch;
    std::unique_ptr<Engine> m_engine;
    std::map<std::uint16_t, float> m_volumes;
    std::map<std::uint16_t, float> m_speaking;  // smoothed, by avatar id
    std::vector<std::uint16_t> m_present;        // this frame's people (reused)
    SpeakingLevels m_shown;                      // what the presence draws (reused)
    float m_selfSpeaking = 0.0f;
    double m_ownTalk = 0.0;
    std::map<std::uint16_t, double> m_talk;
    std::map<std::uint16_t, std::string> m_names;  // the last name seen
    bool m_canTalk = false;
    bool m_canListen = false;
    std::string m_failed;  // said once
    std::uint16_t m_privateShown = 0;
    bool m_stopped = false;
};

}  // namespace mxr::scenes
