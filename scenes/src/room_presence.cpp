#include "scenes/room_presence.h"

#include <cstdlib>

namespace mxr::scenes {

Result<ServerAddress> parseServerAddress(const std::string& text) {
    auto bad = [&](const std::string& why) {
        return makeError(ErrorCode::kInvalidArgument,
                         strCat("--server ", text, ": ", why, " (expected HOST:PORT, e.g. 127.0.0.1:7777)"));
    };
    ServerAddress a;
    std::string portText;
    if (!text.empty() && text.front() == '[') {
        const auto close = text.find(']');
        if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') {
            return bad("an IPv6 address needs the form [ADDRESS]:PORT");
        }
        a.host = text.substr(1, close - 1);
        portText = text.substr(close + 2);
    } else {
        const auto colon = text.rfind(':');
        if (colon == std::string::npos) return bad("no port");
        if (text.find(':') != colon) return bad("write an IPv6 address in brackets");
        a.host = text.substr(0, colon);
        portText = text.substr(colon + 1);
    }
    if (a.host.empty()) return bad("no host");
    if (portText.empty() || portText.size() > 5 || portText.find_first_not_of("0123456789") != std::string::npos) {
        return bad(strCat("port \"", portText, "\" is not a number"));
    }
    const unsigned long port = std::strtoul(portText.c_str(), nullptr, 10);
    if (port < 1 || port > 65535) return bad("the port must be 1..65535");
    a.port = static_cast<std::uint16_t>(port);
    return a;
}

std::filesystem::path defaultKnownServersPath() { return net::defaultKnownServersPath(); }

Vec4 colorForAvatar(std::uint16_t avatarId) { return paletteColor(avatarId); }

net::AvatarState toAvatarState(const Participant& p) {
    net::AvatarState s;
    s.head = p.head;
    s.leftHand = p.hands[0];
    s.rightHand = p.hands[1];
    s.paused = p.paused;
    s.away = p.away;
    return s;
}

Participant desktopAvatar(const Pose& head, const Pose* leftGrip, const Pose* rightGrip) {
    Participant p;
    p.head = head;
    const Vec3 fwd = head.orientation * Vec3(0, 0, -1);
    const Quat yawOnly = glm::angleAxis(std::atan2(-fwd.x, -fwd.z), Vec3(0, 1, 0));
    const Pose* grips[2] = {leftGrip, rightGrip};
    for (int h = 0; h < 2; ++h) {
        if (grips[h]) {
            p.hands[h] = *grips[h];
        } else {
            // Resting at the sides, a little in front, as someone seated or standing still.
            const float side = h == 0 ? -0.2f : 0.2f;
            p.hands[h] = Pose{head.position + yawOnly * Vec3(side, -0.55f, -0.2f), yawOnly};
        }
    }
    return p;
}

RoomPresence::RoomPresence(const RoomPresenceOptions& options, const Clock& clock, Logger log)
    : m_options(options),
      m_clock(clock),
      m_log(std::move(log)),
      m_annotations([this](const net::AnnotationOp& op) { return !m_client || m_client->sendAnnotation(op); }),
      m_room(options.room),
      m_startedAt(clock.now()) {}

RoomPresence::~RoomPresence() {
    if (m_client) m_client->leave();
}

Result<std::unique_ptr<RoomPresence>> RoomPresence::start(const RoomPresenceOptions& options, const Clock& clock,
                                                          Logger log) {
    auto self = std::make_unique<RoomPresence>(options, clock, log);
    net::ClientConfig cfg;
    cfg.serverHost = options.server.host;
    cfg.serverPort = options.server.port;
    cfg.room = options.room;
    cfg.credentials = options.credentials;
    cfg.pinFile = options.knownServersFile;
    cfg.connectTimeout = options.connectTimeout;
    auto client = net::RoomClient::start(std::move(cfg), clock, log.child("net"));
    if (!client) {
        return tl::unexpected(withContext(client.error(), strCat("--server ", options.server.host, ":",
                                                                 options.server.port)));
    }
    self->m_client = std::move(*client);
    return self;
}

