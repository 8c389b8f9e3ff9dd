#include "server/rooms.h"

#include <algorithm>
#include <chrono>
#include <charconv>

#include "access.h"
#include "engine/core/text.h"
#include "handler_helpers.h"
#include "net/crypto.h"
#include "net/room_host.h"

namespace mxr::server {
namespace {

// A planned session is the meeting that starts from 30 min before it to
// its end (an hour after its start: a planned session has no end yet).
constexpr std::int64_t kPlannedEarlySeconds = 30 * 60;
constexpr std::int64_t kPlannedSeconds = 3600;

net::Role roleOf(const Principal& p) {
    if (p.manager) return net::Role::kProgramManager;
    if (p.mentor) return net::Role::kMentor;
    return net::Role::kMentee;
}

// Maps a handler refusal to the room host's error kinds.
Error toNetError(const ApiError& e) {
    const ErrorCode code = e.status == 404   ? ErrorCode::kNotFound
                           : e.status == 400 ? ErrorCode::kInvalidArgument
                           : e.status >= 500 ? ErrorCode::kUnavailable
                                             : ErrorCode::kPermissionDenied;
    return Error{code, e.status, e.message};
}

// Query parameters of "a=1&b=2" (ids, limits and formats: no escapes needed,
// and '%' is refused so nothing is silently misread).
tl::expected<Params, ApiError> parseEnetQuery(std::string_view q) {
    Params out;
    while (!q.empty()) {
        const auto amp = q.find('&');
        const std::string_view kv = q.substr(0, amp);
        q = amp == std::string_view::npos ? std::string_view() : q.substr(amp + 1);
        if (kv.empty()) continue;
        if (kv.find('%') != std::string_view::npos || kv.find('+') != std::string_view::npos) {
            return tl::unexpected(badRequest("path", "query parameters over ENet are not URL-encoded"));
        }
        const auto eq = kv.find('=');
        out[std::string(kv.substr(0, eq))] = eq == std::string_view::npos ? "" : std::string(kv.substr(eq + 1));
    }
    return out;
}

}  // namespace

std::optional<std::int64_t> mentorshipOfRoom(std::string_view room) {
    if (room.substr(0, kMentorshipRoomPrefix.size()) != kMentorshipRoomPrefix) return std::nullopt;
    return parsePositive(room.substr(kMentorshipRoomPrefix.size()));
}

RoomService::RoomService(Handlers& handlers, Store& store, const WallClock& clock, net::SigningKeyPair ticketKey,
                         RoomServiceOptions options, Logger logger)
    : m_handlers(handlers),
      m_store(store),
      m_clock(clock),
      m_ticketKey(ticketKey),
      m_options(options),
      m_log(std::move(logger)) {
    const std::size_t n = std::max<std::size_t>(1, m_options.workers);
    for (std::size_t i = 0; i < n; ++i) m_workers.emplace_back([this] { workerLoop(); });
    m_heartbeat = std::thread([this] { heartbeatLoop(); });
}

RoomService::~RoomService() {
    {
        std::lock_guard lock(m_jobsMutex);
        m_stopping = true;
    }
    m_jobsCv.notify_all();
    m_heartbeatCv.notify_all();
    m_heartbeat.join();
    for (auto& t : m_workers) t.join();
}

bool RoomService::post(std::function<void()> job) {
    {
        std::lock_guard lock(m_jobsMutex);
        if (m_stopping || m_jobs.size() >= m_options.maxQueuedJobs) return false;
        m_jobs.push_back(std::move(job));
    }
    m_jobsCv.notify_one();
    return true;
}

void RoomService::workerLoop() {
    std::unique_lock lock(m_jobsMutex);
    while (true) {
        // Finish what was queued even when stopping: those are session records.
        m_jobsCv.wait(lock, [&] { return m_stopping || !m_jobs.empty(); });
        if (m_jobs.empty()) return;
        auto job = std::move(m_jobs.front());
        m_jobs.pop_front();
        ++m_busy;
        lock.unlock();
        try {
            job();
        } catch (const std::exception& e) {
            m_log.error(strCat("room job threw: ", e.what()));
        }
        lock.lock();
        --m_busy;
        if (m_jobs.empty() && m_busy == 0) m_idleCv.notify_all();
    }
}

void RoomService::drain() {
    std::unique_lock lock(m_jobsMutex);
    m_idleCv.wait(lock, [&] { return m_jobs.empty() && m_busy == 0; });
}

net::Identity RoomService::identityOf(const Principal& p) const {
    // NFC, then cut at a grapheme boundary with an ellipsis when longer
    // than a room name may be; a name that is still unusable (erased
    // people have none) becomes "person N".
    std::string name = cutAtGrapheme(toNfc(p.name), net::kMaxNameBytes);
    if (name.empty() || !net::validateDisplayName(name)) name = strCat("person ", p.personId);
    return net::Identity{std::to_string(p.personId), name, roleOf(p),
                         static_cast<std::uint64_t>(p.credentialGeneration)};
}

void RoomService::attachHost(net::RoomHost* host) {
    std::lock_guard lock(m_hostMutex);
    m_host = host;
}

void RoomService::credentialsChanged(std::int64_t personId, std::string_view reason) {
    std::lock_guard lock(m_hostMutex);
    if (m_host) m_host->dropConnectionsOf(std::to_string(personId), std::string(reason));
}

tl::expected<std::pair<net::Bytes, std::int64_t>, ApiError> RoomService::authorizeAndSign(const Principal& p,
                                                                                     std::string_view room) {
    if (auto ok = net::validateRoomName(room); !ok) return tl::unexpected(badRequest("name", ok.error().message));
    if (room.substr(0, kMentorshipRoomPrefix.size()) == kMentorshipRoomPrefix) {
        auto id = mentorshipOfRoom(room);
        if (!id) return tl::unexpected(badRequest("name", "a mentorship room is named mentorship-<id>"));
        // Exactly who may read the mentorship may enter its room; the others
        // get the same 404 as for an absent mentorship.
        auto m = m_handlers.get(p, Entity::kMentorship, *id);
        if (!m) return tl::unexpected(m.error());
    }
    // Named rooms exist once someone created them through the API; whether
    // this person moderates the room is decided now, by the access layer,
    // and remembered for the room host (mayModerate runs on its network
    // thread, which never waits for the disk).
    const std::string name(room);
    std::optional<ApiError> refused;
    auto decided = m_store.read([&](ReadTx& tx) -> Result<Json> {
        if (room != kDemoRoom && !mentorshipOfRoom(room)) {
            MXR_TRY_ASSIGN(auto named, tx.namedRoom(name));
            if (!named) {
                refused = notFound("name", strCat("no room named '", name, "': create it with POST /api/v1/rooms"));
                return Json(false);
            }
        }
        auto moderates = canModerateRoom(tx, p, room);
        if (!moderates) return makeError(ErrorCode::kUnavailable, moderates.error().message);
        return Json(*moderates);
    });
    if (!decided) return tl::unexpected(fromStoreError(decided.error()));
    if (refused) return tl::unexpected(*refused);
    {
        std::lock_guard lock(m_moderatorsMutex);
        auto& mods = m_moderators[name];
        if (decided->get<bool>()) {
            mods.insert(std::to_string(p.personId));
        } else {
            mods.erase(std::to_string(p.personId));
        }
    }
    const net::Identity who = identityOf(p);
    net::RoomTicket t;
    t.room = std::string(room);
    t.subject = who.subject;
    t.displayName = who.displayName;
    t.role = who.role;
    t.issuedAt = m_clock.nowUnix();
    t.expiresAt = t.issuedAt + m_options.ticketLifetimeSeconds;
    return std::pair{net::signTicket(t, m_ticketKey), t.expiresAt};
}

ApiResult RoomService::ticket(const Principal& p, std::string_view room) {
    auto signed_ = authorizeAndSign(p, room);
    if (!signed_) return tl::unexpected(signed_.error());
    return Json{{"room", std::string(room)},
                {"ticket", net::toBase64(signed_->first)},
                {"expires_at", formatTimestamp(signed_->second)}};
}

Result<net::Identity> RoomService::login(std::string_view email, std::string_view password) {
    return loginFrom(email, password, "enet");
}

Result<net::Identity> RoomService::loginFrom(std::string_view email, std::string_view password,
                                             std::string_view address) {
    // Throttled per account and per IP address, like HTTP (the port varies).
    const std::string host(address.substr(0, address.rfind(':')));
    auto p = m_handlers.verifyPassword(email, password, host);
    if (!p) return tl::unexpected(toNetError(p.error()));
    return identityOf(*p);
}

Result<net::Identity> RoomService::verifyToken(std::string_view token) {
    auto p = m_handlers.authenticate(strCat("Bearer ", token));
    if (!p) return tl::unexpected(toNetError(p.error()));
    return identityOf(*p);
}

Result<net::Bytes> RoomService::issueTicket(const net::Identity& who, std::string_view room) {
    auto id = parsePositive(who.subject);
    if (!id) return makeError(ErrorCode::kPermissionDenied, "guests cannot ask for tickets");
    auto p = m_handlers.principalOf(*id);
    if (!p) return tl::unexpected(toNetError(p.error()));
    if (static_cast<std::uint64_t>(p->credentialGeneration) != who.credentialGeneration) {
        return makeError(ErrorCode::kPermissionDenied,
                         "your password, roles or account changed since this connection logged in; log in again");
    }
    auto signed_ = authorizeAndSign(*p, room);
    if (!signed_) return tl::unexpected(toNetError(signed_.error()));
    return std::move(signed_->first);
}

void RoomService::onMemberJoined(const std::string& room, const net::Identity& who, std::uint16_t,
                                 std::int64_t unixTime) {
    auto mentorship = mentorshipOfRoom(room);
    if (!mentorship) return;
    auto person = parsePositive(who.subject);
    if (!person) return;
    std::lock_guard lock(m_meetingsMutex);
    if (m_meetingsEnded) return;
    Meeting& m = m_meetings[room];
    bool goesOn = false;
    if (m.startedAt != 0 && m.present.empty()) {
        // The room emptied after a meeting: within the window this is the
        // same meeting (its record is in progress again); after it, that
        // meeting is over and this join is the start of another.
        if (unixTime <= m.continuesUntil) {
            goesOn = true;
            m.endedAt = 0;
        } else {
            recordSession(*mentorship, m, m.endedAt, true);
            m = Meeting{};
        }
    }
    ++m.present[*person];
    const bool newcomer = m.seen.insert(*person).second;
    if (m.startedAt == 0 && m.present.size() >= 2) {
        m.startedAt = unixTime;
        recordSession(*mentorship, m, 0);  // in progress: written now, so a crash cannot lose it
    } else if (m.startedAt != 0 && (newcomer || goesOn)) {
        recordSession(*mentorship, m, 0);  // a new attendee, or in progress again
    }
}

void RoomService::onMemberLeft(const std::string& room, const net::Identity& who, std::uint16_t,
                               std::int64_t unixTime, std::string_view) {
    auto mentorship = mentorshipOfRoom(room);
    auto person = parsePositive(who.subject);
    if (!mentorship || !person) return;
    std::lock_guard lock(m_meetingsMutex);
    auto it = m_meetings.find(room);
    if (it == m_meetings.end()) return;
    Meeting& m = it->second;
    auto p = m.present.find(*person);
    if (p == m.present.end()) return;  // not counted here (e.g. joined before a restart)
    if (--p->second <= 0) m.present.erase(p);
    if (!m.present.empty()) return;
    if (m.startedAt == 0) {
        m_meetings.erase(it);  // nobody met
        return;
    }
    // Ended as far as anyone knows now; kept for the window in case the
    // room is occupied again (then the same record goes on).
    m.endedAt = std::max(unixTime, m.startedAt);
    m.continuesUntil = m.endedAt + m_options.meetingWindowSeconds;
    recordSession(*mentorship, m, m.endedAt);
}

void RoomService::endMeetings() {
    {
        std::lock_guard lock(m_meetingsMutex);
        m_meetingsEnded = true;
        const std::int64_t now = m_clock.nowUnix();
        std::size_t ended = 0;
        for (auto& [room, m] : m_meetings) {
            // Rooms that emptied already have their ended_at; their open row
            // stays for the window (closeLeftoverSessions at the next start).
            if (m.startedAt == 0 || m.present.empty()) continue;
            recordSession(*mentorshipOfRoom(room), m, std::max(now, m.startedAt));
            ++ended;
        }
        m_meetings.clear();
        if (ended) m_log.info(strCat("stopping: ended ", ended, " meeting(s) in progress"));
    }
    drain();
}

void RoomService::recordSession(std::int64_t mentorshipId, Meeting& m, std::int64_t endedAt, bool over) {
    // Runs on the network thread: only queue it; a worker waits for the commit.
    Snapshot snap{++m.version, m.startedAt, endedAt, m.seen, over};
    const bool queued = post([this, mentorshipId, record = m.record, snap = std::move(snap)] {
        std::lock_guard lock(record->mutex);
        if (snap.version <= record->written) return;  // a newer state is already on disk
        auto r = m_store.write([&](WriteTx& tx) { return writeSession(tx, mentorshipId, *record, snap); });
        if (!r) {
            m_log.error(strCat("session of mentorship ", mentorshipId, " (", formatTimestamp(snap.startedAt), " to ",
                               snap.endedAt ? formatTimestamp(snap.endedAt) : std::string("now"),
                               ") not recorded: ", r.error().describe()));
            return;
        }
        record->written = snap.version;
        if (r->is_null()) return;
        const std::string what = (*r)["what"].get<std::string>();
        if (what == "created" || what == "linked") {
            record->sessionId = (*r)["id"].get<std::int64_t>();
            m_log.info(strCat(what == "linked" ? "scheduled session " : "recorded session ", record->sessionId.load(),
                              " of mentorship ", mentorshipId,
                              snap.endedAt ? "" : " (in progress)"));
        } else if (what == "ended") {
            m_log.info(strCat("session ", record->sessionId.load(), " of mentorship ", mentorshipId,
                              " ended (the same meeting if its room is occupied again within ",
                              m_options.meetingWindowSeconds, " s)"));
        } else if (what == "goes on") {
            m_log.info(strCat("session ", record->sessionId.load(), " of mentorship ", mentorshipId,
                              " goes on: its room was occupied again within ", m_options.meetingWindowSeconds,
                              " s"));
        }
    });
    if (!queued) {
        m_log.error(strCat("session of mentorship ", mentorshipId, " not recorded: the records queue is full"));
    }
}

Result<Json> RoomService::writeSession(WriteTx& tx, std::int64_t mentorshipId, SessionRecord& record,
                                       const Snapshot& s) {
    MXR_TRY_ASSIGN(auto ms, tx.get(Entity::kMentorship, mentorshipId));
    if (!ms) return makeError(ErrorCode::kNotFound, strCat("mentorship ", mentorshipId, " is gone"));
    Json attendees = Json::array();
    for (std::int64_t id : s.seen) {
        const auto isIn = [&](const char* f) {
            const Json& list = (*ms)[f];
            return std::find(list.begin(), list.end(), Json(id)) != list.end();
        };
        if (isIn("mentors") || isIn("mentees")) attendees.push_back(id);
    }
    // The open row says the meeting may still go on: in progress (seen now),
    // or its room emptied at endedAt and may be occupied again within the
    // window. It goes once the window has passed.
    const auto keepOpenRow = [&](std::int64_t id) -> Result<void> {
        if (s.over) return tx.removeOpenRoomSession(id);
        return tx.putOpenRoomSession(OpenRoomSession{id, s.endedAt ? s.endedAt : m_clock.nowUnix()});
    };
    // The server's own records go through Handlers like every other write
    // (validation, access rules, audit as actor 0).
    const Principal server = Principal::serverItself();
    const auto failed = [](const ApiError& e) { return makeError(ErrorCode::kInvalidArgument, e.message); };
    if (record.sessionId == 0) {
        if (attendees.empty()) return Json();  // only managers met (so far): not a session of the pair
        // A session planned for this meeting becomes it: the one not yet
        // held or cancelled whose window (start - 30 min to its end, an
        // hour after its start) holds the meeting's start, the nearest if
        // several; its scheduled_at stays, the server sets the times.
        std::int64_t planned = 0, bestGap = 0;
        for (std::int64_t after = 0;;) {
            MXR_TRY_ASSIGN(auto page, tx.list(Entity::kSession, ListQuery{"mentorship_id", mentorshipId, after, 1000}));
            for (const auto& c : page) {
                after = c["id"].get<std::int64_t>();
                if (!c["started_at"].is_null() || c["status"] == "cancelled" || !c["scheduled_at"].is_string()) continue;
                const auto at = parseTimestamp(c["scheduled_at"].get<std::string>());
                if (!at || s.startedAt < *at - kPlannedEarlySeconds || s.startedAt > *at + kPlannedSeconds) continue;
                const std::int64_t gap = s.startedAt > *at ? s.startedAt - *at : *at - s.startedAt;
                if (planned == 0 || gap < bestGap) planned = after, bestGap = gap;
            }
            if (page.size() < 1000) break;
        }
        if (planned) {
            Json patch{{"started_at", formatTimestamp(s.startedAt)}, {"attendees", attendees}};
            if (s.endedAt) patch["ended_at"] = formatTimestamp(s.endedAt);
            auto linked = m_handlers.updateIn(tx, server, Entity::kSession, planned, patch);
            if (!linked) return failed(linked.error());
            MXR_TRY(keepOpenRow(planned));
            return Json{{"id", planned}, {"what", "linked"}};
        }
        Json body{{"mentorship_id", mentorshipId},
                  {"scheduled_at", formatTimestamp(s.startedAt)},
                  {"started_at", formatTimestamp(s.startedAt)},
                  {"attendees", attendees},
                  {"notes", "recorded from room presence"}};
        if (s.endedAt) body["ended_at"] = formatTimestamp(s.endedAt);
        auto created = m_handlers.createIn(tx, server, Entity::kSession, body);
        if (!created) return failed(created.error());
        const std::int64_t id = (*created)["id"].get<std::int64_t>();
        MXR_TRY(keepOpenRow(id));
        return Json{{"id", id}, {"what", "created"}};
    }
    // Already recorded: bring attendees and ended_at (set when the room
    // emptied, null again when the meeting goes on) up to date. People may
    // have edited it meanwhile (notes, agenda): only these fields are
    // written, and only when they differ; a deleted session stays deleted.
    const std::int64_t id = record.sessionId.load();
    MXR_TRY_ASSIGN(auto current, tx.get(Entity::kSession, id));
    if (!current) {
        MXR_TRY(tx.removeOpenRoomSession(id));
        return Json();
    }
    Json patch = Json::object();
    if ((*current)["attendees"] != attendees) patch["attendees"] = attendees;
    const Json endedAt = s.endedAt ? Json(formatTimestamp(s.endedAt)) : Json(nullptr);
    const bool wasEnded = !(*current)["ended_at"].is_null();
    if ((*current)["ended_at"] != endedAt) patch["ended_at"] = endedAt;
    if (!patch.empty()) {
        auto updated = m_handlers.updateIn(tx, server, Entity::kSession, id, patch);
        if (!updated) return failed(updated.error());
    }
    MXR_TRY(keepOpenRow(id));
    const char* what = !patch.contains("ended_at") ? "updated" : s.endedAt ? "ended" : wasEnded ? "goes on" : "updated";
    return Json{{"id", id}, {"what", what}};
}

Result<std::size_t> RoomService::closeLeftoverSessions() {
    const std::int64_t now = m_clock.nowUnix();
    const std::int64_t window = m_options.meetingWindowSeconds;
    const std::int64_t heartbeat = std::max<std::int64_t>(1, m_options.heartbeatSeconds);
    // A meeting that may still go on: its room, once occupied again by
    // `until`, continues the same record.
    struct GoesOn {
        std::int64_t sessionId = 0;
        std::int64_t startedAt = 0;
        std::int64_t endedAt = 0;
        std::int64_t until = 0;
        std::set<std::int64_t> attendees;
    };
    std::map<std::int64_t, GoesOn> byMentorship;
    auto r = m_store.write([&](WriteTx& tx) -> Result<Json> {
        byMentorship.clear();
        MXR_TRY_ASSIGN(auto open, tx.openRoomSessions());
        Json closed = Json::array();
        for (const OpenRoomSession& o : open) {
            MXR_TRY_ASSIGN(auto session, tx.get(Entity::kSession, o.sessionId));
            std::optional<std::int64_t> startedAt;
            if (session && (*session)["started_at"].is_string()) {
                startedAt = parseTimestamp((*session)["started_at"].get<std::string>());
            }
            if (!startedAt) {
                MXR_TRY(tx.removeOpenRoomSession(o.sessionId));
                continue;
            }
            GoesOn g{o.sessionId, *startedAt, 0, 0, {}};
            if ((*session)["ended_at"].is_null()) {
                // Left in progress by a crash: it went on at least until the
                // last heartbeat that saw it, which is where it is closed; the
                // crash came before the next heartbeat was due, so the window
                // counts from then.
                g.endedAt = std::max(*startedAt, o.seenAt);
                const Json patch{{"ended_at", formatTimestamp(g.endedAt)}};
                auto closedOne = m_handlers.updateIn(tx, Principal::serverItself(), Entity::kSession, o.sessionId, patch);
                if (!closedOne) return makeError(ErrorCode::kInvalidArgument, closedOne.error().message);
                closed.push_back(Json{{"id", o.sessionId}, {"ended_at", patch["ended_at"]}});
                g.until = o.seenAt + heartbeat + window;
            } else {
                // Ended by a clean stop, or its room had emptied: the window
                // counts from ended_at.
                const auto e = (*session)["ended_at"].is_string()
                                   ? parseTimestamp((*session)["ended_at"].get<std::string>())
                                   : std::nullopt;
                g.endedAt = e ? *e : o.seenAt;
                g.until = g.endedAt + window;
            }
            if (now > g.until) {
                MXR_TRY(tx.removeOpenRoomSession(o.sessionId));
                continue;
            }
            for (const Json& a : (*session)["attendees"]) {
                if (a.is_number_integer()) g.attendees.insert(a.get<std::int64_t>());
            }
            const std::int64_t mentorship = (*session)["mentorship_id"].get<std::int64_t>();
            auto [it, fresh] = byMentorship.try_emplace(mentorship, g);
            if (!fresh) {
                // Two for one room (a window that passed while nobody swept
                // it): the later meeting is the one that may go on.
                const bool later = g.endedAt > it->second.endedAt;
                MXR_TRY(tx.removeOpenRoomSession(later ? it->second.sessionId : g.sessionId));
                if (later) it->second = g;
            }
        }
        return closed;
    });
    if (!r) return tl::unexpected(r.error());
    for (const Json& c : *r) {
        m_log.warn(strCat("session ", c["id"].get<std::int64_t>(), " was left open by an unclean stop; closed at ",
                          c["ended_at"].get<std::string>(), " (the last time it was seen in progress)"));
    }
    std::lock_guard lock(m_meetingsMutex);
    for (const auto& [mentorship, g] : byMentorship) {
        Meeting m;
        m.seen = g.attendees;
        m.startedAt = g.startedAt;
        m.endedAt = g.endedAt;
        m.continuesUntil = g.until;
        m.record->sessionId = g.sessionId;
        m_meetings[strCat(kMentorshipRoomPrefix, mentorship)] = std::move(m);
        m_log.info(strCat("session ", g.sessionId, " of mentorship ", mentorship,
                          " goes on if its room is occupied again by ", formatTimestamp(g.until)));
    }
    return r->size();
}

void RoomService::heartbeatLoop() {
    std::unique_lock lock(m_jobsMutex);
    while (!m_stopping) {
        m_heartbeatCv.wait_for(lock, std::chrono::seconds(std::max<std::int64_t>(1, m_options.heartbeatSeconds)),
                               [&] { return m_stopping; });
        if (m_stopping) return;
        lock.unlock();
        // Only the sessions of meetings in progress (a session whose closing
        // write failed must not look longer at the next start); an idle
        // server writes nothing.
        // Meetings whose room stayed empty past the window are over: their
        // record is final and their open row goes.
        std::vector<std::int64_t> open;
        {
            std::lock_guard meetings(m_meetingsMutex);
            const std::int64_t now = m_clock.nowUnix();
            for (auto it = m_meetings.begin(); it != m_meetings.end();) {
                Meeting& m = it->second;
                if (m.startedAt != 0 && m.present.empty() && now > m.continuesUntil) {
                    recordSession(*mentorshipOfRoom(it->first), m, m.endedAt, true);
                    it = m_meetings.erase(it);
                    continue;
                }
                const std::int64_t id = m.record->sessionId.load();
                if (m.startedAt != 0 && !m.present.empty() && id != 0) open.push_back(id);
                ++it;
            }
        }
        if (!open.empty()) {
            post([this, open = std::move(open)] {
                auto r = m_store.write([&](WriteTx& tx) -> Result<Json> {
                    const std::int64_t now = m_clock.nowUnix();
                    for (std::int64_t id : open) MXR_TRY(tx.touchOpenRoomSession(OpenRoomSession{id, now}));
                    return Json();
                });
                if (!r) m_log.error(strCat("session heartbeat not written: ", r.error().describe()));
            });
        }
        lock.lock();
    }
}

RouterReply RoomService::route(const Principal& p, const net::ApiRequest& request) {
    const std::string_view path = request.path;
    const auto q = path.find('?');
    auto query = parseEnetQuery(q == std::string_view::npos ? std::string_view() : path.substr(q + 1));
    if (!query) return Router::errorReply(query.error());
    RouterRequest req;
    req.method = net::toString(request.method);
    req.path = std::string(path.substr(0, q));
    req.query = std::move(*query);
    req.body = request.body;
    req.principal = p;
    req.idempotencyKey = request.idempotencyKey;
    req.transport = Transport::kEnet;
    return m_router.handle(req);
}

ApiResult RoomService::createNamedRoom(const Principal& p, const Json& body) {
    for (const auto& [k, v] : body.items()) {
        if (k != "name") return tl::unexpected(badRequest(k, strCat(k, " is not a field of room")));
    }
    if (!body.contains("name") || !body["name"].is_string()) {
        return tl::unexpected(badRequest("name", "name is required and must be a string"));
    }
    const std::string name = body["name"].get<std::string>();
    if (auto ok = net::validateRoomName(name); !ok) return tl::unexpected(badRequest("name", ok.error().message));
    if (name == kDemoRoom || name.substr(0, kMentorshipRoomPrefix.size()) == kMentorshipRoomPrefix) {
        return tl::unexpected(badRequest("name", strCat("'", name, "' is reserved (demo and mentorship-<id> rooms "
                                                                  "exist without being created)")));
    }
    std::optional<ApiError> taken;
    auto r = m_store.write([&](WriteTx& tx) -> Result<Json> {
        auto id = tx.insertNamedRoom(name, p.personId);
        if (!id && id.error().code == ErrorCode::kConflict) {
            taken = apiError(409, "conflict", "name", strCat("a room named '", name, "' exists"));
            return tl::unexpected(id.error());
        }
        if (!id) return tl::unexpected(id.error());
        MXR_TRY(tx.appendAudit(AuditEvent{0, 0, p.personId, "create", "room", *id, {"name"}}));
        MXR_TRY_ASSIGN(auto room, tx.namedRoom(name));
        return Json{{"id", room->id}, {"name", room->name}, {"owner_id", room->ownerId}, {"created_at", room->createdAt}};
    });
    if (taken) return tl::unexpected(*taken);
    if (!r) return tl::unexpected(fromStoreError(r.error()));
    return *r;
}

bool RoomService::mayModerate(const net::Identity& who, std::string_view room) {
    std::lock_guard lock(m_moderatorsMutex);
    auto it = m_moderators.find(room);
    return it != m_moderators.end() && it->second.count(who.subject) > 0;
}

bool RoomService::mayCreateRoom(const net::Identity&, std::string_view) { return false; }

void RoomService::onApiRequest(const net::Identity& who, net::ApiRequest request, Reply reply) {
    const auto person = parsePositive(who.subject);
    const std::uint32_t requestId = request.requestId;
    auto job = [this, person, generation = who.credentialGeneration, request = std::move(request), reply] {
        RouterReply a;
        // The principal is read now, per request, so erasure and role
        // changes apply at once (like a revoked token over HTTP).
        auto p = person ? m_handlers.principalOf(*person)
                        : tl::expected<Principal, ApiError>(
                              tl::unexpected(apiError(401, "unauthenticated", "", "guests cannot use records")));
        if (!p) {
            a = Router::errorReply(p.error());
        } else if (static_cast<std::uint64_t>(p->credentialGeneration) != generation) {
            // A password or role change, or erasure, since this connection
            // logged in (the host may not have dropped it yet).
            a = Router::errorReply(apiError(401, "unauthenticated", "",
                                            "your password, roles or account changed since this connection "
                                            "logged in; log in again"));
        } else {
            a = route(*p, request);
        }
        reply(net::ApiResponse{request.requestId, static_cast<std::uint16_t>(a.status), a.body.dump()});
    };
    if (!post(std::move(job))) {
        const ApiError busy = apiError(503, "unavailable", "", "the server is busy; try again");
        reply(net::ApiResponse{requestId, 503, busy.toJson().dump()});
    }
}

}  // namespace mxr::server
