#include "net/room_client.h"

#include <chrono>

namespace mxr::net {

Result<std::unique_ptr<RoomClient>> RoomClient::start(ClientConfig config, const Clock& clock, Logger log) {
    std::unique_ptr<RoomClient> self(new RoomClient());
    MXR_TRY_ASSIGN(self->m_session, ClientSession::create(std::move(config), clock, std::move(log)));
    self->m_thread = std::thread([p = self.get()] { p->run(); });
    return self;
}

RoomClient::~RoomClient() {
    m_running.store(false, std::memory_order_release);
    if (m_thread.joinable()) m_thread.join();
}

bool RoomClient::postAvatar(const AvatarState& state) { return m_commands.tryPush(state); }
bool RoomClient::moderate(const Moderate& m) { return m_commands.tryPush(m); }
// Through one out-of-line push: GCC 12, inlining the move of a variant made
// from a small alternative, warns (falsely) that ApiRequest's strings may be
// used uninitialized.
[[gnu::noinline]] bool RoomClient::push(Command command) { return m_commands.tryPush(std::move(command)); }
bool RoomClient::askPrivateTalk(std::uint16_t with) {
    return push(Command(std::in_place_type<PrivateTalk>, PrivateTalk{with}));
}
bool RoomClient::sendAnnotation(const AnnotationOp& op) {
    return push(Command(std::in_place_type<AnnotationOp>, op));
}
bool RoomClient::setProcedureStep(std::uint32_t procedureId, std::uint16_t step) {
    return push(Command(std::in_place_type<ProcedureStep>, ProcedureStep{procedureId, step, 0}));
}
bool RoomClient::setRecordingConsent(bool consent) {
    return push(Command(std::in_place_type<Consent>, Consent{consent}));
}
void RoomClient::leave() {
    while (!push(Command(std::in_place_type<LeaveCommand>))) std::this_thread::yield();
}
std::optional<ClientEvent> RoomClient::poll() { return m_events.tryPop(); }

std::optional<std::uint32_t> RoomClient::sendApiRequest(ApiMethod method, std::string path, std::string body,
                                                        std::string idempotencyKey) {
    const std::uint32_t id = m_nextRequestId;
    if (!m_commands.tryPush(ApiRequest{id, method, std::move(path), std::move(body), std::move(idempotencyKey)})) {
        return std::nullopt;
    }
    ++m_nextRequestId;
    return id;
}

std::optional<ApiResponse> RoomClient::pollApiResponse() { return m_apiAnswers.tryPop(); }

bool RoomClient::sendVoice(Bytes frame) {
    if (m_voiceOut.tryPush(std::move(frame))) return true;
    m_droppedVoice.fetch_add(1, std::memory_order_relaxed);
    return false;
}

bool RoomClient::reportVoiceLoss(std::uint16_t speaker, std::uint8_t lossPercent) {
    return m_voiceOut.tryPush(VoiceLossReport{speaker, lossPercent});
}

std::optional<ClientEvent> RoomClient::pollVoice() { return m_voiceIn.tryPop(); }

void RoomClient::run() {
    std::vector<ClientEvent> pending;  // non-avatar events waiting for queue space
    std::vector<ApiResponse> pendingAnswers;
    std::map<std::uint32_t, std::uint32_t> requestIds;  // the session's id -> the id the caller was given
    auto flush = [&] {
        while (!pending.empty() && m_events.tryPush(pending.front())) pending.erase(pending.begin());
    };
    while (m_running.load(std::memory_order_acquire)) {
        while (auto cmd = m_commands.tryPop()) {
            if (auto* s = std::get_if<AvatarState>(&*cmd)) {
                (void)m_session->sendAvatar(*s);  // not joined yet, or invalid: dropped
            } else if (auto* m = std::get_if<Moderate>(&*cmd)) {
                m_session->moderate(*m);
            } else if (auto* pt = std::get_if<PrivateTalk>(&*cmd)) {
                m_session->askPrivateTalk(pt->with);
            } else if (auto* c = std::get_if<Consent>(&*cmd)) {
                m_session->setRecordingConsent(c->recording);
            } else if (auto* op = std::get_if<AnnotationOp>(&*cmd)) {
                m_session->sendAnnotation(*op);
            } else if (auto* ps = std::get_if<ProcedureStep>(&*cmd)) {
                m_session->setProcedureStep(ps->procedureId, ps->step);
            } else if (auto* r = std::get_if<ApiRequest>(&*cmd)) {
                auto sent = m_session->sendApiRequest(r->method, std::move(r->path), std::move(r->body),
                                                      std::move(r->idempotencyKey));
                if (sent) {
                    requestIds[*sent] = r->requestId;
                } else {
                    const bool busy = sent.error().code == ErrorCode::kUnavailable;
                    pendingAnswers.push_back(
                        ApiResponse{r->requestId, static_cast<std::uint16_t>(busy ? 503 : 400),
                                    strCat(R"({"error":{"code":")", busy ? "unavailable" : "invalid_argument",
                                           R"(","field":"","message":"not sent: )",
                                           busy ? "not in a room" : "over the limits", R"("}})")});
                }
            } else {
                m_session->leave();
            }
        }
        while (auto v = m_voiceOut.tryPop()) {
            if (auto* frame = std::get_if<Bytes>(&*v)) {
                (void)m_session->sendVoice(*frame);  // not in a room: dropped
            } else {
                const auto& r = std::get<VoiceLossReport>(*v);
                m_session->reportVoiceLoss(r.speaker, r.lossPercent);
            }
        }
        m_session->service(2);
        for (auto& e : m_session->takeEvents()) {
            if (std::holds_alternative<VoiceEvent>(e) || std::holds_alternative<VoiceLossEvent>(e)) {
                if (!m_voiceIn.tryPush(std::move(e))) m_droppedVoice.fetch_add(1, std::memory_order_relaxed);
                continue;
            }
            if (std::holds_alternative<AvatarsEvent>(e) && !pending.empty()) {
                m_dropped.fetch_add(1, std::memory_order_relaxed);
                continue;
            }
            // tryPush takes its argument by value: pass a copy so `e` survives a full queue.
            if (!pending.empty() || !m_events.tryPush(e)) {
                if (std::holds_alternative<AvatarsEvent>(e)) {
                    m_dropped.fetch_add(1, std::memory_order_relaxed);
                } else {
                    pending.push_back(std::move(e));
                }
            }
        }
        flush();
        for (auto& a : m_session->takeApiResponses()) {
            auto it = requestIds.find(a.requestId);
            if (it == requestIds.end()) continue;
            a.requestId = it->second;
            requestIds.erase(it);
            pendingAnswers.push_back(std::move(a));
        }
        while (!pendingAnswers.empty() && m_apiAnswers.tryPush(pendingAnswers.front())) {
            pendingAnswers.erase(pendingAnswers.begin());
        }
    }
    // Leave politely: give ENet a moment to deliver the Leave.
    m_session->leave();
    for (int i = 0; i < 10; ++i) m_session->service(5);
}

