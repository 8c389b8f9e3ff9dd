#include "server/schema.h"

#include "engine/core/log.h"
#include "engine/core/text.h"
#include "matching_profile.h"
#include "server/time_util.h"

namespace mxr::server {
namespace {

using F = FieldType;

constexpr std::string_view kRoles[] = {"mentor", "mentee", "program_manager", "administrator"};
constexpr std::string_view kKinds[] = {"one_to_one", "group", "reverse", "peer", "job_shadowing"};
constexpr std::string_view kMentorshipStatus[] = {"proposed", "active", "paused", "ended"};
constexpr std::string_view kGoalStatus[] = {"open", "achieved", "abandoned"};
constexpr std::string_view kVisibility[] = {"pair", "program_manager_only"};
constexpr std::string_view kSessionSource[] = {"manual", "room"};
constexpr std::string_view kSessionStatus[] = {"scheduled", "cancelled"};
// What a procedure step's annotations may be (issue 14): the kinds the AR
// client draws, each an object in workspace coordinates.
constexpr std::string_view kAnnotationKinds[] = {"arrow", "label", "box", "sphere", "ink", "marker"};
constexpr std::string_view kDecision[] = {"pending", "approved", "rejected"};

constexpr std::size_t kName = 200;
constexpr std::size_t kShortText = 4000;
constexpr std::size_t kLongText = 20000;

// Designated initialisers keep each row readable as "name, type, flags".
const FieldSpec kPersonFields[] = {
    {.name = "name", .type = F::kText, .required = true, .personalData = true, .maxLength = kName},
    {.name = "email", .type = F::kEmail, .required = true, .personalData = true, .maxLength = 254},
    {.name = "roles", .type = F::kStringList, .required = true, .maxLength = 32, .max = 4, .values = kRoles},
    {.name = "skills", .type = F::kStringList, .personalData = true, .maxLength = 100, .max = 50},
    {.name = "interests", .type = F::kStringList, .personalData = true, .maxLength = 100, .max = 50},
    {.name = "languages", .type = F::kStringList, .personalData = true, .maxLength = 35, .max = 20},
    {.name = "time_zone", .type = F::kText, .personalData = true, .maxLength = 64, .format = TextFormat::kTimeZone},
    {.name = "password_hash", .type = F::kText, .clientWritable = false, .hidden = true, .personalData = true},
    {.name = "erased_at", .type = F::kTimestamp, .clientWritable = false},
    // Matching profile (issue 18, migration 7; matching_profile.h reads them).
    {.name = "skills_offered", .type = F::kStringList, .personalData = true, .maxLength = 100, .max = 50,
     .format = TextFormat::kSkillLevel},
    {.name = "skills_wanted", .type = F::kStringList, .personalData = true, .maxLength = 100, .max = 50,
     .format = TextFormat::kSkillLevel},
    {.name = "goals_text", .type = F::kText, .personalData = true, .maxLength = kShortText},
    {.name = "availability", .type = F::kStringList, .personalData = true, .maxLength = 15, .max = 50,
     .format = TextFormat::kWeeklyWindow},
    {.name = "mentor_capacity", .type = F::kInt, .personalData = true, .min = 0, .max = 50},
    {.name = "team", .type = F::kText, .personalData = true, .maxLength = kName},
    {.name = "line_manager_id", .type = F::kRef, .personalData = true, .ref = Entity::kPerson},
    {.name = "avoid", .type = F::kIdList, .personalData = true, .max = 50, .ref = Entity::kPerson},
    {.name = "prefer", .type = F::kIdList, .personalData = true, .max = 50, .ref = Entity::kPerson},
};
const FieldSpec kProgramFields[] = {
    {.name = "name", .type = F::kText, .required = true, .organisational = true, .maxLength = kName},
    {.name = "description", .type = F::kText, .organisational = true, .maxLength = kShortText},
    {.name = "managers", .type = F::kIdList, .max = 50, .ref = Entity::kPerson},
    // People who belong to the program besides its mentorships' pairs and
    // managers (e.g. created by a manager before they are matched).
    {.name = "members", .type = F::kIdList, .max = 1000, .ref = Entity::kPerson},
    // What matching asks for (issue 18, migration 7; matching_score.h): the
    // kind of mentorship proposed, skills every mentor must teach, hard
    // exclusions, and the weights of the score's parts (defaults there).
    {.name = "match_kind", .type = F::kEnum, .values = kKinds},
    {.name = "required_skills", .type = F::kStringList, .maxLength = 100, .max = 20, .format = TextFormat::kSkillLevel},
    {.name = "exclude_same_team", .type = F::kInt, .min = 0, .max = 1},
    {.name = "exclude_line_manager", .type = F::kInt, .min = 0, .max = 1},
    {.name = "weight_skills", .type = F::kInt, .min = 0, .max = 100},
    {.name = "weight_language", .type = F::kInt, .min = 0, .max = 100},
    {.name = "weight_availability", .type = F::kInt, .min = 0, .max = 100},
    {.name = "weight_text", .type = F::kInt, .min = 0, .max = 100},
    {.name = "weight_feedback", .type = F::kInt, .min = 0, .max = 100},
    {.name = "target_shared_hours", .type = F::kInt, .min = 1, .max = 40},
};
const FieldSpec kMentorshipFields[] = {
    {.name = "program_id", .type = F::kRef, .required = true, .immutable = true, .ref = Entity::kProgram},
    {.name = "kind", .type = F::kEnum, .required = true, .values = kKinds},
    {.name = "status", .type = F::kEnum, .values = kMentorshipStatus, .defaultValue = "proposed"},
    {.name = "end_reason", .type = F::kText, .authored = true, .maxLength = kShortText},
    {.name = "mentors", .type = F::kIdList, .max = 50, .ref = Entity::kPerson},
    {.name = "mentees", .type = F::kIdList, .max = 50, .ref = Entity::kPerson},
};
const FieldSpec kGoalFields[] = {
    {.name = "mentorship_id", .type = F::kRef, .required = true, .immutable = true, .ref = Entity::kMentorship},
    {.name = "title", .type = F::kText, .required = true, .authored = true, .maxLength = kName},
    {.name = "description", .type = F::kText, .authored = true, .maxLength = kShortText},
    {.name = "success_criteria", .type = F::kText, .authored = true, .maxLength = kShortText},
    {.name = "target_date", .type = F::kDate},
    {.name = "status", .type = F::kEnum, .values = kGoalStatus, .defaultValue = "open"},
    {.name = "progress", .type = F::kInt, .min = 0, .max = 100, .defaultValue = "0"},
};
const FieldSpec kMilestoneFields[] = {
    {.name = "goal_id", .type = F::kRef, .required = true, .immutable = true, .ref = Entity::kGoal},
    {.name = "title", .type = F::kText, .required = true, .authored = true, .maxLength = kName},
    {.name = "due_date", .type = F::kDate},
    {.name = "done_at", .type = F::kTimestamp},
};
const FieldSpec kSessionFields[] = {
    {.name = "mentorship_id", .type = F::kRef, .required = true, .immutable = true, .ref = Entity::kMentorship},
    {.name = "scheduled_at", .type = F::kTimestamp, .required = true},
    {.name = "started_at", .type = F::kTimestamp},
    {.name = "ended_at", .type = F::kTimestamp},
    {.name = "attendees", .type = F::kIdList, .max = 100, .ref = Entity::kPerson},
    {.name = "agenda", .type = F::kText, .authored = true, .maxLength = kShortText},
    {.name = "notes", .type = F::kText, .authored = true, .maxLength = kLongText},
    // "room": recorded by the server from room presence (its times and
    // attendees are the program managers' to correct, not the pair's).
    {.name = "source", .type = F::kEnum, .clientWritable = false, .immutable = true, .values = kSessionSource,
     .defaultValue = "manual"},
    // Set by POST /sessions/{id}/cancel and /reschedule (scheduling, issue
    // 18): the status, the reason of the last change, and the iCalendar
    // SEQUENCE that each change bumps.
    {.name = "status", .type = F::kEnum, .clientWritable = false, .values = kSessionStatus, .defaultValue = "scheduled"},
    {.name = "change_reason", .type = F::kText, .clientWritable = false, .authored = true, .maxLength = kShortText},
    {.name = "sequence", .type = F::kInt, .clientWritable = false, .max = 1000000, .defaultValue = "0"},
};
const FieldSpec kFeedbackFields[] = {
    {.name = "session_id", .type = F::kRef, .required = true, .immutable = true, .ref = Entity::kSession},
    {.name = "author_id", .type = F::kRef, .clientWritable = false, .immutable = true, .ref = Entity::kPerson},
    {.name = "subject_id", .type = F::kRef, .required = true, .immutable = true, .ref = Entity::kPerson},
    {.name = "rating_goal_progress", .type = F::kInt, .required = true, .min = 1, .max = 5},
    {.name = "rating_communication", .type = F::kInt, .required = true, .min = 1, .max = 5},
    {.name = "rating_trust_respect", .type = F::kInt, .required = true, .min = 1, .max = 5},
    {.name = "rating_usefulness", .type = F::kInt, .required = true, .min = 1, .max = 5},
    {.name = "text", .type = F::kText, .authored = true, .maxLength = kShortText},
    {.name = "visibility", .type = F::kEnum, .values = kVisibility, .defaultValue = "pair"},
};

// Procedures (issue 14): step-by-step work the mentee follows at the real
// workspace. A procedure may name one goal of its mentorship, whose progress
// then follows the completed steps (Handlers). Steps keep their annotations
// (what the AR client draws over the workspace for that step) with them, so
// they outlive the room. A completion is a fact the mentee's client records:
// who (the caller) and when (the server) are not the client's to set.
const FieldSpec kProcedureFields[] = {
    {.name = "mentorship_id", .type = F::kRef, .required = true, .immutable = true, .ref = Entity::kMentorship},
    {.name = "title", .type = F::kText, .required = true, .authored = true, .maxLength = kName},
    {.name = "description", .type = F::kText, .authored = true, .maxLength = kShortText},
    {.name = "goal_id", .type = F::kRef, .ref = Entity::kGoal},
};
const FieldSpec kProcedureStepFields[] = {
    {.name = "procedure_id", .type = F::kRef, .required = true, .immutable = true, .ref = Entity::kProcedure},
    {.name = "position", .type = F::kInt, .required = true, .min = 1, .max = 500},
    {.name = "title", .type = F::kText, .required = true, .authored = true, .maxLength = kName},
    {.name = "instruction", .type = F::kText, .authored = true, .maxLength = kShortText},
    {.name = "expected_seconds", .type = F::kInt, .min = 1, .max = 86400},
    {.name = "annotations", .type = F::kObjectList, .authored = true, .maxLength = 65536, .max = 200,
     .values = kAnnotationKinds},
};
const FieldSpec kStepCompletionFields[] = {
    {.name = "step_id", .type = F::kRef, .required = true, .immutable = true, .ref = Entity::kProcedureStep},
    {.name = "person_id", .type = F::kRef, .clientWritable = false, .immutable = true, .ref = Entity::kPerson},
    {.name = "completed_at", .type = F::kTimestamp, .clientWritable = false, .immutable = true},
    {.name = "seconds_taken", .type = F::kInt, .required = true, .min = 0, .max = 604800},
};

// One proposed pair of a matching proposal (matching_api.cpp). Written by
// the server only: the proposal endpoint creates them, approve/reject
// decide them. The explanation is not stored: it is computed from the
// current profiles when read, so an erased person's data does not linger.
const FieldSpec kMatchProposalFields[] = {
    {.name = "program_id", .type = F::kRef, .required = true, .clientWritable = false, .immutable = true,
     .ref = Entity::kProgram},
    {.name = "batch", .type = F::kInt, .required = true, .clientWritable = false, .min = 1, .max = INT64_MAX},
    {.name = "mentor_id", .type = F::kRef, .required = true, .clientWritable = false, .ref = Entity::kPerson},
    {.name = "mentee_id", .type = F::kRef, .required = true, .clientWritable = false, .ref = Entity::kPerson},
    {.name = "kind", .type = F::kEnum, .required = true, .clientWritable = false, .values = kKinds},
    {.name = "score", .type = F::kInt, .required = true, .clientWritable = false, .min = 0, .max = 1000},
    {.name = "decision", .type = F::kEnum, .values = kDecision, .defaultValue = "pending"},
    {.name = "decision_reason", .type = F::kText, .authored = true, .maxLength = kShortText},
    {.name = "mentorship_id", .type = F::kRef, .clientWritable = false, .ref = Entity::kMentorship},
};

const EntitySpec kSpecs[] = {
    {Entity::kPerson, "person", "people", "people", kPersonFields},
    {Entity::kProgram, "program", "programs", "programs", kProgramFields},
    {Entity::kMentorship, "mentorship", "mentorships", "mentorships", kMentorshipFields},
    {Entity::kGoal, "goal", "goals", "goals", kGoalFields},
    {Entity::kMilestone, "milestone", "milestones", "milestones", kMilestoneFields},
    {Entity::kSession, "session", "sessions", "sessions", kSessionFields},
    {Entity::kFeedback, "feedback", "feedback", "feedback", kFeedbackFields},
    {Entity::kProcedure, "procedure", "procedures", "procedures", kProcedureFields},
    {Entity::kProcedureStep, "procedure_step", "procedure_steps", "procedure_steps", kProcedureStepFields},
    {Entity::kStepCompletion, "step_completion", "step_completions", "step_completions", kStepCompletionFields},
    {Entity::kMatchProposal, "match_proposal", "match_proposals", "match_proposals", kMatchProposalFields},
};

bool oneOf(std::span<const std::string_view> values, std::string_view v) {
    for (auto x : values) {
        if (x == v) return true;
    }
    return false;
}

std::string joined(std::span<const std::string_view> values) {
    std::string out;
    for (auto v : values) {
        if (!out.empty()) out += ", ";
        out += v;
    }
    return out;
}

const char* typeName(const Json& v) { return v.type_name(); }

tl::expected<Json, FieldError> fail(std::string_view field, std::string message) {
    return tl::unexpected(FieldError{std::string(field), std::move(message)});
}

// JSON strings come from nlohmann's parser, which already rejects invalid
// UTF-8; control characters other than tab/newline are refused here so that
// names and titles stay printable in exports.
bool printable(const std::string& s, bool multiline) {
    for (unsigned char c : s) {
        if (c < 0x20 && !(multiline && (c == '\n' || c == '\t' || c == '\r'))) return false;
        if (c == 0x7f) return false;
    }
    return true;
}

tl::expected<Json, FieldError> validateValue(const FieldSpec& f, const Json& v) {
    const std::string_view n = f.name;
    if (v.is_null()) {
        if (f.required) return fail(n, "is required and may not be null");
        return Json(nullptr);
    }
    switch (f.type) {
        case F::kText:
        case F::kEmail: {
            if (!v.is_string()) return fail(n, strCat("must be a string, got ", typeName(v)));
            std::string s = v.get<std::string>();
            if (s.size() > f.maxLength) return fail(n, strCat("is longer than ", f.maxLength, " bytes"));
            if (f.required && s.empty()) return fail(n, "may not be empty");
            if (!printable(s, f.maxLength > kName)) return fail(n, "contains control characters");
            if (f.maxLength <= kName) {
                // One-line text (names, titles): no C1 controls or bidi
                // overrides either, and one spelling of each name (NFC).
                if (auto problem = nameProblem(s)) return fail(n, *problem);
                s = toNfc(s);
                if (s.size() > f.maxLength) return fail(n, strCat("is longer than ", f.maxLength, " bytes"));
            }
            if (f.format == TextFormat::kTimeZone && !match::isKnownTimeZone(s)) {
                return fail(n, "must be an IANA time zone such as Europe/Berlin or America/New_York");
            }
            if (f.type == F::kEmail) {
                const auto at = s.find('@');
                if (at == std::string::npos || at == 0 || at + 1 == s.size() || s.find('@', at + 1) != std::string::npos ||
                    s.find(' ') != std::string::npos) {
                    return fail(n, "must be an email address like name@example.org");
                }
                for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            }
            return Json(std::move(s));
        }
        case F::kInt:
        case F::kRef: {
            if (!v.is_number_integer()) return fail(n, strCat("must be an integer, got ", typeName(v)));
            if (v.is_number_unsigned() && v.get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)) {
                return fail(n, "is out of range");
            }
            const auto x = v.get<std::int64_t>();
            if (f.type == F::kRef && x <= 0) return fail(n, "must be a positive id");
            if (f.type == F::kInt && (x < f.min || x > f.max)) {
                return fail(n, strCat("must be between ", f.min, " and ", f.max));
            }
            return Json(x);
        }
        case F::kEnum: {
            if (!v.is_string() || !oneOf(f.values, v.get<std::string>())) {
                return fail(n, strCat("must be one of: ", joined(f.values)));
            }
            return v;
        }
        case F::kDate:
            if (!v.is_string() || !parseDate(v.get<std::string>())) {
                return fail(n, "must be a real calendar date written YYYY-MM-DD");
            }
            return v;
        case F::kTimestamp:
            if (!v.is_string() || !parseTimestamp(v.get<std::string>())) {
                return fail(n, "must be a real UTC time written YYYY-MM-DDTHH:MM:SSZ");
            }
            return v;
        case F::kStringList: {
            if (!v.is_array()) return fail(n, strCat("must be an array of strings, got ", typeName(v)));
            if (static_cast<std::int64_t>(v.size()) > f.max) return fail(n, strCat("has more than ", f.max, " items"));
            Json out = Json::array();
            for (const auto& item : v) {
                if (!item.is_string()) return fail(n, "must contain only strings");
                const auto& s = item.get_ref<const std::string&>();
                if (s.empty() || s.size() > f.maxLength) {
                    return fail(n, strCat("items must be 1 to ", f.maxLength, " bytes"));
                }
                if (!printable(s, false)) return fail(n, "contains control characters");
                if (f.format == TextFormat::kSkillLevel && !match::parseSkillLevel(s)) {
                    return fail(n, strCat("items must be skill:level with a level from 1 to 5, like welding:4; got '", s, "'"));
                }
                if (f.format == TextFormat::kWeeklyWindow && !match::parseWeeklyWindow(s)) {
                    return fail(n, strCat("items must be weekly windows on quarter hours like 'Mon 09:00-12:30'; got '", s, "'"));
                }
                if (!f.values.empty() && !oneOf(f.values, s)) {
                    return fail(n, strCat("items must be among: ", joined(f.values)));
                }
                bool dup = false;
                for (const auto& o : out) dup = dup || o == item;
                if (!dup) out.push_back(item);
            }
            return out;
        }
        case F::kIdList: {
            if (!v.is_array()) return fail(n, strCat("must be an array of ids, got ", typeName(v)));
            if (static_cast<std::int64_t>(v.size()) > f.max) return fail(n, strCat("has more than ", f.max, " ids"));
            Json out = Json::array();
            for (const auto& item : v) {
                if (!item.is_number_integer() || item.get<std::int64_t>() <= 0 ||
                    (item.is_number_unsigned() && item.get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX))) {
                    return fail(n, "must contain only positive integer ids");
                }
                bool dup = false;
                for (const auto& o : out) dup = dup || o == item;
                if (!dup) out.push_back(item.get<std::int64_t>());
            }
            return out;
        }
        case F::kObjectList: {
            if (!v.is_array()) return fail(n, strCat("must be an array of objects, got ", typeName(v)));
            if (static_cast<std::int64_t>(v.size()) > f.max) return fail(n, strCat("has more than ", f.max, " items"));
            for (std::size_t i = 0; i < v.size(); ++i) {
                const Json& item = v[i];
                if (!item.is_object()) return fail(n, strCat("item ", i, " must be an object, got ", typeName(item)));
                if (!f.values.empty()) {
                    if (!item.contains("kind") || !item["kind"].is_string() || !oneOf(f.values, item["kind"].get<std::string>())) {
                        return fail(n, strCat("item ", i, " needs a kind among: ", joined(f.values)));
                    }
                }
            }
            // The request body's depth is bounded before this (32 levels),
            // so dumping cannot recurse deeply.
            if (v.dump().size() > f.maxLength) return fail(n, strCat("is longer than ", f.maxLength, " bytes as JSON"));
            return v;
        }
    }
    return fail(n, "has an unsupported type");
}

}  // namespace

