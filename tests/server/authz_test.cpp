// The authorization matrix, generated from the access layer's declarations
// (accessRules(), one per entity and variant): every declaration x verb x
// relation of the caller to the record. Each cell runs through the router
// with a real bearer token (as HTTP and ENet do) and checks the status and
// what a later read shows: an allowed change is visible, a refused one
// changed nothing, a refused create created nothing.
//
// Relations: member (of the record's mentorship / sharing it with the
// person / belonging to the program), another pair's member (same program),
// the own program's manager, another program's manager, an administrator, a
// guest (no token) and an erased person (their token from before erasure).
// A declaration without a fixture here fails the test; an entity without a
// declaration fails the build (access.cpp).
#include <algorithm>
#include <functional>
#include <set>
#include <map>

#include "../../server/src/access.h"
#include "../../server/src/scheduling.h"
#include "server/router.h"
#include "test_env.h"

namespace mxr::server::test {
namespace {

enum Relation { kMember, kOtherPair, kOwnManager, kOtherManager, kAdministrator, kGuest, kErased, kRelationCount };
const char* const kRelationNames[] = {"member", "other pair's member", "own program's manager",
                                      "other program's manager", "administrator", "guest", "erased person"};

struct Fixture {
    std::function<std::int64_t()> make;             // a fresh record, same relations as every other
    std::function<Json(Relation)> createBody;       // null: not creatable by clients
    Json patch;                                     // an allowed-looking change for update
    std::map<std::string, Json> guardPatches;       // per guarded field
    std::function<std::string()> listPath;          // the list that should contain the record
    std::function<RelSet(Relation)> createRelations;  // the caller's relations to the parent (default: as to the record)
};

class AuthzMatrix : public ::testing::Test {
protected:
    void SetUp() override {
        admin = env.bootstrap();
        router = std::make_unique<Router>(*env.handlers, nullptr);
        adminToken = env.tokenFor("admin@example.org", "adminpassword");
        env.person(admin, "m1", {"program_manager"});
        env.person(admin, "m2", {"program_manager"});
        tokens[kOwnManager] = env.tokenFor("m1@example.org", "m1-password");
        tokens[kOtherManager] = env.tokenFor("m2@example.org", "m2-password");
        tokens[kAdministrator] = adminToken;
        const Principal pm1 = env.principalFor("m1@example.org", "m1-password");
        const Principal pm2 = env.principalFor("m2@example.org", "m2-password");
        p1 = env.must(env.handlers->create(pm1, Entity::kProgram, Json{{"name", "P1"}}));
        env.must(env.handlers->create(pm2, Entity::kProgram, Json{{"name", "P2"}}));
        auto inP1 = [&](const std::string& name, const char* role) {
            return env.must(env.handlers->create(pm1, Entity::kPerson,
                                                 Json{{"name", name}, {"email", name + "@example.org"},
                                                      {"roles", {role}}, {"password", name + "-password"},
                                                      {"program_id", p1}}));
        };
        a1 = inP1("a1", "mentor");
        a2 = inP1("a2", "mentee");
        b1 = inP1("b1", "mentor");
        const auto b2 = inP1("b2", "mentee");
        const auto e1 = inP1("e1", "mentee");
        tokens[kMember] = env.tokenFor("a2@example.org", "a2-password");
        tokens[kOtherPair] = env.tokenFor("b1@example.org", "b1-password");
        tokens[kErased] = env.tokenFor("e1@example.org", "e1-password");
        author = env.principalFor("a1@example.org", "a1-password");
        manager = pm1;
        mentorshipA = env.must(env.handlers->create(
            pm1, Entity::kMentorship,
            Json{{"program_id", p1}, {"kind", "group"}, {"status", "active"}, {"mentors", {a1}}, {"mentees", {a2, e1}}}));
        env.must(env.handlers->create(pm1, Entity::kMentorship,
                                      Json{{"program_id", p1}, {"kind", "one_to_one"}, {"mentors", {b1}}, {"mentees", {b2}}}));
        goal = newGoal();
        session = newSession();
        procedure = newProcedure();
        step = newStep();
        env.must(env.handlers->remove(admin, Entity::kPerson, e1));
        fixtures = makeFixtures();
    }

