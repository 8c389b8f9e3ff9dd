// The UI image (ImGui, drawn into a UNORM image over transparent black)
// holds sRGB-encoded colour premultiplied by coverage. An sRGB render target
// encodes what a shader writes, so written as is the panel is encoded twice
// and washes out. When the target is sRGB (pipeline constant 0), decode:
// un-premultiply, linearise, re-premultiply. Decoding the premultiplied
// value directly (what an sRGB view of the image would do) darkens the
// half-covered edges, which then look like a dark fringe over the room.
layout(constant_id = 0) const bool kTargetIsSrgb = false;

vec3 srgbToLinear(vec3 c) {
    return mix(c / 12.92, pow((c + 0.055) / 1.055, vec3(2.4)), greaterThan(c, vec3(0.04045)));
}

vec4 overlayForTarget(vec4 premultiplied) {
    if (!kTargetIsSrgb || premultiplied.a <= 0.0) return premultiplied;
    const vec3 straight = clamp(premultiplied.rgb / premultiplied.a, 0.0, 1.0);
    return vec4(srgbToLinear(straight) * premultiplied.a, premultiplied.a);
}
