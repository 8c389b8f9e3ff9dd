// Shared annotations: last writer wins per field, deletion wins, replicas
// converge whatever the order, who may change what, the room's limits, the
// late joiner's snapshot and the strict codecs.
#include "net/annotations.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <random>
#include <set>

#include "net/messages.h"

namespace mxr::net::annotations_test {

constexpr AuthorId kAda = 1;  // mentee
constexpr AuthorId kBen = 2;  // mentee
constexpr AuthorId kCal = 3;  // the room's moderator
const AnnotationActor ada{kAda, false};
const AnnotationActor ben{kBen, false};
const AnnotationActor cal{kCal, true};

AnnotationOp opOf(AnnotationOpType type, AnnotationId id, Stamp st, FieldMask fields = 0, AnnotationValues v = {}) {
    AnnotationOp op;
    op.type = type;
    op.id = id;
    op.stamp = st;
    op.fields = fields;
    op.values = std::move(v);
    return op;
}

AnnotationOp createOf(AnnotationId id, Stamp st, AnnotationKind kind, AnnotationValues v) {
    AnnotationOp op = opOf(AnnotationOpType::kCreate, id, st, fieldsOf(kind), std::move(v));
    op.kind = kind;
    return op;
}

AnnotationOp arrowOp(AnnotationId id, Stamp st, Vec3 from, Vec3 to, std::uint8_t colour = 1) {
    AnnotationValues v;
    v.colour = colour;
    v.position = from;
    v.end = to;
    return createOf(id, st, AnnotationKind::kArrow, v);
}

AnnotationOp labelOp(AnnotationId id, Stamp st, Vec3 at, std::string text) {
    AnnotationValues v;
    v.position = at;
    v.text = std::move(text);
    return createOf(id, st, AnnotationKind::kLabel, v);
}

AnnotationOp markerOp(AnnotationId id, Stamp st, Vec3 at, std::uint16_t number) {
    AnnotationValues v;
    v.position = at;
    v.number = number;
    return createOf(id, st, AnnotationKind::kMarker, v);
}

AnnotationOp boxOp(AnnotationId id, Stamp st, Vec3 centre, Vec3 halfExtents) {
    AnnotationValues v;
    v.position = centre;
    v.extents = halfExtents;
    return createOf(id, st, AnnotationKind::kBox, v);
}

AnnotationOp sphereOp(AnnotationId id, Stamp st, Vec3 centre, float radius) {
    AnnotationValues v;
    v.position = centre;
    v.radius = radius;
    return createOf(id, st, AnnotationKind::kSphere, v);
}

// Offsets on the wire's millimetre grid: i mm along x, i % 7 mm up.
std::vector<Vec3> strokeOffsets(std::size_t n) {
    std::vector<Vec3> out(n);
    for (std::size_t i = 0; i < n; ++i) {
        out[i] = Vec3(static_cast<float>(i) / 1000.0f, static_cast<float>(i % 7) / 1000.0f, 0.0f);
    }
    return out;
}

AnnotationOp inkOp(AnnotationId id, Stamp st, Vec3 anchor, std::size_t points) {
    AnnotationValues v;
    v.position = anchor;
    v.points = strokeOffsets(points);
    return createOf(id, st, AnnotationKind::kInk, v);
}

AnnotationOp updateOp(AnnotationId id, Stamp st, FieldMask fields, AnnotationValues v) {
    return opOf(AnnotationOpType::kUpdate, id, st, fields, std::move(v));
}

AnnotationOp recolourOp(AnnotationId id, Stamp st, std::uint8_t colour) {
    AnnotationValues v;
    v.colour = colour;
    return updateOp(id, st, fieldBit(AnnotationField::kColour), v);
}

AnnotationOp deleteOp(AnnotationId id, Stamp st) { return opOf(AnnotationOpType::kDelete, id, st); }

void applyOk(AnnotationState& s, const AnnotationOp& op, const AnnotationActor& who) {
    auto r = s.apply(op, who);
    ASSERT_TRUE(r) << r.error().message;
}

// Applies an operation that must be refused with exactly `message` and
// `code`, and must leave the state as it was.
void expectRefused(AnnotationState& s, const AnnotationOp& op, const AnnotationActor& who, ErrorCode code,
                   const std::string& message) {
    const AnnotationState before = s;
    const std::uint32_t clock = s.clock();
    auto r = s.apply(op, who);
    ASSERT_FALSE(r) << "accepted: " << message;
    EXPECT_EQ(r.error().message, message);
    EXPECT_EQ(r.error().code, code) << r.error().message;
    EXPECT_TRUE(s == before) << "a refused operation changed the state: " << message;
    EXPECT_EQ(s.clock(), clock);
    EXPECT_EQ(s.inkPoints(), before.inkPoints());
}

const AnnotationId kAdaArrow = makeAnnotationId(kAda, 1);

TEST(AnnotationState, LastWriterWinsPerField) {
    AnnotationState a, b;
    const AnnotationOp create = arrowOp(kAdaArrow, {1, kAda}, Vec3(0, 1, 0), Vec3(0, 1, -1));
    AnnotationValues adaMove;
    adaMove.colour = 2;
    adaMove.position = Vec3(0.5f, 1.0f, 0.0f);
    // Ada recolours and moves the tail; Cal, concurrently (same counter),
    // recolours and moves the head. Colour: Cal wins the tie (writer 3 > 1).
    const AnnotationOp mine = updateOp(
        kAdaArrow, {5, kAda}, fieldBit(AnnotationField::kColour) | fieldBit(AnnotationField::kPosition), adaMove);
    AnnotationValues calMove;
    calMove.colour = 6;
    calMove.end = Vec3(1.0f, 1.0f, -1.0f);
    const AnnotationOp theirs =
        updateOp(kAdaArrow, {5, kCal}, fieldBit(AnnotationField::kColour) | fieldBit(AnnotationField::kEnd), calMove);
    applyOk(a, create, ada);
    applyOk(a, mine, ada);
    applyOk(a, theirs, cal);
    applyOk(b, create, ada);
    applyOk(b, theirs, cal);
    applyOk(b, mine, ada);
    EXPECT_TRUE(a == b);
    const Annotation* got = a.find(kAdaArrow);
    ASSERT_NE(got, nullptr);
    EXPECT_EQ(got->values.colour, 6);
    EXPECT_EQ(got->values.position, Vec3(0.5f, 1.0f, 0.0f));
    EXPECT_EQ(got->values.end, Vec3(1.0f, 1.0f, -1.0f));
    EXPECT_EQ(got->stamps[static_cast<std::size_t>(AnnotationField::kColour)], (Stamp{5, kCal}));
    // A change stamped before the current value loses, in either order.
    applyOk(a, recolourOp(kAdaArrow, {4, kAda}, 0), ada);
    EXPECT_EQ(a.find(kAdaArrow)->values.colour, 6);
    EXPECT_EQ(a.clock(), 5u);
    EXPECT_EQ(a.nextStamp(kAda), (Stamp{6, kAda}));
}

TEST(AnnotationState, DeletionWinsOverAConcurrentUpdateEitherOrder) {
    const AnnotationOp create = arrowOp(kAdaArrow, {1, kAda}, Vec3(0, 1, 0), Vec3(0, 1, -1));
    const AnnotationOp recolour = recolourOp(kAdaArrow, {9, kAda}, 4);  // later stamp than the delete
    const AnnotationOp remove = deleteOp(kAdaArrow, {2, kCal});
    AnnotationState a, b;
    applyOk(a, create, ada);
    applyOk(a, recolour, ada);
    applyOk(a, remove, cal);
    applyOk(b, create, ada);
    applyOk(b, remove, cal);
    expectRefused(b, recolour, ada, ErrorCode::kConflict, "annotation 1:1: it was deleted");
    EXPECT_TRUE(a == b);
    EXPECT_EQ(a.find(kAdaArrow), nullptr);
    EXPECT_TRUE(a.isDeleted(kAdaArrow));
    EXPECT_TRUE(a.live().empty());
    // Ids are not reused, and deleting twice is harmless.
    expectRefused(a, arrowOp(kAdaArrow, {10, kAda}, Vec3(0), Vec3(1)), ada, ErrorCode::kConflict,
                  "annotation 1:1: it was deleted; ids are not reused");
    applyOk(a, deleteOp(kAdaArrow, {11, kAda}), ada);
    EXPECT_EQ(*a.nextId(kAda), makeAnnotationId(kAda, 2));
    expectRefused(a, recolourOp(makeAnnotationId(kAda, 7), {12, kAda}, 1), ada, ErrorCode::kNotFound,
                  "annotation 1:7: it does not exist");
    expectRefused(a, deleteOp(makeAnnotationId(kAda, 7), {12, kAda}), ada, ErrorCode::kNotFound,
                  "annotation 1:7 does not exist");
}

// Random histories: four members (member 4 moderates) create 40
// annotations of every kind, then change and delete them concurrently,
// some without the right to. Every order in which each create comes before
// the changes to it must end in the same state, and that state must be what
// the rules say: live unless an authorised delete exists, each field from
// the authorised write with the greatest stamp.
TEST(AnnotationState, ReplicasConvergeWhateverTheOrder) {
    std::mt19937 rng(20261204);
    auto uniform = [&](float lo, float hi) { return std::uniform_real_distribution<float>(lo, hi)(rng); };
    auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    constexpr AuthorId kModerator = 4;
    std::map<AuthorId, std::set<std::uint32_t>> usedCounters;
    auto stamp = [&](AuthorId writer, int lo, int hi) {
        for (;;) {
            const auto c = static_cast<std::uint32_t>(pick(lo, hi));
            if (usedCounters[writer].insert(c).second) return Stamp{c, writer};
        }
    };
    auto randomValues = [&](AnnotationKind kind) {
        AnnotationValues v;
        v.colour = static_cast<std::uint8_t>(pick(0, 7));
        v.step = static_cast<std::uint32_t>(pick(0, 3));
        v.position = Vec3(uniform(-2, 2), uniform(0, 2), uniform(-2, 2));
        v.end = v.position + Vec3(uniform(-1, 1), uniform(-1, 1), uniform(-1, 1));
        v.extents = Vec3(uniform(0.05f, 1), uniform(0.05f, 1), uniform(0.05f, 1));
        v.rotation = glm::normalize(Quat(uniform(-1, 1), uniform(-1, 1), uniform(-1, 1), uniform(0.1f, 1)));
        v.radius = uniform(0.05f, 1);
        v.text = std::vector<std::string>{"valve", "Ventil", "вентиль", "バルブ"}[static_cast<std::size_t>(pick(0, 3))];
        v.number = static_cast<std::uint16_t>(pick(1, 20));
        v.points.resize(static_cast<std::size_t>(pick(1, 20)));
        for (Vec3& p : v.points) p = Vec3(uniform(-0.3f, 0.3f), uniform(-0.3f, 0.3f), uniform(-0.3f, 0.3f));
        (void)kind;
        return v;
    };
    std::vector<AnnotationOp> ops;
    std::map<AnnotationId, AnnotationKind> kinds;
    std::map<AuthorId, std::uint16_t> serials;
    for (int i = 0; i < 40; ++i) {
        const auto author = static_cast<AuthorId>(pick(1, 4));
        const auto kind = static_cast<AnnotationKind>(1 + i % 6);
        const AnnotationId id = makeAnnotationId(author, ++serials[author]);
        kinds[id] = kind;
        ops.push_back(createOf(id, stamp(author, 1, 40), kind, randomValues(kind)));
    }
    const std::vector<AnnotationId> ids = [&] {
        std::vector<AnnotationId> v;
        for (const auto& [id, kind] : kinds) v.push_back(id);
        return v;
    }();
    for (int i = 0; i < 300; ++i) {
        const AnnotationId id = ids[static_cast<std::size_t>(pick(0, static_cast<int>(ids.size()) - 1))];
        const int who = pick(0, 9);
        const AuthorId writer = who < 7 ? authorOf(id) : who < 9 ? kModerator : static_cast<AuthorId>(pick(1, 3));
        const Stamp st = stamp(writer, 41, 340);
        if (pick(0, 99) < 8) {
            ops.push_back(deleteOp(id, st));
            continue;
        }
        const FieldMask allowed = fieldsOf(kinds[id]) | fieldBit(AnnotationField::kStep);
        FieldMask fields = 0;
        while (fields == 0) fields = static_cast<FieldMask>(pick(0, 1023)) & allowed;
        ops.push_back(updateOp(id, st, fields, randomValues(kinds[id])));
    }
    auto actorFor = [&](const AnnotationOp& op) {
        return AnnotationActor{op.stamp.writer, op.stamp.writer == kModerator};
    };

    // A random order in which each annotation's create precedes its changes.
    auto causalShuffle = [&] {
        std::vector<std::size_t> order(ops.size());
        for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
        std::shuffle(order.begin(), order.end(), rng);
        std::vector<std::size_t> out;
        std::map<AnnotationId, std::vector<std::size_t>> waiting;
        std::set<AnnotationId> created;
        for (std::size_t i : order) {
            const AnnotationOp& op = ops[i];
            if (op.type == AnnotationOpType::kCreate) {
                out.push_back(i);
                created.insert(op.id);
                for (std::size_t w : waiting[op.id]) out.push_back(w);
                waiting.erase(op.id);
            } else if (created.contains(op.id)) {
                out.push_back(i);
            } else {
                waiting[op.id].push_back(i);
            }
        }
        return out;
    };
    std::vector<AnnotationState> replicas(6);
    for (AnnotationState& replica : replicas) {
        for (std::size_t i : causalShuffle()) (void)replica.apply(ops[i], actorFor(ops[i]));
    }
    for (std::size_t r = 1; r < replicas.size(); ++r) EXPECT_TRUE(replicas[r] == replicas[0]) << "replica " << r;

    // The state is the rules' answer, not merely the same everywhere.
    const AnnotationState& s = replicas[0];
    auto authorised = [&](const AnnotationOp& op) {
        return op.stamp.writer == authorOf(op.id) || op.stamp.writer == kModerator;
    };
    std::size_t deleted = 0, changedFields = 0;
    for (AnnotationId id : ids) {
        const bool gone = std::any_of(ops.begin(), ops.end(), [&](const AnnotationOp& op) {
            return op.id == id && op.type == AnnotationOpType::kDelete && authorised(op);
        });
        EXPECT_EQ(s.isDeleted(id), gone) << id;
        EXPECT_EQ(s.find(id) == nullptr, gone) << id;
        if (gone) {
            ++deleted;
            continue;
        }
        const Annotation& a = *s.find(id);
        for (std::size_t f = 0; f < kAnnotationFieldCount; ++f) {
            const FieldMask b = static_cast<FieldMask>(1u << f);
            if (!((fieldsOf(a.kind) | fieldBit(AnnotationField::kStep)) & b)) continue;
            Stamp best = a.created;
            std::uint8_t colour = 0;
            for (const AnnotationOp& op : ops) {
                if (op.id == id && op.type == AnnotationOpType::kCreate) colour = op.values.colour;
            }
            for (const AnnotationOp& op : ops) {
                if (op.id != id || op.type == AnnotationOpType::kDelete || !authorised(op)) continue;
                if ((op.fields & b) && op.stamp >= best) {
                    best = op.stamp;
                    colour = op.values.colour;
                }
            }
            EXPECT_EQ(a.stamps[f], best) << id << " field " << f;
            if (f == static_cast<std::size_t>(AnnotationField::kColour)) {
                EXPECT_EQ(a.values.colour, colour) << id;
            }
            if (best != a.created) ++changedFields;
        }
    }
    // The history exercised both rules.
    EXPECT_GT(deleted, 3u);
    EXPECT_LT(deleted, ids.size() - 10);
    EXPECT_GT(changedFields, 40u);
}

TEST(AnnotationState, OnlyTheAuthorAndModeratorsChangeAnAnnotation) {
    AnnotationState s;
    applyOk(s, arrowOp(kAdaArrow, {1, kAda}, Vec3(0, 1, 0), Vec3(0, 1, -1)), ada);
    const std::string notBen =
        "annotation 1:1 is changed only by its author (member 1) or a moderator; member 2 is neither";
    expectRefused(s, recolourOp(kAdaArrow, {2, kBen}, 3), ben, ErrorCode::kPermissionDenied, notBen);
    expectRefused(s, deleteOp(kAdaArrow, {2, kBen}), ben, ErrorCode::kPermissionDenied, notBen);
    // Nobody creates under another member's ids, moderators included.
    expectRefused(s, arrowOp(makeAnnotationId(kAda, 2), {2, kBen}, Vec3(0), Vec3(1)), ben, ErrorCode::kPermissionDenied,
                  "annotation 1:2: member 2 creates annotations under its own ids (2:n), not those of member 1");
    expectRefused(s, arrowOp(makeAnnotationId(kAda, 2), {2, kCal}, Vec3(0), Vec3(1)), cal, ErrorCode::kPermissionDenied,
                  "annotation 1:2: member 3 creates annotations under its own ids (3:n), not those of member 1");
    // A change must carry its sender's stamp.
    expectRefused(s, recolourOp(kAdaArrow, {2, kAda}, 3), ben, ErrorCode::kPermissionDenied,
                  "annotation 1:1: the change is stamped by member 1 but comes from member 2");
    applyOk(s, recolourOp(kAdaArrow, {2, kAda}, 3), ada);
    EXPECT_EQ(s.find(kAdaArrow)->values.colour, 3);
    applyOk(s, recolourOp(kAdaArrow, {3, kCal}, 5), cal);
    EXPECT_EQ(s.find(kAdaArrow)->values.colour, 5);
    applyOk(s, deleteOp(kAdaArrow, {4, kCal}), cal);
    EXPECT_TRUE(s.isDeleted(kAdaArrow));
    // A stamp far ahead of the room's clock is refused (it would let one
    // member end the clock for everyone).
    expectRefused(s, arrowOp(makeAnnotationId(kBen, 1), {4 + (1u << 20) + 1, kBen}, Vec3(0), Vec3(1)), ben,
                  ErrorCode::kInvalidArgument,
                  "annotation 2:1: stamp 1048581 is not between 1 and 1048576 past this room's clock (4)");
}

TEST(AnnotationLimits, LiveAnnotationsPerRoom) {
    AnnotationState s;
    std::uint32_t clock = 0;
    for (std::uint16_t i = 1; i <= kMaxLiveAnnotations; ++i) {
        applyOk(s, markerOp(makeAnnotationId(kAda, i), {++clock, kAda}, Vec3(0, 1, 0), i), ada);
    }
    EXPECT_EQ(s.live().size(), 500u);
    expectRefused(s, markerOp(makeAnnotationId(kBen, 1), {++clock, kBen}, Vec3(0), 1), ben, ErrorCode::kLimit,
                  "annotation 2:1: the room has 500 annotations, the limit; delete some first");
    applyOk(s, deleteOp(makeAnnotationId(kAda, 7), {++clock, kAda}), ada);
    applyOk(s, markerOp(makeAnnotationId(kBen, 1), {++clock, kBen}, Vec3(0), 1), ben);
    EXPECT_EQ(s.live().size(), 500u);
}

TEST(AnnotationLimits, InkPointsPerStrokeAndPerRoom) {
    AnnotationState s;
    std::uint32_t clock = 0;
    expectRefused(s, inkOp(makeAnnotationId(kAda, 1), {++clock, kAda}, Vec3(0, 1, 0), 2001), ada, ErrorCode::kLimit,
                  "annotation 1:1: field 'points' has 2001 points, more than the limit of 2000 per ink stroke");
    for (std::uint16_t i = 1; i <= 10; ++i) {
        applyOk(s, inkOp(makeAnnotationId(kAda, i), {++clock, kAda}, Vec3(0, 1, 0), 2000), ada);
    }
    EXPECT_EQ(s.inkPoints(), 20'000u);
    expectRefused(s, inkOp(makeAnnotationId(kBen, 1), {++clock, kBen}, Vec3(0), 1), ben, ErrorCode::kLimit,
                  "annotation 2:1: the room would hold 20001 ink points, more than the limit of 20000");
    // Shrink one stroke, add another, then grow that one past the room's limit.
    AnnotationValues half;
    half.points = strokeOffsets(1000);
    applyOk(s, updateOp(makeAnnotationId(kAda, 10), {++clock, kAda}, fieldBit(AnnotationField::kPoints), half), ada);
    applyOk(s, inkOp(makeAnnotationId(kBen, 1), {++clock, kBen}, Vec3(0), 1000), ben);
    EXPECT_EQ(s.inkPoints(), 20'000u);
    AnnotationValues more;
    more.points = strokeOffsets(1001);
    expectRefused(s, updateOp(makeAnnotationId(kBen, 1), {++clock, kBen}, fieldBit(AnnotationField::kPoints), more),
                  ben, ErrorCode::kLimit,
                  "annotation 2:1: the room would hold 20001 ink points, more than the limit of 20000");
    // Deleting a stroke frees its points.
    applyOk(s, deleteOp(makeAnnotationId(kAda, 1), {++clock, kCal}), cal);
    EXPECT_EQ(s.inkPoints(), 18'000u);
}

TEST(AnnotationLimits, LabelsAndCoordinates) {
    AnnotationState s;
    const AnnotationId id = makeAnnotationId(kAda, 1);
    expectRefused(s, labelOp(id, {1, kAda}, Vec3(0, 1, 0), std::string(201, 'a')), ada, ErrorCode::kLimit,
                  "annotation 1:1: field 'text' is 201 bytes, more than the limit of 200 per label");
    expectRefused(s, labelOp(id, {1, kAda}, Vec3(0, 1, 0), ""), ada, ErrorCode::kInvalidArgument,
                  "annotation 1:1: field 'text' is empty");
    expectRefused(s, labelOp(id, {1, kAda}, Vec3(0, 1, 0), "torque\n25 Nm"), ada, ErrorCode::kInvalidArgument,
                  "annotation 1:1: field 'text' contains a control character (U+000A)");
    expectRefused(s, labelOp(id, {1, kAda}, Vec3(0, 1, 0), "bad \xff byte"), ada, ErrorCode::kInvalidArgument,
                  "annotation 1:1: field 'text' is not valid UTF-8 (byte 5)");
    expectRefused(s,
                  labelOp(id, {1, kAda}, Vec3(0, 1, 0),
                          "abc\xE2\x80\xAE"
                          "def"),
                  ada, ErrorCode::kInvalidArgument,
                  "annotation 1:1: field 'text' contains a bidirectional override or isolate (U+202E)");
    expectRefused(s, labelOp(id, {1, kAda}, Vec3(50.5f, 0, 0), "valve"), ada, ErrorCode::kLimit,
                  "annotation 1:1: field 'position' (50.5, 0, 0) is outside the workspace (each axis within +/-50 m)");
    expectRefused(s, arrowOp(id, {1, kAda}, Vec3(0), Vec3(0, -51, 0)), ada, ErrorCode::kLimit,
                  "annotation 1:1: field 'end' (0, -51, 0) is outside the workspace (each axis within +/-50 m)");
    expectRefused(s, arrowOp(id, {1, kAda}, Vec3(0, std::numeric_limits<float>::quiet_NaN(), 0), Vec3(0)), ada,
                  ErrorCode::kInvalidArgument, "annotation 1:1: field 'position' is not a finite point");
    expectRefused(s, sphereOp(id, {1, kAda}, Vec3(0), 0.0f), ada, ErrorCode::kLimit,
                  "annotation 1:1: field 'radius' is 0: it must be above 0 and at most 50 m");
    expectRefused(s, boxOp(id, {1, kAda}, Vec3(0), Vec3(0.1f, 60.0f, 0.1f)), ada, ErrorCode::kLimit,
                  "annotation 1:1: field 'extents' is 60: it must be above 0 and at most 50 m");
    expectRefused(s, markerOp(id, {1, kAda}, Vec3(0), 0), ada, ErrorCode::kInvalidArgument,
                  "annotation 1:1: field 'number' is 0: markers are numbered from 1");
    AnnotationOp purple = arrowOp(id, {1, kAda}, Vec3(0), Vec3(1), 8);
    expectRefused(s, purple, ada, ErrorCode::kInvalidArgument,
                  "annotation 1:1: field 'colour' is 8: the palette has 8 colours (0 to 7)");
    // Ink is checked where its points land: anchor plus offset.
    AnnotationOp far = inkOp(id, {1, kAda}, Vec3(40, 0, 0), 1);
    far.values.points[0] = Vec3(20, 0, 0);
    expectRefused(
        s, far, ada, ErrorCode::kLimit,
        "annotation 1:1: field 'points' point 0 lies at (60, 0, 0), outside the workspace (each axis within +/-50 m)");
    applyOk(s, inkOp(id, {1, kAda}, Vec3(40, 0, 0), 5), ada);
    AnnotationValues moved;
    moved.position = Vec3(49.9985f, 0, 0);  // offsets 0, 1, 2... mm: point 2 leaves
    expectRefused(s, updateOp(id, {2, kAda}, fieldBit(AnnotationField::kPosition), moved), ada, ErrorCode::kLimit,
                  "annotation 1:1: field 'points' point 2 lies at (50.0005, 0.002, 0), outside the workspace (each "
                  "axis within +/-50 m)");
    // Fields another kind has are refused by name.
    AnnotationValues radius;
    radius.radius = 1.0f;
    expectRefused(s, updateOp(id, {2, kAda}, fieldBit(AnnotationField::kRadius), radius), ada,
                  ErrorCode::kInvalidArgument, "annotation 1:1: field 'radius' does not apply to an ink stroke");
}

// A room with every kind, changes by a moderator, deletions with and
// without a gap in an author's ids.
AnnotationState busyRoom() {
    AnnotationState s;
    auto ok = [&](const AnnotationOp& op, const AnnotationActor& who) {
        auto r = s.apply(op, who);
        EXPECT_TRUE(r) << r.error().message;
    };
    ok(arrowOp(makeAnnotationId(kAda, 1), {1, kAda}, Vec3(0, 1, 0), Vec3(0, 1, -1)), ada);
    AnnotationOp label = labelOp(makeAnnotationId(kAda, 2), {2, kAda}, Vec3(0.2f, 1.4f, -0.5f), "Drehmoment 25 Nm ✓");
    label.fields |= fieldBit(AnnotationField::kStep);
    label.values.step = 7;
    ok(label, ada);
    ok(inkOp(makeAnnotationId(kAda, 3), {3, kAda}, Vec3(-0.5f, 1.2f, -0.4f), 50), ada);
    ok(deleteOp(makeAnnotationId(kAda, 2), {4, kAda}), ada);
    ok(markerOp(makeAnnotationId(kBen, 1), {5, kBen}, Vec3(0.1f, 0.9f, -0.3f), 1), ben);
    AnnotationOp box = boxOp(makeAnnotationId(kBen, 2), {6, kBen}, Vec3(0, 0.8f, -0.6f), Vec3(0.3f, 0.2f, 0.1f));
    box.values.rotation = glm::angleAxis(0.7f, Vec3(0, 1, 0));
    ok(box, ben);
    // Ben's create of 2:3 never happened (refused, say): 2:4 leaves a gap.
    ok(sphereOp(makeAnnotationId(kBen, 4), {7, kBen}, Vec3(0.4f, 1.0f, -0.2f), 0.05f), ben);
    ok(deleteOp(makeAnnotationId(kBen, 4), {8, kCal}), cal);
    AnnotationValues v;
    v.colour = 5;
    v.position = Vec3(0.1f, 1.1f, 0.0f);
    ok(updateOp(makeAnnotationId(kAda, 1), {9, kCal},
                fieldBit(AnnotationField::kColour) | fieldBit(AnnotationField::kPosition), v),
       cal);
    v.rotation = glm::angleAxis(-0.3f, Vec3(1, 0, 0));
    ok(updateOp(makeAnnotationId(kBen, 2), {10, kCal}, fieldBit(AnnotationField::kRotation), v), cal);
    return s;
}

TEST(AnnotationSnapshot, LateJoinerGetsAnEqualState) {
    const AnnotationState room = busyRoom();
    // Tombstones are compacted: Ada's 1..3 and Ben's 1..2 are floors, the
    // deleted 2:4 above Ben's gap is the one explicit tombstone.
    EXPECT_EQ(room.floors(), (std::map<AuthorId, std::uint16_t>{{kAda, 3}, {kBen, 2}}));
    EXPECT_EQ(room.tombstones(), (std::set<AnnotationId>{makeAnnotationId(kBen, 4)}));
    EXPECT_EQ(room.live().size(), 4u);

    const Bytes blob = encodeAnnotationSnapshot(room);
    auto joiner = decodeAnnotationSnapshot(blob);
    ASSERT_TRUE(joiner) << joiner.error().message;
    EXPECT_TRUE(*joiner == room);
    EXPECT_EQ(joiner->clock(), room.clock());
    EXPECT_EQ(joiner->inkPoints(), 50u);
    EXPECT_EQ(encodeAnnotationSnapshot(*joiner), blob);
    for (AnnotationId id : {makeAnnotationId(kAda, 2), makeAnnotationId(kBen, 4)}) EXPECT_TRUE(joiner->isDeleted(id));
    EXPECT_FALSE(joiner->isDeleted(makeAnnotationId(kBen, 3)));
    EXPECT_EQ(*joiner->nextId(kAda), makeAnnotationId(kAda, 4));
    EXPECT_EQ(*joiner->nextId(kBen), makeAnnotationId(kBen, 5));
    EXPECT_EQ(joiner->find(makeAnnotationId(kAda, 1))->values.colour, 5);

    // After joining, the room and the joiner resolve the same changes the
    // same way: a stale change loses to the moderator's, a re-create of a
    // deleted id is refused, a new change wins.
    AnnotationState host = room;
    for (AnnotationState* s : {&host, &*joiner}) {
        EXPECT_TRUE(s->apply(recolourOp(makeAnnotationId(kAda, 1), {8, kAda}, 2), ada));
        EXPECT_FALSE(s->apply(labelOp(makeAnnotationId(kAda, 2), {11, kAda}, Vec3(0), "again"), ada));
        EXPECT_TRUE(s->apply(recolourOp(makeAnnotationId(kBen, 1), {11, kBen}, 7), ben));
    }
    EXPECT_TRUE(host == *joiner);
    EXPECT_EQ(host.find(makeAnnotationId(kAda, 1))->values.colour, 5);
    EXPECT_EQ(host.find(makeAnnotationId(kBen, 1))->values.colour, 7);

    auto empty = decodeAnnotationSnapshot(encodeAnnotationSnapshot(AnnotationState{}));
    ASSERT_TRUE(empty) << empty.error().message;
    EXPECT_TRUE(empty->live().empty());
}

TEST(AnnotationSnapshot, SizeOfTwoHundredAnnotations) {
    // The figure: 200 annotations, 5,000 ink points (175 arrows and
    // 25 strokes of 200 points, one author).
    AnnotationState s;
    std::uint32_t clock = 0;
    for (std::uint16_t i = 1; i <= 200; ++i) {
        const AnnotationId id = makeAnnotationId(kAda, i);
        applyOk(s,
                i <= 175 ? arrowOp(id, {++clock, kAda}, Vec3(0, 1, 0), Vec3(0, 1, -1))
                         : inkOp(id, {++clock, kAda}, Vec3(0, 1, 0), 200),
                ada);
    }
    const std::size_t header = 1 + 4 + (2 + 4) + 4 + 2;  // format, clock, one floor, no tombstones, count
    const std::size_t arrow = 4 + 1 + 6 + 2 + 1 + 4 + 12 + 12;
    const std::size_t stroke = 4 + 1 + 6 + 2 + 1 + 4 + 12 + 2 + 200 * 6;
    EXPECT_EQ(arrow, 42u);
    EXPECT_EQ(encodeAnnotationSnapshot(s).size(), header + 175 * arrow + 25 * stroke);
    EXPECT_EQ(encodeAnnotationSnapshot(s).size(), 38'167u);
}

TEST(AnnotationCodec, EveryOperationRoundTrips) {
    AnnotationOp box = boxOp(makeAnnotationId(kBen, 2), {6, kBen}, Vec3(0, 0.8f, -0.6f), Vec3(0.3f, 0.2f, 0.1f));
    box.values.rotation = Quat(1, 0, 0, 0);
    AnnotationOp stepped = markerOp(makeAnnotationId(kAda, 4), {3, kAda}, Vec3(0.1f, 0.9f, -0.3f), 12);
    stepped.fields |= fieldBit(AnnotationField::kStep);
    stepped.values.step = 0xdeadbeef;
    AnnotationValues moved;
    moved.position = Vec3(1, 2, 3);
    moved.end = Vec3(-1, -2, -3.5f);
    const std::vector<AnnotationOp> ops = {
        arrowOp(kAdaArrow, {1, kAda}, Vec3(0, 1, 0), Vec3(0, 1, -1), 7),
        labelOp(makeAnnotationId(kAda, 2), {2, kAda}, Vec3(0.2f, 1.4f, -0.5f), "Torque 25 Nm"),
        inkOp(makeAnnotationId(kAda, 3), {3, kAda}, Vec3(-0.5f, 1.2f, -0.4f), 2000),
        sphereOp(makeAnnotationId(kBen, 1), {5, kBen}, Vec3(0.4f, 1.0f, -0.2f), 0.05f),
        box,
        stepped,
        updateOp(kAdaArrow, {9, kCal}, fieldBit(AnnotationField::kPosition) | fieldBit(AnnotationField::kEnd), moved),
        recolourOp(kAdaArrow, {0xffffffff, 0xffff}, 0),
        deleteOp(kAdaArrow, {10, kCal}),
    };
    for (const AnnotationOp& op : ops) {
        const Bytes b = encodeAnnotationOp(op);
        EXPECT_LE(b.size() + 2, kMaxMessageBytes);  // fits one message with its header
        auto d = decodeAnnotationOp(b);
        ASSERT_TRUE(d) << d.error().message;
        EXPECT_TRUE(*d == op) << int(op.type) << " " << op.id;
    }
}

TEST(AnnotationCodec, QuantisedValuesAreTheSameOnEveryReplica) {
    // Off the wire's grids: the sender's state snaps them, so the sender and
    // a receiver of the encoded operation hold the same numbers.
    AnnotationOp ink = inkOp(makeAnnotationId(kAda, 1), {1, kAda}, Vec3(0.12345f, 1, 0), 3);
    ink.values.points = {Vec3(0.0004f, -0.0016f, 0.33333f), Vec3(1.23456f, 0, 0), Vec3(-0.0005f, 0.0015f, 2)};
    AnnotationOp box = boxOp(makeAnnotationId(kAda, 2), {2, kAda}, Vec3(0), Vec3(0.1f));
    box.values.rotation = glm::angleAxis(0.7f, glm::normalize(Vec3(1, 2, 3)));
    AnnotationState sender, receiver;
    for (const AnnotationOp& op : {ink, box}) {
        applyOk(sender, op, ada);
        auto d = decodeAnnotationOp(encodeAnnotationOp(op));
        ASSERT_TRUE(d) << d.error().message;
        applyOk(receiver, *d, ada);
    }
    EXPECT_TRUE(sender == receiver);
    const auto& pts = sender.find(makeAnnotationId(kAda, 1))->values.points;
    EXPECT_NEAR(pts[0].z, 0.333f, 1e-6f);
    EXPECT_NEAR(pts[1].x, 1.235f, 1e-6f);
    EXPECT_EQ(sender.find(makeAnnotationId(kAda, 1))->values.position, Vec3(0.12345f, 1, 0));  // f32: exact
}

TEST(AnnotationCodec, BytesPerTypicalChange) {
    AnnotationValues moved;
    moved.position = Vec3(1, 2, 3);
    moved.end = Vec3(1, 2, 2);
    EXPECT_EQ(encodeAnnotationOp(arrowOp(kAdaArrow, {1, kAda}, Vec3(0), Vec3(1))).size(), 39u);
    EXPECT_EQ(
        encodeAnnotationOp(updateOp(kAdaArrow, {2, kAda},
                                    fieldBit(AnnotationField::kPosition) | fieldBit(AnnotationField::kEnd), moved))
            .size(),
        37u);
    EXPECT_EQ(encodeAnnotationOp(recolourOp(kAdaArrow, {3, kAda}, 2)).size(), 14u);
    EXPECT_EQ(encodeAnnotationOp(deleteOp(kAdaArrow, {4, kAda})).size(), 11u);
    EXPECT_EQ(encodeAnnotationOp(labelOp(kAdaArrow, {1, kAda}, Vec3(0), "Torque to 25 Nm")).size(), 43u);
    EXPECT_EQ(encodeAnnotationOp(markerOp(kAdaArrow, {1, kAda}, Vec3(0), 3)).size(), 29u);
    EXPECT_EQ(encodeAnnotationOp(boxOp(kAdaArrow, {1, kAda}, Vec3(0), Vec3(1))).size(), 47u);
    EXPECT_EQ(encodeAnnotationOp(sphereOp(kAdaArrow, {1, kAda}, Vec3(0), 1)).size(), 31u);
    EXPECT_EQ(encodeAnnotationOp(inkOp(kAdaArrow, {1, kAda}, Vec3(0), 100)).size(), 629u);
    EXPECT_EQ(encodeAnnotationOp(inkOp(kAdaArrow, {1, kAda}, Vec3(0), 2000)).size(), 12'029u);
}

std::string decodeError(const Bytes& b) {
    auto d = decodeAnnotationOp(b);
    return d ? std::string("accepted") : d.error().message;
}

TEST(AnnotationCodec, MalformedOperationsAreRefusedByName) {
    const Bytes arrow = encodeAnnotationOp(arrowOp(kAdaArrow, {1, kAda}, Vec3(0, 1, 0), Vec3(0, 1, -1)));
    const Bytes ink = encodeAnnotationOp(inkOp(makeAnnotationId(kAda, 3), {3, kAda}, Vec3(0, 1, 0), 3));
    ASSERT_EQ(ink.size(), 47u);
    for (const Bytes* whole : {&arrow, &ink}) {
        for (std::size_t n = 0; n < whole->size(); ++n) {
            const std::string e = decodeError(Bytes(whole->begin(), whole->begin() + static_cast<std::ptrdiff_t>(n)));
            EXPECT_EQ(e.rfind("truncated: field '", 0), 0u) << n << ": " << e;
        }
    }
    Bytes b = ink;
    b.resize(40);
    EXPECT_EQ(decodeError(b), "truncated: field 'points' says 3 points but only 11 bytes follow");

    // One arrow create with bytes overwritten at an offset.
    struct Patch {
        std::size_t offset;
        Bytes bytes;
        std::string error;
    };
    const std::vector<Patch> patches = {
        {0, {7}, "field 'op' has unknown value 7"},
        {11, {9}, "field 'kind' has unknown value 9"},
        {15, {0x00, 0x00, 0xc0, 0x7f}, "field 'position' is not a finite number"},  // NaN
        {14, {8}, "field 'colour' is 8: the palette has 8 colours (0 to 7)"},
        {1, {0, 0}, "field 'id' (1:0) has serial 0; serials start at 1"},
        {5, {0}, "field 'stamp' has counter 0"},  // counter 1 -> 0
    };
    for (const Patch& p : patches) {
        b = arrow;
        std::copy(p.bytes.begin(), p.bytes.end(), b.begin() + static_cast<std::ptrdiff_t>(p.offset));
        EXPECT_EQ(decodeError(b), p.error);
    }
    b = ink;
    b[27] = 2001 & 0xff;
    b[28] = 2001 >> 8;
    EXPECT_EQ(decodeError(b), "field 'points' has 2001 points, more than the limit of 2000 per ink stroke");
    b = arrow;
    b.push_back(0);
    EXPECT_EQ(decodeError(b), "annotation op: 1 unexpected trailing bytes at offset 39");
    b = encodeAnnotationOp(deleteOp(kAdaArrow, {4, kAda}));
    b.push_back(1);
    EXPECT_EQ(decodeError(b), "annotation op: 1 unexpected trailing bytes at offset 11");

    // Field sets: a create must carry its kind's fields and no other's.
    auto header = [](AnnotationOpType type, AnnotationKind kind, FieldMask fields) {
        ByteWriter w;
        w.u8(static_cast<std::uint8_t>(type));
        w.u32(kAdaArrow);
        w.u32(1);
        w.u16(kAda);
        if (type == AnnotationOpType::kCreate) w.u8(static_cast<std::uint8_t>(kind));
        w.u16(fields);
        return w;
    };
    EXPECT_EQ(decodeError(header(AnnotationOpType::kCreate, AnnotationKind::kBox,
                                 fieldsOf(AnnotationKind::kBox) & ~fieldBit(AnnotationField::kRotation))
                              .take()),
              "create of a box lacks field 'rotation'");
    EXPECT_EQ(decodeError(header(AnnotationOpType::kCreate, AnnotationKind::kArrow,
                                 fieldsOf(AnnotationKind::kArrow) | fieldBit(AnnotationField::kRadius))
                              .take()),
              "field 'radius' does not apply to an arrow");
    EXPECT_EQ(decodeError(header(AnnotationOpType::kUpdate, AnnotationKind::kArrow, 0x400).take()),
              "field 'fields' has unknown bits (1024)");
    EXPECT_EQ(decodeError(header(AnnotationOpType::kUpdate, AnnotationKind::kArrow, 0).take()),
              "update changes no field");
    ByteWriter label = header(AnnotationOpType::kUpdate, AnnotationKind::kLabel, fieldBit(AnnotationField::kText));
    label.str("line\x01two");
    EXPECT_EQ(decodeError(label.take()), "field 'text' contains a control character");
    label = header(AnnotationOpType::kUpdate, AnnotationKind::kLabel, fieldBit(AnnotationField::kText));
    label.str(
        "abc\xE2\x80\xAE"
        "def");
    EXPECT_EQ(decodeError(label.take()), "field 'text' contains a bidirectional override or isolate (U+202E)");
    ByteWriter far = header(AnnotationOpType::kUpdate, AnnotationKind::kArrow, fieldBit(AnnotationField::kEnd));
    far.f32(0);
    far.f32(0);
    far.f32(-50.5f);
    EXPECT_EQ(decodeError(far.take()), "field 'end' (0, 0, -50.5) is outside the workspace (each axis within +/-50 m)");
}

TEST(AnnotationCodec, MalformedSnapshotsAreRefusedByName) {
    const Bytes blob = encodeAnnotationSnapshot(busyRoom());
    for (std::size_t n = 0; n < blob.size(); ++n) {
        auto d = decodeAnnotationSnapshot(ByteSpan(blob.data(), n));
        ASSERT_FALSE(d) << n;
        EXPECT_NE(d.error().message.find("truncated"), std::string::npos) << n << ": " << d.error().message;
    }
    Bytes b = blob;
    b.push_back(0);
    auto d = decodeAnnotationSnapshot(b);
    ASSERT_FALSE(d);
    EXPECT_EQ(d.error().message,
              "annotation snapshot: 1 unexpected trailing bytes at offset " + std::to_string(blob.size()));
    b = blob;
    b[0] = 2;
    EXPECT_EQ(decodeAnnotationSnapshot(b).error().message, "field 'format' has unknown value 2");

    // Hand-made: an annotation whose field stamp is older than its creation,
    // one claiming more annotations than a room may hold, one ahead of the clock.
    auto snapshot = [](std::uint32_t clock, std::uint16_t count) {
        ByteWriter w;
        w.u8(1);
        w.u32(clock);
        w.u16(0);  // floors
        w.u32(0);  // tombstones
        w.u16(count);
        return w;
    };
    EXPECT_EQ(decodeAnnotationSnapshot(snapshot(1, 501).take()).error().message,
              "field 'annotations.count' is 501, more than the limit of 500");
    // A snapshot of one sphere, Ada's, created at counter 5, up to its field stamps.
    auto sphere = [&](std::uint32_t clock, FieldMask later) {
        ByteWriter w = snapshot(clock, 1);
        w.u32(kAdaArrow);
        w.u8(static_cast<std::uint8_t>(AnnotationKind::kSphere));
        w.u32(5);
        w.u16(kAda);
        w.u16(later);
        return w;
    };
    ByteWriter w = sphere(9, fieldBit(AnnotationField::kColour));
    w.u32(4);
    w.u16(kCal);
    EXPECT_EQ(decodeAnnotationSnapshot(w.take()).error().message,
              "annotation 1:1: the stamp of field 'colour' is not after the annotation's creation");
    EXPECT_EQ(decodeAnnotationSnapshot(sphere(4, 0).take()).error().message,
              "annotation 1:1: stamp 5 is ahead of the snapshot's clock 4");
    w = sphere(5, 0);
    w.u8(1);   // colour
    w.u32(0);  // step
    w.f32(0);
    w.f32(0);
    w.f32(0);      // position
    w.f32(-1.0f);  // radius
    EXPECT_EQ(decodeAnnotationSnapshot(w.take()).error().message,
              "annotation 1:1: field 'radius' is -1: it must be above 0 and at most 50 m");
}

}  // namespace mxr::net::annotations_test
