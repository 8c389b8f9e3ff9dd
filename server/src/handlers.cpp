#include "server/handlers.h"

#include <algorithm>
#include <charconv>

#include "handler_helpers.h"
#include "procedures.h"

namespace mxr::server {

std::vector<std::string> fieldNames(const Json& fields) {
    std::vector<std::string> out;
    for (const auto& [k, v] : fields.items()) {
        if (k != "password_hash") out.push_back(k);
    }
    return out;
}

ApiResult auditedRecord(WriteTx& tx, const Principal& p, const char* action, Entity entity, std::int64_t id,
                        std::vector<std::string> fields) {
    API_TRY_ASSIGN(auto rec, lift(tx.get(entity, id)));
    if (!rec) return tl::unexpected(notFound("", strCat("no ", spec(entity).name, " with id ", id)));
    API_TRY_ASSIGN(std::int64_t programId, owningProgram(tx, entity, *rec));
    return audited(tx, p, action, entity, std::move(*rec), std::move(fields), programId);
}

ApiResult audited(WriteTx& tx, const Principal& p, const char* action, Entity entity, Json record,
                  std::vector<std::string> fields, std::int64_t programId) {
    auto appended = tx.appendAudit(AuditEvent{0, 0, p.personId, action, std::string(spec(entity).name), idOf(record),
                                              std::move(fields), programId});
    if (!appended) return tl::unexpected(fromStoreError(appended.error()));
    return record;
}

tl::expected<void, ApiError> trackAuthors(WriteTx& tx, const Principal& p, Entity entity, std::int64_t id,
                                          const Json& fields) {
    for (const auto& f : spec(entity).fields) {
        if (!f.authored || !fields.contains(f.name) || fields[std::string(f.name)].is_null()) continue;
        auto set = tx.setTextAuthor(entity, id, f.name, p.personId);
        if (!set) return tl::unexpected(fromStoreError(set.error()));
    }
    return {};
}

// Every record of entity whose ListQuery field equals value (all pages).
tl::expected<std::vector<Json>, ApiError> listAll(ReadTx& tx, Entity entity, const std::string& field,
                                                  std::int64_t value) {
    std::vector<Json> out;
    std::int64_t after = 0;
    for (;;) {
        API_TRY_ASSIGN(auto page, lift(tx.list(entity, ListQuery{field, value, after, 1000})));
        const bool more = page.size() == 1000;
        for (auto& r : page) out.push_back(std::move(r));
        if (!more) break;
        after = out.back()["id"].get<std::int64_t>();
    }
    return out;
}

ApiError fromFieldError(const FieldError& e) {
    return badRequest(e.field, e.field.empty() ? e.message : strCat(e.field, " ", e.message));
}

tl::expected<void, ApiError> checkReferences(ReadTx& tx, const Principal& p, Entity entity, const Json& fields) {
    for (const auto& f : spec(entity).fields) {
        if (!fields.contains(f.name) || fields[std::string(f.name)].is_null()) continue;
        if (f.type != FieldType::kRef && f.type != FieldType::kIdList) continue;
        const Json& v = fields[std::string(f.name)];
        const Json ids = f.type == FieldType::kRef ? Json::array({v}) : v;
        for (const auto& id : ids) {
            API_TRY_ASSIGN(auto rec, lift(tx.get(f.ref, id.get<std::int64_t>())));
            bool ok = rec && !(f.ref == Entity::kPerson && !(*rec)["erased_at"].is_null());
            // People one may not see cannot be put into one's records (that
            // would be a way to make them visible).
            if (ok && f.ref == Entity::kPerson) {
                API_TRY_ASSIGN(ok, canRead(tx, p, Entity::kPerson, *rec));
            }
            if (!ok) {
                return tl::unexpected(badRequest(std::string(f.name),
                                                 strCat(f.name, ": no ", spec(f.ref).name, " with id ", id.dump())));
            }
        }
    }
    return {};
}

Principal principalFromPerson(const Json& person, std::int64_t credentialGeneration) {
    Principal p;
    p.personId = person["id"].get<std::int64_t>();
    p.credentialGeneration = credentialGeneration;
    if (person.contains("name") && person["name"].is_string()) p.name = person["name"].get<std::string>();
    for (const auto& role : person["roles"]) {
        p.mentor = p.mentor || role == "mentor";
        p.mentee = p.mentee || role == "mentee";
        p.manager = p.manager || role == "program_manager";
        p.admin = p.admin || role == "administrator";
    }
    return p;
}

std::optional<std::int64_t> parsePositive(std::string_view s) {
    if (s.empty() || s.size() > 18 || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return std::nullopt;
    }
    std::int64_t v = 0;
    std::from_chars(s.data(), s.data() + s.size(), v);
    if (v <= 0) return std::nullopt;
    return v;
}

std::optional<std::int64_t> parseId(const Params& params, const std::string& name, ApiError& err) {
    auto it = params.find(name);
    if (it == params.end()) return std::nullopt;
    const auto& s = it->second;
    if (s.empty() || s.size() > 18 || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        err = badRequest(name, strCat(name, " must be a non-negative integer"));
        return std::nullopt;
    }
    return std::stoll(s);
}

ApiResult changeableRecord(WriteTx& tx, const Principal& p, Entity entity, std::int64_t id, const Json* patch) {
    API_TRY_ASSIGN(auto rec, lift(tx.get(entity, id)));
    const auto missing = notFound("", strCat("no ", spec(entity).name, " with id ", id));
    if (!rec) return tl::unexpected(missing);
    API_TRY_ASSIGN(bool readable, canRead(tx, p, entity, *rec));
    if (!readable) return tl::unexpected(missing);
    const char* verb = patch ? "change" : "delete";
    API_TRY_ASSIGN(bool ok, patch ? canUpdate(tx, p, entity, *rec) : canRemove(tx, p, entity, *rec));
    if (!ok) return tl::unexpected(forbidden(strCat("you may read but not ", verb, " this ", spec(entity).name)));
    if (patch) {
        API_TRY_ASSIGN(const FieldGuard* g, trippedGuard(tx, p, entity, *rec, *patch));
        if (g) return tl::unexpected(apiError(403, "forbidden", std::string(g->field), std::string(ruleFor(entity, *rec).why)));
    }
    return *rec;
}

namespace {

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

// The records a delete of (entity, id) takes along (ON DELETE CASCADE).
tl::expected<std::vector<std::pair<Entity, Json>>, ApiError> dependents(ReadTx& tx, Entity entity, std::int64_t id) {
    std::vector<std::pair<Entity, Json>> out;
    auto add = [&](Entity child, const char* field, std::int64_t parent) -> tl::expected<std::vector<Json>, ApiError> {
        std::vector<Json> rows;
        std::int64_t after = 0;
        for (;;) {
            API_TRY_ASSIGN(auto page, lift(tx.list(child, ListQuery{field, parent, after, 1000})));
            for (auto& r : page) {
                out.emplace_back(child, r);
                rows.push_back(std::move(r));
            }
            if (page.size() < 1000) break;
            after = idOf(rows.back());
        }
        return rows;
    };
    switch (entity) {
        case Entity::kGoal: {
            API_TRY_ASSIGN(auto ignored, add(Entity::kMilestone, "goal_id", id));
            (void)ignored;
            break;
        }
        case Entity::kSession: {
            API_TRY_ASSIGN(auto ignored, add(Entity::kFeedback, "session_id", id));
            (void)ignored;
            break;
        }
        case Entity::kStepCompletion: break;
        case Entity::kProcedureStep: {
            API_TRY_ASSIGN(auto ignored, add(Entity::kStepCompletion, "step_id", id));
            (void)ignored;
            break;
        }
        case Entity::kProcedure: {
            API_TRY_ASSIGN(auto steps, add(Entity::kProcedureStep, "procedure_id", id));
            for (const auto& step : steps) {
                API_TRY_ASSIGN(auto ignored, add(Entity::kStepCompletion, "step_id", idOf(step)));
                (void)ignored;
            }
            break;
        }
        case Entity::kMentorship: {
            API_TRY_ASSIGN(auto procedures, add(Entity::kProcedure, "mentorship_id", id));
            for (const auto& proc : procedures) {
                API_TRY_ASSIGN(auto steps, add(Entity::kProcedureStep, "procedure_id", idOf(proc)));
                for (const auto& step : steps) {
                    API_TRY_ASSIGN(auto ignored, add(Entity::kStepCompletion, "step_id", idOf(step)));
                    (void)ignored;
                }
            }
            API_TRY_ASSIGN(auto goals, add(Entity::kGoal, "mentorship_id", id));
            for (const auto& g : goals) {
                API_TRY_ASSIGN(auto ignored, add(Entity::kMilestone, "goal_id", idOf(g)));
                (void)ignored;
            }
            API_TRY_ASSIGN(auto sessions, add(Entity::kSession, "mentorship_id", id));
            for (const auto& s : sessions) {
                API_TRY_ASSIGN(auto ignored, add(Entity::kFeedback, "session_id", idOf(s)));
                (void)ignored;
            }
            break;
        }
        default: break;  // programs refuse deletion while mentorships refer to them (409)
    }
    return out;
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

ApiResult Handlers::runWrite(const std::function<ApiResult(WriteTx&)>& fn, const Principal* p, const WriteKey* key,
                             std::optional<Entity> recordOf) {
    auto run = [&](auto&& body) { return m_store.write(body); };
    if (!p || !key || key->key.empty()) return runTransaction<WriteTx>(m_log, "write", run, fn);
    const std::int64_t notBefore = m_clock.nowUnix() - kIdempotencyKeySeconds;
    return runTransaction<WriteTx>(m_log, "write", run, [&](WriteTx& tx) -> ApiResult {
        API_TRY_ASSIGN(auto earlier, lift(tx.findIdempotent(p->personId, key->key, notBefore)));
        if (earlier) {
            if (earlier->request != key->request) {
                return tl::unexpected(apiError(422, "idempotency_key_reused", "idempotency_key",
                                               "this idempotency key was used for another request; use a new key"));
            }
            // The retry of a write that was applied: the same answer, nothing applied twice.
            if (recordOf && earlier->answer.contains("record")) {
                const std::int64_t id = earlier->answer["record"].get<std::int64_t>();
                API_TRY_ASSIGN(auto rec, lift(tx.get(*recordOf, id)));
                bool visible = false;
                if (rec) {
                    API_TRY_ASSIGN(visible, canRead(tx, *p, *recordOf, *rec));
                }
                if (!visible) return tl::unexpected(notFound("", strCat("no ", spec(*recordOf).name, " with id ", id)));
                return *rec;
            }
            return earlier->answer;
        }
        API_TRY_ASSIGN(Json answer, fn(tx));
        const bool isRecord = recordOf && answer.contains("id") && answer.contains("created_at");
        const Json stored = isRecord ? Json{{"record", answer["id"]}} : answer;
        auto put = tx.putIdempotent(p->personId, key->key, WriteTx::StoredAnswer{key->request, stored}, notBefore);
        if (!put) return tl::unexpected(fromStoreError(put.error()));
        return answer;
    });
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
    m_limiter.recordSuccess(email, address);
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
    principal.tokenHash = hash;
    std::lock_guard lock(m_tokenCacheMutex);
    if (m_tokenCache.size() >= kTokenCacheEntries) m_tokenCache.clear();
    m_tokenCache[hash] = CachedPrincipal{principal, expiresAt, generation};
    return principal;
}

ApiResult Handlers::logout(const Principal& p) {
    if (p.tokenHash.empty()) return tl::unexpected(badRequest("", "this session has no token to end"));
    // Every cached principal is dropped once the delete has committed (the
    // generation, as for any change to people): an authenticate() that read
    // the token before the delete cannot cache it afterwards.
    PeopleChange changed{*this};
    return runWrite([&](WriteTx& tx) -> ApiResult {
        API_TRY_ASSIGN(bool existed, lift(tx.deleteToken(p.tokenHash)));
        (void)existed;  // already gone (logged out twice at once): the same outcome
        return Json{{"logged_out", true}};
    });
}

ApiResult Handlers::create(const Principal& p, Entity entity, const Json& body, const WriteKey& key) {
    if (entity == Entity::kPerson) return createPerson(p, body, key);
    if (entity == Entity::kProcedure && body.is_object() && body.contains("steps")) {
        return createProcedureWithSteps(p, body, key);
    }
    auto fields = prepareCreate(p, entity, body);
    if (!fields) return tl::unexpected(fields.error());
    return runWrite([&](WriteTx& tx) { return insertChecked(tx, p, entity, *fields); }, &p, &key, entity);
}

ApiResult Handlers::createProcedureWithSteps(const Principal& p, const Json& body, const WriteKey& key) {
    constexpr std::size_t kMostSteps = 500;  // procedure_step.position's bound
    const Json& steps = body["steps"];
    if (!steps.is_array()) return tl::unexpected(badRequest("steps", "steps must be an array of step objects"));
    if (steps.size() > kMostSteps) {
        return tl::unexpected(badRequest("steps", strCat("steps: a procedure has at most ", kMostSteps, " steps")));
    }
    Json procedureBody = body;
    procedureBody.erase("steps");
    auto fields = prepareCreate(p, Entity::kProcedure, procedureBody);
    if (!fields) return tl::unexpected(fields.error());
    // Each step is checked before the write, so a bad one costs no
    // transaction; its errors name the step ("steps[3].title ...").
    std::vector<Json> stepBodies;
    for (std::size_t i = 0; i < steps.size(); ++i) {
        const std::string where = strCat("steps[", i, "]");
        if (!steps[i].is_object()) return tl::unexpected(badRequest(where, strCat(where, " must be an object")));
        if (steps[i].contains("procedure_id")) {
            return tl::unexpected(badRequest(where + ".procedure_id", strCat(where, ".procedure_id is set by the server")));
        }
        Json step = steps[i];
        step["procedure_id"] = 1;  // a placeholder for validation; the real id is known after the insert
        if (!step.contains("position")) step["position"] = static_cast<std::int64_t>(i + 1);
        auto validated = validateFields(Entity::kProcedureStep, step, true);
        if (!validated) {
            const FieldError& e = validated.error();
            return tl::unexpected(badRequest(strCat(where, ".", e.field), strCat(where, ".", e.field, " ", e.message)));
        }
        stepBodies.push_back(std::move(*validated));
    }
    return runWrite([&](WriteTx& tx) -> ApiResult {
        API_TRY_ASSIGN(Json procedure, insertChecked(tx, p, Entity::kProcedure, *fields));
        Json created = Json::array();
        for (auto& step : stepBodies) {
            step["procedure_id"] = procedure["id"];
            API_TRY_ASSIGN(Json s, insertChecked(tx, p, Entity::kProcedureStep, step, false));
            created.push_back(std::move(s));
        }
        API_TRY_ASSIGN(auto goals, goalsFollowing(tx, Entity::kProcedure, procedure));
        if (auto refreshed = refreshGoalProgress(tx, p, goals); !refreshed) return tl::unexpected(refreshed.error());
        procedure["steps"] = std::move(created);
        return procedure;
    }, &p, &key);
}

ApiResult Handlers::createIn(WriteTx& tx, const Principal& p, Entity entity, const Json& body) {
    auto fields = prepareCreate(p, entity, body);
    if (!fields) return tl::unexpected(fields.error());
    return insertChecked(tx, p, entity, *fields);
}

tl::expected<Json, ApiError> Handlers::prepareCreate(const Principal& p, Entity entity, const Json& body) {
    auto validated = validateFields(entity, body, true);
    if (!validated) return tl::unexpected(fromFieldError(validated.error()));
    Json fields = std::move(*validated);
    if (entity == Entity::kFeedback) fields["author_id"] = p.personId;
    if (entity == Entity::kStepCompletion) {
        fields["person_id"] = p.personId;
        fields["completed_at"] = formatTimestamp(m_clock.nowUnix());
    }
    if (entity == Entity::kSession && p.server) fields["source"] = "room";
    if (entity == Entity::kProgram) {
        const RelSet rels = (p.manager ? rel::kManager : 0) | (p.admin ? rel::kAdmin : 0);
        if (!(rels & ruleFor(entity, fields).create)) {
            return tl::unexpected(forbidden("only program managers and administrators create programs"));
        }
        if (!fields.contains("managers")) fields["managers"] = Json::array();
        if (p.manager && !isMemberOf(Json{{"mentors", fields["managers"]}, {"mentees", Json::array()}}, p.personId)) {
            fields["managers"].push_back(p.personId);
        }
        if (fields["managers"].empty()) {
            return tl::unexpected(badRequest("managers", "managers: a program needs at least one manager"));
        }
    }
    if (auto inv = checkInvariants(entity, fields)) return tl::unexpected(fromFieldError(*inv));
    return fields;
}

ApiResult Handlers::insertChecked(WriteTx& tx, const Principal& p, Entity entity, const Json& fields,
                                  bool followGoals) {
    const std::string_view parentField = entity == Entity::kMentorship      ? "program_id"
                                         : entity == Entity::kMilestone     ? "goal_id"
                                         : entity == Entity::kFeedback      ? "session_id"
                                         : entity == Entity::kProcedureStep ? "procedure_id"
                                         : entity == Entity::kStepCompletion ? "step_id"
                                                                            : "mentorship_id";
    // The parent of a goal, milestone, session or feedback is checked by the
    // walk up to its mentorship below; checking it here too would read the
    // same rows twice inside the single writer.
    Json otherRefs = fields;
    if (entity != Entity::kProgram && entity != Entity::kMentorship) otherRefs.erase(std::string(parentField));
    // The program the new record belongs to, for its audit row: known from
    // the parent read for the access check (reading it again in
    // auditedRecord was a third of the writer's statements per create).
    std::int64_t programId = 0;
    {
        if (entity != Entity::kProgram) {
            const auto noParent = [&] {
                return badRequest(std::string(parentField),
                                  strCat(parentField, ": no ", parentField.substr(0, parentField.size() - 3),
                                         " with id ", fields[std::string(parentField)].dump()));
            };
            // The parent's record and the caller's relation to it; a parent
            // the caller may not see is reported exactly like a missing one.
            std::optional<Json> parent;
            Entity parentEntity = Entity::kProgram;
            if (entity == Entity::kMentorship) {
                API_TRY_ASSIGN(parent, lift(tx.get(Entity::kProgram, fields["program_id"].get<std::int64_t>())));
            } else {
                Json probe = fields;
                probe["id"] = 0;
                API_TRY_ASSIGN(parent, owningMentorship(tx, entity, probe));
                parentEntity = Entity::kMentorship;
            }
            if (!parent) return tl::unexpected(noParent());
            API_TRY_ASSIGN(bool visible, canRead(tx, p, parentEntity, *parent));
            if (!visible) return tl::unexpected(noParent());
            const RelSet who = ruleFor(entity, fields).create;
            API_TRY_ASSIGN(RelSet rels, relationsTo(tx, p, parentEntity, *parent, who));
            if (!p.server && !(rels & who)) {
                return tl::unexpected(forbidden(entity == Entity::kMentorship
                                                    ? std::string("only the program's managers create its mentorships")
                                                    : strCat("only the mentorship's mentors and mentees create ",
                                                             spec(entity).plural)));
            }
            if (entity != Entity::kMentorship) {
                if (auto mem = checkMembership(entity, fields, *parent); !mem) return tl::unexpected(mem.error());
            }
            programId = parentEntity == Entity::kProgram ? idOf(*parent) : (*parent)["program_id"].get<std::int64_t>();
        }
        if (auto refs = checkReferences(tx, p, entity, otherRefs); !refs) return tl::unexpected(refs.error());
        if (entity == Entity::kProcedure) {
            if (auto goal = checkProcedureGoal(tx, fields); !goal) return tl::unexpected(goal.error());
        }
        // The answer is the row as inserted (RETURNING), not read back.
        API_TRY_ASSIGN(Json inserted, lift(tx.insertRecord(entity, fields)));
        const std::int64_t id = idOf(inserted);
        if (entity == Entity::kProgram) programId = id;
        if (auto tracked = trackAuthors(tx, p, entity, id, fields); !tracked) return tl::unexpected(tracked.error());
        API_TRY_ASSIGN(Json created, audited(tx, p, "create", entity, std::move(inserted), fieldNames(fields), programId));
        if (!followGoals) return created;
        API_TRY_ASSIGN(auto goals, goalsFollowing(tx, entity, created));
        if (auto refreshed = refreshGoalProgress(tx, p, goals); !refreshed) return tl::unexpected(refreshed.error());
        return created;
    }
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

namespace {

// The people a non-administrator may find in the people list: themselves,
// those they share a mentorship with, and for managers everyone in their
// programs (members, managers, pairs).
tl::expected<std::vector<std::int64_t>, ApiError> peopleCandidates(ReadTx& tx, const Principal& p) {
    std::vector<std::int64_t> ids{p.personId};
    auto addPairs = [&](const std::vector<Json>& mentorships) {
        for (const auto& m : mentorships) {
            for (const char* k : {"mentors", "mentees"}) {
                for (const auto& v : m[k]) ids.push_back(v.get<std::int64_t>());
            }
        }
    };
    API_TRY_ASSIGN(auto mine, mentorshipsOf(tx, p.personId));
    addPairs(mine);
    if (p.manager) {
        API_TRY_ASSIGN(auto programs, lift(tx.list(Entity::kProgram, ListQuery{"managers", p.personId, 0, 1000})));
        for (const auto& prog : programs) {
            for (const char* k : {"managers", "members"}) {
                for (const auto& v : prog[k]) ids.push_back(v.get<std::int64_t>());
            }
            std::int64_t after = 0;
            for (;;) {
                API_TRY_ASSIGN(auto page, lift(tx.list(Entity::kMentorship, ListQuery{"program_id", idOf(prog), after, 1000})));
                addPairs(page);
                if (page.size() < 1000) break;
                after = idOf(page.back());
            }
        }
    }
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    return ids;
}

}  // namespace

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
        case Entity::kProcedure: parentParam = "mentorship_id"; break;
        case Entity::kProcedureStep: parentParam = "procedure_id"; break;
        case Entity::kStepCompletion: parentParam = "step_id"; break;
        case Entity::kMentorship: parentParam = params.count("program_id") ? "program_id" : ""; break;
        case Entity::kMatchProposal: parentParam = "program_id"; break;
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
        // Pages of `query` filtered by what the caller may read, until the
        // page is full or the records run out.
        auto readable = [&](ListQuery query) -> tl::expected<std::vector<Json>, ApiError> {
            std::vector<Json> out;
            query.limit = 1000;
            for (;;) {
                API_TRY_ASSIGN(auto page, lift(tx.list(entity, query)));
                for (auto& r : page) {
                    API_TRY_ASSIGN(bool ok, canRead(tx, p, entity, r));
                    if (ok) out.push_back(std::move(r));
                    if (static_cast<int>(out.size()) == limit) return out;
                }
                if (page.size() < 1000) return out;
                query.afterId = idOf(page.back());
            }
        };
        auto byIds = [&](std::vector<std::int64_t> ids) -> tl::expected<std::vector<Json>, ApiError> {
            std::vector<Json> out;
            for (auto id : ids) {
                if (id <= afterId) continue;
                API_TRY_ASSIGN(auto rec, lift(tx.get(entity, id)));
                if (!rec) continue;
                API_TRY_ASSIGN(bool ok, canRead(tx, p, entity, *rec));
                if (ok) out.push_back(std::move(*rec));
                if (static_cast<int>(out.size()) == limit) break;
            }
            return out;
        };
        if (parentId) {
            const Entity parent = entity == Entity::kMentorship || entity == Entity::kMatchProposal ? Entity::kProgram
                                  : entity == Entity::kMilestone      ? Entity::kGoal
                                  : entity == Entity::kFeedback       ? Entity::kSession
                                  : entity == Entity::kProcedureStep  ? Entity::kProcedure
                                  : entity == Entity::kStepCompletion ? Entity::kProcedureStep
                                                                      : Entity::kMentorship;
            API_TRY_ASSIGN(auto rec, lift(tx.get(parent, *parentId)));
            bool visible = false;
            if (rec) {
                API_TRY_ASSIGN(visible, canRead(tx, p, parent, *rec));
            }
            if (!visible) {
                return tl::unexpected(notFound(parentParam, strCat(parentParam, ": no ", spec(parent).name,
                                                                   " with id ", *parentId)));
            }
            API_TRY_ASSIGN(rows, readable(ListQuery{parentParam, *parentId, afterId, limit}));
        } else if (entity == Entity::kMentorship) {
            API_TRY_ASSIGN(auto mine, mentorshipsOf(tx, p.personId));
            for (auto& m : mine) {
                if (idOf(m) > afterId && static_cast<int>(rows.size()) < limit) rows.push_back(std::move(m));
            }
        } else if (p.admin) {
            API_TRY_ASSIGN(rows, lift(tx.list(entity, ListQuery{"", 0, afterId, limit})));
        } else if (entity == Entity::kProgram) {
            API_TRY_ASSIGN(auto ids, programsOf(tx, p.personId));
            API_TRY_ASSIGN(rows, byIds(std::move(ids)));
        } else if (entity == Entity::kPerson) {
            API_TRY_ASSIGN(auto ids, peopleCandidates(tx, p));
            API_TRY_ASSIGN(rows, byIds(std::move(ids)));
        }
        Json items = Json::array();
        for (auto& r : rows) items.push_back(std::move(r));
        Json out{{"items", items}};
        if (static_cast<int>(items.size()) == limit) out["next_after"] = items.back()["id"];
        return out;
    });
}

namespace {
// A session whose start moves (a PATCH or reschedule) or that is cancelled
// gets its iCalendar SEQUENCE bumped, so subscribed calendars replace the
// event (RFC 5545 3.8.7.4); a cancelled session does neither again.
// Callers that set the sequence themselves (cancel, reschedule) keep it.
ApiResult sessionChange(const Json& before, const Json& asked) {
    const bool moves = asked.contains("scheduled_at") && asked["scheduled_at"] != before["scheduled_at"];
    const bool cancels = asked.contains("status") && asked["status"] == "cancelled";
    if (!moves && !cancels) return asked;
    if (before["status"] == "cancelled") {
        return tl::unexpected(conflict("this session is cancelled; schedule a new one"));
    }
    Json patch = asked;
    if (!patch.contains("sequence")) {
        patch["sequence"] = (before["sequence"].is_number_integer() ? before["sequence"].get<std::int64_t>() : 0) + 1;
    }
    return patch;
}
}  // namespace

ApiResult Handlers::update(const Principal& p, Entity entity, std::int64_t id, const Json& body, const WriteKey& key) {
    if (entity == Entity::kPerson) return updatePerson(p, id, body, key);
    if (entity == Entity::kMatchProposal) return decideProposal(p, id, body, key);
    // A PATCH that moves a session may say why (the server keeps the
    // reason; reschedule requires one): checked here, not a writable field.
    std::optional<Json> reason;
    Json fields = body;
    if (entity == Entity::kSession && body.is_object() && body.contains("change_reason")) {
        const Json& r = body["change_reason"];
        if (!r.is_string() || r.get<std::string>().size() > 4000) {
            return tl::unexpected(badRequest("change_reason", "change_reason must be text of at most 4000 bytes"));
        }
        if (!body.contains("scheduled_at")) {
            return tl::unexpected(
                badRequest("change_reason", "change_reason says why a session moved: send it with scheduled_at"));
        }
        reason = r;
        fields.erase("change_reason");
    }
    auto validated = validateFields(entity, fields, false);
    if (!validated) return tl::unexpected(fromFieldError(validated.error()));
    if (validated->empty()) return tl::unexpected(badRequest("", "the body sets no fields"));
    if (reason && reason->get<std::string>().find_first_not_of(" \t\r\n") != std::string::npos) {
        (*validated)["change_reason"] = *reason;
    }
    return runWrite([&](WriteTx& tx) { return applyUpdate(tx, p, entity, id, *validated); }, &p, &key, entity);
}

ApiResult Handlers::updateIn(WriteTx& tx, const Principal& p, Entity entity, std::int64_t id, const Json& body) {
    auto validated = validateFields(entity, body, false);
    if (!validated) return tl::unexpected(fromFieldError(validated.error()));
    if (validated->empty()) return tl::unexpected(badRequest("", "the body sets no fields"));
    return applyUpdate(tx, p, entity, id, *validated);
}

ApiResult Handlers::applyUpdate(WriteTx& tx, const Principal& p, Entity entity, std::int64_t id, const Json& asked) {
    API_TRY_ASSIGN(Json merged, changeableRecord(tx, p, entity, id, &asked));
    Json patch = asked;
    if (entity == Entity::kSession) {
        API_TRY_ASSIGN(patch, sessionChange(merged, asked));
    }
    // Goals a procedure named before the change follow it too (unlinked).
    API_TRY_ASSIGN(auto goalsBefore, goalsFollowing(tx, entity, merged));
    merged.update(patch);
    if (auto inv = checkInvariants(entity, merged)) return tl::unexpected(fromFieldError(*inv));
    if (auto refs = checkReferences(tx, p, entity, patch); !refs) return tl::unexpected(refs.error());
    if (entity == Entity::kSession) {
        API_TRY_ASSIGN(auto m, owningMentorship(tx, entity, merged));
        if (m) {
            if (auto mem = checkMembership(entity, merged, *m); !mem) return tl::unexpected(mem.error());
        }
    }
    if (entity == Entity::kProgram && merged["managers"].empty()) {
        return tl::unexpected(badRequest("managers", "managers: a program needs at least one manager"));
    }
    if (entity == Entity::kProcedure) {
        if (auto goal = checkProcedureGoal(tx, merged); !goal) return tl::unexpected(goal.error());
    }
    auto updated = tx.update(entity, id, patch);
    if (!updated) return tl::unexpected(fromStoreError(updated.error()));
    if (auto tracked = trackAuthors(tx, p, entity, id, patch); !tracked) return tl::unexpected(tracked.error());
    API_TRY_ASSIGN(Json after, auditedRecord(tx, p, "update", entity, id, fieldNames(patch)));
    API_TRY_ASSIGN(auto goalsAfter, goalsFollowing(tx, entity, after));
    goalsAfter.insert(goalsAfter.end(), goalsBefore.begin(), goalsBefore.end());
    if (auto refreshed = refreshGoalProgress(tx, p, goalsAfter); !refreshed) return tl::unexpected(refreshed.error());
    return after;
}

ApiResult Handlers::remove(const Principal& p, Entity entity, std::int64_t id, const WriteKey& key) {
    if (entity == Entity::kPerson) return erasePerson(p, id, key);
    return runWrite([&](WriteTx& tx) -> ApiResult {
        API_TRY_ASSIGN(auto rec, changeableRecord(tx, p, entity, id, nullptr));
        // A delete never takes along a record the caller may not read (e.g.
        // feedback for the program managers only under a session).
        API_TRY_ASSIGN(auto deps, dependents(tx, entity, id));
        for (const auto& [childEntity, child] : deps) {
            API_TRY_ASSIGN(bool visible, canRead(tx, p, childEntity, child));
            if (!visible) {
                return tl::unexpected(conflict(strCat("this ", spec(entity).name, " holds ", spec(childEntity).name,
                                                      " you may not read, which a delete would destroy; ask the "
                                                      "program's managers")));
            }
        }
        API_TRY_ASSIGN(std::int64_t programId, owningProgram(tx, entity, rec));
        API_TRY_ASSIGN(auto goals, goalsFollowing(tx, entity, rec));
        auto removed = tx.remove(entity, id);
        if (!removed) return tl::unexpected(fromStoreError(removed.error()));
        auto audited =
            tx.appendAudit(AuditEvent{0, 0, p.personId, "delete", std::string(spec(entity).name), id, {}, programId});
        if (!audited) return tl::unexpected(fromStoreError(audited.error()));
        if (auto refreshed = refreshGoalProgress(tx, p, goals); !refreshed) return tl::unexpected(refreshed.error());
        return Json{{"id", id}, {"deleted", true}};
    }, &p, &key);
}

}  // namespace mxr::server
