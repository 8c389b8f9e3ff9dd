#include "net/messages.h"

#include "engine/core/text.h"

#include "net/voice_frame.h"

#include <cassert>

#include "engine/core/log.h"

namespace mxr::net {
namespace {

template <class... Ts>
struct Overloaded : Ts... {
    using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

void writeKey(ByteWriter& w, const std::array<std::uint8_t, 32>& k) { w.bytes(k); }

template <std::size_t N>
Result<std::array<std::uint8_t, N>> readArray(ByteReader& r, const char* field) {
    MXR_TRY_ASSIGN(auto b, r.bytes(N, field));
    std::array<std::uint8_t, N> out{};
    std::copy(b.begin(), b.end(), out.begin());
    return out;
}

Result<Role> readRole(ByteReader& r, const char* field) {
    MXR_TRY_ASSIGN(auto v, r.u8(field));
    if (v > static_cast<std::uint8_t>(Role::kProgramManager)) {
        return tl::unexpected(protocolError(strCat("field '", field, "' has unknown role ", int(v))));
    }
    return static_cast<Role>(v);
}

Result<bool> readBool(ByteReader& r, const char* field) {
    MXR_TRY_ASSIGN(auto v, r.u8(field));
    if (v > 1) {
        return tl::unexpected(
            protocolError(strCat("field '", field, "' is not a boolean (", int(v), ")")));
    }
    return v == 1;
}

Result<std::string> readRoomName(ByteReader& r) {
    MXR_TRY_ASSIGN(auto s, r.str("room", kMaxNameBytes));
    MXR_TRY(validateRoomName(s));
    return s;
}

void writeBounds(ByteWriter& w, const RoomBounds& b) {
    w.f32(b.min.x); w.f32(b.min.y); w.f32(b.min.z);
    w.f32(b.max.x); w.f32(b.max.y); w.f32(b.max.z);
}

Result<RoomBounds> readBounds(ByteReader& r) {
    RoomBounds b;
    MXR_TRY_ASSIGN(b.min.x, r.f32("bounds.min.x"));
    MXR_TRY_ASSIGN(b.min.y, r.f32("bounds.min.y"));
    MXR_TRY_ASSIGN(b.min.z, r.f32("bounds.min.z"));
    MXR_TRY_ASSIGN(b.max.x, r.f32("bounds.max.x"));
    MXR_TRY_ASSIGN(b.max.y, r.f32("bounds.max.y"));
    MXR_TRY_ASSIGN(b.max.z, r.f32("bounds.max.z"));
    if (!(b.min.x < b.max.x && b.min.y < b.max.y && b.min.z < b.max.z)) {
        return tl::unexpected(protocolError("field 'bounds' has min not below max"));
    }
    constexpr float kLimit = 32.767f;
    for (float v : {b.min.x, b.min.y, b.min.z, b.max.x, b.max.y, b.max.z}) {
        if (v < -kLimit || v > kLimit) {
            return tl::unexpected(protocolError("field 'bounds' exceeds +/-32.767 m"));
        }
    }
    return b;
}

void writeBody(ByteWriter& w, const Message& m) {
    std::visit(
        Overloaded{
            [&](const Hello& x) { writeKey(w, x.clientPublicKey); },
            [&](const HelloAck& x) {
                writeKey(w, x.serverStaticKey);
                writeKey(w, x.serverEphemeralKey);
            },
            [&](const Login& x) { w.str(x.email); w.str(x.password); },
            [&](const LoginToken& x) { w.str(x.token); },
            [&](const LoginOk& x) { w.str(x.displayName); w.u8(static_cast<std::uint8_t>(x.role)); },
            [&](const TicketRequest& x) { w.str(x.room); },
            [&](const TicketGrant& x) { w.blob(x.ticket); },
            [&](const CreateRoom& x) { w.str(x.room); w.u16(x.capacity); w.u8(x.openDemo ? 1 : 0); },
            [&](const RoomCreated& x) { w.str(x.room); },
            [&](const Join& x) { w.str(x.room); w.blob(x.ticket); },
            [&](const JoinGuest& x) { w.str(x.room); w.str(x.displayName); },
            [&](const Resume& x) { w.bytes(x.token); },
            [&](const Joined& x) {
                w.str(x.room);
                w.u16(x.avatarId);
                w.bytes(x.resumeToken);
                writeBounds(w, x.bounds);
                w.u16(x.capacity);
                w.u16(x.authorId);
                w.u8(x.moderator ? 1 : 0);
            },
            [&](const Leave&) {},
            [&](const Presence& x) {
                assert(x.members.size() <= 0xffff);
                w.u16(static_cast<std::uint16_t>(x.members.size()));
                for (const auto& e : x.members) {
                    w.u16(e.avatarId);
                    w.str(e.displayName);
                    w.u8(static_cast<std::uint8_t>(e.role));
                    w.u8(static_cast<std::uint8_t>((e.muted ? 1 : 0) | (e.away ? 2 : 0) |
                                                   (e.recordingConsent ? 4 : 0)));
                    w.u16(e.privateWith);
                }
            },
            [&](const Moderate& x) {
                w.u8(static_cast<std::uint8_t>(x.action));
                w.u16(x.target);
                w.str(x.reason);
            },
            [&](const Removed& x) { w.str(x.reason); },
            [&](const ErrorReply& x) { w.u8(static_cast<std::uint8_t>(x.code)); w.str(x.message); },
            [&](const AvatarUpdate& x) { writeAvatarEntry(w, x.entry); },
            [&](const AvatarBatch& x) {
                assert(x.entries.size() <= 0xff);
                w.u8(static_cast<std::uint8_t>(x.entries.size()));
                for (const auto& e : x.entries) writeAvatarEntry(w, e);
            },
            [&](const ApiRequest& x) {
                assert(x.path.size() <= kMaxApiPathBytes && x.body.size() <= kMaxApiBodyBytes);
                w.u32(x.requestId);
                w.u8(static_cast<std::uint8_t>(x.method));
                w.str(x.path);
                w.blob(ByteSpan(reinterpret_cast<const std::uint8_t*>(x.body.data()), x.body.size()));
                assert(x.idempotencyKey.size() <= kMaxIdempotencyKeyBytes);
                w.str(x.idempotencyKey);
            },
            [&](const ApiResponse& x) {
                assert(x.body.size() <= kMaxApiBodyBytes);
                w.u32(x.requestId);
                w.u16(x.status);
                w.blob(ByteSpan(reinterpret_cast<const std::uint8_t*>(x.body.data()), x.body.size()));
            },
            [&](const VoiceUp& x) { w.bytes(x.frame); },
            [&](const VoiceDown& x) {
                w.u16(x.speaker);
                w.bytes(x.frame);
            },
            [&](const VoiceLoss& x) {
                w.u16(x.speaker);
                w.u8(x.lossPercent);
            },
            [&](const PrivateTalk& x) { w.u16(x.with); },
            [&](const Consent& x) { w.u8(x.recording ? 1 : 0); },
            [&](const VoiceWithAvatars& x) {
                assert(!x.entries.empty() && x.entries.size() <= 0xff);
                w.u8(static_cast<std::uint8_t>(x.entries.size()));
                for (const auto& e : x.entries) writeAvatarEntry(w, e);
                w.u16(x.speaker);
                w.bytes(x.frame);
            },
            [&](const AnnotationChange& x) { w.bytes(encodeAnnotationOp(x.op)); },
            [&](const AnnotationRefused& x) {
                w.u32(x.id);
                w.str(x.message);
            },
            [&](const AnnotationSnapshot& x) {
                assert(!x.piece.empty() && x.piece.size() <= kAnnotationSnapshotPieceBytes);
                w.u32(x.total);
                w.u32(x.offset);
                w.bytes(x.piece);
            },
            [&](const ProcedureStep& x) {
                w.u32(x.procedureId);
                w.u16(x.step);
                w.u16(x.by);
            },
        },
        m);
}

Result<Message> readBody(MessageType type, ByteReader& r, const RoomBounds& bounds) {
    switch (type) {
        case MessageType::kHello: {
            Hello m;
            MXR_TRY_ASSIGN(m.clientPublicKey, readArray<kKeyBytes>(r, "clientPublicKey"));
            return m;
        }
        case MessageType::kHelloAck: {
            HelloAck m;
            MXR_TRY_ASSIGN(m.serverStaticKey, readArray<kKeyBytes>(r, "serverStaticKey"));
            MXR_TRY_ASSIGN(m.serverEphemeralKey, readArray<kKeyBytes>(r, "serverEphemeralKey"));
            return m;
        }
        case MessageType::kLogin: {
            Login m;
            MXR_TRY_ASSIGN(m.email, r.str("email", kMaxSecretBytes));
            MXR_TRY_ASSIGN(m.password, r.str("password", kMaxSecretBytes));
            return m;
        }
        case MessageType::kLoginToken: {
            LoginToken m;
            MXR_TRY_ASSIGN(m.token, r.str("token", kMaxSecretBytes));
            return m;
        }
        case MessageType::kLoginOk: {
            LoginOk m;
            MXR_TRY_ASSIGN(m.displayName, r.str("displayName", kMaxNameBytes));
            MXR_TRY_ASSIGN(m.role, readRole(r, "role"));
            return m;
        }
        case MessageType::kTicketRequest: {
            TicketRequest m;
            MXR_TRY_ASSIGN(m.room, readRoomName(r));
            return m;
        }
        case MessageType::kTicketGrant: {
            TicketGrant m;
            MXR_TRY_ASSIGN(auto b, r.blob("ticket", kMaxTicketBytes));
            m.ticket.assign(b.begin(), b.end());
            return m;
        }
        case MessageType::kCreateRoom: {
            CreateRoom m;
            MXR_TRY_ASSIGN(m.room, readRoomName(r));
            MXR_TRY_ASSIGN(m.capacity, r.u16("capacity"));
            if (m.capacity == 0) return tl::unexpected(protocolError("field 'capacity' is zero"));
            MXR_TRY_ASSIGN(m.openDemo, readBool(r, "openDemo"));
            return m;
        }
        case MessageType::kRoomCreated: {
            RoomCreated m;
            MXR_TRY_ASSIGN(m.room, readRoomName(r));
            return m;
        }
        case MessageType::kJoin: {
            Join m;
            MXR_TRY_ASSIGN(m.room, readRoomName(r));
            MXR_TRY_ASSIGN(auto b, r.blob("ticket", kMaxTicketBytes));
            m.ticket.assign(b.begin(), b.end());
            return m;
        }
        case MessageType::kJoinGuest: {
            JoinGuest m;
            MXR_TRY_ASSIGN(m.room, readRoomName(r));
            MXR_TRY_ASSIGN(m.displayName, r.str("displayName", kMaxNameBytes));
            return m;
        }
        case MessageType::kResume: {
            Resume m;
            MXR_TRY_ASSIGN(m.token, readArray<kResumeTokenBytes>(r, "resumeToken"));
            return m;
        }
        case MessageType::kJoined: {
            Joined m;
            MXR_TRY_ASSIGN(m.room, readRoomName(r));
            MXR_TRY_ASSIGN(m.avatarId, r.u16("avatarId"));
            MXR_TRY_ASSIGN(m.resumeToken, readArray<kResumeTokenBytes>(r, "resumeToken"));
            MXR_TRY_ASSIGN(m.bounds, readBounds(r));
            MXR_TRY_ASSIGN(m.capacity, r.u16("capacity"));
            MXR_TRY_ASSIGN(m.authorId, r.u16("authorId"));
            if (m.authorId == 0) return tl::unexpected(protocolError("field 'authorId' is zero"));
            MXR_TRY_ASSIGN(m.moderator, readBool(r, "moderator"));
            return m;
        }
        case MessageType::kLeave:
            return Leave{};
        case MessageType::kPresence: {
            Presence m;
            MXR_TRY_ASSIGN(auto n, r.u16("presence.count"));
            // Each entry is at least 8 bytes: refuse counts the packet cannot hold
            // before reserving anything.
            if (n > r.remaining() / 8) {
                return tl::unexpected(protocolError(
                    strCat("field 'presence.count' says ", n, " but only ", r.remaining(), " bytes follow")));
            }
            m.members.reserve(n);
            for (std::uint16_t i = 0; i < n; ++i) {
                PresenceEntry e;
                MXR_TRY_ASSIGN(e.avatarId, r.u16("presence.avatarId"));
                MXR_TRY_ASSIGN(e.displayName, r.str("presence.displayName", kMaxNameBytes));
                MXR_TRY_ASSIGN(e.role, readRole(r, "presence.role"));
                MXR_TRY_ASSIGN(auto flags, r.u8("presence.flags"));
                if (flags & ~7u) {
                    return tl::unexpected(protocolError("field 'presence.flags' has unknown bits"));
                }
                e.muted = flags & 1;
                e.away = flags & 2;
                e.recordingConsent = flags & 4;
                MXR_TRY_ASSIGN(e.privateWith, r.u16("presence.privateWith"));
                m.members.push_back(std::move(e));
            }
            return m;
        }
        case MessageType::kModerate: {
            Moderate m;
            MXR_TRY_ASSIGN(auto a, r.u8("action"));
            if (a < 1 || a > static_cast<std::uint8_t>(ModerationAction::kUnlock)) {
                return tl::unexpected(protocolError(strCat("field 'action' has unknown value ", int(a))));
            }
            m.action = static_cast<ModerationAction>(a);
            MXR_TRY_ASSIGN(m.target, r.u16("target"));
            MXR_TRY_ASSIGN(m.reason, r.str("reason", kMaxReasonBytes, true));
            return m;
        }
        case MessageType::kRemoved: {
            Removed m;
            MXR_TRY_ASSIGN(m.reason, r.str("reason", 255, true));
            return m;
        }
        case MessageType::kErrorReply: {
            ErrorReply m;
            MXR_TRY_ASSIGN(auto c, r.u8("code"));
            if (c < 1 || c > static_cast<std::uint8_t>(ReplyCode::kBusy)) {
                return tl::unexpected(protocolError(strCat("field 'code' has unknown value ", int(c))));
            }
            m.code = static_cast<ReplyCode>(c);
            MXR_TRY_ASSIGN(m.message, r.str("message", 255, true));
            return m;
        }
        case MessageType::kAvatarUpdate: {
            AvatarUpdate m;
            MXR_TRY_ASSIGN(m.entry, readAvatarEntry(r, bounds));
            return m;
        }
        case MessageType::kAvatarBatch: {
            AvatarBatch m;
            MXR_TRY_ASSIGN(auto n, r.u8("batch.count"));
            if (n == 0) return tl::unexpected(protocolError("field 'batch.count' is zero"));
            m.entries.reserve(n);
            for (int i = 0; i < n; ++i) {
                MXR_TRY_ASSIGN(auto e, readAvatarEntry(r, bounds));
                m.entries.push_back(e);
            }
            return m;
        }
        case MessageType::kApiRequest: {
            ApiRequest m;
            MXR_TRY_ASSIGN(m.requestId, r.u32("requestId"));
            MXR_TRY_ASSIGN(auto method, r.u8("method"));
            if (method < 1 || method > static_cast<std::uint8_t>(ApiMethod::kDelete)) {
                return tl::unexpected(protocolError(strCat("field 'method' has unknown value ", int(method))));
            }
            m.method = static_cast<ApiMethod>(method);
            MXR_TRY_ASSIGN(m.path, r.str("path", kMaxApiPathBytes));
            if (m.path[0] != '/') return tl::unexpected(protocolError("field 'path' must start with '/'"));
            MXR_TRY_ASSIGN(auto b, r.blob("body", kMaxApiBodyBytes));
            m.body.assign(b.begin(), b.end());
            MXR_TRY_ASSIGN(m.idempotencyKey, r.str("idempotencyKey", kMaxIdempotencyKeyBytes, true));
            return m;
        }
        case MessageType::kApiResponse: {
            ApiResponse m;
            MXR_TRY_ASSIGN(m.requestId, r.u32("requestId"));
            MXR_TRY_ASSIGN(m.status, r.u16("status"));
            if (m.status < 100 || m.status > 599) {
                return tl::unexpected(protocolError(strCat("field 'status' has unknown value ", m.status)));
            }
            MXR_TRY_ASSIGN(auto b, r.blob("body", kMaxApiBodyBytes));
            m.body.assign(b.begin(), b.end());
            return m;
        }
        case MessageType::kVoiceUp: {
            VoiceUp m;
            MXR_TRY_ASSIGN(auto frame, r.bytes(r.remaining(), "voice frame"));
            MXR_TRY(voice::readVoiceHeader(frame));
            m.frame.assign(frame.begin(), frame.end());
            return m;
        }
        case MessageType::kVoiceDown: {
            VoiceDown m;
            MXR_TRY_ASSIGN(m.speaker, r.u16("speaker"));
            MXR_TRY_ASSIGN(auto frame, r.bytes(r.remaining(), "voice frame"));
            MXR_TRY(voice::readVoiceHeader(frame));
            m.frame.assign(frame.begin(), frame.end());
            return m;
        }
        case MessageType::kVoiceWithAvatars: {
            VoiceWithAvatars m;
            MXR_TRY_ASSIGN(auto n, r.u8("voiceAvatars.count"));
            if (n == 0) return tl::unexpected(protocolError("field 'voiceAvatars.count' is zero"));
            m.entries.reserve(n);
            for (int i = 0; i < n; ++i) {
                MXR_TRY_ASSIGN(auto e, readAvatarEntry(r, bounds));
                m.entries.push_back(e);
            }
            MXR_TRY_ASSIGN(m.speaker, r.u16("speaker"));
            MXR_TRY_ASSIGN(auto frame, r.bytes(r.remaining(), "voice frame"));
            MXR_TRY(voice::readVoiceHeader(frame));
            m.frame.assign(frame.begin(), frame.end());
            return m;
        }
        case MessageType::kVoiceLoss: {
            VoiceLoss m;
            MXR_TRY_ASSIGN(m.speaker, r.u16("speaker"));
            MXR_TRY_ASSIGN(m.lossPercent, r.u8("lossPercent"));
            if (m.lossPercent > 100) {
                return tl::unexpected(protocolError(strCat("field 'lossPercent' is ", int(m.lossPercent), ", above 100")));
            }
            return m;
        }
        case MessageType::kPrivateTalk: {
            PrivateTalk m;
            MXR_TRY_ASSIGN(m.with, r.u16("with"));
            return m;
        }
        case MessageType::kConsent: {
            Consent m;
            MXR_TRY_ASSIGN(auto v, r.u8("recording"));
            if (v > 1) return tl::unexpected(protocolError(strCat("field 'recording' has unknown value ", int(v))));
            m.recording = v == 1;
            return m;
        }
        case MessageType::kAnnotationChange: {
            AnnotationChange m;
            MXR_TRY_ASSIGN(auto op, r.bytes(r.remaining(), "annotation"));
            MXR_TRY_ASSIGN(m.op, decodeAnnotationOp(op));
            return m;
        }
        case MessageType::kAnnotationRefused: {
            AnnotationRefused m;
            MXR_TRY_ASSIGN(m.id, r.u32("id"));
            MXR_TRY_ASSIGN(m.message, r.str("message", 255, true));
            return m;
        }
        case MessageType::kAnnotationSnapshot: {
            AnnotationSnapshot m;
            MXR_TRY_ASSIGN(m.total, r.u32("snapshot.total"));
            MXR_TRY_ASSIGN(m.offset, r.u32("snapshot.offset"));
            if (m.total == 0 || m.total > kMaxAnnotationSnapshotBytes) {
                return tl::unexpected(protocolError(strCat("field 'snapshot.total' is ", m.total, ", not 1..",
                                                           kMaxAnnotationSnapshotBytes)));
            }
            const std::size_t n = r.remaining();
            if (n == 0 || n > kAnnotationSnapshotPieceBytes) {
                return tl::unexpected(protocolError(strCat("field 'snapshot.piece' is ", n, " bytes, not 1..",
                                                           kAnnotationSnapshotPieceBytes)));
            }
            if (m.offset > m.total || n > m.total - m.offset) {
                return tl::unexpected(protocolError(strCat("field 'snapshot.offset' ", m.offset, " + ", n,
                                                           " bytes runs past the total ", m.total)));
            }
            MXR_TRY_ASSIGN(auto piece, r.bytes(n, "snapshot.piece"));
            m.piece.assign(piece.begin(), piece.end());
            return m;
        }
        case MessageType::kProcedureStep: {
            ProcedureStep m;
            MXR_TRY_ASSIGN(m.procedureId, r.u32("procedureId"));
            MXR_TRY_ASSIGN(m.step, r.u16("step"));
            MXR_TRY_ASSIGN(m.by, r.u16("by"));
            return m;
        }
    }
    return tl::unexpected(protocolError(strCat("unknown message type ", int(type))));
}

bool knownType(std::uint8_t t) {
    switch (static_cast<MessageType>(t)) {
        case MessageType::kHello: case MessageType::kHelloAck:
        case MessageType::kLogin: case MessageType::kLoginToken: case MessageType::kLoginOk:
        case MessageType::kTicketRequest: case MessageType::kTicketGrant:
        case MessageType::kCreateRoom: case MessageType::kRoomCreated: case MessageType::kJoin:
        case MessageType::kJoinGuest: case MessageType::kResume: case MessageType::kJoined:
        case MessageType::kLeave: case MessageType::kPresence: case MessageType::kModerate:
        case MessageType::kRemoved: case MessageType::kErrorReply:
        case MessageType::kAvatarUpdate: case MessageType::kAvatarBatch:
        case MessageType::kApiRequest: case MessageType::kApiResponse:
        case MessageType::kVoiceUp: case MessageType::kVoiceDown: case MessageType::kVoiceLoss:
        case MessageType::kPrivateTalk: case MessageType::kConsent: case MessageType::kVoiceWithAvatars:
        case MessageType::kAnnotationChange: case MessageType::kAnnotationRefused:
        case MessageType::kAnnotationSnapshot: case MessageType::kProcedureStep:
            return true;
    }
    return false;
}

}  // namespace

const char* toString(ApiMethod m) noexcept {
    switch (m) {
        case ApiMethod::kGet: return "GET";
        case ApiMethod::kPost: return "POST";
        case ApiMethod::kPatch: return "PATCH";
        case ApiMethod::kDelete: return "DELETE";
    }
    return "?";
}

const char* toString(Role r) noexcept {
    switch (r) {
        case Role::kGuest: return "guest";
        case Role::kMentee: return "mentee";
        case Role::kMentor: return "mentor";
        case Role::kProgramManager: return "program manager";
    }
    return "?";
}

const char* toString(ReplyCode c) noexcept {
    switch (c) {
        case ReplyCode::kBadRequest: return "bad request";
        case ReplyCode::kVersionMismatch: return "version mismatch";
        case ReplyCode::kAuthFailed: return "authentication failed";
        case ReplyCode::kNotAllowed: return "not allowed";
        case ReplyCode::kRoomNotFound: return "room not found";
        case ReplyCode::kRoomFull: return "room full";
        case ReplyCode::kBadTicket: return "bad ticket";
        case ReplyCode::kRoomExists: return "room exists";
        case ReplyCode::kResumeExpired: return "resume expired";
        case ReplyCode::kBusy: return "busy";
    }
    return "?";
}

MessageType messageType(const Message& m) {
    static constexpr MessageType kTypes[] = {
        MessageType::kHello,        MessageType::kHelloAck,     MessageType::kLogin,
        MessageType::kLoginToken,   MessageType::kLoginOk,      MessageType::kTicketRequest,
        MessageType::kTicketGrant,  MessageType::kCreateRoom,   MessageType::kRoomCreated,
        MessageType::kJoin,         MessageType::kJoinGuest,    MessageType::kResume,
        MessageType::kJoined,       MessageType::kLeave,        MessageType::kPresence,
        MessageType::kModerate,     MessageType::kRemoved,      MessageType::kErrorReply,
        MessageType::kAvatarUpdate, MessageType::kAvatarBatch, MessageType::kApiRequest,
        MessageType::kApiResponse,  MessageType::kVoiceUp,      MessageType::kVoiceDown,
        MessageType::kVoiceLoss,    MessageType::kPrivateTalk,  MessageType::kConsent,
        MessageType::kVoiceWithAvatars, MessageType::kAnnotationChange, MessageType::kAnnotationRefused,
        MessageType::kAnnotationSnapshot, MessageType::kProcedureStep,
    };
    static_assert(std::size(kTypes) == std::variant_size_v<Message>);
    return kTypes[m.index()];
}

const char* toString(MessageType t) noexcept {
    switch (t) {
        case MessageType::kHello: return "Hello";
        case MessageType::kHelloAck: return "HelloAck";
        case MessageType::kLogin: return "Login";
        case MessageType::kLoginToken: return "LoginToken";
        case MessageType::kLoginOk: return "LoginOk";
        case MessageType::kTicketRequest: return "TicketRequest";
        case MessageType::kTicketGrant: return "TicketGrant";
        case MessageType::kCreateRoom: return "CreateRoom";
        case MessageType::kRoomCreated: return "RoomCreated";
        case MessageType::kJoin: return "Join";
        case MessageType::kJoinGuest: return "JoinGuest";
        case MessageType::kResume: return "Resume";
        case MessageType::kJoined: return "Joined";
        case MessageType::kLeave: return "Leave";
        case MessageType::kPresence: return "Presence";
        case MessageType::kModerate: return "Moderate";
        case MessageType::kRemoved: return "Removed";
        case MessageType::kErrorReply: return "ErrorReply";
        case MessageType::kAvatarUpdate: return "AvatarUpdate";
        case MessageType::kAvatarBatch: return "AvatarBatch";
        case MessageType::kVoiceUp: return "VoiceUp";
        case MessageType::kVoiceDown: return "VoiceDown";
        case MessageType::kVoiceLoss: return "VoiceLoss";
        case MessageType::kPrivateTalk: return "PrivateTalk";
        case MessageType::kConsent: return "Consent";
        case MessageType::kVoiceWithAvatars: return "VoiceWithAvatars";
        case MessageType::kAnnotationChange: return "AnnotationChange";
        case MessageType::kAnnotationRefused: return "AnnotationRefused";
        case MessageType::kAnnotationSnapshot: return "AnnotationSnapshot";
        case MessageType::kProcedureStep: return "ProcedureStep";
        case MessageType::kApiRequest: return "ApiRequest";
        case MessageType::kApiResponse: return "ApiResponse";
    }
    return "?";
}

Bytes encodeMessage(const Message& m) {
    ByteWriter w(64);
    w.u8(kProtocolVersion);
    w.u8(static_cast<std::uint8_t>(messageType(m)));
    writeBody(w, m);
    assert(w.size() <= kMaxMessageBytes);
    return w.take();
}

Result<MessageType> peekType(ByteSpan bytes) {
    if (bytes.size() > kMaxMessageBytes) {
        return tl::unexpected(protocolError(
            strCat("message of ", bytes.size(), " bytes exceeds the limit of ", kMaxMessageBytes)));
    }
    ByteReader r(bytes);
    MXR_TRY_ASSIGN(auto version, r.u8("version"));
    if (version != kProtocolVersion) {
        return tl::unexpected(protocolError(strCat("unsupported protocol version ", int(version),
                                                   " (this build speaks ", int(kProtocolVersion), ")")));
    }
    MXR_TRY_ASSIGN(auto type, r.u8("type"));
    if (!knownType(type)) {
        return tl::unexpected(protocolError(strCat("unknown message type ", int(type))));
    }
    return static_cast<MessageType>(type);
}

Result<Message> decodeMessage(ByteSpan bytes, const RoomBounds& bounds) {
    MXR_TRY_ASSIGN(auto type, peekType(bytes));
    ByteReader r(bytes.subspan(2));
    MXR_TRY_ASSIGN(auto msg, readBody(type, r, bounds));
    MXR_TRY(r.expectEnd(toString(type)));
    return msg;
}

Result<void> validateRoomName(std::string_view name) {
    if (name.empty() || name.size() > kMaxNameBytes) {
        return makeError(ErrorCode::kInvalidArgument,
                         strCat("room name must be 1 to ", kMaxNameBytes, " bytes"), 0);
    }
    for (char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                        c == '_' || c == '-' || c == '.';
        if (!ok) {
            return makeError(ErrorCode::kInvalidArgument,
                             strCat("room name '", name, "' may only hold letters, digits, '_', '-', '.'"));
        }
    }
    return {};
}

Result<std::string> normalizeDisplayName(std::string_view name) {
    if (auto problem = nameProblem(name)) {
        return makeError(ErrorCode::kInvalidArgument, strCat("display name ", *problem));
    }
    std::string nfc = toNfc(name);
    if (nfc.empty() || nfc.size() > kMaxNameBytes) {
        return makeError(ErrorCode::kInvalidArgument,
                         strCat("display name must be 1 to ", kMaxNameBytes, " bytes of UTF-8 (this one is ",
                                nfc.size(), " bytes, ", codePointCount(nfc), " characters)"));
    }
    return nfc;
}

Result<void> validateDisplayName(std::string_view name) {
    MXR_TRY_ASSIGN(const std::string nfc, normalizeDisplayName(name));
    if (nfc != name) {
        return makeError(ErrorCode::kInvalidArgument,
                         "display name is not in Unicode normalisation form C (compose its accents)");
    }
    return {};
}

std::vector<Bytes> encodeAvatarBatches(std::span<const AvatarEntry> entries) {
    std::vector<Bytes> out;
    std::size_t i = 0;
    while (i < entries.size()) {
        ByteWriter w(kMaxAvatarBatchBytes);
        w.u8(kProtocolVersion);
        w.u8(static_cast<std::uint8_t>(MessageType::kAvatarBatch));
        w.u8(0);  // count, patched below
        std::uint8_t n = 0;
        while (i < entries.size() && n < 255 && w.size() + kAvatarEntryMaxBytes <= kMaxAvatarBatchBytes) {
            writeAvatarEntry(w, entries[i]);
            ++i;
            ++n;
        }
        Bytes b = w.take();
        b[2] = n;
        out.push_back(std::move(b));
    }
    return out;
}

}  // namespace mxr::net
