#pragma once
// Placeholder avatars (head, visor, torso, hands, name label, one colour per
// person) and how a room and its people become a FrameScene.
#include <string>
#include <vector>

#include "engine/render/renderer.h"
#include "scenes/room.h"

namespace mxr::scenes {

// A name label is at most this wide (metres): longer names end in "…"
// unless the label is pointed at.
inline constexpr float kNameLabelMaxWidth = 1.2f;

struct Participant {
    std::string name;          // the name plate (with "(muted)", "(private)")
    std::string displayName;   // the person's name alone
    Vec4 color{0.3f, 0.6f, 0.9f, 1.0f};
    Pose head;                 // eyes' centre, looking down -Z of its orientation
    Pose hands[2];             // left, right
    bool labelPointed = false;  // name plate pointed at: the whole name, uncut
    float opacity = 1.0f;      // fades when a peer drops
    std::uint16_t avatarId = 0;  // in a shared room (0: the demo people)
    float speaking = 0.0f;       // the speaking indicator, 0..1
    bool recordingConsent = false;  // agrees to be recorded: a red badge on the chest
    // Their headset's app lost input focus (a system menu is open, or the
    // headset is off): drawn dimmed and grey in place, not faded out, so
    // nobody vanishes whenever a dashboard opens.
    bool paused = false;
    // Their headset is idle (off, asleep): ghosted in place (kAwayOpacity)
    // with "(away)", sent about twice a second instead of 45 times.
    bool away = false;
};

// How see-through an away person is drawn.
inline constexpr float kAwayOpacity = 0.35f;

// The body colour of a paused person: greyed and darkened.
Vec3 pausedColor(const Vec3& color);

struct SceneMeshes {
    engine::MeshHandle box;
    engine::MeshHandle sphere;
    engine::MeshHandle cylinder;
};

Result<SceneMeshes> uploadSceneMeshes(engine::Renderer& renderer);

// Appends the room's lights, objects and labels.
void appendRoom(const Room& room, const SceneMeshes& meshes, engine::FrameScene& scene);
// Appends one avatar: 6 instances and a name label, and while it speaks a
// see-through green glow around the head (its size and strength follow the
// level) and a green name plate. A paused person is drawn in pausedColor()
// with a grey name plate.
void appendAvatar(const Participant& p, const SceneMeshes& meshes, engine::FrameScene& scene);

// Where the label floats: 28 cm above the head's centre.
Vec3 labelAnchor(const Participant& p);
// The plate's text: the name in bidi isolates (U+2068 .. U+2069, so a
// right-to-left name does not reorder " (muted)" after it), then the rest.
std::string nameLabelText(const Participant& p);
// Whether a pointer ray (-Z of `aim`) hits a name plate at `anchor`.
bool labelPointedAt(const Pose& aim, const Vec3& anchor);
// The colour a person gets from the palette by index.
Vec4 paletteColor(std::size_t index);

// `count` people seated on the room's seats (then in rings around the
// table), idling: heads turn and nod, hands gesture, driven by `seconds`.
std::vector<Participant> demoParticipants(const Room& room, std::size_t count, double seconds);

}  // namespace mxr::scenes
