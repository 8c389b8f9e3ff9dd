#pragma once
// The client side for the application: a ClientSession on its own network
// thread, talking to the main thread through bounded SPSC queues
// (engine/core/spsc_queue.h), and RemoteAvatars, which turns the events
// into smoothly moving, named, fading avatars for the renderer.
//
// Threads: RoomClient's public methods are for one thread (the main
// thread), except the voice methods, which are for one other thread (the
// audio thread); its network thread owns the ENet host. Nothing is shared
// but the queues. When the event queue is full, avatar batches are dropped
// (counted) rather than blocking the network thread; other events wait.
#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <thread>

#include "engine/core/spsc_queue.h"
#include "net/client_session.h"
#include "net/interpolator.h"

namespace mxr::net {

class RoomClient {
public:
    // Creates the session (resolves the address) and starts the network thread.
    static Result<std::unique_ptr<RoomClient>> start(ClientConfig config, const Clock& clock, Logger log);
    ~RoomClient();  // leaves the room, joins the thread

    // Main thread. False when the queue is full (the state is dropped; the
    // next one supersedes it).
    bool postAvatar(const AvatarState& state);
    bool moderate(const Moderate& m);
    // Private talk with `with` (0 ends it) and this person's recording
    // consent (ClientSession::askPrivateTalk / setRecordingConsent).
    bool askPrivateTalk(std::uint16_t with);
    bool setRecordingConsent(bool consent);
    // Annotations and the procedure step (ClientSession::sendAnnotation /
    // setProcedureStep); false when the command queue is full.
    bool sendAnnotation(const AnnotationOp& op);
    bool setProcedureStep(std::uint32_t procedureId, std::uint16_t step);
    void leave();
    std::optional<ClientEvent> poll();
    // Records over ENet (ClientSession::sendApiRequest) from the main
    // thread: returns the id its answer will carry, or nullopt when the
    // command queue is full. A request the session cannot send (not in a
    // room yet, reconnecting, path or body over the limits) is answered
    // locally with status 503 or 400 and an {"error"} body.
    std::optional<std::uint32_t> sendApiRequest(ApiMethod method, std::string path, std::string body = {},
                                                std::string idempotencyKey = {});
    // The next answer, in arrival order.
    std::optional<ApiResponse> pollApiResponse();
    std::uint64_t droppedEvents() const { return m_dropped.load(std::memory_order_relaxed); }

    // Voice, for one audio thread apart from the main thread (its own two
    // queues): frames to send (net/voice_frame.h bytes) and loss reports go
    // in; VoiceEvent and VoiceLossEvent come out of pollVoice(), never
    // poll(). Voice never waits: what does not fit is dropped and counted
    // (a late voice frame is worth nothing).
    bool sendVoice(Bytes frame);
    bool reportVoiceLoss(std::uint16_t speaker, std::uint8_t lossPercent);
    std::optional<ClientEvent> pollVoice();
    std::uint64_t droppedVoice() const { return m_droppedVoice.load(std::memory_order_relaxed); }

private:
    struct VoiceLossReport {
        std::uint16_t speaker = 0;
        std::uint8_t lossPercent = 0;
    };
    using VoiceCommand = std::variant<Bytes, VoiceLossReport>;
    struct LeaveCommand {};
    using Command = std::variant<AvatarState, Moderate, LeaveCommand, ApiRequest, PrivateTalk, Consent, AnnotationOp,
                                 ProcedureStep>;
    bool push(Command command);
    RoomClient() : m_commands(256), m_events(1024), m_apiAnswers(64), m_voiceOut(64), m_voiceIn(512) {}
    void run();

    std::unique_ptr<ClientSession> m_session;
    SpscQueue<Command> m_commands;
    SpscQueue<ClientEvent> m_events;
    SpscQueue<ApiResponse> m_apiAnswers;
    SpscQueue<VoiceCommand> m_voiceOut;  // audio thread -> network thread
    SpscQueue<ClientEvent> m_voiceIn;    // network thread -> audio thread
    std::uint32_t m_nextRequestId = 1;  // main thread
    std::atomic<bool> m_running{true};
    std::atomic<std::uint64_t> m_dropped{0};
    std::atomic<std::uint64_t> m_droppedVoice{0};
    std::thread m_thread;
};

// The remote avatars to draw. Feed it every ClientEvent (it keeps what it
// needs); sample() once per frame.
// Thread: one thread (the main thread).
class RemoteAvatars {
public:
    explicit RemoteAvatars(InterpolationConfig config = {}) : m_config(config) {}

    void apply(const ClientEvent& event, Nanos now);

    struct View {
        std::uint16_t avatarId = 0;
        std::string displayName;
        Role role = Role::kGuest;
        bool muted = false;
        bool recordingConsent = false;
        std::uint16_t privateWith = 0;  // in private talk with this avatar
        DisplayedAvatar shown;
    };
    // Everyone else in the room with at least one sample; avatars that left
    // fade out and are then forgotten.
    std::vector<View> sample(Nanos now);
    std::uint16_t selfId() const { return m_self; }

private:
    struct Remote {
        AvatarInterpolator interp;
        PresenceEntry presence;
        bool present = true;
    };
    InterpolationConfig m_config;
    std::uint16_t m_self = 0;
    std::map<std::uint16_t, Remote> m_remotes;
};

}  // namespace mxr::net
