#pragma once
// Who may do what to which record (the rules are listed in handlers.h).
// Functions run inside a store transaction so checks and writes see the
// same data. Private to server/.
#include "server/handlers.h"

namespace mxr::server {

ApiError apiError(int status, std::string code, std::string field, std::string message);
ApiError badRequest(std::string field, std::string message);
ApiError notFound(std::string field, std::string message);
ApiError forbidden(std::string message);
// Maps a store error that no handler rule produced to an ApiError.
ApiError fromStoreError(const Error& e);

// A store Result as an API result (store failures become fromStoreError).
template <typename T>
tl::expected<T, ApiError> lift(Result<T> r) {
    if (!r) return tl::unexpected(fromStoreError(r.error()));
    return std::move(*r);
}

// As MXR_TRY_ASSIGN, for functions returning tl::expected<_, ApiError>.
#define API_TRY_ASSIGN(lhs, expr) API_TRY_ASSIGN_IMPL_(MXR_TRY_CAT_(api_tmp_, __LINE__), lhs, expr)
#define API_TRY_ASSIGN_IMPL_(tmp, lhs, expr)                  \
    auto tmp = (expr);                                        \
    if (!tmp) return tl::unexpected(std::move(tmp).error()); \
    lhs = std::move(*tmp)

struct Relation {
    bool member = false;   // mentor or mentee of the mentorship
    bool manager = false;  // program manager of its program
};

// The mentorship a goal, milestone, session or feedback belongs to (the
// mentorship itself for kMentorship); nullopt for people and programs.
tl::expected<std::optional<Json>, ApiError> owningMentorship(ReadTx& tx, Entity entity, const Json& record);
tl::expected<Relation, ApiError> relationTo(ReadTx& tx, const Principal& p, const Json& mentorship);
tl::expected<bool, ApiError> managesProgram(ReadTx& tx, const Principal& p, std::int64_t programId);
tl::expected<bool, ApiError> sharesMentorship(ReadTx& tx, std::int64_t a, std::int64_t b);
// Mentorships where the person is a mentor or mentee, ordered by id.
tl::expected<std::vector<Json>, ApiError> mentorshipsOf(ReadTx& tx, std::int64_t personId);

tl::expected<bool, ApiError> canRead(ReadTx& tx, const Principal& p, Entity entity, const Json& record);
// May p update or delete the record (given that it can read it)?
tl::expected<bool, ApiError> canWrite(ReadTx& tx, const Principal& p, Entity entity, const Json& record);

}  // namespace mxr::server
