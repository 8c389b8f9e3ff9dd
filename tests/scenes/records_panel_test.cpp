// The Mentorship panel's model without a network: the requests it builds
// (what the session server will be asked), how it reads the server's
// answers (saved, a validation error naming the field, not allowed), the
// lines printed for scripted runs, and what a guest or an offline user sees.
#include "scenes/records_panel.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace {

using namespace mxr;
using namespace mxr::scenes;
using Json = nlohmann::json;

struct SentRequest {
    std::uint32_t id;
    net::ApiMethod method;
    std::string path;
    std::string body;
};

// Records what the panel sends; `full` makes the queue refuse.
struct RecordsWire {
    std::vector<SentRequest> sent;
    std::uint32_t next = 100;
    bool full = false;
    RecordsPanel::Sender sender() {
        return
            [this](net::ApiMethod m, const std::string& path, const std::string& body) -> std::optional<std::uint32_t> {
                if (full) return std::nullopt;
                sent.push_back({next, m, path, body});
                return next++;
            };
    }
    const SentRequest* find(const std::string& pathPrefix) const {
        for (const auto& s : sent) {
            if (s.path.rfind(pathPrefix, 0) == 0) return &s;
        }
        return nullptr;
    }
};

net::ApiResponse answer(const SentRequest& s, std::uint16_t status, const Json& body) {
    return net::ApiResponse{s.id, status, body.dump()};
}

Json goal(std::int64_t id, const std::string& title, int progress) {
    return {{"id", id}, {"mentorship_id", 4}, {"title", title}, {"status", "open"}, {"progress", progress}};
}

constexpr const char* kNow = "2026-12-04T12:00:00Z";

// A panel in room mentorship-4 (now is kNow) that has loaded two goals, the
// mentorship (mentor 2, mentee 3) and its sessions: two held, a cancelled
// one and two planned meetings of a series.
struct Loaded {
    RecordsWire wire;
    RecordsPanel panel{"mentorship-4", true};
    Loaded() {
        panel.setClock([] { return std::string(kNow); });
        panel.setSelfRole(net::Role::kMentee);
        panel.update(true, wire.sender());
        const SentRequest ms = *wire.find("/mentorships/4");
        const SentRequest goals = *wire.find("/goals?");
        const SentRequest sessions = *wire.find("/sessions?");
        panel.onResponse(answer(ms, 200, {{"id", 4}, {"mentors", {2}}, {"mentees", {3}}}));
        panel.onResponse(answer(goals, 200, {{"items", {goal(7, "Pass the weld test", 40), goal(8, "Read", 0)}}}));
        panel.onResponse(
            answer(sessions, 200,
                   {{"items",
                     {{{"id", 11}, {"scheduled_at", "2026-03-02T09:00:00Z"}, {"started_at", "2026-03-02T09:05:00Z"}},
                      {{"id", 10}, {"scheduled_at", "2026-04-02T09:00:00Z"}},
                      {{"id", 12}, {"scheduled_at", "2027-01-05T09:00:00Z"}, {"agenda", "Weld plan"}},
                      {{"id", 13}, {"scheduled_at", "2026-12-10T09:00:00Z"}, {"status", "cancelled"}},
                      {{"id", 14}, {"scheduled_at", "2027-01-12T09:00:00Z"}}}}}));
    }
};

