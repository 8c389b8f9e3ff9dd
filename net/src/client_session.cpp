#include "net/client_session.h"

#include "room_annotations.h"

#include "net/voice_frame.h"

#include <enet/enet.h>

#include <algorithm>
#include <cstdlib>

#include "enet_guard.h"
#include "enet_util.h"

namespace mxr::net {

const char* toString(ClientState s) noexcept {
    switch (s) {
        case ClientState::kConnecting: return "connecting";
        case ClientState::kHandshaking: return "handshaking";
        case ClientState::kAuthenticating: return "authenticating";
        case ClientState::kJoining: return "joining";
        case ClientState::kJoined: return "joined";
        case ClientState::kReconnecting: return "reconnecting";
        case ClientState::kClosed: return "closed";
        case ClientState::kFailed: return "failed";
    }
    return "?";
}

struct ClientSession::Impl {
    ClientConfig cfg;
    const Clock& clock;
    Logger log;
    EnetHostPtr host;
    std::unique_ptr<ClientCookieCatcher> cookies;  // hooks `host`; reset before it
    int cookieRestarts = 0;                        // on this socket
    ENetAddress address{};
    ENetPeer* peer = nullptr;
    ClientState state = ClientState::kConnecting;
    std::optional<KeyPair> ephemeral;
    std::optional<SecureChannel> secure;
    std::uint16_t avatarId = 0;
    std::optional<ResumeToken> resumeToken;
    RoomBounds bounds;
    Nanos lostAt = 0;
    Nanos nextAttempt = 0;
    bool leaving = false;
    Nanos startedAt = 0;
    Nanos lastKeepAlive = 0;
    Nanos lastReceiveAt = 0;
    bool lastDisconnectByHost = false;
    std::vector<ClientEvent> events;
    std::vector<ApiResponse> apiResponses;
    // The room's annotation snapshot comes in pieces on the events channel;
    // one that is complete before the Joined it follows (channels are not
    // ordered with each other) waits for it, so the application sees the
    // join first and its resent changes go out on the joined connection.
    SnapshotAssembler snapshot;
    std::optional<AnnotationState> snapshotBeforeJoin;
    std::uint32_t nextRequestId = 1;
    ClientStats stats;
    // The last Login/LoginToken/TicketRequest/Resume, sent again after a
    // kBusy answer; busyRetriesUsed counts the retries since the last
    // request that went through.
    std::optional<Message> authRequest;
    int busyRetriesUsed = 0;
    Nanos busyRetryAt = 0;  // 0: none scheduled
    std::size_t receivedSealedBytes = 0;  // of the message being handled
    // ENet's bytes for a packet alone in a datagram: the protocol header
    // without sent time (2) and the unsequenced send command (8).
    static constexpr std::size_t kEnetCommandBytes = 10;

    Impl(ClientConfig c, const Clock& k, Logger l) : cfg(std::move(c)), clock(k), log(std::move(l)) {}

    std::string serverName() const { return strCat(cfg.serverHost, ":", cfg.serverPort); }

    void fail(Error e, std::optional<ReplyCode> code = std::nullopt) {
        if (state == ClientState::kFailed || state == ClientState::kClosed) return;
        log.warn(strCat("session with ", serverName(), " failed: ", e.message));
        state = ClientState::kFailed;
        events.push_back(FailedEvent{std::move(e), code});
        if (peer) enet_peer_disconnect_later(peer, 0);
    }

    bool connect() {
        // Every attempt gets a fresh socket (a new local port). ENet tells
        // connections apart by address and a 2-bit session id, so a stale
        // peer the host still keeps for an abandoned attempt could otherwise
        // be taken for the new connection, and its late packets (even a
        // disconnect) would land in it.
        peer = nullptr;
        auto fresh = createEnetHost("", 0, 1, kChannelCount);
        if (!fresh) {
            log.warn(strCat("cannot open a socket: ", fresh.error().message));
            return false;
        }
        if (host) {
            stats.bytesIn += host->totalReceivedData;
            stats.bytesOut += host->totalSentData;
            stats.datagramsIn += host->totalReceivedPackets;
        }
        cookies.reset();
        host = std::move(*fresh);
        host->maximumPacketSize = 64 * 1024;
        cookies = std::make_unique<ClientCookieCatcher>(host.get());
        cookieRestarts = 0;
        // No cookie yet (0): the host answers with one (connect_cookie.h).
        peer = enet_host_connect(host.get(), &address, kChannelCount, 0);
        if (!peer) return false;
        // Give up on a connect attempt sooner than on a connection: a host
        // that has not answered in 2 s (with a retry at least every second,
        // see boundRetransmissions) is better tried afresh on a new socket.
        setPeerTimeout(peer, 2000);
        secure.reset();
        busyRetryAt = 0;
        return true;
    }

