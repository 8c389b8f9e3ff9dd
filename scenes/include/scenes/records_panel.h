#pragma once
// The "Mentorship" panel's model: the signed-in person's goals and session
// feedback, read and written over ENet as records requests
// (net::ApiRequest, answered by the session server with exactly what the
// HTTP API would answer). The model holds the state, builds the requests
// and reads the answers; the ImGui drawing (records_panel_ui.h) is a thin
// layer over it, and the client's scripted options (--set-goal-progress,
// --send-feedback) call the same actions a click does.
//
// What it loads, once in the room (and again on refresh()):
// - in a room `mentorship-<id>`: that mentorship (its members, for the
//   feedback's subject), its goals, and its sessions, of which the latest
//   that has begun (by started_at, else a scheduled_at not in the future,
//   then id; cancelled ones never) is the one feedback is about. Decision:
//   the server records the session being held now only when the room
//   empties (server/README.md, sessions from room presence), so "the
//   current session" is the latest recorded one, and a planned series'
//   future meetings are not;
// - in any other room: the person's mentorships, their goals and sessions;
//   feedback needs the mentorship's room (there is no session to name).
// In both, the next session: the earliest planned one (not cancelled, not
// begun, scheduled_at from now on) and the room it is held in, as the web
// app's schedule shows it (issue 18).
// The access rules are the server's: the model sends what the user asks
// for (even a goal it has not listed) and shows the answer.
//
// Guests (no account) cannot use records: the model sends nothing and says
// so. Offline (no --server) it says that too.
//
// Thread: main thread only. No network of its own: update() hands requests
// to a Sender (RoomClient::sendApiRequest), onResponse() takes the answers
// (RoomClient::pollApiResponse). Answers to ids it did not send are
// ignored. A request the Sender cannot queue is retried on the next
// update(). Nothing here fails: refusals are state to show.
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/result.h"
#include "net/messages.h"

namespace mxr::scenes {

// The mentorship a room belongs to: `mentorship-<id>` gives <id>.
std::optional<std::int64_t> mentorshipOfRoomName(const std::string& room);

// A server answer in words: "saved" for 2xx; otherwise "refused STATUS[
// field FIELD]: MESSAGE" with the server's {"error"} message (or the
// status's meaning when the body has none). Never empty.
std::string describeAnswer(std::uint16_t status, const std::string& body);

struct GoalRow {
    std::int64_t id = 0;
    std::int64_t mentorshipId = 0;
    std::string title;
    std::string status;    // open, achieved, abandoned
    int progress = 0;      // as the server last said
    int editProgress = 0;  // the slider (0-100)
    bool saving = false;   // a PATCH is on its way
    std::string answer;    // the last save's answer (describeAnswer), empty before
};

// The four ratings (1-5), free text and visibility of a feedback entry.
struct FeedbackDraft {
    int ratingGoalProgress = 3;
    int ratingCommunication = 3;
    int ratingTrustRespect = 3;
    int ratingUsefulness = 3;
    std::string text;
    bool programManagerOnly = false;        // visibility; false: "pair"
    std::optional<std::int64_t> subjectId;  // another member; none: the default subject
    std::optional<std::int64_t> sessionId;  // none: the current (latest) session
};
// Reads a draft from a JSON object with the feedback's own fields
// (rating_goal_progress, rating_communication, rating_trust_respect,
// rating_usefulness, text, visibility "pair"|"program_manager_only",
// optionally subject_id and session_id). Ratings are not range-checked:
// the server is the judge. Unknown fields or wrong types are errors.
Result<FeedbackDraft> parseFeedbackDraft(const std::string& jsonText);

// The next planned session of the person's mentorships.
struct NextSession {
    std::int64_t id = 0;
    std::int64_t mentorshipId = 0;
    std::string scheduledAt;  // RFC 3339 UTC, as the server wrote it
    std::string agenda;
    bool operator==(const NextSession&) const = default;
};
// "2026-12-10T09:00:00Z" as "2026-12-10 09:00 UTC"; other text unchanged.
std::string describeUtcTime(const std::string& rfc3339);
// Now in the server's timestamp form ("2026-12-04T17:30:00Z").
std::string utcNowText();

struct Member {
    std::int64_t personId = 0;
    bool mentor = false;  // else mentee
};

enum class RecordsPhase {
    kOffline,  // no server
    kGuest,    // joined as a guest: records need an account
    kWaiting,  // not in the room (yet, or reconnecting)
    kLoading,  // requests on their way
    kReady,
};

class RecordsPanel {
public:
    using Sender =
        std::function<std::optional<std::uint32_t>(net::ApiMethod, const std::string& path, const std::string& body)>;

