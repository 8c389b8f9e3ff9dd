#include "testing/test_driver.h"

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

namespace mxr::scenes {

namespace {

nlohmann::json toJson(const Pose& p) {
    return {{"position", {p.position.x, p.position.y, p.position.z}},
            {"orientation", {p.orientation.x, p.orientation.y, p.orientation.z, p.orientation.w}}};
}

nlohmann::json playerJson(const LocalPlayer& player) {
    nlohmann::json j;
    const Participant me = player.avatar("me", Vec4(1.0f));
    const Pose& origin = player.worldFromStage();
    const Vec3 fwd = origin.orientation * Vec3(0, 0, -1);
    j["play_space"] = {{"position", {origin.position.x, origin.position.y, origin.position.z}},
                       {"yaw_deg", glm::degrees(std::atan2(-fwd.x, -fwd.z))}};
    j["local_avatar"] = {{"head", toJson(me.head)}, {"hands", {toJson(me.hands[0]), toJson(me.hands[1])}}};
    nlohmann::json joints = nlohmann::json::array();
    for (int h = 0; h < 2; ++h) {
        const auto& hj = player.lastInput().joints[h];
        nlohmann::json list = nlohmann::json::array();
        if (hj.valid) {
            for (const Pose& jp : hj.poses) list.push_back(toJson(player.toWorld(jp))["position"]);
        }
        joints.push_back(list);
    }
    j["local_avatar"]["hand_joints"] = joints;
    j["teleports"] = player.teleports();
    j["snap_turns"] = player.snapTurns();
    return j;
}

nlohmann::json presenceJson(const PresenceComponent& pc, const Participant& sent) {
    const RoomPresence& presence = pc.presence();
    nlohmann::json j;
    j["connection"] = {{"status", presence.statusText()},
                       {"room", presence.room()},
                       {"people", presence.people()},
                       {"self_id", presence.selfId()},
                       {"posted_avatars", presence.postedAvatars()},
                       {"frames_reconnecting", pc.framesReconnecting()}};
    j["sent_avatar"] = {{"head", toJson(sent.head)}, {"hands", {toJson(sent.hands[0]), toJson(sent.hands[1])}}};
    nlohmann::json remotes = nlohmann::json::array();
    for (const auto& p : pc.people()) {
        const Vec3 label = labelAnchor(p);
        remotes.push_back({{"name", p.name},
                           {"color", {p.color.r, p.color.g, p.color.b}},
                           {"opacity", p.opacity},
                           {"head", toJson(p.head)},
                           {"label_anchor", {label.x, label.y, label.z}},
                           {"hands", {toJson(p.hands[0]), toJson(p.hands[1])}}});
    }
    j["remote_avatars"] = remotes;
    return j;
}

nlohmann::json recordsJson(const RecordsPanel& records) {
    nlohmann::json goals = nlohmann::json::array();
    for (const auto& g : records.goals()) {
        goals.push_back({{"id", g.id}, {"title", g.title}, {"progress", g.progress}, {"answer", g.answer}});
    }
    return {{"status", records.statusText()},
            {"goals", goals},
            {"session", records.currentSession() ? *records.currentSession() : 0},
            {"feedback", records.feedbackAnswer()}};
}

nlohmann::json procedureJson(const ProcedureComponent& pc) {
    const ProcedureCard& card = pc.card();
    nlohmann::json done = nlohmann::json::object();
    for (const auto& [step, seconds] : card.doneSeconds()) done[std::to_string(step)] = seconds;
    nlohmann::json j = {{"heading", card.heading()},
                        {"step", card.step()},
                        {"steps", card.stepCount()},
                        {"finished", card.finished()},
                        {"current_step_id", card.currentStepId()},
                        {"shared_id", card.sharedId()},
                        {"done_seconds", done},
                        {"card_lines", pc.cardLines()},
                        {"save_answer", card.saveAnswer()},
                        {"last_answer", card.lastAnswer()}};
    if (card.procedure()) {
        j["title"] = card.procedure()->title;
        j["id"] = card.procedure()->serverId;
    }
    return j;
}

}  // namespace

TestDriver::TestDriver(TestDriverOptions options, TestDriverTargets targets, LineSink print)
    : m_options(std::move(options)), m_targets(targets), m_print(std::move(print)) {
    m_scriptSent = m_options.setGoalProgress.empty() && !m_options.sendFeedback;
}

void TestDriver::runScript() {
    RecordsComponent& rc = *m_targets.records;
    RecordsPanel& records = rc.panel();
    if (records.phase() == RecordsPhase::kGuest) {
        m_print(strCat("records: not sent: ", records.statusText()));
        m_scriptSent = true;
        return;
    }
    // Loaded (and the presence list says who we are), so the feedback's
    // session and default subject are known.
    if (records.phase() != RecordsPhase::kReady) return;
    if (m_options.sendFeedback && !m_targets.presence->presence().selfRole()) return;
    for (const auto& [goal, percent] : m_options.setGoalProgress) records.saveProgress(goal, percent);
    if (m_options.sendFeedback) {
        rc.fillFeedbackForm(*m_options.sendFeedback);
        records.submitFeedback(*m_options.sendFeedback);
    }
    rc.sendNow();
    m_scriptSent = true;
}

bool TestDriver::runProcedureScript() {
    const auto& script = m_options.procedureScript;
    ProcedureComponent* pc = m_targets.procedure;
    if (m_procedureAction >= script.size()) return true;
    if (!pc) {
        m_print("procedure: not run: no step card (give --procedure FILE or join a mentorship room)");
        m_procedureAction = script.size();
        return true;
    }
    ProcedureCard& card = pc->card();
    // One action per frame, each once the card has its procedure, the
    // answers to the one before are in and (in a room) the role is known.
    const bool inRoom = m_targets.presence && m_targets.presence->presence().phase() == ConnectionPhase::kInRoom;
    if (m_targets.presence && (!inRoom || !m_targets.presence->presence().selfRole())) return false;
    if (!card.procedure() || card.busy()) return false;
    const std::string& action = script[m_procedureAction];
    if (action == "await-finished" || action == "done-all") {
        if (!card.finished()) {
            if (action == "done-all") card.done();
            if (action == "await-finished" && !m_awaitSaid) {
                m_print(strCat("procedure: awaiting the end at step ", card.step() + 1, " of ", card.stepCount()));
                m_awaitSaid = true;
            }
            pc->sendNow();
            return false;
        }
    } else if (action == "save") {
        card.save();
    } else if (action == "next") {
        card.next();
    } else if (action == "back") {
        card.back();
    } else if (action == "done") {
        card.done();
    } else {
        m_print(strCat("procedure: unknown scripted action ", action));
    }
    pc->sendNow();
    ++m_procedureAction;
    return false;
}

void TestDriver::update(FrameContext& frame) {
    const bool procedureDone = runProcedureScript();
    PresenceComponent* pc = m_targets.presence;
    if (!pc) {
        if (!procedureDone) frame.holdCount();
        return;
    }
    if (m_released) return;
    if (!m_scriptSent && m_targets.records) runScript();
    const RoomPresence& presence = pc->presence();
    const bool busy = (m_targets.records && m_targets.records->panel().busy()) ||
                      (m_targets.procedure && m_targets.procedure->card().busy());
    if (presence.everJoined() && presence.visiblePeople() >= m_options.awaitPeople && m_scriptSent && !busy &&
        procedureDone) {
        m_released = true;
        return;
    }
    frame.holdCount();
    const auto joined = pc->joinedAt();
    if (!joined || pc->clock().now() - *joined <= m_options.connectTimeout) return;
    const std::string why =
        presence.visiblePeople() < m_options.awaitPeople
            ? strCat("--await-people ", m_options.awaitPeople, ": only ", presence.visiblePeople(),
                     " other people became visible in room ", presence.room())
        : !procedureDone
            ? strCat("--procedure-script: stopped at ", m_options.procedureScript[m_procedureAction], " in room ",
                     presence.room())
            : strCat("the records requests (--set-goal-progress, --send-feedback) got no answer in room ",
                     presence.room());
    frame.exit(1, strCat(why, " within ", nanosToSeconds(m_options.connectTimeout), " s of joining"));
}

Result<void> TestDriver::writeState(const ShutdownContext& end) const {
    nlohmann::json j = nlohmann::json::object();
    if (end.lastView) {
        const Fov& fov = end.lastView->fov;
        j["view"] = toJson(end.lastView->pose);
        j["view"]["fov"] = {fov.angleLeft, fov.angleRight, fov.angleUp, fov.angleDown};
    }
    if (m_targets.presence && m_targets.local) j.update(presenceJson(*m_targets.presence, m_targets.local->avatar()));
    if (m_targets.records) j["records"] = recordsJson(m_targets.records->panel());
    if (m_targets.procedure) j["procedure"] = procedureJson(*m_targets.procedure);
    j["frames"] = end.framesCounted;
    j["mode"] = end.mode;
    if (m_targets.local && m_targets.local->player()) j.update(playerJson(*m_targets.local->player()));
    if (m_targets.local) j["paused"] = m_targets.local->avatar().paused;  // as others see this person
    if (m_targets.panel && m_options.panelInDump) {
        const WorldPanel& panel = m_targets.panel->panel();
        j["panel"] = {{"visible", panel.visible()}, {"hovered", panel.hovered()}, {"presses", panel.presses()},
                      {"toggled", panel.toggled()}};
    }
    std::ofstream out(m_options.dumpStatePath);
    out << j.dump(2) << "\n";
    if (!out) return makeError(ErrorCode::kIo, strCat("--dump-state: cannot write ", m_options.dumpStatePath));
    return {};
}

void TestDriver::shutdown(ShutdownContext& end) {
    if (m_options.dumpStatePath.empty()) return;
    if (auto w = writeState(end); !w && end.exitCode == 0) {
        std::fprintf(stderr, "mentorxr: %s\n", w.error().message.c_str());
        end.exitCode = 1;
    }
}

}  // namespace mxr::scenes
