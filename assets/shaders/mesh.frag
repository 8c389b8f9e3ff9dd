#version 450
#extension GL_EXT_multiview : require
#include "common.glsl"

layout(location = 0) in vec3 inWorldPos;
layout(location = 1) in vec3 inNormal;
layout(location = 2) in vec4 inColor;
layout(location = 0) out vec4 outColor;

// The number of lights is a constant of the pipeline (one pipeline per
// count, made on first use): a loop bounded by a uniform costs a software
// rasterizer all eight iterations, masked, for every fragment.
layout(constant_id = 0) const int kLightCount = 8;

// x^32 by squaring: exact where pow() is exp2(32 * log2(x)), and cheaper.
float pow32(float x) {
    x *= x;
    x *= x;
    x *= x;
    x *= x;
    return x * x;
}

void main() {
    vec3 n = normalize(inNormal);
    vec3 v = normalize(frame.eyePos[gl_ViewIndex].xyz - inWorldPos);
    if (dot(n, v) < 0.0) n = -n;  // thin geometry seen from behind
    vec3 albedo = inColor.rgb;
    // Hemisphere ambient: a little brighter from above, so shapes read
    // even away from the lights.
    vec3 light = frame.ambient.rgb * (0.75 + 0.25 * n.y);
    vec3 spec = vec3(0.0);
    for (int i = 0; i < kLightCount; ++i) {
        vec3 toLight = frame.lightPos[i].xyz - inWorldPos;
        float invDist = inversesqrt(max(dot(toLight, toLight), 1e-8));
        vec3 l = toLight * invDist;
        float range = frame.lightPos[i].w;
        float fall = clamp(1.0 - 1.0 / (invDist * range), 0.0, 1.0);
        fall *= fall;
        vec3 c = frame.lightColor[i].rgb * fall;
        light += c * max(dot(n, l), 0.0);
        spec += c * (pow32(max(dot(n, normalize(l + v)), 0.0)) * 0.25);
    }
    outColor = vec4(albedo * light + spec, inColor.a);
}
