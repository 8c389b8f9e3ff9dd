// The client's voice: TalkSwitch (what the buttons mean), the audio thread
// (Engine: VoiceTalk and VoiceListen between RoomClient's voice queues and
// the devices) and VoiceComponent (the main thread's side).
#include "scenes/voice_component.h"

#include <imgui.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <thread>

#include "engine/audio/wav.h"
#include "engine/core/spsc_queue.h"
#include "scenes/ar_view.h"
#include "scenes/voice/voice_chat.h"

namespace mxr::scenes {

bool TalkSwitch::update(const xr::InputState& input) {
    // Without input focus (a system menu is open) the buttons belong to the
    // menu: push-to-talk lets go, an open microphone stays as it is.
    const bool mute = input.focused && input.mute;
    if (mute && !m_muteWasDown) m_muted = !m_muted;
    m_muteWasDown = mute;
    m_transmit = !m_muted && (!m_pushToTalk || (input.focused && input.talk));
    return m_transmit;
}

float speakingFromLevel(std::uint8_t level) { return std::clamp((float(level) - 72.0f) / 40.0f, 0.0f, 1.0f); }

namespace {
constexpr Nanos kTick = msToNanos(5);          // the audio thread's period
constexpr Nanos kReportEvery = msToNanos(20);  // levels back to the main thread

// Main thread -> audio thread: the latest wins.
struct VoiceControl {
    bool transmit = false;
    Pose listener;
    std::vector<voice::TalkerPlace> places;
    std::vector<std::uint16_t> gone;  // left the room
};
// Audio thread -> main thread.
struct VoiceReport {
    std::uint8_t selfLevel = 0;
    std::vector<std::pair<std::uint16_t, std::uint8_t>> levels;
    std::string failed;  // capture stopped: why
};
}  // namespace

struct VoiceComponent::Engine {
    const Clock& clock;
    net::RoomClient& client;
    std::unique_ptr<voice::VoiceTalk> talk;
    std::unique_ptr<voice::VoiceListen> listen;
    SpscQueue<VoiceControl> controls{8};
    SpscQueue<VoiceReport> reports{8};
    std::atomic<bool> running{true};
    std::thread thread;
    bool saidFailure = false;  // audio thread

    Engine(const Clock& c, net::RoomClient& rc) : clock(c), client(rc) {}
    ~Engine() { stop(); }
    void stop() {
        running.store(false, std::memory_order_release);
        if (thread.joinable()) thread.join();
    }