TEST(RecordsPanel, MentorshipRoomLoadsItsMembersGoalsAndSessions) {
    RecordsWire wire;
    RecordsPanel panel("mentorship-4", true);
    EXPECT_EQ(panel.phase(), RecordsPhase::kWaiting);
    panel.update(false, wire.sender());
    EXPECT_TRUE(wire.sent.empty()) << "nothing is sent before the room is joined";
    panel.update(true, wire.sender());
    ASSERT_EQ(wire.sent.size(), 3u);
    EXPECT_EQ(wire.sent[0].method, net::ApiMethod::kGet);
    EXPECT_EQ(wire.sent[0].path, "/mentorships/4");
    EXPECT_EQ(wire.sent[1].path, "/goals?mentorship_id=4&limit=10");
    EXPECT_EQ(wire.sent[2].path, "/sessions?mentorship_id=4&limit=10");
    EXPECT_EQ(panel.phase(), RecordsPhase::kLoading);
    EXPECT_EQ(panel.statusText(), "loading...");

    // A second page is followed.
    panel.onResponse(answer(wire.sent[1], 200, {{"items", {goal(7, "Weld", 40)}}, {"next_after", 7}}));
    panel.update(true, wire.sender());
    ASSERT_EQ(wire.sent.size(), 4u);
    EXPECT_EQ(wire.sent[3].path, "/goals?mentorship_id=4&limit=10&after=7");
    panel.onResponse(answer(wire.sent[3], 200, {{"items", {goal(9, "Read", 10)}}}));
    panel.onResponse(answer(wire.sent[0], 200, {{"id", 4}, {"mentors", {2}}, {"mentees", {3, 5}}}));
    panel.onResponse(answer(wire.sent[2], 200, {{"items", Json::array()}}));
    EXPECT_EQ(panel.phase(), RecordsPhase::kReady);
    EXPECT_EQ(panel.statusText(), "2 goals");
    ASSERT_EQ(panel.goals().size(), 2u);
    EXPECT_EQ(panel.goals()[0].title, "Weld");
    EXPECT_EQ(panel.goals()[0].progress, 40);
    EXPECT_EQ(panel.goals()[0].editProgress, 40);
    EXPECT_EQ(panel.goals()[1].id, 9);
    ASSERT_EQ(panel.members().size(), 3u);
    EXPECT_TRUE(panel.members()[0].mentor);
    EXPECT_FALSE(panel.members()[2].mentor);
    EXPECT_FALSE(panel.currentSession());
}

TEST(RecordsPanel, OtherRoomsListMyMentorshipsGoalsAndTheNextSessionWithItsRoom) {
    RecordsWire wire;
    RecordsPanel panel("welding-101", true);
    panel.setClock([] { return std::string(kNow); });
    panel.update(true, wire.sender());
    ASSERT_EQ(wire.sent.size(), 1u);
    EXPECT_EQ(wire.sent[0].path, "/mentorships?limit=10");
    panel.onResponse(answer(wire.sent[0], 200, {{"items", {{{"id", 4}}, {{"id", 6}}}}}));
    panel.update(true, wire.sender());
    ASSERT_EQ(wire.sent.size(), 5u);
    EXPECT_EQ(wire.sent[1].path, "/goals?mentorship_id=4&limit=10");
    EXPECT_EQ(wire.sent[2].path, "/sessions?mentorship_id=4&limit=10");
    EXPECT_EQ(wire.sent[3].path, "/goals?mentorship_id=6&limit=10");
    EXPECT_EQ(wire.sent[4].path, "/sessions?mentorship_id=6&limit=10");
    panel.onResponse(answer(wire.sent[3], 200, {{"items", {goal(12, "Lead a stand-up", 5)}}}));
    panel.onResponse(answer(wire.sent[1], 200, {{"items", Json::array()}}));
    ASSERT_EQ(panel.goals().size(), 1u);
    EXPECT_EQ(panel.goals()[0].mentorshipId, 6);
    // The next session is the earliest to come across both pairs, in its room.
    panel.onResponse(answer(wire.sent[2], 200,
                            {{"items",
                              {{{"id", 30}, {"scheduled_at", "2026-12-20T15:00:00Z"}},
                               {{"id", 31}, {"scheduled_at", "2026-11-20T15:00:00Z"}}}}}));
    panel.onResponse(answer(wire.sent[4], 200,
                            {{"items", {{{"id", 40}, {"scheduled_at", "2026-12-08T07:30:00Z"}, {"agenda", "Stand-ups"}}}}}));
    EXPECT_EQ(panel.nextSession(), (NextSession{40, 6, "2026-12-08T07:30:00Z", "Stand-ups"}));
    EXPECT_EQ(panel.nextSessionText(), "next session: 2026-12-08 07:30 UTC in room mentorship-6 - Stand-ups");
    EXPECT_FALSE(panel.currentSession()) << "no session is current outside a mentorship's room";
    // No session to name outside a mentorship's room: nothing is sent.
    const std::size_t before = wire.sent.size();
    EXPECT_FALSE(panel.submitFeedback(FeedbackDraft{}));
    panel.update(true, wire.sender());
    EXPECT_EQ(wire.sent.size(), before);
    EXPECT_EQ(panel.feedbackAnswer(), "feedback is given in a mentorship's room (mentorship-<id>)");
}

