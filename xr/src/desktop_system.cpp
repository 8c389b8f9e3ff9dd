// Desktop: a window, mouse-look and WASD/arrow keys simulate the head; the
// hands hang at rest in front of the body. Frames are paced by the swapchain.
#include <algorithm>

#include "engine/core/clock.h"
#include "engine/render/vulkan_swapchain.h"
#include "engine/platform/window.h"
#include "vulkan_backend.h"

namespace mxr::xr {
namespace {

class DesktopSystem final : public VulkanXrSystem {
public:
    DesktopSystem(const DesktopOptions& options, std::unique_ptr<engine::Window> window, Logger logger)
        : VulkanXrSystem(logger), m_options(options), m_window(std::move(window)), m_log(std::move(logger)),
          m_rig(options.camera) {
        m_lastTime = m_clock.now();
    }
    ~DesktopSystem() override {
        releaseGraphics();
        m_swapchain.reset();
    }

    const char* name() const override { return "desktop"; }
    engine::Window* window() override { return m_window.get(); }

    Result<std::unique_ptr<engine::GpuContext>> createGpu(const engine::GpuRequirements& needs,
                                                          bool validation) override {
        engine::GpuCreateInfo info;
        info.validation = validation;
        info.extraInstanceExtensions = engine::Window::requiredVulkanExtensions();
        engine::Window* w = m_window.get();
        info.makeSurface = [w](VkInstance instance) { return w->createSurface(instance); };
        return engine::GpuContext::create(needs, info, m_log.child("gpu"));
    }

    Result<void> attach(engine::VulkanRenderer& renderer) override {
        m_renderer = &renderer;
        engine::Window* w = m_window.get();
        MXR_TRY_ASSIGN(m_swapchain, engine::VulkanSwapchain::create(
                                        renderer, [w] { return w->framebufferSize(); }, m_options.vsync));
        return {};
    }

    void detach() override {
        m_swapchain.reset();
        m_renderer = nullptr;
    }

    bool pollEvents() override {
        m_window->pollEvents();
        if (m_window->input().down(engine::Key::kEscape)) m_window->requestClose();
        return !m_window->closeRequested() && !m_quit;
    }

    Result<FrameState> beginFrame() override {
        FrameState f;
        const Nanos now = m_clock.now();
        f.deltaSeconds = std::clamp(nanosToSeconds(now - m_lastTime), 0.0, 0.1);
        m_lastTime = now;
        f.predictedDisplayTime = now;
        simulate(static_cast<float>(f.deltaSeconds));
        MXR_TRY_ASSIGN(auto target, m_swapchain->acquire());
        if (!target) {
            f.shouldRender = false;  // minimised or swapchain being recreated
            return f;
        }
        const VkExtent2D e = m_swapchain->extent();
        f.views = m_rig.views(1, float(e.width) / float(e.height));
        f.target = *target;
        return f;
    }

    Result<void> endFrame(const FrameState& frame) override {
        if (!frame.shouldRender) return {};
        return m_swapchain->present();
    }

    const InputState& input() const override { return m_input; }
    void requestQuit() override { m_quit = true; }

    Result<engine::Image> captureFrame(const FrameState& frame, std::uint32_t) override {
        if (!frame.shouldRender) return makeError(ErrorCode::kUnavailable, "no frame was drawn (window minimised)");
        return m_swapchain->readbackAcquired();
    }

private:
    void simulate(float dt) {
        const engine::InputState& in = m_window->input();
        if (in.mouseLook) {
            m_rig.yaw -= in.mouseDelta.x * 0.004f;
            m_rig.pitch = std::clamp(m_rig.pitch - in.mouseDelta.y * 0.004f, -1.5f, 1.5f);
        }
        const float turn = 1.6f * dt;
        if (in.down(engine::Key::kLeft)) m_rig.yaw += turn;
        if (in.down(engine::Key::kRight)) m_rig.yaw -= turn;
        Vec3 move(0.0f);
        if (in.down(engine::Key::kW) || in.down(engine::Key::kUp)) move.z -= 1.0f;
        if (in.down(engine::Key::kS) || in.down(engine::Key::kDown)) move.z += 1.0f;
        if (in.down(engine::Key::kA)) move.x -= 1.0f;
        if (in.down(engine::Key::kD)) move.x += 1.0f;
        if (in.down(engine::Key::kE)) move.y += 1.0f;
        if (in.down(engine::Key::kQ)) move.y -= 1.0f;
        if (glm::length(move) > 0.0f) {
            const float speed = (in.down(engine::Key::kShift) ? 3.0f : 1.4f) * dt;
            const Quat yawOnly = glm::angleAxis(m_rig.yaw, Vec3(0, 1, 0));
            m_rig.position += yawOnly * glm::normalize(move) * speed;
        }
        m_input.head = m_rig.pose();
        m_input.talk = in.down(engine::Key::kV);
        m_input.mute = in.down(engine::Key::kM);
        // Hands at rest: 20 cm to each side, 35 cm below and 30 cm ahead.
        const Quat yawOnly = glm::angleAxis(m_rig.yaw, Vec3(0, 1, 0));
        for (int h = 0; h < 2; ++h) {
            const float side = h == 0 ? -0.2f : 0.2f;
            m_input.hands[h].grip = Pose{m_rig.position + yawOnly * Vec3(side, -0.35f, -0.3f), yawOnly};
            m_input.hands[h].aim = m_input.hands[h].grip;
            m_input.hands[h].tracked = true;
        }
    }

    DesktopOptions m_options;
    std::unique_ptr<engine::Window> m_window;
    Logger m_log;
    CameraRig m_rig;
    SteadyClock m_clock;
    Nanos m_lastTime = 0;
    engine::VulkanRenderer* m_renderer = nullptr;
    std::unique_ptr<engine::VulkanSwapchain> m_swapchain;
    InputState m_input;
    bool m_quit = false;
};

}  // namespace

Result<void> probeDesktop() { return engine::Window::probeDisplay(); }

Result<std::unique_ptr<XrSystem>> makeDesktopSystem(const DesktopOptions& options, Logger logger) {
    engine::WindowOptions wo;
    wo.width = options.width;
    wo.height = options.height;
    MXR_TRY_ASSIGN(auto window, engine::Window::create(wo));
    return std::unique_ptr<XrSystem>(new DesktopSystem(options, std::move(window), std::move(logger)));
}

}  // namespace mxr::xr