    void sendSealed(Channel ch, const Message& m) {
        if (!peer || !secure) return;
        if (secure->exhausted()) {
            // The next counter would wrap and reuse a nonce: hang up and
            // resume on a fresh connection with fresh keys.
            log.warn(strCat("connection to ", serverName(), ": frame counter used up; reconnecting"));
            enet_peer_disconnect_later(peer, 0);
            return;
        }
        const Bytes frame = secure->seal(ch, encodeMessage(m));
        ENetPacket* p = enet_packet_create(frame.data(), frame.size(), packetFlags(ch));
        if (p && enet_peer_send(peer, static_cast<enet_uint8>(ch), p) < 0) enet_packet_destroy(p);
    }

    void sendAuthRequest(Message m) {
        authRequest = m;
        sendSealed(Channel::kControl, m);
    }
    // Answered kBusy while the host still holds the avatar's old connection
    // (it has not timed it out yet); sent again every reconnectInterval
    // within the resume window.
    void sendResume() {
        state = ClientState::kJoining;
        sendAuthRequest(Resume{*resumeToken});
    }

    void onConnected() {
        // Only now: ENet's handshake checks the throttle settings it sent.
        disableUnreliableThrottle(peer);
        setPeerTimeout(peer, cfg.peerTimeoutMs);
        state = ClientState::kHandshaking;
        ephemeral = KeyPair::generate();
        const Bytes hello = encodeMessage(Hello{ephemeral->publicKey});
        ENetPacket* p = enet_packet_create(hello.data(), hello.size(), ENET_PACKET_FLAG_RELIABLE);
        if (p && enet_peer_send(peer, 0, p) < 0) enet_packet_destroy(p);
    }

    void onHelloAck(const HelloAck& ack) {
        if (cfg.expectedServerKey && *cfg.expectedServerKey != ack.serverStaticKey) {
            return fail(Error{ErrorCode::kPermissionDenied, 0,
                              strCat("server ", serverName(), " presented key ", toHex(ack.serverStaticKey),
                                     ", not the configured one")});
        }
        if (!cfg.pinFile.empty()) {
            KeyPinStore pins(cfg.pinFile);
            auto pinned = pins.check(serverName(), ack.serverStaticKey);
            if (!pinned) return fail(pinned.error());
            if (*pinned == KeyPinStore::Outcome::kPinnedNow) {
                log.info(strCat("pinned the key of ", serverName(), ": ", toHex(ack.serverStaticKey)));
            }
        }
        auto keys = clientSessionKeys(*ephemeral, ack.serverStaticKey, ack.serverEphemeralKey);
        if (!keys) return fail(keys.error());
        secure.emplace(*keys, cfg.replayWindow, cfg.framesPerChannel);
        ephemeral.reset();
        if (resumeToken) {
            // The host restores the avatar, not the login: an account logs
            // in again first, so records and tickets keep working.
            if (const auto* a = std::get_if<AccountLogin>(&cfg.credentials)) {
                state = ClientState::kAuthenticating;
                sendAuthRequest(Login{a->email, a->password});
            } else if (const auto* t = std::get_if<TokenLogin>(&cfg.credentials)) {
                state = ClientState::kAuthenticating;
                sendAuthRequest(LoginToken{t->token});
            } else {
                sendResume();
            }
            return;
        }
        std::visit(
            [&](const auto& c) {
                using T = std::decay_t<decltype(c)>;
                if constexpr (std::is_same_v<T, GuestLogin>) {
                    state = ClientState::kJoining;
                    sendSealed(Channel::kControl, JoinGuest{cfg.room, c.displayName});
                } else if constexpr (std::is_same_v<T, AccountLogin>) {
                    state = ClientState::kAuthenticating;
                    sendAuthRequest(Login{c.email, c.password});
                } else if constexpr (std::is_same_v<T, TokenLogin>) {
                    state = ClientState::kAuthenticating;
                    sendAuthRequest(LoginToken{c.token});
                } else {
                    state = ClientState::kJoining;
                    sendSealed(Channel::kControl, Join{cfg.room, c.ticket});
                }
            },
            cfg.credentials);
    }

