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
// Credentials (net/README "Security"): a ticket joins once (its id is
// remembered until it expires); an account has at most one member per
// room (a later join replaces the earlier member, which is sent Removed;
// guests are not bound); only a connection that logged in (Login,
// LoginToken) may ask for tickets or send records requests: a ticket or a
// Resume is not a login; a Resume while the avatar's old connection is
// still open is answered kBusy (the client retries until the host's peer
// timeout has ended the old one) and never takes it over.
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
    // The largest sealed message (ENet refuses bigger packets both ways).
    std::size_t maxPacketBytes = kMaxMessageBytes + kSealOverhead;
    // Undelivered payload ENet may hold per peer (out-of-order data and
    // unfinished fragments); beyond it ENet drops, and the sender resends.
    std::size_t maxWaitingBytesPerPeer = 64 * 1024;
    std::uint32_t peerTimeoutMs = 5000;       // at most 5 s (ARCHITECTURE.md)
    Nanos resumeWindow = msToNanos(30'000);
    Nanos helloDeadline = msToNanos(5'000);   // connections without Hello by then are reset
    Nanos joinDeadline = msToNanos(15'000);   // connections that do not join in time are dropped
    // Handshake and memory bounds (net/README.md): peers that never
    // acknowledge the connect handshake are reset after halfOpenTimeout;
    // CONNECTs with a valid cookie take a token from their address's bucket
    // (connectBurstPerAddress, refilled at connectsPerSecondPerAddress);
    // reliable commands may run at most maxReliableAhead sequence numbers
    // ahead of what ENet can deliver.
    Nanos halfOpenTimeout = msToNanos(3'000);
    double connectBurstPerAddress = 16;
    double connectsPerSecondPerAddress = 4;
    std::uint16_t maxReliableAhead = 128;
    bool allowGuests = false;
    std::uint16_t defaultCapacity = 16;
    RoomBounds defaultBounds;
    InterestConfig interest;
    std::size_t replayWindow = 1024;
    // Frames the host seals per channel of one connection before it hangs
    // up (the counter must never wrap); lowered only by tests.
    std::uint64_t framesPerChannel = kMaxFramesPerChannel;
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
    // Tickets are single use: the host remembers the id of every ticket it
    // accepted until the ticket expires. At most this many are remembered;
    // when that many unexpired tickets have been used, further ticket joins
    // are answered kBusy until the oldest expire (never forgotten early,
    // which would let a ticket be used twice).
    std::size_t maxUsedTickets = 65536;  // >= 1; about 80 bytes each
    // Annotation changes and procedure steps a member may send (one token
    // bucket): this many a second on average, with this burst (a stroke of
    // ink is one change; placing or dragging sends a few a second). Beyond
    // it a change is refused with AnnotationRefused naming the rate (a
    // step with ErrorReply).
    double annotationsPerSecond = 20.0;
    double annotationBurst = 60.0;
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
    // Handshake and memory bounds (net/README.md).
    std::uint64_t connectChallenges = 0;     // CONNECTs without a valid cookie, answered with one
    std::uint64_t connectChallengeBytes = 0;
    std::uint64_t connectsRateLimited = 0;   // valid cookie, but the address's bucket was empty
    std::uint64_t halfOpenReset = 0;         // connect handshakes never acknowledged
    std::uint64_t commandsRefused = 0;       // ENet commands the intercept removed
    std::uint64_t helloTimeouts = 0;         // reset for not saying Hello in time
    std::uint64_t resumesBusy = 0;     // resumes answered kBusy: the avatar's old connection was still open
    std::uint64_t ticketsReused = 0;   // joins refused: the ticket was already used
    // Voice (net/README.md): frames received, forwarded (one per listener),
    // dropped (muted by a moderator or over the talker's rate), malformed.
    std::uint64_t voiceFramesIn = 0;
    std::uint64_t voiceFramesOut = 0;
    std::uint64_t voiceFramesDropped = 0;
    std::uint64_t voiceMalformed = 0;
    // Avatar entries sent inside a VoiceWithAvatars (also counted in
    // avatarEntriesOut): they shared a voice frame's seal and datagram.
    std::uint64_t avatarEntriesWithVoice = 0;
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

    // Ends every connection of the person `subject` (Identity::subject):
    // those logged in as them and those in a room as them. Members lose
    // their place (no resume; away ones too) and are sent Removed{reason};
    // other connections get ErrorReply{kAuthFailed, reason}; each is then
    // disconnected and nothing more it sends is handled. For the session
    // server's password change, role change and erasure. Thread-safe and
    // non-blocking: applied by the network thread on its next service()
    // pass (within a few ms with start()).
    void dropConnectionsOf(std::string subject, std::string reason);

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
