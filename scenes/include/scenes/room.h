#pragma once
// Room files (scenes/rooms/*.json): the space a mentoring session happens
// in. Loading validates everything and reports the file, the place (line and
// column for syntax, a JSON path for content) and the problem.
#include <map>
#include <string>
#include <vector>

#include "engine/core/math.h"
#include "engine/core/result.h"

namespace mxr::scenes {

enum class Shape { kBox, kSphere, kCylinder };

struct RoomObject {
    std::string name;
    Shape shape = Shape::kBox;
    Vec3 position{0.0f};  // centre
    Vec3 scale{1.0f};     // metres
    float yawRadians = 0.0f;
    Vec4 color{1.0f};
};

struct RoomLight {
    Vec3 position{0.0f};
    Vec3 color{1.0f};
    float intensity = 1.0f;
    float range = 8.0f;
};

struct RoomLabel {
    std::string text;
    Vec3 position{0.0f};
    float height = 0.1f;
    Vec4 color{1.0f};
    bool fixed = false;        // yaw_deg given: fixed on a surface, else faces the viewer
    float yawRadians = 0.0f;   // 0: read from +Z
};

struct CameraPreset {
    Vec3 position{0.0f, 1.6f, 0.0f};
    float yawRadians = 0.0f;
    float pitchRadians = 0.0f;
};

struct Seat {
    Vec3 position{0.0f};  // on the floor
    float yawRadians = 0.0f;
};

struct Room {
    std::string name;
    Vec3 size{8.0f, 3.0f, 6.0f};  // floor centred on the origin, y = 0
    Vec3 ambient{0.2f};
    Vec4 clearColor{0.05f, 0.06f, 0.08f, 1.0f};
    std::vector<RoomObject> objects;  // walls, floor and furniture expanded
    std::vector<RoomLight> lights;
    std::vector<RoomLabel> labels;
    std::vector<Seat> seats;
    std::map<std::string, CameraPreset> cameras;
};

// Parses a room from JSON text; `source` names it in errors.
Result<Room> parseRoom(const std::string& jsonText, const std::string& source);
Result<Room> loadRoom(const std::string& path);

}  // namespace mxr::scenes