    void onMessage(Channel ch, Message&& msg, Nanos now) {
        const bool voice = std::holds_alternative<VoiceDown>(msg) || std::holds_alternative<VoiceLoss>(msg) ||
                           std::holds_alternative<VoiceWithAvatars>(msg);
        if (voice != (ch == Channel::kVoice)) {
            ++stats.malformed;
            return;
        }
        if (voice) {
            // What the voice would have cost alone: a VoiceDown of the same
            // frame, sealed, in a datagram of its own (the rest of a
            // combined message is the avatar entries').
            const auto* va = std::get_if<VoiceWithAvatars>(&msg);
            stats.voiceBytesIn +=
                (va ? 2 + 2 + va->frame.size() + kSealOverhead : receivedSealedBytes) + kEnetCommandBytes;
        }
        if (auto* va = std::get_if<VoiceWithAvatars>(&msg)) {
            // A voice frame and the avatar entries due at the same moment,
            // sealed once by the host: the same events as when they come apart.
            if (state != ClientState::kJoined) return;
            stats.avatarEntriesIn += va->entries.size();
            ++stats.voiceFramesIn;
            events.push_back(AvatarsEvent{std::move(va->entries), now});
            events.push_back(VoiceEvent{va->speaker, std::move(va->frame), now});
            return;
        }
        if (auto* v = std::get_if<VoiceDown>(&msg)) {
            if (state != ClientState::kJoined) return;
            ++stats.voiceFramesIn;
            events.push_back(VoiceEvent{v->speaker, std::move(v->frame), now});
            return;
        }
        if (auto* l = std::get_if<VoiceLoss>(&msg)) {
            if (state == ClientState::kJoined) events.push_back(VoiceLossEvent{l->lossPercent});
            return;
        }
        if (auto* a = std::get_if<AvatarBatch>(&msg)) {
            if (ch != Channel::kAvatar || state != ClientState::kJoined) return;
            stats.avatarEntriesIn += a->entries.size();
            events.push_back(AvatarsEvent{std::move(a->entries), now});
            return;
        }
        if (ch == Channel::kAvatar) {
            ++stats.malformed;
            return;
        }
        if (auto* ok = std::get_if<LoginOk>(&msg)) {
            log.info(strCat("logged in as ", ok->displayName, " (", toString(ok->role), ")"));
            busyRetriesUsed = 0;
            if (resumeToken) {
                sendResume();
            } else {
                sendAuthRequest(TicketRequest{cfg.room});
            }
        } else if (auto* t = std::get_if<TicketGrant>(&msg)) {
            authRequest.reset();
            busyRetriesUsed = 0;
            state = ClientState::kJoining;
            sendSealed(Channel::kControl, Join{cfg.room, t->ticket});
        } else if (auto* j = std::get_if<Joined>(&msg)) {
            authRequest.reset();
            busyRetriesUsed = 0;
            const bool resumed = resumeToken.has_value() && avatarId == j->avatarId;
            avatarId = j->avatarId;
            resumeToken = j->resumeToken;
            bounds = j->bounds;
            state = ClientState::kJoined;
            events.push_back(JoinedEvent{j->room, j->avatarId, j->bounds, resumed, j->authorId, j->moderator});
            if (snapshotBeforeJoin) {
                events.push_back(AnnotationSnapshotEvent{std::move(*snapshotBeforeJoin)});
                snapshotBeforeJoin.reset();
            }
        } else if (auto* piece = std::get_if<AnnotationSnapshot>(&msg)) {
            onSnapshotPiece(*piece);
        } else if (auto* change = std::get_if<AnnotationChange>(&msg)) {
            if (state == ClientState::kJoined) events.push_back(AnnotationChangeEvent{std::move(change->op)});
        } else if (auto* refused = std::get_if<AnnotationRefused>(&msg)) {
            if (state == ClientState::kJoined) {
                events.push_back(AnnotationRefusedEvent{refused->id, std::move(refused->message)});
            }
        } else if (auto* step = std::get_if<ProcedureStep>(&msg)) {
            events.push_back(ProcedureStepEvent{*step});
        } else if (auto* ar = std::get_if<ApiResponse>(&msg)) {
            apiResponses.push_back(std::move(*ar));
        } else if (auto* p = std::get_if<Presence>(&msg)) {
            events.push_back(PresenceEvent{std::move(p->members)});
        } else if (auto* r = std::get_if<Removed>(&msg)) {
            state = ClientState::kClosed;
            resumeToken.reset();
            events.push_back(RemovedEvent{r->reason});
        } else if (auto* e = std::get_if<ErrorReply>(&msg)) {
            const bool resuming = authRequest && std::holds_alternative<Resume>(*authRequest);
            if (e->code == ReplyCode::kBusy && resuming && state != ClientState::kJoined &&
                now - lostAt <= cfg.resumeWindow) {
                // The host still holds the old connection until its peer
                // timeout ends it (at most 5 s): ask again at the reconnect
                // pace, within the resume window.
                busyRetryAt = now + cfg.reconnectInterval;
                log.info(strCat(serverName(), " still holds our old connection; resuming again in ",
                                nanosToSeconds(cfg.reconnectInterval), " s"));
                return;
            }
            if (e->code == ReplyCode::kBusy && !resuming && state != ClientState::kJoined && authRequest &&
                busyRetriesUsed < cfg.busyRetries) {
                const Nanos delay = std::min<Nanos>(msToNanos(4000), cfg.busyRetryDelay << busyRetriesUsed);
                ++busyRetriesUsed;
                busyRetryAt = now + delay;
                log.info(strCat(serverName(), " is busy (", e->message, "); retrying in ", nanosToSeconds(delay),
                                " s"));
                return;
            }
            if (state == ClientState::kJoined) {
                events.push_back(NoticeEvent{e->code, e->message});
            } else {
                fail(Error{ErrorCode::kPermissionDenied, static_cast<std::int64_t>(e->code),
                           strCat(toString(e->code), ": ", e->message)},
                     e->code);
            }
        } else {
            ++stats.malformed;
        }
    }

