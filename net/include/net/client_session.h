#pragma once
// One client's connection to a room host, driven by the thread that owns
// it: RoomClient runs one on its network thread; mentorxr-bot drives many
// from one thread.
//
// Connect, key exchange (the server key is pinned on first use and refused
// if it changes), then log in and ask for a ticket, join with a ticket from
// the HTTP API, or join as a guest; then send avatar states and receive
// everyone else's. When the connection drops while in a room, the session
// reconnects and resumes the same avatar with its resume token for up to
// resumeWindow; an account (AccountLogin, TokenLogin) logs in again on the
// new connection first, since the host grants records and tickets only to
// a login, never to a resumed avatar. A host that still holds the old
// connection answers the resume kBusy; it is sent again every
// reconnectInterval until the host's peer timeout has ended the old one
// (within resumeWindow).
//
// Thread: every call on one thread. Errors that end the session arrive as
// a FailedEvent (and state() == kFailed); nothing throws.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "engine/core/clock.h"
#include "engine/core/log.h"
#include "net/crypto.h"
#include "net/messages.h"

namespace mxr::net {

struct GuestLogin { std::string displayName; };
struct AccountLogin { std::string email; std::string password; };
struct TokenLogin { std::string token; };
struct TicketJoin { Bytes ticket; };  // a ticket from POST /api/v1/rooms/{name}/ticket
using Credentials = std::variant<GuestLogin, AccountLogin, TokenLogin, TicketJoin>;

struct ClientConfig {
    std::string serverHost = "127.0.0.1";
    std::uint16_t serverPort = 7777;
    std::string room;
    Credentials credentials;
    // How the server's key is checked: at least one of the two must be set
    // (create() refuses a session that could not tell an impostor from the
    // server, so no password, token or ticket goes to an unchecked key).
    std::filesystem::path pinFile;      // trust-on-first-use store (known_servers)
    std::optional<Key> expectedServerKey;  // pin given out of band (tests, config)
    std::uint32_t peerTimeoutMs = 5000;
    Nanos resumeWindow = msToNanos(30'000);
    Nanos reconnectInterval = msToNanos(500);
    Nanos connectTimeout = msToNanos(20'000);  // keep trying to get in for this long
    std::size_t replayWindow = 1024;
    // Frames sealed per channel of one connection before the session hangs
    // up and resumes on a fresh one (counters never wrap); lowered by tests.
    std::uint64_t framesPerChannel = kMaxFramesPerChannel;
    // A host too busy checking logins answers a Login, LoginToken or
    // TicketRequest with kBusy; the session sends it again after
    // busyRetryDelay, doubling up to 4 s, at most busyRetries times in a
    // row, then fails with the host's message. (A Resume answered kBusy is
    // sent again every reconnectInterval within resumeWindow.)
    int busyRetries = 6;
    Nanos busyRetryDelay = msToNanos(250);
};

enum class ClientState { kConnecting, kHandshaking, kAuthenticating, kJoining, kJoined, kReconnecting, kClosed, kFailed };
const char* toString(ClientState s) noexcept;

struct JoinedEvent {
    std::string room;
    std::uint16_t avatarId = 0;
    RoomBounds bounds;
    bool resumed = false;
    std::uint16_t authorId = 0;  // in the room's annotations, for the room's life
    bool moderator = false;
};
struct PresenceEvent { std::vector<PresenceEntry> members; };
struct AvatarsEvent { std::vector<AvatarEntry> entries; Nanos arrival = 0; };
struct RemovedEvent { std::string reason; };
struct ConnectionLostEvent {};  // reconnecting; a JoinedEvent with resumed=true follows on success
struct NoticeEvent { ReplyCode code = ReplyCode::kBadRequest; std::string message; };  // a refused request
struct FailedEvent { Error error; std::optional<ReplyCode> code; };
// A talker's voice frame (net/voice_frame.h bytes) as it arrived.
struct VoiceEvent { std::uint16_t speaker = 0; Bytes frame; Nanos arrival = 0; };
// The worst loss our listeners report of our voice (for the encoder).
struct VoiceLossEvent { std::uint8_t lossPercent = 0; };
// Annotations (net/annotation_replica.h takes them): the room's whole state
// (after every JoinedEvent, the first join's and each resume's), a change
// the host accepted (anyone's, ours included), a change of ours it refused.
struct AnnotationSnapshotEvent { AnnotationState state; };
struct AnnotationChangeEvent { AnnotationOp op; };
struct AnnotationRefusedEvent { AnnotationId id = 0; std::string message; };
// The procedure step the room is on (set by anyone; sent on join).
struct ProcedureStepEvent { ProcedureStep step; };
using ClientEvent = std::variant<JoinedEvent, PresenceEvent, AvatarsEvent, RemovedEvent, ConnectionLostEvent,
                                 NoticeEvent, FailedEvent, VoiceEvent, VoiceLossEvent, AnnotationSnapshotEvent,
                                 AnnotationChangeEvent, AnnotationRefusedEvent, ProcedureStepEvent>;

struct ClientStats {
    std::uint64_t bytesIn = 0;   // UDP payload, ENet headers included
    std::uint64_t bytesOut = 0;
    std::uint64_t datagramsIn = 0;  // UDP datagrams received (each may carry several ENet commands)
    std::uint64_t avatarEntriesIn = 0;
    std::uint64_t voiceFramesIn = 0;
    // Of bytesIn, what the voice received would have cost on its own (each
    // frame as a sealed VoiceDown alone in an ENet datagram, VoiceLoss too):
    // bytesIn - voiceBytesIn is what avatars, presence and keepalives cost.
    std::uint64_t voiceBytesIn = 0;
    std::uint64_t forged = 0;
    std::uint64_t replayed = 0;
    std::uint64_t malformed = 0;
    std::uint64_t reconnects = 0;
};

// $XDG_CONFIG_HOME/mentorxr/known_servers, else ~/.config/mentorxr/known_servers
// (empty when neither variable is set): the client's and the bots' default
// trust-on-first-use file.
std::filesystem::path defaultKnownServersPath();

class ClientSession {
public:
    static Result<std::unique_ptr<ClientSession>> create(ClientConfig config, const Clock& clock, Logger log);
    ~ClientSession();
    ClientSession(const ClientSession&) = delete;
    ClientSession& operator=(const ClientSession&) = delete;

    // Runs ENet for up to waitMs and handles what arrived.
    void service(std::uint32_t waitMs);
    // Sends our avatar, stamped with the clock's time (kInvalidArgument for
    // non-finite, non-unit or out-of-room poses; kUnavailable when not in a room).
    Result<void> sendAvatar(const AvatarState& state);
    void moderate(const Moderate& m);
    // Voice (channel 2, unsequenced): one frame from encodeVoiceFrame()
    // (kInvalidArgument/kProtocol when it is not one, kUnavailable when not
    // in a room); how much of `speaker`'s voice we lost lately (percent).
    Result<void> sendVoice(ByteSpan frame);
    void reportVoiceLoss(std::uint16_t speaker, std::uint8_t lossPercent);
    // Private talk with `with` (0 ends it): private once both asked.
    void askPrivateTalk(std::uint16_t with);
    void setRecordingConsent(bool consent);
    // Annotations and the procedure step (channel 3, reliable). Dropped
    // when not in a room: AnnotationReplica sends its unanswered changes
    // again after the snapshot that follows a resume.
    void sendAnnotation(const AnnotationOp& op);
    void setProcedureStep(std::uint32_t procedureId, std::uint16_t step);
    // Records over ENet: sends `method /api/v1<path>` with a JSON body on the
    // reliable control channel, as the logged-in identity; returns the
    // request id that its ApiResponse (from takeApiResponses()) will carry.
    // Errors: kUnavailable when not in a room, kInvalidArgument for a path
    // not starting with '/' or over kMaxApiPathBytes, or a body over
    // kMaxApiBodyBytes. Requests in flight when the connection drops get no
    // answer (send them again after resuming).
    // A write sent with an idempotency key is applied once however often it
    // is retried (e.g. after a lost answer); the server remembers keys 24 h.
    Result<std::uint32_t> sendApiRequest(ApiMethod method, std::string path, std::string body = {},
                                         std::string idempotencyKey = {});
    // The answers that arrived since the last call, in arrival order.
    std::vector<ApiResponse> takeApiResponses();
    // Leaves the room and closes the connection (state becomes kClosed).
    void leave();
    // Test seam: drop the connection without telling the host, as a network
    // outage would, and start resuming.
    void simulateConnectionLoss();

    std::vector<ClientEvent> takeEvents();
    ClientState state() const;
    std::uint16_t avatarId() const;  // 0 until joined
    ClientStats stats() const;

    struct Impl;

private:
    ClientSession() = default;
    std::unique_ptr<Impl> m_impl;
};

}  // namespace mxr::net
