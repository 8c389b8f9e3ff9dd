#pragma once
// XR_FB_passthrough in the headless runtime (runtime_passthrough.cpp).
// Thread: called with the registry's mutex held, like every entry point.
#include <array>
#include <cstdint>
#include <vector>

#include "runtime.h"

namespace mxr::xrrt {

// Checks an XrCompositionLayerPassthroughFB of `s`; `opacity` is how much
// camera image it shows (0 while the feature or the layer is paused).
XrResult validatePassthroughLayer(Session& s, const XrCompositionLayerBaseHeader* layer, float& opacity);

// The synthetic camera image: colour bars over a checkerboard (sRGB bytes).
std::array<std::uint8_t, 3> cameraPattern(std::uint32_t x, std::uint32_t y, std::uint32_t width, std::uint32_t height);

// Puts the camera image under a captured RGBA8 (sRGB) view: the view's
// colour is premultiplied by its alpha unless `unpremultiplied`
// (XR_COMPOSITION_LAYER_UNPREMULTIPLIED_ALPHA_BIT), blending in linear light.
void compositeOverCamera(std::vector<std::uint8_t>& rgba, std::uint32_t width, std::uint32_t height, float opacity,
                         bool unpremultiplied);

void addPassthroughProcs(std::vector<ProcEntry>& table);

}  // namespace mxr::xrrt
