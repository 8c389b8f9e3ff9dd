// Handler behaviour beyond access: login throttling, token expiry, erasure,
// relationship monitoring, export and the audit log.
#include <algorithm>
#include <thread>

#include "test_env.h"

namespace mxr::server::test {
namespace {

struct Pair {
    std::int64_t program, mentorship, mentor, mentee;
    Principal mentorP, menteeP;
};

Pair makePair(TestEnv& env, const Principal& admin, const std::string& tag) {
    Pair p{};
    p.mentor = env.person(admin, "mentor" + tag, {"mentor"});
    p.mentee = env.person(admin, "mentee" + tag, {"mentee"});
    p.program = env.must(env.handlers->create(admin, Entity::kProgram, Json{{"name", "prog" + tag}}));
    p.mentorship = env.must(env.handlers->create(admin, Entity::kMentorship,
                                                 Json{{"program_id", p.program}, {"kind", "one_to_one"}, {"status", "active"},
                                                      {"mentors", {p.mentor}}, {"mentees", {p.mentee}}}));
    p.mentorP = env.principalFor("mentor" + tag + "@example.org", "mentor" + tag + "-password");
    p.menteeP = env.principalFor("mentee" + tag + "@example.org", "mentee" + tag + "-password");
    return p;
}

TEST(Login, FailuresSlowTheFailingAddressWithGrowingDelaysNeverTheOwnerElsewhere) {
    TestEnv env("login");
    env.bootstrap();
    auto attempt = [&](const char* password, const char* address) {
        return env.handlers->login(Json{{"email", "admin@example.org"}, {"password", password}}, address);
    };
    const LoginLimits limits;
    for (int i = 0; i < limits.freeFailures; ++i) EXPECT_EQ(attempt("wrong-password", "10.0.0.1").error().status, 401);
    // Then each further failure from that address doubles its wait on this account.
    std::int64_t previous = 0;
    for (int i = 0; i < 6; ++i) {
        auto blocked = attempt("wrong-password", "10.0.0.1");
        ASSERT_FALSE(blocked);
        ASSERT_EQ(blocked.error().status, 429);
        EXPECT_GT(blocked.error().retryAfter, previous);
        previous = blocked.error().retryAfter;
        env.steady.advance(blocked.error().retryAfter * 1000000000LL);
        EXPECT_EQ(attempt("wrong-password", "10.0.0.1").error().status, 401);
    }
    // Even the right password waits from the failing address...
    auto waits = attempt("adminpassword", "10.0.0.1");
    ASSERT_FALSE(waits);
    EXPECT_EQ(waits.error().status, 429);
    // ...but the owner elsewhere logs in at once.
    auto owner = attempt("adminpassword", "10.0.0.2");
    ASSERT_TRUE(owner) << owner.error().message;
    EXPECT_EQ((*owner)["token"].get<std::string>().size(), 64u);
}

TEST(Login, AnAddressFailingAcrossManyAccountsIsBlockedForTheWindow) {
    TestEnv env("login");
    env.bootstrap();
    const LoginLimits limits;
    for (int i = 0; i < limits.maxFailuresPerAddress; ++i) {
        auto r = env.handlers->login(Json{{"email", strCat("guess", i, "@example.org")}, {"password", "x-x-x-x-x-x"}},
                                     "10.0.0.9");
        EXPECT_EQ(r.error().status, 401);
    }
    auto blocked = env.handlers->login(Json{{"email", "admin@example.org"}, {"password", "adminpassword"}}, "10.0.0.9");
    ASSERT_FALSE(blocked);
    EXPECT_EQ(blocked.error().status, 429);
    EXPECT_TRUE(env.handlers->login(Json{{"email", "admin@example.org"}, {"password", "adminpassword"}}, "10.0.0.8"));
    env.steady.advance(limits.window + 1);
    EXPECT_TRUE(env.handlers->login(Json{{"email", "admin@example.org"}, {"password", "adminpassword"}}, "10.0.0.9"));
}

TEST(Login, UnknownAccountsAndBadBodiesAnswerWithoutSayingWhichPartWasWrong) {
    TestEnv env("login");
    env.bootstrap();
    auto unknown = env.handlers->login(Json{{"email", "nobody@example.org"}, {"password", "whatever-it-is"}}, "1.1.1.1");
    ASSERT_FALSE(unknown);
    EXPECT_EQ(unknown.error().status, 401);
    EXPECT_EQ(unknown.error().message, "email or password is wrong");
    auto bad = env.handlers->login(Json{{"email", 5}, {"password", "x"}}, "1.1.1.1");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().status, 400);
    EXPECT_EQ(bad.error().field, "email");
}

// Whether an email has an account must not show in the answer or in the
// work done for it (argon2id dominates the time a login takes): an unknown
// email costs one verification against a dummy hash, like a wrong password.
TEST(Login, AnUnknownEmailCostsTheSameVerificationAsAWrongPassword) {
    TestEnv env("login");
    env.bootstrap();
    const auto before = env.hasher.verifications();
    auto unknown = env.handlers->login(Json{{"email", "nobody@example.org"}, {"password", "whatever-it-is"}}, "1.1.1.1");
    const auto afterUnknown = env.hasher.verifications();
    auto wrong = env.handlers->login(Json{{"email", "admin@example.org"}, {"password", "whatever-it-is"}}, "1.1.1.2");
    const auto afterWrong = env.hasher.verifications();
    ASSERT_FALSE(unknown);
    ASSERT_FALSE(wrong);
    EXPECT_EQ(afterUnknown - before, 1u);
    EXPECT_EQ(afterWrong - afterUnknown, 1u);
    EXPECT_EQ(unknown.error().status, wrong.error().status);
    EXPECT_EQ(unknown.error().message, wrong.error().message);
    EXPECT_EQ(unknown.error().field, wrong.error().field);
}

TEST(PasswordHashing, RunsAtMostTheConfiguredNumberAtOnceAndVerifies) {
    ASSERT_TRUE(PasswordHasher::initSodium());
    PasswordHasher hasher(HashCost::kTest, 2);
    std::vector<std::string> hashes(12);
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < hashes.size(); ++i) {
        threads.emplace_back([&, i] {
            auto h = hasher.hash("password-" + std::to_string(i));
            ASSERT_TRUE(h);
            hashes[i] = *h;
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_LE(hasher.peakConcurrent(), 2);
    EXPECT_GE(hasher.peakConcurrent(), 1);
    for (std::size_t i = 0; i < hashes.size(); ++i) {
        EXPECT_EQ(hashes[i].rfind("$argon2id$", 0), 0u) << hashes[i];
        EXPECT_TRUE(hasher.verify(hashes[i], "password-" + std::to_string(i)));
        EXPECT_FALSE(hasher.verify(hashes[i], "password-x"));
    }
    EXPECT_FALSE(hasher.verify("not a hash", "password-0"));
}

TEST(Tokens, ExpireAndAreStoredOnlyHashed) {
    TestEnv env("tokens");
    env.bootstrap();
    auto login = env.handlers->login(Json{{"email", "admin@example.org"}, {"password", "adminpassword"}}, "1.1.1.1");
    ASSERT_TRUE(login);
    const std::string token = (*login)["token"];
    ASSERT_TRUE(env.handlers->authenticate("Bearer " + token));
    // The database holds the hash, never the token itself.
    auto stored = env.store->read([&](ReadTx& tx) -> Result<Json> {
        MXR_TRY_ASSIGN(auto plain, tx.token(token));
        MXR_TRY_ASSIGN(auto hashed, tx.token(tokenHash(token)));
        return Json{plain.has_value(), hashed.has_value()};
    });
    ASSERT_TRUE(stored);
    EXPECT_EQ(*stored, Json({false, true}));
    env.wall.advance(HandlerOptions{}.tokenTtlSeconds + 1);
    auto expired = env.handlers->authenticate("Bearer " + token);
    ASSERT_FALSE(expired);
    EXPECT_EQ(expired.error().status, 401);
}

// authenticate() caches token -> principal; what it answers must still
// follow every change to the person at once.
TEST(Tokens, ACachedTokenFollowsRoleChangesAndErasureAtOnce) {
    TestEnv env("token-cache");
    const auto admin = env.bootstrap();
    const auto id = env.person(admin, "kim", {"mentor"});
    auto login = env.handlers->login(Json{{"email", "kim@example.org"}, {"password", "kim-password"}}, "1.1.1.1");
    ASSERT_TRUE(login);
    const std::string bearer = "Bearer " + (*login)["token"].get<std::string>();
    for (int i = 0; i < 3; ++i) {  // the second and third answers come from the cache
        auto me = env.handlers->authenticate(bearer);
        ASSERT_TRUE(me);
        EXPECT_TRUE(me->mentor);
        EXPECT_FALSE(me->manager);
    }
    ASSERT_TRUE(env.handlers->update(admin, Entity::kPerson, id, Json{{"roles", {"mentee", "program_manager"}}}));
    auto changed = env.handlers->authenticate(bearer);
    ASSERT_TRUE(changed);
    EXPECT_FALSE(changed->mentor);
    EXPECT_TRUE(changed->mentee);
    EXPECT_TRUE(changed->manager);
    // A refused change to someone else leaves this token working.
    EXPECT_FALSE(env.handlers->update(admin, Entity::kPerson, id + 1000, Json{{"time_zone", "UTC"}}));
    EXPECT_TRUE(env.handlers->authenticate(bearer));
    ASSERT_TRUE(env.handlers->remove(admin, Entity::kPerson, id));
    auto erased = env.handlers->authenticate(bearer);
    ASSERT_FALSE(erased);
    EXPECT_EQ(erased.error().status, 401);
}

TEST(Profile, PasswordChangeEndsEveryOtherSessionAndTheNewPasswordWorks) {
    TestEnv env("password");
    const auto admin = env.bootstrap();
    const auto id = env.person(admin, "pat", {"mentee"});
    const std::string oldToken = env.tokenFor("pat@example.org", "pat-password");
    const std::string current = env.tokenFor("pat@example.org", "pat-password");
    auto me = env.handlers->authenticate("Bearer " + current);
    ASSERT_TRUE(me);
    auto tooShort = env.handlers->update(*me, Entity::kPerson, id, Json{{"password", "short"}});
    ASSERT_FALSE(tooShort);
    EXPECT_EQ(tooShort.error().field, "password");
    ASSERT_TRUE(env.handlers->update(*me, Entity::kPerson, id, Json{{"password", "a-new-long-password"}, {"time_zone", "UTC"}}));
    EXPECT_FALSE(env.handlers->authenticate("Bearer " + oldToken));
    EXPECT_TRUE(env.handlers->authenticate("Bearer " + current));  // the session that changed it stays
    EXPECT_FALSE(env.handlers->login(Json{{"email", "pat@example.org"}, {"password", "pat-password"}}, "1.1.1.1"));
    EXPECT_TRUE(env.handlers->login(Json{{"email", "pat@example.org"}, {"password", "a-new-long-password"}}, "1.1.1.1"));
    // The audit names the password change without any value.
    auto audit = env.handlers->auditLog(admin, {{"limit", "1000"}});
    ASSERT_TRUE(audit);
    const auto& last = (*audit)["items"].back();
    EXPECT_EQ(last["action"], "update");
    EXPECT_EQ(last["entity_id"], id);
    EXPECT_NE(std::find(last["fields"].begin(), last["fields"].end(), "password"), last["fields"].end());
    EXPECT_EQ(audit->dump().find("a-new-long-password"), std::string::npos);
}

TEST(Lists, PageThroughWithAfterAndLimit) {
    TestEnv env("pages");
    const auto admin = env.bootstrap();
    for (int i = 0; i < 7; ++i) env.person(admin, "p" + std::to_string(i), {"mentee"});
    std::vector<std::int64_t> seen;
    std::string after = "0";
    for (int guard = 0; guard < 10; ++guard) {
        auto page = env.handlers->list(admin, Entity::kPerson, {{"limit", "3"}, {"after", after}});
        ASSERT_TRUE(page);
        for (const auto& r : (*page)["items"]) seen.push_back(r["id"]);
        if (!page->contains("next_after")) break;
        after = std::to_string((*page)["next_after"].get<std::int64_t>());
    }
    ASSERT_EQ(seen.size(), 8u);  // the admin and seven people, each once, in order
    EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
    EXPECT_EQ(std::adjacent_find(seen.begin(), seen.end()), seen.end());
}

TEST(Erase, RemovesPersonalDataKeepsAggregatesAndAuditHasNoPersonalData) {
    TestEnv env("erase");
    const auto admin = env.bootstrap();
    auto pair = makePair(env, admin, "e");
    ASSERT_TRUE(env.handlers->update(admin, Entity::kPerson, pair.mentee,
                                     Json{{"skills", {"welding"}}, {"time_zone", "Europe/Paris"}}));
    const auto session = env.must(env.handlers->create(
        pair.mentorP, Entity::kSession,
        Json{{"mentorship_id", pair.mentorship}, {"scheduled_at", "2026-03-01T09:00:00Z"},
             {"started_at", "2026-03-01T09:00:00Z"}, {"ended_at", "2026-03-01T10:00:00Z"}}));
    const auto fb = env.must(env.handlers->create(
        pair.menteeP, Entity::kFeedback,
        Json{{"session_id", session}, {"subject_id", pair.mentor}, {"rating_goal_progress", 2}, {"rating_communication", 3},
             {"rating_trust_respect", 4}, {"rating_usefulness", 5}, {"text", "Emma Example thinks this is secret"}}));

    auto token = env.handlers->login(Json{{"email", "menteee@example.org"}, {"password", "menteee-password"}}, "1.1.1.1");
    ASSERT_TRUE(token);
    auto erased = env.handlers->remove(pair.menteeP, Entity::kPerson, pair.mentee);
    ASSERT_TRUE(erased) << erased.error().message;

    auto person = env.handlers->get(admin, Entity::kPerson, pair.mentee);
    ASSERT_TRUE(person);
    EXPECT_TRUE((*person)["name"].is_null());
    EXPECT_TRUE((*person)["email"].is_null());
    EXPECT_TRUE((*person)["skills"].is_null());
    EXPECT_TRUE((*person)["time_zone"].is_null());
    EXPECT_FALSE((*person)["erased_at"].is_null());
    auto feedback = env.handlers->get(admin, Entity::kFeedback, fb);
    ASSERT_TRUE(feedback);
    EXPECT_TRUE((*feedback)["text"].is_null());
    EXPECT_EQ((*feedback)["rating_usefulness"], 5);  // the aggregate survives
    auto mentorship = env.handlers->get(admin, Entity::kMentorship, pair.mentorship);
    ASSERT_TRUE(mentorship);
    EXPECT_EQ((*mentorship)["mentees"], Json::array({pair.mentee}));
    // Their token stops working and their email can no longer log in.
    EXPECT_FALSE(env.handlers->authenticate("Bearer " + (*token)["token"].get<std::string>()));
    auto relogin = env.handlers->login(Json{{"email", "menteee@example.org"}, {"password", "menteee-password"}}, "1.1.1.1");
    ASSERT_FALSE(relogin);
    EXPECT_EQ(relogin.error().status, 401);

    // The audit log keeps the event with the id and nothing personal.
    auto audit = env.handlers->auditLog(admin, {{"limit", "1000"}});
    ASSERT_TRUE(audit);
    bool sawErase = false;
    for (const auto& e : (*audit)["items"]) {
        sawErase = sawErase || (e["action"] == "erase" && e["entity_id"] == pair.mentee);
    }
    EXPECT_TRUE(sawErase);
    const std::string dump = audit->dump();
    for (const char* secret : {"menteee", "Emma Example", "welding", "Europe/Paris"}) {
        EXPECT_EQ(dump.find(secret), std::string::npos) << secret;
    }
    // And nothing personal is left anywhere in the database file's tables.
    auto exported = env.handlers->exportData(admin, {{"format", "json"}});
    ASSERT_TRUE(exported);
    EXPECT_EQ(exported->dump().find("Emma Example"), std::string::npos);
}

TEST(Attention, FlagsPairsThatStopMeetingWhoseRatingsFallOrWithOverdueMilestones) {
    TestEnv env("attention");
    const auto admin = env.bootstrap();
    auto quiet = makePair(env, admin, "q");   // never meets
    auto fine = makePair(env, admin, "f");    // meets, good ratings
    // Put both mentorships in one program.
    auto falling = makePair(env, admin, "d");
    for (auto* p : {&fine, &falling}) {
        auto moved = env.handlers->create(admin, Entity::kMentorship,
                                          Json{{"program_id", quiet.program}, {"kind", "one_to_one"}, {"status", "active"},
                                               {"mentors", {p->mentor}}, {"mentees", {p->mentee}}});
        ASSERT_TRUE(moved);
        p->mentorship = (*moved)["id"];
    }
    env.wall.advance(30 * 86400);  // 2026-03-31
    auto hold = [&](Pair& p, const std::string& day, int rating) {
        const auto s = env.must(env.handlers->create(
            p.mentorP, Entity::kSession,
            Json{{"mentorship_id", p.mentorship}, {"scheduled_at", day + "T10:00:00Z"}, {"started_at", day + "T10:00:00Z"},
                 {"ended_at", day + "T11:00:00Z"}}));
        env.must(env.handlers->create(p.menteeP, Entity::kFeedback,
                                      Json{{"session_id", s}, {"subject_id", p.mentor}, {"rating_goal_progress", rating},
                                           {"rating_communication", rating}, {"rating_trust_respect", rating},
                                           {"rating_usefulness", rating}}));
    };
    int day = 20;
    for (int r : {5, 5, 5, 5, 5, 5}) hold(fine, "2026-03-" + std::to_string(day++), r);
    day = 20;
    for (int r : {5, 5, 5, 3, 2, 2}) hold(falling, "2026-03-" + std::to_string(day++), r);
    const auto goal = env.must(env.handlers->create(fine.mentorP, Entity::kGoal,
                                                    Json{{"mentorship_id", fine.mentorship}, {"title", "weld"}}));
    const auto late = env.must(env.handlers->create(fine.mentorP, Entity::kMilestone,
                                                    Json{{"goal_id", goal}, {"title", "first seam"}, {"due_date", "2026-03-15"}}));
    env.must(env.handlers->create(fine.mentorP, Entity::kMilestone,
                                  Json{{"goal_id", goal}, {"title", "later"}, {"due_date", "2026-04-15"}}));

    auto report = env.handlers->attention(admin, quiet.program, {});
    ASSERT_TRUE(report) << report.error().message;
    std::map<std::int64_t, std::vector<std::string>> kinds;
    for (const auto& m : (*report)["mentorships"]) {
        for (const auto& r : m["reasons"]) kinds[m["mentorship_id"]].push_back(r["kind"]);
    }
    EXPECT_EQ(kinds[quiet.mentorship], std::vector<std::string>{"no_recent_session"});
    EXPECT_EQ(kinds[falling.mentorship], std::vector<std::string>{"falling_ratings"});
    EXPECT_EQ(kinds[fine.mentorship], std::vector<std::string>{"overdue_milestone"});
    for (const auto& m : (*report)["mentorships"]) {
        if (m["mentorship_id"] == fine.mentorship) {
            EXPECT_EQ(m["reasons"][0]["milestone_id"], late);
        }
    }
    // Marking the milestone done clears it; a longer window clears "quiet".
    ASSERT_TRUE(env.handlers->update(fine.mentorP, Entity::kMilestone, late, Json{{"done_at", "2026-03-30T12:00:00Z"}}));
    auto later = env.handlers->attention(admin, quiet.program, {{"days", "60"}});
    ASSERT_TRUE(later);
    ASSERT_EQ((*later)["mentorships"].size(), 1u);
    EXPECT_EQ((*later)["mentorships"][0]["mentorship_id"], falling.mentorship);
    auto bad = env.handlers->attention(admin, quiet.program, {{"days", "soon"}});
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().field, "days");
}

TEST(Export, CsvQuotesTextAndDefusesFormulas) {
    TestEnv env("export");
    const auto admin = env.bootstrap();
    auto pair = makePair(env, admin, "x");
    env.must(env.handlers->create(pair.mentorP, Entity::kGoal,
                                  Json{{"mentorship_id", pair.mentorship}, {"title", "=HYPERLINK(\"x\")"},
                                       {"description", "line one\nline \"two\", three"}}));
    auto csv = env.handlers->exportData(admin, {{"format", "csv"}});
    ASSERT_TRUE(csv);
    ASSERT_TRUE(csv->is_string());
    const std::string text = *csv;
    EXPECT_NE(text.find("entity,id,mentorship_id,title,description"), std::string::npos);
    EXPECT_NE(text.find("\"'=HYPERLINK(\"\"x\"\")\""), std::string::npos) << text;
    EXPECT_NE(text.find("\"line one\nline \"\"two\"\", three\""), std::string::npos) << text;
    auto bad = env.handlers->exportData(admin, {{"format", "xml"}});
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().field, "format");
}

TEST(Invariants, AreCheckedAgainstTheMergedRecordOnUpdate) {
    TestEnv env("invariants");
    const auto admin = env.bootstrap();
    auto pair = makePair(env, admin, "i");
    const auto s = env.must(env.handlers->create(
        pair.mentorP, Entity::kSession,
        Json{{"mentorship_id", pair.mentorship}, {"scheduled_at", "2026-03-01T09:00:00Z"}, {"started_at", "2026-03-01T09:00:00Z"}}));
    auto backwards = env.handlers->update(pair.mentorP, Entity::kSession, s, Json{{"ended_at", "2026-03-01T08:00:00Z"}});
    ASSERT_FALSE(backwards);
    EXPECT_EQ(backwards.error().field, "ended_at");
    auto ended = env.handlers->update(admin, Entity::kMentorship, pair.mentorship, Json{{"status", "ended"}});
    ASSERT_FALSE(ended);
    EXPECT_EQ(ended.error().field, "end_reason");
    ASSERT_TRUE(env.handlers->update(admin, Entity::kMentorship, pair.mentorship,
                                     Json{{"status", "ended"}, {"end_reason", "mentee changed jobs"}}));
    auto stranger = env.person(admin, "stranger", {"mentee"});
    auto attendee = env.handlers->update(pair.mentorP, Entity::kSession, s, Json{{"attendees", {stranger}}});
    ASSERT_FALSE(attendee);
    EXPECT_EQ(attendee.error().field, "attendees");
    auto dangling = env.handlers->create(admin, Entity::kMentorship,
                                         Json{{"program_id", pair.program}, {"kind", "peer"}, {"mentors", {9999}}});
    ASSERT_FALSE(dangling);
    EXPECT_EQ(dangling.error().field, "mentors");
    auto dup = env.handlers->create(admin, Entity::kPerson,
                                    Json{{"name", "again"}, {"email", "MENTORi@example.org"}, {"roles", {"mentor"}}});
    ASSERT_FALSE(dup);
    EXPECT_EQ(dup.error().status, 409);
    EXPECT_EQ(dup.error().field, "email");
}

}  // namespace
}  // namespace mxr::server::test
