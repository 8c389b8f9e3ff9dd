#pragma once
// Private to the client: the camera start and the choice of XR system.
#include <memory>

#include "scenes/client_app.h"
#include "xr/xr_system.h"

namespace mxr::scenes {

// The preset or explicit pose `choice` names in `room` (kInvalidArgument,
// naming the known presets, when there is no such preset).
Result<xr::CameraRig> cameraFor(const Room& room, const CameraChoice& choice, const std::string& roomSource);
// The XR system for `mode` (auto falls back with the reason logged).
Result<std::unique_ptr<xr::XrSystem>> makeSystem(const ClientOptions& o, xr::Mode mode, const xr::CameraRig& rig,
                                                 Logger& log);

}  // namespace mxr::scenes
