// AnnotationComponent: the annotation tools' input (desktop mouse and keys
// through ImGui, a headset's controllers) and drawing
// (scenes/annotation_tools.h).
#include <imgui.h>

#include "scenes/annotation_tools.h"
#include "scenes/ar_view.h"
#include "scenes/procedure_card.h"

namespace mxr::scenes {
namespace {

constexpr float kFlickOn = 0.7f;   // a stick flick past this...
constexpr float kFlickOff = 0.3f;  // ...counts once, re-armed back under this
constexpr std::size_t kRefusalsShown = 4;

std::string toolLine(const AnnotationEditor& e) {
    return strCat("annotations: tool ", toString(e.tool()), ", colour ", net::kAnnotationPalette[e.colour()].name);
}

}  // namespace

AnnotationComponent::AnnotationComponent(net::AnnotationReplica& replica, const WorkspaceComponent& workspace,
                                         WorkspaceSurface surface, const SceneMeshes& meshes, xr::BlendMode blend,
                                         const LocalPlayer* player, LineSink print)
    : m_replica(replica),
      m_workspace(workspace),
      m_surface(std::move(surface)),
      m_meshes(meshes),
      m_blend(blend),
      m_player(player),
      m_print(std::move(print)),
      m_editor(replica) {}

void AnnotationComponent::say(const std::string& line) {
    if (m_print) m_print(line);
}

// Printed once, and kept for the tool window.
void AnnotationComponent::show(std::string line) {
    say(line);
    m_refusals.push_back(std::move(line));
    if (m_refusals.size() > kRefusalsShown) m_refusals.erase(m_refusals.begin());
}

void AnnotationComponent::cycleTool(int step) {
    const int n = int(kAnnotationTools.size());
    const int at = int(m_editor.tool());
    m_editor.setTool(kAnnotationTools[std::size_t(((at + step) % n + n) % n)]);
    say(toolLine(m_editor));
}

void AnnotationComponent::cycleColour(int step) {
    const int n = int(net::kAnnotationPalette.size());
    m_editor.setColour(std::uint8_t(((int(m_editor.colour()) + step) % n + n) % n));
    say(toolLine(m_editor));
}

void AnnotationComponent::controllers(const xr::InputState& in) {
    const xr::HandInput& right = in.hands[1];
    const xr::HandInput& left = in.hands[0];
    // The controllers are tracked in the play space; the workspace is in the room.
    m_rightGrip = m_player->toWorld(right.grip);
    m_rightTracked = right.tracked;
    m_pointer.reset();
    if (right.tracked) {
        const Ray ray = toWorkspace(rayFromAim(m_player->toWorld(right.aim)), m_workspace.pose());
        // Squeeze + trigger places the workspace (workspace.h): not a stroke.
        // With hand tracking the right pinch is the trigger.
        const bool press = (right.select && !right.squeeze) || isPinching(in.joints[1]);
        m_pointer = PointerSample{ray, m_surface.hit(ray), press};
        m_editor.pointer(*m_pointer);
    }
    if (left.tracked) {
        const Vec2 s = left.thumbstick;
        for (int axis = 0; axis < 2; ++axis) {
            const float v = s[axis];
            if (m_stickArmed[axis] > 0.0f && std::abs(v) > kFlickOn) {
                m_stickArmed[axis] = 0.0f;
                // x: the tool; y: the colour (up is the next one).
                if (axis == 0)
                    cycleTool(v > 0.0f ? 1 : -1);
                else
                    cycleColour(v > 0.0f ? 1 : -1);
            } else if (std::abs(v) < kFlickOff) {
                m_stickArmed[axis] = 1.0f;
            }
        }
        // The left trigger deletes what the right ray points at, else the selection.
        if (left.select && !m_leftSelectWas) {
            std::optional<net::AnnotationId> at;
            if (m_pointer) at = pickAnnotation(m_replica.view(), m_pointer->ray);
            m_editor.remove(at);
        }
        m_leftSelectWas = left.select;
    }
}

// The author the current step's annotations are drawn as: never a
// member's (authors count up from 1), and they are not the room's.
constexpr net::AuthorId kStepAuthor = 0xffff;

void AnnotationComponent::followStep() {
    // Compared in place each frame; copied only when the step changed.
    static const std::string kNone;
    const ProcedureStepDef* step = m_card ? m_card->currentStep() : nullptr;
    const std::string& text = step ? step->annotationsJson : kNone;
    if (text == m_stepText) return;
    m_stepText = text;
    m_stepState = net::AnnotationState();
    ++m_stepRevision;
    if (text.empty()) return;
    // Checked when the procedure was read (procedure.cpp), so a failure
    // here is a record from the server another client wrote wrongly: said
    // once, and the step drawn without them.
    auto list = parseAnnotationList(text, "the procedure", "annotations");
    if (!list) return show(strCat("annotations: this step's cannot be drawn: ", list.error().message));
    std::uint16_t serial = 0;
    for (const auto& a : *list) {
        net::AnnotationOp op;
        op.id = net::makeAnnotationId(kStepAuthor, ++serial);
        op.stamp = m_stepState.nextStamp(kStepAuthor);
        op.kind = a.kind;
        op.fields = net::fieldsOf(a.kind);
        op.values = a.values;
        if (auto r = m_stepState.apply(op, {kStepAuthor, true}); !r) {
            show(strCat("annotations: this step's annotation ", serial, " cannot be drawn: ", r.error().message));
        }
    }
}

std::size_t AnnotationComponent::keepInCurrentStep() {
    if (!m_card) return 0;
    std::vector<WorkspaceAnnotation> kept;
    std::vector<net::AnnotationId> ids;
    for (const auto& [id, a] : m_replica.view().live()) {
        if (a.values.step != 0 || !m_replica.mayChange(id)) continue;
        kept.push_back({a.kind, a.values});
        ids.push_back(id);
    }
    if (kept.empty()) {
        show("annotations: nothing to keep in the step (only free annotations you may change are kept)");
        return 0;
    }
    if (!m_card->keepInStep(annotationListJson(kept), kept.size())) return 0;
    for (const auto id : ids) {
        if (auto r = m_replica.remove(id); !r) show(strCat("annotations: ", r.error().message));
    }
    followStep();
    return kept.size();
}

void AnnotationComponent::update(FrameContext& frame) {
    m_eye = frame.views.empty() ? std::nullopt : std::optional<engine::ViewInfo>(frame.views[0]);
    followStep();
    for (auto& r : m_replica.takeRefusals()) show(strCat("annotations: the room refused a change: ", r));
    if (m_player && !frame.idle && frame.input.focused) controllers(frame.input);
    for (auto& m : m_editor.takeMessages()) show(std::move(m));
}

void AnnotationComponent::drawUi(UiContext&) {
    if (m_player || ImGui::GetCurrentContext() == nullptr) return;
    ImGuiIO& io = ImGui::GetIO();
    // The tool window: below the status window, on the left.
    ImGui::SetNextWindowPos(ImVec2(12.0f, 140.0f), ImGuiCond_FirstUseEver);
    setNextPanelBgAlpha(0.8f);
    if (ImGui::Begin("Annotate", nullptr, ImGuiWindowFlags_AlwaysAutoResize)) {
        for (std::size_t i = 0; i < kAnnotationTools.size(); ++i) {
            const AnnotationTool t = kAnnotationTools[i];
            if (i % 4) ImGui::SameLine();
            if (ImGui::RadioButton(strCat(i, " ", toString(t)).c_str(), m_editor.tool() == t)) m_editor.setTool(t);
        }
        for (std::size_t i = 0; i < net::kAnnotationPalette.size(); ++i) {
            const auto& p = net::kAnnotationPalette[i];
            if (i) ImGui::SameLine();
            const ImVec4 c(p.r / 255.0f, p.g / 255.0f, p.b / 255.0f, 1.0f);
            ImGui::PushID(int(i));
            const bool chosen = m_editor.colour() == i;
            if (chosen) ImGui::PushStyleVar(ImGuiStyleVar_FrameBorderSize, 3.0f);
            if (ImGui::ColorButton(p.name, c, ImGuiColorEditFlags_NoTooltip, ImVec2(22, 22))) {
                m_editor.setColour(std::uint8_t(i));
            }
            if (chosen) ImGui::PopStyleVar();
            ImGui::PopID();
        }
        char text[net::kMaxLabelBytes + 1] = {};
        const std::string& current = m_editor.labelText();
        current.copy(text, std::min(current.size(), net::kMaxLabelBytes));
        if (ImGui::InputText("label", text, sizeof text)) m_editor.setLabelText(text);
        const auto sel = m_editor.selected();
        ImGui::BeginDisabled(!sel || !m_replica.mayChange(*sel));
        if (ImGui::Button("Delete")) m_editor.remove();
        ImGui::EndDisabled();
        ImGui::SameLine();
        ImGui::TextUnformatted(sel ? strCat("selected ", net::authorOf(*sel), ":", net::serialOf(*sel)).c_str()
                                   : "nothing selected");
        ImGui::TextUnformatted(strCat(m_replica.view().live().size(), " annotations").c_str());
        if (m_card && m_card->currentStep()) {
            if (ImGui::Button(strCat("Keep in step ", m_card->step() + 1).c_str())) keepInCurrentStep();
            if (ImGui::IsItemHovered()) {
                ImGui::SetTooltip("Moves the room's free annotations you may change into the procedure's current step");
            }
        }
        for (const auto& r : m_refusals) ImGui::TextWrapped("%s", r.c_str());
    }
    ImGui::End();
    // Keys: 0-6 pick the tool, C the next colour, Delete deletes the selection.
    if (!io.WantTextInput) {
        for (ImWchar ch : io.InputQueueCharacters) {
            if (ch >= '0' && ch < '0' + int(kAnnotationTools.size())) {
                m_editor.setTool(kAnnotationTools[std::size_t(ch - '0')]);
            } else if (ch == 'c' || ch == 'C') {
                cycleColour(1);
            }
        }
        if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Delete), false)) m_editor.remove();
    }
    // The mouse: a press on a window is ImGui's (WantCaptureMouse); one
    // begun on the view stays the tools' while it is held (ImGui keeps
    // WantCaptureMouse off for it, even over a window).
    m_pointer.reset();
    if (m_eye && io.DisplaySize.x > 0.0f && ImGui::IsMousePosValid()) {  // headless: no mouse
        const Ray room =
            rayThroughPixel(*m_eye, Vec2(io.MousePos.x, io.MousePos.y), Vec2(io.DisplaySize.x, io.DisplaySize.y));
        const Ray ray = toWorkspace(room, m_workspace.pose());
        m_pointer = PointerSample{ray, m_surface.hit(ray), io.MouseDown[0] && !io.WantCaptureMouse};
        m_editor.pointer(*m_pointer);
    }
    for (auto& m : m_editor.takeMessages()) show(std::move(m));
}

