#include "scenes/records_panel.h"

#include <algorithm>
#include <ctime>
#include <nlohmann/json.hpp>

namespace mxr::scenes {

namespace {

using Json = nlohmann::json;

// Pages small enough that an answer stays under the 12 KiB ENet limit even
// with long descriptions or notes (a larger answer comes back as 413).
constexpr int kPageSize = 10;
// Bounds the pages followed per list, so a huge history cannot keep the
// panel loading forever.
constexpr int kMaxPages = 50;

const char* meaningOf(std::uint16_t status) {
    switch (status) {
        case 400:
            return "invalid input";
        case 401:
            return "needs an account";
        case 403:
            return "not allowed";
        case 404:
            return "not found or not allowed";
        case 409:
            return "conflict";
        case 413:
            return "too large";
        case 429:
            return "too many requests, try again";
        case 503:
            return "not connected or busy, try again";
        default:
            return "failed";
    }
}

std::string text(const Json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::int64_t integer(const Json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_number_integer() ? it->get<std::int64_t>() : 0;
}

std::string listPath(const char* resource, const char* parent, std::int64_t parentId, std::int64_t after) {
    std::string p = strCat("/", resource, "?");
    if (parent) p += strCat(parent, "=", parentId, "&");
    p += strCat("limit=", kPageSize);
    if (after > 0) p += strCat("&after=", after);
    return p;
}

}  // namespace

std::string describeUtcTime(const std::string& t) {
    // Fixed-width server form: YYYY-MM-DDTHH:MM:SSZ.
    if (t.size() != 20 || t[10] != 'T' || t[19] != 'Z') return t;
    return strCat(t.substr(0, 10), " ", t.substr(11, 5), " UTC");
}

std::string utcNowText() {
    const std::time_t now = std::time(nullptr);
    std::tm utc{};
    gmtime_r(&now, &utc);
    char out[32];
    std::strftime(out, sizeof out, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return out;
}

std::optional<std::int64_t> mentorshipOfRoomName(const std::string& room) {
    constexpr std::string_view kPrefix = "mentorship-";
    if (room.size() <= kPrefix.size() || room.compare(0, kPrefix.size(), kPrefix) != 0) return std::nullopt;
    const std::string digits = room.substr(kPrefix.size());
    if (digits.size() > 18 || digits.find_first_not_of("0123456789") != std::string::npos || digits[0] == '0') {
        return std::nullopt;
    }
    return std::stoll(digits);
}

std::string describeAnswer(std::uint16_t status, const std::string& body) {
    if (status >= 200 && status < 300) return "saved";
    std::string message, field;
    const Json j = Json::parse(body, nullptr, false);
    if (j.is_object() && j.contains("error") && j["error"].is_object()) {
        message = text(j["error"], "message");
        field = text(j["error"], "field");
    }
    if (message.empty()) message = meaningOf(status);
    std::string out = strCat("refused ", status);
    if (!field.empty()) out += strCat(" field ", field);
    return strCat(out, ": ", message);
}

Result<FeedbackDraft> parseFeedbackDraft(const std::string& jsonText) {
    const Json j = Json::parse(jsonText, nullptr, false);
    if (j.is_discarded()) return makeError(ErrorCode::kInvalidArgument, "feedback: malformed JSON");
    if (!j.is_object()) return makeError(ErrorCode::kInvalidArgument, "feedback: expected a JSON object");
    FeedbackDraft d;
    for (const auto& [key, value] : j.items()) {
        auto needInt = [&](auto& out) -> Result<void> {
            if (!value.is_number_integer()) {
                return makeError(ErrorCode::kInvalidArgument, strCat("feedback: ", key, " must be an integer"));
            }
            out = value.get<std::int64_t>();
            return {};
        };
        Result<void> r;
        std::int64_t v = 0;
        if (key == "rating_goal_progress" || key == "rating_communication" || key == "rating_trust_respect" ||
            key == "rating_usefulness") {
            r = needInt(v);
            if (!r) return tl::unexpected(r.error());
            // The server judges the range; the value only has to fit an int.
            const int rating = static_cast<int>(std::clamp<std::int64_t>(v, -1000, 1000));
            if (key == "rating_goal_progress") d.ratingGoalProgress = rating;
            if (key == "rating_communication") d.ratingCommunication = rating;
            if (key == "rating_trust_respect") d.ratingTrustRespect = rating;
            if (key == "rating_usefulness") d.ratingUsefulness = rating;
        } else if (key == "subject_id" || key == "session_id") {
            r = needInt(v);
            if (!r) return tl::unexpected(r.error());
            (key == "subject_id" ? d.subjectId : d.sessionId) = v;
        } else if (key == "text") {
            if (!value.is_string()) return makeError(ErrorCode::kInvalidArgument, "feedback: text must be a string");
            d.text = value.get<std::string>();
        } else if (key == "visibility") {
            const std::string vis = value.is_string() ? value.get<std::string>() : "";
            if (vis != "pair" && vis != "program_manager_only") {
                return makeError(ErrorCode::kInvalidArgument,
                                 "feedback: visibility must be \"pair\" or "
                                 "\"program_manager_only\"");
            }
            d.programManagerOnly = vis == "program_manager_only";
        } else {
            return makeError(ErrorCode::kInvalidArgument, strCat("feedback: unknown field \"", key, "\""));
        }
    }
    return d;
}

RecordsPanel::RecordsPanel(std::string room, bool account, bool online)
    : m_room(std::move(room)), m_account(account), m_online(online), m_mentorshipId(mentorshipOfRoomName(m_room)) {}

RecordsPhase RecordsPanel::phase() const {
    if (!m_online) return RecordsPhase::kOffline;
    if (!m_account) return RecordsPhase::kGuest;
    if (!m_inRoom) return RecordsPhase::kWaiting;
    return busy() ? RecordsPhase::kLoading : RecordsPhase::kReady;
}

std::string RecordsPanel::statusText() const {
    switch (phase()) {
        case RecordsPhase::kOffline:
            return "offline: goals and feedback need a server (--server)";
        case RecordsPhase::kGuest:
            return "goals and feedback need an account: join with --login EMAIL";
        case RecordsPhase::kWaiting:
            return "waiting for the room";
        case RecordsPhase::kLoading:
            return "loading...";
        case RecordsPhase::kReady:
            break;
    }
    if (!m_loadError.empty()) return strCat("could not load: ", m_loadError);
    return strCat(m_goals.size(), m_goals.size() == 1 ? " goal" : " goals");
}

void RecordsPanel::startLoading() {
    m_loaded = true;
    m_loadError.clear();
    m_goals.clear();
    m_members.clear();
    m_session.reset();
    m_sessionLabel.clear();
    m_planned.clear();
    if (m_mentorshipId) {
        queue({Kind::kMentorship, net::ApiMethod::kGet, strCat("/mentorships/", *m_mentorshipId), "", *m_mentorshipId});
        queue({Kind::kGoals, net::ApiMethod::kGet, listPath("goals", "mentorship_id", *m_mentorshipId, 0), "",
               *m_mentorshipId});
        queue({Kind::kSessions, net::ApiMethod::kGet, listPath("sessions", "mentorship_id", *m_mentorshipId, 0), "",
               *m_mentorshipId});
    } else {
        queue({Kind::kMentorships, net::ApiMethod::kGet, listPath("mentorships", nullptr, 0, 0), "", 0});
    }
}

void RecordsPanel::refresh() { m_loaded = false; }

void RecordsPanel::update(bool inRoom, const Sender& send) {
    m_inRoom = inRoom;
    if (!m_online || !m_account || !inRoom) return;
    if (!m_loaded) startLoading();
    // In order; what the sender cannot take now waits for the next frame.
    std::size_t sent = 0;
    for (; sent < m_outbox.size(); ++sent) {
        Outgoing& o = m_outbox[sent];
        auto id = send(o.method, o.path, o.body);
        if (!id) break;
        m_pending.emplace(*id, std::move(o));
    }
    m_outbox.erase(m_outbox.begin(), m_outbox.begin() + static_cast<std::ptrdiff_t>(sent));
}

bool RecordsPanel::saveProgress(std::int64_t goalId, int percent) {
    if (percent < 0 || percent > 100 || goalId <= 0 || !m_online || !m_account) return false;
    queue({Kind::kPatchGoal, net::ApiMethod::kPatch, strCat("/goals/", goalId), Json{{"progress", percent}}.dump(),
           goalId, percent});
    for (auto& g : m_goals) {
        if (g.id == goalId) {
            g.editProgress = percent;
            g.saving = true;
        }
    }
    return true;
}

std::optional<std::int64_t> RecordsPanel::defaultSubject() const {
    const bool iAmMentee = m_selfRole == net::Role::kMentee;
    for (const auto& m : m_members) {
        if (m.mentor == iAmMentee) return m.personId;
    }
    return std::nullopt;
}

bool RecordsPanel::submitFeedback(const FeedbackDraft& d) {
    if (!m_online || !m_account) return false;
    const std::optional<std::int64_t> session = d.sessionId ? d.sessionId : currentSession();
    const std::optional<std::int64_t> subject = d.subjectId ? d.subjectId : defaultSubject();
    auto refuse = [&](std::string why) {
        m_feedbackAnswer = why;
        m_announcements.push_back(strCat("records: feedback not sent: ", why));
        return false;
    };
    if (!session) {
        return refuse(m_mentorshipId ? "this mentorship has no recorded session yet"
                                     : "feedback is given in a mentorship's room (mentorship-<id>)");
    }
    if (!subject) return refuse("no member of the mentorship to give feedback about");
    Json body{{"session_id", *session},
              {"subject_id", *subject},
              {"rating_goal_progress", d.ratingGoalProgress},
              {"rating_communication", d.ratingCommunication},
              {"rating_trust_respect", d.ratingTrustRespect},
              {"rating_usefulness", d.ratingUsefulness},
              {"visibility", d.programManagerOnly ? "program_manager_only" : "pair"}};
    if (!d.text.empty()) body["text"] = d.text;
    queue({Kind::kPostFeedback, net::ApiMethod::kPost, "/feedback", body.dump(), *session});
    m_feedbackInFlight = true;
    m_feedbackAnswer = "sending...";
    return true;
}

bool RecordsPanel::onResponse(const net::ApiResponse& response) {
    auto it = m_pending.find(response.requestId);
    if (it == m_pending.end()) return false;
    const Outgoing o = std::move(it->second);
    m_pending.erase(it);
    if (o.kind == Kind::kPatchGoal || o.kind == Kind::kPostFeedback) {
        onWrite(o, response.status, response.body);
    } else {
        onList(o, response.status, response.body);
    }
    return true;
}

void RecordsPanel::onList(const Outgoing& o, std::uint16_t status, const std::string& body) {
    const Json j = Json::parse(body, nullptr, false);
    if (status != 200 || !j.is_object()) {
        m_loadError = describeAnswer(status == 200 ? 502 : status, body);
        return;
    }
    auto nextPage = [&](const char* resource, const char* parent, Kind kind) {
        const std::int64_t next = integer(j, "next_after");
        // A page beyond kMaxPages is not asked for: the list shows what came.
        if (next > 0 && o.page + 1 < kMaxPages) {
            Outgoing more{kind, net::ApiMethod::kGet, listPath(resource, parent, o.subject, next), "", o.subject};
            more.page = o.page + 1;
            queue(std::move(more));
        }
    };
    const Json empty = Json::array();
    const Json& items = j.contains("items") && j["items"].is_array() ? j["items"] : empty;
    switch (o.kind) {
        case Kind::kMentorship:
            m_members.clear();
            for (const char* side : {"mentors", "mentees"}) {
                if (!j.contains(side) || !j[side].is_array()) continue;
                for (const auto& id : j[side]) {
                    if (id.is_number_integer())
                        m_members.push_back({id.get<std::int64_t>(), std::string_view(side) == "mentors"});
                }
            }
            break;
        case Kind::kMentorships:
            for (const auto& m : items) {
                const std::int64_t id = integer(m, "id");
                if (id > 0) {
                    queue({Kind::kGoals, net::ApiMethod::kGet, listPath("goals", "mentorship_id", id, 0), "", id});
                    queue({Kind::kSessions, net::ApiMethod::kGet, listPath("sessions", "mentorship_id", id, 0), "",
                           id});
                }
            }
            nextPage("mentorships", nullptr, Kind::kMentorships);
            break;
        case Kind::kGoals:
            for (const auto& g : items) {
                GoalRow row;
                row.id = integer(g, "id");
                row.mentorshipId = o.subject;
                row.title = text(g, "title");
                row.status = text(g, "status");
                row.progress = static_cast<int>(integer(g, "progress"));
                row.editProgress = row.progress;
                if (row.id > 0) m_goals.push_back(std::move(row));
            }
            nextPage("goals", "mentorship_id", Kind::kGoals);
            break;
        case Kind::kSessions: {
            const std::string now = m_now();
            for (const auto& s : items) {
                const std::int64_t id = integer(s, "id");
                if (id <= 0 || text(s, "status") == "cancelled") continue;
                const std::string started = text(s, "started_at");
                const std::string scheduled = text(s, "scheduled_at");
                if (started.empty() && !scheduled.empty()) {
                    m_planned.push_back({id, o.subject, scheduled, text(s, "agenda")});
                }
                // Feedback is about a session that has begun: a planned
                // series' future meetings are not the current session.
                // Timestamps are fixed-width UTC, so text order is time order.
                const std::string when = started.empty() ? scheduled : started;
                if (!m_mentorshipId || when.empty() || (started.empty() && when > now)) continue;
                if (!m_session || when > m_session->when || (when == m_session->when && id > m_session->id)) {
                    m_session = SessionPick{id, when};
                    m_sessionLabel = strCat("session ", id, " (", when, ")");
                }
            }
            nextPage("sessions", "mentorship_id", Kind::kSessions);
            break;
        }
        default:
            break;
    }
}

void RecordsPanel::onWrite(const Outgoing& o, std::uint16_t status, const std::string& body) {
    const std::string answer = describeAnswer(status, body);
    if (o.kind == Kind::kPatchGoal) {
        const Json j = Json::parse(body, nullptr, false);
        for (auto& g : m_goals) {
            if (g.id != o.subject) continue;
            g.saving = false;
            g.answer = answer;
            if (status == 200 && j.is_object()) {
                g.progress = static_cast<int>(integer(j, "progress"));
                g.status = text(j, "status");
            }
        }
        m_announcements.push_back(strCat("records: goal ", o.subject, " progress ", o.value, " ", answer));
    } else {
        m_feedbackInFlight = false;
        if (status >= 200 && status < 300) {
            const Json j = Json::parse(body, nullptr, false);
            const std::int64_t id = j.is_object() ? integer(j, "id") : 0;
            m_feedbackAnswer = strCat("saved (feedback ", id, ")");
            m_announcements.push_back(strCat("records: feedback on session ", o.subject, " saved id ", id));
        } else {
            m_feedbackAnswer = answer;
            m_announcements.push_back(strCat("records: feedback on session ", o.subject, " ", answer));
        }
    }
}

std::vector<std::string> RecordsPanel::takeAnnouncements() { return std::exchange(m_announcements, {}); }

std::optional<NextSession> RecordsPanel::nextSession() const {
    const std::string now = m_now();
    std::optional<NextSession> best;
    for (const auto& p : m_planned) {
        if (p.scheduledAt < now) continue;
        if (!best || p.scheduledAt < best->scheduledAt || (p.scheduledAt == best->scheduledAt && p.id < best->id)) {
            best = p;
        }
    }
    return best;
}

std::string RecordsPanel::nextSessionText() const {
    const auto next = nextSession();
    if (!next) return "no session planned";
    const std::string room = strCat("mentorship-", next->mentorshipId);
    std::string out = strCat("next session: ", describeUtcTime(next->scheduledAt),
                             room == m_room ? std::string(", here") : strCat(" in room ", room));
    if (!next->agenda.empty()) out += strCat(" - ", next->agenda);
    return out;
}

}  // namespace mxr::scenes
