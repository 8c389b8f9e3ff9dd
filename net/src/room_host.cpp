#include "net/room_host.h"

#include <enet/enet.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "enet_guard.h"
#include "enet_util.h"
#include "net/velocity.h"
#include "room_annotations.h"
#include "voice_relay.h"
#include "work_pool.h"

namespace mxr::net {
namespace {

struct Connection {
    std::uint32_t id = 0;
    ENetPeer* peer = nullptr;
    Nanos connectedAt = 0;
    std::optional<SecureChannel> secure;
    std::optional<Identity> identity;  // after Login/LoginToken only (never from a ticket or a Resume)
    std::uint16_t avatarId = 0;        // 0: not in a room
    std::string room;
    bool closing = false;              // hung up by the host (dropped, replaced, counters used up): nothing more is sent or handled
};

struct Member {
    std::uint16_t avatarId = 0;
    Identity who;
    bool muted = false;
    ResumeToken token{};
    std::uint32_t connId = 0;  // 0: away (connection lost)
    Nanos awaySince = 0;
    std::int64_t awaySinceUnix = 0;  // the same moment as Unix seconds (for the observer)
    bool hasState = false;
    AvatarEntry last;  // with the velocities `motion` estimated
    VelocityEstimator motion;
    std::uint64_t seq = 0;
    std::unordered_map<std::uint16_t, std::uint64_t> sentSeq;  // as a viewer: what it was sent
    // As a viewer that hears someone: avatar entries due to it, held (at
    // most kHoldAvatarsFor) to ride on the next voice frame it is sent.
    std::vector<AvatarEntry> held;
    Nanos heldSince = 0;
    Nanos lastVoiceOutAt = -1;  // when a voice frame was last forwarded to it
    double updateTokens = 10.0;
    Nanos tokensAt = 0;
    std::uint16_t asksPrivateWith = 0;
    bool recordingConsent = false;
    AuthorId authorId = 0;  // in the room's annotations (RoomAnnotations::authorFor)
    double annotationTokens = 0;  // set on join: the host's annotationBurst
    Nanos annotationTokensAt = 0;
};

struct Room {
    std::string name;
    bool onDemand = false;  // made by a ticket join; dropped when empty
    std::uint16_t capacity = 16;
    bool openDemo = false;
    RoomBounds bounds;
    std::map<std::uint16_t, Member> members;
    bool presenceDirty = false;
    Nanos lastPresenceAt = 0;
    bool locked = false;                          // no new joins but the moderators'
    std::map<std::string, std::string> removed;   // subject -> what they were told; for the room's lifetime
    VoiceRelay voice;
    RoomAnnotations workspace;  // annotations and the procedure step, for the room's life
};

using TicketId = std::array<std::uint8_t, 8>;

constexpr Nanos kPresenceInterval = msToNanos(200);
// Avatar entries for a listener who was sent voice within kVoiceFlowing wait
// at most kHoldAvatarsFor for its next voice frame (10 ms apart while a
// talker talks) and share its seal and datagram; otherwise they go alone.
constexpr Nanos kVoiceFlowing = msToNanos(30);
constexpr Nanos kHoldAvatarsFor = msToNanos(15);
// A combined message stays as small as an avatar batch plus the largest
// voice frame, so it fits one datagram.
constexpr std::size_t kMaxHeldEntryBytes =
    kMaxAvatarBatchBytes - 2 - 1 - 2 - voice::kHeaderBytes - voice::kMaxVoicePayload;
// How long the host remembers a revocation of someone's credentials, which
// voids their tickets issued before it; tickets that would outlive that
// memory are refused (the session server issues 5-minute tickets).
constexpr std::int64_t kRevocationMemorySeconds = 24 * 3600;
constexpr double kMaxAvatarHz = 45.0;
constexpr double kAvatarBurst = 10.0;

// Answers from the ApiGateway, posted from its threads; shared so a late
// reply after the host is gone lands harmlessly.
struct ApiMailbox {
    std::mutex mutex;
    std::vector<std::pair<std::uint32_t, ApiResponse>> answers;  // connection id, answer
};

ApiResponse apiError(std::uint32_t requestId, std::uint16_t status, std::string_view code, std::string_view message) {
    // Same shape as the HTTP API's errors.
    std::string body = strCat(R"({"error":{"code":")", code, R"(","field":"","message":")", message, R"("}})");
    return ApiResponse{requestId, status, std::move(body)};
}

}  // namespace

struct RoomHost::Impl {
    const RoomHostConfig& cfg;
    Authenticator& auth;
    const Clock& clock;
    Logger log;
    RoomObserver* observer;
    EnetHostPtr host;
    std::unique_ptr<HostGuard> guard;  // after host: unhooks itself before the host goes

    mutable std::mutex mutex;  // held by service() and by the thread-safe accessors
    std::map<std::string, Room, std::less<>> rooms;
    std::unordered_map<std::uint32_t, Connection> conns;
    std::uint32_t nextConnId = 1;
    std::set<std::uint16_t> usedAvatarIds;
    std::uint16_t nextAvatarId = 1;
    RoomHostStats stats;
    Nanos nextTick = 0;
    std::uint64_t tick = 0;
    Bytes voiceScratch;  // the VoiceDown plaintext being forwarded
    Nanos heldDeadline = -1;  // the earliest a held avatar entry must go out (-1: none held)
    Nanos lastKeepAlive = 0;
    std::shared_ptr<ApiMailbox> apiMailbox = std::make_shared<ApiMailbox>();
    std::unordered_map<std::uint32_t, std::size_t> apiInFlight;  // per connection
    // Ids of the tickets used to join, until they expire (single use).
    std::set<TicketId> usedTickets;
    std::set<std::pair<std::int64_t, TicketId>> usedTicketsByExpiry;
    // When each subject's credentials were last revoked (dropConnectionsOf):
    // tickets issued before that second no longer join. Kept for
    // kRevocationMemorySeconds, longer than any ticket lives.
    std::map<std::string, std::int64_t> revokedAt;
    // dropConnectionsOf() from any thread: (subject, reason), applied on the network thread.
    std::mutex dropMutex;
    std::vector<std::pair<std::string, std::string>> drops;

    // Authenticator calls (password hashing, records reads) run on the auth
    // threads; what to do with the answer comes back as a function that
    // runs on the network thread with the connection, if it still exists.
    using AuthApply = std::function<void(Connection&)>;
    // Network thread only: connections with a check queued, running or not
    // yet applied (its size is the bound on pending checks).
    std::unordered_set<std::uint32_t> authInFlight;
    // An Authenticator must not throw; if it does, the client still gets an answer.
    WorkPool<AuthApply> authPool{cfg.authThreads, [this](std::string what) -> AuthApply {
        return [this, what = std::move(what)](Connection& c) {
            replyError(c, ReplyCode::kAuthFailed, strCat("the check failed: ", what));
        };
    }};

    Impl(const RoomHostConfig& c, Authenticator& a, const Clock& k, Logger l, RoomObserver* o)
        : cfg(c), auth(a), clock(k), log(std::move(l)), observer(o) {}
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;

