#include "scenes/avatar.h"

#include <algorithm>
#include <cmath>
#include <glm/gtc/matrix_transform.hpp>

#include "engine/render/mesh_builder.h"

namespace mxr::scenes {
namespace {

Mat4 trs(const Vec3& p, const Quat& q, const Vec3& s) {
    Mat4 m = glm::mat4_cast(q);
    m[0] *= s.x;
    m[1] *= s.y;
    m[2] *= s.z;
    m[3] = Vec4(p, 1.0f);
    return m;
}

engine::MeshHandle meshFor(Shape s, const SceneMeshes& m) {
    switch (s) {
        case Shape::kBox: return m.box;
        case Shape::kSphere: return m.sphere;
        case Shape::kCylinder: return m.cylinder;
    }
    return m.box;
}

const char* kDemoNames[] = {"Amara (mentor)", "Ben (mentee)", "Chen", "Dana", "Elif", "Farid", "Grace", "Hiro",
                            "Ines", "Jonas", "Kofi", "Lena", "Mateo", "Nadia", "Omar", "Priya"};

}  // namespace

Vec4 paletteColor(std::size_t index) {
    static constexpr Vec4 kPalette[] = {
        {0.95f, 0.45f, 0.2f, 1}, {0.2f, 0.55f, 0.95f, 1}, {0.3f, 0.8f, 0.4f, 1},  {0.85f, 0.3f, 0.7f, 1},
        {0.95f, 0.8f, 0.2f, 1},  {0.3f, 0.85f, 0.85f, 1}, {0.6f, 0.4f, 0.9f, 1},  {0.9f, 0.3f, 0.35f, 1},
    };
    Vec4 c = kPalette[index % 8];
    if ((index / 8) % 2 == 1) c = Vec4(Vec3(c) * 0.7f, 1.0f);
    return c;
}

Result<SceneMeshes> uploadSceneMeshes(engine::Renderer& renderer) {
    SceneMeshes m;
    MXR_TRY_ASSIGN(m.box, renderer.upload(engine::makeBox()));
    MXR_TRY_ASSIGN(m.sphere, renderer.upload(engine::makeSphere()));
    MXR_TRY_ASSIGN(m.cylinder, renderer.upload(engine::makeCylinder()));
    return m;
}

void appendRoom(const Room& room, const SceneMeshes& meshes, engine::FrameScene& scene) {
    scene.clearColor = room.clearColor;
    scene.ambient = room.ambient;
    for (const auto& l : room.lights) scene.lights.push_back({l.position, l.color, l.intensity, l.range});
    for (const auto& o : room.objects) {
        scene.instances.push_back(
            {meshFor(o.shape, meshes), trs(o.position, glm::angleAxis(o.yawRadians, Vec3(0, 1, 0)), o.scale), o.color});
    }
    for (const auto& l : room.labels) {
        engine::Label label;
        label.text = l.text;
        label.anchor = l.position;
        label.height = l.height;
        label.color = l.color;
        label.background = Vec4(0.0f);
        if (l.fixed) label.facing = glm::angleAxis(l.yawRadians, Vec3(0, 1, 0)) * Vec3(0, 0, 1);
        scene.labels.push_back(std::move(label));
    }
}

Vec3 labelAnchor(const Participant& p) { return p.head.position + Vec3(0.0f, 0.28f, 0.0f); }

Vec3 pausedColor(const Vec3& color) { return glm::mix(color, Vec3(0.5f), 0.6f) * 0.5f; }

void appendAvatar(const Participant& p, const SceneMeshes& meshes, engine::FrameScene& scene) {
    const Vec4 color(p.paused || p.away ? pausedColor(Vec3(p.color)) : Vec3(p.color), p.opacity);
    const Vec4 dark(0.08f, 0.09f, 0.12f, p.opacity);
    // Head: a sphere centred slightly behind the eyes, with a visor on its face.
    const Vec3 headCentre = p.head.transformPoint(Vec3(0.0f, 0.0f, 0.05f));
    scene.instances.push_back({meshes.sphere, trs(headCentre, p.head.orientation, Vec3(0.22f, 0.25f, 0.24f)), color});
    scene.instances.push_back({meshes.box,
                               trs(p.head.transformPoint(Vec3(0.0f, 0.01f, -0.07f)), p.head.orientation,
                                   Vec3(0.17f, 0.07f, 0.04f)),
                               dark});
    // Torso hangs below the head, turned only by the head's yaw.
    const Vec3 fwd = p.head.orientation * Vec3(0, 0, -1);
    const float yaw = std::atan2(-fwd.x, -fwd.z);
    const Quat bodyYaw = glm::angleAxis(yaw, Vec3(0, 1, 0));
    const Vec3 torsoCentre = headCentre + Vec3(0.0f, -0.45f, 0.0f) + bodyYaw * Vec3(0, 0, 0.03f);
    scene.instances.push_back({meshes.cylinder, trs(torsoCentre, bodyYaw, Vec3(0.34f, 0.5f, 0.22f)), color * Vec4(0.8f, 0.8f, 0.8f, 1.0f)});
    scene.instances.push_back({meshes.sphere, trs(torsoCentre + Vec3(0, 0.22f, 0), bodyYaw, Vec3(0.36f, 0.14f, 0.24f)), color * Vec4(0.8f, 0.8f, 0.8f, 1.0f)});
    if (p.recordingConsent) {
        // Agrees to be recorded: a small red light on the chest, like a camera's.
        scene.instances.push_back({meshes.sphere, trs(torsoCentre + bodyYaw * Vec3(0.09f, 0.14f, -0.12f), bodyYaw,
                                                       Vec3(0.045f)),
                                   Vec4(0.95f, 0.12f, 0.1f, p.opacity)});
    }
    for (const Pose& hand : p.hands) {
        scene.instances.push_back({meshes.sphere, trs(hand.position, hand.orientation, Vec3(0.085f, 0.06f, 0.11f)), color});
    }
    if (p.speaking > 0.0f) {
        // Speaking: a see-through green glow around the head (seen from
        // every side), larger and stronger as the voice is louder.
        const float s = std::clamp(p.speaking, 0.0f, 1.0f);
        const float grow = 1.2f + 0.25f * s;
        scene.instances.push_back({meshes.sphere, trs(headCentre, p.head.orientation, Vec3(0.22f, 0.25f, 0.24f) * grow),
                                   Vec4(0.3f, 1.0f, 0.45f, (0.25f + 0.3f * s) * p.opacity)});
    }
    engine::Label label;
    label.text = nameLabelText(p);
    label.maxWidth = p.labelPointed ? 0.0f : kNameLabelMaxWidth;
    label.anchor = labelAnchor(p);
    label.height = 0.07f;
    label.color = p.paused || p.away ? Vec4(0.65f, 0.65f, 0.68f, p.opacity) : Vec4(1.0f, 1.0f, 1.0f, p.opacity);
    label.background = p.speaking > 0.0f ? Vec4(0.05f, 0.35f, 0.12f, 0.75f * p.opacity)
                                         : Vec4(0.05f, 0.05f, 0.08f, 0.6f * p.opacity);
    scene.labels.push_back(std::move(label));
}

std::vector<Participant> demoParticipants(const Room& room, std::size_t count, double seconds) {
    std::vector<Participant> out;
    out.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
        Seat seat;
        if (i < room.seats.size()) {
            seat = room.seats[i];
        } else {
            // Rings around the room centre, facing inwards.
            const std::size_t k = i - room.seats.size();
            const float ring = 1.6f + 0.8f * float(k / 8);
            const float a = float(k % 8) / 8.0f * 6.2831853f + 0.3f * float(k / 8);
            seat.position = Vec3(std::sin(a) * ring, 0.0f, std::cos(a) * ring);
            seat.yawRadians = a;
        }
        Participant p;
        p.name = i < 16 ? kDemoNames[i] : strCat("Guest ", i + 1);
        p.color = paletteColor(i);
        const double phase = double(i) * 1.7;
        const float look = 0.35f * float(std::sin(seconds * 0.6 + phase));
        const float nod = 0.12f * float(std::sin(seconds * 1.3 + phase * 0.5));
        const Quat seatYaw = glm::angleAxis(seat.yawRadians, Vec3(0, 1, 0));
        p.head.position = seat.position + seatYaw * Vec3(0.0f, 1.2f, 0.05f);
        p.head.orientation = glm::normalize(seatYaw * quatFromYawPitch(look, nod - 0.1f));
        for (int h = 0; h < 2; ++h) {
            const float side = h == 0 ? -0.22f : 0.22f;
            const float gesture = h == 1 ? 0.08f * float(std::sin(seconds * 2.1 + phase)) : 0.0f;
            p.hands[h].position = seat.position + seatYaw * Vec3(side, 0.8f + gesture, -0.3f);
            p.hands[h].orientation = seatYaw;
        }
        out.push_back(std::move(p));
    }
    return out;
}

