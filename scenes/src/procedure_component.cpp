// The step card component (scenes/procedure_component.h).
#include "scenes/procedure_component.h"

#include <imgui.h>

#include "scenes/ar_view.h"
#include "scenes/client_components.h"
#include "scenes/workspace.h"

namespace mxr::scenes {

namespace {

constexpr float kWrapWidth = 360.0f;
constexpr float kCardLineHeight = 0.045f;  // metres per line: readable at a bench's distance
constexpr float kCardWidth = 0.7f;
constexpr float kCardHeight = 1.55f;  // the heading's height above the floor

}  // namespace

std::vector<std::string> procedureCardLines(const ProcedureCard& card) {
    std::vector<std::string> lines{card.heading()};
    if (const ProcedureStepDef* s = card.currentStep()) {
        if (!s->instruction.empty()) lines.push_back(s->instruction);
        lines.push_back(card.timing());
    }
    return lines;
}

ProcedureComponent::ProcedureComponent(std::unique_ptr<ProcedureCard> card, PresenceComponent* presence,
                                       const WorkspaceComponent* workspace, ProcedureComponentOptions options,
                                       std::function<void(const std::string&)> print)
    : m_card(std::move(card)),
      m_presence(presence),
      m_workspace(workspace),
      m_options(options),
      m_print(std::move(print)) {}

void ProcedureComponent::sendNow() {
    if (!m_presence) return;
    RoomPresence& presence = m_presence->presence();
    m_card->update(presence.phase() == ConnectionPhase::kInRoom,
                   [&](net::ApiMethod m, const std::string& path, const std::string& body) {
                       return presence.sendApiRequest(m, path, body);
                   });
}

void ProcedureComponent::update(FrameContext&) {
    if (m_presence) {
        m_card->setSelfRole(m_presence->presence().selfRole());
        sendNow();
    } else {
        m_card->update(false, {});
    }
    for (const auto& line : m_card->takeAnnouncements()) m_print(line);
}

void ProcedureComponent::drawUi(UiContext& ui) {
    if (!m_options.window || (!m_card->procedure() && !m_presence)) return;
    const ImVec2 display = ImGui::GetIO().DisplaySize;
    ImGui::SetNextWindowPos(ImVec2(12.0f, display.y - 12.0f), ImGuiCond_Always, ImVec2(0.0f, 1.0f));
    setNextPanelBgAlpha(0.8f);
    ImGui::Begin("Procedure", nullptr,
                 ImGuiWindowFlags_NoResize | ImGuiWindowFlags_AlwaysAutoResize | ImGuiWindowFlags_NoMove |
                     ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoCollapse);
    ImGui::PushTextWrapPos(kWrapWidth);
    ProcedureCard& card = *m_card;
    if (const auto& p = card.procedure()) {
        ui.note(p->title);
        ImGui::TextDisabled("%s", p->title.c_str());
    }
    for (const auto& line : procedureCardLines(card)) {
        ui.note(line);
        ImGui::TextUnformatted(line.c_str());
    }
    if (card.procedure()) {
        ImGui::BeginDisabled(card.step() == 0);
        if (ImGui::Button("Back")) card.back();
        ImGui::EndDisabled();
        ImGui::SameLine();
        ImGui::BeginDisabled(card.step() + 1 >= card.stepCount());
        if (ImGui::Button("Next")) card.next();
        ImGui::EndDisabled();
        ImGui::SameLine();
        ImGui::BeginDisabled(card.finished());
        if (ImGui::Button("Done")) card.done();
        ImGui::EndDisabled();
        if (card.mayEdit() && !card.mentee()) {
            ImGui::SameLine();
            ImGui::BeginDisabled(card.procedure()->serverId > 0);
            if (ImGui::Button("Save")) card.save();
            ImGui::EndDisabled();
        }
    }
    // Authoring in the session: a mentor (or anyone offline) writes a step.
    if (!card.mentee()) {
        ImGui::Separator();
        ImGui::InputText("step title", m_draft.title.data(), m_draft.title.size());
        ImGui::InputTextMultiline("instruction", m_draft.instruction.data(), m_draft.instruction.size(),
                                  ImVec2(kWrapWidth, 60.0f));
        ImGui::InputInt("expected s", &m_draft.expectedSeconds);
        if (ImGui::Button("Add step")) {
            auto step = newProcedureStep(m_draft.title.data(), m_draft.instruction.data(),
                                         m_draft.expectedSeconds > 0 ? std::optional<int>(m_draft.expectedSeconds)
                                                                     : std::nullopt);
            if (!step) {
                m_draft.problem = step.error().message;
            } else if (card.addStep(std::move(*step))) {
                m_draft = StepDraft{};
            }
        }
        if (!m_draft.problem.empty()) ImGui::TextWrapped("%s", m_draft.problem.c_str());
    }
    for (const std::string* answer : {&card.saveAnswer(), &card.lastAnswer()}) {
        if (answer->empty()) continue;
        ui.note(*answer);
        ImGui::TextUnformatted(answer->c_str());
    }
    ImGui::PopTextWrapPos();
    ImGui::End();
}

void ProcedureComponent::contribute(const FrameContext&, engine::FrameScene& scene) {
    m_lines.clear();
    if (!m_card->procedure()) return;
    m_lines = procedureCardLines(*m_card);
    // Over the workspace's back edge, above eye level of someone bent over
    // the work, facing its front: read while looking at the work, never in
    // front of it.
    Pose at = m_options.cardPose;
    if (m_workspace) {
        const Pose& w = m_workspace->pose();
        at = Pose{w.transformPoint(Vec3(0.0f, kCardHeight, -0.5f * m_workspace->def().size.y)), w.orientation};
    }
    const Vec3 facing = at.orientation * Vec3(0.0f, 0.0f, 1.0f);
    const Vec3 down = Vec3(0.0f, -1.0f, 0.0f);
    float y = 0.0f;
    for (std::size_t i = 0; i < m_lines.size(); ++i) {
        engine::Label l;
        l.text = m_lines[i];
        l.anchor = at.position + down * y;
        l.facing = facing;
        l.height = i == 0 ? kCardLineHeight * 1.3f : kCardLineHeight;
        l.color = i == 0 ? Vec4(1.0f, 0.85f, 0.35f, 1.0f) : Vec4(1.0f);
        l.maxWidth = kCardWidth;
        // Long instructions wrap: leave room for a few lines.
        const float lines = i == 1 ? std::min(4.0f, 1.0f + float(m_lines[i].size()) / 40.0f) : 1.0f;
        y += l.height * 1.25f * lines + 0.01f;
        scene.labels.push_back(std::move(l));
    }
}

}  // namespace mxr::scenes