    // Queues `work` for connection `c`; false (and a kBusy answer) when the
    // connection already has a check pending or the queue is full.
    bool postAuth(Connection& c, std::function<AuthApply()> work) {
        if (authInFlight.count(c.id)) {
            ++stats.authBusy;
            replyError(c, ReplyCode::kBusy, "busy: your previous login or ticket request is still being checked; "
                                            "wait for its answer, then retry");
            return false;
        }
        if (authInFlight.size() >= cfg.maxPendingAuth) {
            ++stats.authBusy;
            replyError(c, ReplyCode::kBusy, "busy: the host is checking too many logins; retry in a moment");
            return false;
        }
        authInFlight.insert(c.id);
        authPool.post(c.id, std::move(work));
        return true;
    }
    void deliverAuthAnswers() {
        for (auto& [connId, apply] : authPool.takeDone()) {
            authInFlight.erase(connId);
            auto it = conns.find(connId);
            if (it == conns.end() || it->second.closing) continue;  // gone meanwhile: nobody to tell
            apply(it->second);
        }
    }

    // --- sending -------------------------------------------------------
    void sendRaw(Connection& c, Channel ch, const Bytes& data, std::uint32_t flags) {
        ENetPacket* p = enet_packet_create(data.data(), data.size(), flags);
        if (p && enet_peer_send(c.peer, static_cast<enet_uint8>(ch), p) < 0) enet_packet_destroy(p);
    }
    // Seals and sends, or hangs up once the connection's counters are used
    // up (a wrapped counter would reuse a nonce): the client resumes on a
    // fresh connection with fresh keys.
    void sendPlain(Connection& c, Channel ch, ByteSpan plain) {
        if (!c.secure || c.closing) return;
        if (c.secure->exhausted()) {
            log.warn(strCat("connection ", c.id, ": frame counter used up; closing it"));
            c.closing = true;
            enet_peer_disconnect_later(c.peer, kHostDisconnectData);
            return;
        }
        // Sealed straight into ENet's packet: one encryption, no other copy.
        ENetPacket* p = enet_packet_create(nullptr, plain.size() + kSealOverhead, packetFlags(ch));
        if (!p) return;
        c.secure->sealInto(ch, plain, std::span<std::uint8_t>(p->data, p->dataLength));
        if (enet_peer_send(c.peer, static_cast<enet_uint8>(ch), p) < 0) enet_packet_destroy(p);
    }
    void sendSealed(Connection& c, Channel ch, const Message& m) { sendPlain(c, ch, encodeMessage(m)); }
    void replyError(Connection& c, ReplyCode code, const std::string& message) {
        log.info(strCat("connection ", c.id, ": refused (", toString(code), "): ", message));
        sendSealed(c, Channel::kControl, ErrorReply{code, message.substr(0, 255)});
    }

    // --- rooms -----------------------------------------------------------
    Room* findRoom(std::string_view name) {
        auto it = rooms.find(name);
        return it == rooms.end() ? nullptr : &it->second;
    }
    Member* memberOf(const Connection& c) {
        if (c.avatarId == 0) return nullptr;
        Room* r = findRoom(c.room);
        if (!r) return nullptr;
        auto it = r->members.find(c.avatarId);
        return it == r->members.end() ? nullptr : &it->second;
    }
    std::uint16_t allocateAvatarId() {
        for (int i = 0; i < 0xffff; ++i) {
            const std::uint16_t id = nextAvatarId;
            nextAvatarId = static_cast<std::uint16_t>(nextAvatarId == 0xffff ? 1 : nextAvatarId + 1);
            if (!usedAvatarIds.count(id)) {
                usedAvatarIds.insert(id);
                return id;
            }
        }
        return 0;
    }
    std::vector<PresenceEntry> presenceOf(const Room& r) const {
        const std::vector<VoicePeer> peers = voicePeers(r);
        std::vector<PresenceEntry> out;
        for (const auto& [id, m] : r.members) {
            out.push_back(PresenceEntry{id, m.who.displayName, m.who.role, m.muted, m.connId == 0,
                                        m.recordingConsent, VoiceRelay::privatePartner(id, peers)});
        }
        return out;
    }
    // The room's connected members as the voice rules see them.
    static std::vector<VoicePeer> voicePeers(const Room& r) {
        std::vector<VoicePeer> peers;
        for (const auto& [id, m] : r.members) {
            if (m.connId == 0) continue;
            peers.push_back(VoicePeer{id, m.hasState ? m.last.state.head.position : Vec3(0.0f), m.muted,
                                      m.asksPrivateWith});
        }
        return peers;
    }
    void removeMember(Room& r, std::uint16_t avatarId, std::string_view reason) {
        auto it = r.members.find(avatarId);
        if (it == r.members.end()) return;
        if (it->second.connId) {
            auto c = conns.find(it->second.connId);
            if (c != conns.end()) {
                c->second.avatarId = 0;
                c->second.room.clear();
            }
        }
        const Identity who = it->second.who;
        // An away member was last in the room when its connection was lost.
        const std::int64_t lastThere = it->second.connId == 0 && it->second.awaySinceUnix != 0
                                           ? it->second.awaySinceUnix
                                           : cfg.unixNow();
        r.members.erase(it);
        r.voice.forget(avatarId);
        for (auto& [id, m] : r.members) {
            m.sentSeq.erase(avatarId);
            std::erase_if(m.held, [&](const AvatarEntry& e) { return e.avatarId == avatarId; });  // gone: not shown again
            if (m.asksPrivateWith == avatarId) m.asksPrivateWith = 0;  // the pair ends with the partner
        }
        usedAvatarIds.erase(avatarId);
        r.presenceDirty = true;
        log.info(strCat("room ", r.name, ": ", who.displayName, " (avatar ", avatarId, ") ", reason));
        if (observer) observer->onMemberLeft(r.name, who, avatarId, lastThere, reason);
        // An empty on-demand room is dropped by periodic(), not here: callers
        // may still be iterating the rooms.
    }

