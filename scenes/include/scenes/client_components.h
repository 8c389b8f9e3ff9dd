#pragma once
// The client's product components (client_component.h): the local player,
// the room presence (or the demo people offline), the Mentorship records
// panel, the desktop status overlay and the VR panel. The scripted test
// driver lives apart, in scenes/src/testing/.
//
// Each is made with references to the components it reads (the composition
// root is ClientApp::create); they must outlive it. Thread: main thread.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/clock.h"
#include "scenes/avatar.h"
#include "scenes/client_component.h"
#include "scenes/local_player.h"
#include "scenes/records_panel.h"
#include "scenes/workspace.h"
#include "scenes/room_presence.h"
#include "scenes/world_panel.h"

namespace mxr::scenes {

// A line for the user (the client prints it on stdout; tests capture it).
using LineSink = std::function<void(const std::string&)>;

// The wearer's own hands: neutral, so they read as "mine" against the palette.
inline constexpr Vec4 kSelfColor{0.85f, 0.78f, 0.7f, 1.0f};

// The person at this client. VR: a LocalPlayer (play space, locomotion,
// own hands drawn; the views are moved into the room); desktop and
// headless: the head from the XR system with resting hands.
class LocalPlayerComponent final : public ClientComponent {
public:
    LocalPlayerComponent(std::unique_ptr<LocalPlayer> player, const SceneMeshes& meshes);
    void update(FrameContext& frame) override;
    void contribute(const FrameContext& frame, engine::FrameScene& scene) override;
    // This frame's avatar in room space (what the others see).
    const Participant& avatar() const { return m_avatar; }
    LocalPlayer* player() { return m_player.get(); }
    const LocalPlayer* player() const { return m_player.get(); }

private:
    std::unique_ptr<LocalPlayer> m_player;
    const SceneMeshes& m_meshes;
    Participant m_avatar;
};

// Offline: the room's demo participants, seated and idling.
class DemoPeopleComponent final : public ClientComponent {
public:
    DemoPeopleComponent(const Room& room, std::size_t count, const SceneMeshes& meshes);
    void contribute(const FrameContext& frame, engine::FrameScene& scene) override;

private:
    const Room& m_room;
    std::size_t m_count;
    const SceneMeshes& m_meshes;
};

// Who speaks how strongly (avatar id, 0..1), for the speaking indicators.
using SpeakingLevels = std::vector<std::pair<std::uint16_t, float>>;

// The shared room: posts the local avatar, draws the others, prints each
// change of phase. Before ever joining it holds the frame count, and a
// failure ends the run with exit code 2; after joining, failures stay on
// screen as the status.
class PresenceComponent final : public ClientComponent {
public:
    PresenceComponent(std::unique_ptr<RoomPresence> presence, const Clock& clock, const LocalPlayerComponent& local,
                      const SceneMeshes& meshes, LineSink print);
    void update(FrameContext& frame) override;
    void contribute(const FrameContext& frame, engine::FrameScene& scene) override;

    RoomPresence& presence() { return *m_presence; }
    const RoomPresence& presence() const { return *m_presence; }
    const std::vector<Participant>& people() const { return m_people; }  // as drawn this frame
    // The speaking indicators (avatar id, 0..1) for the people drawn next
    // (copied into kept storage: no allocation per frame once warm).
    void setSpeaking(const SpeakingLevels& levels) { m_speakingLevels.assign(levels.begin(), levels.end()); }
    std::optional<Nanos> joinedAt() const { return m_joinedAt; }
    // Avatars go to and come from the shared room through this workspace's
    // frame (RoomPresence::setSharedFrame), read each frame; null: none.
    void followWorkspace(const WorkspaceComponent* workspace) { m_workspace = workspace; }
    std::uint64_t framesReconnecting() const { return m_framesReconnecting; }
    const Clock& clock() const { return m_clock; }

private:
    std::unique_ptr<RoomPresence> m_presence;
    const WorkspaceComponent* m_workspace = nullptr;
    const Clock& m_clock;
    const LocalPlayerComponent& m_local;
    const SceneMeshes& m_meshes;
    LineSink m_print;
    std::vector<Participant> m_people;
    SpeakingLevels m_speakingLevels;
    std::optional<ConnectionPhase> m_printedPhase;
    std::optional<Nanos> m_joinedAt;
    std::uint64_t m_framesReconnecting = 0;
};

struct RecordsUiState;

// How records requests travel: the presence's ENet channel, or a test's.
struct RecordsChannel {
    RecordsPanel::Sender send;
    std::function<std::optional<net::ApiResponse>()> poll;
};

// The Mentorship panel: RecordsPanel fed by the presence's records channel
// (or `channel` when given), drawn in UiContext::contentArea, answers
// printed as announcements.
class RecordsComponent final : public ClientComponent {
public:
    RecordsComponent(PresenceComponent& presence, const std::string& room, bool account, LineSink print,
                     RecordsChannel channel = {});
    ~RecordsComponent() override;
    void update(FrameContext& frame) override;
    void drawUi(UiContext& ui) override;

    RecordsPanel& panel() { return m_panel; }
    const RecordsPanel& panel() const { return m_panel; }
    // Sends what the panel has queued now (as the loop does each frame).
    void sendNow();
    // Shows `draft` in the feedback form, as if typed in.
    void fillFeedbackForm(const FeedbackDraft& draft);
    // Answers that are not the panel's go here (the step card's requests
    // share the presence's one answer queue).
    void setOtherAnswers(std::function<bool(const net::ApiResponse&)> other) { m_other = std::move(other); }

private:
    PresenceComponent& m_presence;
    RecordsPanel m_panel;
    std::unique_ptr<RecordsUiState> m_ui;
    LineSink m_print;
    RecordsChannel m_channel;
    std::function<bool(const net::ApiResponse&)> m_other;
};

// What the status displays say about the room.
struct RoomStatus {
    std::string systemName;
    std::string roomName;
    const PresenceComponent* presence = nullptr;  // null offline
    std::size_t offlineHeadcount = 0;
    const class VoiceComponent* voice = nullptr;  // null without voice
    std::string connection() const;
    std::string voiceLine() const;  // empty without voice
    std::size_t headcount() const;
};

// Desktop and headless (mono): the status window over the view.
class StatusOverlayComponent final : public ClientComponent {
public:
    explicit StatusOverlayComponent(RoomStatus status) : m_status(std::move(status)) {}
    void drawUi(UiContext& ui) override;
    void contribute(const FrameContext& frame, engine::FrameScene& scene) override;

private:
    RoomStatus m_status;
};

// In a headset: the world panel in the play space, worked with the right
// laser; logged in with an account its lower part is the Mentorship area.
class VrPanelComponent final : public ClientComponent {
public:
    using Haptic = std::function<void(int hand, float amplitude, float seconds)>;
    VrPanelComponent(const PanelLayout& layout, bool account, LocalPlayerComponent& local, RoomStatus status,
                     Haptic haptic);
    void update(FrameContext& frame) override;
    void drawUi(UiContext& ui) override;
    void contribute(const FrameContext& frame, engine::FrameScene& scene) override;
    const WorldPanel& panel() const { return m_panel; }

private:
    WorldPanel m_panel;
    bool m_account;
    LocalPlayerComponent& m_local;
    RoomStatus m_status;
    Haptic m_haptic;
    PanelUi m_result;
};

// The VR panel: the status part, grown by the Mentorship part with an account.
PanelLayout worldPanelLayout(bool account);

}  // namespace mxr::scenes
