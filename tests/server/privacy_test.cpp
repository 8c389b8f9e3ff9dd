// Issue 11 beyond the matrix: the migration to roles with scope, scoped
// managers, deletes that would destroy unreadable records, sessions
// recorded from room presence, erasure that leaves no bytes behind, exports
// that say what was erased, and idempotency keys through the router.
#include <sqlite3.h>

#include <fstream>
#include <iterator>
#include <set>

#include "server/router.h"
#include "test_env.h"

namespace mxr::server::test {
namespace {

std::string fileBytes(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

void sql(const std::filesystem::path& db, const std::string& script) {
    sqlite3* h = nullptr;
    ASSERT_EQ(sqlite3_open(db.c_str(), &h), SQLITE_OK);
    char* err = nullptr;
    EXPECT_EQ(sqlite3_exec(h, script.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
    sqlite3_free(err);
    sqlite3_close(h);
}

TEST(Migration, TheFirstProgramManagerBecomesTheAdministratorAndAuthorsAreFilledFromTheAudit) {
    TestEnv env("migrate");
    env.handlers.reset();
    env.store.reset();
    std::filesystem::remove(env.dir / "mentorxr.db");
    {
        auto v3 = openSqliteStore(SqliteStoreOptions{(env.dir / "mentorxr.db").string(), "", 16, 64, 3}, env.wall, Logger());
        ASSERT_TRUE(v3);
    }
    // A database as a version-3 server (credential generations, no scopes)
    // left it: two managers, a mentor who wrote a goal title (the audit says so).
    const char* t = "'2026-01-01T00:00:00Z'";
    sql(env.dir / "mentorxr.db",
        strCat("INSERT INTO people(id, name, email, roles, created_at, updated_at) VALUES",
               "(1, 'Ada', 'ada@example.org', '[\"program_manager\"]', ", t, ", ", t, "),",
               "(2, 'Bo', 'bo@example.org', '[\"program_manager\"]', ", t, ", ", t, "),",
               "(3, 'Cy', 'cy@example.org', '[\"mentor\"]', ", t, ", ", t, ");",
               "INSERT INTO programs(id, name, created_at, updated_at) VALUES(1, 'P', ", t, ", ", t, ");",
               "INSERT INTO programs_managers VALUES(1, 1);",
               "INSERT INTO mentorships(id, program_id, kind, status, created_at, updated_at) VALUES(1, 1, 'peer', 'active', ",
               t, ", ", t, ");",
               "INSERT INTO mentorships_mentors VALUES(1, 3);",
               "INSERT INTO goals(id, mentorship_id, title, status, progress, created_at, updated_at) VALUES(1, 1, "
               "'cy-secret-plan', 'open', 0, ", t, ", ", t, ");",
               "INSERT INTO audit(at, actor_id, action, entity, entity_id, fields) VALUES(1, 3, 'create', 'goal', 1, "
               "'[\"mentorship_id\",\"title\"]');"));
    env.openStore();
    auto roles = [&](std::int64_t id) {
        auto r = env.store->read([&](ReadTx& tx) -> Result<Json> { return (*tx.get(Entity::kPerson, id).value())["roles"]; });
        return r ? *r : Json();
    };
    EXPECT_EQ(roles(1), Json({"program_manager", "administrator"}));
    EXPECT_EQ(roles(2), Json({"program_manager"}));
    // The server does not bootstrap another administrator.
    auto again = env.handlers->bootstrapAdmin("new@example.org:long-enough-password");
    ASSERT_TRUE(again);
    EXPECT_FALSE(again->has_value());
    // Erasing the mentor blanks the title they wrote before the migration.
    Principal admin = env.handlers->principalOf(1).value();
    ASSERT_TRUE(admin.admin);
    ASSERT_TRUE(env.handlers->remove(admin, Entity::kPerson, 3));
    auto goal = env.handlers->get(admin, Entity::kGoal, 1);
    ASSERT_TRUE(goal);
    EXPECT_EQ((*goal)["title"], "");
}

struct Org {
    Principal admin, m1, m2, mentor, mentee;
    std::int64_t p1 = 0, p2 = 0, mentorship = 0, mentorId = 0, menteeId = 0, m2Id = 0;
};

Org makeOrg(TestEnv& env) {
    Org o;
    o.admin = env.bootstrap();
    env.person(o.admin, "m1", {"program_manager"});
    o.m2Id = env.person(o.admin, "m2", {"program_manager"});
    o.m1 = env.principalFor("m1@example.org", "m1-password");
    o.m2 = env.principalFor("m2@example.org", "m2-password");
    o.p1 = env.must(env.handlers->create(o.m1, Entity::kProgram, Json{{"name", "P1"}}));
    o.p2 = env.must(env.handlers->create(o.m2, Entity::kProgram, Json{{"name", "P2"}}));
    auto in = [&](const char* name, const char* role) {
        return env.must(env.handlers->create(o.m1, Entity::kPerson,
                                             Json{{"name", name}, {"email", strCat(name, "@example.org")},
                                                  {"roles", {role}}, {"password", strCat(name, "-password")},
                                                  {"program_id", o.p1}}));
    };
    o.mentorId = in("ana", "mentor");
    o.menteeId = in("ben", "mentee");
    o.mentor = env.principalFor("ana@example.org", "ana-password");
    o.mentee = env.principalFor("ben@example.org", "ben-password");
    o.mentorship = env.must(env.handlers->create(o.m1, Entity::kMentorship,
                                                 Json{{"program_id", o.p1}, {"kind", "one_to_one"}, {"status", "active"},
                                                      {"mentors", {o.mentorId}}, {"mentees", {o.menteeId}}}));
    return o;
}

TEST(Scope, ManagersSeeAndChangeOnlyTheirProgramsPeopleAndNeverAnotherManagersAccount) {
    TestEnv env("scope");
    Org o = makeOrg(env);
    // Another program's manager sees none of P1's people, and cannot reset a password there.
    EXPECT_EQ(env.handlers->get(o.m2, Entity::kPerson, o.menteeId).error().status, 404);
    EXPECT_EQ(env.handlers->update(o.m2, Entity::kPerson, o.menteeId, Json{{"password", "taken-over-now"}}).error().status, 404);
    auto people = env.handlers->list(o.m2, Entity::kPerson, {});
    ASSERT_TRUE(people);
    for (const auto& p : (*people)["items"]) EXPECT_NE(p["id"], o.menteeId);
    // Their own manager may edit the profile but not set a password or roles.
    EXPECT_TRUE(env.handlers->update(o.m1, Entity::kPerson, o.menteeId, Json{{"time_zone", "UTC"}}));
    EXPECT_EQ(env.handlers->update(o.m1, Entity::kPerson, o.menteeId, Json{{"password", "set-by-manager"}}).error().field,
              "password");
    EXPECT_EQ(env.handlers->update(o.m1, Entity::kPerson, o.menteeId, Json{{"roles", {"program_manager"}}}).error().field,
              "roles");
    // The administrator grants roles and resets passwords; managers export and audit only their programs.
    EXPECT_TRUE(env.handlers->update(o.admin, Entity::kPerson, o.menteeId, Json{{"password", "reset-by-admin"}}));
    auto audit = env.handlers->auditLog(o.m2, {{"limit", "1000"}});
    ASSERT_TRUE(audit);
    for (const auto& e : (*audit)["items"]) {
        EXPECT_FALSE(e["entity"] == "mentorship" && e["entity_id"] == o.mentorship) << e.dump();
        EXPECT_FALSE(e["entity"] == "program" && e["entity_id"] == o.p1 && e["action"] == "create") << e.dump();
    }
    // P1's own manager reads the creates in P1, down to a goal its mentor
    // wrote (each audit row carries the program of the record's parent).
    const auto goal = env.must(env.handlers->create(o.mentor, Entity::kGoal,
                                                    Json{{"mentorship_id", o.mentorship}, {"title", "t"}}));
    auto own = env.handlers->auditLog(o.m1, {{"limit", "1000"}});
    ASSERT_TRUE(own);
    std::set<std::string> created;
    for (const auto& e : (*own)["items"]) {
        if (e["action"] == "create") created.insert(strCat(e["entity"].get<std::string>(), " ", e["entity_id"].dump()));
    }
    for (const std::string& want : {strCat("program ", o.p1), strCat("mentorship ", o.mentorship), strCat("goal ", goal)}) {
        EXPECT_TRUE(created.count(want)) << want << " missing from " << own->dump();
    }
    // A manager creates people only into their own programs, never managers.
    EXPECT_EQ(env.handlers->create(o.m2, Entity::kPerson, Json{{"name", "x"}, {"email", "x@x.org"}, {"roles", {"mentee"}},
                                                                {"program_id", o.p1}}).error().status, 400);
    EXPECT_EQ(env.handlers->create(o.m1, Entity::kPerson, Json{{"name", "x"}, {"email", "x@x.org"}, {"roles", {"mentee"}}})
                  .error().field, "program_id");
    EXPECT_EQ(env.handlers->create(o.m1, Entity::kPerson, Json{{"name", "x"}, {"email", "x@x.org"},
                                                                {"roles", {"program_manager"}}, {"program_id", o.p1}})
                  .error().status, 403);
    // A manager who may see another manager (a co-manager) still cannot change their account.
    ASSERT_TRUE(env.handlers->update(o.m2, Entity::kProgram, o.p2, Json{{"managers", {o.m2Id}}}));
    ASSERT_TRUE(env.handlers->update(o.admin, Entity::kProgram, o.p1, Json{{"managers", {o.m1.personId, o.m2Id}}}));
    EXPECT_EQ(env.handlers->update(o.m1, Entity::kPerson, o.m2Id, Json{{"name", "Mallory"}}).error().status, 403);
    EXPECT_EQ(env.handlers->remove(o.m1, Entity::kPerson, o.m2Id).error().status, 403);
}

TEST(Deletes, NeverDestroyARecordTheCallerMayNotRead) {
    TestEnv env("deletes");
    Org o = makeOrg(env);
    const auto session = env.must(env.handlers->create(
        o.mentee, Entity::kSession, Json{{"mentorship_id", o.mentorship}, {"scheduled_at", "2026-03-02T10:00:00Z"}}));
    const auto hidden = env.must(env.handlers->create(
        o.mentor, Entity::kFeedback,
        Json{{"session_id", session}, {"subject_id", o.menteeId}, {"rating_goal_progress", 2}, {"rating_communication", 2},
             {"rating_trust_respect", 3}, {"rating_usefulness", 2}, {"text", "for the managers"},
             {"visibility", "program_manager_only"}}));
    auto refused = env.handlers->remove(o.mentee, Entity::kSession, session);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().status, 409);
    EXPECT_NE(refused.error().message.find("feedback"), std::string::npos) << refused.error().message;
    EXPECT_TRUE(env.handlers->get(o.m1, Entity::kFeedback, hidden));
    // The mentor wrote it and may read it: their delete goes through.
    EXPECT_TRUE(env.handlers->remove(o.mentor, Entity::kSession, session));
    EXPECT_FALSE(env.handlers->get(o.m1, Entity::kFeedback, hidden));
}

TEST(RecordedSessions, ThePairWritesNotesButTimesAndAttendeesAreTheManagersAndTheServers) {
    TestEnv env("recorded");
    Org o = makeOrg(env);
    const auto id = env.must(env.handlers->create(
        Principal::serverItself(), Entity::kSession,
        Json{{"mentorship_id", o.mentorship}, {"scheduled_at", "2026-03-02T09:00:00Z"}, {"started_at", "2026-03-02T09:00:00Z"},
             {"attendees", {o.mentorId, o.menteeId}}, {"notes", "recorded from room presence"}}));
    EXPECT_EQ((*env.handlers->get(o.mentee, Entity::kSession, id))["source"], "room");
    EXPECT_TRUE(env.handlers->update(o.mentee, Entity::kSession, id, Json{{"notes", "we practised"}}));
    auto times = env.handlers->update(o.mentee, Entity::kSession, id, Json{{"ended_at", "2026-03-02T11:00:00Z"}});
    ASSERT_FALSE(times);
    EXPECT_EQ(times.error().status, 403);
    EXPECT_EQ(times.error().field, "ended_at");
    EXPECT_EQ(env.handlers->update(o.mentor, Entity::kSession, id, Json{{"attendees", {o.mentorId}}}).error().status, 403);
    EXPECT_EQ(env.handlers->remove(o.mentee, Entity::kSession, id).error().status, 403);
    EXPECT_TRUE(env.handlers->update(o.m1, Entity::kSession, id, Json{{"ended_at", "2026-03-02T10:00:00Z"}}));
    EXPECT_TRUE(env.handlers->update(Principal::serverItself(), Entity::kSession, id, Json{{"attendees", {o.menteeId}}}));
    // Nobody else can claim a session came from the room.
    EXPECT_EQ(env.handlers->create(o.mentee, Entity::kSession, Json{{"mentorship_id", o.mentorship},
                                                                     {"scheduled_at", "2026-03-02T09:00:00Z"},
                                                                     {"source", "room"}}).error().field, "source");
}

TEST(Erasure, LeavesNoneOfWhatThePersonWroteInTheDatabaseOrWalFilesAndExportsSaySo) {
    TestEnv env("erase");
    Org o = makeOrg(env);
    const std::vector<std::string> secrets = {"ben-goal-title-7Q", "ben-agenda-8R", "ben-notes-9S", "ben-feedback-0T",
                                              "ben-milestone-1U", "ben@example.org"};
    const auto goal = env.must(env.handlers->create(o.mentee, Entity::kGoal,
                                                    Json{{"mentorship_id", o.mentorship}, {"title", secrets[0]}}));
    env.must(env.handlers->create(o.mentee, Entity::kMilestone, Json{{"goal_id", goal}, {"title", secrets[4]}}));
    const auto session = env.must(env.handlers->create(
        o.mentee, Entity::kSession, Json{{"mentorship_id", o.mentorship}, {"scheduled_at", "2026-03-02T10:00:00Z"},
                                         {"agenda", secrets[1]}, {"notes", secrets[2]}}));
    env.must(env.handlers->create(o.mentee, Entity::kFeedback,
                                  Json{{"session_id", session}, {"subject_id", o.mentorId}, {"rating_goal_progress", 4},
                                       {"rating_communication", 4}, {"rating_trust_respect", 4}, {"rating_usefulness", 4},
                                       {"text", secrets[3]}}));
    // The mentor's later edit of the agenda makes it theirs: it stays.
    ASSERT_TRUE(env.handlers->update(o.mentor, Entity::kSession, session, Json{{"agenda", "ana-agenda-kept"}}));
    auto files = [&] { return fileBytes(env.dir / "mentorxr.db") + fileBytes(env.dir / "mentorxr.db-wal"); };
    const std::string before = files();
    for (const auto& s : secrets) {
        if (s != secrets[1]) {
            EXPECT_NE(before.find(s), std::string::npos) << s << " should be on disk before erasure";
        }
    }
    ASSERT_TRUE(env.handlers->remove(o.m1, Entity::kPerson, o.menteeId));
    const std::string after = files();
    for (const auto& s : secrets) EXPECT_EQ(after.find(s), std::string::npos) << s << " is still on disk";
    EXPECT_NE(after.find("ana-agenda-kept"), std::string::npos);
    auto exported = env.handlers->exportData(o.m1, {{"format", "json"}});
    ASSERT_TRUE(exported);
    EXPECT_EQ((*exported)["goals"][0]["erased"], Json({"title"}));
    EXPECT_EQ((*exported)["sessions"][0]["erased"], Json({"notes"}));
    EXPECT_EQ((*exported)["sessions"][0]["agenda"], "ana-agenda-kept");
    EXPECT_EQ((*exported)["feedback"][0]["erased"], Json({"text"}));
    auto csv = env.handlers->exportData(o.m1, {{"format", "csv"}});
    ASSERT_TRUE(csv);
    EXPECT_NE(csv->get<std::string>().find(",erased\r\n"), std::string::npos);
}

TEST(Idempotency, ARetriedWriteIsAppliedOnceOverTheRouterAndAKeyCannotBeReusedForAnotherRequest) {
    TestEnv env("idem");
    Org o = makeOrg(env);
    Router router(*env.handlers, nullptr);
    const std::string token = env.tokenFor("ana@example.org", "ana-password");
    RouterRequest req;
    req.method = "POST";
    req.path = "/goals";
    req.body = Json{{"mentorship_id", o.mentorship}, {"title", "once"}}.dump();
    req.authorization = "Bearer " + token;
    req.idempotencyKey = "goal-1";
    const RouterReply first = router.handle(req);
    ASSERT_EQ(first.status, 201) << first.body.dump();
    const RouterReply retry = router.handle(req);
    EXPECT_EQ(retry.status, 201);
    EXPECT_EQ(retry.body["id"], first.body["id"]);
    auto goals = env.handlers->list(o.mentor, Entity::kGoal, {{"mentorship_id", std::to_string(o.mentorship)}});
    EXPECT_EQ((*goals)["items"].size(), 1u);
    // Another person's same key is theirs alone.
    RouterRequest other = req;
    other.authorization = "Bearer " + env.tokenFor("ben@example.org", "ben-password");
    EXPECT_EQ(router.handle(other).status, 201);
    RouterRequest changed = req;
    changed.body = Json{{"mentorship_id", o.mentorship}, {"title", "twice"}}.dump();
    EXPECT_EQ(router.handle(changed).status, 422);
    // Over ENet the same router answers, with the key as a field.
    RouterRequest enet = req;
    enet.authorization.clear();
    enet.principal = o.mentor;
    enet.transport = Transport::kEnet;
    EXPECT_EQ(router.handle(enet).body["id"], first.body["id"]);
    // Kept 24 hours: a day later the key is a new request.
    env.wall.advance(kIdempotencyKeySeconds + 1);
    EXPECT_NE(router.handle(enet).body["id"], first.body["id"]);
}

}  // namespace
}  // namespace mxr::server::test