    void run() {
        VoiceControl control;
        Nanos lastReport = 0;
        const auto played = [this](std::span<const std::int16_t> block) {
            if (talk) talk->played(block);
        };
        while (running.load(std::memory_order_acquire)) {
            const Nanos now = clock.now();
            while (auto c = controls.tryPop()) {
                for (auto id : c->gone) {
                    if (listen) listen->forget(id);
                }
                control = std::move(*c);
            }
            while (auto e = client.pollVoice()) {
                if (auto* v = std::get_if<net::VoiceEvent>(&*e); v && listen) {
                    listen->onVoice(v->speaker, v->frame, v->arrival);
                } else if (auto* l = std::get_if<net::VoiceLossEvent>(&*e); l && talk) {
                    talk->onLoss(l->lossPercent);
                }
            }
            if (talk) talk->pump(now, control.transmit, [this](net::Bytes f) { (void)client.sendVoice(std::move(f)); });
            if (listen) {
                listen->pump(now, control.places, control.listener, played);
                listen->lossReports(
                    now, [this](std::uint16_t id, std::uint8_t loss) { (void)client.reportVoiceLoss(id, loss); });
            }
            if (now - lastReport >= kReportEvery) {
                lastReport = now;
                VoiceReport r;
                if (talk) r.selfLevel = talk->level();
                if (listen) {
                    for (auto id : listen->talkers()) r.levels.emplace_back(id, listen->level(id));
                }
                if (talk && !talk->failed().empty() && !saidFailure) {
                    saidFailure = true;
                    r.failed = talk->failed();
                }
                (void)reports.tryPush(std::move(r));
            }
            std::this_thread::sleep_for(std::chrono::nanoseconds(kTick));
        }
    }
};

VoiceComponent::VoiceComponent(VoiceOptions options, PresenceComponent& presence, const LocalPlayerComponent& local,
                               LineSink print)
    : m_options(std::move(options)),
      m_presence(presence),
      m_local(local),
      m_print(std::move(print)),
      m_switch(m_options.pushToTalk) {
    net::RoomClient* client = m_presence.presence().client();
    if (!client) {
        m_failed = "no connection";
        return;
    }
    m_engine = std::make_unique<Engine>(m_presence.clock(), *client);
    // The microphone (or a file standing in for it).
    Result<std::unique_ptr<engine::audio::CaptureSource>> source =
        m_options.micWav.empty() ? Result<std::unique_ptr<engine::audio::CaptureSource>>(
                                       engine::audio::OpenAlCaptureSource::open(m_options.mic))
                                 : Result<std::unique_ptr<engine::audio::CaptureSource>>(
                                       engine::audio::WavCaptureSource::open(m_options.micWav, true));
    std::string missing;
    if (source) {
        voice::TalkConfig tc;
        tc.paced = !m_options.micWav.empty();
        tc.process = m_options.micWav.empty();
        auto talk = voice::VoiceTalk::create(std::move(*source), tc);
        if (talk) {
            m_engine->talk = std::move(*talk);
        } else {
            missing = strCat("no microphone (", talk.error().message, "): you can listen but not talk");
        }
    } else {
        missing = strCat("no microphone (", source.error().message, "): you can listen but not talk");
    }
    // The speakers (or the loopback device for a recording).
    voice::ListenConfig lc;
    lc.mixer.device = m_options.speaker;
    lc.mixer.rolloff = m_options.rolloff;
    lc.mixer.loopback = !m_options.recordPath.empty();
    lc.record = lc.mixer.loopback;
    auto listen = voice::VoiceListen::create(lc);
    if (listen) {
        m_engine->listen = std::move(*listen);
    } else {
        missing = missing.empty()
                      ? strCat("no speakers (", listen.error().message, "): others can hear you, you cannot hear them")
                      : strCat("off (no microphone and no speakers: ", listen.error().message, ")");
    }
    m_canTalk = m_engine->talk != nullptr;
    m_canListen = m_engine->listen != nullptr;
    if (!missing.empty()) {
        m_failed = missing;
        m_print(strCat("voice: ", missing));
    }
    if (!m_canTalk && !m_canListen) {
        m_engine.reset();
        return;
    }
    std::string devices;
    if (m_canTalk) devices = strCat("microphone ", m_engine->talk->describe());
    if (m_canListen) {
        devices += strCat(devices.empty() ? "" : ", ", "speakers ", m_engine->listen->describe(),
                          m_engine->listen->hrtf() ? " (HRTF)" : "");
    }
    m_print(strCat("voice: ", devices,
                   !m_canTalk             ? ""
                   : m_options.pushToTalk ? "; push-to-talk: hold V, M mutes"
                                          : "; open microphone, M mutes"));
    m_engine->thread = std::thread([e = m_engine.get()] { e->run(); });
}

VoiceComponent::~VoiceComponent() { stop(); }

void VoiceComponent::stop() {
    if (m_engine) m_engine->stop();
}

void VoiceComponent::setVolume(std::uint16_t avatarId, float volume) {
    m_volumes[avatarId] = std::clamp(volume, 0.0f, 2.0f);
}

float VoiceComponent::volume(std::uint16_t avatarId) const {
    auto it = m_volumes.find(avatarId);
    return it == m_volumes.end() ? 1.0f : it->second;
}

void VoiceComponent::update(FrameContext& frame) {
    const bool wasMuted = m_switch.muted();
    const bool transmit = m_switch.update(frame.input) && m_canTalk;
    if (m_switch.muted() != wasMuted) m_print(m_switch.muted() ? "voice: muted" : "voice: unmuted");
    // Private talk and consent, said as they change.
    RoomPresence& room = m_presence.presence();
    if (room.privateWith() != m_privateShown) {
        m_privateShown = room.privateWith();
        std::string with = strCat("#", m_privateShown);
        for (const auto& p : m_presence.people()) {
            if (p.avatarId == m_privateShown) with = p.displayName;
        }
        m_print(m_privateShown ? strCat("voice: in private talk with ", with, " (only you two hear each other)")
                               : std::string("voice: private talk ended"));
    }
    if (!m_engine || m_stopped) return;
    VoiceControl c;
    c.transmit = transmit;
    c.listener = m_local.avatar().head;
    // Reused each frame (no allocation once warm): who is here, sorted.
    m_present.clear();
    for (const auto& p : m_presence.people()) {
        if (p.avatarId == 0) continue;
        m_names[p.avatarId] = p.displayName;
        c.places.push_back({p.avatarId, p.head.position, volume(p.avatarId)});
        m_present.push_back(p.avatarId);
    }
    std::sort(m_present.begin(), m_present.end());
    const auto present = [this](std::uint16_t id) { return std::binary_search(m_present.begin(), m_present.end(), id); };
    for (const auto& [id, level] : m_speaking) {
        if (!present(id)) c.gone.push_back(id);
    }
    (void)m_engine->controls.tryPush(std::move(c));  // full: the next frame's supersedes it
    // Levels back: quick to show, slower to fade (about 0.3 s).
    std::optional<VoiceReport> last;
    while (auto r = m_engine->reports.tryPop()) {
        if (!r->failed.empty())
            m_print(strCat("voice: the microphone stopped (", r->failed, "): you can still listen"));
        last = std::move(r);
    }
    const float fade = std::exp(-float(frame.deltaSeconds) / 0.3f);
    auto follow = [fade](float& shown, float target) { shown = std::max(target, shown * fade); };
    for (auto& [id, shown] : m_speaking) {
        if (!present(id)) shown = 0.0f;
    }
    if (last) {
        // Talk time: a report every 20 ms, each voice level it has counts that long.
        const double span = nanosToSeconds(kReportEvery);
        if (transmit && speakingFromLevel(last->selfLevel) > 0.0f) m_ownTalk += span;
        for (const auto& [id, level] : last->levels) {
            if (speakingFromLevel(level) <= 0.0f) continue;
            m_talk[id] += span;
        }
        follow(m_selfSpeaking, transmit ? speakingFromLevel(last->selfLevel) : 0.0f);
        for (const auto& [id, level] : last->levels) {
            if (present(id)) follow(m_speaking[id], speakingFromLevel(level));
        }
    } else {
        m_selfSpeaking *= fade;
        for (auto& [id, shown] : m_speaking) shown *= fade;
    }
    std::erase_if(m_speaking, [&](const auto& kv) { return !present(kv.first) && kv.second == 0.0f; });
    m_shown.clear();
    for (const auto& [id, s] : m_speaking) {
        if (s > 0.02f) m_shown.emplace_back(id, s);
    }
    m_presence.setSpeaking(m_shown);
}

void VoiceComponent::drawUi(UiContext& ui) {
    if (!m_options.peopleWindow) return;
    ImGui::SetNextWindowPos(ImVec2(12, 150), ImGuiCond_FirstUseEver);
    ImGui::SetNextWindowCollapsed(true, ImGuiCond_FirstUseEver);
    setNextPanelBgAlpha(0.7f);
    if (ImGui::Begin("Voice", nullptr, ImGuiWindowFlags_AlwaysAutoResize | ImGuiWindowFlags_NoSavedSettings)) {
        ImGui::Text("%s", statusLine().c_str());
        bool muted = m_switch.muted();
        if (m_canTalk && ImGui::Checkbox("Mute (M)", &muted)) {
            m_switch.setMuted(muted);
            m_print(muted ? "voice: muted" : "voice: unmuted");
        }
        RoomPresence& room = m_presence.presence();
        bool consent = room.recordingConsent();
        if (ImGui::Checkbox("I agree to be recorded", &consent)) room.setRecordingConsent(consent);
        if (room.privateWith() != 0 && ImGui::Button("End private talk")) room.askPrivateTalk(0);
        // Each person: a volume, and private talk (asked; private once both ask).
        for (const auto& p : m_presence.people()) {
            if (p.avatarId == 0) continue;
            ImGui::PushID(p.avatarId);
            float percent = volume(p.avatarId) * 100.0f;
            ImGui::SetNextItemWidth(120.0f);
            if (ImGui::SliderFloat("##volume", &percent, 0.0f, 200.0f, "%.0f%%"))
                setVolume(p.avatarId, percent / 100.0f);
            ImGui::SameLine();
            const bool asked = room.privateAsked() == p.avatarId;
            if (ImGui::SmallButton(asked ? "Cancel private" : "Talk privately"))
                room.askPrivateTalk(asked ? 0 : p.avatarId);
            ImGui::SameLine();
            ui.note(p.name);
            ImGui::Text("%s", p.name.c_str());  // the plate's words: muted, private
            ImGui::PopID();
        }
    }
    ImGui::End();
}

std::string VoiceComponent::statusLine() const {
    if (!m_canTalk && !m_canListen) return strCat("voice: off (", m_failed, ")");
    if (!m_canTalk) return "voice: listening only (no microphone)";
    if (m_switch.muted()) return "voice: muted (M to unmute)";
    const char* speaking = m_selfSpeaking > 0.05f ? " - speaking" : "";
    if (m_switch.pushToTalk()) {
        return m_switch.transmitting() ? strCat("voice: talking", speaking)
                                       : std::string("voice: push-to-talk (hold V)");
    }
    return strCat("voice: open microphone", speaking);
}

void VoiceComponent::shutdown(ShutdownContext&) {
    if (m_stopped || !m_engine) return;
    m_stopped = true;
    m_engine->stop();
    const auto* talk = m_engine->talk.get();
    const auto* listen = m_engine->listen.get();
    if (listen && !m_options.recordPath.empty()) {
        if (auto w = engine::audio::writeWav(m_options.recordPath, listen->recording(), 48000, 2); !w) {
            m_print(strCat("voice: cannot write ", m_options.recordPath.string(), ": ", w.error().message));
        }
    }
    // One line of figures (tests measure latency across processes with it).
    char times[160];
    std::snprintf(times, sizeof times, " first_voice_sent_unix_ms=%.1f frames_heard=%llu first_sample_unix_ms=%.1f",
                  talk ? talk->firstSentUnixMs() : 0.0,
                  static_cast<unsigned long long>(listen ? listen->framesHeard() : 0),
                  listen ? listen->firstSampleUnixMs() : 0.0);
    double heard = 0.0;
    std::string who;
    for (const auto& [id, seconds] : m_talk) {
        heard += seconds;
        auto n = m_names.find(id);
        const std::string name = n != m_names.end() ? n->second : strCat("#", id);
        char one[32];
        std::snprintf(one, sizeof one, " %.1f s", seconds);
        who += strCat(who.empty() ? "" : ", ", name, one);
    }
    char talked[96];
    std::snprintf(talked, sizeof talked, " talk_seconds_sent=%.1f talk_seconds_heard=%.1f ", m_ownTalk, heard);
    char own[32];
    std::snprintf(own, sizeof own, "%.1f s", m_ownTalk);
    m_print(strCat("voice talk time: you ", own, who.empty() ? "" : ", ", who));
    m_print(strCat("voice frames_sent=", talk ? talk->framesSent() : 0, times, talked,
                   listen ? listen->jitterSummary() : std::string()));
}

}  // namespace mxr::scenes