    // `ticket`: the verified ticket this join presents (it is used up when
    // the join succeeds); null for guests.
    void join(Connection& c, const std::string& roomName, const Identity& who, const RoomTicket* ticket = nullptr) {
        if (c.avatarId != 0) {
            replyError(c, ReplyCode::kBadRequest, strCat("already in room '", c.room, "'; leave it first"));
            return;
        }
        Room* r = findRoom(roomName);
        if (!r && ticket && cfg.createRoomsOnTicket) {
            addRoom(RoomConfig{roomName, 0, false, std::nullopt});
            r = findRoom(roomName);
            r->onDemand = true;
        }
        if (!r) {
            replyError(c, ReplyCode::kRoomNotFound, strCat("no room named '", roomName, "'"));
            return;
        }
        if (!admitted(c, *r, who)) return;
        // One member per account and room: a new join replaces the old
        // member (the person moved to another device or restarted), so it
        // does not count against the capacity. Guests are told apart only
        // by their display name and are not bound.
        std::optional<std::uint16_t> previous;
        if (who.role != Role::kGuest) {
            for (const auto& [id, m] : r->members) {
                if (m.who.subject == who.subject) previous = id;
            }
        }
        if (r->members.size() - (previous ? 1 : 0) >= r->capacity) {
            replyError(c, ReplyCode::kRoomFull,
                       strCat("room '", roomName, "' is full (", r->members.size(), " of ", r->capacity, ")"));
            return;
        }
        if (previous) {
            const std::string reason = "you joined this room from another connection";
            Member& old = r->members.at(*previous);
            if (auto oc = conns.find(old.connId); old.connId != 0 && oc != conns.end()) {
                sendSealed(oc->second, Channel::kControl, Removed{reason});
                close(oc->second);
            }
            removeMember(*r, *previous, "replaced by a new join");
        }
        const std::uint16_t id = allocateAvatarId();
        if (id == 0) {
            replyError(c, ReplyCode::kRoomFull, "the host has no free avatar ids");
            return;
        }
        if (ticket) {
            usedTickets.insert(ticket->ticketId);
            usedTicketsByExpiry.emplace(ticket->expiresAt, ticket->ticketId);
        }
        Member m;
        m.avatarId = id;
        m.tokensAt = clock.now();
        m.who = who;
        m.connId = c.id;
        randombytes_buf(m.token.data(), m.token.size());
        c.avatarId = id;
        c.room = roomName;
        m.authorId = r->workspace.authorFor(who.role == Role::kGuest ? std::string() : who.subject);
        m.annotationTokens = cfg.annotationBurst;
        m.annotationTokensAt = m.tokensAt;
        Joined j{roomName, id, m.token, r->bounds, r->capacity, m.authorId, moderates(who, roomName)};
        r->members.emplace(id, std::move(m));
        r->presenceDirty = true;
        sendSealed(c, Channel::kControl, j);
        sendWorkspace(c, *r);
        log.info(strCat("room ", roomName, ": ", who.displayName, " joined as avatar ", id, " (",
                        toString(who.role), ")"));
        if (observer) observer->onMemberJoined(roomName, who, id, cfg.unixNow());
    }

    void resume(Connection& c, const ResumeToken& token) {
        for (auto& [name, r] : rooms) {
            for (auto& [id, m] : r.members) {
                if (sodium_memcmp(m.token.data(), token.data(), token.size()) != 0) continue;
                if (c.avatarId != 0) {
                    replyError(c, ReplyCode::kBadRequest, "already in a room");
                    return;
                }
                if (c.identity && c.identity->subject != m.who.subject) {
                    replyError(c, ReplyCode::kNotAllowed, "that avatar belongs to another account than the one "
                                                          "logged in on this connection");
                    return;
                }
                // The old connection is still open (the host has not timed
                // it out yet): never take it over, since whoever holds the
                // token could otherwise push the owner out. A client that
                // really lost it retries until the peer timeout ends it.
                if (m.connId != 0 && m.connId != c.id && conns.count(m.connId)) {
                    ++stats.resumesBusy;
                    replyError(c, ReplyCode::kBusy,
                               strCat("busy: the avatar's previous connection is still open; retry (the host ends "
                                      "it within ", cfg.peerTimeoutMs / 1000.0, " s of silence)"));
                    return;
                }
                m.connId = c.id;
                m.awaySince = 0;
                m.awaySinceUnix = 0;
                randombytes_buf(m.token.data(), m.token.size());
                m.sentSeq.clear();  // the new connection has seen nothing yet
                m.held.clear();
                m.lastVoiceOutAt = -1;
                // A resume restores the avatar, not a login: records and
                // tickets need Login/LoginToken on this connection.
                c.avatarId = id;
                c.room = name;
                r.presenceDirty = true;
                ++stats.resumes;
                sendSealed(c, Channel::kControl,
                           Joined{name, id, m.token, r.bounds, r.capacity, m.authorId, moderates(m.who, name)});
                sendWorkspace(c, r);
                log.info(strCat("room ", name, ": ", m.who.displayName, " resumed avatar ", id));
                return;
            }
        }
        replyError(c, ReplyCode::kResumeExpired, "resume token unknown or expired; join again");
    }

    // The room's annotations and procedure step, for a member who just
    // joined or resumed (channel 3, before any change relayed after it).
    void sendWorkspace(Connection& c, const Room& r) {
        for (const Bytes& piece : r.workspace.snapshotMessages()) sendPlain(c, Channel::kEvents, piece);
        if (r.workspace.step) sendSealed(c, Channel::kEvents, *r.workspace.step);
    }
    // To every connected member of the room, on the events channel.
    void sendToRoom(const Room& r, const Bytes& plain) {
        for (const auto& [id, m] : r.members) {
            if (m.connId == 0) continue;
            if (auto it = conns.find(m.connId); it != conns.end()) sendPlain(it->second, Channel::kEvents, plain);
        }
    }

    bool moderates(const Identity& who, const std::string& room) const {
        return cfg.policy && cfg.policy->mayModerate(who, room);
    }
    // Removals and locks, decided by the room's moderators.
    bool admitted(Connection& c, const Room& r, const Identity& who) {
        if (auto it = r.removed.find(who.subject); it != r.removed.end()) {
            replyError(c, ReplyCode::kNotAllowed, strCat("you were ", it->second, "; you cannot rejoin '", r.name,
                                                         "' while it lasts"));
            return false;
        }
        if (r.locked && !moderates(who, r.name)) {
            replyError(c, ReplyCode::kNotAllowed, strCat("room '", r.name, "' is locked by its moderators"));
            return false;
        }
        return true;
    }

    void moderate(Connection& c, const Moderate& mod) {
        Member* actor = memberOf(c);
        if (!actor) {
            replyError(c, ReplyCode::kBadRequest, "moderation needs you to be in a room");
            return;
        }
        Room& r = *findRoom(c.room);
        // Who moderates is the policy's to say (the session server's access layer).
        if (!moderates(actor->who, r.name)) {
            replyError(c, ReplyCode::kNotAllowed, strCat("you do not moderate room '", r.name, "'"));
            return;
        }
        if (mod.action == ModerationAction::kLock || mod.action == ModerationAction::kUnlock) {
            r.locked = mod.action == ModerationAction::kLock;
            log.info(strCat("room ", r.name, ": ", actor->who.displayName, r.locked ? " locked" : " unlocked", " it"));
            return;
        }
        auto it = r.members.find(mod.target);
        if (it == r.members.end()) {
            replyError(c, ReplyCode::kBadRequest, strCat("no avatar ", mod.target, " in this room"));
            return;
        }
        if (mod.target != c.avatarId && moderates(it->second.who, r.name)) {
            replyError(c, ReplyCode::kNotAllowed, strCat(it->second.who.displayName, " moderates this room too"));
            return;
        }
        switch (mod.action) {
            case ModerationAction::kMute:
            case ModerationAction::kUnmute:
                it->second.muted = mod.action == ModerationAction::kMute;
                r.presenceDirty = true;
                log.info(strCat("room ", r.name, ": ", actor->who.displayName,
                                it->second.muted ? " muted " : " unmuted ", it->second.who.displayName));
                return;
            case ModerationAction::kRemove: {
                if (mod.target == c.avatarId) {
                    replyError(c, ReplyCode::kBadRequest, "use Leave to leave");
                    return;
                }
                const std::string reason = strCat("removed by ", actor->who.displayName,
                                                  mod.reason.empty() ? "" : ": ", mod.reason);
                // For the room's lifetime: the same person (any connection,
                // any new ticket) cannot rejoin until the room is dropped.
                r.removed[it->second.who.subject] = reason;
                if (it->second.connId) {
                    auto t = conns.find(it->second.connId);
                    if (t != conns.end()) {
                        sendSealed(t->second, Channel::kControl, Removed{reason.substr(0, 255)});
                        enet_peer_disconnect_later(t->second.peer, kHostDisconnectData);
                    }
                }
                removeMember(r, mod.target, reason);
                return;
            }
            default: return;
        }
    }

