// Shared by every scene shader: per-frame uniforms for up to two views
// (multiview: gl_ViewIndex picks the eye).
layout(set = 0, binding = 0) uniform Frame {
    mat4 viewProj[2];
    vec4 eyePos[2];
    vec4 lightPos[8];    // xyz position, w range
    vec4 lightColor[8];  // rgb colour * intensity
    vec4 ambient;        // rgb ambient, w unused
    ivec4 counts;        // x: light count (mesh.frag takes it as a pipeline constant)
} frame;
