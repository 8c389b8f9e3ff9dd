#pragma once
// The room host: one ENet host serving shared rooms. The session server
// (mentorxr-server) owns one; tools/roomhost runs one standalone for tests
// and bots.
//
// Per connection: Hello/HelloAck key exchange (crypto.h), then only sealed
// frames. A client logs in (Authenticator) and asks for a ticket, or
// brings a ticket from the HTTP API, or joins an open demo room as a guest
// when guests are allowed; then sends its avatar at up to 45 Hz on channel
// 1. The host relays avatars to the other members of the room at rates
// chosen by distance (interest.h), batched under the MTU, and keeps a
// member whose connection dropped "away" for resumeWindow so the client
// can resume with its token without a duplicate avatar.
//
// Threads: create() binds the socket. Then either call service() from one
// thread of your own, or start() a network thread (stop() or the
// destructor joins it). createRoom(), presence(), stats() and port() are
// thread-safe. The RoomObserver is called on the thread that runs
// service(). The Authenticator is called on the host's own auth threads
// (RoomHostConfig::authThreads), never on the network thread, because a
// login hashes a password (tens of ms) and would stall every room's relay;
// its answer is applied on the network thread when it comes back (dropped
// if the connection is gone). Both must outlive the host; the destructor
// joins the auth threads (queued checks are dropped, running ones finish).
// create() starts the auth threads; they block every signal, so a program
// that waits for SIGTERM in a thread of its own still gets it.
//
// Errors: bad packets never stop the host: they are dropped, counted in
// stats(), and answered with an ErrorReply naming what was wrong when they
// arrived on the reliable control channel.
#include <atomic>
#include <functional>
#include <optional>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/core/clock.h"
#include "engine/core/log.h"
#include "net/authenticator.h"
#include "net/crypto.h"
#include "net/interest.h"
#include "net/messages.h"
#include "net/room_policy.h"
#include "net/ticket.h"

namespace mxr::net {

struct RoomHostConfig {
    std::string bindAddress = "0.0.0.0";
    std::uint16_t port = 7777;                // 0: any free port (read it back with port())
    std::size_t maxPeers = 256;
    std::size_t duplicatePeersPerAddress = 16;
    std::size_t maxPacketBytes = 32 * 1024;
    std::uint32_t peerTimeoutMs = 5000;       // at most 5 s (ARCHITECTURE.md)
    Nanos resumeWindow = msToNanos(30'000);
    Nanos joinDeadline = msToNanos(30'000);   // connections that do not join in time are dropped
    bool allowGuests = false;
    std::uint16_t defaultCapacity = 16;
    RoomBounds defaultBounds;
    InterestConfig interest;
    std::size_t replayWindow = 1024;
    KeyPair serverKey;        // long-term X25519 (loadOrCreateServerKey)
    VerifyKey ticketKey{};    // the session server's Ed25519 public key
    std::function<std::int64_t()> unixNow = systemUnixNow;
    // A Join with a valid ticket for a room that does not exist creates it
    // (default capacity and bounds; the signed ticket is the permission).
    // Rooms made this way are dropped again when their last member leaves.
    bool createRoomsOnTicket = false;
    // Answers ApiRequest (records over ENet); null: every request answers
    // 404. Must outlive the host. At most kMaxApiInFlight per connection.
    ApiGateway* api = nullptr;
    // Who moderates which room (room_policy.h); null: nobody moderates and
    // CreateRoom is refused. Must outlive the host.
    RoomPolicy* policy = nullptr;
    // Login, LoginToken and TicketRequest run the Authenticator on these
    // threads. At most maxPendingAuth checks are queued or running at once
    // and one per connection; beyond that the request is answered
    // ErrorReply{kBusy} ("retry"), so a burst of logins cannot queue without
    // bound. The Authenticator bounds its own costly work (the server's
    // PasswordHasher hashes at most --hash-concurrency at once).
    std::size_t authThreads = 2;      // 1..64
    std::size_t maxPendingAuth = 64;  // >= 1
};

inline constexpr std::size_t kMaxApiInFlight = 8;

struct RoomConfig {
    std::string name;
    std::uint16_t capacity = 0;  // 0: the host's default
    bool openDemo = false;       // guests may join when the host allows guests
    std::optional<RoomBounds> bounds;
};

struct RoomHostStats {
    std::uint64_t connections = 0;     // currently connected peers
    std::uint64_t members = 0;         // in rooms, away ones included
    std::uint64_t forged = 0;
    std::uint64_t replayed = 0;
    std::uint64_t malformed = 0;       // not sealed, undecodable or out-of-place messages
    std::uint64_t avatarUpdatesIn = 0;
    std::uint64_t avatarUpdatesDropped = 0;  // beyond 45 Hz per member
    std::uint64_t avatarEntriesOut = 0;
    std::uint64_t avatarPacketsOut = 0;
    std::uint64_t bytesIn = 0;         // UDP payload, ENet headers included
    std::uint64_t bytesOut = 0;
    std::uint64_t timeouts = 0;
    std::uint64_t resumes = 0;
    std::uint64_t apiRequests = 0;     // ApiRequest messages received
    std::uint64_t authBusy = 0;        // logins/ticket requests answered kBusy
};

class RoomHost {
public:
    static Result<std::unique_ptr<RoomHost>> create(RoomHostConfig config, Authenticator& auth,
                                                    const Clock& clock, Logger log,
                                                    RoomObserver* observer = nullptr);
    ~RoomHost();
    RoomHost(const RoomHost&) = delete;
    RoomHost& operator=(const RoomHost&) = delete;

    std::uint16_t port() const { return m_port; }
    const Key& publicKey() const { return m_config.serverKey.publicKey; }

    // kConflict when it exists, kInvalidArgument for a bad name or capacity.
    Result<void> createRoom(const RoomConfig& room);
    std::vector<PresenceEntry> presence(const std::string& room) const;
    RoomHostStats stats() const;

    // Runs ENet and the 45 Hz relay for up to `maxWait`.
    void service(Nanos maxWait);
    void start();
    void stop();

    struct Impl;

private:
    RoomHost() = default;
    RoomHostConfig m_config;
    std::uint16_t m_port = 0;
    std::unique_ptr<Impl> m_impl;
    std::thread m_thread;
    std::atomic<bool> m_running{false};
};

}  // namespace mxr::net