TEST(RecordsPanel, SavingProgressSendsAPatchAndShowsTheAnswer) {
    Loaded l;
    ASSERT_EQ(l.panel.phase(), RecordsPhase::kReady);
    l.panel.goals()[0].editProgress = 60;  // the slider
    ASSERT_TRUE(l.panel.saveProgress(7, 60));
    EXPECT_TRUE(l.panel.goals()[0].saving);
    l.panel.update(true, l.wire.sender());
    const SentRequest patch = l.wire.sent.back();
    EXPECT_EQ(patch.method, net::ApiMethod::kPatch);
    EXPECT_EQ(patch.path, "/goals/7");
    EXPECT_EQ(Json::parse(patch.body), (Json{{"progress", 60}}));

    EXPECT_TRUE(l.panel.onResponse(answer(patch, 200, goal(7, "Pass the weld test", 60))));
    EXPECT_FALSE(l.panel.goals()[0].saving);
    EXPECT_EQ(l.panel.goals()[0].progress, 60);
    EXPECT_EQ(l.panel.goals()[0].answer, "saved");
    EXPECT_EQ(l.panel.takeAnnouncements(), std::vector<std::string>{"records: goal 7 progress 60 saved"});
    EXPECT_TRUE(l.panel.takeAnnouncements().empty()) << "each answer is announced once";
    EXPECT_FALSE(l.panel.onResponse(answer(patch, 200, Json::object()))) << "an answer is taken once";
}

TEST(RecordsPanel, RefusalsNameTheFieldOrSayNotAllowed) {
    Loaded l;
    // A goal the panel has not listed (another mentorship's) is still asked
    // for: the server decides, and says 404 for what the person cannot see.
    ASSERT_TRUE(l.panel.saveProgress(99, 60));
    l.panel.update(true, l.wire.sender());
    l.panel.onResponse(answer(l.wire.sent.back(), 404,
                              {{"error", {{"code", "not_found"}, {"message", "goal 99 not found"}, {"field", ""}}}}));
    EXPECT_EQ(l.panel.takeAnnouncements(),
              std::vector<std::string>{"records: goal 99 progress 60 refused 404: goal 99 not found"});

    ASSERT_TRUE(l.panel.saveProgress(8, 100));
    l.panel.update(true, l.wire.sender());
    l.panel.onResponse(
        answer(l.wire.sent.back(), 400,
               {{"error", {{"code", "invalid"}, {"message", "progress must be 0-100"}, {"field", "progress"}}}}));
    EXPECT_EQ(l.panel.goals()[1].answer, "refused 400 field progress: progress must be 0-100");
    EXPECT_EQ(l.panel.goals()[1].progress, 0) << "a refused change shows the server's value";

    // Misuse is refused before anything is sent.
    EXPECT_FALSE(l.panel.saveProgress(8, 101));
    EXPECT_FALSE(l.panel.saveProgress(8, -1));

    EXPECT_EQ(describeAnswer(403, R"({"error":{"code":"forbidden","message":"read only","field":""}})"),
              "refused 403: read only");
    EXPECT_EQ(describeAnswer(503, "not json"), "refused 503: not connected or busy, try again");
    EXPECT_EQ(describeAnswer(201, "{}"), "saved");
}

TEST(RecordsPanel, TheNextSessionIsTheEarliestPlannedNotCancelledOne) {
    Loaded l;
    EXPECT_EQ(l.panel.nextSession(), (NextSession{12, 4, "2027-01-05T09:00:00Z", "Weld plan"}))
        << "13 is cancelled, 10 and 11 have passed";
    EXPECT_EQ(l.panel.nextSessionText(), "next session: 2027-01-05 09:00 UTC, here - Weld plan");
    l.panel.setClock([] { return std::string("2027-01-06T00:00:00Z"); });
    EXPECT_EQ(l.panel.nextSessionText(), "next session: 2027-01-12 09:00 UTC, here");
    l.panel.setClock([] { return std::string("2027-02-01T00:00:00Z"); });
    EXPECT_EQ(l.panel.nextSessionText(), "no session planned");
    EXPECT_EQ(describeUtcTime("not a time"), "not a time");
    const std::string now = utcNowText();
    ASSERT_EQ(now.size(), 20u);
    EXPECT_EQ(describeUtcTime(now).substr(0, 10), now.substr(0, 10));
}

