// Procedures without a GPU or network: the file parser (what it accepts,
// and bad files refused naming the file, the field and the problem), and
// the step card's state machine driven with a manual clock, a fake room
// link and a fake records channel (the requests it builds, the answers it
// shows).
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "engine/core/clock.h"
#include "scenes/procedure.h"
#include "scenes/procedure_card.h"
#include "scenes/procedure_component.h"

namespace mxr::scenes {
namespace {

using nlohmann::json;

const char* kTwoSteps = R"({"title": "Swap the pads", "description": "At the bench", "goal_id": 7,
  "steps": [{"title": "Open the vice", "instruction": "Turn the handle", "expected_seconds": 90,
             "annotations": [{"kind": "arrow", "position": [0, 1, 0], "end": [0, 0.9, 0]}]},
            {"title": "Tighten the clamp"}]})";

std::string errorOf(const std::string& text) {
    auto p = parseProcedure(text, "bench.json");
    return p ? std::string("(accepted)") : p.error().message;
}

TEST(ProcedureFile, ReadsTheServersFormat) {
    auto p = parseProcedure(kTwoSteps, "bench.json");
    ASSERT_TRUE(p) << p.error().message;
    EXPECT_EQ(p->title, "Swap the pads");
    EXPECT_EQ(p->description, "At the bench");
    EXPECT_EQ(p->goalId, 7);
    ASSERT_EQ(p->steps.size(), 2u);
    EXPECT_EQ(p->steps[0].title, "Open the vice");
    EXPECT_EQ(p->steps[0].instruction, "Turn the handle");
    EXPECT_EQ(p->steps[0].expectedSeconds, 90);
    EXPECT_EQ(p->steps[0].annotationCount, 1u);
    EXPECT_FALSE(p->steps[1].expectedSeconds);
    // The body the client posts: the file's fields and the room's mentorship.
    const json body = json::parse(procedureCreateBody(*p, 12));
    EXPECT_EQ(body["mentorship_id"], 12);
    EXPECT_EQ(body["goal_id"], 7);
    EXPECT_EQ(body["steps"][0]["annotations"][0]["kind"], "arrow");
    EXPECT_EQ(body["steps"][0]["expected_seconds"], 90);
    EXPECT_FALSE(body["steps"][1].contains("annotations"));
}

TEST(ProcedureFile, TheDemoProcedureLoads) {
    auto p = loadProcedure(MXR_DEMO_PROCEDURE);
    ASSERT_TRUE(p) << p.error().message;
    EXPECT_GE(p->steps.size(), 3u);
    EXPECT_LE(p->steps.size(), 5u);
    std::size_t annotated = 0;
    for (const auto& s : p->steps) annotated += s.annotationCount > 0;
    EXPECT_GE(annotated, 2u);
}

