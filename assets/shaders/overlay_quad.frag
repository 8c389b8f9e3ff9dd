#version 450
#include "overlay_decode.glsl"
// The UI overlay on a quad in the world (VR panels). The image is
// premultiplied (see overlay.frag); the vertex alpha fades the whole panel.
layout(set = 0, binding = 2) uniform sampler2D overlay;
layout(location = 0) in vec2 inUv;
layout(location = 1) in vec4 inColor;
layout(location = 0) out vec4 outColor;
void main() {
    outColor = overlayForTarget(texture(overlay, inUv)) * inColor.a;
}