    // `room`: the room joined; `account`: logged in with an account (not a
    // guest); `online`: a server was given at all.
    RecordsPanel(std::string room, bool account, bool online = true);

    // The clock that says which sessions have begun and which are still to
    // come (utcNowText by default; tests set a fixed one).
    void setClock(std::function<std::string()> nowUtc) { m_now = std::move(nowUtc); }

    // Each frame. `inRoom`: RoomPresence is in the room. Loads on the first
    // frame in the room, then sends whatever is queued.
    void update(bool inRoom, const Sender& send);
    // An answer; false when it was not for this panel.
    bool onResponse(const net::ApiResponse& response);

    // The signed-in person's role in the room (from the presence list):
    // picks the default feedback subject (a mentee rates the mentorship's
    // first mentor, anyone else its first mentee), since the client does not
    // learn its own person id over ENet.
    void setSelfRole(net::Role role) { m_selfRole = role; }

    // --- actions (a click, or the client's scripted options) ---
    void refresh();
    // Sends PATCH /goals/{id} {"progress": percent}; the goal need not be
    // listed. Misuse (percent outside 0-100) is refused with false.
    bool saveProgress(std::int64_t goalId, int percent);
    // POST /feedback with the draft (its session and subject, else the
    // current session and the default subject). False, with feedbackAnswer()
    // saying why, when there is no session or subject to name yet.
    bool submitFeedback(const FeedbackDraft& draft);

    // --- what to show ---
    RecordsPhase phase() const;
    // One line: "records need an account: join with --login EMAIL", "loading...",
    // "3 goals" ...
    std::string statusText() const;
    const std::optional<std::int64_t>& mentorshipId() const { return m_mentorshipId; }
    std::vector<GoalRow>& goals() { return m_goals; }
    const std::vector<GoalRow>& goals() const { return m_goals; }
    const std::vector<Member>& members() const { return m_members; }
    std::optional<std::int64_t> currentSession() const {
        return m_session ? std::optional(m_session->id) : std::nullopt;
    }
    const std::string& currentSessionLabel() const { return m_sessionLabel; }
    std::optional<std::int64_t> defaultSubject() const;
    // The earliest planned session from now on, if any is known.
    std::optional<NextSession> nextSession() const;
    // One line: "next session: 2026-12-10 09:00 UTC, here" (in its room) or
    // "... in room mentorship-6", with the agenda after a dash; "no session
    // planned" when there is none.
    std::string nextSessionText() const;
    const std::string& feedbackAnswer() const { return m_feedbackAnswer; }
    bool feedbackSending() const { return m_feedbackInFlight; }
    const std::string& loadError() const { return m_loadError; }
    bool busy() const { return !m_outbox.empty() || !m_pending.empty(); }
    // Each answer to an action, once, as a line for stdout ("records: goal 3
    // progress 60 saved"); tests parse these.
    std::vector<std::string> takeAnnouncements();

private:
    enum class Kind { kMentorship, kMentorships, kGoals, kSessions, kPatchGoal, kPostFeedback };
    struct Outgoing {
        Kind kind;
        net::ApiMethod method;
        std::string path;
        std::string body;
        std::int64_t subject = 0;  // mentorship id (lists), goal id, session id
        int value = 0;             // progress sent
        int page = 0;              // lists: pages followed so far
    };
    void queue(Outgoing o) { m_outbox.push_back(std::move(o)); }
    void startLoading();
    void onList(const Outgoing& o, std::uint16_t status, const std::string& body);
    void onWrite(const Outgoing& o, std::uint16_t status, const std::string& body);

    std::string m_room;
    bool m_account;
    bool m_online;
    bool m_inRoom = false;
    bool m_loaded = false;  // loading has been started since the last refresh
    std::optional<std::int64_t> m_mentorshipId;
    std::optional<net::Role> m_selfRole;
    std::vector<Outgoing> m_outbox;
    std::map<std::uint32_t, Outgoing> m_pending;
    std::vector<GoalRow> m_goals;
    std::vector<Member> m_members;
    struct SessionPick {
        std::int64_t id = 0;
        std::string when;
    };
    std::optional<SessionPick> m_session;
    std::string m_sessionLabel;
    std::vector<NextSession> m_planned;  // not cancelled, not begun; any time
    std::function<std::string()> m_now = utcNowText;
    std::string m_loadError;
    std::string m_feedbackAnswer;
    bool m_feedbackInFlight = false;
    std::vector<std::string> m_announcements;
};

}  // namespace mxr::scenes
