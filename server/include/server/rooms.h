#pragma once
// The session server's side of shared rooms: who may enter which room, the
// room tickets (HTTP and ENet), the room host's authenticator (the same
// accounts, password hashing, throttling and tokens as the HTTP API), the
// session records written from room presence, and records over ENet
// (ApiRequest routed to the same Handlers as HTTP).
//
// Rooms and access (the one place the rules live):
//  - names: 1..64 bytes of [A-Za-z0-9_.-] (net::validateRoomName);
//  - "mentorship-<id>": the mentorship's mentors and mentees and the
//    managers of its program (exactly those who may read the mentorship;
//    everyone else gets 404, as if it did not exist);
//  - any other name: any authenticated person (the room is created when the
//    first ticket holder joins, and dropped when it empties);
//  - guests (no account) only enter the open demo room "demo", and only when
//    the server runs with --allow-guests; they cannot use records.
//
// Sessions held in a room (server/README "Sessions from room presence"):
// in "mentorship-<id>", a meeting starts when a second person is present at
// once (started_at) and goes on while the room is occupied; when the room
// empties, the record gets ended_at = the time the last person left (for a
// connection that was lost: when it was lost), but the meeting is over only
// if nobody comes back within the meeting window (the room host's resume
// window, 30 s): a room occupied again within it continues the same meeting
// and the same session record (ended_at null again). So people who drop
// and rejoin, or a server restart in the middle, never record a meeting
// twice. Attendees are the mentorship's members who were present at any
// time (managers who drop in are not attendees). A room where nobody met
// (one person alone) records nothing. The record is written when the
// meeting starts (ended_at null: in progress), its attendees as new members
// come, ended_at when the room empties; by the server itself (audit actor
// 0) through the store's group commit on a worker thread, never on the
// network thread; a failure is logged.
//
// Stopping and crashes: endMeetings() (a clean stop, after the host has
// stopped) ends every meeting in progress at that moment, as if everyone had
// left. While any meeting is in progress a heartbeat records every
// `heartbeatSeconds` that its session was still going (store
// openRoomSessions; a meeting whose room emptied keeps its row, with the
// time it emptied, until its window has passed). At the next start,
// closeLeftoverSessions() gives each session a crash left in progress
// ended_at = the last heartbeat that saw it (at least started_at), so at
// most one heartbeat interval of a meeting is lost; and a meeting whose
// window had not passed (counted from the stop, or for a crash from when
// the next heartbeat was due) goes on if its room is occupied again in time.
//
// Threads: the net::Authenticator calls run on the room host's auth
// threads (password hashing bounded by the shared PasswordHasher); the
// RoomObserver and ApiGateway calls run on its network thread and never
// wait for a disk; ticket() and route() are thread-safe. Work that writes
// (session records, ENet API requests) runs on `workers` threads.
// The destructor finishes queued work, so destroy the RoomHost first.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "engine/core/log.h"
#include "net/authenticator.h"
#include "net/room_policy.h"
#include "net/ticket.h"
#include "server/handlers.h"
#include "server/router.h"
#include "server/store.h"
#include "server/time_util.h"

namespace mxr::net {
class RoomHost;
}

