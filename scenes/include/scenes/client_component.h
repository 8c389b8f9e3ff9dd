#pragma once
// The client's frame loop drives components through this one interface.
// Each frame, in the order the components were added: update() (input,
// time, network), then drawUi() inside the UI layer's frame (ImGui calls),
// then contribute() (what it draws, into the frame's scene); at the end,
// shutdown(). A new feature (voice, annotations, procedures, replay, panels)
// is a new component, not a new branch in the loop.
//
// No GPU here: a component sees plain data (input, views, FrameScene), so it
// can be driven by a test with a fake frame (tests/scenes/components_test.cpp).
// Thread: main thread only.
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <span>
#include <string>

#include "engine/render/renderer.h"
#include "xr/xr_system.h"

namespace mxr::scenes {

// Ends the run: a process exit code and what the user is told (stderr).
struct ExitRequest {
    int code = 0;
    std::string message;
};

struct FrameContext {
    FrameContext(const xr::InputState& in, double dt, double t, std::span<engine::ViewInfo> v)
        : input(in), deltaSeconds(dt), animationTime(t), views(v) {}

    const xr::InputState& input;
    double deltaSeconds = 0.0;
    double animationTime = 0.0;  // seconds, for the demo people (fixed by --time)
    // This frame's eye views (empty when the frame is not drawn); the local
    // player moves them from stage into room space.
    std::span<engine::ViewInfo> views;
    // Nobody sees this frame (xr::FrameState::idle: the headset is off or
    // asleep): update() still runs (the room, voice, exit requests), but
    // drawUi() and contribute() do not, and the person shows as away.
    bool idle = false;

    // Set by components during update():
    // Not ready for --frames to count yet (e.g. not in the room yet). Once no
    // component holds, counting starts and stays on.
    void holdCount() { m_hold = true; }
    // Ends the run after this frame's update (the first request wins).
    void exit(int code, std::string message) {
        if (!m_exit) m_exit = ExitRequest{code, std::move(message)};
    }
    bool holding() const { return m_hold; }
    const std::optional<ExitRequest>& exitRequest() const { return m_exit; }

private:
    bool m_hold = false;
    std::optional<ExitRequest> m_exit;
};

// Timing the loop measures, for status displays.
struct FrameStats {
    double cpuMs = 0.0;    // the loop's own work last frame
    double frameMs = 0.0;  // since the previous frame
};

// A rectangle in the UI layer's image (pixels, top-left origin).
struct UiArea {
    float x = 0.0f;
    float y = 0.0f;
    float width = 0.0f;   // 0: sized to the content
    float height = 0.0f;  // with width: fixed size
    float fontScale = 1.0f;
};

struct UiContext {
    UiContext(float dt, const FrameStats& s, std::optional<UiArea> area)
        : deltaSeconds(dt), stats(s), contentArea(area) {}

    float deltaSeconds = 0.0f;
    const FrameStats& stats;
    // Where content panels (the Mentorship window) go: the desktop overlay's
    // top right, or the VR panel's lower part (the VR panel sets it; none
    // for guests in a headset).
    std::optional<UiArea> contentArea;
    // Panels pass the text they show from data (names, titles, answers,
    // what the user typed) here, so its characters join the UI's font atlas
    // and draw from the next frame on (engine/ui: ImGui's atlas is rebuilt
    // with the characters seen). Unset in tests without a UI layer.
    std::function<void(std::string_view)> noteText;
    void note(std::string_view text) const {
        if (noteText) noteText(text);
    }
};

struct ShutdownContext {
    std::uint64_t framesCounted = 0;
    const char* mode = "";
    std::optional<engine::ViewInfo> lastView;  // the first view of the last frame drawn
    int exitCode = 0;                           // a component may set it when it is still 0
};

class ClientComponent {
public:
    virtual ~ClientComponent() = default;
    virtual void update(FrameContext& /*frame*/) {}
    virtual void drawUi(UiContext& /*ui*/) {}
    virtual void contribute(const FrameContext& /*frame*/, engine::FrameScene& /*scene*/) {}
    virtual void shutdown(ShutdownContext& /*end*/) {}
};

}  // namespace mxr::scenes