    std::int64_t newGoal() {
        return env.must(env.handlers->create(author, Entity::kGoal, Json{{"mentorship_id", mentorshipA}, {"title", "g"}}));
    }
    std::int64_t newSession() {
        return env.must(env.handlers->create(author, Entity::kSession,
                                             Json{{"mentorship_id", mentorshipA}, {"scheduled_at", "2026-03-02T10:00:00Z"}}));
    }
    std::int64_t newProcedure() {
        return env.must(env.handlers->create(author, Entity::kProcedure,
                                             Json{{"mentorship_id", mentorshipA}, {"title", "p"}, {"goal_id", goal}}));
    }
    std::int64_t newStep() {
        return env.must(env.handlers->create(author, Entity::kProcedureStep,
                                             Json{{"procedure_id", procedure}, {"position", 1}, {"title", "s"}}));
    }
    std::int64_t newFeedback(const std::string& visibility) {
        return env.must(env.handlers->create(author, Entity::kFeedback, feedbackBody(a2, visibility)));
    }
    Json feedbackBody(std::int64_t subject, const std::string& visibility) {
        return Json{{"session_id", session}, {"subject_id", subject}, {"rating_goal_progress", 4},
                    {"rating_communication", 5}, {"rating_trust_respect", 5}, {"rating_usefulness", 3},
                    {"text", "helpful"}, {"visibility", visibility}};
    }
    // A person in program P1 who shares a mentorship with the member.
    std::int64_t newPersonInA(const Json& roles) {
        const std::string name = "t" + std::to_string(++counter);
        const auto id = env.must(env.handlers->create(
            admin, Entity::kPerson,
            Json{{"name", name}, {"email", name + "@example.org"}, {"roles", roles}, {"program_id", p1}}));
        // A mentorship of their own with the member, so the member shares one.
        env.must(env.handlers->create(manager, Entity::kMentorship,
                                      Json{{"program_id", p1}, {"kind", "group"}, {"mentors", {id}}, {"mentees", {a2}}}));
        return id;
    }