    void onSnapshotPiece(const AnnotationSnapshot& piece) {
        auto whole = snapshot.add(piece);
        if (!whole) {
            ++stats.malformed;
            log.warn(strCat("annotations: ", whole.error().message));
            return;
        }
        if (!*whole) return;
        auto decoded = decodeAnnotationSnapshot(**whole);
        if (!decoded) {
            ++stats.malformed;
            log.warn(strCat("annotations: the room's state was refused: ", decoded.error().message));
            return;
        }
        if (state == ClientState::kJoined) {
            events.push_back(AnnotationSnapshotEvent{std::move(*decoded)});
        } else {
            snapshotBeforeJoin = std::move(*decoded);
        }
    }

    void onReceive(enet_uint8 channelId, ByteSpan data, Nanos now) {
        if (channelId >= kChannelCount) return;
        const auto ch = static_cast<Channel>(channelId);
        if (!secure) {
            auto msg = decodeMessage(data);
            if (msg && std::holds_alternative<HelloAck>(*msg) && state == ClientState::kHandshaking) {
                onHelloAck(std::get<HelloAck>(*msg));
            } else if (msg && std::holds_alternative<ErrorReply>(*msg)) {
                const auto& e = std::get<ErrorReply>(*msg);
                fail(Error{ErrorCode::kProtocol, 0, strCat(toString(e.code), ": ", e.message)}, e.code);
            } else {
                ++stats.malformed;
            }
            return;
        }
        auto plain = secure->open(ch, data);
        if (!plain) return;
        auto msg = decodeMessage(*plain, bounds);
        if (!msg) {
            ++stats.malformed;
            log.debug(strCat("dropped a message from the host: ", msg.error().message));
            return;
        }
        receivedSealedBytes = data.size();
        onMessage(ch, std::move(*msg), now);
    }

