// The AR view: no room geometry, a transparent clear, and on additive
// displays labels and panels that stay legible (scenes/ar_view.h).
#include "scenes/ar_view.h"

#include <imgui.h>

#include <algorithm>

namespace mxr::scenes {
namespace {

float luminance(const Vec3& c) { return 0.2126f * c.r + 0.7152f * c.g + 0.0722f * c.b; }

// Keeps the hue, raises the light: mixes toward white until the
// luminance reaches `floor` (an additive display adds light; it cannot
// darken, so a colour's only contrast is how bright it is).
Vec3 brighten(const Vec3& c, float floor) {
    const float l = luminance(c);
    if (l >= floor) return c;
    const float t = (floor - l) / std::max(1.0f - l, 1e-3f);
    return glm::mix(c, Vec3(1.0f), t);
}

}  // namespace

void appendSeeThroughRoom(const Room& room, engine::FrameScene& scene) {
    scene.clearColor = Vec4(0.0f);
    scene.ambient = room.ambient;
    for (const auto& l : room.lights) scene.lights.push_back({l.position, l.color, l.intensity, l.range});
}

void makeLegibleOnAdditive(engine::FrameScene& scene) {
    for (auto& label : scene.labels) {
        label.background = Vec4(0.0f);
        label.color = Vec4(brighten(Vec3(label.color), kAdditiveMinLuminance), std::max(label.color.a, 0.9f));
    }
    for (auto& line : scene.lines) {
        line.color = Vec4(brighten(Vec3(line.color), kAdditiveMinLuminance), std::max(line.color.a, 0.9f));
    }
}

void applyUiStyle(xr::BlendMode mode) {
    if (ImGui::GetCurrentContext() == nullptr || mode != xr::BlendMode::kAdditive) return;
    ImGuiStyle& style = ImGui::GetStyle();
    style.WindowBorderSize = 2.0f;
    style.FrameBorderSize = 1.5f;
    style.ChildBorderSize = 1.0f;
    ImVec4* c = style.Colors;
    const ImVec4 none(0.0f, 0.0f, 0.0f, 0.0f);
    const ImVec4 outline(0.45f, 0.95f, 1.0f, 1.0f);  // bright cyan
    const ImVec4 accent(0.45f, 0.95f, 1.0f, 0.35f);  // a faint glow where hovered or active
    for (ImGuiCol id : {ImGuiCol_WindowBg, ImGuiCol_ChildBg, ImGuiCol_PopupBg, ImGuiCol_FrameBg, ImGuiCol_TitleBg,
                        ImGuiCol_TitleBgCollapsed, ImGuiCol_MenuBarBg, ImGuiCol_ScrollbarBg, ImGuiCol_Button,
                        ImGuiCol_Header, ImGuiCol_Tab, ImGuiCol_TableHeaderBg, ImGuiCol_TableRowBg,
                        ImGuiCol_TableRowBgAlt, ImGuiCol_ModalWindowDimBg}) {
        c[id] = none;
    }
    for (ImGuiCol id : {ImGuiCol_FrameBgHovered, ImGuiCol_FrameBgActive, ImGuiCol_TitleBgActive, ImGuiCol_ButtonHovered,
                        ImGuiCol_ButtonActive, ImGuiCol_HeaderHovered, ImGuiCol_HeaderActive, ImGuiCol_TabHovered,
                        ImGuiCol_TabActive}) {
        c[id] = accent;
    }
    for (ImGuiCol id : {ImGuiCol_Border, ImGuiCol_Separator, ImGuiCol_CheckMark, ImGuiCol_SliderGrab,
                        ImGuiCol_SliderGrabActive, ImGuiCol_ScrollbarGrab, ImGuiCol_PlotHistogram, ImGuiCol_PlotLines,
                        ImGuiCol_TableBorderStrong, ImGuiCol_TableBorderLight}) {
        c[id] = outline;
    }
    c[ImGuiCol_Text] = ImVec4(1.0f, 1.0f, 1.0f, 1.0f);
    c[ImGuiCol_TextDisabled] = ImVec4(0.75f, 0.75f, 0.75f, 1.0f);
    c[ImGuiCol_BorderShadow] = none;
}

void setNextPanelBgAlpha(float alpha) {
    // The additive style is the one with a fully transparent window fill.
    if (ImGui::GetStyle().Colors[ImGuiCol_WindowBg].w == 0.0f) return;
    ImGui::SetNextWindowBgAlpha(alpha);
}

}  // namespace mxr::scenes
