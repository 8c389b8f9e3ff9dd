#pragma once
// AR for the OpenXR backend (private to xr/): which see-through path a
// headset gets (a see-through environment blend mode or XR_FB_passthrough),
// and the passthrough feature and layer. Thread: main thread only.
#include <span>

#include "openxr_util.h"

namespace mxr::xr {

struct SeeThroughChoice {
    XrEnvironmentBlendMode blend = XR_ENVIRONMENT_BLEND_MODE_OPAQUE;
    bool passthrough = false;  // XR_FB_passthrough under the projection (blend stays OPAQUE)
};

// `modes` in the runtime's order of preference. AR: its first see-through
// mode (a real see-through display), else passthrough when supported, else
// kUnavailable naming the headset and what it lacks. Not AR: OPAQUE where
// offered, else the first see-through mode (a see-through-only headset).
Result<SeeThroughChoice> chooseSeeThrough(std::span<const XrEnvironmentBlendMode> modes, const char* systemName,
                                          bool passthroughSupported, bool ar);

// The passthrough feature and one full-view (reconstruction) layer, both
// running from creation; made with a session, destroyed before it.
class OpenXrPassthrough {
public:
    OpenXrPassthrough() = default;
    ~OpenXrPassthrough() { stop(); }
    OpenXrPassthrough(const OpenXrPassthrough&) = delete;
    OpenXrPassthrough& operator=(const OpenXrPassthrough&) = delete;

    Result<void> start(XrInstance instance, XrSession session);
    void stop();
    XrPassthroughLayerFB layer() const { return m_layer; }  // XR_NULL_HANDLE when not started

private:
    XrPassthroughFB m_feature = XR_NULL_HANDLE;
    XrPassthroughLayerFB m_layer = XR_NULL_HANDLE;
    PFN_xrDestroyPassthroughFB m_destroy = nullptr;
    PFN_xrDestroyPassthroughLayerFB m_destroyLayer = nullptr;
};

}  // namespace mxr::xr
