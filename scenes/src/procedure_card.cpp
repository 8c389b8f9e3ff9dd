// The step card's model (scenes/procedure_card.h).
#include "scenes/procedure_card.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

namespace mxr::scenes {

namespace {
// Own steps remembered until the host relays them back; one older than
// kEchoWait is taken as lost.
constexpr std::size_t kMostInFlight = 32;
constexpr Nanos kEchoWait = msToNanos(3000);
}  // namespace

std::uint32_t localProcedureId(const ProcedureDef& procedure) {
    // FNV-1a over the titles: the same file gives the same id everywhere.
    std::uint32_t h = 2166136261u;
    auto mix = [&](const std::string& s) {
        for (unsigned char c : s) h = (h ^ c) * 16777619u;
        h = (h ^ 0xffu) * 16777619u;
    };
    mix(procedure.title);
    for (const auto& s : procedure.steps) mix(s.title);
    return kLocalProcedureBit | (h & ~kLocalProcedureBit);
}

ProcedureCard::ProcedureCard(const Clock& clock, std::string room, bool account)
    : m_clock(clock), m_room(std::move(room)), m_account(account), m_mentorshipId(mentorshipOfRoomName(m_room)) {
    m_shownAt = m_clock.now();
}

void ProcedureCard::load(ProcedureDef procedure) {
    m_procedure = std::move(procedure);
    m_doneSeconds.clear();
    m_saveAnswer.clear();
    m_step = 0;
    m_shownAt = m_clock.now();
    share();
}

const ProcedureStepDef* ProcedureCard::currentStep() const {
    if (!m_procedure || m_step >= m_procedure->steps.size()) return nullptr;
    return &m_procedure->steps[m_step];
}

std::int64_t ProcedureCard::currentStepId() const {
    const ProcedureStepDef* s = currentStep();
    return s ? s->serverId : 0;
}

std::uint32_t ProcedureCard::sharedId() const {
    if (!m_procedure) return 0;
    if (m_procedure->serverId > 0 && m_procedure->serverId < std::int64_t(kLocalProcedureBit)) {
        return static_cast<std::uint32_t>(m_procedure->serverId);
    }
    return localProcedureId(*m_procedure);
}

double ProcedureCard::secondsOnStep() const { return nanosToSeconds(m_clock.now() - m_shownAt); }

std::string ProcedureCard::heading() const {
    if (!m_procedure) return m_fetching ? "loading the room's procedure..." : "no procedure";
    if (finished()) return strCat("Done: all ", stepCount(), " steps");
    return strCat("Step ", m_step + 1, " of ", stepCount(), ": ", currentStep()->title);
}

std::string ProcedureCard::timing() const {
    const ProcedureStepDef* s = currentStep();
    if (!s) return "";
    const std::string on = strCat("on this step ", describeSeconds(std::int64_t(secondsOnStep())));
    if (!s->expectedSeconds) return on;
    return strCat("expected ", describeSeconds(*s->expectedSeconds), " - ", on);
}

void ProcedureCard::show(std::size_t step) {
    if (m_procedure && step > stepCount()) step = stepCount();
    if (step != m_step || !m_procedure) m_shownAt = m_clock.now();
    m_step = step;
}

void ProcedureCard::share() {
    if (!m_link.set || !m_procedure || !m_inRoom) return;
    SharedStep s{sharedId(), static_cast<std::uint16_t>(m_step)};
    if (m_link.self) {
        s.by = m_link.self();
        if (m_inFlight.size() >= kMostInFlight) m_inFlight.erase(m_inFlight.begin());
        m_inFlight.push_back({s, m_clock.now()});
    }
    m_link.set(s);
    m_seen = s;
    m_announced = true;
}

bool ProcedureCard::back() {
    if (!m_procedure || m_step == 0) return false;
    show(m_step - 1);
    share();
    return true;
}

bool ProcedureCard::next() {
    if (!m_procedure || m_step + 1 >= stepCount()) return false;
    show(m_step + 1);
    share();
    return true;
}

bool ProcedureCard::done() {
    const ProcedureStepDef* s = currentStep();
    if (!s) return false;
    const std::int64_t seconds = std::min<std::int64_t>(std::int64_t(std::floor(secondsOnStep())), 604800);
    m_doneSeconds[m_step] = seconds;
    if (mentee() && m_account && s->serverId > 0) {
        const nlohmann::json body = {{"step_id", s->serverId}, {"seconds_taken", seconds}};
        m_outbox.push_back({Kind::kComplete, net::ApiMethod::kPost, "/step_completions", body.dump(),
                            std::int64_t(m_step), seconds});
    }
    show(m_step + 1);
    share();
    return true;
}

bool ProcedureCard::save() {
    if (!m_procedure) {
        m_saveAnswer = "not saved: no procedure is loaded";
    } else if (!m_account) {
        m_saveAnswer = "not saved: procedures need an account (join with --login EMAIL)";
    } else if (!m_mentorshipId) {
        m_saveAnswer = "not saved: procedures are saved in a mentorship's room (mentorship-ID)";
    } else {
        const std::string body = procedureCreateBody(*m_procedure, *m_mentorshipId);
        if (body.size() > net::kMaxApiBodyBytes) {
            m_saveAnswer = strCat("not saved: the procedure is ", body.size(), " bytes as JSON; records in a room carry at most ",
                                  net::kMaxApiBodyBytes, " (post it over HTTP)");
        } else {
            m_outbox.push_back({Kind::kSave, net::ApiMethod::kPost, "/procedures", body});
            m_saveAnswer = "saving...";
            return true;
        }
    }
    m_announcements.push_back(strCat("procedure: ", m_saveAnswer));
    return false;
}

bool ProcedureCard::addStep(ProcedureStepDef step) {
    if (!m_procedure) {
        ProcedureDef fresh;
        fresh.title = "Written in the session";
        fresh.steps.push_back(std::move(step));
        load(std::move(fresh));
        m_saveAnswer = "added step 1";
        m_announcements.push_back(strCat("procedure: ", m_saveAnswer));
        return true;
    }
    if (m_procedure->steps.size() >= kMaxProcedureSteps) {
        m_saveAnswer = strCat("not added: a procedure has at most ", kMaxProcedureSteps, " steps");
        m_announcements.push_back(strCat("procedure: ", m_saveAnswer));
        return false;
    }
    const std::size_t index = m_procedure->steps.size();
    if (m_procedure->serverId != 0) {
        nlohmann::json body{{"procedure_id", m_procedure->serverId},
                            {"position", index + 1},
                            {"title", step.title},
                            {"instruction", step.instruction}};
        if (step.expectedSeconds) body["expected_seconds"] = *step.expectedSeconds;
        m_outbox.push_back({Kind::kAddStep, net::ApiMethod::kPost, "/procedure_steps", body.dump(), std::int64_t(index)});
        m_saveAnswer = strCat("adding step ", index + 1, "...");
    } else {
        m_saveAnswer = strCat("added step ", index + 1, " (saved with the procedure)");
    }
    m_procedure->steps.push_back(std::move(step));
    // Not saved: its local id follows its titles, so the room is told the new one.
    if (m_procedure->serverId == 0) share();
    m_announcements.push_back(strCat("procedure: ", m_saveAnswer));
    return true;
}

bool ProcedureCard::keepInStep(const std::string& annotationsJson, std::size_t count) {
    if (!m_procedure || finished()) {
        m_saveAnswer = "not kept: no step is shown";
        m_announcements.push_back(strCat("procedure: ", m_saveAnswer));
        return false;
    }
    ProcedureStepDef& step = m_procedure->steps[m_step];
    auto merged = nlohmann::json::parse(step.annotationsJson, nullptr, false);
    const auto added = nlohmann::json::parse(annotationsJson, nullptr, false);
    if (!merged.is_array()) merged = nlohmann::json::array();
    if (!added.is_array() || count == 0) {
        m_saveAnswer = "not kept: there are no annotations to keep";
    } else if (step.annotationCount + count > kMaxStepAnnotations) {
        m_saveAnswer = strCat("not kept: a step keeps at most ", kMaxStepAnnotations, " annotations (this one has ",
                              step.annotationCount, ", ", count, " more were asked)");
    } else {
        for (const auto& a : added) merged.push_back(a);
        const std::string text = merged.dump();
        const std::string body = nlohmann::json{{"annotations", merged}}.dump();
        if (body.size() > net::kMaxApiBodyBytes || text.size() > kMaxStepAnnotationBytes) {
            m_saveAnswer = strCat("not kept: the step's annotations would be ", text.size(),
                                  " bytes as JSON, more than a room's records carry");
        } else {
            step.annotationsJson = text;
            step.annotationCount += count;
            if (step.serverId != 0) {
                m_outbox.push_back({Kind::kKeepInStep, net::ApiMethod::kPatch, strCat("/procedure_steps/", step.serverId),
                                    body, std::int64_t(m_step), std::int64_t(count)});
                m_saveAnswer = strCat("keeping ", count, " annotations in step ", m_step + 1, "...");
            } else {
                m_saveAnswer = strCat("kept ", count, " annotations in step ", m_step + 1, " (saved with the procedure)");
            }
            m_announcements.push_back(strCat("procedure: ", m_saveAnswer));
            return true;
        }
    }
    m_announcements.push_back(strCat("procedure: ", m_saveAnswer));
    return false;
}

bool ProcedureCard::staleEcho(const SharedStep& room) {
    if (!m_link.self || room.by == 0 || room.by != m_link.self()) {
        return false;
    }
    // A step lost on the way (not in the room then) never comes back:
    // forgotten after a while.
    const Nanos now = m_clock.now();
    std::erase_if(m_inFlight, [&](const InFlight& f) { return now - f.sentAt > kEchoWait; });
    const auto it = std::find_if(m_inFlight.begin(), m_inFlight.end(), [&](const InFlight& f) {
        return f.step.procedureId == room.procedureId && f.step.step == room.step;
    });
    if (it == m_inFlight.end()) return false;
    m_inFlight.erase(m_inFlight.begin(), it + 1);
    return !m_inFlight.empty();
}

void ProcedureCard::follow(const SharedStep& room) {
    if (room.procedureId == 0) return;
    if (m_procedure && room.procedureId == sharedId()) {
        show(room.step);
        return;
    }
    // Another procedure: a saved one is fetched (once) and shown at the
    // room's step; a local one cannot be.
    if (room.procedureId & kLocalProcedureBit) {
        m_lastAnswer = "the room follows a procedure that is not saved; load its file to follow it";
        return;
    }
    if (!m_account) {
        m_lastAnswer = "the room's procedure is a record: joining with an account shows it";
        return;
    }
    m_stepAfterFetch = room.step;
    if (m_fetching == room.procedureId) return;
    m_fetching = room.procedureId;
    m_outbox.push_back({Kind::kFetch, net::ApiMethod::kGet, strCat("/procedures/", room.procedureId), "",
                        std::int64_t(room.procedureId)});
}

void ProcedureCard::update(bool inRoom, const RecordsPanel::Sender& send) {
    const bool joined = inRoom && !m_inRoom;
    m_inRoom = inRoom;
    if (!inRoom) {
        m_announced = false;
        m_inFlight.clear();
    }
    if (inRoom && m_link.get) {
        const std::optional<SharedStep> room = m_link.get();
        if (room && room != m_seen) {
            m_seen = room;
            if (!staleEcho(*room)) follow(*room);
        }
        // Joined a room where no procedure is open: open ours.
        if (joined || !m_announced) {
            if ((!room || room->procedureId == 0) && m_procedure) share();
            m_announced = true;
        }
    }
    if (!inRoom || !send) return;
    for (auto it = m_outbox.begin(); it != m_outbox.end();) {
        const auto id = send(it->method, it->path, it->body);
        if (!id) break;  // the queue is full: again next frame
        m_pending.emplace(*id, std::move(*it));
        it = m_outbox.erase(it);
    }
}

bool ProcedureCard::onResponse(const net::ApiResponse& response) {
    const auto it = m_pending.find(response.requestId);
    if (it == m_pending.end()) return false;
    const Outgoing o = std::move(it->second);
    m_pending.erase(it);
    onAnswer(o, response.status, response.body);
    return true;
}

void ProcedureCard::onAnswer(const Outgoing& o, std::uint16_t status, const std::string& body) {
    const bool ok = status >= 200 && status < 300;
    switch (o.kind) {
        case Kind::kSave: {
            if (!ok) {
                m_saveAnswer = describeAnswer(status, body);
                m_announcements.push_back(strCat("procedure: save ", m_saveAnswer));
                return;
            }
            auto saved = procedureFromServer(body);
            if (!saved || !m_procedure || saved->steps.size() != m_procedure->steps.size()) {
                m_saveAnswer = strCat("saved, but the answer cannot be read: ",
                                      saved ? "its steps differ" : saved.error().message);
                m_announcements.push_back(strCat("procedure: ", m_saveAnswer));
                return;
            }
            m_procedure->serverId = saved->serverId;
            for (std::size_t i = 0; i < saved->steps.size(); ++i) m_procedure->steps[i].serverId = saved->steps[i].serverId;
            m_saveAnswer = strCat("saved as procedure ", saved->serverId);
            m_announcements.push_back(
                strCat("procedure: saved id ", saved->serverId, " with ", saved->steps.size(), " steps"));
            share();  // the room now follows the record (others can fetch it)
            return;
        }
        case Kind::kComplete: {
            m_lastAnswer = strCat("step ", o.subject + 1, " done in ", describeSeconds(o.seconds), ": ",
                                  describeAnswer(status, body));
            const auto j = nlohmann::json::parse(body, nullptr, false);
            const std::string id = ok && j.is_object() && j.contains("id") ? strCat(" id ", j["id"].dump()) : "";
            m_announcements.push_back(strCat("procedure: step ", o.subject + 1, " done in ", o.seconds, " s ",
                                             describeAnswer(status, body), id));
            return;
        }
        case Kind::kFetch: {
            if (!ok) {
                m_fetching = 0;
                m_lastAnswer = strCat("the room's procedure ", o.subject, ": ", describeAnswer(status, body));
                m_announcements.push_back(strCat("procedure: ", m_lastAnswer));
                return;
            }
            m_fetchedRecord = body;
            m_outbox.push_back({Kind::kFetchSteps, net::ApiMethod::kGet,
                                strCat("/procedure_steps?procedure_id=", o.subject, "&limit=", kMaxProcedureSteps), "",
                                o.subject});
            return;
        }
        case Kind::kFetchSteps: {
            m_fetching = 0;
            auto fetched = ok ? procedureFromServer(m_fetchedRecord, body)
                              : Result<ProcedureDef>(makeError(ErrorCode::kInvalidArgument, describeAnswer(status, body)));
            m_fetchedRecord.clear();
            if (!fetched) {
                m_lastAnswer = strCat("the room's procedure ", o.subject, ": ", fetched.error().message);
                m_announcements.push_back(strCat("procedure: ", m_lastAnswer));
                return;
            }
            m_procedure = std::move(*fetched);
            m_doneSeconds.clear();
            m_step = std::min<std::size_t>(m_stepAfterFetch.value_or(0), stepCount());
            m_shownAt = m_clock.now();
            m_announcements.push_back(strCat("procedure: loaded id ", m_procedure->serverId, " from the room, ",
                                             stepCount(), " steps"));
            // The room may have moved on while it came.
            if (m_link.get) {
                if (auto room = m_link.get(); room && room->procedureId == sharedId()) show(room->step);
            }
            return;
        }
        case Kind::kAddStep: {
            const auto j = nlohmann::json::parse(body, nullptr, false);
            if (ok && j.is_object() && j.contains("id") && j["id"].is_number_integer() && m_procedure &&
                std::size_t(o.subject) < m_procedure->steps.size()) {
                m_procedure->steps[std::size_t(o.subject)].serverId = j["id"].get<std::int64_t>();
                m_saveAnswer = strCat("added step ", o.subject + 1, " (stored)");
            } else {
                m_saveAnswer = strCat("adding step ", o.subject + 1, ": ", describeAnswer(status, body));
            }
            m_announcements.push_back(strCat("procedure: ", m_saveAnswer));
            return;
        }
        case Kind::kKeepInStep: {
            m_saveAnswer = ok ? strCat("kept ", o.seconds, " annotations in step ", o.subject + 1, " (stored)")
                              : strCat("keeping annotations in step ", o.subject + 1, ": ", describeAnswer(status, body));
            m_announcements.push_back(strCat("procedure: ", m_saveAnswer));
            return;
        }
    }
}

std::vector<std::string> ProcedureCard::takeAnnouncements() {
    std::vector<std::string> out;
    out.swap(m_announcements);
    return out;
}

}  // namespace mxr::scenes
