#version 450
#extension GL_EXT_multiview : require
#include "common.glsl"

layout(location = 0) in vec3 inPosition;
layout(location = 1) in vec3 inNormal;
layout(location = 2) in vec4 inModel0;
layout(location = 3) in vec4 inModel1;
layout(location = 4) in vec4 inModel2;
layout(location = 5) in vec4 inModel3;
layout(location = 6) in vec4 inColor;

layout(location = 0) out vec3 outWorldPos;
layout(location = 1) out vec3 outNormal;
layout(location = 2) out vec4 outColor;

void main() {
    mat4 model = mat4(inModel0, inModel1, inModel2, inModel3);
    vec4 world = model * vec4(inPosition, 1.0);
    outWorldPos = world.xyz;
    // Non-uniform scale: transform normals by the inverse transpose.
    outNormal = transpose(inverse(mat3(model))) * inNormal;
    outColor = inColor;
    gl_Position = frame.viewProj[gl_ViewIndex] * world;
}
