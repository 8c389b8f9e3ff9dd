// AR for the OpenXR backend: the see-through choice and XR_FB_passthrough.
#include "openxr_see_through.h"

#include <algorithm>

namespace mxr::xr {
namespace {

template <typename Fn>
Result<Fn> getProc(XrInstance instance, const char* name) {
    Fn fn = nullptr;
    MXR_TRY_XR_AT(instance, "openxr_see_through.cpp",
                  xrGetInstanceProcAddr(instance, name, reinterpret_cast<PFN_xrVoidFunction*>(&fn)));
    return fn;
}

}  // namespace

Result<SeeThroughChoice> chooseSeeThrough(std::span<const XrEnvironmentBlendMode> modes, const char* systemName,
                                          bool passthroughSupported, bool ar) {
    const auto seeThrough =
        std::find_if(modes.begin(), modes.end(), [](auto m) { return m != XR_ENVIRONMENT_BLEND_MODE_OPAQUE; });
    const bool opaque = std::find(modes.begin(), modes.end(), XR_ENVIRONMENT_BLEND_MODE_OPAQUE) != modes.end();
    SeeThroughChoice c;
    if (ar && seeThrough != modes.end()) {
        c.blend = *seeThrough;
    } else if (ar && passthroughSupported) {
        c.passthrough = true;
    } else if (ar) {
        return makeError(ErrorCode::kUnavailable,
                         strCat("--mode ar: the headset (", systemName,
                                ") cannot show the real world: it offers only the opaque blend mode, no "
                                "ALPHA_BLEND or ADDITIVE, and no passthrough (XR_FB_passthrough); use --mode vr"));
    } else if (!opaque && seeThrough != modes.end()) {
        c.blend = *seeThrough;
    }
    return c;
}

Result<void> OpenXrPassthrough::start(XrInstance instance, XrSession session) {
    MXR_TRY_ASSIGN(auto create, getProc<PFN_xrCreatePassthroughFB>(instance, "xrCreatePassthroughFB"));
    MXR_TRY_ASSIGN(auto createLayer, getProc<PFN_xrCreatePassthroughLayerFB>(instance, "xrCreatePassthroughLayerFB"));
    MXR_TRY_ASSIGN(m_destroy, getProc<PFN_xrDestroyPassthroughFB>(instance, "xrDestroyPassthroughFB"));
    MXR_TRY_ASSIGN(m_destroyLayer, getProc<PFN_xrDestroyPassthroughLayerFB>(instance, "xrDestroyPassthroughLayerFB"));
    XrPassthroughCreateInfoFB pci{XR_TYPE_PASSTHROUGH_CREATE_INFO_FB};
    pci.flags = XR_PASSTHROUGH_IS_RUNNING_AT_CREATION_BIT_FB;
    MXR_TRY_XR_AT(instance, "openxr_see_through.cpp", create(session, &pci, &m_feature));
    XrPassthroughLayerCreateInfoFB lci{XR_TYPE_PASSTHROUGH_LAYER_CREATE_INFO_FB};
    lci.passthrough = m_feature;
    lci.flags = XR_PASSTHROUGH_IS_RUNNING_AT_CREATION_BIT_FB;
    lci.purpose = XR_PASSTHROUGH_LAYER_PURPOSE_RECONSTRUCTION_FB;
    MXR_TRY_XR_AT(instance, "openxr_see_through.cpp", createLayer(session, &lci, &m_layer));
    return {};
}

void OpenXrPassthrough::stop() {
    if (m_layer && m_destroyLayer) m_destroyLayer(m_layer);
    if (m_feature && m_destroy) m_destroy(m_feature);
    m_layer = XR_NULL_HANDLE;
    m_feature = XR_NULL_HANDLE;
}

}  // namespace mxr::xr
