#include "scenes/world_panel.h"

#include <cmath>

namespace mxr::scenes {
namespace {

// Button: lower part of the plate, in plate coordinates (metres, y up).
constexpr Vec2 kButtonHalf{0.11f, 0.04f};
constexpr float kButtonY = -0.09f;

Mat4 plateMatrix(const Vec3& p, const Quat& q, const Vec3& s) {
    Mat4 m = glm::mat4_cast(q);
    m[0] *= s.x;
    m[1] *= s.y;
    m[2] *= s.z;
    m[3] = Vec4(p, 1.0f);
    return m;
}

}  // namespace

WorldPanel::WorldPanel(const Pose& pose, Vec2 size) : m_pose(pose), m_size(size) {}

Vec3 WorldPanel::buttonCentre() const { return m_pose.transformPoint(Vec3(0.0f, kButtonY, 0.0f)); }

PanelFeedback WorldPanel::update(const Pose& panelPose, const Pose& aim, bool aimTracked, bool select) {
    m_pose = panelPose;
    m_aim = aim;
    m_aimTracked = aimTracked;
    m_hit.reset();
    PanelFeedback fb;
    bool onButton = false;
    if (aimTracked) {
        const Vec3 normal = m_pose.orientation * Vec3(0, 0, 1);
        const Vec3 dir = aim.forward();
        const float denom = glm::dot(dir, normal);
        if (denom < -1e-4f) {  // only from the front
            const float t = glm::dot(m_pose.position - aim.position, normal) / denom;
            if (t > 0.0f && t < 10.0f) {
                const Vec3 hit = aim.position + dir * t;
                const Vec3 local = glm::inverse(m_pose.orientation) * (hit - m_pose.position);
                if (std::abs(local.x) <= m_size.x * 0.5f && std::abs(local.y) <= m_size.y * 0.5f) {
                    m_hit = hit;
                    onButton = std::abs(local.x) <= kButtonHalf.x && std::abs(local.y - kButtonY) <= kButtonHalf.y;
                }
            }
        }
    }
    fb.hoverEntered = onButton && !m_hovered;
    m_hovered = onButton;
    const bool down = aimTracked && select;
    if (down && !m_selectWasDown && onButton) {
        fb.pressed = true;
        m_toggled = !m_toggled;
        ++m_presses;
    }
    m_selectWasDown = down;
    return fb;
}

void WorldPanel::append(const SceneMeshes& meshes, engine::FrameScene& scene) const {
    const Quat& q = m_pose.orientation;
    scene.instances.push_back({meshes.box, plateMatrix(m_pose.position - q * Vec3(0, 0, 0.006f), q,
                                                       Vec3(m_size.x, m_size.y, 0.01f)),
                               Vec4(0.12f, 0.14f, 0.2f, 1.0f)});
    const Vec4 buttonColor = m_toggled ? Vec4(0.95f, 0.7f, 0.2f, 1.0f)
                             : m_hovered ? Vec4(0.45f, 0.7f, 1.0f, 1.0f)
                                         : Vec4(0.25f, 0.4f, 0.7f, 1.0f);
    scene.instances.push_back({meshes.box, plateMatrix(buttonCentre(), q, Vec3(2 * kButtonHalf.x, 2 * kButtonHalf.y, 0.012f)),
                               buttonColor});
    const Vec3 facing = q * Vec3(0, 0, 1);
    float y = m_size.y * 0.5f - 0.045f;
    for (const auto& text : m_lines) {
        engine::Label l;
        l.text = text;
        l.anchor = m_pose.transformPoint(Vec3(0.0f, y, 0.004f));
        l.facing = facing;
        l.height = 0.028f;
        l.background = Vec4(0.0f);
        scene.labels.push_back(std::move(l));
        y -= 0.036f;
    }
    engine::Label b;
    b.text = m_toggled ? "Hand raised" : "Raise hand";
    b.anchor = buttonCentre() + facing * 0.012f;
    b.facing = facing;
    b.height = 0.03f;
    b.color = Vec4(0.05f, 0.05f, 0.08f, 1.0f);
    b.background = Vec4(0.0f);
    scene.labels.push_back(std::move(b));
    if (m_aimTracked) {
        const Vec3 end = m_hit ? *m_hit : m_aim.position + m_aim.forward() * 2.0f;
        scene.lines.push_back({m_aim.position, end, 0.004f, m_hit ? Vec4(0.5f, 0.8f, 1.0f, 1.0f) : Vec4(0.9f, 0.9f, 0.95f, 0.6f), false});
    }
}

}  // namespace mxr::scenes
