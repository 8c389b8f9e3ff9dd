#pragma once
// A panel floating in the world (VR): a plate with text and one button,
// pointed at with the right controller's laser. Hover and select produce
// feedback the caller turns into haptic pulses.
//
// Decision (see scenes/README.md): the panel is drawn with the renderer's
// existing instances, labels and lines, not as an XrCompositionLayerQuad or
// a texture of the ImGui overlay; the ImGui-in-the-world path needs a
// textured-quad instance kind in engine/render that does not exist yet.
// Thread: main thread only; no GPU.
#include <optional>
#include <string>
#include <vector>

#include "engine/render/renderer.h"
#include "scenes/avatar.h"

namespace mxr::scenes {

struct PanelFeedback {
    bool hoverEntered = false;  // the laser just moved onto the button
    bool pressed = false;       // select went down while on the button
};

class WorldPanel {
public:
    // `pose`: the plate's centre, its face looking down +Z of the
    // orientation; `size` in metres (width, height).
    WorldPanel(const Pose& pose, Vec2 size);

    // Lines of text shown on the plate (top to bottom).
    void setLines(std::vector<std::string> lines) { m_lines = std::move(lines); }

    // Casts the aim ray (world space) at the plate.
    PanelFeedback update(const Pose& panelPose, const Pose& aim, bool aimTracked, bool select);

    // The plate, its text, the button (lit when hovered, toggled by
    // presses) and the laser from the aim pose to the hit (or 2 m).
    void append(const SceneMeshes& meshes, engine::FrameScene& scene) const;

    bool hovered() const { return m_hovered; }
    bool toggled() const { return m_toggled; }
    int presses() const { return m_presses; }
    std::optional<Vec3> hitPoint() const { return m_hit; }
    const Pose& pose() const { return m_pose; }
    // The button's centre in world space (tests aim at it).
    Vec3 buttonCentre() const;

private:
    Pose m_pose;
    Vec2 m_size;
    std::vector<std::string> m_lines;
    Pose m_aim;
    bool m_aimTracked = false;
    std::optional<Vec3> m_hit;
    bool m_hovered = false;
    bool m_selectWasDown = false;
    bool m_toggled = false;
    int m_presses = 0;
};

}  // namespace mxr::scenes
