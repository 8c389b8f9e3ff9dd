// ClientApp: the composition root and the frame loop. The loop knows only
// the XR system, the graphics bundle and the component interface; what the
// client does lives in the components (client_components.cpp) and, for
// tests, in the scripted driver (testing/test_driver.cpp).
#include "scenes/client_app.h"

#include <cstdio>
#include <deque>
#include <filesystem>
#include <variant>

#include "client_setup.h"
#include "engine/render/image_io.h"
#include "engine/ui/imgui_layer.h"
#include "net/annotation_replica.h"
#include "scenes/annotation_tools.h"
#include "scenes/ar_view.h"
#include "scenes/client_components.h"
#include "scenes/procedure_component.h"
#include "scenes/workspace.h"
#include "testing/test_driver.h"
#include "xr/xr_system.h"

namespace mxr::scenes {

struct ClientApp::State {
    ClientOptions options;
    Logger log;
    Room room;
    std::unique_ptr<xr::XrSystem> system;
    xr::Graphics* graphics = nullptr;  // owned by the system
    SceneMeshes meshes;
    // The room never changes during a run: built once, copied into each
    // frame's scene (the copy reuses the scene's storage once warm).
    engine::FrameScene roomScene;
    engine::FrameScene scene;
    SteadyClock netClock;  // outlives the components (the presence's network thread reads it)
    SteadyClock clock;
    std::vector<std::unique_ptr<ClientComponent>> components;
    bool immersive = false;
    // See-through (AR, or headless --see-through): no room geometry, a
    // transparent clear; additive also keeps labels and panels legible.
    xr::BlendMode blend = xr::BlendMode::kOpaque;
    // The workspace (file and model read once; meshes made with each bundle).
    std::optional<WorkspaceDef> workspace;
    std::optional<ProcedureDef> procedure;
    std::vector<ModelPart> workspaceModel;
    WorkspaceMeshes workspaceMeshes;
    // Offline with a workspace: the annotations are this client's alone
    // (in a room, RoomPresence::annotations()).
    std::unique_ptr<net::AnnotationReplica> offlineAnnotations;
    std::uint64_t frameLimit = 0;
    std::string screenshot;
    std::optional<UiArea> contentArea;  // desktop: the overlay's top right
    FrameStats stats;
    double animation = 0.0;
    std::uint64_t frame = 0;
    bool counting = false;
    bool stopping = false;
    bool wasIdle = false;         // the last frame was idle (said once per change)
    std::uint64_t idleFrames = 0;
    // After --frames in a headset, the session is ended the OpenXR way
    // (xrRequestExitSession, frames go on until EXITING), bounded.
    bool finishing = false;
    Nanos quitAt = 0;  // when the quit was asked for (--frames, SIGINT/SIGTERM)
    std::optional<engine::ViewInfo> lastView;
    // Device losses survived (their times), and the validation messages
    // counted by devices that are gone.
    std::deque<Nanos> deviceLosses;
    engine::ValidationCounts earlierValidation;