TEST(ProcedureFile, BadFilesAreRefusedNamingTheFieldAndProblem) {
    EXPECT_EQ(errorOf(R"({"title": "T", "steps": [{"title": "a"}, {"instruction": "x"}]})"),
              "bench.json: steps[1].title: is required");
    EXPECT_EQ(errorOf(R"({"steps": [{"title": "a"}]})"), "bench.json: title: is required");
    EXPECT_EQ(errorOf(R"({"title": "T"})"), "bench.json: steps: is required");
    EXPECT_EQ(errorOf(R"({"title": "T", "steps": []})"), "bench.json: steps: needs at least one step");
    EXPECT_EQ(errorOf(R"({"title": "T", "steps": [{"title": "a", "expected_seconds": 0}]})"),
              "bench.json: steps[0].expected_seconds: must be between 1 and 86400");
    EXPECT_EQ(errorOf(R"({"title": "T", "steps": [{"title": "a", "expected_seconds": "1 min"}]})"),
              "bench.json: steps[0].expected_seconds: must be an integer, got string");
    EXPECT_EQ(errorOf(R"({"title": "T", "steps": [{"title": "a", "annotations": [{"kind": "arrow"}, {"kind": "blob"}]}]})"),
              "bench.json: steps[0].annotations[1].kind: must be one of: arrow, label, box, sphere, ink, marker");
    EXPECT_EQ(errorOf(R"({"title": "T", "steps": [{"title": "a", "annotations": [3]}]})"),
              "bench.json: steps[0].annotations[0]: must be an object, got number");
    EXPECT_EQ(errorOf(R"({"title": "T", "steps": [{"title": "a", "colour": 2}]})"),
              "bench.json: steps[0].colour: is not a field of a procedure step");
    EXPECT_EQ(errorOf(R"({"title": "T", "steps": [{"title": "a", "procedure_id": 2}]})"),
              "bench.json: steps[0].procedure_id: is set by the server");
    EXPECT_EQ(errorOf(R"({"title": "T", "mentorship_id": 3, "steps": [{"title": "a"}]})"),
              "bench.json: mentorship_id: is not in the file: the client takes it from the room's mentorship");
    EXPECT_EQ(errorOf(R"({"title": "T", "goal_id": 0, "steps": [{"title": "a"}]})"),
              "bench.json: goal_id: must be between 1 and 9223372036854775807");
    EXPECT_EQ(errorOf(R"({"title": "", "steps": [{"title": "a"}]})"), "bench.json: title: may not be empty");
    EXPECT_EQ(errorOf(R"({"title": "T", "steps": [{"title": null}]})"),
              "bench.json: steps[0].title: is required and may not be null");
    EXPECT_EQ(errorOf(R"({"title": "T", "description": null, "steps": [{"title": "a", "instruction": null}]})"),
              "(accepted)");
    EXPECT_EQ(errorOf(std::string(R"({"title": ")") + std::string(201, 'x') + R"(", "steps": [{"title": "a"}]})"),
              "bench.json: title: is longer than 200 bytes");
    EXPECT_EQ(errorOf(R"({"title": "T", "steps": [{"title": "two\nlines"}]})"),
              "bench.json: steps[0].title: contains control characters");
    const std::string syntax = errorOf("{\"title\": \"T\",\n \"steps\": [}");
    EXPECT_EQ(syntax.rfind("bench.json: line 2, column 12: syntax error", 0), 0u) << syntax;
    json many = {{"title", "T"}, {"steps", json::array()}};
    for (int i = 0; i < 501; ++i) many["steps"].push_back({{"title", "s"}});
    EXPECT_EQ(errorOf(many.dump()), "bench.json: steps: a procedure has at most 500 steps");
    json big = {{"title", "T"}, {"steps", {{{"title", "s"}, {"annotations", json::array()}}}}};
    for (int i = 0; i < 201; ++i) big["steps"][0]["annotations"].push_back({{"kind", "marker"}});
    EXPECT_EQ(errorOf(big.dump()), "bench.json: steps[0].annotations: has more than 200 items");
    big["steps"][0]["annotations"] = {{{"kind", "label"}, {"text", std::string(70000, 'a')}}};
    EXPECT_EQ(errorOf(big.dump()), "bench.json: steps[0].annotations: is longer than 65536 bytes as JSON");
    // Each annotation is checked in full (the workspace file's format).
    big["steps"][0]["annotations"] = {{{"kind", "label"}, {"text", "clamp"}}};
    EXPECT_EQ(errorOf(big.dump()), "bench.json: steps[0].annotations[0].position: a label needs it");
    auto missing = loadProcedure("/nonexistent/p.json");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().message, "/nonexistent/p.json: cannot open procedure file");
}

TEST(ProcedureFile, DurationsInWords) {
    EXPECT_EQ(describeSeconds(45), "45 s");
    EXPECT_EQ(describeSeconds(90), "1 min 30 s");
    EXPECT_EQ(describeSeconds(120), "2 min");
    EXPECT_EQ(describeSeconds(7500), "2 h 5 min");
}

// The card with a fake room: what it set is what the room says next.
struct FakeRoom {
    std::optional<SharedStep> said;
    std::vector<SharedStep> sets;
    SharedStepLink link() {
        return {[this](const SharedStep& s) {
                    sets.push_back(s);
                    said = s;
                },
                [this] { return said; }};
    }
};

// The records channel: requests sent, answered by the test.
struct FakeRecords {
    struct Sent {
        std::uint32_t id;
        net::ApiMethod method;
        std::string path;
        std::string body;
    };
    std::vector<Sent> sent;
    std::uint32_t nextId = 1;
    RecordsPanel::Sender sender() {
        return [this](net::ApiMethod m, const std::string& path, const std::string& body) {
            sent.push_back({nextId, m, path, body});
            return std::optional<std::uint32_t>(nextId++);
        };
    }
};

ProcedureDef twoSteps() { return *parseProcedure(kTwoSteps, "bench.json"); }