    // --- receiving -------------------------------------------------------
    void onHello(Connection& c, ByteSpan data) {
        auto type = peekType(data);
        if (!type) {
            ++stats.malformed;
            // Say why in plain text (no keys yet), then hang up.
            sendRaw(c, Channel::kControl,
                    encodeMessage(ErrorReply{type.error().message.find("version") != std::string::npos
                                                 ? ReplyCode::kVersionMismatch
                                                 : ReplyCode::kBadRequest,
                                             type.error().message.substr(0, 255)}),
                    ENET_PACKET_FLAG_RELIABLE);
            enet_peer_disconnect_later(c.peer, kHostDisconnectData);
            return;
        }
        auto msg = decodeMessage(data);
        if (!msg || !std::holds_alternative<Hello>(*msg)) {
            ++stats.malformed;
            log.info(strCat("connection ", c.id, ": expected Hello: ", msg ? "another message" : msg.error().message));
            enet_peer_disconnect_later(c.peer, kHostDisconnectData);
            return;
        }
        const KeyPair eph = KeyPair::generate();
        auto keys = serverSessionKeys(cfg.serverKey, eph, std::get<Hello>(*msg).clientPublicKey);
        if (!keys) {
            ++stats.malformed;
            enet_peer_disconnect_later(c.peer, kHostDisconnectData);
            return;
        }
        c.secure.emplace(*keys, cfg.replayWindow, cfg.framesPerChannel);
        guard->helloDone(c.peer);
        sendRaw(c, Channel::kControl, encodeMessage(HelloAck{cfg.serverKey.publicKey, eph.publicKey}),
                ENET_PACKET_FLAG_RELIABLE);
    }

    void onPacket(Connection& c, enet_uint8 channelId, ByteSpan data) {
        if (c.closing) return;
        if (channelId >= kChannelCount) {
            ++stats.malformed;
            return;
        }
        const auto ch = static_cast<Channel>(channelId);
        if (!c.secure) {
            if (ch == Channel::kControl) onHello(c, data);
            else ++stats.malformed;
            return;
        }
        const ChannelStats before = c.secure->stats();
        auto plain = c.secure->open(ch, data);
        if (!plain) {
            const ChannelStats& after = c.secure->stats();
            stats.forged += after.forged - before.forged;
            stats.replayed += after.replayed - before.replayed;
            stats.malformed += after.malformed - before.malformed;
            return;
        }
        Member* member = memberOf(c);
        if (ch == Channel::kVoice) return onVoice(c, member, *plain);
        const Room* room = member ? findRoom(c.room) : nullptr;
        auto msg = decodeMessage(*plain, room ? room->bounds : cfg.defaultBounds);
        if (!msg) {
            ++stats.malformed;
            // Reliable channels are answered (an annotation change that does
            // not decode gets no AnnotationRefused: its id is unknown).
            if (ch != Channel::kAvatar) replyError(c, ReplyCode::kBadRequest, msg.error().message);
            return;
        }
        const bool avatarMsg = std::holds_alternative<AvatarUpdate>(*msg);
        // Workspace changes keep their order with what the host relays: the
        // events channel only.
        const bool workspaceMsg =
            std::holds_alternative<AnnotationChange>(*msg) || std::holds_alternative<ProcedureStep>(*msg);
        if (avatarMsg != (ch == Channel::kAvatar) || (workspaceMsg && ch != Channel::kEvents)) {
            ++stats.malformed;
            if (ch != Channel::kAvatar) {
                replyError(c, ReplyCode::kBadRequest,
                           strCat(toString(messageType(*msg)), " is not allowed on this channel"));
            }
            return;
        }
        std::visit([&](const auto& m) { handle(c, m); }, *msg);
    }