    ~State() {
        // Last added first (the voice's audio thread stops before the
        // presence it sends through), and the room is left before the GPU goes.
        while (!components.empty()) components.pop_back();
        if (system) system->releaseGraphics();
    }
};

namespace {

int fail(const std::string& message, int code) {
    std::fprintf(stderr, "mentorxr: %s\n", message.c_str());
    return code;
}

void printLine(const std::string& line) {
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
}

bool hasAccount(const ClientOptions& o) {
    return o.rooms && !std::holds_alternative<net::GuestLogin>(o.rooms->credentials);
}

// The scripted test driver runs only when a test option asks for it.
bool wantsTestDriver(const ClientOptions& o) {
    return o.awaitPeople || !o.setGoalProgress.empty() || o.sendFeedback || !o.dumpStatePath.empty() ||
           !o.procedureScript.empty();
}

// The room's shared procedure step, through the presence (either side
// advances; the host keeps it for late joiners).
SharedStepLink sharedStepLink(RoomPresence& presence) {
    return {[&presence](const SharedStep& s) { presence.setProcedureStep(s.procedureId, s.step); },
            [&presence]() -> std::optional<SharedStep> {
                const auto& room = presence.procedureStep();
                if (!room) return std::nullopt;
                return SharedStep{room->procedureId, room->step, room->by};
            },
            [&presence] { return presence.selfId(); }};
}

// In a headset the tracked play space is placed in the room: by --camera
// (its floor point and yaw), else by the room's "table" preset, standing.
Result<std::unique_ptr<LocalPlayer>> makeLocalPlayer(const Room& room, const ClientOptions& o, bool seeThrough) {
    CameraChoice start = o.camera;
    if (start.preset.empty() && !start.explicitPose && room.cameras.count("table")) start.preset = "table";
    MXR_TRY_ASSIGN(const xr::CameraRig rig, cameraFor(room, start, o.scenePath));
    LocomotionSettings ls;
    ls.floorHalfExtent = Vec2(room.size.x, room.size.z) * 0.5f;
    ls.enabled = !seeThrough;
    const Vec3 floor(rig.position.x, 0.0f, rig.position.z);
    return std::make_unique<LocalPlayer>(Pose{floor, glm::angleAxis(rig.yaw, Vec3(0, 1, 0))}, ls);
}

// The device, renderer and UI layer (the overlay: the VR panel's image in a
// headset, the window's size on the desktop, none for a stereo pair).
Result<void> createGraphics(ClientApp::State& s) {
    const ClientOptions& o = s.options;
    xr::GraphicsOptions go;
    go.validation = o.validation;
    go.msaa = o.msaa;
    go.provokeValidationError = o.provokeValidationError;
    if (o.ui && (!o.stereo || s.immersive)) {
        const PanelLayout panel = worldPanelLayout(hasAccount(o));
        go.overlayWidth = s.immersive ? panel.widthPx : o.width;
        go.overlayHeight = s.immersive ? panel.heightPx : o.height;
    }
    MXR_TRY_ASSIGN(s.graphics, s.system->createGraphics(go));
    MXR_TRY_ASSIGN(s.meshes, uploadSceneMeshes(s.graphics->renderer()));
    s.roomScene = engine::FrameScene{};
    if (xr::isSeeThrough(s.blend)) {
        appendSeeThroughRoom(s.room, s.roomScene);
    } else {
        appendRoom(s.room, s.meshes, s.roomScene);
    }
    if (s.graphics->ui()) applyUiStyle(s.blend);  // the bundle's UI layer made a new ImGui context
    s.workspaceMeshes.parts.clear();
    for (const auto& part : s.workspaceModel) {
        MXR_TRY_ASSIGN(engine::MeshHandle mesh, s.graphics->renderer().upload(part.mesh));
        s.workspaceMeshes.parts.push_back({mesh, part.transform, part.color});
    }
    return {};
}

Result<void> addComponents(ClientApp& app, ClientApp::State& s, std::unique_ptr<LocalPlayer> player) {
    const ClientOptions& o = s.options;
    auto local = std::make_unique<LocalPlayerComponent>(std::move(player), s.meshes);
    LocalPlayerComponent& self = *local;
    TestDriverTargets targets{local.get()};
    const VoiceComponent* voiceComponent = nullptr;
    const WorkspaceComponent* workspace = nullptr;
    app.add(std::move(local));
    if (s.workspace) {
        auto w = std::make_unique<WorkspaceComponent>(*s.workspace, s.workspaceMeshes, self.player(), *s.system,
                                                      xr::isSeeThrough(s.blend), printLine);
        workspace = w.get();
        app.add(std::move(w));
    }
    if (o.rooms) {
        MXR_TRY_ASSIGN(auto presence, RoomPresence::start(*o.rooms, s.netClock, s.log.child("room")));
        if (o.recordingConsent) presence->setRecordingConsent(true);
        s.log.info(strCat("joining room ", o.rooms->room, " on ", o.rooms->server.host, ":", o.rooms->server.port));
        auto pc = std::make_unique<PresenceComponent>(std::move(presence), s.netClock, self, s.meshes, printLine);
        pc->followWorkspace(workspace);
        targets.presence = pc.get();
        app.add(std::move(pc));
        auto records = std::make_unique<RecordsComponent>(*targets.presence, o.rooms->room, hasAccount(o), printLine);
        targets.records = records.get();
        app.add(std::move(records));
        if (o.voice) {
            VoiceOptions vo = *o.voice;
            vo.peopleWindow = s.graphics->ui() && !s.immersive;
            auto voice = std::make_unique<VoiceComponent>(vo, *targets.presence, self, printLine);
            voiceComponent = voice.get();
            app.add(std::move(voice));
        }
    } else {
        app.add(std::make_unique<DemoPeopleComponent>(s.room, o.avatars, s.meshes));
    }
    // The step card: with a procedure, and in any mentorship room (the room
    // may follow a saved procedure, fetched from the server).
    if (s.procedure || (o.rooms && mentorshipOfRoomName(o.rooms->room))) {
        auto card = std::make_unique<ProcedureCard>(s.clock, o.rooms ? o.rooms->room : std::string(), hasAccount(o));
        if (s.procedure) card->load(*s.procedure);
        if (targets.presence) card->setLink(sharedStepLink(targets.presence->presence()));
        ProcedureComponentOptions po;
        po.window = !s.immersive;
        auto pc = std::make_unique<ProcedureComponent>(std::move(card), targets.presence, workspace, po, printLine);
        if (targets.records) {
            ProcedureComponent* p = pc.get();
            targets.records->setOtherAnswers([p](const net::ApiResponse& r) { return p->onResponse(r); });
        }
        targets.procedure = pc.get();
        app.add(std::move(pc));
    }
    // The annotations over the workspace: the room's, or offline our own.
    if (workspace) {
        net::AnnotationReplica& replica =
            targets.presence ? targets.presence->presence().annotations() : *s.offlineAnnotations;
        auto annotations = std::make_unique<AnnotationComponent>(
            replica, *workspace, WorkspaceSurface(s.workspaceModel, s.workspace->size), s.meshes, s.blend, self.player(),
            printLine);
        if (targets.procedure) annotations->setProcedure(&targets.procedure->card());
        app.add(std::move(annotations));
    }
    RoomStatus status{s.system->name(), s.room.name, targets.presence, o.avatars + (s.immersive ? 1 : 0),
                      voiceComponent};
    if (s.graphics->ui() && s.immersive) {
        xr::XrSystem* system = s.system.get();
        auto haptic = [system](int hand, float amplitude, float seconds) { system->haptic(hand, amplitude, seconds); };
        auto panel = std::make_unique<VrPanelComponent>(worldPanelLayout(hasAccount(o)), hasAccount(o),
                                                        self, status, haptic);
        targets.panel = panel.get();
        app.add(std::move(panel));
    } else if (s.graphics->ui()) {
        app.add(std::make_unique<StatusOverlayComponent>(status));
        s.contentArea = UiArea{std::max(12.0f, float(o.width) - 372.0f), 12.0f};
    }
    if (wantsTestDriver(o)) {
        TestDriverOptions to{o.awaitPeople, o.setGoalProgress, o.sendFeedback, o.dumpStatePath,
                             o.rooms ? o.rooms->connectTimeout : 0, o.ui, o.procedureScript};
        app.add(std::make_unique<TestDriver>(std::move(to), targets, printLine));
    }
    return {};
}

// A lost device is recreated this many times within kDeviceLossWindow;
// one more loss in that window ends the run (a driver that keeps losing
// its device would otherwise loop forever).
constexpr std::size_t kMaxDeviceLosses = 2;
// How long a quitting client waits for the XR runtime to end the session.
constexpr Nanos kExitWait = msToNanos(3e3);
constexpr Nanos kDeviceLossWindow = msToNanos(60e3);

// The graphics bundle (renderer, UI layer, meshes) released and made again,
// keeping the old one's validation counts.
Result<void> remakeGraphics(ClientApp::State& s) {
    const engine::ValidationCounts v = s.graphics->validation();
    s.earlierValidation.errors += v.errors;
    s.earlierValidation.warnings += v.warnings;
    s.system->releaseGraphics();
    s.graphics = nullptr;
    auto made = createGraphics(s);
    if (!made) {
        s.system->releaseGraphics();
        s.graphics = nullptr;
        return tl::unexpected(made.error());
    }
    return {};
}

// A lost device (VK_ERROR_DEVICE_LOST) is recreated with everything on it
// (renderer, UI layer, the scene's meshes; in a headset the OpenXR session
// too), while the components, and with them the room connection, go on
// untouched: the others see no change (ARCHITECTURE.md: the network
// outlives the GPU). Else why not.
std::optional<std::string> recreateGraphics(ClientApp::State& s, const Error& e) {
    const Nanos now = s.clock.now();
    while (!s.deviceLosses.empty() && now - s.deviceLosses.front() > kDeviceLossWindow) s.deviceLosses.pop_front();
    if (s.deviceLosses.size() >= kMaxDeviceLosses) {
        return strCat("lost ", s.deviceLosses.size() + 1, " times within a minute");
    }
    s.deviceLosses.push_back(now);
    s.log.warn(strCat("the GPU device was lost (", e.message, "); recreating the renderer"));
    if (auto made = remakeGraphics(s); !made) return strCat("a new renderer cannot be made: ", made.error().message);
    printLine(strCat("renderer recreated after a lost GPU device (", s.graphics->deviceName(), ")"));
    return std::nullopt;
}

// The headset came back on another GPU after a session loss: the bundle is
// made again there (renderer, UI layer, meshes; the new session with it)
// while the components, and with them the room, go on. Else why not.
std::optional<std::string> moveToNewGpu(ClientApp::State& s) {
    if (auto made = remakeGraphics(s); !made) {
        return strCat("the renderer cannot be made on the headset's new GPU: ", made.error().message);
    }
    printLine(strCat("renderer recreated on the headset's GPU (", s.graphics->deviceName(), ")"));
    return std::nullopt;
}

// A GPU failure ends the run, except a lost device that can be recreated
// (nullopt: go on). Ending says why and that the room is left: the
// components (the presence with its network thread) are destroyed before
// the graphics, so the others see a clean leave, never a timeout.
std::optional<int> gpuFailure(ClientApp::State& s, const Error& e) {
    if (e.code != ErrorCode::kDeviceLost) return fail(e.message, 1);
    const auto why = recreateGraphics(s, e);
    if (!why) return std::nullopt;
    const std::string room = s.options.rooms ? strCat("; leaving room ", s.options.rooms->room) : std::string();
    return fail(strCat("the GPU device was lost (", e.message, "), ", *why, ": rendering cannot go on", room), 1);
}

std::optional<int> writeScreenshots(ClientApp::State& s, const xr::FrameState& f) {
    auto img = s.system->captureFrame(f, 0);
    if (!img) return fail(img.error().message, 1);
    if (auto w = engine::writePng(s.screenshot, *img); !w) return fail(w.error().message, 1);
    std::printf("screenshot: %s\n", std::filesystem::absolute(s.screenshot).c_str());
    if (f.views.size() == 2) {
        const auto right = std::filesystem::path(s.screenshot).replace_extension("").string() + "-right.png";
        auto img2 = s.system->captureFrame(f, 1);
        if (img2 && engine::writePng(right, *img2)) {
            std::printf("screenshot: %s\n", std::filesystem::absolute(right).c_str());
        }
    }
    return std::nullopt;
}

// The UI layer's frame (each component's UI), then each component's part
// of the scene.
void buildScene(ClientApp::State& s, const FrameContext& ctx) {
    s.scene = s.roomScene;
    if (engine::UiLayer* ui = s.graphics->ui()) {
        UiContext uc{static_cast<float>(ctx.deltaSeconds), s.stats, s.contentArea};
        uc.noteText = [ui](std::string_view text) { ui->noteText(text); };
        ui->frame(uc.deltaSeconds, [&] {
            for (auto& c : s.components) c->drawUi(uc);
        });
    }
    for (auto& c : s.components) c->contribute(ctx, s.scene);
    if (s.blend == xr::BlendMode::kAdditive) makeLegibleOnAdditive(s.scene);
    // Panels show the same names as the labels: their characters go into
    // the UI's font atlas (from the next frame on), like the text panels
    // note themselves (UiContext::noteText).
    if (engine::UiLayer* ui = s.graphics->ui()) {
        for (const auto& l : s.scene.labels) ui->noteText(l.text);
    }
}

// Nobody sees this frame (the headset is off or asleep, or the session is
// between states): the room, voice and exit requests are serviced, but no
// scene or UI is built and the frame does not count towards --frames.
std::optional<int> idleFrame(ClientApp::State& s, FrameContext& ctx, const xr::FrameState& f) {
    if (!s.wasIdle) printLine("headset: idle; not drawing, shown to the room as away");
    s.wasIdle = true;
    ++s.idleFrames;
    for (auto& c : s.components) c->update(ctx);
    if (auto e = s.system->endFrame(f); !e) return gpuFailure(s, e.error());
    if (ctx.exitRequest()) return fail(ctx.exitRequest()->message, ctx.exitRequest()->code);
    return std::nullopt;
}

// One frame: nullopt to go on, else the exit code to end with.
std::optional<int> runFrame(ClientApp::State& s) {
    const Nanos cpuStart = s.clock.now();
    auto f = s.system->beginFrame();
    if (!f) return gpuFailure(s, f.error());
    s.animation += f->deltaSeconds;
    const double t = s.options.animationTime >= 0.0 ? s.options.animationTime : s.animation;
    FrameContext ctx{s.system->input(), f->deltaSeconds, t, f->views};
    ctx.idle = f->idle;
    if (f->idle) return idleFrame(s, ctx, *f);
    if (s.wasIdle) printLine("headset: back; drawing again");
    s.wasIdle = false;
    const bool counted = s.counting;
    const bool last = counted && !s.finishing && s.frameLimit && s.frame + 1 >= s.frameLimit;
    for (auto& c : s.components) c->update(ctx);
    if (!s.counting && !ctx.holding()) s.counting = true;
    buildScene(s, ctx);
    if (!f->views.empty()) s.lastView = f->views[0];
    std::optional<int> stop;
    if (f->shouldRender) {
        if (auto d = s.graphics->renderer().drawFrame(s.scene, f->views, f->target); !d) {
            return gpuFailure(s, d.error());
        }
        if (last && !s.screenshot.empty()) stop = writeScreenshots(s, *f);
    }
    if (auto e = s.system->endFrame(*f); !e) return gpuFailure(s, e.error());
    if (ctx.exitRequest()) return fail(ctx.exitRequest()->message, ctx.exitRequest()->code);
    if (stop || s.finishing) return stop;
    s.stats.cpuMs = nanosToSeconds(s.clock.now() - cpuStart) * 1e3;
    s.stats.frameMs = f->deltaSeconds * 1e3;
    if (counted) ++s.frame;
    if (!last) return std::nullopt;
    if (!s.immersive) return 0;
    if (!s.stopping) {
        s.quitAt = s.clock.now();
        s.system->requestQuit();
    }
    s.stopping = s.finishing = true;
    return std::nullopt;
}

int finish(ClientApp::State& s, int exitCode) {
    std::fflush(stdout);
    engine::ValidationCounts v = s.earlierValidation;
    if (s.graphics) {
        (void)s.graphics->renderer().waitIdle();
        v.errors += s.graphics->validation().errors;
        v.warnings += s.graphics->validation().warnings;
    }
    if (s.options.validation && (v.errors || v.warnings)) {
        std::fprintf(stderr, "mentorxr: Vulkan validation reported %u errors and %u warnings\n", v.errors, v.warnings);
        if (exitCode == 0) exitCode = 3;
    }
    ShutdownContext end{s.frame, s.system->name(), s.lastView, exitCode};
    for (auto& c : s.components) c->shutdown(end);
    s.log.info(strCat("rendered ", s.frame, " frames"));
    return end.exitCode;
}

}  // namespace

ClientApp::ClientApp(std::unique_ptr<State> state) : m_state(std::move(state)) {}
ClientApp::~ClientApp() = default;

void ClientApp::add(std::unique_ptr<ClientComponent> component) { m_state->components.push_back(std::move(component)); }

Result<std::unique_ptr<ClientApp>> ClientApp::create(const ClientOptions& o, Logger log) {
    auto s = std::make_unique<State>();
    s->options = o;
    s->log = log;
    MXR_TRY_ASSIGN(const xr::Mode mode, xr::parseMode(o.mode));
    MXR_TRY_ASSIGN(s->room, loadRoom(o.scenePath));
    MXR_TRY_ASSIGN(const xr::CameraRig rig, cameraFor(s->room, o.camera, o.scenePath));
    if (o.avatars > 256) return makeError(ErrorCode::kInvalidArgument, "--avatars: at most 256");
    MXR_TRY_ASSIGN(s->system, makeSystem(o, mode, rig, log));
    const std::string name = s->system->name();
    s->immersive = name == "vr" || name == "ar";
    s->blend = s->system->blendMode();
    log.info(strCat("mode: ", name, xr::isSeeThrough(s->blend) ? strCat(" (", xr::toString(s->blend), ")") : "",
                    "; room: ", s->room.name));
    // The workspace: asked for, or the demo bench in AR offline.
    const std::string workspace = !o.workspacePath.empty()                                   ? o.workspacePath
                                  : name == "ar" && !o.rooms && !o.defaultWorkspacePath.empty() ? o.defaultWorkspacePath
                                                                                                : std::string();
    if (!workspace.empty()) {
        MXR_TRY_ASSIGN(s->workspace, loadWorkspace(workspace));
        if (!s->workspace->modelPath.empty()) {
            MXR_TRY_ASSIGN(s->workspaceModel, loadGltfModel(s->workspace->modelPath));
        }
        log.info(strCat("workspace: ", s->workspace->name, " (", workspace, ")"));
        if (!o.rooms) {
            // Offline the client is the only author (and may change all).
            s->offlineAnnotations = std::make_unique<net::AnnotationReplica>();
            s->offlineAnnotations->setSelf(1, true);
            MXR_TRY(addWorkspaceAnnotations(*s->offlineAnnotations, *s->workspace, workspace));
        }
    }
    // The procedure: given, or the demo bench's in AR offline.
    s->procedure = o.procedure;
    if (!s->procedure && name == "ar" && !o.rooms && !o.defaultProcedurePath.empty()) {
        MXR_TRY_ASSIGN(s->procedure, loadProcedure(o.defaultProcedurePath));
    }
    if (s->procedure) log.info(strCat("procedure: ", s->procedure->title, " (", s->procedure->steps.size(), " steps)"));
    std::unique_ptr<LocalPlayer> player;
    if (s->immersive) {
        MXR_TRY_ASSIGN(player, makeLocalPlayer(s->room, o, xr::isSeeThrough(s->blend)));
    }
    MXR_TRY(createGraphics(*s));
    const bool headless = name == "headless";
    s->frameLimit = o.frames ? *o.frames : (headless ? 90 : 0);
    // Offline every frame counts; with a server, from the frame after the
    // components stop holding (joined, and what a test awaits is there).
    s->counting = !o.rooms;
    s->screenshot = o.screenshotPath.empty() && headless ? "mentorxr-screenshot.png" : o.screenshotPath;
    std::unique_ptr<ClientApp> app(new ClientApp(std::move(s)));
    MXR_TRY(addComponents(*app, *app->m_state, std::move(player)));
    return app;
}

int ClientApp::run() {
    State& s = *m_state;
    while (s.system->pollEvents()) {
        // However the quit came (--frames, a signal), a runtime that never
        // walks the session down to EXITING is waited for at most this long.
        if (s.stopping && s.clock.now() - s.quitAt > kExitWait) {
            s.log.warn(strCat("the XR runtime did not end the session within ", nanosToSeconds(kExitWait),
                              " s; leaving anyway"));
            break;
        }
        if (s.system->graphicsInvalid()) {
            if (auto why = moveToNewGpu(s)) return finish(s, fail(*why, 1));
        }
        if (!s.stopping && s.options.stopRequested && s.options.stopRequested->load()) {
            s.log.info("stop requested; ending the session");
            s.quitAt = s.clock.now();
            s.system->requestQuit();
            s.stopping = true;
        }
        if (auto code = runFrame(s)) return finish(s, *code);
    }
    // The runtime failed (instance lost, the session could not begin or
    // end): said, and exit 1; the components (the room) are left cleanly.
    if (auto f = s.system->failure()) {
        const std::string room = s.options.rooms ? strCat("; leaving room ", s.options.rooms->room) : std::string();
        return finish(s, fail(strCat(f->message, room), 1));
    }
    return finish(s, 0);
}

int runClient(const ClientOptions& options, Logger logger) {
    auto app = ClientApp::create(options, std::move(logger));
    if (!app) return fail(app.error().message, 2);
    return (*app)->run();
}

}  // namespace mxr::scenes
