#version 450
#include "overlay_decode.glsl"
layout(set = 0, binding = 2) uniform sampler2D overlay;
layout(location = 0) in vec2 inUv;
layout(location = 0) out vec4 outColor;
void main() {
    // The UI image holds colour already multiplied by coverage (drawn over
    // transparent black), so it composites with ONE, ONE_MINUS_SRC_ALPHA.
    outColor = overlayForTarget(texture(overlay, inUv));
}