    // The host answered our CONNECT with a cookie: connect again from the
    // same socket with it. A few times per socket at most (a host that keeps
    // refusing its own cookies sees another address than we think, e.g. a
    // NAT rebinding): then the attempt times out and starts on a new socket.
    void useCookies() {
        for (const auto& caught : cookies->take()) {
            if (caught.peer != peer || peer->state != ENET_PEER_STATE_CONNECTING || cookieRestarts >= 4) continue;
            ++cookieRestarts;
            peer = reconnectWithCookie(host.get(), peer, caught.challenge.cookie);
            if (!peer) {
                log.warn("cannot connect again with the host's cookie (no free ENet peer)");
                return;
            }
            setPeerTimeout(peer, 2000);
            enet_host_flush(host.get());
        }
    }

    void onDisconnect(Nanos now) {
        peer = nullptr;
        if (secure) {
            stats.forged += secure->stats().forged;
            stats.replayed += secure->stats().replayed;
            stats.malformed += secure->stats().malformed;
        }
        secure.reset();
        if (leaving || state == ClientState::kClosed || state == ClientState::kFailed) {
            if (state != ClientState::kFailed) state = ClientState::kClosed;
            return;
        }
        if (resumeToken) {
            if (state != ClientState::kReconnecting) {
                state = ClientState::kReconnecting;
                lostAt = now;
                // A snapshot half received is resent whole on the next connection.
                snapshot = SnapshotAssembler{};
                snapshotBeforeJoin.reset();
                events.push_back(ConnectionLostEvent{});
                log.warn(strCat("connection to ", serverName(), lastDisconnectByHost ? " closed by the host" : " timed out",
                                " (last message ", nanosToSeconds(now - lastReceiveAt), " s ago); resuming"));
            }
            nextAttempt = now + cfg.reconnectInterval;
            return;
        }
        // Not in a room yet: a lossy link may have eaten the handshake.
        // Start over on a fresh socket until the connect deadline.
        if (now - startedAt < cfg.connectTimeout) {
            log.info(strCat("connection to ", serverName(), " failed while ", toString(state), "; retrying"));
            state = ClientState::kConnecting;
            nextAttempt = now + cfg.reconnectInterval;
            return;
        }
        fail(Error{ErrorCode::kUnavailable, 0,
                   strCat("cannot reach ", serverName(), " or it closed the connection (while ", toString(state),
                          ", ", nanosToSeconds(now - startedAt), " s after starting)")});
    }

    void service(std::uint32_t waitMs) {
        const Nanos now0 = clock.now();
        if (state == ClientState::kConnecting && !peer && now0 >= nextAttempt) {
            if (!connect()) nextAttempt = now0 + cfg.reconnectInterval;
        }
        if (state == ClientState::kReconnecting && !peer) {
            if (now0 - lostAt > cfg.resumeWindow) {
                resumeToken.reset();
                return fail(Error{ErrorCode::kUnavailable, 0,
                                  strCat("could not reconnect to ", serverName(), " within the resume window")});
            }
            if (now0 >= nextAttempt) {
                ++stats.reconnects;
                if (!connect()) nextAttempt = now0 + cfg.reconnectInterval;
            }
        }
        if (busyRetryAt != 0 && now0 >= busyRetryAt && peer && secure && authRequest) {
            busyRetryAt = 0;
            sendSealed(Channel::kControl, *authRequest);
        }
        if (peer && secure && now0 - lastKeepAlive >= kKeepAliveIntervalNs) {
            lastKeepAlive = now0;
            enet_peer_ping(peer);
        }
        ENetEvent ev;
        int rc = enet_host_service(host.get(), &ev, waitMs);
        while (rc > 0) {
            const Nanos now = clock.now();
            switch (ev.type) {
                case ENET_EVENT_TYPE_CONNECT:
                    onConnected();
                    break;
                case ENET_EVENT_TYPE_RECEIVE:
                    lastReceiveAt = now;
                    onReceive(ev.channelID, ByteSpan(ev.packet->data, ev.packet->dataLength), now);
                    enet_packet_destroy(ev.packet);
                    break;
                case ENET_EVENT_TYPE_DISCONNECT:
                    lastDisconnectByHost = ev.data == kHostDisconnectData;
                    onDisconnect(now);
                    break;
                case ENET_EVENT_TYPE_NONE:
                    break;
            }
            rc = enet_host_check_events(host.get(), &ev);
        }
        useCookies();
        boundRetransmissions(host.get());
        stats.bytesIn += host->totalReceivedData;
        stats.bytesOut += host->totalSentData;
        stats.datagramsIn += host->totalReceivedPackets;
        host->totalReceivedPackets = 0;
        host->totalReceivedData = 0;
        host->totalSentData = 0;
    }
};

std::filesystem::path defaultKnownServersPath() {
    if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg && *xdg) {
        return std::filesystem::path(xdg) / "mentorxr" / "known_servers";
    }
    if (const char* home = std::getenv("HOME"); home && *home) {
        return std::filesystem::path(home) / ".config" / "mentorxr" / "known_servers";
    }
    return {};
}

