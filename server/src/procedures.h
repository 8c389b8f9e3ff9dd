#pragma once
// Procedures (issue 14, job shadowing): the rules that tie procedures, their
// steps and step completions to the rest of a mentorship, applied by
// Handlers inside the write transaction that changes them.
//
// - A procedure may name one goal, which must belong to its own mentorship.
// - That goal's progress follows the completed steps of every procedure that
//   names it: the share of those steps each mentee of the mentorship has
//   completed, and for a group the mentee furthest behind (a group goal is
//   reached when everyone got there). A goal with no steps is left as it is.
// - Completions record who (the caller) and when (the server's clock).
//
// Private to server/. Errors are ApiErrors (a rule broken is a 400 naming
// the field). Thread: whatever thread runs the transaction.
#include <vector>

#include "access.h"

namespace mxr::server {

// 400 (field goal_id) when the procedure names a goal of another mentorship.
tl::expected<void, ApiError> checkProcedureGoal(ReadTx& tx, const Json& procedure);

// The goals whose progress depends on this procedure, step or completion
// (none for other entities): read before a change and after it, so a goal
// the change unlinked is refreshed too.
tl::expected<std::vector<std::int64_t>, ApiError> goalsFollowing(ReadTx& tx, Entity entity, const Json& record);

// Sets each goal's progress from its procedures' completed steps (an audited
// update by p when it changes).
tl::expected<void, ApiError> refreshGoalProgress(WriteTx& tx, const Principal& p, std::vector<std::int64_t> goalIds);

}  // namespace mxr::server