std::string nameLabelText(const Participant& p) {
    static constexpr std::string_view kIsolate = "\u2068", kPopIsolate = "\u2069";
    const std::string_view name = p.displayName.empty() ? std::string_view(p.name) : std::string_view(p.displayName);
    if (std::string_view(p.name).substr(0, name.size()) != name) return p.name;
    return strCat(kIsolate, name, kPopIsolate, std::string_view(p.name).substr(name.size()));
}

bool labelPointedAt(const Pose& aim, const Vec3& anchor) {
    // The plate's plane faces the pointer (turned about the vertical only,
    // like a label facing a viewer there); the hit must fall within the
    // widest plate (kNameLabelMaxWidth) and one line of text.
    const Vec3 dir = aim.orientation * Vec3(0, 0, -1);
    Vec3 normal = aim.position - anchor;
    normal.y = 0.0f;
    if (glm::length(normal) < 1e-4f) return false;
    normal = glm::normalize(normal);
    const float denom = glm::dot(dir, normal);
    if (denom > -1e-4f) return false;  // parallel, or pointing away
    const float t = glm::dot(anchor - aim.position, normal) / denom;
    if (t <= 0.0f) return false;
    const Vec3 hit = aim.position + dir * t - anchor;
    const Vec3 right = glm::normalize(glm::cross(Vec3(0, 1, 0), normal));
    return std::abs(glm::dot(hit, right)) <= 0.5f * kNameLabelMaxWidth && std::abs(hit.y) <= 0.07f;
}

}  // namespace mxr::scenes
