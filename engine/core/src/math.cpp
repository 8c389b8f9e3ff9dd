#include "engine/core/math.h"

#include <cmath>
#include <glm/gtc/matrix_transform.hpp>

namespace mxr {

Mat4 Pose::toMatrix() const {
    Mat4 m = glm::mat4_cast(orientation);
    m[3] = Vec4(position, 1.0f);
    return m;
}

Pose Pose::operator*(const Pose& child) const {
    return Pose{position + orientation * child.position, glm::normalize(orientation * child.orientation)};
}

Pose Pose::inverse() const {
    const Quat back = glm::inverse(orientation);
    return Pose{back * -position, back};
}

Fov Fov::symmetric(float verticalRadians, float aspect) {
    const float halfV = verticalRadians * 0.5f;
    const float halfH = std::atan(std::tan(halfV) * aspect);
    return Fov{-halfH, halfH, halfV, -halfV};
}

Mat4 projectionFromFov(const Fov& fov, float nearZ, float farZ) {
    // Off-axis perspective for Vulkan: clip Y points down, depth maps to [0, 1].
    const float l = std::tan(fov.angleLeft), r = std::tan(fov.angleRight);
    const float u = std::tan(fov.angleUp), d = std::tan(fov.angleDown);
    const float w = r - l, h = d - u;  // h < 0 flips Y for Vulkan
    Mat4 m(0.0f);
    m[0][0] = 2.0f / w;
    m[1][1] = 2.0f / h;
    m[2][0] = (r + l) / w;
    m[2][1] = (u + d) / h;
    m[2][2] = -farZ / (farZ - nearZ);
    m[2][3] = -1.0f;
    m[3][2] = -(farZ * nearZ) / (farZ - nearZ);
    return m;
}

Mat4 viewFromPose(const Pose& eye) { return glm::inverse(eye.toMatrix()); }

Quat quatFromYawPitch(float yaw, float pitch) {
    const Quat qYaw = glm::angleAxis(yaw, Vec3(0, 1, 0));
    const Quat qPitch = glm::angleAxis(pitch, Vec3(1, 0, 0));
    return glm::normalize(qYaw * qPitch);
}

}  // namespace mxr