    // Voice: one decrypt in (above), the frame's header checked in place,
    // one plaintext built for all listeners and one seal per listener.
    void onVoice(Connection& c, Member* m, ByteSpan plain) {
        auto type = peekType(plain);
        Room* r = m ? findRoom(c.room) : nullptr;
        if (!type || !r || plain.size() < 2) {
            ++stats.voiceMalformed;
            return;
        }
        if (*type == MessageType::kVoiceLoss) {
            auto msg = decodeMessage(plain);
            if (!msg) {
                ++stats.voiceMalformed;
                return;
            }
            const auto& loss = std::get<VoiceLoss>(*msg);
            if (r->members.count(loss.speaker)) r->voice.reportLoss(loss.speaker, loss.lossPercent);
            return;
        }
        const ByteSpan frame = plain.subspan(2);
        auto header = voice::readVoiceHeader(frame);
        if (*type != MessageType::kVoiceUp || !header) {
            ++stats.voiceMalformed;
            return;
        }
        ++stats.voiceFramesIn;
        const Nanos now = clock.now();
        if (m->muted || !r->voice.admit(m->avatarId, *header, now)) {
            ++stats.voiceFramesDropped;
            return;
        }
        // One plaintext for all listeners, built in a buffer kept between
        // frames (no allocation per frame).
        Bytes& down = voiceScratch;
        down.resize(4 + frame.size());
        down[0] = kProtocolVersion;
        down[1] = static_cast<std::uint8_t>(MessageType::kVoiceDown);
        down[2] = static_cast<std::uint8_t>(m->avatarId);
        down[3] = static_cast<std::uint8_t>(m->avatarId >> 8);
        std::copy(frame.begin(), frame.end(), down.begin() + 4);
        // The members are looked at only when the choice is remade (every
        // 100 ms), not for every frame.
        const std::vector<VoicePeer> peers =
            r->voice.needsReselect(m->avatarId, now) ? voicePeers(*r) : std::vector<VoicePeer>{};
        for (std::uint16_t listener : r->voice.listenersOf(m->avatarId, peers, now)) {
            auto it = r->members.find(listener);
            if (it == r->members.end() || it->second.connId == 0) continue;
            auto conn = conns.find(it->second.connId);
            if (conn == conns.end()) continue;
            Member& l = it->second;
            l.lastVoiceOutAt = now;
            if (l.held.empty()) {
                sendPlain(conn->second, Channel::kVoice, down);
            } else {
                // The avatar entries waiting for this listener ride along:
                // one seal, one datagram.
                const std::size_t n = l.held.size();
                ByteWriter w(5 + n * kAvatarEntryMaxBytes + frame.size());
                w.u8(kProtocolVersion);
                w.u8(static_cast<std::uint8_t>(MessageType::kVoiceWithAvatars));
                w.u8(static_cast<std::uint8_t>(n));
                for (const AvatarEntry& e : l.held) writeAvatarEntry(w, e);
                w.u16(m->avatarId);
                w.bytes(frame);
                sendPlain(conn->second, Channel::kVoice, w.take());
                stats.avatarEntriesOut += n;
                stats.avatarEntriesWithVoice += n;
                l.held.clear();
            }
            ++stats.voiceFramesOut;
        }
    }
    void handle(Connection& c, const PrivateTalk& p) {
        Member* m = memberOf(c);
        Room* r = m ? findRoom(c.room) : nullptr;
        if (!r) return replyError(c, ReplyCode::kNotAllowed, "join a room before asking for private talk");
        if (p.with != 0 && (p.with == m->avatarId || !r->members.count(p.with))) {
            return replyError(c, ReplyCode::kBadRequest, strCat("field 'with': no other member ", p.with, " here"));
        }
        m->asksPrivateWith = p.with;
        r->presenceDirty = true;
    }
    void handle(Connection& c, const Consent& k) {
        Member* m = memberOf(c);
        Room* r = m ? findRoom(c.room) : nullptr;
        if (!r) return replyError(c, ReplyCode::kNotAllowed, "join a room before giving consent");
        m->recordingConsent = k.recording;
        r->presenceDirty = true;
    }
    // A token bucket, as for avatars, shared by a member's annotation
    // changes and procedure steps: the host relays each to everyone, so one
    // member cannot make it relay without bound.
    bool takeWorkspaceToken(Member& m) {
        const Nanos now = clock.now();
        m.annotationTokens = std::min(cfg.annotationBurst, m.annotationTokens + nanosToSeconds(now - m.annotationTokensAt) *
                                                                                  cfg.annotationsPerSecond);
        m.annotationTokensAt = now;
        if (m.annotationTokens < 1.0) return false;
        m.annotationTokens -= 1.0;
        return true;
    }
    void handle(Connection& c, const AnnotationChange& change) {
        Member* m = memberOf(c);
        Room* r = m ? findRoom(c.room) : nullptr;
        const auto refuse = [&](std::string why) {
            log.info(strCat("connection ", c.id, ": annotation refused: ", why));
            sendSealed(c, Channel::kEvents, AnnotationRefused{change.op.id, why.substr(0, 255)});
        };
        if (!r) return refuse("annotations: join a room first");
        if (!takeWorkspaceToken(*m)) {
            return refuse(strCat("annotations: more than ", cfg.annotationsPerSecond, " changes a second; slow down"));
        }
        auto relayed = r->workspace.apply(change.op, AnnotationActor{m->authorId, moderates(m->who, r->name)});
        if (!relayed) return refuse(relayed.error().message);
        sendToRoom(*r, *relayed);
    }
    void handle(Connection& c, const ProcedureStep& step) {
        Member* m = memberOf(c);
        Room* r = m ? findRoom(c.room) : nullptr;
        if (!r) return replyError(c, ReplyCode::kNotAllowed, "join a room before moving its procedure");
        if (!takeWorkspaceToken(*m)) {
            return replyError(c, ReplyCode::kBadRequest, strCat("procedure step: more than ", cfg.annotationsPerSecond,
                                                                " changes a second; slow down"));
        }
        ProcedureStep kept = step;
        kept.by = m->avatarId;
        if (r->workspace.step == kept) return;
        r->workspace.step = kept;
        sendToRoom(*r, encodeMessage(kept));
    }
    // Once a second, each talker hears the worst loss its listeners reported.
    void reportVoiceLoss(Room& r, Nanos now) {
        for (const auto& [talker, percent] : r.voice.takeLossReports(now)) {
            auto m = r.members.find(talker);
            if (m == r.members.end() || m->second.connId == 0) continue;
            auto conn = conns.find(m->second.connId);
            if (conn != conns.end()) sendSealed(conn->second, Channel::kVoice, VoiceLoss{0, percent});
        }
    }

