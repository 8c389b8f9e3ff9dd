#pragma once
// Shared annotations in a room's workspace: the model, the replicated state
// that applies create/update/delete operations, and their strict codecs.
//
// Model. An annotation lives in workspace coordinates (metres, the
// workspace frame; |x|, |y|, |z| <= kWorkspaceHalfExtent). Its id is
// (author << 16) | serial: the author is the member id the host gives the
// person for the room's life (today the avatar id), the serial counts that
// author's annotations from 1 (nextId()). So ids are unique per room
// without a round trip and the author is read from the id.
//
// Replication. Every field has a stamp (Lamport counter, then the writer's
// id as the tie-break); an update writes a field only when its stamp is
// greater than the field's (last writer wins per field). A delete leaves a
// tombstone: later updates and re-creates of that id are refused (deletion
// wins, in either order). Replicas that apply the same operations in any
// order in which each annotation's create comes first (the only orders that
// occur: nobody changes what they have not seen created) end equal
// (operator==). Limits are checked against the state at hand; replicas that
// apply the host's order (it relays accepted operations only) agree on them.
//
// Authority: apply() takes the actor. A create must use the actor's own
// ids; an update or delete is the author's or a moderator's. The stamp's
// writer must be the actor. Clients apply the host's relayed operations as
// {stamp.writer, moderates = true}: the host has checked them.
//
// Errors: apply() returns kPermissionDenied (who), kLimit (which limit),
// kInvalidArgument (which field and why), kNotFound, kConflict (exists,
// deleted); a refused operation changes nothing. Decoders return kProtocol
// errors naming the field (truncated, unknown kind, non-finite, too many
// points, trailing bytes...).
//
// Thread: an AnnotationState is used by one thread; the codecs are pure.
#include <array>
#include <compare>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "engine/core/math.h"
#include "net/wire.h"

namespace mxr::net {

using AnnotationId = std::uint32_t;
using AuthorId = std::uint16_t;

constexpr AuthorId authorOf(AnnotationId id) { return static_cast<AuthorId>(id >> 16); }
constexpr std::uint16_t serialOf(AnnotationId id) { return static_cast<std::uint16_t>(id & 0xffff); }
constexpr AnnotationId makeAnnotationId(AuthorId author, std::uint16_t serial) {
    return (AnnotationId{author} << 16) | serial;
}

// Per room (README "Annotations" says why these numbers).
inline constexpr std::size_t kMaxLiveAnnotations = 500;
inline constexpr std::size_t kMaxInkPointsPerStroke = 2'000;
inline constexpr std::size_t kMaxInkPointsPerRoom = 20'000;
inline constexpr std::size_t kMaxLabelBytes = 200;
inline constexpr float kWorkspaceHalfExtent = 50.0f;  // metres, each axis
// Ink points travel as int16 millimetres relative to the stroke's anchor.
inline constexpr float kMaxInkOffset = 32.767f;

// Okabe & Ito's colour-blind-safe palette (2008), in their order. Black is
// invisible on additive see-through displays: the renderer draws it white
// there. New annotations default to orange.
struct PaletteColour {
    std::uint8_t r, g, b;
    const char* name;
};
inline constexpr std::array<PaletteColour, 8> kAnnotationPalette{{
    {0x00, 0x00, 0x00, "black"},
    {0xE6, 0x9F, 0x00, "orange"},
    {0x56, 0xB4, 0xE9, "sky blue"},
    {0x00, 0x9E, 0x73, "bluish green"},
    {0xF0, 0xE4, 0x42, "yellow"},
    {0x00, 0x72, 0xB2, "blue"},
    {0xD5, 0x5E, 0x00, "vermillion"},
    {0xCC, 0x79, 0xA7, "reddish purple"},
}};
inline constexpr std::uint8_t kDefaultAnnotationColour = 1;

enum class AnnotationKind : std::uint8_t { kArrow = 1, kLabel = 2, kBox = 3, kSphere = 4, kInk = 5, kMarker = 6 };
const char* toString(AnnotationKind k) noexcept;

// The fields, one bit each in a FieldMask (the wire order too).
enum class AnnotationField : std::uint8_t {
    kColour = 0,    // palette index
    kStep = 1,      // procedure step id, 0: none
    kPosition = 2,  // arrow's tail, label/marker/sphere/box centre, ink's anchor
    kEnd = 3,       // arrow's head
    kExtents = 4,   // box half extents
    kRotation = 5,  // box
    kRadius = 6,    // sphere
    kText = 7,      // label
    kNumber = 8,    // marker
    kPoints = 9,    // ink: offsets from the anchor
};
inline constexpr std::size_t kAnnotationFieldCount = 10;
using FieldMask = std::uint16_t;
constexpr FieldMask fieldBit(AnnotationField f) { return static_cast<FieldMask>(1u << static_cast<unsigned>(f)); }
const char* toString(AnnotationField f) noexcept;
// The fields a kind is made of (colour included, step not: it is optional).
FieldMask fieldsOf(AnnotationKind k) noexcept;

// Values of the fields; only those of the annotation's kind mean anything.
// Ink offsets are kept on the wire's millimetre grid and rotations on its
// int16 grid (apply() snaps them), so every replica holds the same numbers.
struct AnnotationValues {
    std::uint8_t colour = kDefaultAnnotationColour;
    std::uint32_t step = 0;
    Vec3 position{0.0f};
    Vec3 end{0.0f};
    Vec3 extents{0.0f};
    Quat rotation{1.0f, 0.0f, 0.0f, 0.0f};
    float radius = 0.0f;
    std::string text;          // 1..kMaxLabelBytes of UTF-8, one line
    std::uint16_t number = 0;  // 1..65535
    std::vector<Vec3> points;  // 1..kMaxInkPointsPerStroke
    bool operator==(const AnnotationValues&) const = default;
};

struct Stamp {
    std::uint32_t counter = 0;  // Lamport clock, >= 1
    AuthorId writer = 0;
    auto operator<=>(const Stamp&) const = default;
};

struct Annotation {
    AnnotationId id = 0;
    AnnotationKind kind = AnnotationKind::kArrow;
    Stamp created;
    AnnotationValues values;
    std::array<Stamp, kAnnotationFieldCount> stamps{};  // per field
    AuthorId author() const { return authorOf(id); }
    bool operator==(const Annotation&) const = default;
};

enum class AnnotationOpType : std::uint8_t { kCreate = 1, kUpdate = 2, kDelete = 3 };

// A create carries its kind and every field of it (fieldsOf(kind), step
// optional); an update any non-empty set of its kind's fields and step; a
// delete nothing. Values outside `fields` are ignored (left default by the
// decoder).
struct AnnotationOp {
    AnnotationOpType type = AnnotationOpType::kCreate;
    AnnotationId id = 0;
    Stamp stamp;
    AnnotationKind kind = AnnotationKind::kArrow;  // creates only
    FieldMask fields = 0;
    AnnotationValues values;
    bool operator==(const AnnotationOp&) const = default;
};

struct AnnotationActor {
    AuthorId id = 0;
    bool moderates = false;  // the room's moderators change anyone's annotations
};

class AnnotationState {
public:
    Result<void> apply(const AnnotationOp& op, const AnnotationActor& actor);

