#version 450
#extension GL_EXT_multiview : require
#include "common.glsl"

// One instance per segment; six vertices make a ribbon that faces the eye.
layout(location = 0) in vec4 inFrom;  // xyz, w = width in metres
layout(location = 1) in vec4 inTo;
layout(location = 2) in vec4 inColor;
layout(location = 0) out vec4 outColor;

void main() {
    const vec2 corners[6] = vec2[](vec2(0, -1), vec2(1, -1), vec2(1, 1), vec2(0, -1), vec2(1, 1), vec2(0, 1));
    vec2 c = corners[gl_VertexIndex];
    vec3 a = inFrom.xyz;
    vec3 b = inTo.xyz;
    vec3 along = b - a;
    vec3 eye = frame.eyePos[gl_ViewIndex].xyz;
    vec3 mid = mix(a, b, 0.5);
    vec3 side = cross(along, eye - mid);
    float len = length(side);
    side = len > 1e-6 ? side / len : vec3(0, 1, 0);
    // Extend by half a width at both ends so joined segments overlap.
    vec3 dir = length(along) > 1e-6 ? normalize(along) : vec3(0);
    float halfWidth = 0.5 * inFrom.w;
    vec3 p = mix(a - dir * halfWidth, b + dir * halfWidth, c.x) + side * (c.y * halfWidth);
    outColor = inColor;
    gl_Position = frame.viewProj[gl_ViewIndex] * vec4(p, 1.0);
}
