#pragma once
// The step card's model (issue 14): which step of the loaded procedure is
// shown, how long it has been shown, Back / Next / Done, the step shared
// with the room, and the procedure's records (saved by the mentor, step
// completions posted by the mentee). The ImGui window and the card in the
// world (procedure_component.h) are thin layers over it; the client's
// scripted options call the same actions a click does.
//
// Steps count from 0; step == stepCount() means the procedure is finished.
// Time on a step is measured on the injected Clock from the moment the
// step was shown (going back to a step starts its time again).
//
// The shared step (SharedStepLink, a seam over RoomPresence's
// setProcedureStep/procedureStep): any member sets it, the room host keeps
// and relays it, so either side advances and a late joiner arrives on the
// step the room is on. The procedure is named by its server record id once
// saved (or loaded from the room); a procedure not saved (offline, guests,
// rooms without a mentorship) goes by a local id, kLocalProcedureBit plus a
// hash of its titles, so two clients that loaded the same file still agree.
// When the room names a saved procedure this client does not have, it is
// fetched from the server (GET /procedures/{id} and its steps) and shown.
//
// Records (RecordsPanel::Sender, the presence's records over ENet; with an
// account, in a mentorship room): save() posts the procedure with its steps
// (POST /procedures); done() by a mentee posts a step_completion with the
// seconds on that step. The server decides who may: refusals are shown as
// its text (describeAnswer) and announced.
//
// Thread: main thread only. Nothing here fails: refusals are state.
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/clock.h"
#include "net/messages.h"
#include "scenes/procedure.h"
#include "scenes/records_panel.h"

namespace mxr::scenes {

inline constexpr std::uint32_t kLocalProcedureBit = 0x80000000u;

struct SharedStep {
    std::uint32_t procedureId = 0;  // 0: no procedure is open in the room
    std::uint16_t step = 0;
    std::uint16_t by = 0;  // who set it (avatar id; 0: unknown)
    bool operator==(const SharedStep&) const = default;
};

// The room's shared step; unset members: offline (the card is local).
struct SharedStepLink {
    std::function<void(const SharedStep&)> set;
    std::function<std::optional<SharedStep>()> get;  // what the room says now (none before it said)
    // This client's avatar id, to know its own steps coming back from the
    // host. Decision: while more of its own are on their way, an echo of an
    // older one is not shown (quick clicks would otherwise make the card
    // jump back); the last one, and anyone else's, is. Unset: every change
    // is shown.
    std::function<std::uint16_t()> self;
};

// The local id of a procedure not saved (kLocalProcedureBit | hash).
std::uint32_t localProcedureId(const ProcedureDef& procedure);

class ProcedureCard {
public:
    // `room`: the room joined ("" offline); `account`: logged in (not a guest).
    ProcedureCard(const Clock& clock, std::string room, bool account);

    // Shows `procedure` from its first step (and says so to the room).
    void load(ProcedureDef procedure);
    void setLink(SharedStepLink link) { m_link = std::move(link); }
    void setSelfRole(std::optional<net::Role> role) { m_role = role; }

    // Each frame: follows the room's step (fetching its procedure when it is
    // another saved one), then sends what is queued while `inRoom`.
    void update(bool inRoom, const RecordsPanel::Sender& send);
    // An answer; false when it was not for the card.
    bool onResponse(const net::ApiResponse& response);

    // --- actions (a click, or the scripted options) ---
    bool back();
    bool next();
    // The step is done: a mentee's completion is posted (with an account in
    // a saved procedure), then the card moves on (past the last step: finished).
    bool done();
    // POST /procedures for the room's mentorship; false (saveAnswer() says
    // why) when there is nothing to save, no account or no mentorship.
    bool save();

