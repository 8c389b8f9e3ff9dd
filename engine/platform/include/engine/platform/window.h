#pragma once
// The desktop window and its keyboard/mouse input (GLFW under the hood; no
// other module includes GLFW). xr/desktop drives the frame loop through it.
//
// Thread: main thread only (GLFW's rule). Ownership: one Window owns its
// GLFW window; GLFW itself is initialised by the first Window and terminated
// by the last.
#include <vulkan/vulkan.h>

#include <memory>
#include <string>
#include <vector>

#include "engine/core/math.h"
#include "engine/core/result.h"

namespace mxr::engine {

// V: push-to-talk (held), M: mute (toggles).
enum class Key : std::uint8_t { kW, kA, kS, kD, kQ, kE, kUp, kDown, kLeft, kRight, kShift, kEscape, kV, kM, kCount };

struct InputState {
    bool keys[static_cast<int>(Key::kCount)] = {};
    bool mouseLook = false;  // the right button held (the left is the UI's and the tools')
    Vec2 mouseDelta{0.0f};   // pixels since the last poll
    bool down(Key k) const { return keys[static_cast<int>(k)]; }
};

struct WindowOptions {
    std::string title = "MentorXR";
    std::uint32_t width = 1280;
    std::uint32_t height = 720;
    bool visible = true;
};

class Window {
public:
    // Fails with kUnavailable and a message naming the fix when there is no
    // display (e.g. DISPLAY unset) or GLFW cannot start.
    static Result<std::unique_ptr<Window>> create(const WindowOptions& options);
    // Whether a window could be opened here (checks the display cheaply).
    static Result<void> probeDisplay();
    static std::vector<const char*> requiredVulkanExtensions();

    ~Window();
    Window(const Window&) = delete;
    Window& operator=(const Window&) = delete;

    void pollEvents();  // updates input(), closeRequested(), sizes
    bool closeRequested() const;
    void requestClose();
    VkExtent2D framebufferSize() const;  // 0 x 0 while minimised
    const InputState& input() const { return m_input; }
    Result<VkSurfaceKHR> createSurface(VkInstance instance) const;
    void* nativeHandle() const { return m_window; }  // GLFWwindow*, for the ImGui backend
    // Resize from code (tests exercise swapchain recreation this way).
    void setSize(std::uint32_t width, std::uint32_t height);
    void iconify();
    void restore();

private:
    Window() = default;
    void* m_window = nullptr;
    InputState m_input;
    double m_lastX = 0.0, m_lastY = 0.0;
    bool m_haveCursor = false;
};

}  // namespace mxr::engine