void RoomPresence::setFailed(std::string message, std::optional<net::ReplyCode> code) {
    if (m_phase == ConnectionPhase::kFailed) return;
    m_phase = ConnectionPhase::kFailed;
    m_error = std::move(message);
    m_errorCode = code;
    m_log.warn(m_error);
    if (m_client) m_client->leave();
}

void RoomPresence::apply(const net::ClientEvent& event) {
    const Nanos now = m_clock.now();
    m_remotes.apply(event, now);
    const std::string where = strCat(m_options.server.host, ":", m_options.server.port);
    if (const auto* j = std::get_if<net::JoinedEvent>(&event)) {
        m_phase = ConnectionPhase::kInRoom;
        m_room = j->room;
        if (!m_everJoined || j->resumed) m_log.info(strCat(j->resumed ? "back in room " : "joined room ", j->room,
                                                          " on ", where, " as avatar ", j->avatarId));
        m_everJoined = true;
        m_people = std::max<std::size_t>(m_people, 1);
        // What this person chose holds across joins and resumes (the
        // session sends it only while in the room).
        if (m_client && m_consent) (void)m_client->setRecordingConsent(true);
        if (m_client && m_privateAsked) (void)m_client->askPrivateTalk(m_privateAsked);
        m_annotations.setSelf(j->authorId, j->moderator);
    } else if (auto* snap = std::get_if<net::AnnotationSnapshotEvent>(&event)) {
        m_annotations.onSnapshot(snap->state);
    } else if (const auto* change = std::get_if<net::AnnotationChangeEvent>(&event)) {
        m_annotations.onRelayed(change->op);
    } else if (const auto* refused = std::get_if<net::AnnotationRefusedEvent>(&event)) {
        m_log.warn(strCat("the room host refused an annotation change: ", refused->message));
        m_annotations.onRefused(refused->id, refused->message);
    } else if (const auto* step = std::get_if<net::ProcedureStepEvent>(&event)) {
        m_procedureStep = step->step;
    } else if (const auto* p = std::get_if<net::PresenceEvent>(&event)) {
        std::size_t here = 0;
        for (const auto& m : p->members) {
            here += m.away ? 0 : 1;
            if (m.avatarId == m_remotes.selfId()) {
                m_selfRole = m.role;
                m_privateWith = m.privateWith;
            }
        }
        m_people = here;
    } else if (std::holds_alternative<net::ConnectionLostEvent>(event)) {
        if (m_phase != ConnectionPhase::kFailed) m_phase = ConnectionPhase::kReconnecting;
    } else if (const auto* r = std::get_if<net::RemovedEvent>(&event)) {
        setFailed(strCat("removed from room ", m_room, ": ", r->reason), std::nullopt);
    } else if (const auto* n = std::get_if<net::NoticeEvent>(&event)) {
        m_log.warn(strCat("the room host refused a request: ", n->message));
    } else if (const auto* f = std::get_if<net::FailedEvent>(&event)) {
        std::string msg;
        switch (f->code.value_or(net::ReplyCode::kBadRequest)) {
            case net::ReplyCode::kAuthFailed:
                msg = strCat("login refused by ", where, ": ", f->error.message);
                break;
            case net::ReplyCode::kRoomFull:
                msg = strCat("cannot join room ", m_options.room, " on ", where, ": ", f->error.message);
                break;
            default:
                msg = m_everJoined ? strCat("lost room ", m_room, " on ", where, ": ", f->error.message)
                                   : strCat("cannot join room ", m_options.room, " on ", where, ": ",
                                            f->error.message);
        }
        setFailed(std::move(msg), f->code);
    }
}