    void handle(Connection& c, const AvatarUpdate& u) {
        Member* m = memberOf(c);
        if (!m) {
            ++stats.malformed;
            return;
        }
        // At most kMaxAvatarHz on average per member (a token bucket with a
        // small burst for network bunching): a client cannot make the host
        // relay faster than the protocol allows.
        const Nanos now = clock.now();
        m->updateTokens = std::min(kAvatarBurst, m->updateTokens + nanosToSeconds(now - m->tokensAt) * kMaxAvatarHz);
        m->tokensAt = now;
        if (m->updateTokens < 1.0) {
            ++stats.avatarUpdatesDropped;
            return;
        }
        m->updateTokens -= 1.0;
        ++stats.avatarUpdatesIn;
        // Samples the sequenced channel delivers are already in order.
        m->last = u.entry;
        m->last.avatarId = m->avatarId;
        m->last.state = m->motion.add(u.entry.timeMs, u.entry.state);
        m->hasState = true;
        ++m->seq;
    }
    // Login, LoginToken and TicketRequest: the Authenticator runs on an auth
    // thread (argon2id takes tens of ms; tokens and tickets read the
    // records), and the answer is applied here when it comes back.
    void applyLogin(Connection& c, const Result<Identity>& who) {
        if (!who) return replyError(c, ReplyCode::kAuthFailed, who.error().message);
        c.identity = *who;
        sendSealed(c, Channel::kControl, LoginOk{who->displayName, who->role});
    }
    void handle(Connection& c, const Login& l) {
        char ip[64] = "?";
        enet_address_get_host_ip(&c.peer->address, ip, sizeof ip);
        postAuth(c, [this, login = l, address = strCat(ip, ":", c.peer->address.port)]() mutable -> AuthApply {
            auto who = auth.loginFrom(login.email, login.password, address);
            sodium_memzero(login.password.data(), login.password.size());
            return [this, who = std::move(who)](Connection& conn) { applyLogin(conn, who); };
        });
    }
    void handle(Connection& c, const LoginToken& l) {
        postAuth(c, [this, token = l.token]() -> AuthApply {
            auto who = auth.verifyToken(token);
            return [this, who = std::move(who)](Connection& conn) { applyLogin(conn, who); };
        });
    }
    void handle(Connection& c, const TicketRequest& t) {
        if (!c.identity) return replyError(c, ReplyCode::kNotAllowed, "log in before asking for a ticket");
        postAuth(c, [this, who = *c.identity, room = t.room]() -> AuthApply {
            auto ticket = auth.issueTicket(who, room);
            return [this, ticket = std::move(ticket)](Connection& conn) mutable {
                if (!ticket) {
                    return replyError(conn,
                                      ticket.error().code == ErrorCode::kNotFound ? ReplyCode::kRoomNotFound
                                                                                  : ReplyCode::kNotAllowed,
                                      ticket.error().message);
                }
                sendSealed(conn, Channel::kControl, TicketGrant{std::move(*ticket)});
            };
        });
    }
    void handle(Connection& c, const CreateRoom& cr) {
        if (!c.identity || !cfg.policy || !cfg.policy->mayCreateRoom(*c.identity, cr.room)) {
            return replyError(c, ReplyCode::kNotAllowed, "you may not create rooms here (the session server creates "
                                                         "named rooms through its API)");
        }
        if (findRoom(cr.room)) return replyError(c, ReplyCode::kRoomExists, strCat("room '", cr.room, "' exists"));
        addRoom(RoomConfig{cr.room, cr.capacity, cr.openDemo, std::nullopt});
        sendSealed(c, Channel::kControl, RoomCreated{cr.room});
    }
    void handle(Connection& c, const Join& j) {
        const std::int64_t now = cfg.unixNow();
        auto t = verifyTicket(j.ticket, cfg.ticketKey, j.room, now);
        if (!t) return replyError(c, ReplyCode::kBadTicket, t.error().message);
        // Single use: an expired ticket is refused above, so ids are kept
        // only until their ticket expires.
        while (!usedTicketsByExpiry.empty() && usedTicketsByExpiry.begin()->first <= now) {
            usedTickets.erase(usedTicketsByExpiry.begin()->second);
            usedTicketsByExpiry.erase(usedTicketsByExpiry.begin());
        }
        if (usedTickets.count(t->ticketId)) {
            ++stats.ticketsReused;
            return replyError(c, ReplyCode::kBadTicket, "ticket was already used; ask for a new one");
        }
        if (t->expiresAt - t->issuedAt > kRevocationMemorySeconds) {
            return replyError(c, ReplyCode::kBadTicket, "ticket lives longer than a day; the host accepts shorter ones");
        }
        if (auto rv = revokedAt.find(t->subject); rv != revokedAt.end() && t->issuedAt < rv->second) {
            return replyError(c, ReplyCode::kBadTicket,
                              "ticket was issued before this account's credentials changed; log in again");
        }
        if (usedTickets.size() >= cfg.maxUsedTickets) {
            return replyError(c, ReplyCode::kBusy, "busy: too many tickets are in use; retry in a minute");
        }
        if (c.identity && c.identity->subject != t->subject) {
            return replyError(c, ReplyCode::kBadTicket,
                              "ticket is for another account than the one logged in on this connection");
        }
        join(c, j.room, Identity{t->subject, t->displayName, t->role}, &*t);
    }
    void handle(Connection& c, const JoinGuest& g) {
        if (!cfg.allowGuests) return replyError(c, ReplyCode::kNotAllowed, "this host does not allow guests");
        const Room* r = findRoom(g.room);
        if (r && !r->openDemo) {
            return replyError(c, ReplyCode::kNotAllowed, strCat("room '", g.room, "' is not open to guests"));
        }
        auto name = normalizeDisplayName(g.displayName);  // NFC: "Zoë" is one name however it was typed
        if (!name) return replyError(c, ReplyCode::kBadRequest, name.error().message);
        join(c, g.room, Identity{"guest:" + *name, *name, Role::kGuest});
    }
    void handle(Connection& c, const Resume& r) { resume(c, r.token); }
    void handle(Connection& c, const Leave&) {
        if (c.avatarId == 0) return;
        Room* r = findRoom(c.room);
        if (r) removeMember(*r, c.avatarId, "left");
    }
    void handle(Connection& c, const Moderate& m) { moderate(c, m); }
    void handle(Connection& c, const ApiRequest& req) {
        ++stats.apiRequests;
        // Only a login on this connection counts: a ticket or a resumed
        // avatar says who is in the room, not who may read records.
        const Identity* who = c.identity ? &*c.identity : nullptr;
        if (!who || who->role == Role::kGuest) {
            sendSealed(c, Channel::kControl,
                       apiError(req.requestId, 401, "unauthenticated",
                                "log in with an account (password or token) on this connection to use records"));
            return;
        }
        if (!cfg.api) {
            sendSealed(c, Channel::kControl, apiError(req.requestId, 404, "not_found", "this host serves no records"));
            return;
        }
        auto& inFlight = apiInFlight[c.id];
        if (inFlight >= kMaxApiInFlight) {
            sendSealed(c, Channel::kControl,
                       apiError(req.requestId, 429, "rate_limited", "too many records requests in flight"));
            return;
        }
        ++inFlight;
        const std::uint32_t connId = c.id;
        cfg.api->onApiRequest(*who, req, [mailbox = apiMailbox, connId](ApiResponse r) {
            std::lock_guard lock(mailbox->mutex);
            mailbox->answers.emplace_back(connId, std::move(r));
        });
    }
    void deliverApiAnswers() {
        std::vector<std::pair<std::uint32_t, ApiResponse>> answers;
        {
            std::lock_guard lock(apiMailbox->mutex);
            answers.swap(apiMailbox->answers);
        }
        for (auto& [connId, r] : answers) {
            auto f = apiInFlight.find(connId);
            if (f != apiInFlight.end() && f->second > 0 && --f->second == 0) apiInFlight.erase(f);
            auto it = conns.find(connId);
            if (it == conns.end() || it->second.closing) continue;  // gone meanwhile: nobody to tell
            if (r.body.size() > kMaxApiBodyBytes) {
                r = apiError(r.requestId, 413, "payload_too_large",
                             "the answer is too large for ENet; ask for fewer items (limit=)");
            }
            sendSealed(it->second, Channel::kControl, r);
        }
    }
    template <typename T>
    void handle(Connection& c, const T& m) {
        ++stats.malformed;
        replyError(c, ReplyCode::kBadRequest, strCat(toString(messageType(Message(m))), " is not a client request"));
    }

    // dropConnectionsOf(), on the network thread.
    void applyDrops() {
        std::vector<std::pair<std::string, std::string>> todo;
        {
            std::lock_guard lock(dropMutex);
            todo.swap(drops);
        }
        for (const auto& [subject, reason] : todo) dropSubject(subject, reason);
    }
    void close(Connection& c) {
        c.closing = true;
        c.identity.reset();
        enet_peer_disconnect_later(c.peer, kHostDisconnectData);
    }
    void dropSubject(const std::string& subject, const std::string& reason) {
        // Tickets issued before this second are void too. Ticket times are
        // whole seconds: one issued in this same second is let in, because
        // the person who just changed their password logs in again at once
        // and must get in; what stays open is a ticket fetched with the old
        // credentials less than a second before the change.
        const std::int64_t now = cfg.unixNow();
        std::erase_if(revokedAt, [&](const auto& e) { return e.second + kRevocationMemorySeconds < now; });
        revokedAt[subject] = now;
        std::size_t dropped = 0;
        for (auto& [name, r] : rooms) {
            std::vector<std::uint16_t> ids;
            for (const auto& [id, m] : r.members) {
                if (m.who.subject == subject) ids.push_back(id);
            }
            for (auto id : ids) {
                const std::uint32_t connId = r.members.at(id).connId;
                if (auto c = conns.find(connId); connId != 0 && c != conns.end()) {
                    sendSealed(c->second, Channel::kControl, Removed{reason});
                    close(c->second);
                }
                removeMember(r, id, strCat("removed: ", reason));
                ++dropped;
            }
        }
        for (auto& [id, c] : conns) {
            if (c.closing || !c.identity || c.identity->subject != subject) continue;
            replyError(c, ReplyCode::kAuthFailed, reason);
            close(c);
            ++dropped;
        }
        if (dropped) log.info(strCat("dropped ", dropped, " connection(s) or place(s) of ", subject, ": ", reason));
    }

    void addRoom(const RoomConfig& rc) {
        Room r;
        r.name = rc.name;
        r.capacity = rc.capacity ? rc.capacity : cfg.defaultCapacity;
        r.openDemo = rc.openDemo;
        r.bounds = rc.bounds.value_or(cfg.defaultBounds);
        rooms.emplace(rc.name, std::move(r));
        log.info(strCat("room ", rc.name, " created (capacity ", rc.capacity ? rc.capacity : cfg.defaultCapacity,
                        rc.openDemo ? ", open demo" : "", ")"));
    }