    std::map<std::pair<Entity, std::string>, Fixture> makeFixtures() {
        std::map<std::pair<Entity, std::string>, Fixture> f;
        const std::string ms = std::to_string(mentorshipA);
        auto personBody = [this](const Json& roles) {
            return [this, roles](Relation r) {
                return Json{{"name", "n"}, {"email", "new" + std::to_string(++counter) + std::to_string(r) + "@x.org"},
                            {"roles", roles}, {"program_id", p1}};
            };
        };
        auto programRoles = [](Relation r) -> RelSet {
            return r == kOwnManager || r == kOtherManager ? rel::kManager : r == kAdministrator ? rel::kAdmin : 0;
        };
        f[{Entity::kPerson, ""}] = {[this] { return newPersonInA({"mentor"}); }, personBody({"mentee"}),
                                    Json{{"time_zone", "Europe/Berlin"}},
                                    {{"roles", Json{{"roles", {"mentor", "mentee"}}}},
                                     {"password", Json{{"password", "a-new-password"}}}},
                                    [] { return std::string("/people?limit=1000"); }, nullptr};
        f[{Entity::kPerson, "manager"}] = {[this] { return newPersonInA({"program_manager", "mentor"}); },
                                           personBody({"program_manager"}), Json{{"time_zone", "Europe/Berlin"}},
                                           {{"roles", Json{{"roles", {"mentor"}}}},
                                            {"password", Json{{"password", "a-new-password"}}}},
                                           [] { return std::string("/people?limit=1000"); }, nullptr};
        f[{Entity::kProgram, ""}] = {
            [this] {
                return env.must(env.handlers->create(manager, Entity::kProgram,
                                                     Json{{"name", "tmp"}, {"members", {a2, b1}}}));
            },
            [](Relation) { return Json{{"name", "x"}}; }, Json{{"description", "changed"}}, {},
            [] { return std::string("/programs?limit=1000"); }, programRoles};
        f[{Entity::kMentorship, ""}] = {
            [this] {
                return env.must(env.handlers->create(manager, Entity::kMentorship,
                                                     Json{{"program_id", p1}, {"kind", "group"}, {"mentors", {a1}},
                                                          {"mentees", {a2}}}));
            },
            [this](Relation) { return Json{{"program_id", p1}, {"kind", "peer"}, {"mentors", {a1}}}; },
            Json{{"status", "paused"}}, {}, [this] { return "/mentorships?program_id=" + std::to_string(p1); },
            nullptr};
        f[{Entity::kGoal, ""}] = {[this] { return newGoal(); },
                                  [this](Relation) { return Json{{"mentorship_id", mentorshipA}, {"title", "t"}}; },
                                  Json{{"progress", 40}}, {}, [ms] { return "/goals?mentorship_id=" + ms; }, nullptr};
        f[{Entity::kMilestone, ""}] = {
            [this] {
                return env.must(env.handlers->create(author, Entity::kMilestone, Json{{"goal_id", goal}, {"title", "m"}}));
            },
            [this](Relation) { return Json{{"goal_id", goal}, {"title", "t"}}; }, Json{{"title", "changed"}}, {},
            [this] { return "/milestones?goal_id=" + std::to_string(goal); }, nullptr};
        f[{Entity::kSession, ""}] = {
            [this] { return newSession(); },
            [this](Relation) { return Json{{"mentorship_id", mentorshipA}, {"scheduled_at", "2026-03-03T10:00:00Z"}}; },
            Json{{"agenda", "changed"}}, {}, [ms] { return "/sessions?mentorship_id=" + ms; }, nullptr};
        f[{Entity::kSession, "room"}] = {
            [this] {
                return env.must(env.handlers->create(
                    Principal::serverItself(), Entity::kSession,
                    Json{{"mentorship_id", mentorshipA}, {"scheduled_at", "2026-03-02T09:00:00Z"},
                         {"started_at", "2026-03-02T09:00:00Z"}, {"ended_at", "2026-03-02T10:00:00Z"},
                         {"attendees", {a1, a2}}, {"notes", "recorded from room presence"}}));
            },
            nullptr, Json{{"notes", "we practised"}},
            {{"scheduled_at", Json{{"scheduled_at", "2026-03-02T08:00:00Z"}}},
             {"started_at", Json{{"started_at", "2026-03-02T08:30:00Z"}}},
             {"ended_at", Json{{"ended_at", "2026-03-02T11:00:00Z"}}},
             {"attendees", Json{{"attendees", {a1}}}}},
            [ms] { return "/sessions?mentorship_id=" + ms; }, nullptr};
        // Matching proposals (issue 18): a fresh batch of the whole pool each time.
        f[{Entity::kMatchProposal, ""}] = {
            [this] {
                auto r = env.handlers->proposeMatches(manager, p1, Json{{"keep_existing", false}});
                EXPECT_TRUE(r && !(*r)["pairs"].empty()) << (r ? r->dump() : r.error().message);
                return r && !(*r)["pairs"].empty() ? (*r)["pairs"][0]["id"].get<std::int64_t>() : 0;
            },
            nullptr, Json{{"decision", "rejected"}}, {},
            [this] { return "/match_proposals?program_id=" + std::to_string(p1); }, nullptr};
        for (const std::string visibility : {"pair", "program_manager_only"}) {
            f[{Entity::kFeedback, visibility}] = {
                [this, visibility] { return newFeedback(visibility); },
                [this, visibility](Relation r) { return feedbackBody(r == kMember ? a1 : a2, visibility); },
                Json{{"text", "changed"}}, {}, [this] { return "/feedback?session_id=" + std::to_string(session); },
                nullptr};
        }
        f[{Entity::kProcedure, ""}] = {
            [this] { return newProcedure(); },
            [this](Relation) { return Json{{"mentorship_id", mentorshipA}, {"title", "t"}}; },
            Json{{"title", "changed"}}, {}, [ms] { return "/procedures?mentorship_id=" + ms; }, nullptr};
        f[{Entity::kProcedureStep, ""}] = {
            [this] { return newStep(); },
            [this](Relation) { return Json{{"procedure_id", procedure}, {"position", 2}, {"title", "t"}}; },
            Json{{"instruction", "changed"}}, {},
            [this] { return "/procedure_steps?procedure_id=" + std::to_string(procedure); }, nullptr};
        // Completions are the author's (a1, who made the fixture records):
        // the member the matrix calls with is a2, who may create and read
        // them but not take back a1's.
        f[{Entity::kStepCompletion, ""}] = {
            [this] {
                return env.must(env.handlers->create(author, Entity::kStepCompletion,
                                                     Json{{"step_id", step}, {"seconds_taken", 42}}));
            },
            [this](Relation) { return Json{{"step_id", step}, {"seconds_taken", 7}}; },
            Json{{"seconds_taken", 8}}, {},
            [this] { return "/step_completions?step_id=" + std::to_string(step); }, nullptr};
        return f;
    }

    // The test's own statement of each caller's relations to a fixture
    // record (independent of how the server computes them).
    static RelSet relationsOf(Relation r, Entity e) {
        switch (r) {
            case kMember: return rel::kMember;
            case kOtherPair: return e == Entity::kProgram ? rel::kMember | rel::kProgramMember : rel::kProgramMember;
            case kOwnManager: return rel::kManager;
            case kAdministrator: return rel::kAdmin;
            default: return 0;
        }
    }

