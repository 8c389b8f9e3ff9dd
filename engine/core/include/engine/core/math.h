#pragma once
// Math on glm: right-handed, Y up, -Z forward, metres, as OpenXR uses.
#include <cmath>
#include <glm/glm.hpp>
#include <glm/gtc/quaternion.hpp>

namespace mxr {

using Vec2 = glm::vec2;
using Vec3 = glm::vec3;
using Vec4 = glm::vec4;
using Mat4 = glm::mat4;
using Quat = glm::quat;

// A rigid pose: where something is and which way it faces.
struct Pose {
    Vec3 position{0.0f};
    Quat orientation{1.0f, 0.0f, 0.0f, 0.0f};  // w, x, y, z

    Mat4 toMatrix() const;
    Pose operator*(const Pose& child) const;  // this ∘ child
    Pose inverse() const;                     // inverse() * (*this) is the identity
    Vec3 transformPoint(const Vec3& p) const { return position + orientation * p; }
    Vec3 forward() const { return orientation * Vec3(0.0f, 0.0f, -1.0f); }
};

// Asymmetric field of view in radians (OpenXR's XrFovf: left and down
// are negative).
struct Fov {
    float angleLeft = -0.785398f;
    float angleRight = 0.785398f;
    float angleUp = 0.785398f;
    float angleDown = -0.785398f;

    static Fov symmetric(float verticalRadians, float aspect);
};

// Vulkan clip space (Y down, depth 0..1) with reversed-Z is not used: depth is
// standard 0 near, 1 far, so the software rasterizer and NVIDIA agree.
Mat4 projectionFromFov(const Fov& fov, float nearZ, float farZ);
Mat4 viewFromPose(const Pose& eye);
Quat quatFromYawPitch(float yaw, float pitch);

inline bool isFinite(const Vec3& v) {
    return std::isfinite(v.x) && std::isfinite(v.y) && std::isfinite(v.z);
}

}  // namespace mxr
