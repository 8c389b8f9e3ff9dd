#include "records_panel_ui.h"

#include <imgui.h>

#include "scenes/ar_view.h"

namespace mxr::scenes {

namespace {

void ratingSlider(const char* label, int& value) { ImGui::SliderInt(label, &value, 1, 5); }

// Wide enough for a goal's row; text wraps here (in an auto-resizing
// window, wrapped text would otherwise shrink the window to a column).
constexpr float kWrapWidth = 340.0f;

void endWindow() {
    ImGui::PopTextWrapPos();
    ImGui::End();
}

std::string memberLabel(const Member& m) { return strCat(m.mentor ? "mentor #" : "mentee #", m.personId); }

}  // namespace

void buildRecordsUi(RecordsPanel& panel, RecordsUiState& ui, const RecordsUiPlacement& where) {
    const bool fixed = where.width > 0.0f && where.height > 0.0f;
    ImGui::SetNextWindowPos(ImVec2(where.x, where.y), ImGuiCond_Always);
    if (fixed) ImGui::SetNextWindowSize(ImVec2(where.width, where.height), ImGuiCond_Always);
    setNextPanelBgAlpha(fixed ? 0.92f : 0.8f);
    ImGui::Begin("Mentorship", nullptr,
                 ImGuiWindowFlags_NoResize | ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoSavedSettings |
                     ImGuiWindowFlags_NoCollapse | (fixed ? 0 : ImGuiWindowFlags_AlwaysAutoResize));
    ImGui::SetWindowFontScale(where.fontScale);
    // 0 wraps at the window's edge (fixed size); an auto-sized window needs a width.
    ImGui::PushTextWrapPos(fixed ? 0.0f : kWrapWidth);
    const RecordsPhase phase = panel.phase();
    // Text from records and from the user can be in any script: its
    // characters go into the UI's font atlas (UiContext::noteText).
    const auto note = [&](std::string_view text) {
        if (where.ui) where.ui->note(text);
    };
    note(panel.statusText());
    ImGui::TextUnformatted(panel.statusText().c_str());
    if (phase != RecordsPhase::kReady && phase != RecordsPhase::kLoading) {
        endWindow();
        return;
    }
    if (ImGui::SmallButton("Refresh")) panel.refresh();
    const std::string next = panel.nextSessionText();
    note(next);
    ImGui::TextUnformatted(next.c_str());

    ImGui::Separator();
    ImGui::TextUnformatted("Goals");
    if (panel.goals().empty()) ImGui::TextDisabled("no goals yet");
    for (GoalRow& g : panel.goals()) {
        ImGui::PushID(static_cast<int>(g.id));
        note(g.title);
        note(g.answer);
        ImGui::Text("#%lld %s (%s, %d%%)", static_cast<long long>(g.id), g.title.c_str(), g.status.c_str(), g.progress);
        ImGui::SetNextItemWidth(180.0f);
        ImGui::SliderInt("##progress", &g.editProgress, 0, 100, "%d%%");
        ImGui::SameLine();
        if (g.saving) {
            ImGui::TextDisabled("saving...");
        } else if (ImGui::Button("Save")) {
            panel.saveProgress(g.id, g.editProgress);
        }
        if (!g.answer.empty()) ImGui::TextUnformatted(g.answer.c_str());
        ImGui::PopID();
    }

    ImGui::Separator();
    ImGui::TextUnformatted("Session feedback");
    if (!panel.mentorshipId()) {
        ImGui::TextDisabled("in a mentorship's room (mentorship-<id>)");
        endWindow();
        return;
    }
    if (!panel.currentSession()) {
        ImGui::TextDisabled("no recorded session yet");
        endWindow();
        return;
    }
    note(panel.currentSessionLabel());
    note(panel.feedbackAnswer());
    note(ui.text.data());  // what the user typed
    ImGui::Text("About %s", panel.currentSessionLabel().c_str());
    const auto& members = panel.members();
    std::string current = "choose";
    if (ui.subjectIndex >= 0 && ui.subjectIndex < static_cast<int>(members.size())) {
        current = memberLabel(members[static_cast<std::size_t>(ui.subjectIndex)]);
    } else if (auto d = panel.defaultSubject()) {
        for (const auto& m : members) {
            if (m.personId == *d) current = memberLabel(m);
        }
    }
    if (ImGui::BeginCombo("for", current.c_str())) {
        for (std::size_t i = 0; i < members.size(); ++i) {
            if (ImGui::Selectable(memberLabel(members[i]).c_str(), ui.subjectIndex == static_cast<int>(i))) {
                ui.subjectIndex = static_cast<int>(i);
            }
        }
        ImGui::EndCombo();
    }
    ImGui::SetNextItemWidth(120.0f);
    ratingSlider("goal progress", ui.draft.ratingGoalProgress);
    ImGui::SetNextItemWidth(120.0f);
    ratingSlider("communication", ui.draft.ratingCommunication);
    ImGui::SetNextItemWidth(120.0f);
    ratingSlider("trust and respect", ui.draft.ratingTrustRespect);
    ImGui::SetNextItemWidth(120.0f);
    ratingSlider("usefulness", ui.draft.ratingUsefulness);
    ImGui::InputTextMultiline("##text", ui.text.data(), ui.text.size(), ImVec2(300.0f, 60.0f));
    int visibility = ui.draft.programManagerOnly ? 1 : 0;
    ImGui::RadioButton("pair", &visibility, 0);
    ImGui::SameLine();
    ImGui::RadioButton("program managers only", &visibility, 1);
    ui.draft.programManagerOnly = visibility == 1;
    if (panel.feedbackSending()) {
        ImGui::TextDisabled("sending...");
    } else if (ImGui::Button("Send feedback")) {
        FeedbackDraft d = ui.draft;
        d.text = ui.text.data();
        if (ui.subjectIndex >= 0 && ui.subjectIndex < static_cast<int>(members.size())) {
            d.subjectId = members[static_cast<std::size_t>(ui.subjectIndex)].personId;
        }
        panel.submitFeedback(d);
    }
    if (!panel.feedbackAnswer().empty()) ImGui::TextUnformatted(panel.feedbackAnswer().c_str());
    endWindow();
}

}  // namespace mxr::scenes
