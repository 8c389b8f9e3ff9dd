// Choosing what the client runs on: the camera start and the XR system
// (auto: OpenXR, then a window, then headless, saying why at each step).
#include "client_setup.h"

#include <sstream>

namespace mxr::scenes {

Result<CameraChoice> parseCamera(const std::string& text) {
    CameraChoice c;
    if (text.find(',') == std::string::npos) {
        c.preset = text;
        return c;
    }
    std::stringstream ss(text);
    std::string part;
    float v[5];
    int n = 0;
    while (std::getline(ss, part, ',')) {
        if (n == 5) break;
        try {
            std::size_t used = 0;
            v[n] = std::stof(part, &used);
            if (used != part.size()) throw std::invalid_argument(part);
        } catch (const std::exception&) {
            return makeError(ErrorCode::kInvalidArgument, strCat("--camera: \"", part, "\" is not a number"));
        }
        ++n;
    }
    if (n != 5 || std::getline(ss, part, ',')) {
        return makeError(ErrorCode::kInvalidArgument, "--camera: expected x,y,z,yaw_deg,pitch_deg or a preset name");
    }
    c.explicitPose = CameraPreset{Vec3(v[0], v[1], v[2]), glm::radians(v[3]), glm::radians(v[4])};
    return c;
}

Result<xr::CameraRig> cameraFor(const Room& room, const CameraChoice& choice, const std::string& roomSource) {
    xr::CameraRig rig;
    CameraPreset preset;
    if (choice.explicitPose) {
        preset = *choice.explicitPose;
    } else {
        const std::string name = choice.preset.empty() ? "overview" : choice.preset;
        auto it = room.cameras.find(name);
        if (it == room.cameras.end()) {
            if (!choice.preset.empty()) {
                std::string known;
                for (const auto& [k, v] : room.cameras) known += (known.empty() ? "" : ", ") + k;
                return makeError(ErrorCode::kInvalidArgument,
                                 strCat("--camera ", name, ": ", roomSource, " has no such camera (it has: ",
                                        known.empty() ? "none" : known, ")"));
            }
        } else {
            preset = it->second;
        }
    }
    rig.position = preset.position;
    rig.yaw = preset.yawRadians;
    rig.pitch = preset.pitchRadians;
    return rig;
}

Result<std::unique_ptr<xr::XrSystem>> makeSystem(const ClientOptions& o, xr::Mode mode, const xr::CameraRig& rig,
                                                 Logger& log) {
    if (!o.seeThrough.empty() && mode != xr::Mode::kHeadless) {
        return makeError(ErrorCode::kInvalidArgument,
                         strCat("--see-through is for --mode headless (screenshots of the AR view); a headset "
                                "shows it with --mode ar, not --mode ", xr::toString(mode)));
    }
    xr::OpenXrOptions xo;
    xo.ar = mode == xr::Mode::kAr;
    xo.eyeHeight = o.eyeHeight;
    if (o.xrVulkan == "enable2") {
        xo.vulkanBinding = xr::VulkanBinding::kEnable2;
    } else if (o.xrVulkan == "enable") {
        xo.vulkanBinding = xr::VulkanBinding::kEnable;
    } else if (o.xrVulkan != "auto") {
        return makeError(ErrorCode::kInvalidArgument,
                         strCat("--xr-vulkan ", o.xrVulkan, ": expected auto, enable2 or enable"));
    }
    if (mode == xr::Mode::kVr || mode == xr::Mode::kAr) return xr::makeOpenXrSystem(xo, log.child("openxr"));
    if (mode == xr::Mode::kAuto) {
        auto vr = xr::makeOpenXrSystem(xo, log.child("openxr"));
        if (vr) return vr;
        log.info(strCat("no VR: ", vr.error().message, "; trying a window"));
        if (auto probe = xr::probeDesktop(); probe) {
            mode = xr::Mode::kDesktop;
        } else {
            log.info(strCat("no window: ", probe.error().message, "; running headless"));
            mode = xr::Mode::kHeadless;
        }
    }
    if (mode == xr::Mode::kDesktop) {
        xr::DesktopOptions d;
        d.width = o.width;
        d.height = o.height;
        d.vsync = o.vsync;
        d.camera = rig;
        return xr::makeDesktopSystem(d, log.child("desktop"));
    }
    xr::HeadlessOptions h;
    h.width = o.width;
    h.height = o.height;
    h.stereo = o.stereo;
    if (o.seeThrough == "alpha_blend") {
        h.blend = xr::BlendMode::kAlphaBlend;
    } else if (o.seeThrough == "additive") {
        h.blend = xr::BlendMode::kAdditive;
    } else if (!o.seeThrough.empty()) {
        return makeError(ErrorCode::kInvalidArgument,
                         strCat("--see-through ", o.seeThrough, ": expected alpha_blend or additive"));
    }
    h.camera = rig;
    return xr::makeHeadlessSystem(h, log.child("headless"));
}

}  // namespace mxr::scenes
