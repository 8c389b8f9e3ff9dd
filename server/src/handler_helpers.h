#pragma once
// Helpers shared by the handler sources (handlers.cpp, handlers_people.cpp,
// reports.cpp). Private to server/.
#include "access.h"

namespace mxr::server {

inline constexpr std::size_t kMaxPasswordBytes = 1024;

inline std::int64_t idOf(const Json& record) { return record["id"].get<std::int64_t>(); }

// The names of the fields written (never their values), for the audit log.
std::vector<std::string> fieldNames(const Json& fields);

// Audits `action` by `p` on the record (with the program it belongs to),
// then answers the record as it now stands (what create and update return).
ApiResult auditedRecord(WriteTx& tx, const Principal& p, const char* action, Entity entity, std::int64_t id,
                        std::vector<std::string> fields);
// The same for a record the caller already holds as it now stands, in the
// given program (0: none): no read.
ApiResult audited(WriteTx& tx, const Principal& p, const char* action, Entity entity, Json record,
                  std::vector<std::string> fields, std::int64_t programId);

ApiError fromFieldError(const FieldError& e);

// The record `p` is about to change (patch) or delete (patch null): 404
// when it is absent or not theirs to read (as if absent), 403 when they may
// read but not change it, or the patch sets a field that needs more.
ApiResult changeableRecord(WriteTx& tx, const Principal& p, Entity entity, std::int64_t id, const Json* patch);

// Records p as the last writer of the authored free-text fields set.
tl::expected<void, ApiError> trackAuthors(WriteTx& tx, const Principal& p, Entity entity, std::int64_t id,
                                          const Json& fields);

// Every id a record refers to must name an existing record the caller may
// read (people must not be erased). Unknown and invisible records get the
// same answer, so ids cannot be probed.
tl::expected<void, ApiError> checkReferences(ReadTx& tx, const Principal& p, Entity entity, const Json& fields);

// Every record of entity whose ListQuery field equals value (all pages).
tl::expected<std::vector<Json>, ApiError> listAll(ReadTx& tx, Entity entity, const std::string& field,
                                                  std::int64_t value);

// credentialGeneration: the store's, read in the same transaction.
Principal principalFromPerson(const Json& person, std::int64_t credentialGeneration);

// A positive decimal id of at most 18 digits (path segments, ENet
// subjects, mentorship room names), or nullopt.
std::optional<std::int64_t> parsePositive(std::string_view s);

// A non-negative integer query parameter; nullopt when absent; sets err
// when malformed.
std::optional<std::int64_t> parseId(const Params& params, const std::string& name, ApiError& err);

}  // namespace mxr::server