    // --- what to show ---
    const std::optional<ProcedureDef>& procedure() const { return m_procedure; }
    std::size_t stepCount() const { return m_procedure ? m_procedure->steps.size() : 0; }
    std::size_t step() const { return m_step; }
    bool finished() const { return m_procedure && m_step >= stepCount(); }
    const ProcedureStepDef* currentStep() const;
    // The current step's server record id (0: not saved, or finished); the
    // annotation drawing shows that step's annotations.
    std::int64_t currentStepId() const;
    std::uint32_t sharedId() const;  // the procedure's id in the room
    double secondsOnStep() const;
    // "Step 2 of 5: Tighten the clamp", "Done: all 5 steps", "no procedure".
    std::string heading() const;
    // "expected 1 min 30 s - on this step 42 s" (or without the expectation).
    std::string timing() const;
    // Seconds taken on each step done here (this run), by step index.
    const std::map<std::size_t, std::int64_t>& doneSeconds() const { return m_doneSeconds; }
    // Keeps annotations (a JSON array in the workspace file's format,
    // `count` of them) with the current step, after the ones it has: shown
    // at once; in a saved procedure also stored on the step's record
    // (PATCH /procedure_steps/{id}), so they outlive the room; otherwise
    // they go with the next save. False (saveAnswer() says why) without a
    // current step or past the step's limits (200 annotations, 64 KiB).
    bool keepInStep(const std::string& annotationsJson, std::size_t count);
    // Authoring in the session: appends `step` (newProcedureStep) after the
    // last; without a procedure, starts one ("Written in the session").
    // In a saved procedure the step is also posted (POST /procedure_steps)
    // and stored; otherwise it goes with the next Save. False (saveAnswer()
    // says why) past kMaxProcedureSteps.
    bool addStep(ProcedureStepDef step);
    bool mayEdit() const { return m_account && m_mentorshipId.has_value(); }
    bool mentee() const { return m_role == net::Role::kMentee; }
    bool mentor() const { return m_role == net::Role::kMentor; }
    const std::string& saveAnswer() const { return m_saveAnswer; }
    const std::string& lastAnswer() const { return m_lastAnswer; }  // the last completion's or fetch's
    bool busy() const { return !m_outbox.empty() || !m_pending.empty(); }
    std::vector<std::string> takeAnnouncements();

private:
    enum class Kind { kSave, kComplete, kFetch, kFetchSteps, kKeepInStep, kAddStep };
    struct Outgoing {
        Kind kind;
        net::ApiMethod method;
        std::string path;
        std::string body;
        std::int64_t subject = 0;  // step index (completions, kept annotations), procedure id (fetches)
        std::int64_t seconds = 0;  // a completion's seconds; the number of annotations kept
    };
    void show(std::size_t step);
    void share();
    void follow(const SharedStep& room);
    void onAnswer(const Outgoing& o, std::uint16_t status, const std::string& body);

    const Clock& m_clock;
    std::string m_room;
    bool m_account;
    std::optional<std::int64_t> m_mentorshipId;
    std::optional<net::Role> m_role;
    SharedStepLink m_link;
    std::optional<ProcedureDef> m_procedure;
    std::size_t m_step = 0;
    Nanos m_shownAt = 0;
    std::optional<SharedStep> m_seen;        // the room's step last acted on
    struct InFlight {
        SharedStep step;
        Nanos sentAt = 0;
    };
    std::vector<InFlight> m_inFlight;        // own steps the host has not relayed back yet
    // Whether `room` is an echo of an own step with more on their way (not shown).
    bool staleEcho(const SharedStep& room);
    std::uint32_t m_fetching = 0;            // a room procedure being fetched
    std::string m_fetchedRecord;             // its record while the steps come
    std::optional<std::uint16_t> m_stepAfterFetch;
    bool m_inRoom = false;
    bool m_announced = false;                // said which procedure is open since joining
    std::map<std::size_t, std::int64_t> m_doneSeconds;
    std::vector<Outgoing> m_outbox;
    std::map<std::uint32_t, Outgoing> m_pending;
    std::string m_saveAnswer;
    std::string m_lastAnswer;
    std::vector<std::string> m_announcements;
};

}  // namespace mxr::scenes
