#version 450
#extension GL_EXT_multiview : require
#include "common.glsl"

layout(location = 0) in vec3 inWorldPos;
layout(location = 1) in vec3 inNormal;
layout(location = 2) in vec4 inColor;
layout(location = 0) out vec4 outColor;

void main() {
    vec3 n = normalize(inNormal);
    vec3 v = normalize(frame.eyePos[gl_ViewIndex].xyz - inWorldPos);
    if (dot(n, v) < 0.0) n = -n;  // thin geometry seen from behind
    vec3 albedo = inColor.rgb;
    // Hemisphere ambient: a little brighter from above, so shapes read
    // even away from the lights.
    vec3 light = frame.ambient.rgb * (0.75 + 0.25 * n.y);
    vec3 spec = vec3(0.0);
    for (int i = 0; i < frame.counts.x; ++i) {
        vec3 toLight = frame.lightPos[i].xyz - inWorldPos;
        float dist = length(toLight);
        vec3 l = toLight / max(dist, 1e-4);
        float range = frame.lightPos[i].w;
        float fall = clamp(1.0 - dist / range, 0.0, 1.0);
        fall *= fall;
        float diffuse = max(dot(n, l), 0.0);
        light += frame.lightColor[i].rgb * diffuse * fall;
        vec3 h = normalize(l + v);
        spec += frame.lightColor[i].rgb * pow(max(dot(n, h), 0.0), 32.0) * 0.25 * fall;
    }
    outColor = vec4(albedo * light + spec, inColor.a);
}