    RouterReply call(Relation r, const std::string& method, const std::string& path, const Json& body = Json()) {
        return callAs(r == kGuest ? std::string() : tokens[r], method, path, body);
    }
    // token "": no Authorization header.
    RouterReply callAs(const std::string& token, const std::string& method, const std::string& path,
                       const Json& body = Json()) {
        RouterRequest req;
        req.method = method;
        const auto q = path.find('?');
        req.path = path.substr(0, q);
        if (q != std::string::npos) {
            std::string rest = path.substr(q + 1);
            while (!rest.empty()) {
                const auto amp = rest.find('&');
                const std::string kv = rest.substr(0, amp);
                const auto eq = kv.find('=');
                req.query[kv.substr(0, eq)] = eq == std::string::npos ? "" : kv.substr(eq + 1);
                rest = amp == std::string::npos ? "" : rest.substr(amp + 1);
            }
        }
        req.body = body.is_null() ? "" : body.dump();
        if (!token.empty()) req.authorization = "Bearer " + token;
        return router->handle(req);
    }

    Json stored(Entity e, std::int64_t id) {
        auto rec = env.store->read([&](ReadTx& tx) -> Result<Json> {
            MXR_TRY_ASSIGN(auto x, tx.get(e, id));
            return x ? *x : Json();
        });
        return rec ? *rec : Json();
    }