Result<std::unique_ptr<ClientSession>> ClientSession::create(ClientConfig config, const Clock& clock, Logger log) {
    MXR_TRY(validateRoomName(config.room));
    if (auto* g = std::get_if<GuestLogin>(&config.credentials)) {
        MXR_TRY_ASSIGN(g->displayName, normalizeDisplayName(g->displayName));
    }
    if (config.peerTimeoutMs == 0 || config.peerTimeoutMs > 5000) {
        return makeError(ErrorCode::kInvalidArgument, "peer timeout must be 1..5000 ms");
    }
    if (config.pinFile.empty() && !config.expectedServerKey) {
        return makeError(ErrorCode::kInvalidArgument,
                         "no way to check the server's key: give a known-servers file (trust on first use) or the "
                         "expected server key");
    }
    if (config.busyRetries < 0 || config.busyRetries > 30 || config.busyRetryDelay < 0) {
        return makeError(ErrorCode::kInvalidArgument, "busy retries must be 0..30 with a delay of at least 0");
    }
    std::unique_ptr<ClientSession> self(new ClientSession());
    self->m_impl = std::make_unique<Impl>(std::move(config), clock, std::move(log));
    Impl& s = *self->m_impl;
    MXR_TRY_ASSIGN(s.address, resolveAddress(s.cfg.serverHost, s.cfg.serverPort));
    s.startedAt = clock.now();
    if (!s.connect()) return makeError(ErrorCode::kIo, "cannot start connecting (no free ENet peer)");
    return self;
}

ClientSession::~ClientSession() {
    if (m_impl && m_impl->peer) {
        // A courteous goodbye if the host is reachable; never blocks.
        enet_peer_disconnect_now(m_impl->peer, 0);
    }
}

void ClientSession::service(std::uint32_t waitMs) { m_impl->service(waitMs); }

Result<void> ClientSession::sendAvatar(const AvatarState& state) {
    Impl& s = *m_impl;
    if (s.state != ClientState::kJoined) return makeError(ErrorCode::kUnavailable, "not in a room");
    MXR_TRY(validateAvatarState(state, s.bounds));
    AvatarUpdate u;
    u.entry.avatarId = s.avatarId;
    u.entry.timeMs = static_cast<std::uint16_t>((s.clock.now() / 1'000'000) & 0xffff);
    u.entry.state = state;
    s.sendSealed(Channel::kAvatar, u);
    return {};
}

void ClientSession::moderate(const Moderate& m) {
    if (m_impl->state == ClientState::kJoined) m_impl->sendSealed(Channel::kControl, m);
}

Result<void> ClientSession::sendVoice(ByteSpan frame) {
    Impl& s = *m_impl;
    if (s.state != ClientState::kJoined) return makeError(ErrorCode::kUnavailable, "not in a room");
    MXR_TRY(voice::readVoiceHeader(frame));
    s.sendSealed(Channel::kVoice, VoiceUp{Bytes(frame.begin(), frame.end())});
    return {};
}

