// Procedure files and the server's procedure records (scenes/procedure.h).
// The checks mirror server/src/schema.cpp's for procedures and steps, so a
// file that loads is one the server accepts (but for its goal, which only
// the server can check).
#include "scenes/procedure.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "engine/core/text.h"
#include "scenes/scene_file_text.h"
#include "scenes/workspace_file.h"

namespace mxr::scenes {
namespace {

using json = nlohmann::json;

constexpr std::size_t kTitleBytes = 200;
constexpr std::size_t kTextBytes = 4000;

tl::unexpected<Error> bad(const std::string& source, const std::string& field, const std::string& problem) {
    return makeError(ErrorCode::kInvalidArgument, strCat(source, ": ", field, ": ", problem));
}

// As the server: control characters refused (tab and newlines allowed in
// long text), one-line text without bidi overrides.
bool printable(const std::string& s, bool multiline) {
    for (unsigned char c : s) {
        if (c < 0x20 && !(multiline && (c == '\n' || c == '\t' || c == '\r'))) return false;
        if (c == 0x7f) return false;
    }
    return true;
}

Result<std::string> text(const std::string& src, const json& v, const std::string& field, std::size_t most,
                         bool required) {
    if (v.is_null()) {
        if (required) return bad(src, field, "is required and may not be null");
        return std::string();
    }
    if (!v.is_string()) return bad(src, field, strCat("must be a string, got ", v.type_name()));
    std::string s = v.get<std::string>();
    if (required && s.empty()) return bad(src, field, "may not be empty");
    if (s.size() > most) return bad(src, field, strCat("is longer than ", most, " bytes"));
    if (!printable(s, most > kTitleBytes)) return bad(src, field, "contains control characters");
    if (most <= kTitleBytes) {
        if (auto problem = nameProblem(s)) return bad(src, field, *problem);
    }
    return s;
}

Result<std::int64_t> integer(const std::string& src, const json& v, const std::string& field, std::int64_t lo,
                             std::int64_t hi) {
    if (!v.is_number_integer()) return bad(src, field, strCat("must be an integer, got ", v.type_name()));
    if (v.is_number_unsigned() && v.get<std::uint64_t>() > std::uint64_t(hi)) {
        return bad(src, field, strCat("must be between ", lo, " and ", hi));
    }
    const auto x = v.get<std::int64_t>();
    if (x < lo || x > hi) return bad(src, field, strCat("must be between ", lo, " and ", hi));
    return x;
}

Result<void> annotations(const std::string& src, const json& v, const std::string& field, ProcedureStepDef& step) {
    if (!v.is_array()) return bad(src, field, strCat("must be an array of objects, got ", v.type_name()));
    if (v.size() > kMaxStepAnnotations) return bad(src, field, strCat("has more than ", kMaxStepAnnotations, " items"));
    for (std::size_t i = 0; i < v.size(); ++i) {
        const json& a = v[i];
        const std::string where = strCat(field, "[", i, "]");
        if (!a.is_object()) return bad(src, where, strCat("must be an object, got ", a.type_name()));
        const bool known =
            a.contains("kind") && a["kind"].is_string() && annotationKindNamed(a["kind"].get<std::string>());
        if (!known) return bad(src, where + ".kind", "must be one of: arrow, label, box, sphere, ink, marker");
    }
    step.annotationsJson = v.dump();
    if (step.annotationsJson.size() > kMaxStepAnnotationBytes) {
        return bad(src, field, strCat("is longer than ", kMaxStepAnnotationBytes, " bytes as JSON"));
    }
    // The rest of each object is the client's (the server keeps it as
    // given): the workspace file's annotation format, checked in full here
    // so a step never carries what the card cannot draw.
    MXR_TRY(parseAnnotationList(step.annotationsJson, src, field));
    step.annotationCount = v.size();
    return {};
}

Result<ProcedureStepDef> parseStep(const std::string& src, const json& j, std::size_t index) {
    const std::string at = strCat("steps[", index, "]");
    if (!j.is_object()) return bad(src, at, strCat("must be an object, got ", j.type_name()));
    ProcedureStepDef step;
    for (const auto& [key, value] : j.items()) {
        const std::string field = strCat(at, ".", key);
        if (key == "title") {
            MXR_TRY_ASSIGN(step.title, text(src, value, field, kTitleBytes, true));
        } else if (key == "instruction") {
            MXR_TRY_ASSIGN(step.instruction, text(src, value, field, kTextBytes, false));
        } else if (key == "expected_seconds") {
            if (!value.is_null()) {
                MXR_TRY_ASSIGN(const auto s, integer(src, value, field, 1, 86400));
                step.expectedSeconds = static_cast<int>(s);
            }
        } else if (key == "position") {
            MXR_TRY_ASSIGN(const auto p, integer(src, value, field, 1, std::int64_t(kMaxProcedureSteps)));
            step.position = static_cast<int>(p);
        } else if (key == "annotations") {
            if (!value.is_null()) {
                MXR_TRY(annotations(src, value, field, step));
            }
        } else if (key == "procedure_id" || key == "id") {
            return bad(src, field, "is set by the server");
        } else {
            return bad(src, field, "is not a field of a procedure step");
        }
    }
    if (!j.contains("title")) return bad(src, at + ".title", "is required");
    return step;
}

}  // namespace

Result<ProcedureStepDef> newProcedureStep(const std::string& title, const std::string& instruction,
                                          std::optional<int> expectedSeconds) {
    json j{{"title", title}, {"instruction", instruction}};
    if (expectedSeconds) j["expected_seconds"] = *expectedSeconds;
    auto step = parseStep("new step", j, 0);
    if (!step) {
        // "new step: steps[0].title: ..." reads better without the place.
        std::string message = step.error().message;
        if (auto at = message.find("steps[0]."); at != std::string::npos) message.erase(at, 9);
        return makeError(ErrorCode::kInvalidArgument, message);
    }
    return step;
}

Result<ProcedureDef> parseProcedure(const std::string& jsonText, const std::string& source) {
    MXR_TRY_ASSIGN(const json j, parseSceneJson(jsonText, source));
    if (!j.is_object()) return bad(source, "(root)", "expected an object");
    ProcedureDef p;
    p.source = source;
    for (const auto& [key, value] : j.items()) {
        if (key == "title") {
            MXR_TRY_ASSIGN(p.title, text(source, value, key, kTitleBytes, true));
        } else if (key == "description") {
            MXR_TRY_ASSIGN(p.description, text(source, value, key, kTextBytes, false));
        } else if (key == "goal_id") {
            if (!value.is_null()) {
                MXR_TRY_ASSIGN(p.goalId, integer(source, value, key, 1, INT64_MAX));
            }
        } else if (key == "steps") {
            if (!value.is_array()) return bad(source, key, strCat("must be an array of step objects, got ", value.type_name()));
            if (value.empty()) return bad(source, key, "needs at least one step");
            if (value.size() > kMaxProcedureSteps) {
                return bad(source, key, strCat("a procedure has at most ", kMaxProcedureSteps, " steps"));
            }
            for (std::size_t i = 0; i < value.size(); ++i) {
                MXR_TRY_ASSIGN(auto step, parseStep(source, value[i], i));
                p.steps.push_back(std::move(step));
            }
        } else if (key == "mentorship_id") {
            return bad(source, key, "is not in the file: the client takes it from the room's mentorship");
        } else if (key == "id") {
            return bad(source, key, "is set by the server");
        } else {
            return bad(source, key, "is not a field of a procedure");
        }
    }
    if (!j.contains("title")) return bad(source, "title", "is required");
    if (!j.contains("steps")) return bad(source, "steps", "is required");
    return p;
}

Result<ProcedureDef> loadProcedure(const std::string& path) {
    MXR_TRY_ASSIGN(const std::string text, readSceneFile(path, "procedure file", kMaxProcedureFileMiB));
    return parseProcedure(text, path);
}

std::string procedureCreateBody(const ProcedureDef& procedure, std::int64_t mentorshipId) {
    json body = {{"mentorship_id", mentorshipId}, {"title", procedure.title}};
    if (!procedure.description.empty()) body["description"] = procedure.description;
    if (procedure.goalId) body["goal_id"] = *procedure.goalId;
    json steps = json::array();
    for (const auto& s : procedure.steps) {
        json step = {{"title", s.title}};
        if (!s.instruction.empty()) step["instruction"] = s.instruction;
        if (s.expectedSeconds) step["expected_seconds"] = *s.expectedSeconds;
        if (s.position) step["position"] = *s.position;
        if (s.annotationCount) step["annotations"] = json::parse(s.annotationsJson, nullptr, false);
        steps.push_back(std::move(step));
    }
    body["steps"] = std::move(steps);
    return body.dump();
}

namespace {

// A record's id and title (procedures and steps have both); false when
// either is missing.
bool idAndTitle(const json& record, std::int64_t& id, std::string& title) {
    if (!record.is_object() || !record.contains("id") || !record["id"].is_number_integer() ||
        !record.contains("title") || !record["title"].is_string()) {
        return false;
    }
    id = record["id"].get<std::int64_t>();
    title = record["title"].get<std::string>();
    return true;
}

}  // namespace

Result<ProcedureDef> procedureFromServer(const std::string& recordJson, const std::string& stepsJson) {
    const json r = json::parse(recordJson, nullptr, false);
    ProcedureDef p;
    if (!idAndTitle(r, p.serverId, p.title)) {
        return makeError(ErrorCode::kInvalidArgument, "the server's procedure has no id or title");
    }
    if (r.contains("description") && r["description"].is_string()) p.description = r["description"].get<std::string>();
    if (r.contains("goal_id") && r["goal_id"].is_number_integer()) p.goalId = r["goal_id"].get<std::int64_t>();
    json steps = r.contains("steps") ? r["steps"] : json();
    if (!steps.is_array()) {
        const json list = json::parse(stepsJson, nullptr, false);
        if (!list.is_object() || !list.contains("items") || !list["items"].is_array()) {
            return makeError(ErrorCode::kInvalidArgument, "the server's procedure steps are not a list");
        }
        steps = list["items"];
    }
    for (const auto& s : steps) {
        ProcedureStepDef step;
        if (!idAndTitle(s, step.serverId, step.title)) {
            return makeError(ErrorCode::kInvalidArgument, "a step of the server's procedure has no id or title");
        }
        if (s.contains("instruction") && s["instruction"].is_string()) step.instruction = s["instruction"].get<std::string>();
        if (s.contains("expected_seconds") && s["expected_seconds"].is_number_integer()) {
            step.expectedSeconds = s["expected_seconds"].get<int>();
        }
        if (s.contains("position") && s["position"].is_number_integer()) step.position = s["position"].get<int>();
        if (s.contains("annotations") && s["annotations"].is_array()) {
            step.annotationsJson = s["annotations"].dump();
            step.annotationCount = s["annotations"].size();
        }
        p.steps.push_back(std::move(step));
    }
    std::stable_sort(p.steps.begin(), p.steps.end(), [](const ProcedureStepDef& a, const ProcedureStepDef& b) {
        return std::pair(a.position.value_or(0), a.serverId) < std::pair(b.position.value_or(0), b.serverId);
    });
    if (p.steps.empty()) return makeError(ErrorCode::kInvalidArgument, "the server's procedure has no steps");
    return p;
}

std::string describeSeconds(std::int64_t seconds) {
    if (seconds < 0) seconds = 0;
    const std::int64_t h = seconds / 3600, m = seconds % 3600 / 60, s = seconds % 60;
    if (h) return m ? strCat(h, " h ", m, " min") : strCat(h, " h");
    if (m) return s ? strCat(m, " min ", s, " s") : strCat(m, " min");
    return strCat(s, " s");
}

}  // namespace mxr::scenes