    TestEnv env{"authz"};
    std::unique_ptr<Router> router;
    Principal admin, author, manager;
    std::string adminToken;
    std::array<std::string, kRelationCount> tokens;
    std::int64_t p1 = 0, a1 = 0, a2 = 0, b1 = 0, mentorshipA = 0, goal = 0, session = 0, procedure = 0, step = 0;
    int counter = 0;
    std::map<std::pair<Entity, std::string>, Fixture> fixtures;
};

TEST_F(AuthzMatrix, EveryDeclarationVerbAndRelation) {
    int cells = 0;
    for (const AccessRule& rule : accessRules()) {
        const std::string name = strCat(spec(rule.entity).name, rule.variant.empty() ? "" : "(", rule.variant,
                                        rule.variant.empty() ? "" : ")");
        auto it = fixtures.find({rule.entity, std::string(rule.variant)});
        if (it == fixtures.end()) {
            ADD_FAILURE() << "no fixture for the access rules of " << name << ": add one to authz_test.cpp";
            continue;
        }
        const Fixture& fx = it->second;
        const std::string base = strCat("/", spec(rule.entity).plural, "/");
        const std::int64_t shared = fx.make();
        for (int ri = 0; ri < kRelationCount; ++ri) {
            const auto r = static_cast<Relation>(ri);
            const std::string who = strCat(name, " as ", kRelationNames[r]);
            const bool unauth = r == kGuest || r == kErased;
            const RelSet rels = relationsOf(r, rule.entity);
            const bool readable = (rels & rule.read) != 0;
            auto expect = [&](const char* verb, int got, int want) {
                ++cells;
                EXPECT_EQ(got, unauth ? 401 : want) << verb << " " << who;
            };
            // read
            {
                auto got = call(r, "GET", base + std::to_string(shared));
                expect("read", got.status, readable ? 200 : 404);
                if (got.status == 200) {
                    EXPECT_EQ(got.body["id"], shared) << who;
                }
            }
            // list: the record is listed exactly when it is readable (404 when its parent is not)
            {
                auto got = call(r, "GET", fx.listPath());
                bool listed = false;
                if (got.status == 200) {
                    for (const auto& item : got.body["items"]) listed = listed || item["id"] == shared;
                    EXPECT_EQ(listed, readable) << "list " << who;
                }
                const bool mentorshipReadable =
                    (relationsOf(r, Entity::kMentorship) & ruleFor(Entity::kMentorship, Json::object()).read) != 0;
                // Mentorships and match proposals are listed under their program.
                const bool underProgram = rule.entity == Entity::kMentorship || rule.entity == Entity::kMatchProposal;
                const bool parentReadable = rule.entity == Entity::kPerson || rule.entity == Entity::kProgram ||
                                            (underProgram ? r != kOtherManager : mentorshipReadable);
                expect("list", got.status, parentReadable ? 200 : 404);
            }
            // create
            if (fx.createBody) {
                const RelSet parentRels = fx.createRelations ? fx.createRelations(r) : rels;
                const bool parentVisible =
                    rule.entity == Entity::kProgram ||
                    (rule.entity == Entity::kPerson || rule.entity == Entity::kMentorship
                         ? r != kOtherManager
                         : (rels & ruleFor(Entity::kMentorship, Json::object()).read) != 0);
                const int want = (parentRels & rule.create) ? 201 : parentVisible ? 403 : 400;
                auto got = call(r, "POST", strCat("/", spec(rule.entity).plural), fx.createBody(r));
                expect("create", got.status, want);
                if (got.status == 201) {
                    EXPECT_FALSE(stored(rule.entity, got.body["id"].get<std::int64_t>()).is_null()) << who;
                }
            }
            // update, and each guarded field
            std::vector<std::pair<std::string, Json>> patches{{"update", fx.patch}};
            for (const auto& [field, patch] : fx.guardPatches) patches.emplace_back("update " + field, patch);
            for (const auto& [verb, patch] : patches) {
                const std::int64_t id = fx.make();
                const Json before = stored(rule.entity, id);
                RelSet needed = rule.update;
                bool guardOk = true;
                for (const auto& g : rule.guards) {
                    if (patch.contains(g.field)) guardOk = guardOk && (rels & g.who);
                }
                const int want = !readable ? 404 : !(rels & needed) || !guardOk ? 403 : 200;
                auto got = call(r, "PATCH", base + std::to_string(id), patch);
                expect(verb.c_str(), got.status, want);
                const Json after = stored(rule.entity, id);
                if (got.status == 200) {
                    const std::string field = patch.begin().key();
                    if (field != "password") {
                        EXPECT_EQ(after[field], patch.begin().value()) << verb << " " << who;
                    }
                } else {
                    EXPECT_EQ(after, before) << verb << " " << who << " changed the record although refused";
                }
            }
            // delete (erasure for people)
            {
                const std::int64_t id = fx.make();
                const int want = !readable ? 404 : (rels & rule.remove) ? 200 : 403;
                auto got = call(r, "DELETE", base + std::to_string(id));
                expect("delete", got.status, want);
                const Json after = stored(rule.entity, id);
                if (rule.entity == Entity::kPerson) {
                    EXPECT_EQ(after["erased_at"].is_null(), got.status != 200) << "delete " << who;
                } else {
                    EXPECT_EQ(after.is_null(), got.status == 200) << "delete " << who;
                }
            }
        }
    }
    std::printf("authorization matrix: %d cells over %zu declarations\n", cells, accessRules().size());
    EXPECT_GT(cells, 300);
}

// The matching endpoints that are not record verbs (issue 18): propose for
// a program and read a proposal are the program's managers' (the create and
// read rules of match_proposal); a plain POST to the collection is no route.
TEST_F(AuthzMatrix, MatchingProposalEndpoints) {
    const RelSet create = ruleFor(Entity::kMatchProposal, Json::object()).create;
    const RelSet read = ruleFor(Entity::kMatchProposal, Json::object()).read;
    const std::string path = "/programs/" + std::to_string(p1) + "/proposals";
    int cells = 0;
    for (int ri = 0; ri < kRelationCount; ++ri) {
        const auto r = static_cast<Relation>(ri);
        const bool unauth = r == kGuest || r == kErased;
        // The caller's relation to the program (the parent of proposals).
        const RelSet rels = relationsOf(r, Entity::kProgram);
        const bool programVisible = r != kOtherManager;
        auto want = [&](RelSet who, int ok) { return unauth ? 401 : (rels & who) ? ok : programVisible ? 403 : 404; };
        auto made = call(r, "POST", path, Json{{"keep_existing", false}});
        EXPECT_EQ(made.status, want(create, 201)) << "propose as " << kRelationNames[r] << ": " << made.body.dump();
        auto got = call(r, "GET", path);
        EXPECT_EQ(got.status, want(read, 200)) << "read proposal as " << kRelationNames[r];
        if (got.status == 200) {
            EXPECT_FALSE(got.body["pairs"].empty());
        }
        auto plain = call(r, "POST", "/match_proposals", Json{{"program_id", p1}});
        EXPECT_EQ(plain.status, unauth ? 401 : 405) << kRelationNames[r];
        cells += 3;
    }
    EXPECT_EQ(cells, 3 * kRelationCount);
}

// The endpoints of issue 18 that are not plain record verbs (and the
// matching profile, which is the person record), cell by cell: the status
// each caller gets, stated here independently of the declarations, and what
// a later read shows (a refused call changed nothing). Callers: the
// mentorship's mentor (a1) and mentee (a2), a member of another pair in the
// same program (b1), the program's manager, another program's manager, an
// administrator, a guest and an erased person. Every declared action
// (actionRules()) must have a row.
TEST_F(AuthzMatrix, SchedulingAndMatchingEndpoints) {
    enum Caller { kMentor, kMentee, kOther, kOwnMgr, kOtherMgr, kAdmin, kNobody, kGone, kCallers };
    const char* const callerNames[] = {"mentor", "mentee", "other pair's member", "own program's manager",
                                       "other program's manager", "administrator", "guest", "erased person"};
    const std::array<std::string, kCallers> token{env.tokenFor("a1@example.org", "a1-password"), tokens[kMember],
                                                   tokens[kOtherPair], tokens[kOwnManager], tokens[kOtherManager],
                                                   tokens[kAdministrator], std::string(), tokens[kErased]};
    struct Call {
        std::string method, path;
        Json body;
        std::function<void(const RouterReply&, const std::string&)> verify;  // what a later read shows
    };
    struct Row {
        std::string endpoint;
        std::optional<Action> action;  // the declaration the row covers, if any
        std::array<int, kCallers> want;
        std::function<Call()> prepare;  // a fresh target per cell
    };
    const std::string a2Path = "/people/" + std::to_string(a2);
    const auto sessionCount = [this] {
        auto all = env.store->read([&](ReadTx& tx) -> Result<Json> {
            MXR_TRY_ASSIGN(auto rows, tx.list(Entity::kSession, ListQuery{"mentorship_id", mentorshipA, 0, 1000}));
            return Json(rows.size());
        });
        return all ? all->get<std::size_t>() : 0u;
    };
    const auto ownFeed = [this] {
        auto made = env.handlers->createCalendarFeed(env.principalFor("a2@example.org", "a2-password"), a2);
        EXPECT_TRUE(made) << (made ? "" : made.error().message);
        return made ? made->at("path").get<std::string>().substr(std::string("/api/v1").size()) : std::string();
    };
    const auto feedWorks = [this](const std::string& path) { return callAs("", "GET", path).status == 200; };
    const auto roomSession = [this] {
        return env.must(env.handlers->create(
            Principal::serverItself(), Entity::kSession,
            Json{{"mentorship_id", mentorshipA}, {"scheduled_at", "2026-03-02T09:00:00Z"},
                 {"started_at", "2026-03-02T09:00:00Z"}, {"attendees", {a1, a2}}}));
    };
    const auto latestBatch = [this] {
        auto r = env.handlers->readProposal(admin, p1, {});
        return r && r->contains("batch") ? (*r)["batch"].get<std::int64_t>() : 0;
    };
    //                                     mentor mentee other ownMgr otherMgr admin guest erased
    const std::vector<Row> rows = {
        {"POST /mentorships/{id}/schedule", Action::kScheduleSeries, {201, 201, 404, 403, 404, 403, 401, 401}, [&] {
             const std::size_t before = sessionCount();
             return Call{"POST", "/mentorships/" + std::to_string(mentorshipA) + "/schedule",
                         Json{{"start", "2026-04-06T18:00"}, {"time_zone", "Europe/Berlin"},
                              {"rrule", "FREQ=WEEKLY;COUNT=2"}},
                         [&, before](const RouterReply& got, const std::string& who) {
                             EXPECT_EQ(sessionCount(), before + (got.status == 201 ? 2 : 0)) << who;
                         }};
         }},
        {"GET /people/{id}/calendar.ics", Action::kCalendar, {404, 200, 404, 404, 404, 200, 401, 401}, [&] {
             return Call{"GET", a2Path + "/calendar.ics", Json(), [](const RouterReply& got, const std::string& who) {
                             if (got.status == 200) {
                                 EXPECT_TRUE(sched::parseICalendar(got.text)) << who;
                             } else {
                                 EXPECT_TRUE(got.text.empty()) << who;
                             }
                         }};
         }},
        {"POST /people/{id}/calendar_feed", Action::kCalendar, {404, 201, 404, 404, 404, 201, 401, 401}, [&] {
             const std::string old = ownFeed();
             return Call{"POST", a2Path + "/calendar_feed", Json(),
                         [&, old](const RouterReply& got, const std::string& who) {
                             // A new secret replaces the old one only when made.
                             EXPECT_EQ(feedWorks(old), got.status != 201) << who;
                             if (got.status == 201) {
                                 EXPECT_TRUE(feedWorks(got.body["path"].get<std::string>().substr(7))) << who;
                             } else {
                                 EXPECT_FALSE(got.body.contains("path")) << who;
                             }
                         }};
         }},
        {"DELETE /people/{id}/calendar_feed", Action::kCalendar, {404, 200, 404, 404, 404, 200, 401, 401}, [&] {
             const std::string old = ownFeed();
             return Call{"DELETE", a2Path + "/calendar_feed", Json(),
                         [&, old](const RouterReply& got, const std::string& who) {
                             EXPECT_EQ(feedWorks(old), got.status != 200) << who;
                         }};
         }},
        // The secret is the credential: whoever holds it (a token or none) reads it.
        {"GET /calendar/<secret>.ics", std::nullopt, {200, 200, 200, 200, 200, 200, 200, 200}, [&] {
             return Call{"GET", ownFeed(), Json(), [](const RouterReply& got, const std::string& who) {
                             auto events = sched::parseICalendar(got.text);
                             EXPECT_TRUE(events) << who;
                         }};
         }},
        {"GET /calendar/<revoked secret>.ics", std::nullopt, {404, 404, 404, 404, 404, 404, 404, 404}, [&] {
             const std::string path = ownFeed();
             EXPECT_TRUE(env.handlers->revokeCalendarFeed(admin, a2));
             return Call{"GET", path, Json(), [](const RouterReply& got, const std::string& who) {
                             EXPECT_EQ(got.body["error"]["message"], "no such calendar") << who;
                         }};
         }},
        {"GET /calendar/<unknown secret>.ics", std::nullopt, {404, 404, 404, 404, 404, 404, 404, 404}, [&] {
             return Call{"GET", "/calendar/" + std::string(64, '0') + ".ics", Json(),
                         [](const RouterReply& got, const std::string& who) { EXPECT_TRUE(got.text.empty()) << who; }};
         }},
        {"POST /sessions/{id}/cancel", std::nullopt, {200, 200, 404, 403, 404, 403, 401, 401}, [&] {
             const auto id = newSession();
             return Call{"POST", "/sessions/" + std::to_string(id) + "/cancel", Json{{"reason", "ill"}},
                         [&, id](const RouterReply& got, const std::string& who) {
                             const Json after = stored(Entity::kSession, id);
                             EXPECT_EQ(after["status"] == "cancelled", got.status == 200) << who;
                             EXPECT_EQ(after["sequence"], got.status == 200 ? 1 : 0) << who;
                         }};
         }},
        {"POST /sessions/{id}/reschedule", std::nullopt, {200, 200, 404, 403, 404, 403, 401, 401}, [&] {
             const auto id = newSession();
             return Call{"POST", "/sessions/" + std::to_string(id) + "/reschedule",
                         Json{{"scheduled_at", "2026-03-09T10:00:00Z"}, {"reason", "booth booked"}},
                         [&, id](const RouterReply& got, const std::string& who) {
                             const Json after = stored(Entity::kSession, id);
                             EXPECT_EQ(after["scheduled_at"] == "2026-03-09T10:00:00Z", got.status == 200) << who;
                         }};
         }},
        // A meeting recorded in the room: its times are the managers', and
        // who may not change it hears that before hearing it took place.
        {"POST /sessions/{id}/reschedule (room)", std::nullopt, {403, 403, 404, 409, 404, 403, 401, 401}, [&] {
             const auto id = roomSession();
             return Call{"POST", "/sessions/" + std::to_string(id) + "/reschedule",
                         Json{{"scheduled_at", "2026-03-09T10:00:00Z"}, {"reason", "x"}},
                         [&, id](const RouterReply&, const std::string& who) {
                             EXPECT_EQ(stored(Entity::kSession, id)["scheduled_at"], "2026-03-02T09:00:00Z") << who;
                         }};
         }},
        {"PATCH /sessions/{id} scheduled_at", std::nullopt, {200, 200, 404, 403, 404, 403, 401, 401}, [&] {
             const auto id = newSession();
             return Call{"PATCH", "/sessions/" + std::to_string(id),
                         Json{{"scheduled_at", "2026-03-09T10:00:00Z"}, {"change_reason", "moved"}},
                         [&, id](const RouterReply& got, const std::string& who) {
                             EXPECT_EQ(stored(Entity::kSession, id)["sequence"], got.status == 200 ? 1 : 0) << who;
                         }};
         }},
        {"POST /programs/{id}/proposals", std::nullopt, {403, 403, 403, 201, 404, 201, 401, 401}, [&] {
             const auto before = latestBatch();
             return Call{"POST", "/programs/" + std::to_string(p1) + "/proposals", Json{{"keep_existing", false}},
                         [&, before](const RouterReply& got, const std::string& who) {
                             EXPECT_EQ(latestBatch(), before + (got.status == 201 ? 1 : 0)) << who;
                         }};
         }},
        {"GET /programs/{id}/proposals", std::nullopt, {403, 403, 403, 200, 404, 200, 401, 401}, [&] {
             return Call{"GET", "/programs/" + std::to_string(p1) + "/proposals", Json(),
                         [](const RouterReply& got, const std::string& who) {
                             EXPECT_EQ(got.body.contains("pairs"), got.status == 200) << who;
                         }};
         }},
        {"PATCH /match_proposals/{id}", std::nullopt, {404, 404, 404, 200, 404, 200, 401, 401}, [&] {
             const auto id = fixtures.at({Entity::kMatchProposal, ""}).make();
             return Call{"PATCH", "/match_proposals/" + std::to_string(id), Json{{"decision", "rejected"}},
                         [&, id](const RouterReply& got, const std::string& who) {
                             EXPECT_EQ(stored(Entity::kMatchProposal, id)["decision"] == "rejected", got.status == 200)
                                 << who;
                         }};
         }},
        // The matching profile is the person record's (a2, the mentee).
        {"GET /people/{id} (matching profile)", std::nullopt, {200, 200, 404, 200, 404, 200, 401, 401}, [&] {
             env.must(env.handlers->update(admin, Entity::kPerson, a2,
                                           Json{{"skills_wanted", {"welding:2"}}, {"goals_text", "pass the test"}}));
             return Call{"GET", a2Path, Json(), [](const RouterReply& got, const std::string& who) {
                             if (got.status != 200) return;
                             EXPECT_EQ(got.body["skills_wanted"], Json({"welding:2"})) << who;
                             EXPECT_EQ(got.body["goals_text"], "pass the test") << who;
                         }};
         }},
        {"PATCH /people/{id} (matching profile)", std::nullopt, {403, 200, 404, 200, 404, 200, 401, 401}, [&] {
             env.must(env.handlers->update(admin, Entity::kPerson, a2, Json{{"availability", {"Mon 09:00-10:00"}}}));
             return Call{"PATCH", a2Path,
                         Json{{"skills_wanted", {"welding:3"}},
                              {"availability", {"Tue 17:00-19:00"}},
                              {"mentor_capacity", 2}},
                         [&](const RouterReply& got, const std::string& who) {
                             const Json after = stored(Entity::kPerson, a2);
                             EXPECT_EQ(after["availability"] == Json({"Tue 17:00-19:00"}), got.status == 200) << who;
                         }};
         }},
        // Not issue 18's, but a non-record endpoint all the same
        // (canBackUp): the whole database, so administrators only.
        {"POST /backup", std::nullopt, {403, 403, 403, 403, 403, 201, 401, 401}, [&] {
             const auto backups = [&] {
                 std::error_code ec;
                 const auto dir = env.dir / "backups";
                 return std::filesystem::exists(dir, ec)
                            ? std::distance(std::filesystem::directory_iterator(dir), std::filesystem::directory_iterator())
                            : 0;
             };
             const auto audited = [&] {
                 auto n = env.store->read([](ReadTx& tx) -> Result<Json> {
                     MXR_TRY_ASSIGN(auto events, tx.audit(0, 100000));
                     return Json(std::count_if(events.begin(), events.end(),
                                               [](const AuditEvent& e) { return e.action == "backup"; }));
                 });
                 return n ? n->get<std::int64_t>() : -1;
             };
             const auto before = backups();
             const auto auditedBefore = audited();
             return Call{"POST", "/backup", Json(),
                         [&, before, auditedBefore, backups, audited](const RouterReply& got, const std::string& who) {
                             EXPECT_EQ(backups(), before + (got.status == 201 ? 1 : 0)) << who;
                             EXPECT_EQ(audited(), auditedBefore + (got.status == 201 ? 1 : 0)) << who;
                             EXPECT_EQ(got.body.contains("file"), got.status == 201) << who;
                         }};
         }},
    };
    std::set<Action> covered;
    int cells = 0;
    for (const Row& row : rows) {
        if (row.action) covered.insert(*row.action);
        for (int c = 0; c < kCallers; ++c) {
            const std::string who = row.endpoint + " as " + callerNames[c];
            const Call call = row.prepare();
            auto got = callAs(token[c], call.method, call.path, call.body);
            EXPECT_EQ(got.status, row.want[c]) << who << ": " << got.body.dump();
            call.verify(got, who);
            ++cells;
        }
    }
    for (const ActionRule& rule : actionRules()) {
        EXPECT_TRUE(covered.count(rule.action)) << "no row for the declared action " << rule.endpoint;
    }
    std::printf("issue 18 endpoints: %d cells\n", cells);
}

}  // namespace
}  // namespace mxr::server::test