// A signed-in member's card in mentorship 12's room, with a fake room and
// records channel.
struct MentorshipRoomCard {
    explicit MentorshipRoomCard(net::Role role) {
        card.setLink(room.link());
        card.setSelfRole(role);
    }
    ManualClock clock;
    FakeRoom room;
    FakeRecords records;
    ProcedureCard card{clock, "mentorship-12", true};
};

TEST(ProcedureCard, OfflineBackNextDoneAndTheTimeOnEachStep) {
    ManualClock clock(msToNanos(1000));
    ProcedureCard card(clock, "", false);
    EXPECT_EQ(card.heading(), "no procedure");
    card.load(twoSteps());
    EXPECT_EQ(card.heading(), "Step 1 of 2: Open the vice");
    EXPECT_FALSE(card.back()) << "nothing before the first step";
    clock.advance(msToNanos(42'000));
    EXPECT_EQ(card.timing(), "expected 1 min 30 s - on this step 42 s");
    ASSERT_TRUE(card.next());
    EXPECT_EQ(card.heading(), "Step 2 of 2: Tighten the clamp");
    EXPECT_EQ(card.timing(), "on this step 0 s") << "a new step's time starts when it is shown";
    EXPECT_FALSE(card.next()) << "Next stops at the last step; Done finishes";
    ASSERT_TRUE(card.back());
    clock.advance(msToNanos(5'500));
    ASSERT_TRUE(card.done());
    EXPECT_EQ(card.doneSeconds().at(0), 5) << "going back starts the step's time again";
    EXPECT_EQ(card.step(), 1u);
    clock.advance(msToNanos(61'000));
    ASSERT_TRUE(card.done());
    EXPECT_EQ(card.doneSeconds().at(1), 61);
    EXPECT_TRUE(card.finished());
    EXPECT_EQ(card.heading(), "Done: all 2 steps");
    EXPECT_FALSE(card.done());
    // The card in the world says the same.
    ProcedureComponent pc(std::make_unique<ProcedureCard>(clock, "", false), nullptr, nullptr, {}, [](auto&) {});
    pc.card().load(twoSteps());
    engine::FrameScene scene;
    xr::InputState input;
    FrameContext frame(input, 0.0, 0.0, {});
    pc.contribute(frame, scene);
    ASSERT_EQ(scene.labels.size(), 3u);
    EXPECT_EQ(scene.labels[0].text, "Step 1 of 2: Open the vice");
    EXPECT_EQ(scene.labels[1].text, "Turn the handle");
    EXPECT_EQ(scene.labels[2].text, "expected 1 min 30 s - on this step 0 s");
}

TEST(ProcedureCard, InARoomEitherSideAdvancesThroughTheSharedStep) {
    ManualClock clock;
    FakeRoom room;
    FakeRecords records;
    ProcedureCard mine(clock, "demo", false);
    mine.setLink(room.link());
    mine.load(twoSteps());
    EXPECT_TRUE(room.sets.empty()) << "nothing is shared before joining";
    mine.update(true, records.sender());
    ASSERT_EQ(room.sets.size(), 1u) << "joining a room with no procedure open opens ours";
    EXPECT_EQ(room.sets[0], (SharedStep{localProcedureId(twoSteps()), 0}));
    EXPECT_NE(room.sets[0].procedureId & kLocalProcedureBit, 0u) << "not saved: a local id";
    mine.next();
    EXPECT_EQ(room.sets.back().step, 1);
    // The other side goes back: the card follows, its time restarted.
    clock.advance(msToNanos(10'000));
    room.said = SharedStep{room.sets[0].procedureId, 0};
    mine.update(true, records.sender());
    EXPECT_EQ(mine.step(), 0u);
    EXPECT_EQ(mine.secondsOnStep(), 0.0);
    // Another procedure that is not saved cannot be followed: said, unchanged.
    room.said = SharedStep{kLocalProcedureBit | 5, 1};
    mine.update(true, records.sender());
    EXPECT_EQ(mine.step(), 0u);
    EXPECT_NE(mine.lastAnswer().find("not saved"), std::string::npos) << mine.lastAnswer();
    EXPECT_TRUE(records.sent.empty());
}

TEST(ProcedureCard, QuickClicksDoNotJumpBackWhileTheirEchoesComeIn) {
    ManualClock clock;
    // The room as RoomPresence keeps it: set at once here, relayed later.
    std::optional<SharedStep> said;
    std::vector<SharedStep> sent;
    ProcedureCard card(clock, "demo", false);
    card.setLink({[&](const SharedStep& s) {
                      sent.push_back(s);
                      said = s;
                  },
                  [&] { return said; }, [] { return std::uint16_t{7}; }});
    ProcedureDef three = twoSteps();
    three.steps.push_back(three.steps[1]);
    card.load(three);
    card.update(true, {});
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0].by, 7);
    const std::uint32_t id = sent[0].procedureId;
    card.next();
    card.next();
    ASSERT_EQ(card.step(), 2u);
    // The host relays them in order: the older echoes do not move the card.
    said = SharedStep{id, 0, 7};
    card.update(true, {});
    said = SharedStep{id, 1, 7};
    card.update(true, {});
    EXPECT_EQ(card.step(), 2u);
    // Someone else's step, relayed between: shown.
    said = SharedStep{id, 0, 3};
    card.update(true, {});
    EXPECT_EQ(card.step(), 0u);
    // The last own echo is the host's state after both: shown.
    said = SharedStep{id, 2, 7};
    card.update(true, {});
    EXPECT_EQ(card.step(), 2u);
    // A step lost on the way is forgotten: the room's own-step later shows.
    card.back();
    clock.advance(msToNanos(4000));
    said = SharedStep{id, 0, 7};
    card.update(true, {});
    EXPECT_EQ(card.step(), 0u);
}

const char* kSavedAnswer = R"({"id": 31, "mentorship_id": 12, "title": "Swap the pads", "goal_id": 7,
  "steps": [{"id": 101, "procedure_id": 31, "position": 1, "title": "Open the vice", "expected_seconds": 90},
            {"id": 102, "procedure_id": 31, "position": 2, "title": "Tighten the clamp"}]})";

TEST(ProcedureCard, TheMentorSavesAndTheRoomThenFollowsTheRecord) {
    MentorshipRoomCard mentor(net::Role::kMentor);
    auto& [clock, room, records, card] = mentor;
    card.load(twoSteps());
    card.update(true, records.sender());
    ASSERT_TRUE(card.save());
    card.update(true, records.sender());
    ASSERT_EQ(records.sent.size(), 1u);
    EXPECT_EQ(records.sent[0].method, net::ApiMethod::kPost);
    EXPECT_EQ(records.sent[0].path, "/procedures");
    const json body = json::parse(records.sent[0].body);
    EXPECT_EQ(body["mentorship_id"], 12);
    EXPECT_EQ(body["steps"].size(), 2u);
    EXPECT_TRUE(card.busy());
    ASSERT_TRUE(card.onResponse({records.sent[0].id, 201, kSavedAnswer}));
    EXPECT_EQ(card.saveAnswer(), "saved as procedure 31");
    EXPECT_EQ(card.takeAnnouncements(), std::vector<std::string>{"procedure: saved id 31 with 2 steps"});
    EXPECT_EQ(room.sets.back(), (SharedStep{31, 0})) << "the room now names the record";
    EXPECT_EQ(card.currentStepId(), 101);
    // A mentor's Done moves on without a completion (completions are the mentee's).
    card.done();
    card.update(true, records.sender());
    EXPECT_EQ(records.sent.size(), 1u);
    EXPECT_EQ(card.currentStepId(), 102);
}

// The room's annotations kept with a saved step are stored on its record,
// so they outlive the room.
TEST(ProcedureCard, AnnotationsKeptInASavedStepArePatchedOntoItsRecord) {
    MentorshipRoomCard mentor(net::Role::kMentor);
    auto& [clock, room, records, card] = mentor;
    card.load(twoSteps());
    ASSERT_TRUE(card.save());
    card.update(true, records.sender());
    ASSERT_TRUE(card.onResponse({records.sent[0].id, 201, kSavedAnswer}));
    (void)card.takeAnnouncements();
    const std::string arrow = R"([{"kind":"arrow","colour":"orange","position":[0,1,0],"end":[0.1,1,0]}])";
    ASSERT_TRUE(card.keepInStep(arrow, 1));
    card.update(true, records.sender());
    ASSERT_EQ(records.sent.size(), 2u);
    EXPECT_EQ(records.sent[1].method, net::ApiMethod::kPatch);
    EXPECT_EQ(records.sent[1].path, "/procedure_steps/101");
    const json patch = json::parse(records.sent[1].body);
    ASSERT_EQ(patch["annotations"].size(), json::parse(card.currentStep()->annotationsJson).size());
    EXPECT_EQ(patch["annotations"].back()["kind"], "arrow");
    ASSERT_TRUE(card.onResponse({records.sent[1].id, 200, R"({"id":101})"}));
    EXPECT_EQ(card.saveAnswer(), "kept 1 annotations in step 1 (stored)");
    // Past the step's limit: refused, said, nothing sent.
    EXPECT_FALSE(card.keepInStep(arrow, 200));
    EXPECT_NE(card.saveAnswer().find("at most 200 annotations"), std::string::npos) << card.saveAnswer();
    card.update(true, records.sender());
    EXPECT_EQ(records.sent.size(), 2u);
}

// "Authored by the mentor in the session": steps written on the card,
// saved with the procedure, and once it is saved stored one by one.
TEST(ProcedureCard, StepsWrittenInTheSessionAreSavedAndThenStoredOneByOne) {
    MentorshipRoomCard mentor(net::Role::kMentor);
    auto& [clock, room, records, card] = mentor;
    card.update(true, records.sender());  // in the room
    auto first = newProcedureStep("Check the stop button", "Press it; the motor must stop.", 20);
    ASSERT_TRUE(first) << first.error().message;
    ASSERT_TRUE(card.addStep(*first));  // no procedure yet: one is started
    EXPECT_EQ(card.heading(), "Step 1 of 1: Check the stop button");
    auto second = newProcedureStep("Reset it", "", std::nullopt);
    ASSERT_TRUE(second);
    ASSERT_TRUE(card.addStep(*second));
    EXPECT_EQ(card.saveAnswer(), "added step 2 (saved with the procedure)");
    ASSERT_FALSE(room.sets.empty());
    EXPECT_EQ(room.sets.back().procedureId, localProcedureId(*card.procedure()));  // the room follows the new titles
    ASSERT_TRUE(card.save());
    card.update(true, records.sender());
    ASSERT_EQ(records.sent.size(), 1u);
    const json body = json::parse(records.sent[0].body);
    ASSERT_EQ(body["steps"].size(), 2u);
    EXPECT_EQ(body["steps"][0]["expected_seconds"], 20);
    EXPECT_EQ(body["steps"][1]["title"], "Reset it");
    ASSERT_TRUE(card.onResponse({records.sent[0].id, 201, kSavedAnswer}));
    // Saved: a further step is posted on its own and takes its record id.
    auto third = newProcedureStep("Log it", "Write the result in the book.", std::nullopt);
    ASSERT_TRUE(card.addStep(*third));
    card.update(true, records.sender());
    ASSERT_EQ(records.sent.size(), 2u);
    EXPECT_EQ(records.sent[1].path, "/procedure_steps");
    const json step = json::parse(records.sent[1].body);
    EXPECT_EQ(step["procedure_id"], 31);
    EXPECT_EQ(step["position"], 3);
    EXPECT_EQ(step["title"], "Log it");
    ASSERT_TRUE(card.onResponse({records.sent[1].id, 201, R"({"id":103,"title":"Log it"})"}));
    EXPECT_EQ(card.saveAnswer(), "added step 3 (stored)");
    EXPECT_EQ(card.procedure()->steps[2].serverId, 103);
    // A step with no title is refused before it reaches the card.
    auto untitled = newProcedureStep("", "x", std::nullopt);
    ASSERT_FALSE(untitled);
    EXPECT_EQ(untitled.error().message, "new step: title: may not be empty");
}

TEST(ProcedureCard, TheServersRefusalIsShown) {
    ManualClock clock;
    FakeRecords records;
    ProcedureCard card(clock, "mentorship-12", true);
    card.load(twoSteps());
    ASSERT_TRUE(card.save());
    card.update(true, records.sender());
    ASSERT_EQ(records.sent.size(), 1u);
    card.onResponse({records.sent[0].id, 404, R"({"error":{"message":"no goal 7","field":"goal_id"}})"});
    EXPECT_EQ(card.saveAnswer(), "refused 404 field goal_id: no goal 7");
    EXPECT_EQ(card.takeAnnouncements(), std::vector<std::string>{"procedure: save refused 404 field goal_id: no goal 7"});
    EXPECT_EQ(card.procedure()->serverId, 0);
    // Nothing to save with: said, not sent.
    ProcedureCard guest(clock, "mentorship-12", false);
    guest.load(twoSteps());
    EXPECT_FALSE(guest.save());
    EXPECT_EQ(guest.saveAnswer(), "not saved: procedures need an account (join with --login EMAIL)");
    ProcedureCard elsewhere(clock, "demo", true);
    elsewhere.load(twoSteps());
    EXPECT_FALSE(elsewhere.save());
    EXPECT_EQ(elsewhere.saveAnswer(), "not saved: procedures are saved in a mentorship's room (mentorship-ID)");
}

TEST(ProcedureCard, TheMenteeFetchesTheRoomsProcedureAndPostsEachCompletion) {
    MentorshipRoomCard mentee(net::Role::kMentee);
    auto& [clock, room, records, card] = mentee;
    room.said = SharedStep{31, 1};  // the mentor's card is on step 2
    card.update(true, records.sender());
    EXPECT_EQ(card.heading(), "loading the room's procedure...");
    ASSERT_EQ(records.sent.size(), 1u);
    EXPECT_EQ(records.sent[0].path, "/procedures/31");
    card.onResponse({records.sent[0].id, 200, R"({"id": 31, "mentorship_id": 12, "title": "Swap the pads"})"});
    card.update(true, records.sender());
    ASSERT_EQ(records.sent.size(), 2u);
    EXPECT_EQ(records.sent[1].path, "/procedure_steps?procedure_id=31&limit=500");
    // Listed out of order: the card orders by position.
    card.onResponse({records.sent[1].id, 200, R"({"items": [
        {"id": 102, "procedure_id": 31, "position": 2, "title": "Tighten the clamp"},
        {"id": 101, "procedure_id": 31, "position": 1, "title": "Open the vice", "expected_seconds": 90}]})"});
    EXPECT_EQ(card.takeAnnouncements(), std::vector<std::string>{"procedure: loaded id 31 from the room, 2 steps"});
    EXPECT_EQ(card.heading(), "Step 2 of 2: Tighten the clamp") << "arrives on the room's step";
    room.said = SharedStep{31, 0};  // the mentor goes back
    card.update(true, records.sender());
    EXPECT_EQ(card.currentStepId(), 101);
    clock.advance(msToNanos(73'400));
    card.done();
    EXPECT_EQ(room.sets.back(), (SharedStep{31, 1})) << "Done moves the room on";
    clock.advance(msToNanos(12'000));
    card.done();
    EXPECT_TRUE(card.finished());
    EXPECT_EQ(room.sets.back(), (SharedStep{31, 2}));
    card.update(true, records.sender());
    ASSERT_EQ(records.sent.size(), 4u);
    EXPECT_EQ(records.sent[2].path, "/step_completions");
    EXPECT_EQ(json::parse(records.sent[2].body), (json{{"step_id", 101}, {"seconds_taken", 73}}));
    EXPECT_EQ(json::parse(records.sent[3].body), (json{{"step_id", 102}, {"seconds_taken", 12}}));
    card.onResponse({records.sent[2].id, 201, R"({"id": 5, "step_id": 101, "seconds_taken": 73})"});
    card.onResponse({records.sent[3].id, 403, R"({"error":{"message":"not a member"}})"});
    EXPECT_EQ(card.takeAnnouncements(),
              (std::vector<std::string>{"procedure: step 1 done in 73 s saved id 5",
                                        "procedure: step 2 done in 12 s refused 403: not a member"}));
    EXPECT_EQ(card.lastAnswer(), "step 2 done in 12 s: refused 403: not a member");
    EXPECT_FALSE(card.busy());
}

TEST(ProcedureCard, RequestsWaitUntilTheChannelTakesThem) {
    ManualClock clock;
    ProcedureCard card(clock, "mentorship-12", true);
    card.load(twoSteps());
    card.save();
    int tries = 0;
    card.update(true, [&](net::ApiMethod, const std::string&, const std::string&) {
        ++tries;
        return std::optional<std::uint32_t>();
    });
    EXPECT_EQ(tries, 1);
    EXPECT_TRUE(card.busy());
    FakeRecords records;
    card.update(false, records.sender());
    EXPECT_TRUE(records.sent.empty()) << "nothing is sent outside the room";
    card.update(true, records.sender());
    EXPECT_EQ(records.sent.size(), 1u);
}

}  // namespace
}  // namespace mxr::scenes