void ClientSession::reportVoiceLoss(std::uint16_t speaker, std::uint8_t lossPercent) {
    if (m_impl->state == ClientState::kJoined) {
        m_impl->sendSealed(Channel::kVoice, VoiceLoss{speaker, std::min<std::uint8_t>(lossPercent, 100)});
    }
}

void ClientSession::askPrivateTalk(std::uint16_t with) {
    if (m_impl->state == ClientState::kJoined) m_impl->sendSealed(Channel::kControl, PrivateTalk{with});
}

void ClientSession::sendAnnotation(const AnnotationOp& op) {
    if (m_impl->state == ClientState::kJoined) m_impl->sendSealed(Channel::kEvents, AnnotationChange{op});
}

void ClientSession::setProcedureStep(std::uint32_t procedureId, std::uint16_t step) {
    if (m_impl->state == ClientState::kJoined) {
        m_impl->sendSealed(Channel::kEvents, ProcedureStep{procedureId, step, 0});
    }
}

void ClientSession::setRecordingConsent(bool consent) {
    if (m_impl->state == ClientState::kJoined) m_impl->sendSealed(Channel::kControl, Consent{consent});
}

Result<std::uint32_t> ClientSession::sendApiRequest(ApiMethod method, std::string path, std::string body,
                                                    std::string idempotencyKey) {
    auto& s = *m_impl;
    if (s.state != ClientState::kJoined) return makeError(ErrorCode::kUnavailable, "not in a room");
    if (path.empty() || path[0] != '/' || path.size() > kMaxApiPathBytes) {
        return makeError(ErrorCode::kInvalidArgument,
                         strCat("the path must start with '/' and be at most ", kMaxApiPathBytes, " bytes"));
    }
    for (char c : path) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
            return makeError(ErrorCode::kInvalidArgument, "the path holds a control character");
        }
    }
    if (body.size() > kMaxApiBodyBytes) {
        return makeError(ErrorCode::kInvalidArgument, strCat("the body is over ", kMaxApiBodyBytes, " bytes"));
    }
    if (idempotencyKey.size() > kMaxIdempotencyKeyBytes ||
        !std::all_of(idempotencyKey.begin(), idempotencyKey.end(), [](char c) { return c > 0x20 && c < 0x7f; })) {
        return makeError(ErrorCode::kInvalidArgument,
                         strCat("the idempotency key must be at most ", kMaxIdempotencyKeyBytes, " printable ASCII bytes"));
    }
    const std::uint32_t id = s.nextRequestId++;
    s.sendSealed(Channel::kControl, ApiRequest{id, method, std::move(path), std::move(body), std::move(idempotencyKey)});
    return id;
}

std::vector<ApiResponse> ClientSession::takeApiResponses() { return std::exchange(m_impl->apiResponses, {}); }

void ClientSession::leave() {
    Impl& s = *m_impl;
    s.leaving = true;
    s.resumeToken.reset();
    if (s.peer) {
        if (s.state == ClientState::kJoined) s.sendSealed(Channel::kControl, Leave{});
        enet_peer_disconnect_later(s.peer, 0);
    }
    if (s.state != ClientState::kFailed) s.state = ClientState::kClosed;
}

void ClientSession::simulateConnectionLoss() {
    Impl& s = *m_impl;
    if (!s.peer) return;
    enet_peer_reset(s.peer);
    s.onDisconnect(s.clock.now());  // retries after reconnectInterval
}

std::vector<ClientEvent> ClientSession::takeEvents() { return std::exchange(m_impl->events, {}); }
ClientState ClientSession::state() const { return m_impl->state; }
std::uint16_t ClientSession::avatarId() const { return m_impl->avatarId; }

ClientStats ClientSession::stats() const {
    ClientStats s = m_impl->stats;
    if (m_impl->secure) {
        s.forged += m_impl->secure->stats().forged;
        s.replayed += m_impl->secure->stats().replayed;
        s.malformed += m_impl->secure->stats().malformed;
    }
    return s;
}

}  // namespace mxr::net