void AnnotationComponent::contribute(const FrameContext&, engine::FrameScene& scene) {
    const bool additive = m_blend == xr::BlendMode::kAdditive;
    const Pose& ws = m_workspace.pose();
    const auto sel = m_editor.selected();
    m_view.update(m_replica.view(), AnnotationViewKey{m_replica.revision(), ws, additive, sel.value_or(0)});
    m_view.append(m_meshes, scene);
    m_stepView.update(m_stepState, AnnotationViewKey{m_stepRevision, ws, additive, 0});
    m_stepView.append(m_meshes, scene);
    if (auto d = m_editor.draft()) appendAnnotationOutline(d->kind, d->values, ws, additive, scene.lines, scene.labels);
    if (!m_player) return;
    // In a headset: where the ray lands, and the tool and colour by the hand.
    const Vec4 colour = annotationColour(m_editor.colour(), additive);
    if (m_pointer && m_pointer->hit) {
        const Vec3 at = ws.transformPoint(m_pointer->hit->point);
        scene.lines.push_back({ws.transformPoint(m_pointer->ray.origin), at, 0.002f, colour, false});
        scene.lines.push_back({at, at + ws.orientation * (m_pointer->hit->normal * 0.01f), 0.012f, colour, false});
    }
    if (m_rightTracked) {
        engine::Label l;
        l.text = strCat(toString(m_editor.tool()), " - ", net::kAnnotationPalette[m_editor.colour()].name);
        l.anchor = m_rightGrip.position + Vec3(0.0f, 0.08f, 0.0f);
        l.height = 0.022f;
        l.color = colour;
        scene.labels.push_back(std::move(l));
    }
}

}  // namespace mxr::scenes