TEST(RecordsPanel, FeedbackIsAboutTheLatestSessionAndTheOtherSide) {
    Loaded l;
    // Session 10 was scheduled later than 11 started: the latest is 10. The
    // series' meetings to come (12, 14) are not the current session.
    ASSERT_EQ(l.panel.currentSession(), std::optional<std::int64_t>(10));
    EXPECT_EQ(l.panel.currentSessionLabel(), "session 10 (2026-04-02T09:00:00Z)");
    EXPECT_EQ(l.panel.defaultSubject(), std::optional<std::int64_t>(2)) << "a mentee rates the mentor";
    l.panel.setSelfRole(net::Role::kMentor);
    EXPECT_EQ(l.panel.defaultSubject(), std::optional<std::int64_t>(3)) << "a mentor rates the mentee";
    l.panel.setSelfRole(net::Role::kMentee);

    FeedbackDraft d;
    d.ratingGoalProgress = 4;
    d.ratingCommunication = 5;
    d.ratingTrustRespect = 5;
    d.ratingUsefulness = 2;
    d.text = "steady hands";
    d.programManagerOnly = true;
    ASSERT_TRUE(l.panel.submitFeedback(d));
    EXPECT_TRUE(l.panel.feedbackSending());
    l.panel.update(true, l.wire.sender());
    const SentRequest post = l.wire.sent.back();
    EXPECT_EQ(post.method, net::ApiMethod::kPost);
    EXPECT_EQ(post.path, "/feedback");
    EXPECT_EQ(Json::parse(post.body), (Json{{"session_id", 10},
                                            {"subject_id", 2},
                                            {"rating_goal_progress", 4},
                                            {"rating_communication", 5},
                                            {"rating_trust_respect", 5},
                                            {"rating_usefulness", 2},
                                            {"text", "steady hands"},
                                            {"visibility", "program_manager_only"}}));
    l.panel.onResponse(answer(post, 201, {{"id", 21}}));
    EXPECT_FALSE(l.panel.feedbackSending());
    EXPECT_EQ(l.panel.feedbackAnswer(), "saved (feedback 21)");
    EXPECT_EQ(l.panel.takeAnnouncements(), std::vector<std::string>{"records: feedback on session 10 saved id 21"});

    // An explicit session and subject win; a validation error names the field.
    d.sessionId = 11;
    d.subjectId = 3;
    d.ratingUsefulness = 9;
    ASSERT_TRUE(l.panel.submitFeedback(d));
    l.panel.update(true, l.wire.sender());
    const Json body = Json::parse(l.wire.sent.back().body);
    EXPECT_EQ(body["session_id"], 11);
    EXPECT_EQ(body["subject_id"], 3);
    l.panel.onResponse(
        answer(l.wire.sent.back(), 400,
               {{"error", {{"code", "invalid"}, {"message", "must be 1-5"}, {"field", "rating_usefulness"}}}}));
    EXPECT_EQ(l.panel.feedbackAnswer(), "refused 400 field rating_usefulness: must be 1-5");
    EXPECT_EQ(l.panel.takeAnnouncements(), std::vector<std::string>{"records: feedback on session 11 refused 400 "
                                                                    "field rating_usefulness: must be 1-5"});
}

TEST(RecordsPanel, NoSessionYetIsSaidNotSent) {
    RecordsWire wire;
    RecordsPanel panel("mentorship-4", true);
    panel.update(true, wire.sender());
    for (const auto& s : std::vector<SentRequest>(wire.sent)) panel.onResponse(answer(s, 200, {{"items", Json::array()}}));
    EXPECT_FALSE(panel.submitFeedback(FeedbackDraft{}));
    EXPECT_EQ(panel.feedbackAnswer(), "this mentorship has no recorded session yet");
    EXPECT_EQ(panel.takeAnnouncements(), std::vector<std::string>{"records: feedback not sent: this "
                                                                  "mentorship has no recorded session yet"});
}

