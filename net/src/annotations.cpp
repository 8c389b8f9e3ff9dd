#include "net/annotations.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <iterator>
#include <limits>
#include <optional>

#include "engine/core/text.h"

namespace mxr::net {
namespace {

// A client cannot push the room's clock further than this in one step, so a
// made-up stamp near 2^32 cannot end everyone's ability to write.
constexpr std::uint32_t kMaxStampLead = 1u << 20;
constexpr FieldMask kAllFields = (1u << kAnnotationFieldCount) - 1;
constexpr std::uint8_t kSnapshotFormat = 1;

// "an arrow", "a box": for messages.
std::string aKind(AnnotationKind k) {
    const bool vowel = k == AnnotationKind::kArrow || k == AnnotationKind::kInk;
    return strCat(vowel ? "an " : "a ", toString(k));
}

std::string idText(AnnotationId id) { return strCat(authorOf(id), ':', serialOf(id)); }

std::string vecText(const Vec3& v) { return strCat('(', v.x, ", ", v.y, ", ", v.z, ')'); }

Error problem(ErrorCode code, std::string message) { return Error{code, 0, std::move(message)}; }

// The wire's grids: ink offsets in int16 millimetres, rotation components in
// int16 steps of 1/32767. apply() snaps values onto them so that the sender
// holds the numbers its receivers decode.
float dequantMm(std::int16_t q) { return static_cast<float>(q) / 1000.0f; }
std::int16_t quantUnit(float v) {
    return static_cast<std::int16_t>(std::clamp(std::lround(v * 32767.0f), -32767L, 32767L));
}
float dequantUnit(std::int16_t q) { return static_cast<float>(q) / 32767.0f; }

bool insideWorkspace(const Vec3& p) {
    return std::fabs(p.x) <= kWorkspaceHalfExtent && std::fabs(p.y) <= kWorkspaceHalfExtent &&
           std::fabs(p.z) <= kWorkspaceHalfExtent;
}

std::optional<Error> pointProblem(const char* field, const Vec3& p) {
    if (!isFinite(p)) {
        return problem(ErrorCode::kInvalidArgument, strCat("field '", field, "' is not a finite point"));
    }
    if (!insideWorkspace(p)) {
        return problem(ErrorCode::kLimit,
                       strCat("field '", field, "' ", vecText(p), " is outside the workspace (each axis within +/-",
                              kWorkspaceHalfExtent, " m)"));
    }
    return std::nullopt;
}

std::optional<Error> sizeProblem(const char* field, float v) {
    if (!std::isfinite(v) || v <= 0.0f || v > kWorkspaceHalfExtent) {
        return problem(ErrorCode::kLimit, strCat("field '", field, "' is ", v, ": it must be above 0 and at most ",
                                                 kWorkspaceHalfExtent, " m"));
    }
    return std::nullopt;
}

Error tooManyPoints(std::size_t n) {
    return problem(ErrorCode::kLimit, strCat("field 'points' has ", n, " points, more than the limit of ",
                                             kMaxInkPointsPerStroke, " per ink stroke"));
}

// Why the values of `fields` cannot be stored, naming the field; the checks
// that need no state (ink against the workspace needs the anchor: inkProblem).
std::optional<Error> valuesProblem(FieldMask fields, const AnnotationValues& v) {
    auto has = [&](AnnotationField f) { return (fields & fieldBit(f)) != 0; };
    if (has(AnnotationField::kColour) && v.colour >= kAnnotationPalette.size()) {
        return problem(ErrorCode::kInvalidArgument,
                       strCat("field 'colour' is ", int(v.colour), ": the palette has ", kAnnotationPalette.size(),
                              " colours (0 to ", kAnnotationPalette.size() - 1, ")"));
    }
    if (has(AnnotationField::kPosition)) {
        if (auto e = pointProblem("position", v.position)) return e;
    }
    if (has(AnnotationField::kEnd)) {
        if (auto e = pointProblem("end", v.end)) return e;
    }
    if (has(AnnotationField::kExtents)) {
        for (float c : {v.extents.x, v.extents.y, v.extents.z}) {
            if (auto e = sizeProblem("extents", c)) return e;
        }
    }
    if (has(AnnotationField::kRotation)) {
        const Quat& q = v.rotation;
        const float len = std::sqrt(q.w * q.w + q.x * q.x + q.y * q.y + q.z * q.z);
        if (!std::isfinite(len) || std::fabs(len - 1.0f) > 0.01f) {
            return problem(ErrorCode::kInvalidArgument,
                           strCat("field 'rotation' is not a unit quaternion (length ", len, ")"));
        }
    }
    if (has(AnnotationField::kRadius)) {
        if (auto e = sizeProblem("radius", v.radius)) return e;
    }
    if (has(AnnotationField::kText)) {
        if (v.text.empty()) return problem(ErrorCode::kInvalidArgument, "field 'text' is empty");
        if (v.text.size() > kMaxLabelBytes) {
            return problem(ErrorCode::kLimit, strCat("field 'text' is ", v.text.size(),
                                                     " bytes, more than the limit of ", kMaxLabelBytes, " per label"));
        }
        if (auto p = nameProblem(v.text)) {
            return problem(ErrorCode::kInvalidArgument, strCat("field 'text' ", *p));
        }
    }
    if (has(AnnotationField::kNumber) && v.number == 0) {
        return problem(ErrorCode::kInvalidArgument, "field 'number' is 0: markers are numbered from 1");
    }
    if (has(AnnotationField::kPoints)) {
        if (v.points.empty()) return problem(ErrorCode::kInvalidArgument, "field 'points' is empty");
        if (v.points.size() > kMaxInkPointsPerStroke) return tooManyPoints(v.points.size());
        for (std::size_t i = 0; i < v.points.size(); ++i) {
            const Vec3& p = v.points[i];
            if (!isFinite(p)) {
                return problem(ErrorCode::kInvalidArgument, strCat("field 'points' point ", i, " is not finite"));
            }
            if (std::fabs(p.x) > kMaxInkOffset || std::fabs(p.y) > kMaxInkOffset || std::fabs(p.z) > kMaxInkOffset) {
                return problem(ErrorCode::kLimit, strCat("field 'points' point ", i, " ", vecText(p), " is more than ",
                                                         kMaxInkOffset, " m from the stroke's anchor on an axis"));
            }
        }
    }
    return std::nullopt;
}

// An ink stroke's points, placed at its anchor, inside the workspace.
std::optional<Error> inkProblem(const Annotation& a) {
    if (a.kind != AnnotationKind::kInk) return std::nullopt;
    for (std::size_t i = 0; i < a.values.points.size(); ++i) {
        const Vec3 p = a.values.position + a.values.points[i];
        if (!insideWorkspace(p)) {
            return problem(ErrorCode::kLimit,
                           strCat("field 'points' point ", i, " lies at ", vecText(p),
                                  ", outside the workspace (each axis within +/-", kWorkspaceHalfExtent, " m)"));
        }
    }
    return std::nullopt;
}

// Which fields a create or update may carry.
std::optional<std::string> maskProblem(AnnotationOpType type, AnnotationKind kind, FieldMask fields) {
    const FieldMask allowed = fieldsOf(kind) | fieldBit(AnnotationField::kStep);
    if (fields & ~kAllFields) return strCat("field 'fields' has unknown bits (", fields, ")");
    for (std::size_t f = 0; f < kAnnotationFieldCount; ++f) {
        const auto field = static_cast<AnnotationField>(f);
        if ((fields & fieldBit(field)) && !(allowed & fieldBit(field))) {
            return strCat("field '", toString(field), "' does not apply to ", aKind(kind));
        }
        if (type == AnnotationOpType::kCreate && (fieldsOf(kind) & fieldBit(field)) && !(fields & fieldBit(field))) {
            return strCat("create of ", aKind(kind), " lacks field '", toString(field), "'");
        }
    }
    if (type == AnnotationOpType::kUpdate && fields == 0) return std::string("update changes no field");
    return std::nullopt;
}

void copyFields(FieldMask fields, const AnnotationValues& from, AnnotationValues& to) {
    auto has = [&](AnnotationField f) { return (fields & fieldBit(f)) != 0; };
    if (has(AnnotationField::kColour)) to.colour = from.colour;
    if (has(AnnotationField::kStep)) to.step = from.step;
    if (has(AnnotationField::kPosition)) to.position = from.position;
    if (has(AnnotationField::kEnd)) to.end = from.end;
    if (has(AnnotationField::kExtents)) to.extents = from.extents;
    if (has(AnnotationField::kRotation)) {
        const Quat& q = from.rotation;
        to.rotation = Quat(dequantUnit(quantUnit(q.w)), dequantUnit(quantUnit(q.x)), dequantUnit(quantUnit(q.y)),
                           dequantUnit(quantUnit(q.z)));
    }
    if (has(AnnotationField::kRadius)) to.radius = from.radius;
    if (has(AnnotationField::kText)) to.text = from.text;
    if (has(AnnotationField::kNumber)) to.number = from.number;
    if (has(AnnotationField::kPoints)) {
        to.points.resize(from.points.size());
        for (std::size_t i = 0; i < from.points.size(); ++i) {
            const Vec3& p = from.points[i];
            to.points[i] = Vec3(dequantMm(metresToMm(p.x)), dequantMm(metresToMm(p.y)), dequantMm(metresToMm(p.z)));
        }
    }
}

// ---- codec ----

void writeVec(ByteWriter& w, const Vec3& v) {
    w.f32(v.x);
    w.f32(v.y);
    w.f32(v.z);
}

Result<Vec3> readVec(ByteReader& r, const char* field) {
    Vec3 v;
    MXR_TRY_ASSIGN(v.x, r.f32(field));
    MXR_TRY_ASSIGN(v.y, r.f32(field));
    MXR_TRY_ASSIGN(v.z, r.f32(field));
    return v;
}

void writeStamp(ByteWriter& w, const Stamp& s) {
    w.u32(s.counter);
    w.u16(s.writer);
}

Result<Stamp> readStamp(ByteReader& r, const char* field) {
    Stamp s;
    MXR_TRY_ASSIGN(s.counter, r.u32(field));
    MXR_TRY_ASSIGN(s.writer, r.u16(field));
    if (s.counter == 0) return tl::unexpected(protocolError(strCat("field '", field, "' has counter 0")));
    return s;
}

void writeValues(ByteWriter& w, FieldMask fields, const AnnotationValues& v) {
    auto has = [&](AnnotationField f) { return (fields & fieldBit(f)) != 0; };
    if (has(AnnotationField::kColour)) w.u8(v.colour);
    if (has(AnnotationField::kStep)) w.u32(v.step);
    if (has(AnnotationField::kPosition)) writeVec(w, v.position);
    if (has(AnnotationField::kEnd)) writeVec(w, v.end);
    if (has(AnnotationField::kExtents)) writeVec(w, v.extents);
    if (has(AnnotationField::kRotation)) {
        for (float c : {v.rotation.w, v.rotation.x, v.rotation.y, v.rotation.z}) w.i16(quantUnit(c));
    }
    if (has(AnnotationField::kRadius)) w.f32(v.radius);
    if (has(AnnotationField::kText)) w.str(v.text);
    if (has(AnnotationField::kNumber)) w.u16(v.number);
    if (has(AnnotationField::kPoints)) {
        assert(v.points.size() <= kMaxInkPointsPerStroke);
        w.u16(static_cast<std::uint16_t>(v.points.size()));
        for (const Vec3& p : v.points) {
            w.i16(metresToMm(p.x));
            w.i16(metresToMm(p.y));
            w.i16(metresToMm(p.z));
        }
    }
}

Result<AnnotationValues> readValues(ByteReader& r, FieldMask fields) {
    auto has = [&](AnnotationField f) { return (fields & fieldBit(f)) != 0; };
    AnnotationValues v;
    if (has(AnnotationField::kColour)) {
        MXR_TRY_ASSIGN(v.colour, r.u8("colour"));
    }
    if (has(AnnotationField::kStep)) {
        MXR_TRY_ASSIGN(v.step, r.u32("step"));
    }
    if (has(AnnotationField::kPosition)) {
        MXR_TRY_ASSIGN(v.position, readVec(r, "position"));
    }
    if (has(AnnotationField::kEnd)) {
        MXR_TRY_ASSIGN(v.end, readVec(r, "end"));
    }
    if (has(AnnotationField::kExtents)) {
        MXR_TRY_ASSIGN(v.extents, readVec(r, "extents"));
    }
    if (has(AnnotationField::kRotation)) {
        std::array<float, 4> c{};
        for (float& x : c) {
            MXR_TRY_ASSIGN(auto q, r.i16("rotation"));
            // -32768 is below -1: the encoder never writes it.
            if (q < -32767) return tl::unexpected(protocolError("field 'rotation' has a component below -1"));
            x = dequantUnit(q);
        }
        v.rotation = Quat(c[0], c[1], c[2], c[3]);
    }
    if (has(AnnotationField::kRadius)) {
        MXR_TRY_ASSIGN(v.radius, r.f32("radius"));
    }
    if (has(AnnotationField::kText)) {
        MXR_TRY_ASSIGN(v.text, r.str("text", kMaxLabelBytes));
    }
    if (has(AnnotationField::kNumber)) {
        MXR_TRY_ASSIGN(v.number, r.u16("number"));
    }
    if (has(AnnotationField::kPoints)) {
        MXR_TRY_ASSIGN(auto n, r.u16("points"));
        // Refuse counts the limit or the packet cannot hold before reserving.
        if (n > kMaxInkPointsPerStroke) return tl::unexpected(protocolError(tooManyPoints(n).message));
        if (n > r.remaining() / 6) {
            return tl::unexpected(protocolError(
                strCat("truncated: field 'points' says ", n, " points but only ", r.remaining(), " bytes follow")));
        }
        v.points.resize(n);
        for (Vec3& p : v.points) {
            MXR_TRY_ASSIGN(auto x, r.i16("points"));
            MXR_TRY_ASSIGN(auto y, r.i16("points"));
            MXR_TRY_ASSIGN(auto z, r.i16("points"));
            p = Vec3(dequantMm(x), dequantMm(y), dequantMm(z));
        }
    }
    if (auto e = valuesProblem(fields, v)) return tl::unexpected(protocolError(e->message));
    return v;
}

Result<AnnotationKind> readKind(ByteReader& r) {
    MXR_TRY_ASSIGN(auto k, r.u8("kind"));
    if (k < 1 || k > static_cast<std::uint8_t>(AnnotationKind::kMarker)) {
        return tl::unexpected(protocolError(strCat("field 'kind' has unknown value ", int(k))));
    }
    return static_cast<AnnotationKind>(k);
}

Result<AnnotationId> readId(ByteReader& r) {
    MXR_TRY_ASSIGN(auto id, r.u32("id"));
    if (serialOf(id) == 0) {
        return tl::unexpected(protocolError(strCat("field 'id' (", idText(id), ") has serial 0; serials start at 1")));
    }
    return id;
}

}  // namespace

const char* toString(AnnotationKind k) noexcept {
    switch (k) {
        case AnnotationKind::kArrow:
            return "arrow";
        case AnnotationKind::kLabel:
            return "label";
        case AnnotationKind::kBox:
            return "box";
        case AnnotationKind::kSphere:
            return "sphere";
        case AnnotationKind::kInk:
            return "ink stroke";
        case AnnotationKind::kMarker:
            return "marker";
    }
    return "?";
}

const char* toString(AnnotationField f) noexcept {
    switch (f) {
        case AnnotationField::kColour:
            return "colour";
        case AnnotationField::kStep:
            return "step";
        case AnnotationField::kPosition:
            return "position";
        case AnnotationField::kEnd:
            return "end";
        case AnnotationField::kExtents:
            return "extents";
        case AnnotationField::kRotation:
            return "rotation";
        case AnnotationField::kRadius:
            return "radius";
        case AnnotationField::kText:
            return "text";
        case AnnotationField::kNumber:
            return "number";
        case AnnotationField::kPoints:
            return "points";
    }
    return "?";
}

FieldMask fieldsOf(AnnotationKind k) noexcept {
    using F = AnnotationField;
    const FieldMask base = fieldBit(F::kColour) | fieldBit(F::kPosition);
    switch (k) {
        case AnnotationKind::kArrow:
            return base | fieldBit(F::kEnd);
        case AnnotationKind::kLabel:
            return base | fieldBit(F::kText);
        case AnnotationKind::kBox:
            return base | fieldBit(F::kExtents) | fieldBit(F::kRotation);
        case AnnotationKind::kSphere:
            return base | fieldBit(F::kRadius);
        case AnnotationKind::kInk:
            return base | fieldBit(F::kPoints);
        case AnnotationKind::kMarker:
            return base | fieldBit(F::kNumber);
    }
    return base;
}

// ---- AnnotationState ----

const Annotation* AnnotationState::find(AnnotationId id) const {
    auto it = m_live.find(id);
    return it == m_live.end() ? nullptr : &it->second;
}

bool AnnotationState::isDeleted(AnnotationId id) const {
    if (m_tombstones.contains(id)) return true;
    auto f = m_floors.find(authorOf(id));
    return f != m_floors.end() && serialOf(id) <= f->second && !m_live.contains(id);
}

std::uint16_t AnnotationState::highestSerial(AuthorId author) const {
    std::uint16_t high = 0;
    if (auto f = m_floors.find(author); f != m_floors.end()) high = f->second;
    const AnnotationId last = makeAnnotationId(author, 0xffff);
    if (auto it = m_live.upper_bound(last); it != m_live.begin() && authorOf(std::prev(it)->first) == author) {
        high = std::max(high, serialOf(std::prev(it)->first));
    }
    if (auto it = m_tombstones.upper_bound(last); it != m_tombstones.begin() && authorOf(*std::prev(it)) == author) {
        high = std::max(high, serialOf(*std::prev(it)));
    }
    return high;
}

Result<AnnotationId> AnnotationState::nextId(AuthorId author) const {
    const std::uint16_t high = highestSerial(author);
    if (high == 0xffff) {
        return makeError(ErrorCode::kLimit,
                         strCat("member ", author, " has used all 65535 annotation ids of this room"));
    }
    return makeAnnotationId(author, static_cast<std::uint16_t>(high + 1));
}

// Advances the author's floor over serials that are live or deleted, so that
// tombstones of an author who numbers without gaps take no memory.
void AnnotationState::compact(AuthorId author) {
    std::uint16_t floor = 0;
    if (auto f = m_floors.find(author); f != m_floors.end()) floor = f->second;
    while (floor < 0xffff) {
        const AnnotationId next = makeAnnotationId(author, static_cast<std::uint16_t>(floor + 1));
        if (!m_live.contains(next) && m_tombstones.erase(next) == 0) break;
        ++floor;
    }
    if (floor > 0) m_floors[author] = floor;
}

Result<void> AnnotationState::apply(const AnnotationOp& op, const AnnotationActor& actor) {
    const std::string what = strCat("annotation ", idText(op.id));
    if (serialOf(op.id) == 0) {
        return makeError(ErrorCode::kInvalidArgument, strCat(what, ": serial 0 is not an id (serials start at 1)"));
    }
    if (op.stamp.writer != actor.id) {
        return makeError(ErrorCode::kPermissionDenied, strCat(what, ": the change is stamped by member ",
                                                              op.stamp.writer, " but comes from member ", actor.id));
    }
    if (op.stamp.counter == 0 || op.stamp.counter - std::min(op.stamp.counter, m_clock) > kMaxStampLead) {
        return makeError(ErrorCode::kInvalidArgument,
                         strCat(what, ": stamp ", op.stamp.counter, " is not between 1 and ", kMaxStampLead,
                                " past this room's clock (", m_clock, ")"));
    }
    if (op.type == AnnotationOpType::kCreate) {
        if (authorOf(op.id) != actor.id) {
            return makeError(ErrorCode::kPermissionDenied,
                             strCat(what, ": member ", actor.id, " creates annotations under its own ids (", actor.id,
                                    ":n), not those of member ", authorOf(op.id)));
        }
    } else if (authorOf(op.id) != actor.id && !actor.moderates) {
        return makeError(ErrorCode::kPermissionDenied,
                         strCat(what, " is changed only by its author (member ", authorOf(op.id),
                                ") or a moderator; member ", actor.id, " is neither"));
    }
    Result<void> done;
    switch (op.type) {
        case AnnotationOpType::kCreate:
            done = create(op);
            break;
        case AnnotationOpType::kUpdate:
            done = update(op);
            break;
        case AnnotationOpType::kDelete:
            if (isDeleted(op.id)) return {};  // already gone: deleting twice is harmless
            if (!m_live.contains(op.id)) return makeError(ErrorCode::kNotFound, strCat(what, " does not exist"));
            erase(op.id);
            break;
    }
    if (!done) {
        done.error().message = strCat(what, ": ", done.error().message);
        return done;
    }
    m_clock = std::max(m_clock, op.stamp.counter);
    return {};
}

Result<void> AnnotationState::create(const AnnotationOp& op) {
    if (isDeleted(op.id)) return makeError(ErrorCode::kConflict, "it was deleted; ids are not reused");
    if (m_live.contains(op.id)) return makeError(ErrorCode::kConflict, "it already exists");
    if (auto p = maskProblem(op.type, op.kind, op.fields)) return makeError(ErrorCode::kInvalidArgument, *p);
    if (auto e = valuesProblem(op.fields, op.values)) return tl::unexpected(*e);
    if (m_live.size() >= kMaxLiveAnnotations) {
        return makeError(ErrorCode::kLimit,
                         strCat("the room has ", m_live.size(), " annotations, the limit; delete some first"));
    }
    Annotation a;
    a.id = op.id;
    a.kind = op.kind;
    a.created = op.stamp;
    a.stamps.fill(op.stamp);
    copyFields(op.fields, op.values, a.values);
    if (auto e = inkProblem(a)) return tl::unexpected(*e);
    if (m_inkPoints + a.values.points.size() > kMaxInkPointsPerRoom) {
        return makeError(ErrorCode::kLimit, strCat("the room would hold ", m_inkPoints + a.values.points.size(),
                                                   " ink points, more than the limit of ", kMaxInkPointsPerRoom));
    }
    m_inkPoints += a.values.points.size();
    m_live.emplace(op.id, std::move(a));
    compact(authorOf(op.id));
    return {};
}

Result<void> AnnotationState::update(const AnnotationOp& op) {
    if (isDeleted(op.id)) return makeError(ErrorCode::kConflict, "it was deleted");
    auto it = m_live.find(op.id);
    if (it == m_live.end()) return makeError(ErrorCode::kNotFound, "it does not exist");
    const Annotation& current = it->second;
    if (auto p = maskProblem(op.type, current.kind, op.fields)) return makeError(ErrorCode::kInvalidArgument, *p);
    if (auto e = valuesProblem(op.fields, op.values)) return tl::unexpected(*e);
    Annotation next = current;
    for (std::size_t f = 0; f < kAnnotationFieldCount; ++f) {
        const FieldMask b = fieldBit(static_cast<AnnotationField>(f));
        if ((op.fields & b) && op.stamp > next.stamps[f]) {
            copyFields(b, op.values, next.values);
            next.stamps[f] = op.stamp;
        }
    }
    if (auto e = inkProblem(next)) return tl::unexpected(*e);
    const std::size_t ink = m_inkPoints - current.values.points.size() + next.values.points.size();
    if (ink > kMaxInkPointsPerRoom) {
        return makeError(ErrorCode::kLimit, strCat("the room would hold ", ink, " ink points, more than the limit of ",
                                                   kMaxInkPointsPerRoom));
    }
    m_inkPoints = ink;
    it->second = std::move(next);
    return {};
}

void AnnotationState::erase(AnnotationId id) {
    auto it = m_live.find(id);
    m_inkPoints -= it->second.values.points.size();
    m_live.erase(it);
    auto f = m_floors.find(authorOf(id));
    if (f == m_floors.end() || serialOf(id) > f->second) {
        m_tombstones.insert(id);
        compact(authorOf(id));
    }
}

// ---- codecs ----

Bytes encodeAnnotationOp(const AnnotationOp& op) {
    ByteWriter w(32);
    w.u8(static_cast<std::uint8_t>(op.type));
    w.u32(op.id);
    writeStamp(w, op.stamp);
    if (op.type == AnnotationOpType::kDelete) return w.take();
    assert(op.type == AnnotationOpType::kUpdate ? op.fields != 0 && !(op.fields & ~kAllFields)
                                                : !maskProblem(op.type, op.kind, op.fields));
    if (op.type == AnnotationOpType::kCreate) w.u8(static_cast<std::uint8_t>(op.kind));
    w.u16(op.fields);
    writeValues(w, op.fields, op.values);
    return w.take();
}

Result<AnnotationOp> decodeAnnotationOp(ByteSpan bytes) {
    ByteReader r(bytes);
    AnnotationOp op;
    MXR_TRY_ASSIGN(auto type, r.u8("op"));
    if (type < 1 || type > static_cast<std::uint8_t>(AnnotationOpType::kDelete)) {
        return tl::unexpected(protocolError(strCat("field 'op' has unknown value ", int(type))));
    }
    op.type = static_cast<AnnotationOpType>(type);
    MXR_TRY_ASSIGN(op.id, readId(r));
    MXR_TRY_ASSIGN(op.stamp, readStamp(r, "stamp"));
    if (op.type != AnnotationOpType::kDelete) {
        if (op.type == AnnotationOpType::kCreate) {
            MXR_TRY_ASSIGN(op.kind, readKind(r));
        }
        MXR_TRY_ASSIGN(op.fields, r.u16("fields"));
        if (op.type == AnnotationOpType::kUpdate) {
            // The kind is the state's business; only the bits are checked here.
            if (op.fields & ~kAllFields) {
                return tl::unexpected(protocolError(strCat("field 'fields' has unknown bits (", op.fields, ")")));
            }
            if (op.fields == 0) return tl::unexpected(protocolError("update changes no field"));
        } else if (auto p = maskProblem(op.type, op.kind, op.fields)) {
            return tl::unexpected(protocolError(*p));
        }
        MXR_TRY_ASSIGN(op.values, readValues(r, op.fields));
    }
    MXR_TRY(r.expectEnd("annotation op"));
    return op;
}

Bytes encodeAnnotationSnapshot(const AnnotationState& state) {
    ByteWriter w(64 + state.live().size() * 48 + state.inkPoints() * 6);
    w.u8(kSnapshotFormat);
    w.u32(state.clock());
    assert(state.floors().size() <= 0xffff && state.live().size() <= kMaxLiveAnnotations);
    w.u16(static_cast<std::uint16_t>(state.floors().size()));
    for (const auto& [author, floor] : state.floors()) {
        w.u16(author);
        w.u16(floor);
    }
    w.u32(static_cast<std::uint32_t>(state.tombstones().size()));
    for (AnnotationId id : state.tombstones()) w.u32(id);
    w.u16(static_cast<std::uint16_t>(state.live().size()));
    for (const auto& [id, a] : state.live()) {
        w.u32(id);
        w.u8(static_cast<std::uint8_t>(a.kind));
        writeStamp(w, a.created);
        const FieldMask fields = fieldsOf(a.kind) | fieldBit(AnnotationField::kStep);
        FieldMask later = 0;
        for (std::size_t f = 0; f < kAnnotationFieldCount; ++f) {
            if ((fields & (1u << f)) && a.stamps[f] != a.created) later |= static_cast<FieldMask>(1u << f);
        }
        w.u16(later);
        for (std::size_t f = 0; f < kAnnotationFieldCount; ++f) {
            if (later & (1u << f)) writeStamp(w, a.stamps[f]);
        }
        writeValues(w, fields, a.values);
    }
    return w.take();
}

Result<AnnotationState> decodeAnnotationSnapshot(ByteSpan bytes) {
    ByteReader r(bytes);
    AnnotationState s;
    MXR_TRY_ASSIGN(auto format, r.u8("format"));
    if (format != kSnapshotFormat) {
        return tl::unexpected(protocolError(strCat("field 'format' has unknown value ", int(format))));
    }
    MXR_TRY_ASSIGN(s.m_clock, r.u32("clock"));
    MXR_TRY_ASSIGN(auto floors, r.u16("floors.count"));
    if (floors > r.remaining() / 4) {
        return tl::unexpected(protocolError(
            strCat("truncated: field 'floors.count' says ", floors, " but only ", r.remaining(), " bytes follow")));
    }
    for (std::uint16_t i = 0; i < floors; ++i) {
        MXR_TRY_ASSIGN(auto author, r.u16("floors.author"));
        MXR_TRY_ASSIGN(auto floor, r.u16("floors.floor"));
        if (!s.m_floors.empty() && author <= s.m_floors.rbegin()->first) {
            return tl::unexpected(protocolError(strCat("field 'floors.author' ", author, " is out of order")));
        }
        if (floor == 0)
            return tl::unexpected(protocolError(strCat("field 'floors.floor' of member ", author, " is 0")));
        s.m_floors.emplace(author, floor);
    }
    MXR_TRY_ASSIGN(auto tombstones, r.u32("tombstones.count"));
    if (tombstones > r.remaining() / 4) {
        return tl::unexpected(protocolError(strCat("truncated: field 'tombstones.count' says ", tombstones,
                                                   " but only ", r.remaining(), " bytes follow")));
    }
    for (std::uint32_t i = 0; i < tombstones; ++i) {
        MXR_TRY_ASSIGN(auto id, readId(r));
        if (!s.m_tombstones.empty() && id <= *s.m_tombstones.rbegin()) {
            return tl::unexpected(protocolError(strCat("field 'tombstones' id ", idText(id), " is out of order")));
        }
        if (auto f = s.m_floors.find(authorOf(id)); f != s.m_floors.end() && serialOf(id) <= f->second) {
            return tl::unexpected(protocolError(
                strCat("field 'tombstones' id ", idText(id), " is at or below its author's floor ", f->second)));
        }
        s.m_tombstones.insert(id);
    }
    MXR_TRY_ASSIGN(auto count, r.u16("annotations.count"));
    if (count > kMaxLiveAnnotations) {
        return tl::unexpected(protocolError(
            strCat("field 'annotations.count' is ", count, ", more than the limit of ", kMaxLiveAnnotations)));
    }
    for (std::uint16_t i = 0; i < count; ++i) {
        Annotation a;
        MXR_TRY_ASSIGN(a.id, readId(r));
        const std::string what = strCat("annotation ", idText(a.id));
        if (!s.m_live.empty() && a.id <= s.m_live.rbegin()->first) {
            return tl::unexpected(protocolError(strCat(what, " is out of order")));
        }
        if (s.m_tombstones.contains(a.id)) return tl::unexpected(protocolError(strCat(what, " is also a tombstone")));
        MXR_TRY_ASSIGN(a.kind, readKind(r));
        MXR_TRY_ASSIGN(a.created, readStamp(r, "created"));
        a.stamps.fill(a.created);
        const FieldMask fields = fieldsOf(a.kind) | fieldBit(AnnotationField::kStep);
        MXR_TRY_ASSIGN(auto later, r.u16("later"));
        if (later & ~fields) {
            return tl::unexpected(protocolError(
                strCat(what, ": field 'later' names fields ", aKind(a.kind), " does not have (", later, ")")));
        }
        for (std::size_t f = 0; f < kAnnotationFieldCount; ++f) {
            if (!(later & (1u << f))) continue;
            MXR_TRY_ASSIGN(a.stamps[f], readStamp(r, "later"));
            if (a.stamps[f] <= a.created) {
                return tl::unexpected(
                    protocolError(strCat(what, ": the stamp of field '", toString(static_cast<AnnotationField>(f)),
                                         "' is not after the annotation's creation")));
            }
        }
        for (const Stamp& st : a.stamps) {
            if (st.counter > s.m_clock) {
                return tl::unexpected(protocolError(
                    strCat(what, ": stamp ", st.counter, " is ahead of the snapshot's clock ", s.m_clock)));
            }
        }
        auto values = readValues(r, fields);
        if (!values) return tl::unexpected(withContext(values.error(), what));
        a.values = std::move(*values);
        if (auto e = inkProblem(a)) return tl::unexpected(protocolError(strCat(what, ": ", e->message)));
        s.m_inkPoints += a.values.points.size();
        if (s.m_inkPoints > kMaxInkPointsPerRoom) {
            return tl::unexpected(
                protocolError(strCat("the snapshot holds more than ", kMaxInkPointsPerRoom, " ink points")));
        }
        s.m_live.emplace(a.id, std::move(a));
    }
    MXR_TRY(r.expectEnd("annotation snapshot"));
    // Snapshots from encodeAnnotationSnapshot are compacted already; one
    // assembled otherwise is brought to the same form.
    std::set<AuthorId> authors;
    for (const auto& [id, a] : s.m_live) authors.insert(authorOf(id));
    for (AnnotationId id : s.m_tombstones) authors.insert(authorOf(id));
    for (AuthorId author : authors) s.compact(author);
    return s;
}

}  // namespace mxr::net
