#pragma once
// Shared by the OpenXR backend's sources (private to xr/): the Vulkan
// binding's headers, result names, pose conversion and the check macro.
#define XR_USE_GRAPHICS_API_VULKAN
#include <vulkan/vulkan.h>
#include <openxr/openxr.h>
#include <openxr/openxr_platform.h>

#include "engine/core/math.h"
#include "engine/core/result.h"

namespace mxr::xr {

// The result's name (through the instance when there is one).
const char* xrResultName(XrInstance instance, XrResult r);

inline Pose toPose(const XrPosef& p) {
    return Pose{Vec3(p.position.x, p.position.y, p.position.z),
                Quat(p.orientation.w, p.orientation.x, p.orientation.y, p.orientation.z)};
}

inline constexpr XrPosef kIdentity{{0, 0, 0, 1}, {0, 0, 0}};

}  // namespace mxr::xr

// Returns a kXr error naming the call, its result and the place.
#define MXR_TRY_XR_AT(instance, file, call)                                                          \
    do {                                                                                           \
        const XrResult mxr_xr_r_ = (call);                                                         \
        if (XR_FAILED(mxr_xr_r_)) {                                                                \
            return ::mxr::makeError(::mxr::ErrorCode::kXr,                                         \
                                    ::mxr::strCat(#call, " failed with ",                           \
                                                  ::mxr::xr::xrResultName(instance, mxr_xr_r_), " at ", \
                                                  file, ":", __LINE__),                             \
                                    mxr_xr_r_);                                                    \
        }                                                                                          \
    } while (false)
