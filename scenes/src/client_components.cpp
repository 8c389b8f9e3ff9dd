#include "scenes/client_components.h"

#include <imgui.h>

#include <cfloat>
#include <variant>

#include "records_panel_ui.h"
#include "scenes/ar_view.h"
#include "scenes/voice_component.h"

namespace mxr::scenes {

namespace {
// The VR panel's top part is the status and the hand button; logged in
// with an account it grows downwards by the Mentorship section (same pixels
// per metre), hanging a little lower so the whole of it is in reach.
constexpr std::uint32_t kMentorshipPanelPx = 384;
}  // namespace

PanelLayout worldPanelLayout(bool account) {
    PanelLayout layout;
    if (!account) return layout;
    const float metresPerPx = layout.sizeMetres.y / float(layout.heightPx);
    layout.heightPx += kMentorshipPanelPx;
    layout.sizeMetres.y = metresPerPx * float(layout.heightPx);
    layout.inStage.position.y = 1.2f;
    return layout;
}

// --- local player

LocalPlayerComponent::LocalPlayerComponent(std::unique_ptr<LocalPlayer> player, const SceneMeshes& meshes)
    : m_player(std::move(player)), m_meshes(meshes) {}

void LocalPlayerComponent::update(FrameContext& frame) {
    const xr::InputState& in = frame.input;
    if (m_player) {
        m_player->update(in);
        // The views were located in stage space; the room sees them through
        // the play space (the runtime keeps its own stage poses).
        m_player->toWorld(frame.views);
        m_avatar = m_player->avatar("", kSelfColor);
    } else {
        m_avatar = desktopAvatar(in.head, in.hands[0].tracked ? &in.hands[0].grip : nullptr,
                                 in.hands[1].tracked ? &in.hands[1].grip : nullptr);
    }
    // Out of focus the hands stay where they were and others see the
    // person paused (dimmed in place) until focus comes back.
    m_avatar.paused = !in.focused;
    // Nobody sees this frame (the headset is off or asleep): away.
    m_avatar.away = frame.idle;
}

void LocalPlayerComponent::contribute(const FrameContext&, engine::FrameScene& scene) {
    if (m_player) m_player->appendSelf(m_meshes, kSelfColor, scene);
}

// --- demo people

DemoPeopleComponent::DemoPeopleComponent(const Room& room, std::size_t count, const SceneMeshes& meshes)
    : m_room(room), m_count(count), m_meshes(meshes) {}

void DemoPeopleComponent::contribute(const FrameContext& frame, engine::FrameScene& scene) {
    for (const auto& p : demoParticipants(m_room, m_count, frame.animationTime)) appendAvatar(p, m_meshes, scene);
}

// --- presence

PresenceComponent::PresenceComponent(std::unique_ptr<RoomPresence> presence, const Clock& clock,
                                     const LocalPlayerComponent& local, const SceneMeshes& meshes, LineSink print)
    : m_presence(std::move(presence)), m_clock(clock), m_local(local), m_meshes(meshes), m_print(std::move(print)) {}

void PresenceComponent::update(FrameContext& frame) {
    if (m_workspace) m_presence->setSharedFrame(m_workspace->sharedFromLocal());
    m_presence->update(m_local.avatar());
    m_people = m_presence->participants();
    const ConnectionPhase phase = m_presence->phase();
    // Each change of phase is one line for the user (and for tests).
    if (phase == ConnectionPhase::kReconnecting) ++m_framesReconnecting;  // the room goes on being drawn
    if (!m_printedPhase || *m_printedPhase != phase) {
        m_printedPhase = phase;
        m_print(strCat("connection: ", m_presence->statusText()));
    }
    if (m_presence->everJoined() && !m_joinedAt) m_joinedAt = m_clock.now();
    if (phase == ConnectionPhase::kFailed && !m_presence->everJoined()) frame.exit(2, m_presence->error());
    // Frames count from joining, so a screenshot shows the room.
    if (!m_presence->everJoined()) frame.holdCount();
}

void PresenceComponent::contribute(const FrameContext&, engine::FrameScene& scene) {
    for (auto& p : m_people) {
        p.speaking = 0.0f;
        for (const auto& [id, level] : m_speakingLevels) {
            if (id == p.avatarId) p.speaking = level;
        }
        // Pointed at with the right hand's laser, or looked at (the
        // desktop's mouse-look centre; in a headset, the gaze).
        const LocalPlayer* player = m_local.player();
        p.labelPointed = player && ((player->aimTracked() && labelPointedAt(player->aimWorld(), labelAnchor(p))) ||
                                    labelPointedAt(player->toWorld(player->lastInput().head), labelAnchor(p)));
        appendAvatar(p, m_meshes, scene);
    }
}

// --- records

RecordsComponent::RecordsComponent(PresenceComponent& presence, const std::string& room, bool account,
                                   LineSink print, RecordsChannel channel)
    : m_presence(presence),
      m_panel(room, account, true),
      m_ui(std::make_unique<RecordsUiState>()),
      m_print(std::move(print)),
      m_channel(std::move(channel)) {
    if (!m_channel.send) {
        m_channel.send = [this](net::ApiMethod m, const std::string& path, const std::string& body) {
            return m_presence.presence().sendApiRequest(m, path, body);
        };
    }
    if (!m_channel.poll) m_channel.poll = [this] { return m_presence.presence().pollApiResponse(); };
}

RecordsComponent::~RecordsComponent() = default;

void RecordsComponent::update(FrameContext&) {
    RoomPresence& presence = m_presence.presence();
    if (auto role = presence.selfRole()) m_panel.setSelfRole(*role);
    while (auto answer = m_channel.poll()) {
        if (!m_panel.onResponse(*answer) && m_other) m_other(*answer);
    }
    m_panel.update(presence.phase() == ConnectionPhase::kInRoom, m_channel.send);
    for (const auto& line : m_panel.takeAnnouncements()) m_print(line);
}

void RecordsComponent::sendNow() { m_panel.update(true, m_channel.send); }

void RecordsComponent::fillFeedbackForm(const FeedbackDraft& draft) {
    m_ui->draft = draft;
    m_ui->text.fill('\0');
    draft.text.copy(m_ui->text.data(), std::min(draft.text.size(), m_ui->text.size() - 1));
}

void RecordsComponent::drawUi(UiContext& ui) {
    if (!ui.contentArea) return;
    const UiArea& a = *ui.contentArea;
    buildRecordsUi(m_panel, *m_ui, RecordsUiPlacement{a.x, a.y, a.width, a.height, a.fontScale, &ui});
}

// --- status

std::string RoomStatus::connection() const {
    return presence ? presence->presence().statusText() : "offline (no server)";
}

std::string RoomStatus::voiceLine() const { return voice ? voice->statusLine() : std::string(); }

std::size_t RoomStatus::headcount() const { return presence ? presence->presence().people() : offlineHeadcount; }

void StatusOverlayComponent::drawUi(UiContext& ui) {
    ImGui::SetNextWindowPos(ImVec2(12, 12), ImGuiCond_Always);
    setNextPanelBgAlpha(0.7f);
    ImGui::Begin("MentorXR", nullptr,
                 ImGuiWindowFlags_NoResize | ImGuiWindowFlags_AlwaysAutoResize | ImGuiWindowFlags_NoMove |
                     ImGuiWindowFlags_NoSavedSettings);
    ui.note(m_status.roomName);
    ImGui::Text("%s", m_status.roomName.c_str());
    ImGui::Text("Mode: %s", m_status.systemName.c_str());
    ImGui::Text("Frame: %.2f ms  (CPU %.2f ms)", ui.stats.frameMs, ui.stats.cpuMs);
    ImGui::Text("Connection: %s", m_status.connection().c_str());
    ImGui::Text("People in room: %zu", m_status.headcount());
    if (m_status.voice) ImGui::Text("%s", m_status.voiceLine().c_str());
    ImGui::End();
}

void StatusOverlayComponent::contribute(const FrameContext&, engine::FrameScene& scene) { scene.drawOverlay = true; }

// --- VR panel

VrPanelComponent::VrPanelComponent(const PanelLayout& layout, bool account, LocalPlayerComponent& local,
                                   RoomStatus status, Haptic haptic)
    : m_panel(layout), m_account(account), m_local(local), m_status(std::move(status)), m_haptic(std::move(haptic)) {}

void VrPanelComponent::update(FrameContext& frame) {
    const LocalPlayer& player = *m_local.player();
    // The laser is the panel's mouse: where it meets the panel, and the
    // right select as the left button.
    m_panel.menuButton(frame.input.menu);
    m_panel.aim(player.toWorld(m_panel.layout().inStage), player.aimWorld(), player.aimTracked());
    // Before the UI layer's frame starts, which reads the mouse.
    ImGuiIO& io = ImGui::GetIO();
    const auto pointer = m_panel.pointerPixels();
    io.MousePos = pointer ? ImVec2(pointer->x, pointer->y) : ImVec2(-FLT_MAX, -FLT_MAX);
    io.MouseDown[0] = pointer && frame.input.hands[1].select;
}

void VrPanelComponent::drawUi(UiContext& ui) {
    PanelLayout top = m_panel.layout();
    top.heightPx -= m_account ? kMentorshipPanelPx : 0;
    m_result = buildPanelUi(top, m_panel.toggled(), m_status.systemName, m_status.roomName, m_status.headcount(),
                            m_status.connection(), m_status.voiceLine());
    ui.contentArea.reset();
    if (m_account) ui.contentArea = UiArea{0.0f, float(top.heightPx), float(top.widthPx), float(kMentorshipPanelPx), 1.5f};
}

void VrPanelComponent::contribute(const FrameContext&, engine::FrameScene& scene) {
    const PanelFeedback fb = m_panel.uiResult(m_result.buttonHovered, m_result.clicked);
    if (fb.hoverEntered) m_haptic(1, 0.3f, 0.02f);
    if (fb.pressed) m_haptic(1, 0.8f, 0.06f);
    m_panel.append(scene);
}

}  // namespace mxr::scenes