const FieldSpec* EntitySpec::field(std::string_view fieldName) const {
    for (const auto& f : fields) {
        if (f.name == fieldName) return &f;
    }
    return nullptr;
}

const EntitySpec& spec(Entity entity) { return kSpecs[static_cast<std::size_t>(entity)]; }

std::optional<Entity> entityFromPlural(std::string_view plural) {
    for (const auto& s : kSpecs) {
        if (s.plural == plural) return s.entity;
    }
    return std::nullopt;
}

tl::expected<Json, FieldError> validateFields(Entity entity, const Json& body, bool isCreate) {
    if (!body.is_object()) return fail("", "the body must be a JSON object");
    const EntitySpec& es = spec(entity);
    Json out = Json::object();
    for (const auto& [key, value] : body.items()) {
        const FieldSpec* f = es.field(key);
        if (key == "id" || key == "created_at" || key == "updated_at") {
            return fail(key, "is set by the server");
        }
        if (!f) return fail(key, strCat("is not a field of ", es.name));
        if (!f->clientWritable) return fail(key, "is set by the server");
        if (!isCreate && f->immutable) return fail(key, "cannot be changed after creation");
        auto v = validateValue(*f, value);
        if (!v) return v;
        out[key] = std::move(*v);
    }
    if (isCreate) {
        for (const auto& f : es.fields) {
            if (out.contains(f.name)) continue;
            if (f.required && f.clientWritable) return fail(f.name, "is required");
            if (!f.defaultValue.empty()) {
                if (f.type == F::kInt) {
                    out[std::string(f.name)] = std::stoll(std::string(f.defaultValue));
                } else {
                    out[std::string(f.name)] = std::string(f.defaultValue);
                }
            }
        }
    }
    return out;
}

