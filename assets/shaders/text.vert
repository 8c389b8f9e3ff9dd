#version 450
#extension GL_EXT_multiview : require
#include "common.glsl"

layout(location = 0) in vec3 inPosition;
layout(location = 1) in vec2 inUv;
layout(location = 2) in vec4 inColor;
layout(location = 0) out vec2 outUv;
layout(location = 1) out vec4 outColor;

void main() {
    outUv = inUv;
    outColor = inColor;
    gl_Position = frame.viewProj[gl_ViewIndex] * vec4(inPosition, 1.0);
}