namespace mxr::server {

inline constexpr std::string_view kMentorshipRoomPrefix = "mentorship-";
inline constexpr std::string_view kDemoRoom = "demo";

// The mentorship id of "mentorship-<id>"; nullopt for other names and for
// a malformed id (ticket() refuses "mentorship-" names without a valid id).
std::optional<std::int64_t> mentorshipOfRoom(std::string_view room);

struct RoomServiceOptions {
    std::int64_t ticketLifetimeSeconds = net::kDefaultTicketLifetimeSeconds;
    std::size_t workers = 2;          // threads for records writes and ENet API requests
    std::size_t maxQueuedJobs = 4096; // beyond: ENet requests answer 503, session records are logged as lost
    std::int64_t heartbeatSeconds = 30; // how often open sessions are marked as still in progress (>= 1)
    // A room occupied again within this many seconds of emptying continues
    // the same meeting; the server gives its room host the same value as
    // its resume window (net::RoomHostConfig::resumeWindow).
    std::int64_t meetingWindowSeconds = 30;
};

class RoomService final : public net::Authenticator,
                          public net::RoomObserver,
                          public net::ApiGateway,
                          public net::RoomPolicy,
                          public CredentialsListener {
public:
    RoomService(Handlers& handlers, Store& store, const WallClock& clock, net::SigningKeyPair ticketKey,
                RoomServiceOptions options, Logger logger);
    ~RoomService() override;
    RoomService(const RoomService&) = delete;
    RoomService& operator=(const RoomService&) = delete;

    const net::SigningKeyPair& ticketKey() const { return m_ticketKey; }

    // POST /api/v1/rooms/{name}/ticket: {"room", "ticket" (URL-safe base64),
    // "expires_at"}; 400 for a bad name, 404 for a mentorship room the
    // principal may not enter.
    ApiResult ticket(const Principal& p, std::string_view room);

    // Records over ENet: `method /api/v1<path>` as HTTP would answer it
    // (the same Router), for the allowed methods and paths (README "Records
    // over ENet"); others 404.
    RouterReply route(const Principal& p, const net::ApiRequest& request);

    // POST /api/v1/rooms {"name"}: a named room owned (and moderated) by p.
    // 400 for a bad or reserved name, 409 when it exists.
    ApiResult createNamedRoom(const Principal& p, const Json& body);

    // net::Authenticator (identity subject = the person id in decimal).
    Result<net::Identity> login(std::string_view email, std::string_view password) override;
    Result<net::Identity> loginFrom(std::string_view email, std::string_view password,
                                    std::string_view address) override;
    Result<net::Identity> verifyToken(std::string_view token) override;
    Result<net::Bytes> issueTicket(const net::Identity& who, std::string_view room) override;

    // net::RoomObserver
    void onMemberJoined(const std::string& room, const net::Identity& who, std::uint16_t avatarId,
                        std::int64_t unixTime) override;
    void onMemberLeft(const std::string& room, const net::Identity& who, std::uint16_t avatarId,
                      std::int64_t unixTime, std::string_view reason) override;

    // net::ApiGateway
    void onApiRequest(const net::Identity& who, net::ApiRequest request, Reply reply) override;

    // net::RoomPolicy: what the access layer decided (canModerateRoom) when
    // this person's latest ticket for the room was issued; CreateRoom over
    // ENet is refused (named rooms are created through the API).
    bool mayModerate(const net::Identity& who, std::string_view room) override;
    bool mayCreateRoom(const net::Identity& who, std::string_view room) override;

    // The room host whose connections credentialsChanged() ends (null:
    // none). Thread-safe; detach (nullptr) before the host is destroyed.
    void attachHost(net::RoomHost* host);
    // CredentialsListener (Handlers: password change, role change, erasure):
    // ends the person's ENet connections on the attached host, telling them
    // `reason`. Their logins' credential generation is stale from the
    // change on, so tickets and records are refused even to a connection
    // the host has not dropped yet.
    void credentialsChanged(std::int64_t personId, std::string_view reason) override;

    // Blocks until every queued job (session records, API requests) is done.
    void drain();

    // A clean stop: ends every meeting in progress now, as if everyone had
    // left (ended_at = now, attendees as seen), and waits until those
    // records are written. Call after the RoomHost has stopped (no more
    // observer calls); later joins and leaves are ignored.
    void endMeetings();

    // At start, before the room host runs: closes the sessions a crash left
    // open (ended_at = the last heartbeat that saw them, at least started_at;
    // audited as an update by actor 0) and returns how many; and takes back
    // the meetings whose window has not passed yet (a stop or crash in the
    // middle of a meeting, or a room that had just emptied), so their room
    // occupied again in time continues the same session record.
    Result<std::size_t> closeLeftoverSessions();

private:
    // One meeting's session record. Its writes may run on any worker, in any
    // order: each carries a snapshot of the meeting and a version, and a
    // write skips a snapshot older than the one already written.
    struct SessionRecord {
        std::mutex mutex;             // held by the worker writing it
        std::atomic<std::int64_t> sessionId{0};  // 0: not inserted yet (read by the heartbeat)
        std::uint64_t written = 0;    // version of the snapshot last written
    };
    struct Snapshot {
        std::uint64_t version = 0;
        std::int64_t startedAt = 0;
        std::int64_t endedAt = 0;     // 0: in progress
        std::set<std::int64_t> seen;
        bool over = false;            // the window has passed: the record is final, its open row goes
    };
    struct Meeting {
        std::map<std::int64_t, int> present;  // person id -> connections in the room
        std::set<std::int64_t> seen;
        std::int64_t startedAt = 0;          // 0: nobody met yet
        // Set while the room is empty after a meeting: it emptied at endedAt
        // and the same meeting goes on if it is occupied by continuesUntil.
        std::int64_t endedAt = 0;
        std::int64_t continuesUntil = 0;
        std::uint64_t version = 0;
        std::shared_ptr<SessionRecord> record = std::make_shared<SessionRecord>();
    };
    tl::expected<std::pair<net::Bytes, std::int64_t>, ApiError> authorizeAndSign(const Principal& p,
                                                                            std::string_view room);
    net::Identity identityOf(const Principal& p) const;
    // Queues a write of the meeting's current state (ended at endedAt, or in
    // progress when 0). Caller holds m_meetingsMutex.
    void recordSession(std::int64_t mentorshipId, Meeting& m, std::int64_t endedAt, bool over = false);
    Result<Json> writeSession(WriteTx& tx, std::int64_t mentorshipId, SessionRecord& record, const Snapshot& s);
    bool post(std::function<void()> job);
    void workerLoop();
    void heartbeatLoop();

    Handlers& m_handlers;
    Store& m_store;
    Router m_router{m_handlers, this};
    const WallClock& m_clock;
    net::SigningKeyPair m_ticketKey;
    RoomServiceOptions m_options;
    Logger m_log;

    std::mutex m_hostMutex;
    net::RoomHost* m_host = nullptr;

    // Who moderates which room, as decided by the access layer when each
    // ticket was issued (room -> person ids in decimal).
    std::mutex m_moderatorsMutex;
    std::map<std::string, std::set<std::string>, std::less<>> m_moderators;

    std::mutex m_meetingsMutex;
    std::map<std::string, Meeting, std::less<>> m_meetings;
    bool m_meetingsEnded = false;  // endMeetings() ran

    std::mutex m_jobsMutex;
    std::condition_variable m_jobsCv;
    std::condition_variable m_idleCv;
    std::deque<std::function<void()>> m_jobs;
    std::size_t m_busy = 0;
    bool m_stopping = false;
    std::vector<std::thread> m_workers;
    std::thread m_heartbeat;  // waits on m_jobsCv's mutex for m_stopping
    std::condition_variable m_heartbeatCv;
};

}  // namespace mxr::server
