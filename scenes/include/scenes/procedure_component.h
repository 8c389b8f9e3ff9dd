#pragma once
// The step card as a client component: the ProcedureCard model
// (procedure_card.h) fed by the room (the shared step through RoomPresence,
// records through the presence's ENet channel), drawn twice:
// - an ImGui window "Procedure" (desktop and headless: the overlay's lower
//   left): "Step 2 of 5: Tighten the clamp", the instruction, expected
//   duration and time on this step, Back / Next / Done, and for a mentor in
//   a mentorship room Save (with the server's answer);
// - a card in the world at the workspace (labels over its back edge, facing
//   its front), seen in VR, AR and on the desktop alike.
// The current step's annotations are drawn by the annotation code from the
// step id (currentStepId()); this component only says which step is current.
//
// Thread: main thread only. Answers to the card's records requests reach it
// through RecordsComponent (which polls the presence's one answer queue)
// via onResponse().
#include <array>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "scenes/client_component.h"
#include "scenes/procedure_card.h"

namespace mxr::scenes {

class PresenceComponent;
class WorkspaceComponent;

struct ProcedureComponentOptions {
    bool window = true;  // draw the ImGui window (desktop, headless); VR: the world card only
    // Where the card stands when there is no workspace: room coordinates.
    Pose cardPose{Vec3(0.9f, 1.35f, -1.0f), Quat(1.0f, 0.0f, 0.0f, 0.0f)};
};

class ProcedureComponent final : public ClientComponent {
public:
    // `presence` null offline; `workspace` null without one. Both must
    // outlive the component. `print` takes the card's announcements.
    ProcedureComponent(std::unique_ptr<ProcedureCard> card, PresenceComponent* presence,
                       const WorkspaceComponent* workspace, ProcedureComponentOptions options,
                       std::function<void(const std::string&)> print);
    void update(FrameContext& frame) override;
    void drawUi(UiContext& ui) override;
    void contribute(const FrameContext& frame, engine::FrameScene& scene) override;

    ProcedureCard& card() { return *m_card; }
    const ProcedureCard& card() const { return *m_card; }
    // An answer to one of the card's requests (false: not the card's).
    bool onResponse(const net::ApiResponse& response) { return m_card->onResponse(response); }
    // Sends what the card has queued now (as the loop does each frame).
    void sendNow();
    // The card's lines in the world this frame (tests read them).
    const std::vector<std::string>& cardLines() const { return m_lines; }

private:
    std::unique_ptr<ProcedureCard> m_card;
    PresenceComponent* m_presence;
    const WorkspaceComponent* m_workspace;
    ProcedureComponentOptions m_options;
    std::function<void(const std::string&)> m_print;
    std::vector<std::string> m_lines;
    // The step being written in the window (title, instruction, expected
    // seconds) and why the last one was refused.
    struct StepDraft {
        std::array<char, 201> title{};
        std::array<char, 4001> instruction{};
        int expectedSeconds = 0;
        std::string problem;
    };
    StepDraft m_draft;
};

// The card's lines as shown in the world: heading, instruction, timing.
std::vector<std::string> procedureCardLines(const ProcedureCard& card);

}  // namespace mxr::scenes
