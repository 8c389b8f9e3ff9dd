// XR_FB_passthrough (config "passthrough"): the passthrough feature and its
// layers as objects with their running/paused states, the composition
// layer's checks, and the synthetic camera image that captures composite
// under an active passthrough layer (so a passthrough capture shows what
// the wearer would see: the app's image over the "real world").
#include <algorithm>
#include <cmath>

#include <engine/core/log.h>

#include "runtime.h"
#include "runtime_passthrough.h"

namespace mxr::xrrt {
namespace {

struct Passthrough final : Object {
    Session* session = nullptr;
    bool running = false;
};

struct PassthroughLayer final : Object {
    Session* session = nullptr;
    Passthrough* passthrough = nullptr;
    bool running = false;
    float opacity = 1.0F;  // xrPassthroughLayerSetStyleFB's textureOpacityFactor
};

XrResult sessionFor(XrSession session, Session*& out) {
    out = registry().get<Session>(session);
    if (out == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (out->instance->lost) return XR_ERROR_INSTANCE_LOST;
    if (out->lossPending) return XR_ERROR_SESSION_LOST;
    return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL createPassthrough(XrSession session, const XrPassthroughCreateInfoFB* info,
                                                 XrPassthroughFB* out) {
    auto lock = registry().lock();
    Session* s = nullptr;
    if (XrResult r = sessionFor(session, s); r != XR_SUCCESS) return r;
    if (info == nullptr || out == nullptr || info->type != XR_TYPE_PASSTHROUGH_CREATE_INFO_FB) {
        return XR_ERROR_VALIDATION_FAILURE;
    }
    if ((info->flags & ~XR_PASSTHROUGH_IS_RUNNING_AT_CREATION_BIT_FB) != 0) return XR_ERROR_VALIDATION_FAILURE;
    auto p = std::make_unique<Passthrough>();
    p->session = s;
    p->running = (info->flags & XR_PASSTHROUGH_IS_RUNNING_AT_CREATION_BIT_FB) != 0;
    s->instance->log.line(strCat("passthrough created", p->running ? " running" : ""));
    *out = toHandle<XrPassthroughFB>(registry().add(std::move(p), reinterpret_cast<std::uint64_t>(session)));
    return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL destroyPassthrough(XrPassthroughFB passthrough) {
    auto lock = registry().lock();
    if (registry().get<Passthrough>(passthrough) == nullptr) return XR_ERROR_HANDLE_INVALID;
    registry().destroy(reinterpret_cast<std::uint64_t>(passthrough));
    return XR_SUCCESS;
}

XrResult setPassthroughRunning(XrPassthroughFB passthrough, bool running) {
    auto lock = registry().lock();
    Passthrough* p = registry().get<Passthrough>(passthrough);
    if (p == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (p->session->lossPending) return XR_ERROR_SESSION_LOST;
    p->running = running;
    p->session->instance->log.line(running ? "passthrough started" : "passthrough paused");
    return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL passthroughStart(XrPassthroughFB p) { return setPassthroughRunning(p, true); }
XRAPI_ATTR XrResult XRAPI_CALL passthroughPause(XrPassthroughFB p) { return setPassthroughRunning(p, false); }

XRAPI_ATTR XrResult XRAPI_CALL createPassthroughLayer(XrSession session, const XrPassthroughLayerCreateInfoFB* info,
                                                      XrPassthroughLayerFB* out) {
    auto lock = registry().lock();
    Session* s = nullptr;
    if (XrResult r = sessionFor(session, s); r != XR_SUCCESS) return r;
    if (info == nullptr || out == nullptr || info->type != XR_TYPE_PASSTHROUGH_LAYER_CREATE_INFO_FB) {
        return XR_ERROR_VALIDATION_FAILURE;
    }
    Passthrough* p = registry().get<Passthrough>(info->passthrough);
    if (p == nullptr || p->session != s) return XR_ERROR_HANDLE_INVALID;
    // Only the full camera view is simulated; projected surfaces need
    // geometry instances, which this runtime does not have.
    if (info->purpose != XR_PASSTHROUGH_LAYER_PURPOSE_RECONSTRUCTION_FB) return XR_ERROR_FEATURE_UNSUPPORTED;
    auto l = std::make_unique<PassthroughLayer>();
    l->session = s;
    l->passthrough = p;
    l->running = (info->flags & XR_PASSTHROUGH_IS_RUNNING_AT_CREATION_BIT_FB) != 0;
    s->instance->log.line(strCat("passthrough layer created", l->running ? " running" : ""));
    *out = toHandle<XrPassthroughLayerFB>(registry().add(std::move(l), reinterpret_cast<std::uint64_t>(info->passthrough)));
    return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL destroyPassthroughLayer(XrPassthroughLayerFB layer) {
    auto lock = registry().lock();
    if (registry().get<PassthroughLayer>(layer) == nullptr) return XR_ERROR_HANDLE_INVALID;
    registry().destroy(reinterpret_cast<std::uint64_t>(layer));
    return XR_SUCCESS;
}

XrResult setLayerRunning(XrPassthroughLayerFB layer, bool running) {
    auto lock = registry().lock();
    PassthroughLayer* l = registry().get<PassthroughLayer>(layer);
    if (l == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (l->session->lossPending) return XR_ERROR_SESSION_LOST;
    l->running = running;
    return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL passthroughLayerPause(XrPassthroughLayerFB l) { return setLayerRunning(l, false); }
XRAPI_ATTR XrResult XRAPI_CALL passthroughLayerResume(XrPassthroughLayerFB l) { return setLayerRunning(l, true); }

XRAPI_ATTR XrResult XRAPI_CALL passthroughLayerSetStyle(XrPassthroughLayerFB layer, const XrPassthroughStyleFB* style) {
    auto lock = registry().lock();
    PassthroughLayer* l = registry().get<PassthroughLayer>(layer);
    if (l == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (style == nullptr || style->type != XR_TYPE_PASSTHROUGH_STYLE_FB) return XR_ERROR_VALIDATION_FAILURE;
    if (!(style->textureOpacityFactor >= 0.0F && style->textureOpacityFactor <= 1.0F)) return XR_ERROR_VALIDATION_FAILURE;
    l->opacity = style->textureOpacityFactor;
    return XR_SUCCESS;
}

// Geometry instances (projected passthrough) are not simulated.
XRAPI_ATTR XrResult XRAPI_CALL createGeometryInstance(XrSession, const XrGeometryInstanceCreateInfoFB*,
                                                      XrGeometryInstanceFB*) {
    return XR_ERROR_FEATURE_UNSUPPORTED;
}
XRAPI_ATTR XrResult XRAPI_CALL destroyGeometryInstance(XrGeometryInstanceFB) { return XR_ERROR_HANDLE_INVALID; }
XRAPI_ATTR XrResult XRAPI_CALL geometryInstanceSetTransform(XrGeometryInstanceFB, const XrGeometryInstanceTransformFB*) {
    return XR_ERROR_HANDLE_INVALID;
}

float srgbToLinear(std::uint8_t v) {
    const float s = static_cast<float>(v) / 255.0F;
    return s <= 0.04045F ? s / 12.92F : std::pow((s + 0.055F) / 1.055F, 2.4F);
}

std::uint8_t linearToSrgb(float v) {
    v = std::clamp(v, 0.0F, 1.0F);
    const float s = v <= 0.0031308F ? v * 12.92F : 1.055F * std::pow(v, 1.0F / 2.4F) - 0.055F;
    return static_cast<std::uint8_t>(std::lround(s * 255.0F));
}

}  // namespace

XrResult validatePassthroughLayer(Session& s, const XrCompositionLayerBaseHeader* layer, float& opacity) {
    const auto* p = reinterpret_cast<const XrCompositionLayerPassthroughFB*>(layer);
    PassthroughLayer* l = registry().get<PassthroughLayer>(p->layerHandle);
    if (l == nullptr || l->session != &s) return XR_ERROR_HANDLE_INVALID;
    // Shown only while both the feature and the layer run.
    opacity = l->running && l->passthrough->running ? l->opacity : 0.0F;
    return XR_SUCCESS;
}

std::array<std::uint8_t, 3> cameraPattern(std::uint32_t x, std::uint32_t y, std::uint32_t width, std::uint32_t height) {
    // Top two thirds: eight colour bars; bottom third: a grey checkerboard
    // of 16-pixel squares. Nothing the client draws looks like it.
    static constexpr std::uint8_t kBars[8][3] = {{235, 235, 235}, {235, 235, 16}, {16, 235, 235}, {16, 235, 16},
                                                 {235, 16, 235},  {235, 16, 16},  {16, 16, 235},  {16, 16, 16}};
    if (y * 3 < height * 2) {
        const std::uint32_t bar = std::min<std::uint32_t>(7, x * 8 / std::max<std::uint32_t>(width, 1));
        return {kBars[bar][0], kBars[bar][1], kBars[bar][2]};
    }
    const bool light = ((x / 16) + (y / 16)) % 2 == 0;
    const std::uint8_t g = light ? 180 : 60;
    return {g, g, g};
}

void compositeOverCamera(std::vector<std::uint8_t>& rgba, std::uint32_t width, std::uint32_t height, float opacity,
                         bool unpremultiplied) {
    for (std::uint32_t y = 0; y < height; ++y) {
        for (std::uint32_t x = 0; x < width; ++x) {
            std::uint8_t* p = &rgba[(static_cast<std::size_t>(y) * width + x) * 4];
            const auto cam = cameraPattern(x, y, width, height);
            const float a = static_cast<float>(p[3]) / 255.0F;
            for (int c = 0; c < 3; ++c) {
                float src = srgbToLinear(p[c]);
                if (unpremultiplied) src *= a;
                p[c] = linearToSrgb(src + (1.0F - a) * opacity * srgbToLinear(cam[static_cast<std::size_t>(c)]));
            }
            p[3] = static_cast<std::uint8_t>(std::lround(255.0F * (a + (1.0F - a) * opacity)));
        }
    }
}

void addPassthroughProcs(std::vector<ProcEntry>& t) {
    const char* ext = XR_FB_PASSTHROUGH_EXTENSION_NAME;
    t.push_back({"xrCreatePassthroughFB", MXR_XR_FN(createPassthrough), ext});
    t.push_back({"xrDestroyPassthroughFB", MXR_XR_FN(destroyPassthrough), ext});
    t.push_back({"xrPassthroughStartFB", MXR_XR_FN(passthroughStart), ext});
    t.push_back({"xrPassthroughPauseFB", MXR_XR_FN(passthroughPause), ext});
    t.push_back({"xrCreatePassthroughLayerFB", MXR_XR_FN(createPassthroughLayer), ext});
    t.push_back({"xrDestroyPassthroughLayerFB", MXR_XR_FN(destroyPassthroughLayer), ext});
    t.push_back({"xrPassthroughLayerPauseFB", MXR_XR_FN(passthroughLayerPause), ext});
    t.push_back({"xrPassthroughLayerResumeFB", MXR_XR_FN(passthroughLayerResume), ext});
    t.push_back({"xrPassthroughLayerSetStyleFB", MXR_XR_FN(passthroughLayerSetStyle), ext});
    t.push_back({"xrCreateGeometryInstanceFB", MXR_XR_FN(createGeometryInstance), ext});
    t.push_back({"xrDestroyGeometryInstanceFB", MXR_XR_FN(destroyGeometryInstance), ext});
    t.push_back({"xrGeometryInstanceSetTransformFB", MXR_XR_FN(geometryInstanceSetTransform), ext});
}

}  // namespace mxr::xrrt
