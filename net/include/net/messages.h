#pragma once
// The room protocol's messages and their codecs.
//
// Wire form: [protocol version u8][type u8][body]. Integers little-endian,
// strings u8-length-prefixed UTF-8 without control characters, blobs
// u16-length-prefixed. decodeMessage() rejects, with a kProtocol Error that
// names the field: truncation, trailing bytes, oversize (> kMaxMessageBytes),
// a wrong version, an unknown type, a bad enum value, non-finite floats,
// avatar positions outside the room, over-long names.
//
// Channels (ARCHITECTURE.md): Hello/HelloAck and everything sealed on the
// control channel 0 is reliable; AvatarUpdate/AvatarBatch go on channel 1
// (unreliable sequenced); VoiceUp/VoiceDown/VoiceLoss on channel 2 (sent
// unsequenced: the jitter buffer handles order); Presence/Removed on
// channel 3 (reliable events).
//
// Thread: pure functions.
#include <array>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "net/annotations.h"
#include "net/avatar_codec.h"
#include "net/wire.h"

namespace mxr::net {

// 2: ReplyCode::kBusy; 3: connect cookies (connect_cookie.h) before the ENet
// handshake, Moderate lock/unlock and reason, ApiRequest idempotency key;
// 4: voice (VoiceUp/VoiceDown/VoiceLoss), private talk, recording consent,
// presence's consent flag and private partner; 5: VoiceWithAvatars (a voice
// frame and the avatar entries due to the same listener in one seal); 6: the
// avatar flags paused (focus went to the system) and away (headset idle);
// 7: annotations (AnnotationChange, AnnotationRefused, AnnotationSnapshot),
// the shared ProcedureStep, Joined's authorId and moderator; 8: small rooms
// cost less: sealed frames carry the counter's low 32 bits only (crypto.h,
// 20 bytes instead of 27), relayed avatar entries carry velocities
// (avatar_codec.h) and the host relays them at lower rates (interest.h)
inline constexpr std::uint8_t kProtocolVersion = 8;
inline constexpr std::size_t kMaxMessageBytes = 16 * 1024;
inline constexpr std::size_t kMaxNameBytes = 64;      // room and display names
inline constexpr std::size_t kMaxSecretBytes = 255;   // passwords, tokens
inline constexpr std::size_t kMaxTicketBytes = 1024;
inline constexpr std::size_t kKeyBytes = 32;
inline constexpr std::size_t kResumeTokenBytes = 16;
// Avatar batches stay under this many bytes of plaintext so that the sealed
// packet plus ENet's headers fit one 1,400-byte MTU datagram.
inline constexpr std::size_t kMaxAvatarBatchBytes = 1200;
// Records over ENet (ApiRequest/ApiResponse): the JSON body's limit, and
// the path's (a str, so at most 255 bytes).
inline constexpr std::size_t kMaxApiBodyBytes = 12 * 1024;
inline constexpr std::size_t kMaxApiPathBytes = 255;
inline constexpr std::size_t kMaxIdempotencyKeyBytes = 128;
inline constexpr std::size_t kMaxReasonBytes = 200;  // a moderator's reason for a removal
// A room's annotation snapshot travels in pieces of at most this many bytes
// and is at most kMaxAnnotationSnapshotBytes in all (annotations.h's limits
// reach about 250 KB).
inline constexpr std::size_t kAnnotationSnapshotPieceBytes = 12 * 1024;
inline constexpr std::size_t kMaxAnnotationSnapshotBytes = 1024 * 1024;

enum class Channel : std::uint8_t { kControl = 0, kAvatar = 1, kVoice = 2, kEvents = 3 };
inline constexpr std::size_t kChannelCount = 4;

enum class MessageType : std::uint8_t {
    kHello = 1,
    kHelloAck = 2,
    // 3 was protocol 7's sealed-frame marker (crypto.h: no longer on the wire).
    kLogin = 10,
    kLoginToken = 11,
    kLoginOk = 12,
    kTicketRequest = 13,
    kTicketGrant = 14,
    kCreateRoom = 15,
    kRoomCreated = 16,
    kJoin = 20,
    kJoinGuest = 21,
    kResume = 22,
    kJoined = 23,
    kLeave = 24,
    kPresence = 25,
    kModerate = 26,
    kRemoved = 27,
    kErrorReply = 30,
    kAvatarUpdate = 40,
    kAvatarBatch = 41,
    kApiRequest = 50,
    kApiResponse = 51,
    kVoiceUp = 60,
    kVoiceDown = 61,
    kVoiceLoss = 62,
    kPrivateTalk = 63,
    kConsent = 64,
    kVoiceWithAvatars = 65,
    kAnnotationChange = 70,
    kAnnotationRefused = 71,
    kAnnotationSnapshot = 72,
    kProcedureStep = 73,
};

enum class Role : std::uint8_t { kGuest = 0, kMentee = 1, kMentor = 2, kProgramManager = 3 };
const char* toString(Role r) noexcept;

// What a refused request says; the message carries the human text.
enum class ReplyCode : std::uint8_t {
    kBadRequest = 1,
    kVersionMismatch = 2,
    kAuthFailed = 3,
    kNotAllowed = 4,
    kRoomNotFound = 5,
    kRoomFull = 6,
    kBadTicket = 7,
    kRoomExists = 8,
    kResumeExpired = 9,
    kBusy = 10,  // the host cannot take the request now; retry shortly
};
const char* toString(ReplyCode c) noexcept;

using Key = std::array<std::uint8_t, kKeyBytes>;
using ResumeToken = std::array<std::uint8_t, kResumeTokenBytes>;

struct Hello { Key clientPublicKey{}; };
struct HelloAck { Key serverStaticKey{}; Key serverEphemeralKey{}; };
struct Login { std::string email; std::string password; };
struct LoginToken { std::string token; };
struct LoginOk { std::string displayName; Role role = Role::kMentee; };
struct TicketRequest { std::string room; };
struct TicketGrant { Bytes ticket; };
struct CreateRoom { std::string room; std::uint16_t capacity = 16; bool openDemo = false; };
struct RoomCreated { std::string room; };
struct Join { std::string room; Bytes ticket; };
struct JoinGuest { std::string room; std::string displayName; };
struct Resume { ResumeToken token{}; };
struct Joined {
    std::string room;
    std::uint16_t avatarId = 0;
    ResumeToken resumeToken{};
    RoomBounds bounds;
    std::uint16_t capacity = 0;
    // Who this person is in the room's annotations (annotation ids carry
    // it): the same for the room's life, whatever avatar they rejoin with;
    // guests get a new one per join. 1..65535.
    std::uint16_t authorId = 0;
    bool moderator = false;  // the room's RoomPolicy says this person moderates
};
struct Leave {};
struct PresenceEntry {
    std::uint16_t avatarId = 0;
    std::string displayName;
    Role role = Role::kGuest;
    bool muted = false;
    bool away = false;  // connection lost, may resume
    bool recordingConsent = false;     // agrees to be recorded (shown on the avatar)
    std::uint16_t privateWith = 0;     // in private talk with this avatar (0: none)
    bool operator==(const PresenceEntry&) const = default;
};
struct Presence { std::vector<PresenceEntry> members; };
// Lock/unlock act on the room (target ignored): a locked room takes no new
// joins except its moderators'. A removal lasts for the room's lifetime and
// its reason (may be empty) reaches the removed person in Removed.
enum class ModerationAction : std::uint8_t { kMute = 1, kUnmute = 2, kRemove = 3, kLock = 4, kUnlock = 5 };
struct Moderate {
    ModerationAction action = ModerationAction::kMute;
    std::uint16_t target = 0;
    std::string reason;  // <= kMaxReasonBytes
};
struct Removed { std::string reason; };
struct ErrorReply { ReplyCode code = ReplyCode::kBadRequest; std::string message; };
// Client to host: the sender's own state (avatarId ignored, set by the host).
struct AvatarUpdate { AvatarEntry entry; };
// Host to client: several avatars, each packet under kMaxAvatarBatchBytes.
struct AvatarBatch { std::vector<AvatarEntry> entries; };
// Records over ENet (channel 0, reliable): the session server answers each
// request as its HTTP API would answer `method /api/v1<path>` with the
// connection's logged-in identity (see server/README.md for the allowed
// methods and paths). `body` is JSON text (may be empty); `status` is the
// HTTP status the same call would get.
enum class ApiMethod : std::uint8_t { kGet = 1, kPost = 2, kPatch = 3, kDelete = 4 };
const char* toString(ApiMethod m) noexcept;
struct ApiRequest {
    std::uint32_t requestId = 0;  // chosen by the client, echoed in the response
    ApiMethod method = ApiMethod::kGet;
    std::string path;             // e.g. "/goals/3" (after /api/v1), <= kMaxApiPathBytes, may hold ?query
    std::string body;             // <= kMaxApiBodyBytes
    // A write with a key is applied once: a retry after a lost answer gets
    // the first answer (the server keeps keys 24 h per person). "" = none.
    std::string idempotencyKey;   // <= kMaxIdempotencyKeyBytes
};
struct ApiResponse {
    std::uint32_t requestId = 0;
    std::uint16_t status = 0;
    std::string body;             // JSON text, <= kMaxApiBodyBytes
};

// Voice (channel 2). Client to host: the sender's voice frame
// (net/voice_frame.h), validated, never decoded. Host to client: a talker's
// frame with the talker's avatar id.
struct VoiceUp { Bytes frame; };
struct VoiceDown { std::uint16_t speaker = 0; Bytes frame; };
// Client to host: how much of `speaker`'s voice this listener lost over the
// last report period (percent, 0..100). Host to client (speaker 0): the
// worst loss the talker's listeners report, for its encoder.
struct VoiceLoss { std::uint16_t speaker = 0; std::uint8_t lossPercent = 0; };
// Control channel. Asks for private talk with `with` (0 ends it): the pair is
// private once both asked for each other; they then hear only each other,
// nobody else hears them, and everyone sees the pair in Presence.
struct PrivateTalk { std::uint16_t with = 0; };
// Control channel: the sender's recording consent (shown in Presence).
struct Consent { bool recording = false; };
// Host to client (channel 2): a talker's frame, as VoiceDown, and the avatar
// entries (1..255, as AvatarBatch) due to this listener at the same moment,
// in one sealed message. In a room of two to four the datagram's fixed cost
// (ENet 10-12 bytes, sealing 20) is most of what an avatar update costs;
// riding on a voice frame the entries pay only their own bytes. Wire:
// [count u8][entries][speaker u16][frame to the end]. Entries may arrive
// out of order with AvatarBatch (channel 1): receivers order by timeMs.
struct VoiceWithAvatars { std::vector<AvatarEntry> entries; std::uint16_t speaker = 0; Bytes frame; };

// Annotations (channel 3, reliable; net/README "Annotations"). Client to
// host: a change to the room's annotations (the stamp's writer is the
// sender's authorId). Host to every member, the sender included: a change
// it accepted, in the order it applied them. Host to the sender alone, on
// the same channel: the change of `id` it refused, and why.
struct AnnotationChange { AnnotationOp op; };
struct AnnotationRefused { AnnotationId id = 0; std::string message; };
// Host to client, after Joined and after every resume: the room's whole
// annotation state (encodeAnnotationSnapshot bytes) in pieces, in order, on
// channel 3 before any AnnotationChange that follows it. `total` is the
// snapshot's size (<= kMaxAnnotationSnapshotBytes), `offset` where the
// piece goes (pieces are 1..kAnnotationSnapshotPieceBytes, contiguous).
struct AnnotationSnapshot { std::uint32_t total = 0; std::uint32_t offset = 0; Bytes piece; };
// The procedure step the room is on (channel 3): any member sets it (by is
// ignored), the host keeps it for the room's life, relays it to everyone
// with `by` set to the setter's avatar, and sends it to those who join.
// procedureId 0: no procedure is open. `step` counts from 0.
struct ProcedureStep {
    std::uint32_t procedureId = 0;
    std::uint16_t step = 0;
    std::uint16_t by = 0;
    bool operator==(const ProcedureStep&) const = default;
};

using Message = std::variant<Hello, HelloAck, Login, LoginToken, LoginOk, TicketRequest,
                             TicketGrant, CreateRoom, RoomCreated, Join, JoinGuest, Resume, Joined,
                             Leave, Presence, Moderate, Removed, ErrorReply, AvatarUpdate,
                             AvatarBatch, ApiRequest, ApiResponse, VoiceUp, VoiceDown, VoiceLoss,
                             PrivateTalk, Consent, VoiceWithAvatars, AnnotationChange, AnnotationRefused,
                             AnnotationSnapshot, ProcedureStep>;

MessageType messageType(const Message& m);
const char* toString(MessageType t) noexcept;

// Asserts on misuse (strings longer than the limits); callers validate
// user input with validateName() first.
Bytes encodeMessage(const Message& m);
// `bounds` is the room avatars must stay inside (validated for avatar
// messages only).
Result<Message> decodeMessage(ByteSpan bytes, const RoomBounds& bounds = RoomBounds{});

// Reads only the 2-byte header; checks the version.
Result<MessageType> peekType(ByteSpan bytes);

// Room names: 1..64 bytes of [A-Za-z0-9_.-].
Result<void> validateRoomName(std::string_view name);
// Display names: 1..64 bytes of UTF-8 (64 Latin letters, 32 Greek,
// Cyrillic, Arabic or Hebrew, 21 CJK characters) in Unicode normalisation
// form C, with no control characters (C0, DEL, C1) and no bidirectional
// overrides or isolates (U+202A..U+202E, U+2066..U+2069: a name must not
// reorder the text around it; clients isolate names themselves). Errors
// (kInvalidArgument) say "display name ..." and what is wrong.
Result<void> validateDisplayName(std::string_view name);
// The name as it will be used: refused as above, else normalised to NFC
// (decomposed accents composed) and checked for length after that.
Result<std::string> normalizeDisplayName(std::string_view name);

// Splits entries into as few AvatarBatch messages as fit, each encoded
// under kMaxAvatarBatchBytes; used by the host's relay.
std::vector<Bytes> encodeAvatarBatches(std::span<const AvatarEntry> entries);

}  // namespace mxr::net