    // --- periodic work -------------------------------------------------------
    void relay(Room& r, Nanos now) {
        std::vector<AvatarEntry> entries;
        for (auto& [viewerId, viewer] : r.members) {
            if (viewer.connId == 0) continue;
            auto conn = conns.find(viewer.connId);
            if (conn == conns.end()) continue;
            entries.clear();
            for (auto& [id, m] : r.members) {
                if (id == viewerId || !m.hasState || m.connId == 0) continue;
                auto& sent = viewer.sentSeq[id];
                if (sent == m.seq) continue;
                std::uint32_t divisor = cfg.interest.midDivisor;
                if (viewer.hasState) {
                    divisor = relayDivisor(cfg.interest, viewer.last.state.head.position, m.last.state.head.position);
                    if (divisor == 0) continue;
                }
                // All avatars a viewer gets at one rate go out on the same
                // ticks, so they share datagrams (in a room of 3 or 4 the
                // 39 bytes of ENet and sealing per datagram are most of the
                // cost); viewers are spread over ticks by their own id, so
                // the host's work and output stay even across ticks.
                if ((tick + viewerId) % divisor != 0) continue;
                sent = m.seq;
                entries.push_back(m.last);
            }
            if (entries.empty()) continue;
            if (holdForVoice(viewer, conn->second, entries, now)) continue;
            sendAvatarEntries(viewer, conn->second, entries);
        }
    }
    void sendAvatarEntries(Member& viewer, Connection& c, std::vector<AvatarEntry>& entries) {
        for (const Bytes& packet : encodeAvatarBatches(entries)) {
            sendPlain(c, Channel::kAvatar, packet);
            ++stats.avatarPacketsOut;
        }
        stats.avatarEntriesOut += entries.size();
        if (&entries == &viewer.held) viewer.held.clear();
    }
    // Entries for a viewer that is hearing someone wait for its next voice
    // frame (onVoice); true when they were held (or, too many to ride
    // along, sent with those held before).
    bool holdForVoice(Member& viewer, Connection& c, const std::vector<AvatarEntry>& entries, Nanos now) {
        if (viewer.lastVoiceOutAt < 0 || now - viewer.lastVoiceOutAt > kVoiceFlowing) return false;
        if (viewer.held.empty()) viewer.heldSince = now;
        for (const AvatarEntry& e : entries) {
            auto same = std::find_if(viewer.held.begin(), viewer.held.end(),
                                     [&](const AvatarEntry& h) { return h.avatarId == e.avatarId; });
            if (same != viewer.held.end()) *same = e;  // a newer sample replaces one not sent yet
            else viewer.held.push_back(e);
        }
        if (viewer.held.size() * kAvatarEntryMaxBytes > kMaxHeldEntryBytes || viewer.held.size() > 255) {
            sendAvatarEntries(viewer, c, viewer.held);  // too many to ride along: batches of their own
            return true;
        }
        const Nanos deadline = viewer.heldSince + kHoldAvatarsFor;
        if (heldDeadline < 0 || deadline < heldDeadline) heldDeadline = deadline;
        return true;
    }
    // Held entries whose voice frame did not come in time go alone.
    void flushHeldAvatars(Nanos now) {
        if (heldDeadline < 0 || now < heldDeadline) return;
        heldDeadline = -1;
        for (auto& [name, r] : rooms) {
            for (auto& [id, m] : r.members) {
                if (m.held.empty()) continue;
                auto conn = conns.find(m.connId);
                if (m.connId == 0 || conn == conns.end()) {
                    m.held.clear();
                    continue;
                }
                const Nanos deadline = m.heldSince + kHoldAvatarsFor;
                if (deadline <= now) {
                    sendAvatarEntries(m, conn->second, m.held);
                } else if (heldDeadline < 0 || deadline < heldDeadline) {
                    heldDeadline = deadline;
                }
            }
        }
    }

    void periodic(Nanos now) {
        for (auto roomIt = rooms.begin(); roomIt != rooms.end();) {
            Room& r = roomIt->second;
            std::vector<std::uint16_t> expired;
            for (auto& [id, m] : r.members) {
                if (m.connId == 0 && now - m.awaySince > cfg.resumeWindow) expired.push_back(id);
            }
            for (auto id : expired) removeMember(r, id, "timed out");
            relay(r, now);
            reportVoiceLoss(r, now);
            if (r.presenceDirty && now - r.lastPresenceAt >= kPresenceInterval) {
                r.presenceDirty = false;
                r.lastPresenceAt = now;
                const Presence p{presenceOf(r)};
                for (auto& [id, m] : r.members) {
                    auto c = conns.find(m.connId);
                    if (m.connId && c != conns.end()) sendSealed(c->second, Channel::kEvents, p);
                }
            }
            if (r.onDemand && r.members.empty()) {
                log.info(strCat("room ", r.name, " is empty; dropped"));
                roomIt = rooms.erase(roomIt);
            } else {
                ++roomIt;
            }
        }
        const bool keepAlive = now - lastKeepAlive >= kKeepAliveIntervalNs;
        if (keepAlive) lastKeepAlive = now;
        std::vector<std::uint32_t> silent;
        for (auto& [id, c] : conns) {
            if (!c.secure && c.connectedAt != 0 && now - c.connectedAt > cfg.helloDeadline) {
                silent.push_back(id);
                continue;
            }
            if (keepAlive) enet_peer_ping(c.peer);
            if (c.avatarId == 0 && c.connectedAt != 0 && now - c.connectedAt > cfg.joinDeadline) {
                log.info(strCat("connection ", id, ": did not join in time"));
                c.connectedAt = 0;  // once
                enet_peer_disconnect_later(c.peer, kHostDisconnectData);
            }
        }
        // No Hello in time: nothing to say to it (no keys), so no graceful
        // goodbye either; the slot and whatever ENet queued for it go now.
        for (const std::uint32_t id : silent) {
            auto it = conns.find(id);
            log.info(strCat("connection ", id, ": no Hello in time; reset"));
            ++stats.helloTimeouts;
            it->second.peer->data = nullptr;
            enet_peer_disconnect_now(it->second.peer, kHostDisconnectData);
            conns.erase(it);
        }
    }

    void onDisconnect(ENetPeer* peer, Nanos now) {
        const auto id = static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(peer->data));
        peer->data = nullptr;
        auto it = conns.find(id);
        if (it == conns.end()) return;
        if (Member* m = memberOf(it->second)) {
            m->connId = 0;
            m->awaySince = now;
            m->awaySinceUnix = cfg.unixNow();
            findRoom(it->second.room)->presenceDirty = true;
            ++stats.timeouts;
            log.info(strCat("room ", it->second.room, ": ", m->who.displayName, " lost connection; may resume"));
        }
        conns.erase(it);
    }

