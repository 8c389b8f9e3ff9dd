#pragma once
// The client's presence in a shared room: owns the net::RoomClient (its
// network thread and the two SPSC queues), posts the local avatar at up to
// 45 Hz, turns what arrives into Participants for appendAvatar (names,
// stable colours by avatar id, opacity while fading) and says in words what
// the connection is doing, for the panel.
//
// Lifetime: the clock passed to start() must outlive the RoomPresence (the
// network thread reads it). Destroying it leaves the room politely.
// Thread: main thread only; networking happens on RoomClient's thread.
// Errors: start() fails only for bad configuration (an unresolvable host);
// everything later (refused login, room full, changed server key, no
// answer within the connect timeout) arrives as phase() == kFailed with
// error() saying what happened and what to do.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/clock.h"
#include "engine/core/log.h"
#include "net/annotation_replica.h"
#include "net/room_client.h"
#include "scenes/avatar.h"

namespace mxr::scenes {

struct ServerAddress {
    std::string host;
    std::uint16_t port = 0;
};
// "HOST:PORT" (an IPv6 literal in brackets: "[::1]:7777"); port 1..65535.
Result<ServerAddress> parseServerAddress(const std::string& text);

// Where the client pins server keys (trust on first use):
// $XDG_CONFIG_HOME/mentorxr/known_servers, else
// $HOME/.config/mentorxr/known_servers; empty when neither is set.
std::filesystem::path defaultKnownServersPath();

struct RoomPresenceOptions {
    ServerAddress server;
    std::string room = "demo";
    net::Credentials credentials;
    std::filesystem::path knownServersFile;  // empty: keys are not pinned
    Nanos connectTimeout = msToNanos(10'000);  // to be in the room, else kFailed
    double postRateHz = 45.0;
};

enum class ConnectionPhase { kConnecting, kInRoom, kReconnecting, kFailed };

class RoomPresence {
public:
    static Result<std::unique_ptr<RoomPresence>> start(const RoomPresenceOptions& options, const Clock& clock,
                                                       Logger log);
    // Without a network thread: events are fed through apply() (tests).
    RoomPresence(const RoomPresenceOptions& options, const Clock& clock, Logger log);
    ~RoomPresence();
    RoomPresence(const RoomPresence&) = delete;
    RoomPresence& operator=(const RoomPresence&) = delete;

    // Once per frame: drains the network events, checks the connect
    // deadline and posts `local` (world space) when a post is due.
    void update(const Participant& local);
    // One event from the session (update() calls it for each polled event).
    void apply(const net::ClientEvent& event);

    // Everyone else, as drawn this frame (interpolated at the clock's now).
    std::vector<Participant> participants();

    // Of the last participants(): others fully faded in and named (the
    // presence list has arrived), i.e. what a user would recognise.
    std::size_t visiblePeople() const { return m_visible; }

    ConnectionPhase phase() const { return m_phase; }
    bool everJoined() const { return m_everJoined; }
    // "connecting to HOST:PORT", "in room demo with 3 people",
    // "reconnecting...", "error: ..."
    std::string statusText() const;
    const std::string& error() const { return m_error; }
    std::optional<net::ReplyCode> errorCode() const { return m_errorCode; }
    const std::string& room() const { return m_room; }
    // People in the room, this client included (from the presence list).
    std::size_t people() const { return m_people; }
    std::uint16_t selfId() const { return m_remotes.selfId(); }
    // This client's role as the presence list gives it (none before it arrives).
    std::optional<net::Role> selfRole() const { return m_selfRole; }
    // Avatar states posted (due ones, without a network thread).
    std::uint64_t postedAvatars() const { return m_posted; }

    // Records over ENet (net::RoomClient::sendApiRequest/pollApiResponse).
    // Without a network thread (tests) nothing is sent: nullopt.
    std::optional<std::uint32_t> sendApiRequest(net::ApiMethod method, const std::string& path,
                                                const std::string& body);
    std::optional<net::ApiResponse> pollApiResponse();
    // This person's recording consent (shown to everyone on the avatar) and
    // private talk: asked with `with`, private once both asked for each
    // other (privateWith() then names the other; 0 ends it).
    void setRecordingConsent(bool consent);
    bool recordingConsent() const { return m_consent; }
    void askPrivateTalk(std::uint16_t with);
    std::uint16_t privateAsked() const { return m_privateAsked; }
    std::uint16_t privateWith() const { return m_privateWith; }
    // The room's annotations (net/annotation_replica.h): changes made here
    // go to the host; what the host relays, refuses and snapshots is
    // applied by update(). Without a network thread (tests) changes stay
    // pending until events are fed through apply().
    net::AnnotationReplica& annotations() { return m_annotations; }
    // The procedure step the room is on: set by anyone (at once here, then
    // relayed to everyone), kept by the host for the room's life and sent
    // to those who join; nullopt until someone set one.
    void setProcedureStep(std::uint32_t procedureId, std::uint16_t step);
    const std::optional<net::ProcedureStep>& procedureStep() const { return m_procedureStep; }
    // The connection, for the voice component's audio thread (its voice
    // methods only); null without a network thread (tests).
    net::RoomClient* client() { return m_client.get(); }

private:
    void setFailed(std::string message, std::optional<net::ReplyCode> code);

    RoomPresenceOptions m_options;
    const Clock& m_clock;
    Logger m_log;
    std::unique_ptr<net::RoomClient> m_client;
    net::RemoteAvatars m_remotes;
    net::AnnotationReplica m_annotations;
    std::optional<net::ProcedureStep> m_procedureStep;
    ConnectionPhase m_phase = ConnectionPhase::kConnecting;
    bool m_everJoined = false;
    std::string m_room;
    std::string m_error;
    std::optional<net::ReplyCode> m_errorCode;
    std::size_t m_people = 0;
    std::optional<net::Role> m_selfRole;
    bool m_consent = false;
    std::uint16_t m_privateAsked = 0;
    std::uint16_t m_privateWith = 0;
    std::size_t m_visible = 0;
    Nanos m_startedAt = 0;
    std::optional<Nanos> m_nextPost;
    std::uint64_t m_posted = 0;
    bool m_postedAway = false;
};

// How often an away person's avatar is posted.
inline constexpr Nanos kAwayPostInterval = msToNanos(500);

// The colour a remote person gets: stable for their avatar id.
Vec4 colorForAvatar(std::uint16_t avatarId);
// The local avatar as the wire carries it.
net::AvatarState toAvatarState(const Participant& p);
// A desktop or headless user: the head from the XR system, resting hands
// below and in front of it (turned with the head's yaw) unless tracked.
Participant desktopAvatar(const Pose& head, const Pose* leftGrip, const Pose* rightGrip);

}  // namespace mxr::scenes