void RoomPresence::update(const Participant& local) {
    if (m_client) {
        while (auto e = m_client->poll()) apply(*e);
    }
    const Nanos now = m_clock.now();
    if (m_phase == ConnectionPhase::kConnecting && now - m_startedAt > m_options.connectTimeout) {
        setFailed(strCat("timed out after ", nanosToSeconds(m_options.connectTimeout), " s connecting to ",
                         m_options.server.host, ":", m_options.server.port,
                         " (is a room host running there, and is its UDP port reachable?)"),
                  std::nullopt);
    }
    if (m_phase != ConnectionPhase::kInRoom) return;
    // A schedule rather than "an interval since the last post", so a 60 Hz
    // frame loop posts at 45 Hz on average instead of every other frame.
    // Away (the headset is idle) about twice a second: enough that others
    // never time the avatar out (their fade starts after 1.5 s of silence).
    const Nanos interval = local.away ? kAwayPostInterval : static_cast<Nanos>(1e9 / m_options.postRateHz);
    if (local.away != m_postedAway) m_nextPost.reset();  // the change goes out at once
    m_postedAway = local.away;
    if (m_nextPost && now < *m_nextPost) return;
    // Without a network thread (tests) a due post is counted as made.
    if (!m_client || m_client->postAvatar(toAvatarState(local))) ++m_posted;
    m_nextPost = m_nextPost ? *m_nextPost + interval : now + interval;
    if (*m_nextPost < now) m_nextPost = now + interval;  // after a stall, no burst
}

std::optional<std::uint32_t> RoomPresence::sendApiRequest(net::ApiMethod method, const std::string& path,
                                                         const std::string& body) {
    if (!m_client) return std::nullopt;
    return m_client->sendApiRequest(method, path, body);
}

void RoomPresence::setRecordingConsent(bool consent) {
    m_consent = consent;
    if (m_client) (void)m_client->setRecordingConsent(consent);
}

void RoomPresence::setProcedureStep(std::uint32_t procedureId, std::uint16_t step) {
    m_procedureStep = net::ProcedureStep{procedureId, step, selfId()};
    if (m_client) (void)m_client->setProcedureStep(procedureId, step);
}

void RoomPresence::askPrivateTalk(std::uint16_t with) {
    m_privateAsked = with;
    if (m_client) (void)m_client->askPrivateTalk(with);
}

std::optional<net::ApiResponse> RoomPresence::pollApiResponse() {
    if (!m_client) return std::nullopt;
    return m_client->pollApiResponse();
}

std::vector<Participant> RoomPresence::participants() {
    std::vector<Participant> out;
    m_visible = 0;
    for (const auto& v : m_remotes.sample(m_clock.now())) {
        if (v.shown.alpha >= 0.999f && !v.displayName.empty()) ++m_visible;
        Participant p;
        p.name = v.displayName.empty() ? strCat("#", v.avatarId) : v.displayName;
        p.displayName = p.name;
        if (v.muted) p.name += " (muted)";
        if (v.privateWith) p.name += " (private)";
        p.paused = v.shown.state.paused || v.shown.state.away;
        p.away = v.shown.state.away;
        if (p.away) {
            p.name += " (away)";
        } else if (p.paused) {
            p.name += " (paused)";
        }
        p.recordingConsent = v.recordingConsent;
        p.color = colorForAvatar(v.avatarId);
        p.avatarId = v.avatarId;
        p.head = v.shown.state.head;
        p.hands[0] = v.shown.state.leftHand;
        p.hands[1] = v.shown.state.rightHand;
        p.opacity = v.shown.alpha * (p.away ? kAwayOpacity : 1.0f);
        out.push_back(std::move(p));
    }
    return out;
}

std::string RoomPresence::statusText() const {
    switch (m_phase) {
        case ConnectionPhase::kConnecting:
            return strCat("connecting to ", m_options.server.host, ":", m_options.server.port);
        case ConnectionPhase::kInRoom:
            return strCat("in room ", m_room, " with ", m_people, m_people == 1 ? " person" : " people");
        case ConnectionPhase::kReconnecting:
            return "reconnecting...";  // ASCII: the panel font has no ellipsis glyph
        case ConnectionPhase::kFailed:
            return strCat("error: ", m_error);
    }
    return "?";
}

}  // namespace mxr::scenes
