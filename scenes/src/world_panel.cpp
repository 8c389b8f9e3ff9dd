#include "scenes/world_panel.h"

#include <imgui.h>

#include <cmath>

#include "scenes/ar_view.h"

namespace mxr::scenes {

Vec3 WorldPanel::pixelToWorld(Vec2 px) const {
    const Vec2 local((px.x / float(m_layout.widthPx) - 0.5f) * m_layout.sizeMetres.x,
                     (0.5f - px.y / float(m_layout.heightPx)) * m_layout.sizeMetres.y);
    return m_pose.transformPoint(Vec3(local, 0.0f));
}

Vec3 WorldPanel::buttonCentre() const { return pixelToWorld(m_layout.buttonPos + 0.5f * m_layout.buttonSize); }

void WorldPanel::menuButton(bool down) {
    if (down && !m_menuWasDown) m_visible = !m_visible;
    m_menuWasDown = down;
}

void WorldPanel::aim(const Pose& panelPose, const Pose& aim, bool aimTracked) {
    m_pose = panelPose;
    m_aim = aim;
    m_aimTracked = aimTracked;
    m_hit.reset();
    m_pointer.reset();
    if (!aimTracked || !m_visible) return;
    const Vec3 normal = m_pose.orientation * Vec3(0, 0, 1);
    const Vec3 dir = aim.forward();
    const float denom = glm::dot(dir, normal);
    if (denom > -1e-4f) return;  // parallel, or from behind
    const float t = glm::dot(m_pose.position - aim.position, normal) / denom;
    if (t <= 0.0f || t > 10.0f) return;
    const Vec3 hit = aim.position + dir * t;
    const Vec3 local = glm::inverse(m_pose.orientation) * (hit - m_pose.position);
    const Vec2 half = 0.5f * m_layout.sizeMetres;
    if (std::abs(local.x) > half.x || std::abs(local.y) > half.y) return;
    m_hit = hit;
    m_pointer = Vec2((local.x / m_layout.sizeMetres.x + 0.5f) * float(m_layout.widthPx),
                     (0.5f - local.y / m_layout.sizeMetres.y) * float(m_layout.heightPx));
}

PanelFeedback WorldPanel::uiResult(bool buttonHovered, bool clicked) {
    PanelFeedback fb;
    fb.hoverEntered = buttonHovered && !m_hovered;
    m_hovered = buttonHovered;
    if (clicked) {
        fb.pressed = true;
        m_toggled = !m_toggled;
        ++m_presses;
    }
    return fb;
}

void WorldPanel::append(engine::FrameScene& scene) const {
    if (!m_visible) return;
    Mat4 m = glm::mat4_cast(m_pose.orientation);
    m[0] *= m_layout.sizeMetres.x;
    m[1] *= m_layout.sizeMetres.y;
    m[3] = Vec4(m_pose.position, 1.0f);
    scene.overlayQuad = m;
    scene.drawOverlay = true;
    if (m_aimTracked) {
        const Vec3 end = m_hit ? *m_hit : m_aim.position + m_aim.forward() * 2.0f;
        scene.lines.push_back({m_aim.position, end, 0.004f,
                               m_hit ? Vec4(0.5f, 0.8f, 1.0f, 1.0f) : Vec4(0.9f, 0.9f, 0.95f, 0.6f), false});
    }
}

PanelUi buildPanelUi(const PanelLayout& layout, bool handRaised, const std::string& systemName,
                     const std::string& roomName, std::size_t people, const std::string& connection,
                     const std::string& voice) {
    PanelUi out;
    ImGui::SetNextWindowPos(ImVec2(0, 0), ImGuiCond_Always);
    ImGui::SetNextWindowSize(ImVec2(float(layout.widthPx), float(layout.heightPx)), ImGuiCond_Always);
    setNextPanelBgAlpha(0.92f);
    ImGui::Begin("MentorXR panel", nullptr,
                 ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoSavedSettings);
    ImGui::SetWindowFontScale(2.0f);
    ImGui::Text("%s", roomName.c_str());
    ImGui::Text("Mode: %s   People: %zu", systemName.c_str(), people);
    ImGui::Text("Connection: %s", connection.c_str());
    if (!voice.empty()) ImGui::Text("%s", voice.c_str());
    ImGui::Text("Point here and pull the trigger:");
    ImGui::SetCursorPos(ImVec2(layout.buttonPos.x, layout.buttonPos.y));
    out.clicked = ImGui::Button(handRaised ? "Lower hand" : "Raise hand",
                                ImVec2(layout.buttonSize.x, layout.buttonSize.y));
    out.buttonHovered = ImGui::IsItemHovered();
    ImGui::End();
    return out;
}

}  // namespace mxr::scenes
