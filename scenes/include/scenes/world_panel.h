#pragma once
// A panel floating in the world (VR): the ImGui overlay image shown on a
// quad (FrameScene::overlayQuad), pointed at with the right controller's
// laser. The panel turns the laser into an ImGui pointer (pixels in the
// overlay image, select as the left button) and the UI's answer (button
// hovered, clicked) into feedback the caller turns into haptic pulses.
//
// Decision (see scenes/README.md): the overlay is drawn into the
// projection layer as a depth-tested textured quad rather than submitted as
// an XrCompositionLayerQuad: hands and the laser occlude it correctly, it
// needs no second swapchain or copy, the same path works on the desktop
// later, and the test runtime's captures (projection layers) show it.
// Thread: main thread only; no GPU.
#include <optional>
#include <string>

#include "engine/render/renderer.h"

namespace mxr::scenes {

// The panel's ImGui layout, shared with whoever builds its UI.
struct PanelLayout {
    // Where the panel hangs in the play space (stage space): to the
    // wearer's left at chest height, turned towards them; it follows
    // teleports and turns.
    Pose inStage{Vec3(-0.32f, 1.3f, -0.7f), Quat(0.976296f, 0.0f, 0.216440f, 0.0f)};  // 25 degrees yaw
    Vec2 sizeMetres{0.48f, 0.30f};
    std::uint32_t widthPx = 512;
    std::uint32_t heightPx = 320;
    // The one button, in overlay pixels (top-left origin).
    Vec2 buttonPos{156.0f, 224.0f};
    Vec2 buttonSize{200.0f, 56.0f};
};

struct PanelFeedback {
    bool hoverEntered = false;  // the laser just moved onto the button
    bool pressed = false;       // the button was clicked (select released on it)
};

class WorldPanel {
public:
    explicit WorldPanel(const PanelLayout& layout = {}) : m_layout(layout) {}

    // The menu button shows and hides the panel (on each press).
    void menuButton(bool down);
    bool visible() const { return m_visible; }

    // Casts the aim ray (world space) at the panel placed at `panelPose`
    // (its centre; the face looks down +Z of the orientation).
    void aim(const Pose& panelPose, const Pose& aim, bool aimTracked);
    // Where the laser meets the panel, in overlay pixels; none when it
    // misses (or points from behind).
    std::optional<Vec2> pointerPixels() const { return m_pointer; }

    // The UI's answer for this frame: is the button under the pointer, was
    // it clicked. Returns what changed (for haptics).
    PanelFeedback uiResult(bool buttonHovered, bool clicked);

    // The overlay quad and the laser, from the aim pose to the hit (or 2 m);
    // nothing while hidden.
    void append(engine::FrameScene& scene) const;

    const PanelLayout& layout() const { return m_layout; }
    const Pose& pose() const { return m_pose; }
    bool hovered() const { return m_hovered; }
    bool toggled() const { return m_toggled; }
    int presses() const { return m_presses; }
    // The button's centre in world space (tests aim at it).
    Vec3 buttonCentre() const;
    // A point of the panel given in overlay pixels, in world space.
    Vec3 pixelToWorld(Vec2 px) const;

private:
    PanelLayout m_layout;
    Pose m_pose;
    Pose m_aim;
    bool m_aimTracked = false;
    std::optional<Vec3> m_hit;
    std::optional<Vec2> m_pointer;
    bool m_hovered = false;
    bool m_visible = true;
    bool m_menuWasDown = false;
    bool m_toggled = false;
    int m_presses = 0;
};

struct PanelUi {
    bool buttonHovered = false;
    bool clicked = false;
};

// The panel's content as ImGui calls (between ImGuiLayer's NewFrame and
// Render): fills the overlay image, with the button where `layout` says so
// the laser (and tests) can find it. `voice`: the voice status line, if any.
PanelUi buildPanelUi(const PanelLayout& layout, bool handRaised, const std::string& systemName,
                     const std::string& roomName, std::size_t people,
                     const std::string& connection = "offline (no server)", const std::string& voice = "");

}  // namespace mxr::scenes