std::optional<FieldError> checkInvariants(Entity entity, const Json& r) {
    auto str = [&](const char* k) -> std::string {
        return r.contains(k) && r[k].is_string() ? r[k].get<std::string>() : std::string();
    };
    auto count = [&](const char* k) -> std::size_t { return r.contains(k) && r[k].is_array() ? r[k].size() : 0; };
    switch (entity) {
        case Entity::kMentorship: {
            if (str("status") == "ended" && str("end_reason").empty()) {
                return FieldError{"end_reason", "is required when status is ended"};
            }
            const auto kind = str("kind");
            if ((kind == "one_to_one" || kind == "reverse" || kind == "job_shadowing") &&
                (count("mentors") > 1 || count("mentees") > 1)) {
                return FieldError{"mentors", strCat("a ", kind, " mentorship has at most one mentor and one mentee")};
            }
            if (r.contains("mentors") && r.contains("mentees")) {
                for (const auto& a : r["mentors"]) {
                    for (const auto& b : r["mentees"]) {
                        if (a == b) return FieldError{"mentees", "a person cannot be mentor and mentee of one mentorship"};
                    }
                }
            }
            break;
        }
        case Entity::kSession: {
            const auto started = str("started_at"), ended = str("ended_at");
            if (!ended.empty() && started.empty()) return FieldError{"ended_at", "requires started_at"};
            if (!ended.empty() && *parseTimestamp(ended) < *parseTimestamp(started)) {
                return FieldError{"ended_at", "is before started_at"};
            }
            break;
        }
        case Entity::kFeedback:
            if (r.contains("author_id") && r.contains("subject_id") && r["author_id"] == r["subject_id"]) {
                return FieldError{"subject_id", "must be someone other than the author"};
            }
            break;
        default: break;
    }
    return std::nullopt;
}

}  // namespace mxr::server