void RemoteAvatars::apply(const ClientEvent& event, Nanos now) {
    if (const auto* j = std::get_if<JoinedEvent>(&event)) {
        m_self = j->avatarId;
    } else if (const auto* p = std::get_if<PresenceEvent>(&event)) {
        for (auto& [id, r] : m_remotes) r.present = false;
        for (const auto& m : p->members) {
            if (m.avatarId == m_self) continue;
            auto [it, inserted] = m_remotes.try_emplace(m.avatarId, Remote{AvatarInterpolator(m_config), m, true});
            it->second.presence = m;
            it->second.present = true;
            if (m.away) it->second.interp.markGone(now);
        }
        for (auto& [id, r] : m_remotes) {
            if (!r.present) r.interp.markGone(now);
        }
    } else if (const auto* a = std::get_if<AvatarsEvent>(&event)) {
        for (const auto& e : a->entries) {
            if (e.avatarId == m_self) continue;
            auto it = m_remotes.find(e.avatarId);
            if (it == m_remotes.end()) {
                // Avatar data may overtake the presence list; the name follows.
                PresenceEntry pe;
                pe.avatarId = e.avatarId;
                it = m_remotes.emplace(e.avatarId, Remote{AvatarInterpolator(m_config), pe, true}).first;
            }
            it->second.interp.push(e.timeMs, e.state, a->arrival);
        }
    } else if (std::holds_alternative<RemovedEvent>(event) || std::holds_alternative<FailedEvent>(event)) {
        for (auto& [id, r] : m_remotes) r.interp.markGone(now);
    }
}

std::vector<RemoteAvatars::View> RemoteAvatars::sample(Nanos now) {
    std::vector<View> out;
    for (auto it = m_remotes.begin(); it != m_remotes.end();) {
        Remote& r = it->second;
        if (!r.present && r.interp.faded(now)) {
            it = m_remotes.erase(it);
            continue;
        }
        if (auto shown = r.interp.sample(now)) {
            out.push_back(View{it->first, r.presence.displayName, r.presence.role, r.presence.muted,
                               r.presence.recordingConsent, r.presence.privateWith, *shown});
        }
        ++it;
    }
    return out;
}

}  // namespace mxr::net
