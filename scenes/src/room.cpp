#include "scenes/room.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "scenes/scene_file_text.h"

namespace mxr::scenes {
namespace {

using json = nlohmann::json;

// Content errors carry a JSON path ("furniture[2].position").
struct Ctx {
    const std::string& source;
    tl::unexpected<Error> fail(const std::string& path, const std::string& problem) const {
        return makeError(ErrorCode::kInvalidArgument, strCat(source, ": ", path, ": ", problem));
    }
};

constexpr std::size_t kMaxItems = 4096;
constexpr float kMaxExtent = 1000.0f;  // metres; anything larger is a typo

Result<float> number(const Ctx& c, const json& j, const std::string& path, float lo, float hi) {
    if (!j.is_number()) return c.fail(path, "expected a number");
    const double v = j.get<double>();
    if (!std::isfinite(v) || v < lo || v > hi) return c.fail(path, strCat("must be between ", lo, " and ", hi));
    return static_cast<float>(v);
}

Result<Vec3> vec3(const Ctx& c, const json& j, const std::string& path, float lo = -kMaxExtent, float hi = kMaxExtent) {
    if (!j.is_array() || j.size() != 3) return c.fail(path, "expected an array of 3 numbers");
    Vec3 out;
    for (int i = 0; i < 3; ++i) {
        MXR_TRY_ASSIGN(out[i], number(c, j[i], strCat(path, "[", i, "]"), lo, hi));
    }
    return out;
}

Result<Vec4> color(const Ctx& c, const json& j, const std::string& path) {
    if (!j.is_array() || (j.size() != 3 && j.size() != 4)) return c.fail(path, "expected a colour [r, g, b] or [r, g, b, a] in 0..1");
    Vec4 out(1.0f);
    for (std::size_t i = 0; i < j.size(); ++i) {
        MXR_TRY_ASSIGN(out[static_cast<int>(i)], number(c, j[i], strCat(path, "[", i, "]"), 0.0f, 1.0f));
    }
    return out;
}

Result<std::string> text(const Ctx& c, const json& j, const std::string& path, std::size_t maxLen) {
    if (!j.is_string()) return c.fail(path, "expected a string");
    std::string s = j.get<std::string>();
    if (s.size() > maxLen) return c.fail(path, strCat("longer than ", maxLen, " characters"));
    return s;
}

Result<const json*> member(const Ctx& c, const json& obj, const std::string& path, const char* key, bool required) {
    auto it = obj.find(key);
    if (it == obj.end()) {
        if (required) return c.fail(path, strCat("missing \"", key, "\""));
        return static_cast<const json*>(nullptr);
    }
    return &*it;
}

Result<void> checkKeys(const Ctx& c, const json& obj, const std::string& path, std::initializer_list<const char*> known) {
    if (!obj.is_object()) return c.fail(path, "expected an object");
    for (auto it = obj.begin(); it != obj.end(); ++it) {
        bool ok = false;
        for (const char* k : known) ok = ok || it.key() == k;
        if (!ok) return c.fail(path, strCat("unknown field \"", it.key(), "\""));
    }
    return {};
}

Result<Shape> shape(const Ctx& c, const json& j, const std::string& path) {
    MXR_TRY_ASSIGN(std::string s, text(c, j, path, 32));
    if (s == "box") return Shape::kBox;
    if (s == "sphere") return Shape::kSphere;
    if (s == "cylinder") return Shape::kCylinder;
    return c.fail(path, strCat("unknown shape \"", s, "\" (box, sphere, cylinder)"));
}

float radians(float degrees) { return degrees * 0.0174532925f; }

// Furniture kinds expand into primitives around their position and yaw.
void addPart(Room& room, const std::string& name, Shape s, Vec3 base, float yaw, Vec3 offset, Vec3 scale, Vec4 col) {
    const Quat q = glm::angleAxis(yaw, Vec3(0, 1, 0));
    room.objects.push_back(RoomObject{name, s, base + q * offset, scale, yaw, col});
}

Result<void> expandFurniture(const Ctx& c, Room& room, const std::string& kind, Vec3 p, float yaw, Vec4 col,
                             const std::string& path) {
    if (kind == "table") {
        addPart(room, "table top", Shape::kBox, p, yaw, {0, 0.74f, 0}, {1.6f, 0.05f, 0.9f}, col);
        for (float x : {-0.72f, 0.72f}) {
            for (float z : {-0.37f, 0.37f}) {
                addPart(room, "table leg", Shape::kCylinder, p, yaw, {x, 0.36f, z}, {0.06f, 0.72f, 0.06f}, col * 0.7f);
            }
        }
    } else if (kind == "chair") {
        addPart(room, "chair seat", Shape::kBox, p, yaw, {0, 0.45f, 0}, {0.46f, 0.06f, 0.46f}, col);
        addPart(room, "chair back", Shape::kBox, p, yaw, {0, 0.75f, 0.2f}, {0.46f, 0.55f, 0.05f}, col);
        for (float x : {-0.2f, 0.2f}) {
            for (float z : {-0.2f, 0.2f}) {
                addPart(room, "chair leg", Shape::kCylinder, p, yaw, {x, 0.21f, z}, {0.035f, 0.42f, 0.035f}, col * 0.6f);
            }
        }
    } else if (kind == "whiteboard") {
        addPart(room, "whiteboard", Shape::kBox, p, yaw, {0, 1.45f, 0}, {2.0f, 1.1f, 0.03f}, col);
        addPart(room, "whiteboard frame", Shape::kBox, p, yaw, {0, 0.88f, 0.04f}, {2.0f, 0.04f, 0.1f},
                Vec4(0.35f, 0.36f, 0.4f, 1.0f));
    } else if (kind == "plant") {
        addPart(room, "pot", Shape::kCylinder, p, yaw, {0, 0.2f, 0}, {0.35f, 0.4f, 0.35f}, Vec4(0.55f, 0.3f, 0.2f, 1));
        addPart(room, "leaves", Shape::kSphere, p, yaw, {0, 0.75f, 0}, {0.7f, 0.8f, 0.7f}, col);
    } else {
        return c.fail(path, strCat("unknown furniture kind \"", kind, "\" (table, chair, whiteboard, plant)"));
    }
    return {};
}

}  // namespace

Result<Room> parseRoom(const std::string& jsonText, const std::string& source) {
    const Ctx c{source};
    MXR_TRY_ASSIGN(const json doc, parseSceneJson(jsonText, source));
    MXR_TRY(checkKeys(c, doc, "(top level)",
                      {"name", "size", "ambient", "clear_color", "floor_color", "wall_color", "lights", "objects",
                       "furniture", "labels", "seats", "cameras"}));
    Room room;
    MXR_TRY_ASSIGN(const json* name, member(c, doc, "(top level)", "name", true));
    MXR_TRY_ASSIGN(room.name, text(c, *name, "name", 200));
    if (auto* j = *member(c, doc, "", "size", false)) {
        MXR_TRY_ASSIGN(room.size, vec3(c, *j, "size", 1.0f, 200.0f));
    }
    if (auto* j = *member(c, doc, "", "ambient", false)) {
        MXR_TRY_ASSIGN(room.ambient, vec3(c, *j, "ambient", 0.0f, 4.0f));
    }
    if (auto* j = *member(c, doc, "", "clear_color", false)) {
        MXR_TRY_ASSIGN(room.clearColor, color(c, *j, "clear_color"));
    }
    Vec4 floorColor(0.45f, 0.42f, 0.38f, 1.0f), wallColor(0.78f, 0.8f, 0.84f, 1.0f);
    if (auto* j = *member(c, doc, "", "floor_color", false)) {
        MXR_TRY_ASSIGN(floorColor, color(c, *j, "floor_color"));
    }
    if (auto* j = *member(c, doc, "", "wall_color", false)) {
        MXR_TRY_ASSIGN(wallColor, color(c, *j, "wall_color"));
    }
    // Floor, ceiling-less walls (open top reads better from above).
    const Vec3 s = room.size;
    const float t = 0.1f;
    room.objects.push_back({"floor", Shape::kBox, Vec3(0, -t / 2, 0), Vec3(s.x, t, s.z), 0.0f, floorColor});
    room.objects.push_back({"wall north", Shape::kBox, Vec3(0, s.y / 2, -s.z / 2 - t / 2), Vec3(s.x, s.y, t), 0.0f, wallColor});
    room.objects.push_back({"wall south", Shape::kBox, Vec3(0, s.y / 2, s.z / 2 + t / 2), Vec3(s.x, s.y, t), 0.0f, wallColor});
    room.objects.push_back({"wall west", Shape::kBox, Vec3(-s.x / 2 - t / 2, s.y / 2, 0), Vec3(t, s.y, s.z), 0.0f, wallColor * 0.95f});
    room.objects.push_back({"wall east", Shape::kBox, Vec3(s.x / 2 + t / 2, s.y / 2, 0), Vec3(t, s.y, s.z), 0.0f, wallColor * 0.95f});
    for (auto& o : room.objects) o.color.a = 1.0f;

    auto forEach = [&](const char* key, auto&& fn) -> Result<void> {
        MXR_TRY_ASSIGN(const json* arr, member(c, doc, "", key, false));
        if (!arr) return {};
        if (!arr->is_array()) return c.fail(key, "expected an array");
        if (arr->size() > kMaxItems) return c.fail(key, strCat("more than ", kMaxItems, " entries"));
        for (std::size_t i = 0; i < arr->size(); ++i) MXR_TRY(fn((*arr)[i], strCat(key, "[", i, "]")));
        return {};
    };

    MXR_TRY(forEach("lights", [&](const json& j, const std::string& p) -> Result<void> {
        MXR_TRY(checkKeys(c, j, p, {"position", "color", "intensity", "range"}));
        RoomLight l;
        MXR_TRY_ASSIGN(const json* pos, member(c, j, p, "position", true));
        MXR_TRY_ASSIGN(l.position, vec3(c, *pos, p + ".position"));
        if (auto* v = *member(c, j, p, "color", false)) {
            MXR_TRY_ASSIGN(l.color, vec3(c, *v, p + ".color", 0.0f, 1.0f));
        }
        if (auto* v = *member(c, j, p, "intensity", false)) {
            MXR_TRY_ASSIGN(l.intensity, number(c, *v, p + ".intensity", 0.0f, 100.0f));
        }
        if (auto* v = *member(c, j, p, "range", false)) {
            MXR_TRY_ASSIGN(l.range, number(c, *v, p + ".range", 0.1f, 1000.0f));
        }
        room.lights.push_back(l);
        return {};
    }));
    MXR_TRY(forEach("objects", [&](const json& j, const std::string& p) -> Result<void> {
        MXR_TRY(checkKeys(c, j, p, {"name", "shape", "position", "scale", "yaw_deg", "color"}));
        RoomObject o;
        if (auto* v = *member(c, j, p, "name", false)) {
            MXR_TRY_ASSIGN(o.name, text(c, *v, p + ".name", 200));
        }
        MXR_TRY_ASSIGN(const json* sh, member(c, j, p, "shape", true));
        MXR_TRY_ASSIGN(o.shape, shape(c, *sh, p + ".shape"));
        MXR_TRY_ASSIGN(const json* pos, member(c, j, p, "position", true));
        MXR_TRY_ASSIGN(o.position, vec3(c, *pos, p + ".position"));
        if (auto* v = *member(c, j, p, "scale", false)) {
            MXR_TRY_ASSIGN(o.scale, vec3(c, *v, p + ".scale", 0.001f, kMaxExtent));
        }
        if (auto* v = *member(c, j, p, "yaw_deg", false)) {
            MXR_TRY_ASSIGN(float deg, number(c, *v, p + ".yaw_deg", -360.0f, 360.0f));
            o.yawRadians = radians(deg);
        }
        if (auto* v = *member(c, j, p, "color", false)) {
            MXR_TRY_ASSIGN(o.color, color(c, *v, p + ".color"));
        }
        room.objects.push_back(o);
        return {};
    }));
    MXR_TRY(forEach("furniture", [&](const json& j, const std::string& p) -> Result<void> {
        MXR_TRY(checkKeys(c, j, p, {"kind", "position", "yaw_deg", "color"}));
        MXR_TRY_ASSIGN(const json* k, member(c, j, p, "kind", true));
        MXR_TRY_ASSIGN(std::string kind, text(c, *k, p + ".kind", 32));
        MXR_TRY_ASSIGN(const json* pos, member(c, j, p, "position", true));
        MXR_TRY_ASSIGN(Vec3 position, vec3(c, *pos, p + ".position"));
        float yaw = 0.0f;
        if (auto* v = *member(c, j, p, "yaw_deg", false)) {
            MXR_TRY_ASSIGN(float deg, number(c, *v, p + ".yaw_deg", -360.0f, 360.0f));
            yaw = radians(deg);
        }
        Vec4 col(0.6f, 0.45f, 0.3f, 1.0f);
        if (kind == "whiteboard") col = Vec4(0.96f, 0.96f, 0.94f, 1.0f);
        if (kind == "plant") col = Vec4(0.25f, 0.55f, 0.25f, 1.0f);
        if (auto* v = *member(c, j, p, "color", false)) {
            MXR_TRY_ASSIGN(col, color(c, *v, p + ".color"));
        }
        return expandFurniture(c, room, kind, position, yaw, col, p + ".kind");
    }));
    MXR_TRY(forEach("labels", [&](const json& j, const std::string& p) -> Result<void> {
        MXR_TRY(checkKeys(c, j, p, {"text", "position", "height", "color", "yaw_deg"}));
        RoomLabel l;
        MXR_TRY_ASSIGN(const json* tx, member(c, j, p, "text", true));
        MXR_TRY_ASSIGN(l.text, text(c, *tx, p + ".text", 200));
        MXR_TRY_ASSIGN(const json* pos, member(c, j, p, "position", true));
        MXR_TRY_ASSIGN(l.position, vec3(c, *pos, p + ".position"));
        if (auto* v = *member(c, j, p, "height", false)) {
            MXR_TRY_ASSIGN(l.height, number(c, *v, p + ".height", 0.01f, 2.0f));
        }
        if (auto* v = *member(c, j, p, "color", false)) {
            MXR_TRY_ASSIGN(l.color, color(c, *v, p + ".color"));
        }
        if (auto* v = *member(c, j, p, "yaw_deg", false)) {
            MXR_TRY_ASSIGN(float deg, number(c, *v, p + ".yaw_deg", -360.0f, 360.0f));
            l.fixed = true;
            l.yawRadians = radians(deg);
        }
        room.labels.push_back(l);
        return {};
    }));
    MXR_TRY(forEach("seats", [&](const json& j, const std::string& p) -> Result<void> {
        MXR_TRY(checkKeys(c, j, p, {"position", "yaw_deg"}));
        Seat seat;
        MXR_TRY_ASSIGN(const json* pos, member(c, j, p, "position", true));
        MXR_TRY_ASSIGN(seat.position, vec3(c, *pos, p + ".position"));
        if (auto* v = *member(c, j, p, "yaw_deg", false)) {
            MXR_TRY_ASSIGN(float deg, number(c, *v, p + ".yaw_deg", -360.0f, 360.0f));
            seat.yawRadians = radians(deg);
        }
        room.seats.push_back(seat);
        return {};
    }));
    MXR_TRY_ASSIGN(const json* cams, member(c, doc, "", "cameras", false));
    if (cams) {
        if (!cams->is_object()) return c.fail("cameras", "expected an object of named cameras");
        for (auto it = cams->begin(); it != cams->end(); ++it) {
            const std::string p = "cameras." + it.key();
            MXR_TRY(checkKeys(c, *it, p, {"position", "yaw_deg", "pitch_deg"}));
            CameraPreset cam;
            MXR_TRY_ASSIGN(const json* pos, member(c, *it, p, "position", true));
            MXR_TRY_ASSIGN(cam.position, vec3(c, *pos, p + ".position"));
            if (auto* v = *member(c, *it, p, "yaw_deg", false)) {
                MXR_TRY_ASSIGN(float deg, number(c, *v, p + ".yaw_deg", -360.0f, 360.0f));
                cam.yawRadians = radians(deg);
            }
            if (auto* v = *member(c, *it, p, "pitch_deg", false)) {
                MXR_TRY_ASSIGN(float deg, number(c, *v, p + ".pitch_deg", -89.0f, 89.0f));
                cam.pitchRadians = radians(deg);
            }
            room.cameras[it.key()] = cam;
        }
    }
    return room;
}

Result<Room> loadRoom(const std::string& path) {
    MXR_TRY_ASSIGN(const std::string text, readSceneFile(path, "room file", 4));
    return parseRoom(text, path);
}

}  // namespace mxr::scenes
