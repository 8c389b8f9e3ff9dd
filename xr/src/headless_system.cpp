// Headless: no window, no runtime. Frames advance in virtual time and are
// drawn into an offscreen image (one layer, or two for a stereo frame).
#include "vulkan_backend.h"

namespace mxr::xr {
namespace {

class HeadlessSystem final : public VulkanXrSystem {
public:
    HeadlessSystem(const HeadlessOptions& options, Logger logger)
        : VulkanXrSystem(logger), m_options(options), m_log(std::move(logger)) {}
    ~HeadlessSystem() override { releaseGraphics(); }

    const char* name() const override { return "headless"; }

    Result<std::unique_ptr<engine::GpuContext>> createGpu(const engine::GpuRequirements& needs,
                                                          bool validation) override {
        engine::GpuCreateInfo info;
        info.validation = validation;
        return engine::GpuContext::create(needs, info, m_log.child("gpu"));
    }

    Result<void> attach(engine::VulkanRenderer& renderer) override {
        m_renderer = &renderer;
        MXR_TRY_ASSIGN(m_target, renderer.createOffscreenTarget({m_options.width, m_options.height},
                                                               m_options.stereo ? 2u : 1u));
        return {};
    }

    void detach() override {
        if (m_renderer && m_target) m_renderer->unregisterTarget(m_target);
        m_target = {};
        m_renderer = nullptr;
    }

    bool pollEvents() override { return !m_quit; }

    Result<FrameState> beginFrame() override {
        FrameState f;
        const Nanos step = static_cast<Nanos>(1e9 / m_options.frameRate);
        m_time += step;
        f.predictedDisplayTime = m_time;
        f.deltaSeconds = nanosToSeconds(step);
        m_input.head = m_options.camera.pose();
        f.views = m_options.camera.views(m_options.stereo ? 2 : 1,
                                         float(m_options.width) / float(m_options.height));
        f.target = m_target;
        return f;
    }

    Result<void> endFrame(const FrameState&) override { return {}; }
    const InputState& input() const override { return m_input; }
    BlendMode blendMode() const override { return m_options.blend; }
    void requestQuit() override { m_quit = true; }

    Result<engine::Image> captureFrame(const FrameState& frame, std::uint32_t view) override {
        return m_renderer->readback(frame.target, view);
    }

private:
    HeadlessOptions m_options;
    Logger m_log;
    engine::VulkanRenderer* m_renderer = nullptr;
    engine::TargetHandle m_target;
    InputState m_input;
    Nanos m_time = 0;
    bool m_quit = false;
};

}  // namespace

std::unique_ptr<XrSystem> makeHeadlessSystem(const HeadlessOptions& options, Logger logger) {
    return std::make_unique<HeadlessSystem>(options, std::move(logger));
}

}  // namespace mxr::xr
