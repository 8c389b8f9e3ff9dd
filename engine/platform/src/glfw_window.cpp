#include <vulkan/vulkan.h>
// GLFW declares its Vulkan helpers when vulkan.h comes first.
#include <GLFW/glfw3.h>

#include <atomic>
#include <cstdlib>

#include "engine/core/log.h"
#include "engine/platform/window.h"

namespace mxr::engine {
namespace {

// GLFW is process-wide; count the windows that need it. (A counter, not
// mutable shared state anyone reads: GLFW's own init is global.)
std::atomic<int> g_glfwUsers{0};
std::string g_lastGlfwError;

void onGlfwError(int, const char* description) { g_lastGlfwError = description ? description : "unknown"; }

Result<void> initGlfw() {
    if (g_glfwUsers.fetch_add(1) > 0) return {};
    glfwSetErrorCallback(onGlfwError);
    if (!glfwInit()) {
        g_glfwUsers.fetch_sub(1);
        const char* display = std::getenv("DISPLAY");
        std::string hint = (display == nullptr || *display == '\0')
                               ? "no display (DISPLAY is not set): use --mode headless, or run under xvfb-run -a"
                               : "the window system could not start: use --mode headless";
        return makeError(ErrorCode::kUnavailable, strCat("cannot open a window (", g_lastGlfwError, "); ", hint));
    }
    if (!glfwVulkanSupported()) {
        glfwTerminate();
        g_glfwUsers.fetch_sub(1);
        return makeError(ErrorCode::kUnavailable,
                         "GLFW found no Vulkan loader; install libvulkan1 and a Vulkan driver (mesa-vulkan-drivers)");
    }
    return {};
}

void releaseGlfw() {
    if (g_glfwUsers.fetch_sub(1) == 1) glfwTerminate();
}

GLFWwindow* asGlfw(void* w) { return static_cast<GLFWwindow*>(w); }

}  // namespace

Result<void> Window::probeDisplay() {
    MXR_TRY(initGlfw());
    releaseGlfw();
    return {};
}

std::vector<const char*> Window::requiredVulkanExtensions() {
    std::uint32_t n = 0;
    const char** names = glfwGetRequiredInstanceExtensions(&n);
    return std::vector<const char*>(names, names + n);
}

Result<std::unique_ptr<Window>> Window::create(const WindowOptions& options) {
    MXR_TRY(initGlfw());
    std::unique_ptr<Window> w(new Window());
    glfwWindowHint(GLFW_CLIENT_API, GLFW_NO_API);
    glfwWindowHint(GLFW_VISIBLE, options.visible ? GLFW_TRUE : GLFW_FALSE);
    GLFWwindow* window = glfwCreateWindow(int(options.width), int(options.height), options.title.c_str(), nullptr, nullptr);
    if (!window) {
        releaseGlfw();
        return makeError(ErrorCode::kUnavailable, strCat("cannot create a window: ", g_lastGlfwError));
    }
    w->m_window = window;
    return w;
}

Window::~Window() {
    if (m_window) {
        glfwDestroyWindow(asGlfw(m_window));
        releaseGlfw();
    }
}

void Window::pollEvents() {
    glfwPollEvents();
    GLFWwindow* w = asGlfw(m_window);
    static constexpr int kMap[] = {GLFW_KEY_W,  GLFW_KEY_A,    GLFW_KEY_S,    GLFW_KEY_D,     GLFW_KEY_Q,
                                   GLFW_KEY_E,  GLFW_KEY_UP,   GLFW_KEY_DOWN, GLFW_KEY_LEFT, GLFW_KEY_RIGHT,
                                   GLFW_KEY_LEFT_SHIFT, GLFW_KEY_ESCAPE, GLFW_KEY_V, GLFW_KEY_M};
    for (int k = 0; k < static_cast<int>(Key::kCount); ++k) m_input.keys[k] = glfwGetKey(w, kMap[k]) == GLFW_PRESS;
    // The right button looks around; the left is the UI's and the
    // annotation tools' (a left drag draws ink, it must not turn the view).
    m_input.mouseLook = glfwGetMouseButton(w, GLFW_MOUSE_BUTTON_RIGHT) == GLFW_PRESS;
    double x = 0, y = 0;
    glfwGetCursorPos(w, &x, &y);
    m_input.mouseDelta = m_haveCursor ? Vec2(float(x - m_lastX), float(y - m_lastY)) : Vec2(0.0f);
    m_lastX = x;
    m_lastY = y;
    m_haveCursor = true;
}

bool Window::closeRequested() const { return glfwWindowShouldClose(asGlfw(m_window)); }
void Window::requestClose() { glfwSetWindowShouldClose(asGlfw(m_window), GLFW_TRUE); }

VkExtent2D Window::framebufferSize() const {
    int w = 0, h = 0;
    glfwGetFramebufferSize(asGlfw(m_window), &w, &h);
    if (glfwGetWindowAttrib(asGlfw(m_window), GLFW_ICONIFIED)) return {0, 0};
    return {static_cast<std::uint32_t>(w), static_cast<std::uint32_t>(h)};
}

Result<VkSurfaceKHR> Window::createSurface(VkInstance instance) const {
    VkSurfaceKHR surface = VK_NULL_HANDLE;
    const VkResult r = glfwCreateWindowSurface(instance, asGlfw(m_window), nullptr, &surface);
    if (r != VK_SUCCESS) {
        return makeError(ErrorCode::kUnavailable, strCat("cannot create a Vulkan surface for the window: ", g_lastGlfwError),
                         r);
    }
    return surface;
}

void Window::setSize(std::uint32_t width, std::uint32_t height) {
    glfwSetWindowSize(asGlfw(m_window), int(width), int(height));
}
void Window::iconify() { glfwIconifyWindow(asGlfw(m_window)); }
void Window::restore() { glfwRestoreWindow(asGlfw(m_window)); }

}  // namespace mxr::engine
