// People: creation into a program, profile and password changes, erasure,
// and the first administrator.
#include "handler_helpers.h"

namespace mxr::server {
namespace {

// "password" taken out of a person body: validated, nullopt when absent.
tl::expected<std::optional<std::string>, ApiError> takePassword(Json& body, std::size_t minLength) {
    if (!body.is_object() || !body.contains("password")) return std::optional<std::string>();
    const Json& pw = body["password"];
    if (!pw.is_string() || pw.get_ref<const std::string&>().size() < minLength ||
        pw.get_ref<const std::string&>().size() > kMaxPasswordBytes) {
        return tl::unexpected(badRequest("password", strCat("password must be a string of ", minLength, " to ",
                                                            kMaxPasswordBytes, " bytes")));
    }
    std::optional<std::string> out = pw.get<std::string>();
    body.erase("password");
    return out;
}

}  // namespace

ApiResult Handlers::createPerson(const Principal& p, Json body, const WriteKey& key) {
    if (!p.manager && !p.admin) return tl::unexpected(forbidden("only program managers and administrators create people"));
    auto password = takePassword(body, m_options.minPasswordLength);
    if (!password) return tl::unexpected(password.error());
    // The program the new person joins: required from program managers
    // (they create people into their programs), optional for administrators.
    std::int64_t programId = 0;
    if (body.is_object() && body.contains("program_id")) {
        const Json& v = body["program_id"];
        if (!v.is_number_integer() || v.get<std::int64_t>() <= 0) {
            return tl::unexpected(badRequest("program_id", "program_id must be a positive id"));
        }
        programId = v.get<std::int64_t>();
        body.erase("program_id");
    }
    if (!p.admin && programId == 0) {
        return tl::unexpected(badRequest("program_id", "program_id is required: the person joins one of your programs"));
    }
    auto validated = validateFields(Entity::kPerson, body, true);
    if (!validated) return tl::unexpected(fromFieldError(validated.error()));
    Json fields = std::move(*validated);
    const RelSet who = ruleFor(Entity::kPerson, fields).create;
    const auto rolesRefused = [] {
        return apiError(403, "forbidden", "roles", "only administrators grant the program_manager and administrator roles");
    };
    if (*password) {
        auto hashed = m_hasher.hash(**password);
        if (!hashed) return tl::unexpected(apiError(503, "unavailable", "", hashed.error().message));
        fields["password_hash"] = *hashed;
    }
    return runWrite([&](WriteTx& tx) -> ApiResult {
        std::optional<Json> program;
        if (programId) {
            API_TRY_ASSIGN(program, lift(tx.get(Entity::kProgram, programId)));
            bool visible = false;
            if (program) {
                API_TRY_ASSIGN(visible, canRead(tx, p, Entity::kProgram, *program));
            }
            if (!visible) return tl::unexpected(badRequest("program_id", strCat("program_id: no program with id ", programId)));
            API_TRY_ASSIGN(RelSet rels, relationsTo(tx, p, Entity::kProgram, *program, who | rel::kManager));
            if (!(rels & (rel::kManager | rel::kAdmin))) {
                return tl::unexpected(forbidden("only the program's managers add people to it"));
            }
            if (!(rels & who)) return tl::unexpected(rolesRefused());
        } else if (!(who & rel::kAdmin)) {
            return tl::unexpected(rolesRefused());
        }
        auto id = tx.insert(Entity::kPerson, fields);
        if (!id && id.error().code == ErrorCode::kConflict) {
            return tl::unexpected(apiError(409, "conflict", "email", "email is already used by another person"));
        }
        if (!id) return tl::unexpected(fromStoreError(id.error()));
        if (program) {
            Json members = (*program)["members"];
            members.push_back(*id);
            auto joined = tx.update(Entity::kProgram, programId, Json{{"members", members}});
            if (!joined) return tl::unexpected(fromStoreError(joined.error()));
            auto audited = auditedRecord(tx, p, "update", Entity::kProgram, programId, {"members"});
            if (!audited) return audited;
        }
        auto names = fieldNames(fields);
        if (*password) names.push_back("password");
        return auditedRecord(tx, p, "create", Entity::kPerson, *id, std::move(names));
    }, &p, &key);
}

ApiResult Handlers::updatePerson(const Principal& p, std::int64_t id, Json body, const WriteKey& key) {
    auto password = takePassword(body, m_options.minPasswordLength);
    if (!password) return tl::unexpected(password.error());
    auto validated = validateFields(Entity::kPerson, body, false);
    if (!validated) return tl::unexpected(fromFieldError(validated.error()));
    Json patch = std::move(*validated);
    if (patch.empty() && !*password) return tl::unexpected(badRequest("", "the body sets no fields"));
    // What the rules look at: the fields, and "password" when one is set.
    Json asked = patch;
    if (*password) asked["password"] = true;
    auto check = [&](ReadTx& tx) -> ApiResult {
        API_TRY_ASSIGN(auto rec, lift(tx.get(Entity::kPerson, id)));
        if (!rec) return tl::unexpected(notFound("", strCat("no person with id ", id)));
        bool readable = false;
        API_TRY_ASSIGN(readable, canRead(tx, p, Entity::kPerson, *rec));
        if (!readable) return tl::unexpected(notFound("", strCat("no person with id ", id)));
        API_TRY_ASSIGN(bool ok, canUpdate(tx, p, Entity::kPerson, *rec));
        if (!ok) {
            return tl::unexpected(forbidden(strCat("you may read but not change this person",
                                                   ruleFor(Entity::kPerson, *rec).variant == "manager"
                                                       ? " (another manager's account is theirs and the administrators')"
                                                       : "")));
        }
        API_TRY_ASSIGN(const FieldGuard* g, trippedGuard(tx, p, Entity::kPerson, *rec, asked));
        if (g) return tl::unexpected(apiError(403, "forbidden", std::string(g->field),
                                              std::string(ruleFor(Entity::kPerson, *rec).why)));
        if (!(*rec)["erased_at"].is_null()) return tl::unexpected(conflict("this person was erased"));
        return *rec;
    };
    if (*password) {
        // Refuse before paying for a hash that would not be used.
        if (auto allowed = runRead(check); !allowed) return allowed;
        auto hashed = m_hasher.hash(**password);
        if (!hashed) return tl::unexpected(apiError(503, "unavailable", "", hashed.error().message));
        patch["password_hash"] = *hashed;
    }
    const PeopleChange change{*this};  // whatever the outcome
    // What the person's room connections are told when their login no longer
    // holds (a password or role change makes every login's generation stale).
    const char* signOut = nullptr;
    auto result = runWrite([&](WriteTx& tx) -> ApiResult {
        auto allowed = check(tx);
        if (!allowed) return allowed;
        if (*password) {
            signOut = "your password was changed; log in again";
        } else if (patch.contains("roles") && patch["roles"] != (*allowed)["roles"]) {
            signOut = "your roles were changed; join again";
        }
        if (signOut) {
            if (auto bumped = tx.bumpCredentialGeneration(id); !bumped) {
                return tl::unexpected(fromStoreError(bumped.error()));
            }
        }
        if (!patch.empty()) {
            auto updated = tx.update(Entity::kPerson, id, patch);
            if (!updated && updated.error().code == ErrorCode::kConflict) {
                return tl::unexpected(apiError(409, "conflict", "email", "email is already used by another person"));
            }
            if (!updated) return tl::unexpected(fromStoreError(updated.error()));
        }
        if (*password) {
            // A password change ends every other session of the person: the
            // one that changed it stays when it is theirs.
            auto revoked = p.personId == id && !p.tokenHash.empty() ? tx.deleteOtherTokens(id, p.tokenHash)
                                                                     : tx.deleteTokens(id);
            if (!revoked) return tl::unexpected(fromStoreError(revoked.error()));
        }
        auto names = fieldNames(patch);
        if (*password) names.push_back("password");
        return auditedRecord(tx, p, "update", Entity::kPerson, id, std::move(names));
    }, &p, &key);
    if (result && signOut) credentialsChanged(id, signOut);
    return result;
}

ApiResult Handlers::erasePerson(const Principal& p, std::int64_t id, const WriteKey& key) {
    const PeopleChange change{*this};
    auto erased = runWrite([&](WriteTx& tx) -> ApiResult {
        API_TRY_ASSIGN(auto rec, lift(tx.get(Entity::kPerson, id)));
        if (!rec) return tl::unexpected(notFound("", strCat("no person with id ", id)));
        API_TRY_ASSIGN(bool readable, canRead(tx, p, Entity::kPerson, *rec));
        if (!readable) return tl::unexpected(notFound("", strCat("no person with id ", id)));
        API_TRY_ASSIGN(bool ok, canRemove(tx, p, Entity::kPerson, *rec));
        if (!ok) return tl::unexpected(forbidden("only the person, the managers of their programs (for mentors and "
                                                 "mentees) and administrators erase a person"));
        if (!(*rec)["erased_at"].is_null()) return Json{{"id", id}, {"erased", true}};
        // Personal data goes; the id, roles and memberships stay so that
        // program statistics (sessions held, ratings) remain true.
        Json blank = Json::object();
        for (const auto& f : spec(Entity::kPerson).fields) {
            if (f.personalData) blank[std::string(f.name)] = nullptr;
        }
        blank["erased_at"] = formatTimestamp(m_clock.nowUnix());
        if (auto feed = tx.deleteCalendarFeed(id); !feed) return tl::unexpected(fromStoreError(feed.error()));
        for (auto step : {tx.update(Entity::kPerson, id, blank), tx.deleteTokens(id), tx.bumpCredentialGeneration(id),
                          tx.eraseAuthoredText(id),
                          tx.appendAudit(AuditEvent{0, 0, p.personId, "erase", "person", id, {}})}) {
            if (!step) return tl::unexpected(fromStoreError(step.error()));
        }
        return Json{{"id", id}, {"erased", true}};
    }, &p, &key);
    // Out of the WAL too: what the erasure overwrote is still in the log's
    // older frames until it is checkpointed into the (secure_delete) file.
    if (erased) {
        if (auto c = m_store.checkpoint(); !c) m_log.warn(strCat("after erasing person ", id, ": ", c.error().message));
        credentialsChanged(id, "your account was erased");
    }
    return erased;
}

Result<std::optional<std::string>> Handlers::bootstrapAdmin(const std::string& emailColonPassword) {
    auto admins = m_store.read([](ReadTx& tx) -> Result<Json> {
        MXR_TRY_ASSIGN(auto n, tx.countAdministrators());
        return Json(n);
    });
    if (!admins) return tl::unexpected(admins.error());
    if (admins->get<std::int64_t>() > 0) return std::optional<std::string>();
    std::string email = "admin@localhost", password;
    std::optional<std::string> generated;
    if (!emailColonPassword.empty()) {
        const auto colon = emailColonPassword.find(':');
        if (colon == std::string::npos) return makeError(ErrorCode::kInvalidArgument, "--init-admin wants EMAIL:PASSWORD");
        email = emailColonPassword.substr(0, colon);
        password = emailColonPassword.substr(colon + 1);
        if (password.size() < m_options.minPasswordLength) {
            return makeError(ErrorCode::kInvalidArgument,
                             strCat("--init-admin: the password needs at least ", m_options.minPasswordLength, " bytes"));
        }
    } else {
        password = newPassword();
        generated = password;
    }
    // The first administrator also manages programs, so one account can set
    // up an organisation's first program.
    auto fields = validateFields(
        Entity::kPerson,
        Json{{"name", "Administrator"}, {"email", email}, {"roles", {"administrator", "program_manager"}}}, true);
    if (!fields) return makeError(ErrorCode::kInvalidArgument, strCat("--init-admin: ", fields.error().field, " ",
                                                                      fields.error().message));
    MXR_TRY_ASSIGN(auto hash, m_hasher.hash(password));
    (*fields)["password_hash"] = hash;
    MXR_TRY(m_store.write([&](WriteTx& tx) -> Result<Json> {
        MXR_TRY_ASSIGN(auto id, tx.insert(Entity::kPerson, *fields));
        MXR_TRY(tx.appendAudit(AuditEvent{0, 0, 0, "bootstrap", "person", id, {"name", "email", "roles", "password"}}));
        return Json(id);
    }));
    m_log.info(strCat("created the first administrator ", email));
    return generated ? generated : std::optional<std::string>("");
}

}  // namespace mxr::server
