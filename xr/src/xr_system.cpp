#include "xr/xr_system.h"

namespace mxr::xr {

const char* toString(Mode mode) {
    switch (mode) {
        case Mode::kAuto: return "auto";
        case Mode::kVr: return "vr";
        case Mode::kAr: return "ar";
        case Mode::kDesktop: return "desktop";
        case Mode::kHeadless: return "headless";
    }
    return "?";
}

const char* toString(BlendMode mode) {
    switch (mode) {
        case BlendMode::kOpaque: return "opaque";
        case BlendMode::kAdditive: return "additive";
        case BlendMode::kAlphaBlend: return "alpha_blend";
        case BlendMode::kPassthrough: return "passthrough";
    }
    return "?";
}

Result<Mode> parseMode(const std::string& text) {
    for (Mode m : {Mode::kAuto, Mode::kVr, Mode::kAr, Mode::kDesktop, Mode::kHeadless}) {
        if (text == toString(m)) return m;
    }
    return makeError(ErrorCode::kInvalidArgument,
                     strCat("--mode ", text, ": expected one of auto, vr, ar, desktop, headless"));
}

std::vector<engine::ViewInfo> CameraRig::views(std::uint32_t count, float aspect) const {
    const Pose head = pose();
    const Fov fov = Fov::symmetric(verticalFov, aspect);
    if (count == 1) return {engine::ViewInfo{head, fov}};
    constexpr float kHalfIpd = 0.0315f;
    std::vector<engine::ViewInfo> out;
    for (float side : {-1.0f, 1.0f}) {
        Pose eye = head;
        eye.position = head.transformPoint(Vec3(side * kHalfIpd, 0.0f, 0.0f));
        out.push_back(engine::ViewInfo{eye, fov});
    }
    return out;
}

}  // namespace mxr::xr
