#include "server/handlers.h"

#include <algorithm>

#include "access.h"

namespace mxr::server {
namespace {

constexpr std::size_t kMaxPasswordBytes = 1024;

std::int64_t idOf(const Json& record) { return record["id"].get<std::int64_t>(); }

std::vector<std::string> fieldNames(const Json& fields) {
    std::vector<std::string> out;
    for (const auto& [k, v] : fields.items()) {
        if (k != "password_hash") out.push_back(k);
    }
    return out;
}

// Audits `action` by `p` on the record, then answers the record as it now
// stands (what create and update return).
ApiResult auditedRecord(WriteTx& tx, const Principal& p, const char* action, Entity entity, std::int64_t id,
                        std::vector<std::string> fields) {
    auto audited =
        tx.appendAudit(AuditEvent{0, 0, p.personId, action, std::string(spec(entity).name), id, std::move(fields)});
    if (!audited) return tl::unexpected(fromStoreError(audited.error()));
    API_TRY_ASSIGN(auto rec, lift(tx.get(entity, id)));
    return *rec;
}

// The record `p` is about to change or delete: 404 when it is absent or not
// theirs to read (as if absent), 403 when they may read but not `verb` it.
ApiResult changeableRecord(WriteTx& tx, const Principal& p, Entity entity, std::int64_t id, const char* verb) {
    API_TRY_ASSIGN(auto rec, lift(tx.get(entity, id)));
    const auto missing = notFound("", strCat("no ", spec(entity).name, " with id ", id));
    if (!rec) return tl::unexpected(missing);
    API_TRY_ASSIGN(bool readable, canRead(tx, p, entity, *rec));
    if (!readable) return tl::unexpected(missing);
    API_TRY_ASSIGN(bool writable, canWrite(tx, p, entity, *rec));
    if (!writable) return tl::unexpected(forbidden(strCat("you may read but not ", verb, " this ", spec(entity).name)));
    return *rec;
}

ApiError fromFieldError(const FieldError& e) {
    return badRequest(e.field, e.field.empty() ? e.message : strCat(e.field, " ", e.message));
}

// Every id a record refers to must name an existing record (and people must
// not be erased). Unknown and invisible parents get the same answer.
tl::expected<void, ApiError> checkReferences(ReadTx& tx, Entity entity, const Json& fields) {
    for (const auto& f : spec(entity).fields) {
        if (!fields.contains(f.name) || fields[std::string(f.name)].is_null()) continue;
        if (f.type != FieldType::kRef && f.type != FieldType::kIdList) continue;
        const Json& v = fields[std::string(f.name)];
        const Json ids = f.type == FieldType::kRef ? Json::array({v}) : v;
        for (const auto& id : ids) {
            API_TRY_ASSIGN(auto rec, lift(tx.get(f.ref, id.get<std::int64_t>())));
            if (!rec || (f.ref == Entity::kPerson && !(*rec)["erased_at"].is_null())) {
                return tl::unexpected(badRequest(std::string(f.name),
                                                 strCat(f.name, ": no ", spec(f.ref).name, " with id ", id.dump())));
            }
        }
    }
    return {};
}

bool isMemberOf(const Json& mentorship, std::int64_t personId) {
    for (const char* k : {"mentors", "mentees"}) {
        for (const auto& v : mentorship[k]) {
            if (v.get<std::int64_t>() == personId) return true;
        }
    }
    return false;
}

// Rules that tie a record to its mentorship: attendees and feedback
// subjects must be its members.
tl::expected<void, ApiError> checkMembership(Entity entity, const Json& record, const Json& mentorship) {
    if (entity == Entity::kSession && record.contains("attendees")) {
        for (const auto& a : record["attendees"]) {
            if (!isMemberOf(mentorship, a.get<std::int64_t>())) {
                return tl::unexpected(badRequest("attendees", strCat("attendees: person ", a.dump(),
                                                                     " is not a member of the mentorship")));
            }
        }
    }
    if (entity == Entity::kFeedback && !isMemberOf(mentorship, record["subject_id"].get<std::int64_t>())) {
        return tl::unexpected(badRequest("subject_id", "subject_id: the subject is not a member of the mentorship"));
    }
    return {};
}

std::optional<std::int64_t> parseId(const Params& params, const std::string& name, ApiError& err) {
    auto it = params.find(name);
    if (it == params.end()) return std::nullopt;
    std::int64_t v = 0;
    const auto& s = it->second;
    if (s.empty() || s.size() > 18 || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        err = badRequest(name, strCat(name, " must be a non-negative integer"));
        return std::nullopt;
    }
    v = std::stoll(s);
    return v;
}

}  // namespace

Handlers::Handlers(Store& store, PasswordHasher& hasher, LoginLimiter& limiter, const WallClock& clock,
                   HandlerOptions options, Logger logger)
    : m_store(store), m_hasher(hasher), m_limiter(limiter), m_clock(clock), m_options(options), m_log(std::move(logger)) {}

// Runs fn in a store transaction: an ApiError from fn rolls the transaction
// back and is returned as it is; a store failure is logged and mapped.
template <typename Tx, typename Run>
static ApiResult runTransaction(const Logger& log, const char* kind, Run&& run,
                                const std::function<ApiResult(Tx&)>& fn) {
    std::optional<ApiError> failure;
    auto r = run([&](Tx& tx) -> Result<Json> {
        auto a = fn(tx);
        if (!a) {
            failure = a.error();
            return makeError(ErrorCode::kInvalidArgument, a.error().message);
        }
        return std::move(*a);
    });
    if (r) return std::move(*r);
    if (failure) return tl::unexpected(*failure);
    log.error(strCat(kind, " failed: ", r.error().describe()));
    return tl::unexpected(fromStoreError(r.error()));
}

ApiResult Handlers::runWrite(const std::function<ApiResult(WriteTx&)>& fn) {
    return runTransaction<WriteTx>(m_log, "write", [&](auto&& body) { return m_store.write(body); }, fn);
}

ApiResult Handlers::runRead(const std::function<ApiResult(ReadTx&)>& fn) {
    return runTransaction<ReadTx>(m_log, "read", [&](auto&& body) { return m_store.read(body); }, fn);
}

ApiResult Handlers::health() {
    // A primary-key lookup proves the database answers without scanning.
    return runRead([](ReadTx& tx) -> ApiResult {
        API_TRY_ASSIGN(auto none, lift(tx.get(Entity::kProgram, 0)));
        (void)none;
        return Json{{"status", "ok"}};
    });
}

namespace {
Principal principalFromPerson(const Json& person, std::int64_t credentialGeneration) {
    Principal p;
    p.personId = person["id"].get<std::int64_t>();
    p.credentialGeneration = credentialGeneration;
    if (person.contains("name") && person["name"].is_string()) p.name = person["name"].get<std::string>();
    for (const auto& role : person["roles"]) {
        p.mentor = p.mentor || role == "mentor";
        p.mentee = p.mentee || role == "mentee";
        p.manager = p.manager || role == "program_manager";
    }
    return p;
}
}  // namespace

tl::expected<Principal, ApiError> Handlers::verifyPassword(std::string_view emailIn, std::string_view password,
                                                           const std::string& address) {
    if (emailIn.size() > 254) return tl::unexpected(badRequest("email", "email is longer than 254 bytes"));
    if (password.size() > kMaxPasswordBytes) {
        return tl::unexpected(badRequest("password", strCat("password is longer than ", kMaxPasswordBytes, " bytes")));
    }
    std::string email(emailIn);
    for (auto& c : email) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (const auto wait = m_limiter.blockedFor(email, address); wait > 0) {
        ApiError e = apiError(429, "rate_limited", "", "too many failed logins; try again later");
        e.retryAfter = wait;
        return tl::unexpected(e);
    }
    auto creds = m_store.read([&](ReadTx& tx) -> Result<Json> {
        MXR_TRY_ASSIGN(auto c, tx.credentials(email));
        if (!c) return Json();
        MXR_TRY_ASSIGN(auto person, tx.get(Entity::kPerson, c->personId));
        MXR_TRY_ASSIGN(auto generation, tx.credentialGeneration(c->personId));
        return Json{{"hash", c->passwordHash}, {"person", person ? *person : Json()}, {"generation", generation}};
    });
    if (!creds) return tl::unexpected(fromStoreError(creds.error()));
    const bool ok = creds->is_null() ? (m_hasher.verifyDummy(password), false)
                                     : m_hasher.verify((*creds)["hash"].get<std::string>(), password);
    if (!ok || (*creds)["person"].is_null()) {
        m_limiter.recordFailure(email, address);
        return tl::unexpected(apiError(401, "unauthenticated", "", "email or password is wrong"));
    }
    m_limiter.recordSuccess(email);
    return principalFromPerson((*creds)["person"], (*creds)["generation"].get<std::int64_t>());
}

ApiResult Handlers::login(const Json& body, const std::string& address) {
    if (!body.is_object()) return tl::unexpected(badRequest("", "the body must be a JSON object"));
    for (const char* k : {"email", "password"}) {
        if (!body.contains(k) || !body[k].is_string()) {
            return tl::unexpected(badRequest(k, strCat(k, " is required and must be a string")));
        }
    }
    auto who = verifyPassword(body["email"].get_ref<const std::string&>(),
                              body["password"].get_ref<const std::string&>(), address);
    if (!who) return tl::unexpected(who.error());
    const std::string token = newToken();
    const std::int64_t personId = who->personId;
    const std::int64_t expires = m_clock.nowUnix() + m_options.tokenTtlSeconds;
    return runWrite([&](WriteTx& tx) -> ApiResult {
        auto put = tx.putToken(tokenHash(token), TokenRecord{personId, expires});
        if (!put) return tl::unexpected(fromStoreError(put.error()));
        return Json{{"token", token}, {"expires_at", formatTimestamp(expires)}, {"person_id", personId}};
    });
}

tl::expected<Principal, ApiError> Handlers::principalOf(std::int64_t personId) {
    std::int64_t generation = 0;
    auto r = runRead([&](ReadTx& tx) -> ApiResult {
        API_TRY_ASSIGN(auto person, lift(tx.get(Entity::kPerson, personId)));
        if (!person || !(*person)["erased_at"].is_null()) return Json();
        API_TRY_ASSIGN(generation, lift(tx.credentialGeneration(personId)));
        return *person;
    });
    if (!r) return tl::unexpected(r.error());
    if (r->is_null()) return tl::unexpected(apiError(401, "unauthenticated", "", "the account no longer exists"));
    return principalFromPerson(*r, generation);
}

void Handlers::credentialsChanged(std::int64_t personId, std::string_view reason) {
    if (auto* listener = m_credentialsListener.load()) listener->credentialsChanged(personId, reason);
}

tl::expected<Principal, ApiError> Handlers::authenticate(std::string_view authorization) {
    constexpr std::string_view kBearer = "Bearer ";
    auto unauth = [](std::string m) { return tl::unexpected(apiError(401, "unauthenticated", "", std::move(m))); };
    if (authorization.substr(0, kBearer.size()) != kBearer) return unauth("missing Authorization: Bearer <token>");
    const std::string_view token = authorization.substr(kBearer.size());
    if (token.size() != 64) return unauth("the token is malformed");
    const std::string hash = tokenHash(token);
    const std::int64_t now = m_clock.nowUnix();
    // Sampled before reading: a person changed while we read makes the entry
    // stale at once (the writer bumps the generation after it commits).
    const std::uint64_t generation = m_peopleGeneration.load();
    {
        std::lock_guard lock(m_tokenCacheMutex);
        auto it = m_tokenCache.find(hash);
        if (it != m_tokenCache.end()) {
            if (it->second.generation == generation && it->second.expiresAt > now) return it->second.principal;
            m_tokenCache.erase(it);
        }
    }
    std::int64_t expiresAt = 0;
    std::int64_t credentialGeneration = 0;
    auto r = runRead([&](ReadTx& tx) -> ApiResult {
        API_TRY_ASSIGN(auto t, lift(tx.token(hash)));
        if (!t || t->expiresAt <= now) return Json();
        API_TRY_ASSIGN(auto person, lift(tx.get(Entity::kPerson, t->personId)));
        if (!person || !(*person)["erased_at"].is_null()) return Json();
        API_TRY_ASSIGN(credentialGeneration, lift(tx.credentialGeneration(t->personId)));
        expiresAt = t->expiresAt;
        return *person;
    });
    if (!r) return tl::unexpected(r.error());
    if (r->is_null()) return unauth("the token is unknown or expired; log in again");
    Principal principal = principalFromPerson(*r, credentialGeneration);
    std::lock_guard lock(m_tokenCacheMutex);
    if (m_tokenCache.size() >= kTokenCacheEntries) m_tokenCache.clear();
    m_tokenCache[hash] = CachedPrincipal{principal, expiresAt, generation};
    return principal;
}

ApiResult Handlers::create(const Principal& p, Entity entity, const Json& body) {
    if (entity == Entity::kPerson) return createPerson(p, body);
    auto validated = validateFields(entity, body, true);
    if (!validated) return tl::unexpected(fromFieldError(validated.error()));
    Json fields = std::move(*validated);
    if (entity == Entity::kFeedback) fields["author_id"] = p.personId;
    if (entity == Entity::kProgram) {
        if (!p.manager) return tl::unexpected(forbidden("only program managers create programs"));
        if (!fields.contains("managers")) fields["managers"] = Json::array();
        if (!isMemberOf(Json{{"mentors", fields["managers"]}, {"mentees", Json::array()}}, p.personId)) {
            fields["managers"].push_back(p.personId);
        }
    }
    if (auto inv = checkInvariants(entity, fields)) return tl::unexpected(fromFieldError(*inv));
    const std::string_view parentField = entity == Entity::kMentorship  ? "program_id"
                                         : entity == Entity::kMilestone ? "goal_id"
                                         : entity == Entity::kFeedback  ? "session_id"
                                                                        : "mentorship_id";
    // The parent of a goal, milestone, session or feedback is checked by the
    // walk up to its mentorship below; checking it here too would read the
    // same rows twice inside the single writer.
    Json otherRefs = fields;
    if (entity != Entity::kProgram && entity != Entity::kMentorship) otherRefs.erase(std::string(parentField));
    return runWrite([&](WriteTx& tx) -> ApiResult {
        if (auto refs = checkReferences(tx, entity, otherRefs); !refs) return tl::unexpected(refs.error());
        if (entity == Entity::kMentorship) {
            API_TRY_ASSIGN(bool manages, managesProgram(tx, p, fields["program_id"].get<std::int64_t>()));
            if (!manages) return tl::unexpected(forbidden("only the program's managers create its mentorships"));
        } else if (entity != Entity::kProgram) {
            Json probe = fields;
            probe["id"] = 0;
            API_TRY_ASSIGN(auto m, owningMentorship(tx, entity, probe));
            const auto noParent = [&] {
                return badRequest(std::string(parentField),
                                  strCat(parentField, ": no ", parentField.substr(0, parentField.size() - 3),
                                         " with id ", fields[std::string(parentField)].dump()));
            };
            if (!m) return tl::unexpected(noParent());
            API_TRY_ASSIGN(auto rel, relationTo(tx, p, *m));
            // A parent the caller may not see is reported exactly like a missing one.
            if (!rel.member && !rel.manager) return tl::unexpected(noParent());
            if (!rel.member) {
                return tl::unexpected(forbidden(strCat("only the mentorship's mentors and mentees create ",
                                                       spec(entity).plural)));
            }
            if (auto mem = checkMembership(entity, fields, *m); !mem) return tl::unexpected(mem.error());
        }
        API_TRY_ASSIGN(auto id, lift(tx.insert(entity, fields)));
        return auditedRecord(tx, p, "create", entity, id, fieldNames(fields));
    });
}

ApiResult Handlers::get(const Principal& p, Entity entity, std::int64_t id) {
    return runRead([&](ReadTx& tx) -> ApiResult {
        API_TRY_ASSIGN(auto rec, lift(tx.get(entity, id)));
        if (!rec) return tl::unexpected(notFound("", strCat("no ", spec(entity).name, " with id ", id)));
        API_TRY_ASSIGN(bool ok, canRead(tx, p, entity, *rec));
        if (!ok) return tl::unexpected(notFound("", strCat("no ", spec(entity).name, " with id ", id)));
        return *rec;
    });
}

ApiResult Handlers::list(const Principal& p, Entity entity, const Params& params) {
    ApiError err;
    err.status = 0;
    const auto after = parseId(params, "after", err);
    const auto limitParam = parseId(params, "limit", err);
    if (err.status) return tl::unexpected(err);
    if (limitParam && (*limitParam < 1 || *limitParam > 1000)) {
        return tl::unexpected(badRequest("limit", "limit must be between 1 and 1000"));
    }
    const int limit = limitParam ? static_cast<int>(*limitParam) : 100;
    const std::int64_t afterId = after.value_or(0);
    std::string parentParam;
    switch (entity) {
        case Entity::kGoal:
        case Entity::kSession: parentParam = "mentorship_id"; break;
        case Entity::kMilestone: parentParam = "goal_id"; break;
        case Entity::kFeedback: parentParam = "session_id"; break;
        case Entity::kMentorship: parentParam = params.count("program_id") ? "program_id" : ""; break;
        default: break;
    }
    std::optional<std::int64_t> parentId;
    if (!parentParam.empty()) {
        parentId = parseId(params, parentParam, err);
        if (err.status) return tl::unexpected(err);
        if (!parentId) return tl::unexpected(badRequest(parentParam, strCat(parentParam, " is required to list ",
                                                                            spec(entity).plural)));
    }
    return runRead([&](ReadTx& tx) -> ApiResult {
        std::vector<Json> rows;
        auto page = [&](std::vector<Json> all) {
            std::vector<Json> out;
            for (auto& r : all) {
                if (idOf(r) > afterId && static_cast<int>(out.size()) < limit) out.push_back(std::move(r));
            }
            return out;
        };
        if (parentId) {
            const Entity parent = entity == Entity::kMentorship ? Entity::kProgram
                                  : entity == Entity::kMilestone ? Entity::kGoal
                                  : entity == Entity::kFeedback  ? Entity::kSession
                                                                 : Entity::kMentorship;
            API_TRY_ASSIGN(auto rec, lift(tx.get(parent, *parentId)));
            bool visible = false;
            if (rec && parent == Entity::kProgram) {
                API_TRY_ASSIGN(visible, managesProgram(tx, p, *parentId));
            } else if (rec) {
                API_TRY_ASSIGN(visible, canRead(tx, p, parent, *rec));
            }
            if (!visible) {
                return tl::unexpected(notFound(parentParam, strCat(parentParam, ": no ", spec(parent).name,
                                                                   " with id ", *parentId)));
            }
            API_TRY_ASSIGN(rows, lift(tx.list(entity, ListQuery{parentParam, *parentId, afterId, limit})));
            if (entity == Entity::kFeedback) {
                std::vector<Json> visibleRows;
                for (auto& r : rows) {
                    API_TRY_ASSIGN(bool ok, canRead(tx, p, entity, r));
                    if (ok) visibleRows.push_back(std::move(r));
                }
                rows = std::move(visibleRows);
            }
        } else if (entity == Entity::kMentorship) {
            API_TRY_ASSIGN(auto mine, mentorshipsOf(tx, p.personId));
            rows = page(std::move(mine));
        } else if (entity == Entity::kProgram) {
            if (p.manager) {
                API_TRY_ASSIGN(rows, lift(tx.list(entity, ListQuery{"managers", p.personId, afterId, limit})));
            } else {
                API_TRY_ASSIGN(auto mine, mentorshipsOf(tx, p.personId));
                std::vector<Json> programs;
                for (const auto& m : mine) {
                    const auto pid = m["program_id"].get<std::int64_t>();
                    if (std::any_of(programs.begin(), programs.end(), [&](const Json& x) { return idOf(x) == pid; })) continue;
                    API_TRY_ASSIGN(auto prog, lift(tx.get(Entity::kProgram, pid)));
                    if (prog) programs.push_back(std::move(*prog));
                }
                std::sort(programs.begin(), programs.end(), [](const Json& a, const Json& b) { return a["id"] < b["id"]; });
                rows = page(std::move(programs));
            }
        } else if (entity == Entity::kPerson) {
            if (p.manager) {
                API_TRY_ASSIGN(rows, lift(tx.list(entity, ListQuery{"", 0, afterId, limit})));
            } else {
                API_TRY_ASSIGN(auto mine, mentorshipsOf(tx, p.personId));
                std::vector<std::int64_t> ids{p.personId};
                for (const auto& m : mine) {
                    for (const char* k : {"mentors", "mentees"}) {
                        for (const auto& v : m[k]) ids.push_back(v.get<std::int64_t>());
                    }
                }
                std::sort(ids.begin(), ids.end());
                ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
                std::vector<Json> people;
                for (auto id : ids) {
                    API_TRY_ASSIGN(auto rec, lift(tx.get(Entity::kPerson, id)));
                    if (rec) people.push_back(std::move(*rec));
                }
                rows = page(std::move(people));
            }
        }
        Json items = Json::array();
        for (auto& r : rows) items.push_back(std::move(r));
        Json out{{"items", items}};
        if (static_cast<int>(items.size()) == limit) out["next_after"] = items.back()["id"];
        return out;
    });
}

ApiResult Handlers::update(const Principal& p, Entity entity, std::int64_t id, const Json& body) {
    if (entity == Entity::kPerson) return updatePerson(p, id, body);
    auto validated = validateFields(entity, body, false);
    if (!validated) return tl::unexpected(fromFieldError(validated.error()));
    const Json patch = std::move(*validated);
    if (patch.empty()) return tl::unexpected(badRequest("", "the body sets no fields"));
    return runWrite([&](WriteTx& tx) -> ApiResult {
        API_TRY_ASSIGN(Json merged, changeableRecord(tx, p, entity, id, "change"));
        merged.update(patch);
        if (auto inv = checkInvariants(entity, merged)) return tl::unexpected(fromFieldError(*inv));
        if (auto refs = checkReferences(tx, entity, patch); !refs) return tl::unexpected(refs.error());
        if (entity == Entity::kSession) {
            API_TRY_ASSIGN(auto m, owningMentorship(tx, entity, merged));
            if (m) {
                if (auto mem = checkMembership(entity, merged, *m); !mem) return tl::unexpected(mem.error());
            }
        }
        if (entity == Entity::kProgram && merged["managers"].empty()) {
            return tl::unexpected(badRequest("managers", "managers: a program needs at least one manager"));
        }
        auto updated = tx.update(entity, id, patch);
        if (!updated) return tl::unexpected(fromStoreError(updated.error()));
        return auditedRecord(tx, p, "update", entity, id, fieldNames(patch));
    });
}

ApiResult Handlers::remove(const Principal& p, Entity entity, std::int64_t id) {
    if (entity == Entity::kPerson) return erasePerson(p, id);
    return runWrite([&](WriteTx& tx) -> ApiResult {
        if (auto rec = changeableRecord(tx, p, entity, id, "delete"); !rec) return tl::unexpected(rec.error());
        auto removed = tx.remove(entity, id);
        if (!removed) return tl::unexpected(fromStoreError(removed.error()));
        auto audited = tx.appendAudit(AuditEvent{0, 0, p.personId, "delete", std::string(spec(entity).name), id, {}});
        if (!audited) return tl::unexpected(fromStoreError(audited.error()));
        return Json{{"id", id}, {"deleted", true}};
    });
}

ApiResult Handlers::createPerson(const Principal& p, Json body) {
    if (!p.manager) return tl::unexpected(forbidden("only program managers create people"));
    std::optional<std::string> password;
    if (body.is_object() && body.contains("password")) {
        const Json& pw = body["password"];
        if (!pw.is_string()) return tl::unexpected(badRequest("password", "password must be a string"));
        const auto& s = pw.get_ref<const std::string&>();
        if (s.size() < m_options.minPasswordLength || s.size() > kMaxPasswordBytes) {
            return tl::unexpected(badRequest("password", strCat("password must be ", m_options.minPasswordLength,
                                                                " to ", kMaxPasswordBytes, " bytes")));
        }
        password = s;
        body.erase("password");
    }
    auto validated = validateFields(Entity::kPerson, body, true);
    if (!validated) return tl::unexpected(fromFieldError(validated.error()));
    Json fields = std::move(*validated);
    if (password) {
        auto hashed = m_hasher.hash(*password);
        if (!hashed) return tl::unexpected(apiError(503, "unavailable", "", hashed.error().message));
        fields["password_hash"] = *hashed;
    }
    return runWrite([&](WriteTx& tx) -> ApiResult {
        auto id = tx.insert(Entity::kPerson, fields);
        if (!id && id.error().code == ErrorCode::kConflict) {
            return tl::unexpected(apiError(409, "conflict", "email", "email is already used by another person"));
        }
        if (!id) return tl::unexpected(fromStoreError(id.error()));
        auto names = fieldNames(fields);
        if (password) names.push_back("password");
        return auditedRecord(tx, p, "create", Entity::kPerson, *id, std::move(names));
    });
}

ApiResult Handlers::updatePerson(const Principal& p, std::int64_t id, Json body) {
    if (p.personId != id && !p.manager) {
        // Not being able to change is answered like not being able to see,
        // unless they share a mentorship (then they can read the person).
        auto visible = get(p, Entity::kPerson, id);
        if (!visible) return tl::unexpected(visible.error());
        return tl::unexpected(forbidden("only the person and program managers change a person"));
    }
    std::optional<std::string> password;
    if (body.is_object() && body.contains("password")) {
        const Json& pw = body["password"];
        if (!pw.is_string() || pw.get_ref<const std::string&>().size() < m_options.minPasswordLength ||
            pw.get_ref<const std::string&>().size() > kMaxPasswordBytes) {
            return tl::unexpected(badRequest("password", strCat("password must be a string of ",
                                                                m_options.minPasswordLength, " to ",
                                                                kMaxPasswordBytes, " bytes")));
        }
        password = pw.get<std::string>();
        body.erase("password");
    }
    auto validated = validateFields(Entity::kPerson, body, false);
    if (!validated) return tl::unexpected(fromFieldError(validated.error()));
    Json patch = std::move(*validated);
    if (patch.contains("roles") && !p.manager) return tl::unexpected(forbidden("only program managers change roles"));
    if (password) {
        auto hashed = m_hasher.hash(*password);
        if (!hashed) return tl::unexpected(apiError(503, "unavailable", "", hashed.error().message));
        patch["password_hash"] = *hashed;
    }
    if (patch.empty()) return tl::unexpected(badRequest("", "the body sets no fields"));
    const PeopleChange change{*this};  // whatever the outcome
    // What the person's room connections are told when their login no longer holds.
    const char* signOut = nullptr;
    auto result = runWrite([&](WriteTx& tx) -> ApiResult {
        API_TRY_ASSIGN(auto rec, lift(tx.get(Entity::kPerson, id)));
        if (!rec) return tl::unexpected(notFound("", strCat("no person with id ", id)));
        if (!(*rec)["erased_at"].is_null()) return tl::unexpected(apiError(409, "conflict", "", "this person was erased"));
        if (password) {
            signOut = "your password was changed; log in again";
        } else if (patch.contains("roles") && patch["roles"] != (*rec)["roles"]) {
            signOut = "your roles were changed; join again";
        }
        if (signOut) {
            auto bumped = tx.bumpCredentialGeneration(id);
            if (!bumped) return tl::unexpected(fromStoreError(bumped.error()));
        }
        auto updated = tx.update(Entity::kPerson, id, patch);
        if (!updated && updated.error().code == ErrorCode::kConflict) {
            return tl::unexpected(apiError(409, "conflict", "email", "email is already used by another person"));
        }
        if (!updated) return tl::unexpected(fromStoreError(updated.error()));
        if (password) {
            auto revoked = tx.deleteTokens(id);
            if (!revoked) return tl::unexpected(fromStoreError(revoked.error()));
        }
        auto names = fieldNames(patch);
        if (password) names.push_back("password");
        return auditedRecord(tx, p, "update", Entity::kPerson, id, std::move(names));
    });
    if (result && signOut) credentialsChanged(id, signOut);
    return result;
}

ApiResult Handlers::erasePerson(const Principal& p, std::int64_t id) {
    if (p.personId != id && !p.manager) {
        auto visible = get(p, Entity::kPerson, id);
        if (!visible) return tl::unexpected(visible.error());
        return tl::unexpected(forbidden("only the person and program managers erase a person"));
    }
    const PeopleChange change{*this};
    auto result = runWrite([&](WriteTx& tx) -> ApiResult {
        API_TRY_ASSIGN(auto rec, lift(tx.get(Entity::kPerson, id)));
        if (!rec) return tl::unexpected(notFound("", strCat("no person with id ", id)));
        if (!(*rec)["erased_at"].is_null()) return Json{{"id", id}, {"erased", true}};
        // Personal data goes; the id, roles and memberships stay so that
        // program statistics (sessions held, ratings) remain true.
        Json blank = Json::object();
        for (const auto& f : spec(Entity::kPerson).fields) {
            if (f.personalData) blank[std::string(f.name)] = nullptr;
        }
        blank["erased_at"] = formatTimestamp(m_clock.nowUnix());
        for (auto step : {tx.update(Entity::kPerson, id, blank), tx.deleteTokens(id), tx.bumpCredentialGeneration(id),
                          tx.eraseAuthoredText(id),
                          tx.appendAudit(AuditEvent{0, 0, p.personId, "erase", "person", id, {}})}) {
            if (!step) return tl::unexpected(fromStoreError(step.error()));
        }
        return Json{{"id", id}, {"erased", true}};
    });
    if (result) credentialsChanged(id, "your account was erased");
    return result;
}

Result<std::optional<std::string>> Handlers::bootstrapAdmin(const std::string& emailColonPassword) {
    auto managers = m_store.read([](ReadTx& tx) -> Result<Json> {
        MXR_TRY_ASSIGN(auto n, tx.countManagers());
        return Json(n);
    });
    if (!managers) return tl::unexpected(managers.error());
    if (managers->get<std::int64_t>() > 0) return std::optional<std::string>();
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
    auto fields = validateFields(Entity::kPerson,
                                 Json{{"name", "Administrator"}, {"email", email}, {"roles", {"program_manager"}}}, true);
    if (!fields) return makeError(ErrorCode::kInvalidArgument, strCat("--init-admin: ", fields.error().field, " ",
                                                                      fields.error().message));
    MXR_TRY_ASSIGN(auto hash, m_hasher.hash(password));
    (*fields)["password_hash"] = hash;
    MXR_TRY(m_store.write([&](WriteTx& tx) -> Result<Json> {
        MXR_TRY_ASSIGN(auto id, tx.insert(Entity::kPerson, *fields));
        MXR_TRY(tx.appendAudit(AuditEvent{0, 0, 0, "bootstrap", "person", id, {"name", "email", "roles", "password"}}));
        return Json(id);
    }));
    m_log.info(strCat("created the first program manager ", email));
    return generated ? generated : std::optional<std::string>("");
}

}  // namespace mxr::server
