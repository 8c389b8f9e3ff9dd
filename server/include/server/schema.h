#pragma once
// The record model: one descriptor per entity lists its fields, their types
// and limits. Validation, the SQLite store, the HTTP API and the export all
// read these descriptors, so a limit is stated once (and documented in
// server/README.md).
//
// Thread: everything here is immutable after static initialisation of
// constant tables; safe from any thread.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>
#include <tl/expected.hpp>

namespace mxr::server {

using Json = nlohmann::json;

// Procedures (issue 14, job shadowing): a mentorship's step-by-step
// procedures, their steps, and each step completion with its time taken.
enum class Entity : std::uint8_t {
    kPerson, kProgram, kMentorship, kGoal, kMilestone, kSession, kFeedback,
    kProcedure, kProcedureStep, kStepCompletion,
    kMatchProposal,  // one proposed pair of a program's matching proposal (issue 18, matching_*.cpp)
};
inline constexpr Entity kAllEntities[] = {Entity::kPerson,    Entity::kProgram,       Entity::kMentorship,
                                          Entity::kGoal,      Entity::kMilestone,     Entity::kSession,
                                          Entity::kFeedback,  Entity::kProcedure,     Entity::kProcedureStep,
                                          Entity::kStepCompletion, Entity::kMatchProposal};

enum class FieldType : std::uint8_t {
    kText,        // UTF-8 string, at most maxLength bytes
    kEmail,       // text with one '@', lower-cased on input
    kInt,         // integer in [min, max]
    kEnum,        // one of values
    kDate,        // "YYYY-MM-DD", a real calendar date
    kTimestamp,   // "YYYY-MM-DDTHH:MM:SSZ" (UTC), a real instant
    kStringList,  // array of at most max strings of at most maxLength bytes (of values, when given)
    kIdList,      // array of at most max ids of ref (stored in a link table)
    kRef,         // id of an existing ref record
    kObjectList,  // array of at most max JSON objects, each with a "kind" among values; at most maxLength bytes as JSON
};

// Text formats some string fields must follow (checked by validateFields).
enum class TextFormat : std::uint8_t {
    kAny,
    kSkillLevel,    // "skill:level", level 1-5 ("welding:4")
    kWeeklyWindow,  // "Mon 09:00-12:30": a weekly window in the person's time zone, quarter hours
    kTimeZone,      // an IANA time zone known to the system's tzdata ("Europe/Berlin")
};

struct FieldSpec {
    std::string_view name;
    FieldType type = FieldType::kText;
    bool required = false;        // must be present on create
    bool clientWritable = true;   // false: set by the server only (author_id, password_hash)
    bool immutable = false;       // may not change after create
    bool hidden = false;          // never returned (password_hash)
    bool personalData = false;    // a person's own data, cleared when the person is erased
    // Free text someone writes into a record (goal titles, notes, end
    // reasons...): its last writer is tracked, and erasing that person
    // blanks it. Every kText field is either personalData, authored or
    // organisational (schema_test checks), so a new text field must choose.
    bool authored = false;
    bool organisational = false;  // the organisation's own text (program names); kept on erasure
    std::size_t maxLength = 0;    // kText/kEmail/kStringList items
    std::int64_t min = 0;         // kInt
    std::int64_t max = 0;         // kInt: upper bound; lists: most items
    std::span<const std::string_view> values{};  // kEnum, kStringList (when non-empty)
    Entity ref = Entity::kPerson; // kRef, kIdList
    std::string_view defaultValue{};  // kEnum/kInt default on create ("" = none)
    TextFormat format = TextFormat::kAny;  // kText, kStringList items
};

struct EntitySpec {
    Entity entity;
    std::string_view name;    // "goal"
    std::string_view plural;  // "goals": URL segment
    std::string_view table;   // SQL table
    std::span<const FieldSpec> fields;

    const FieldSpec* field(std::string_view fieldName) const;
};

const EntitySpec& spec(Entity entity);
std::optional<Entity> entityFromPlural(std::string_view plural);

// A validation failure that names the offending field ("" when the body as a
// whole is wrong).
struct FieldError {
    std::string field;
    std::string message;
};

// Validates a create (isCreate) or partial-update body against the entity's
// descriptor and returns the normalised fields (emails lower-cased, defaults
// filled on create). Rejects unknown fields, server-only fields, immutable
// fields on update, wrong types, out-of-range values, over-long strings and
// impossible dates. Ids in kRef/kIdList are checked for shape only; the
// caller checks they exist.
tl::expected<Json, FieldError> validateFields(Entity entity, const Json& body, bool isCreate);

// Cross-field rules on a whole (merged) record, e.g. ended_at >= started_at,
// an ended mentorship has an end_reason. Returns the first violation.
std::optional<FieldError> checkInvariants(Entity entity, const Json& record);

}  // namespace mxr::server
