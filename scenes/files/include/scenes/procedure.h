#pragma once
// Job-shadowing procedures (issue 14): an ordered list of steps the mentee
// follows at the workspace. The file format is the session server's
// `POST /procedures` body (server/README.md, "Procedures"), so a file a
// mentor loads is what the client saves, with `mentorship_id` added from
// the room:
//
//   {"title": "...", "description": "...", "goal_id": 3,
//    "steps": [{"title": "...", "instruction": "...", "expected_seconds": 60,
//               "annotations": [{"kind": "arrow", ...}]}]}
//
// The checks mirror the server's (server/src/schema.cpp): title 1-200 bytes
// on one line, description and instruction up to 4000, goal_id a positive
// id or null, 1-500 steps (the server allows none; a file without steps
// has nothing to show), expected_seconds 1-86400, position 1-500, at most
// 200 annotations per step, each an object whose `kind` is one of arrow,
// label, box, sphere, ink, marker, at most 64 KiB as JSON. The rest of each
// annotation is the AR client's, in workspace coordinates. Unknown fields
// and fields the server sets (mentorship_id, procedure_id, id) are errors.
//
// Errors (kInvalidArgument) name the file, the field by its place and the
// problem: "bench.json: steps[1].title: is required"; a syntax error names
// the line and column; an unreadable file is kNotFound.
// Thread: any (pure functions).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/result.h"

namespace mxr::scenes {

inline constexpr std::size_t kMaxProcedureSteps = 500;
inline constexpr std::size_t kMaxStepAnnotations = 200;
inline constexpr std::size_t kMaxStepAnnotationBytes = 65536;  // a step's annotations as JSON
// A procedure file's bound: 500 steps of the longest instruction and
// annotations fit (about 34 MiB).
inline constexpr std::size_t kMaxProcedureFileMiB = 64;

struct ProcedureStepDef {
    std::string title;
    std::string instruction;
    std::optional<int> expectedSeconds;
    std::optional<int> position;  // as given; the server defaults it to the step's place
    std::string annotationsJson = "[]";  // the step's annotations, a JSON array as read
    std::size_t annotationCount = 0;
    std::int64_t serverId = 0;  // the procedure_step record, once saved or loaded (0: none)
};

struct ProcedureDef {
    std::string title;
    std::string description;
    std::optional<std::int64_t> goalId;
    std::vector<ProcedureStepDef> steps;
    std::int64_t serverId = 0;  // the procedure record, once saved or loaded (0: none)
    std::string source;         // the file it came from ("" when from the server)
};

Result<ProcedureDef> parseProcedure(const std::string& jsonText, const std::string& source);
// A step written in the session (the step card's "Add step"), checked as a
// file's step is; errors say "new step: title: may not be empty".
Result<ProcedureStepDef> newProcedureStep(const std::string& title, const std::string& instruction,
                                          std::optional<int> expectedSeconds);
Result<ProcedureDef> loadProcedure(const std::string& path);

// The `POST /procedures` body for `mentorshipId`: the file's fields with
// the mentorship added (goal_id only when set).
std::string procedureCreateBody(const ProcedureDef& procedure, std::int64_t mentorshipId);

// A procedure as the server answers it: the record (`GET /procedures/{id}`,
// or the `POST` answer with `steps`) and, when the record has no `steps`,
// the list of `GET /procedure_steps?procedure_id=` items. Steps are ordered
// by position, then id. Errors name what is missing.
Result<ProcedureDef> procedureFromServer(const std::string& recordJson, const std::string& stepsJson = "");

// "1 min 30 s", "45 s", "2 h 5 min": durations on the card.
std::string describeSeconds(std::int64_t seconds);

}  // namespace mxr::scenes