    // Live annotations by id (an author's ids are adjacent).
    const std::map<AnnotationId, Annotation>& live() const { return m_live; }
    const Annotation* find(AnnotationId id) const;
    bool isDeleted(AnnotationId id) const;
    std::size_t inkPoints() const { return m_inkPoints; }

    // The author's next unused id (after every id the room has seen of it,
    // live or deleted); kLimit when the author's 65,535 serials are spent.
    Result<AnnotationId> nextId(AuthorId author) const;
    // A stamp for a local change: above everything this replica has seen.
    Stamp nextStamp(AuthorId writer) { return Stamp{++m_clock, writer}; }
    std::uint32_t clock() const { return m_clock; }

    // Tombstones, compacted: for each author, every serial up to its floor
    // that is not live was deleted; `tombstones` holds deleted ids above
    // their author's floor (there only when an id was skipped, e.g. its
    // create was refused).
    const std::map<AuthorId, std::uint16_t>& floors() const { return m_floors; }
    const std::set<AnnotationId>& tombstones() const { return m_tombstones; }

    // Content equality (live annotations with their stamps, tombstones);
    // the clock is each replica's own.
    bool operator==(const AnnotationState& o) const {
        return m_live == o.m_live && m_floors == o.m_floors && m_tombstones == o.m_tombstones;
    }

private:
    friend Result<AnnotationState> decodeAnnotationSnapshot(ByteSpan bytes);
    Result<void> create(const AnnotationOp& op);
    Result<void> update(const AnnotationOp& op);
    void erase(AnnotationId id);
    void compact(AuthorId author);
    std::uint16_t highestSerial(AuthorId author) const;

    std::map<AnnotationId, Annotation> m_live;
    std::map<AuthorId, std::uint16_t> m_floors;
    std::set<AnnotationId> m_tombstones;
    std::size_t m_inkPoints = 0;
    std::uint32_t m_clock = 0;
};

// Wire form of an operation: [type u8][id u32][stamp counter u32, writer
// u16], then for a create [kind u8][fields u16][values], for an update
// [fields u16][values]. Values in field order: colour u8, step u32,
// position/end/extents 3 x f32, rotation 4 x int16 (/32767), radius f32,
// text u8-length string, number u16, points [count u16][count x 3 x int16
// mm]. Asserts that `op` is well formed (apply() it first).
Bytes encodeAnnotationOp(const AnnotationOp& op);
Result<AnnotationOp> decodeAnnotationOp(ByteSpan bytes);

// The whole state for a late joiner or a reconnect: [format u8 = 1]
// [clock u32][floors: count u16, (author u16, floor u16)...][tombstones:
// count u32, id u32...][annotations: count u16, each [id u32][kind u8]
// [created stamp][fields whose stamp differs u16][their stamps][values of
// fieldsOf(kind) + step]], ids ascending. Decoding an encoded state gives
// an equal state with the same clock. Bigger than one message (up to about
// 250 KB at the limits): the wiring sends it in pieces.
Bytes encodeAnnotationSnapshot(const AnnotationState& state);
Result<AnnotationState> decodeAnnotationSnapshot(ByteSpan bytes);

}  // namespace mxr::net