    void serviceOnce(Nanos maxWait) {
        const Nanos now0 = clock.now();
        if (nextTick == 0) nextTick = now0;
        const Nanos untilTick = std::max<Nanos>(0, nextTick - now0);
        // Round up: waking early would spin until the tick.
        const auto waitMs = static_cast<enet_uint32>((std::min(maxWait, untilTick) + 999'999) / 1'000'000);
        ENetEvent ev;
        int rc = enet_host_service(host.get(), &ev, waitMs);
        // Drain everything that is already there before doing periodic work.
        std::lock_guard lock(mutex);
        while (rc > 0) {
            const Nanos now = clock.now();
            switch (ev.type) {
                case ENET_EVENT_TYPE_CONNECT: {
                    const std::uint32_t id = nextConnId++;
                    ev.peer->data = reinterpret_cast<void*>(static_cast<std::uintptr_t>(id));
                    setPeerTimeout(ev.peer, cfg.peerTimeoutMs);
                    disableUnreliableThrottle(ev.peer);
                    Connection c;
                    c.id = id;
                    c.peer = ev.peer;
                    c.connectedAt = now;
                    conns.emplace(id, std::move(c));
                    break;
                }
                case ENET_EVENT_TYPE_RECEIVE: {
                    const auto id = static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(ev.peer->data));
                    auto it = conns.find(id);
                    if (it != conns.end()) onPacket(it->second, ev.channelID, ByteSpan(ev.packet->data, ev.packet->dataLength));
                    enet_packet_destroy(ev.packet);
                    break;
                }
                case ENET_EVENT_TYPE_DISCONNECT:
                    onDisconnect(ev.peer, now);
                    break;
                case ENET_EVENT_TYPE_NONE:
                    break;
            }
            rc = enet_host_check_events(host.get(), &ev);
        }
        deliverApiAnswers();
        deliverAuthAnswers();
        applyDrops();
        const Nanos now = clock.now();
        flushHeldAvatars(now);
        const Nanos tickLength = 1'000'000'000 / cfg.interest.tickHz;
        if (now >= nextTick) {
            periodic(now);
            ++tick;
            nextTick += tickLength;
            if (nextTick < now) nextTick = now + tickLength;  // fell behind: skip, do not burst
            enet_host_flush(host.get());
        }
        guard->afterService();
        boundRetransmissions(host.get());
        const HostGuardStats& g = guard->stats();
        stats.connectChallenges = g.challenges;
        stats.connectChallengeBytes = g.challengeBytes;
        stats.connectsRateLimited = g.connectsRateLimited;
        stats.halfOpenReset = g.halfOpenReset;
        stats.commandsRefused = g.commandsRefused;
        stats.bytesIn += host->totalReceivedData;
        stats.bytesOut += host->totalSentData;
        host->totalReceivedData = 0;
        host->totalSentData = 0;
    }
};

Result<std::unique_ptr<RoomHost>> RoomHost::create(RoomHostConfig config, Authenticator& auth, const Clock& clock,
                                                   Logger log, RoomObserver* observer) {
    if (config.peerTimeoutMs == 0 || config.peerTimeoutMs > 5000) {
        return makeError(ErrorCode::kInvalidArgument, "peer timeout must be 1..5000 ms");
    }
    if (config.authThreads == 0 || config.authThreads > 64 || config.maxPendingAuth == 0) {
        return makeError(ErrorCode::kInvalidArgument, "auth threads must be 1..64 and maxPendingAuth at least 1");
    }
    if (config.maxUsedTickets == 0) return makeError(ErrorCode::kInvalidArgument, "maxUsedTickets must be at least 1");
    if (config.interest.tickHz == 0 || config.interest.tickHz > 90) {
        return makeError(ErrorCode::kInvalidArgument, "relay tick must be 1..90 Hz");
    }
    if (config.maxPacketBytes < kMaxMessageBytes + kSealOverhead || config.maxWaitingBytesPerPeer < config.maxPacketBytes) {
        return makeError(ErrorCode::kInvalidArgument,
                         strCat("maxPacketBytes must hold the largest sealed message (", kMaxMessageBytes + kSealOverhead,
                                " bytes) and maxWaitingBytesPerPeer at least one packet"));
    }
    if (config.connectBurstPerAddress < 1 || config.connectsPerSecondPerAddress <= 0 || config.maxReliableAhead < 16 ||
        config.halfOpenTimeout <= 0 || config.helloDeadline <= 0) {
        return makeError(ErrorCode::kInvalidArgument,
                         "connect burst must be at least 1, the connect rate positive, maxReliableAhead at least 16 "
                         "and the handshake timeouts positive");
    }
    std::unique_ptr<RoomHost> self(new RoomHost());
    self->m_config = std::move(config);
    const RoomHostConfig& cfg = self->m_config;
    MXR_TRY_ASSIGN(auto host, createEnetHost(cfg.bindAddress, cfg.port, cfg.maxPeers, kChannelCount));
    host->duplicatePeers = cfg.duplicatePeersPerAddress;
    host->maximumPacketSize = cfg.maxPacketBytes;
    host->maximumWaitingData = cfg.maxWaitingBytesPerPeer;
    MXR_TRY_ASSIGN(self->m_port, boundPort(host.get()));
    self->m_impl = std::make_unique<Impl>(cfg, auth, clock, std::move(log), observer);
    HostGuardConfig guard;
    guard.policy.maxReliableAhead = cfg.maxReliableAhead;
    guard.halfOpenTimeout = cfg.halfOpenTimeout;
    guard.connectBurstPerAddress = cfg.connectBurstPerAddress;
    guard.connectsPerSecondPerAddress = cfg.connectsPerSecondPerAddress;
    self->m_impl->guard = std::make_unique<HostGuard>(host.get(), guard, clock);
    self->m_impl->host = std::move(host);
    return self;
}

RoomHost::~RoomHost() { stop(); }

Result<void> RoomHost::createRoom(const RoomConfig& room) {
    MXR_TRY(validateRoomName(room.name));
    std::lock_guard lock(m_impl->mutex);
    if (m_impl->findRoom(room.name)) {
        return makeError(ErrorCode::kConflict, strCat("room '", room.name, "' exists"));
    }
    m_impl->addRoom(room);
    return {};
}

std::vector<PresenceEntry> RoomHost::presence(const std::string& room) const {
    std::lock_guard lock(m_impl->mutex);
    auto it = m_impl->rooms.find(room);
    return it == m_impl->rooms.end() ? std::vector<PresenceEntry>{} : m_impl->presenceOf(it->second);
}

RoomHostStats RoomHost::stats() const {
    std::lock_guard lock(m_impl->mutex);
    RoomHostStats s = m_impl->stats;
    s.connections = m_impl->conns.size();
    s.members = 0;
    for (const auto& [n, r] : m_impl->rooms) s.members += r.members.size();
    return s;
}

void RoomHost::dropConnectionsOf(std::string subject, std::string reason) {
    std::lock_guard lock(m_impl->dropMutex);
    m_impl->drops.emplace_back(std::move(subject), std::move(reason));
}

void RoomHost::service(Nanos maxWait) { m_impl->serviceOnce(maxWait); }

void RoomHost::start() {
    if (m_running.exchange(true)) return;
    m_thread = std::thread([this] {
        while (m_running.load(std::memory_order_acquire)) m_impl->serviceOnce(msToNanos(5));
    });
}

void RoomHost::stop() {
    if (!m_running.exchange(false)) return;
    if (m_thread.joinable()) m_thread.join();
}

}  // namespace mxr::net
