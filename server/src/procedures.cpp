#include "procedures.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "handler_helpers.h"

namespace mxr::server {
namespace {

std::int64_t idIn(const Json& record, const char* field) {
    return record.contains(field) && record[field].is_number_integer() ? record[field].get<std::int64_t>() : 0;
}

}  // namespace

tl::expected<void, ApiError> checkProcedureGoal(ReadTx& tx, const Json& procedure) {
    const std::int64_t goalId = idIn(procedure, "goal_id");
    if (!goalId) return {};
    API_TRY_ASSIGN(auto goal, lift(tx.get(Entity::kGoal, goalId)));
    if (!goal || idIn(*goal, "mentorship_id") != idIn(procedure, "mentorship_id")) {
        return tl::unexpected(badRequest("goal_id", strCat("goal_id: goal ", goalId,
                                                          " is not a goal of the procedure's mentorship")));
    }
    return {};
}

tl::expected<std::vector<std::int64_t>, ApiError> goalsFollowing(ReadTx& tx, Entity entity, const Json& record) {
    std::optional<Json> procedure;
    switch (entity) {
        case Entity::kProcedure: procedure = record; break;
        case Entity::kProcedureStep: {
            API_TRY_ASSIGN(procedure, lift(tx.get(Entity::kProcedure, idIn(record, "procedure_id"))));
            break;
        }
        case Entity::kStepCompletion: {
            API_TRY_ASSIGN(auto step, lift(tx.get(Entity::kProcedureStep, idIn(record, "step_id"))));
            if (step) {
                API_TRY_ASSIGN(procedure, lift(tx.get(Entity::kProcedure, idIn(*step, "procedure_id"))));
            }
            break;
        }
        default: break;
    }
    if (!procedure || !idIn(*procedure, "goal_id")) return std::vector<std::int64_t>{};
    return std::vector<std::int64_t>{idIn(*procedure, "goal_id")};
}

tl::expected<void, ApiError> refreshGoalProgress(WriteTx& tx, const Principal& p, std::vector<std::int64_t> goalIds) {
    std::sort(goalIds.begin(), goalIds.end());
    goalIds.erase(std::unique(goalIds.begin(), goalIds.end()), goalIds.end());
    for (const std::int64_t goalId : goalIds) {
        API_TRY_ASSIGN(auto goal, lift(tx.get(Entity::kGoal, goalId)));
        if (!goal) continue;
        API_TRY_ASSIGN(auto mentorship, lift(tx.get(Entity::kMentorship, idIn(*goal, "mentorship_id"))));
        if (!mentorship) continue;
        // Steps of every procedure that names the goal, and who completed each.
        std::size_t steps = 0;
        std::map<std::int64_t, std::set<std::int64_t>> doneBy;  // person -> steps completed
        API_TRY_ASSIGN(auto procedures, listAll(tx, Entity::kProcedure, "goal_id", goalId));
        for (const auto& proc : procedures) {
            API_TRY_ASSIGN(auto stepRows, listAll(tx, Entity::kProcedureStep, "procedure_id", idOf(proc)));
            steps += stepRows.size();
            for (const auto& step : stepRows) {
                API_TRY_ASSIGN(auto completions, listAll(tx, Entity::kStepCompletion, "step_id", idOf(step)));
                for (const auto& c : completions) doneBy[idIn(c, "person_id")].insert(idOf(step));
            }
        }
        const Json& mentees = (*mentorship)["mentees"];
        if (steps == 0 || !mentees.is_array() || mentees.empty()) continue;
        std::size_t least = steps;
        for (const auto& m : mentees) {
            const auto it = doneBy.find(m.get<std::int64_t>());
            least = std::min(least, it == doneBy.end() ? std::size_t{0} : it->second.size());
        }
        const auto progress = static_cast<std::int64_t>(std::lround(100.0 * double(least) / double(steps)));
        if (idIn(*goal, "progress") == progress) continue;
        auto updated = tx.update(Entity::kGoal, goalId, Json{{"progress", progress}});
        if (!updated) return tl::unexpected(fromStoreError(updated.error()));
        API_TRY_ASSIGN(auto audited, auditedRecord(tx, p, "update", Entity::kGoal, goalId, {"progress"}));
        (void)audited;
    }
    return {};
}

}  // namespace mxr::server
