#include "scenes/client_app.h"

#include <imgui.h>

#include <algorithm>
#include <cfloat>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <variant>

#include "engine/render/image_io.h"
#include "engine/ui/imgui_layer.h"
#include "scenes/avatar.h"
#include "records_panel_ui.h"
#include "scenes/local_player.h"
#include "scenes/records_panel.h"
#include "scenes/room_presence.h"
#include "scenes/world_panel.h"
#include "xr/xr_system.h"

namespace mxr::scenes {

Result<CameraChoice> parseCamera(const std::string& text) {
    CameraChoice c;
    if (text.find(',') == std::string::npos) {
        c.preset = text;
        return c;
    }
    std::stringstream ss(text);
    std::string part;
    float v[5];
    int n = 0;
    while (std::getline(ss, part, ',')) {
        if (n == 5) break;
        try {
            std::size_t used = 0;
            v[n] = std::stof(part, &used);
            if (used != part.size()) throw std::invalid_argument(part);
        } catch (const std::exception&) {
            return makeError(ErrorCode::kInvalidArgument, strCat("--camera: \"", part, "\" is not a number"));
        }
        ++n;
    }
    if (n != 5 || std::getline(ss, part, ',')) {
        return makeError(ErrorCode::kInvalidArgument, "--camera: expected x,y,z,yaw_deg,pitch_deg or a preset name");
    }
    c.explicitPose = CameraPreset{Vec3(v[0], v[1], v[2]), glm::radians(v[3]), glm::radians(v[4])};
    return c;
}

namespace {

// The wearer's own hands: neutral, so they read as "mine" against the palette.
constexpr Vec4 kSelfColor{0.85f, 0.78f, 0.7f, 1.0f};

struct Stats {
    double cpuMs = 0.0;
    double frameMs = 0.0;
};

Result<xr::CameraRig> cameraFor(const Room& room, const CameraChoice& choice, const std::string& roomSource) {
    xr::CameraRig rig;
    CameraPreset preset;
    if (choice.explicitPose) {
        preset = *choice.explicitPose;
    } else {
        const std::string name = choice.preset.empty() ? "overview" : choice.preset;
        auto it = room.cameras.find(name);
        if (it == room.cameras.end()) {
            if (!choice.preset.empty()) {
                std::string known;
                for (const auto& [k, v] : room.cameras) known += (known.empty() ? "" : ", ") + k;
                return makeError(ErrorCode::kInvalidArgument,
                                 strCat("--camera ", name, ": ", roomSource, " has no such camera (it has: ",
                                        known.empty() ? "none" : known, ")"));
            }
        } else {
            preset = it->second;
        }
    }
    rig.position = preset.position;
    rig.yaw = preset.yawRadians;
    rig.pitch = preset.pitchRadians;
    return rig;
}

Result<std::unique_ptr<xr::XrSystem>> makeSystem(const ClientOptions& o, xr::Mode mode, const xr::CameraRig& rig,
                                                 Logger& log) {
    if (mode == xr::Mode::kAr) {
        return makeError(ErrorCode::kUnavailable,
                         "--mode ar is not available yet (use --mode vr, desktop or headless)");
    }
    xr::OpenXrOptions xo;
    if (o.xrVulkan == "enable2") {
        xo.vulkanBinding = xr::VulkanBinding::kEnable2;
    } else if (o.xrVulkan == "enable") {
        xo.vulkanBinding = xr::VulkanBinding::kEnable;
    } else if (o.xrVulkan != "auto") {
        return makeError(ErrorCode::kInvalidArgument,
                         strCat("--xr-vulkan ", o.xrVulkan, ": expected auto, enable2 or enable"));
    }
    if (mode == xr::Mode::kVr) return xr::makeOpenXrSystem(xo, log.child("openxr"));
    if (mode == xr::Mode::kAuto) {
        auto vr = xr::makeOpenXrSystem(xo, log.child("openxr"));
        if (vr) return vr;
        log.info(strCat("no VR: ", vr.error().message, "; trying a window"));
        if (auto probe = engine::Window::probeDisplay(); probe) {
            mode = xr::Mode::kDesktop;
        } else {
            log.info(strCat("no window: ", probe.error().message, "; running headless"));
            mode = xr::Mode::kHeadless;
        }
    }
    if (mode == xr::Mode::kDesktop) {
        xr::DesktopOptions d;
        d.width = o.width;
        d.height = o.height;
        d.vsync = o.vsync;
        d.camera = rig;
        return xr::makeDesktopSystem(d, log.child("desktop"));
    }
    xr::HeadlessOptions h;
    h.width = o.width;
    h.height = o.height;
    h.stereo = o.stereo;
    h.camera = rig;
    return xr::makeHeadlessSystem(h, log.child("headless"));
}

void buildUi(const Stats& stats, const std::string& systemName, const std::string& roomName, std::size_t people,
             const std::string& connection) {
    ImGui::SetNextWindowPos(ImVec2(12, 12), ImGuiCond_Always);
    ImGui::SetNextWindowBgAlpha(0.7f);
    ImGui::Begin("MentorXR", nullptr,
                 ImGuiWindowFlags_NoResize | ImGuiWindowFlags_AlwaysAutoResize | ImGuiWindowFlags_NoMove |
                     ImGuiWindowFlags_NoSavedSettings);
    ImGui::Text("%s", roomName.c_str());
    ImGui::Text("Mode: %s", systemName.c_str());
    ImGui::Text("Frame: %.2f ms  (CPU %.2f ms)", stats.frameMs, stats.cpuMs);
    ImGui::Text("Connection: %s", connection.c_str());
    ImGui::Text("People in room: %zu", people);
    ImGui::End();
}

// The VR panel's top part is the status and the hand button; logged in
// with an account it grows downwards by the Mentorship section (same pixels
// per metre), hanging a little lower so the whole of it is in reach.
constexpr std::uint32_t kMentorshipPanelPx = 384;

bool hasAccount(const ClientOptions& o) {
    return o.rooms && !std::holds_alternative<net::GuestLogin>(o.rooms->credentials);
}

PanelLayout worldPanelLayout(const ClientOptions& o) {
    PanelLayout layout;
    if (!hasAccount(o)) return layout;
    const float metresPerPx = layout.sizeMetres.y / float(layout.heightPx);
    layout.heightPx += kMentorshipPanelPx;
    layout.sizeMetres.y = metresPerPx * float(layout.heightPx);
    layout.inStage.position.y = 1.2f;
    return layout;
}

nlohmann::json toJson(const Pose& p) {
    return {{"position", {p.position.x, p.position.y, p.position.z}},
            {"orientation", {p.orientation.x, p.orientation.y, p.orientation.z, p.orientation.w}}};
}

// What a user (or a test) can check after a run: where the wearer's avatar
// and play space ended up, and what the panel saw.
Result<void> writeState(const std::string& path, std::uint64_t frames, const std::string& mode,
                        const LocalPlayer* player, const WorldPanel* panel, const nlohmann::json& extra) {
    nlohmann::json j = extra;
    j["frames"] = frames;
    j["mode"] = mode;
    if (player) {
        const Participant me = player->avatar("me", Vec4(1.0f));
        const Pose& origin = player->worldFromStage();
        const Vec3 fwd = origin.orientation * Vec3(0, 0, -1);
        j["play_space"] = {{"position", {origin.position.x, origin.position.y, origin.position.z}},
                           {"yaw_deg", glm::degrees(std::atan2(-fwd.x, -fwd.z))}};
        j["local_avatar"] = {{"head", toJson(me.head)}, {"hands", {toJson(me.hands[0]), toJson(me.hands[1])}}};
        nlohmann::json joints = nlohmann::json::array();
        for (int h = 0; h < 2; ++h) {
            const auto& hj = player->lastInput().joints[h];
            nlohmann::json list = nlohmann::json::array();
            if (hj.valid) {
                for (const Pose& jp : hj.poses) list.push_back(toJson(player->toWorld(jp))["position"]);
            }
            joints.push_back(list);
        }
        j["local_avatar"]["hand_joints"] = joints;
        j["teleports"] = player->teleports();
        j["snap_turns"] = player->snapTurns();
    }
    if (panel) {
        j["panel"] = {{"visible", panel->visible()}, {"hovered", panel->hovered()}, {"presses", panel->presses()},
                      {"toggled", panel->toggled()}};
    }
    std::ofstream out(path);
    out << j.dump(2) << "\n";
    if (!out) return makeError(ErrorCode::kIo, strCat("--dump-state: cannot write ", path));
    return {};
}

}  // namespace

int runClient(const ClientOptions& o, Logger log) {
    auto fail = [&](const Error& e, int code) {
        std::fprintf(stderr, "mentorxr: %s\n", e.message.c_str());
        return code;
    };
    auto modeR = xr::parseMode(o.mode);
    if (!modeR) return fail(modeR.error(), 2);
    auto roomR = loadRoom(o.scenePath);
    if (!roomR) return fail(roomR.error(), 2);
    const Room& room = *roomR;
    auto rigR = cameraFor(room, o.camera, o.scenePath);
    if (!rigR) return fail(rigR.error(), 2);
    if (o.avatars > 256) return fail(Error{ErrorCode::kInvalidArgument, 0, "--avatars: at most 256"}, 2);

    auto systemR = makeSystem(o, *modeR, *rigR, log);
    if (!systemR) return fail(systemR.error(), 2);
    xr::XrSystem& system = **systemR;
    const bool headless = std::string(system.name()) == "headless";
    const bool immersive = std::string(system.name()) == "vr" || std::string(system.name()) == "ar";
    log.info(strCat("mode: ", system.name(), "; room: ", room.name));

    // In a headset the tracked play space is placed in the room: by --camera
    // (its floor point and yaw), else by the room's "table" preset, standing.
    std::unique_ptr<LocalPlayer> player;
    std::unique_ptr<WorldPanel> panel;
    if (immersive) {
        CameraChoice start = o.camera;
        if (start.preset.empty() && !start.explicitPose && room.cameras.count("table")) start.preset = "table";
        auto startRig = cameraFor(room, start, o.scenePath);
        if (!startRig) return fail(startRig.error(), 2);
        LocomotionSettings ls;
        ls.floorHalfExtent = Vec2(room.size.x, room.size.z) * 0.5f;
        const Vec3 floor(startRig->position.x, 0.0f, startRig->position.z);
        player = std::make_unique<LocalPlayer>(Pose{floor, glm::angleAxis(startRig->yaw, Vec3(0, 1, 0))}, ls);
        panel = std::make_unique<WorldPanel>(worldPanelLayout(o));
    }

    auto gpuR = system.createGpu(engine::VulkanRenderer::requirements(), o.validation);
    if (!gpuR) return fail(gpuR.error(), 2);
    engine::VulkanRenderer::Options ro;
    ro.msaa = o.msaa ? static_cast<VkSampleCountFlagBits>(o.msaa) : engine::VulkanRenderer::defaultMsaa(**gpuR);
    // In a headset the UI is the world-space panel (scenes/README.md).
    const bool ui = o.ui && (!o.stereo || immersive);
    if (ui) ro.overlayExtent = immersive ? VkExtent2D{panel->layout().widthPx, panel->layout().heightPx}
                                         : VkExtent2D{o.width, o.height};
    auto rendererR = engine::VulkanRenderer::create(**gpuR, ro, log.child("render"));
    if (!rendererR) return fail(rendererR.error(), 2);
    engine::VulkanRenderer& renderer = **rendererR;
    if (auto a = system.attach(renderer); !a) return fail(a.error(), 2);
    // Swapchains and targets go before the renderer and device, however we leave.
    struct Detach {
        xr::XrSystem& s;
        ~Detach() { s.detach(); }
    } detachOnExit{system};
    auto meshesR = uploadSceneMeshes(renderer);
    if (!meshesR) return fail(meshesR.error(), 2);
    std::unique_ptr<engine::ImGuiLayer> imgui;
    if (ui) {
        auto l = engine::ImGuiLayer::create(renderer, system.window(), ro.overlayExtent);
        if (!l) return fail(l.error(), 2);
        imgui = std::move(*l);
    }

    const std::uint64_t frameLimit = o.frames ? *o.frames : (headless ? 90 : 0);
    std::string screenshot = o.screenshotPath;
    if (screenshot.empty() && headless) screenshot = "mentorxr-screenshot.png";

    // The shared room: the clock outlives the presence (its network thread reads it).
    SteadyClock netClock;
    std::unique_ptr<RoomPresence> presence;
    if (o.rooms) {
        auto pr = RoomPresence::start(*o.rooms, netClock, log.child("room"));
        if (!pr) return fail(pr.error(), 2);
        presence = std::move(*pr);
        log.info(strCat("joining room ", o.rooms->room, " on ", o.rooms->server.host, ":", o.rooms->server.port));
    }
    // With a server, frames count from joining (and, for tests, from when
    // --await-people others are fully visible), so a screenshot shows the room.
    bool counting = presence == nullptr;
    std::optional<Nanos> joinedAt;
    std::optional<ConnectionPhase> printedPhase;
    std::uint64_t framesReconnecting = 0;  // the room goes on being drawn meanwhile
    std::vector<Participant> people;
    // The Mentorship panel (goals, feedback): only with a server; guests
    // are told that records need an account.
    const bool account = hasAccount(o);
    RecordsPanel records(o.rooms ? o.rooms->room : std::string(), account, o.rooms.has_value());
    RecordsUiState recordsUi;
    const bool scripted = !o.setGoalProgress.empty() || o.sendFeedback.has_value();
    bool scriptSent = !scripted;
    const RecordsPanel::Sender sendRecords = [&](net::ApiMethod m, const std::string& path, const std::string& body) {
        return presence ? presence->sendApiRequest(m, path, body) : std::nullopt;
    };
    std::optional<engine::ViewInfo> lastView;
    Participant lastLocal;

    // The room never changes during a run: built once, copied into each
    // frame's scene (the copy reuses the scene's storage once warm).
    engine::FrameScene roomScene;
    appendRoom(room, *meshesR, roomScene);
    engine::FrameScene scene;
    Stats stats;
    SteadyClock clock;
    double animation = 0.0;
    std::uint64_t frame = 0;
    int exitCode = 0;
    bool stopping = false;
    // After --frames in a headset, the session is ended the OpenXR way
    // (xrRequestExitSession, frames go on until EXITING), bounded.
    bool finishing = false;
    int finishingFrames = 0;
    while (system.pollEvents()) {
        if (finishing && ++finishingFrames > 200) {
            log.warn("the XR runtime did not end the session; leaving anyway");
            break;
        }
        if (!stopping && o.stopRequested && o.stopRequested->load()) {
            log.info("stop requested; ending the session");
            system.requestQuit();
            stopping = true;
        }
        if (presence && presence->phase() == ConnectionPhase::kFailed && !presence->everJoined()) {
            exitCode = fail(Error{ErrorCode::kUnavailable, 0, presence->error()}, 2);
            break;
        }
        if (presence && !counting && joinedAt && netClock.now() - *joinedAt > o.rooms->connectTimeout) {
            const std::string why =
                presence->visiblePeople() < o.awaitPeople
                    ? strCat("--await-people ", o.awaitPeople, ": only ", presence->visiblePeople(),
                             " other people became visible in room ", presence->room())
                    : strCat("the records requests (--set-goal-progress, --send-feedback) got no answer in room ",
                             presence->room());
            exitCode = fail(Error{ErrorCode::kUnavailable, 0,
                                  strCat(why, " within ", nanosToSeconds(o.rooms->connectTimeout), " s of joining")},
                            1);
            break;
        }
        const Nanos cpuStart = clock.now();
        auto f = system.beginFrame();
        if (!f) {
            exitCode = fail(f.error(), 1);
            break;
        }
        animation += f->deltaSeconds;
        const double t = o.animationTime >= 0.0 ? o.animationTime : animation;
        const bool countedFrame = counting;
        const bool last = countedFrame && !finishing && frameLimit && frame + 1 >= frameLimit;

        scene = roomScene;
        if (!presence) people = demoParticipants(room, o.avatars, t);
        scene.drawOverlay = imgui != nullptr && !panel;  // the VR panel sets it when shown
        scene.overlayQuad.reset();
        if (player) {
            player->update(system.input());
            // The views were located in stage space; the room sees them
            // through the play space (the runtime keeps its own stage poses).
            player->toWorld(f->views);
            player->appendSelf(*meshesR, kSelfColor, scene);
        }
        if (presence) {
            const auto& in = system.input();
            lastLocal = player ? player->avatar("", kSelfColor)
                               : desktopAvatar(in.head, in.hands[0].tracked ? &in.hands[0].grip : nullptr,
                                               in.hands[1].tracked ? &in.hands[1].grip : nullptr);
            presence->update(lastLocal);
            people = presence->participants();
            // Each change of phase is one line on stdout, as the screenshot
            // path is: for a user at a terminal and for tests.
            if (presence->phase() == ConnectionPhase::kReconnecting) ++framesReconnecting;
            if (!printedPhase || *printedPhase != presence->phase()) {
                printedPhase = presence->phase();
                std::printf("connection: %s\n", presence->statusText().c_str());
                std::fflush(stdout);
            }
            if (presence->everJoined() && !joinedAt) joinedAt = netClock.now();
            if (auto role = presence->selfRole()) records.setSelfRole(*role);
            while (auto answer = presence->pollApiResponse()) records.onResponse(*answer);
            records.update(presence->phase() == ConnectionPhase::kInRoom, sendRecords);
            if (!scriptSent && records.phase() == RecordsPhase::kGuest) {
                std::printf("records: not sent: %s\n", records.statusText().c_str());
                scriptSent = true;
            } else if (!scriptSent && records.phase() == RecordsPhase::kReady &&
                       (!o.sendFeedback || presence->selfRole())) {
                // Loaded (and the presence list says who we are), so the
                // feedback's session and default subject are known.
                for (const auto& [goal, percent] : o.setGoalProgress) records.saveProgress(goal, percent);
                if (o.sendFeedback) {
                    // The form shows what was sent, as if typed in.
                    recordsUi.draft = *o.sendFeedback;
                    const std::string& t = o.sendFeedback->text;
                    t.copy(recordsUi.text.data(), std::min(t.size(), recordsUi.text.size() - 1));
                    records.submitFeedback(*o.sendFeedback);
                }
                records.update(true, sendRecords);
                scriptSent = true;
            }
            for (const auto& line : records.takeAnnouncements()) {
                std::printf("%s\n", line.c_str());
                std::fflush(stdout);
            }
            if (!counting && presence->everJoined()) {
                counting = presence->visiblePeople() >= o.awaitPeople && scriptSent && !records.busy();
            }
        }
        for (const auto& p : people) appendAvatar(p, *meshesR, scene);
        if (!f->views.empty()) lastView = f->views[0];
        const std::string connection = presence ? presence->statusText() : "offline (no server)";
        const std::size_t headcount = presence ? presence->people() : o.avatars + (immersive ? 1 : 0);
        if (imgui && panel) {
            // The laser is the panel's mouse: where it meets the panel, and
            // the right select as the left button.
            panel->menuButton(system.input().menu);
            panel->aim(player->toWorld(panel->layout().inStage), player->aimWorld(), player->aimTracked());
            ImGuiIO& io = ImGui::GetIO();
            const auto pointer = panel->pointerPixels();
            io.MousePos = pointer ? ImVec2(pointer->x, pointer->y) : ImVec2(-FLT_MAX, -FLT_MAX);
            io.MouseDown[0] = pointer && system.input().hands[1].select;
            PanelUi result;
            imgui->frame(static_cast<float>(f->deltaSeconds), [&] {
                PanelLayout top = panel->layout();
                top.heightPx -= account ? kMentorshipPanelPx : 0;
                result = buildPanelUi(top, panel->toggled(), system.name(), room.name, headcount, connection);
                if (account) {
                    buildRecordsUi(records, recordsUi,
                                   RecordsUiPlacement{0.0f, float(top.heightPx), float(top.widthPx),
                                                      float(kMentorshipPanelPx), 1.5f});
                }
            });
            const PanelFeedback fb = panel->uiResult(result.buttonHovered, result.clicked);
            if (fb.hoverEntered) system.haptic(1, 0.3f, 0.02f);
            if (fb.pressed) system.haptic(1, 0.8f, 0.06f);
            panel->append(scene);
        } else if (imgui) {
            imgui->frame(static_cast<float>(f->deltaSeconds), [&] {
                buildUi(stats, system.name(), room.name, headcount, connection);
                if (presence) {
                    const float right = std::max(12.0f, float(o.width) - 372.0f);
                    buildRecordsUi(records, recordsUi, RecordsUiPlacement{right, 12.0f});
                }
            });
        }
        if (f->shouldRender) {
            if (auto d = renderer.drawFrame(scene, f->views, f->target); !d) {
                // Device loss ends rendering cleanly; nothing else runs yet.
                exitCode = fail(d.error(), 1);
                break;
            }
            if (last && !screenshot.empty()) {
                auto img = system.captureFrame(*f, 0);
                if (!img) {
                    exitCode = fail(img.error(), 1);
                } else if (auto w = engine::writePng(screenshot, *img); !w) {
                    exitCode = fail(w.error(), 1);
                } else {
                    std::printf("screenshot: %s\n", std::filesystem::absolute(screenshot).c_str());
                }
                if (f->views.size() == 2 && exitCode == 0) {
                    const auto right = std::filesystem::path(screenshot).replace_extension("").string() + "-right.png";
                    auto img2 = system.captureFrame(*f, 1);
                    if (img2 && engine::writePng(right, *img2)) {
                        std::printf("screenshot: %s\n", std::filesystem::absolute(right).c_str());
                    }
                }
            }
        }
        if (auto e = system.endFrame(*f); !e) {
            exitCode = fail(e.error(), 1);
            break;
        }
        if (finishing) continue;
        stats.cpuMs = nanosToSeconds(clock.now() - cpuStart) * 1e3;
        stats.frameMs = f->deltaSeconds * 1e3;
        if (countedFrame) ++frame;
        if (exitCode != 0) break;
        if (last) {
            if (!immersive) break;
            if (!stopping) system.requestQuit();
            stopping = finishing = true;
        }
    }
    std::fflush(stdout);
    imgui.reset();
    (void)renderer.waitIdle();
    const auto& v = (*gpuR)->validation();
    if (o.validation && (v.errors.load() || v.warnings.load())) {
        std::fprintf(stderr, "mentorxr: Vulkan validation reported %u errors and %u warnings\n", v.errors.load(),
                     v.warnings.load());
        if (exitCode == 0) exitCode = 3;
    }
    if (!o.dumpStatePath.empty()) {
        nlohmann::json extra = nlohmann::json::object();
        if (lastView) {
            const Fov& fov = lastView->fov;
            extra["view"] = toJson(lastView->pose);
            extra["view"]["fov"] = {fov.angleLeft, fov.angleRight, fov.angleUp, fov.angleDown};
        }
        if (presence) {
            extra["connection"] = {{"status", presence->statusText()},
                                   {"room", presence->room()},
                                   {"people", presence->people()},
                                   {"self_id", presence->selfId()},
                                   {"posted_avatars", presence->postedAvatars()},
                                   {"frames_reconnecting", framesReconnecting}};
            extra["sent_avatar"] = {{"head", toJson(lastLocal.head)},
                                    {"hands", {toJson(lastLocal.hands[0]), toJson(lastLocal.hands[1])}}};
            nlohmann::json remotes = nlohmann::json::array();
            for (const auto& p : people) {
                remotes.push_back({{"name", p.name},
                                   {"color", {p.color.r, p.color.g, p.color.b}},
                                   {"opacity", p.opacity},
                                   {"head", toJson(p.head)},
                                   {"label_anchor", {labelAnchor(p).x, labelAnchor(p).y, labelAnchor(p).z}},
                                   {"hands", {toJson(p.hands[0]), toJson(p.hands[1])}}});
            }
            extra["remote_avatars"] = remotes;
            nlohmann::json goals = nlohmann::json::array();
            for (const auto& g : records.goals()) {
                goals.push_back({{"id", g.id}, {"title", g.title}, {"progress", g.progress}, {"answer", g.answer}});
            }
            extra["records"] = {{"status", records.statusText()},
                                {"goals", goals},
                                {"session", records.currentSession() ? *records.currentSession() : 0},
                                {"feedback", records.feedbackAnswer()}};
        }
        if (auto w = writeState(o.dumpStatePath, frame, system.name(), player.get(), o.ui ? panel.get() : nullptr,
                                extra);
            !w) {
            if (exitCode == 0) exitCode = fail(w.error(), 1);
        }
    }
    log.info(strCat("rendered ", frame, " frames"));
    return exitCode;
}

}  // namespace mxr::scenes