TEST(RecordsPanel, LoadErrorsAreShown) {
    RecordsWire wire;
    RecordsPanel panel("mentorship-77", true);
    panel.update(true, wire.sender());
    panel.onResponse(answer(wire.sent[0], 404, {{"error", {{"message", "mentorship 77 not found"}}}}));
    for (std::size_t i = 1; i < wire.sent.size(); ++i) {
        panel.onResponse(answer(wire.sent[i], 404, {{"error", {{"message", "mentorship 77 not found"}}}}));
    }
    EXPECT_EQ(panel.phase(), RecordsPhase::kReady);
    EXPECT_EQ(panel.statusText(), "could not load: refused 404: mentorship 77 not found");
}

TEST(RecordsPanel, AFullQueueIsRetriedAndRefreshReloads) {
    RecordsWire wire;
    wire.full = true;
    RecordsPanel panel("mentorship-4", true);
    panel.update(true, wire.sender());
    EXPECT_TRUE(wire.sent.empty());
    EXPECT_TRUE(panel.busy());
    wire.full = false;
    panel.update(true, wire.sender());
    EXPECT_EQ(wire.sent.size(), 3u);
    for (const auto& s : std::vector<SentRequest>(wire.sent)) panel.onResponse(answer(s, 200, {{"items", Json::array()}}));
    panel.update(true, wire.sender());
    EXPECT_EQ(wire.sent.size(), 3u) << "loaded once";
    panel.refresh();
    panel.update(true, wire.sender());
    EXPECT_EQ(wire.sent.size(), 6u) << "refresh loads again";
    EXPECT_FALSE(panel.onResponse(net::ApiResponse{7777, 200, "{}"})) << "not ours";
}

TEST(RecordsPanel, GuestsAndOfflineUsersAreToldWhatRecordsNeed) {
    RecordsWire wire;
    RecordsPanel guest("demo", false);
    guest.update(true, wire.sender());
    EXPECT_EQ(guest.phase(), RecordsPhase::kGuest);
    EXPECT_EQ(guest.statusText(), "goals and feedback need an account: join with --login EMAIL");
    EXPECT_FALSE(guest.saveProgress(7, 60));
    EXPECT_FALSE(guest.submitFeedback(FeedbackDraft{}));
    guest.update(true, wire.sender());
    EXPECT_TRUE(wire.sent.empty()) << "a guest's panel sends nothing";

    RecordsPanel offline("", false, false);
    EXPECT_EQ(offline.phase(), RecordsPhase::kOffline);
    EXPECT_EQ(offline.statusText(), "offline: goals and feedback need a server (--server)");
}

TEST(RecordsPanel, RoomNamesAndFeedbackFiles) {
    EXPECT_EQ(mentorshipOfRoomName("mentorship-12"), std::optional<std::int64_t>(12));
    EXPECT_FALSE(mentorshipOfRoomName("mentorship-"));
    EXPECT_FALSE(mentorshipOfRoomName("mentorship-012"));
    EXPECT_FALSE(mentorshipOfRoomName("mentorship-1x"));
    EXPECT_FALSE(mentorshipOfRoomName("demo"));

    auto d = parseFeedbackDraft(
        R"({"rating_goal_progress":4,"rating_communication":5,"rating_trust_respect":3,
        "rating_usefulness":2,"text":"good","visibility":"pair","subject_id":2})");
    ASSERT_TRUE(d) << d.error().message;
    EXPECT_EQ(d->ratingGoalProgress, 4);
    EXPECT_EQ(d->ratingUsefulness, 2);
    EXPECT_EQ(d->text, "good");
    EXPECT_FALSE(d->programManagerOnly);
    EXPECT_EQ(d->subjectId, std::optional<std::int64_t>(2));
    EXPECT_FALSE(d->sessionId);
    EXPECT_EQ(parseFeedbackDraft(R"({"ratings":1})").error().message, "feedback: unknown field \"ratings\"");
    EXPECT_EQ(parseFeedbackDraft(R"({"text":3})").error().message, "feedback: text must be a string");
    EXPECT_EQ(parseFeedbackDraft(R"({"visibility":"all"})").error().message,
              "feedback: visibility must be \"pair\" or \"program_manager_only\"");
    EXPECT_EQ(parseFeedbackDraft("[1]").error().message, "feedback: expected a JSON object");
    EXPECT_EQ(parseFeedbackDraft("{").error().message, "feedback: malformed JSON");
}

}  // namespace
