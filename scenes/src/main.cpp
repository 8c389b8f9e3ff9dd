// mentorxr: the client. Thin: parse arguments, run.
#include <CLI/CLI.hpp>
#include <termios.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "engine/audio/capture.h"
#include "scenes/client_app.h"

#ifndef MXR_DEFAULT_ROOM
#define MXR_DEFAULT_ROOM "scenes/rooms/demo.json"
#endif
#ifndef MXR_DEFAULT_WORKSPACE
#define MXR_DEFAULT_WORKSPACE "scenes/workspaces/demo_bench.json"
#endif
#ifndef MXR_DEFAULT_PROCEDURE
#define MXR_DEFAULT_PROCEDURE "scenes/workspaces/demo_bench_procedure.json"
#endif

namespace {
// Written by the signal handler, read by the frame loop: the one global a
// signal handler needs.
std::atomic<bool> g_stop{false};
extern "C" void onSignal(int) { g_stop.store(true); }

// The account password: MENTORXR_PASSWORD, else asked on the terminal with
// echo off; with neither, an error that says so.
mxr::Result<std::string> readPassword(const std::string& email) {
    if (const char* pw = std::getenv("MENTORXR_PASSWORD")) return std::string(pw);
    FILE* tty = std::fopen("/dev/tty", "r+");
    if (!tty || !isatty(fileno(tty))) {
        if (tty) std::fclose(tty);
        return mxr::makeError(mxr::ErrorCode::kInvalidArgument,
                              "--login: no password (set MENTORXR_PASSWORD, or run in a terminal to be asked)");
    }
    std::fprintf(tty, "Password for %s: ", email.c_str());
    std::fflush(tty);
    termios old{};
    tcgetattr(fileno(tty), &old);
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(fileno(tty), TCSAFLUSH, &quiet);
    char buf[512];
    const bool ok = std::fgets(buf, sizeof buf, tty) != nullptr;
    tcsetattr(fileno(tty), TCSAFLUSH, &old);
    std::fprintf(tty, "\n");
    std::fclose(tty);
    if (!ok) return mxr::makeError(mxr::ErrorCode::kInvalidArgument, "--login: no password entered");
    std::string pw(buf);
    while (!pw.empty() && (pw.back() == '\n' || pw.back() == '\r')) pw.pop_back();
    return pw;
}

// "GOAL_ID:PERCENT", e.g. "3:60".
mxr::Result<std::pair<std::int64_t, int>> parseGoalProgress(const std::string& text) {
    const auto colon = text.find(':');
    auto bad = [&] {
        return mxr::makeError(mxr::ErrorCode::kInvalidArgument,
                              "--set-goal-progress " + text + ": expected GOAL_ID:PERCENT (percent 0-100), e.g. 3:60");
    };
    if (colon == std::string::npos) return bad();
    const std::string id = text.substr(0, colon), pct = text.substr(colon + 1);
    auto digits = [](const std::string& s, std::size_t most) {
        return !s.empty() && s.size() <= most && s.find_first_not_of("0123456789") == std::string::npos;
    };
    if (!digits(id, 18) || !digits(pct, 3)) return bad();
    const std::int64_t goal = std::stoll(id);
    const int percent = std::stoi(pct);
    if (goal < 1 || percent > 100) return bad();
    return std::make_pair(goal, percent);
}
// What the command line gives, before it becomes ClientOptions.
struct Args {
    mxr::scenes::ClientOptions o;
    std::string camera, size;
    std::uint64_t frames = 0;
    bool verbose = false;
    std::string server, room = "demo", guest, login, knownServers, feedbackFile, procedureFile;
    std::vector<std::string> goalProgress;
    double connectTimeout = 10.0;
    mxr::scenes::VoiceOptions voice;
    bool noVoice = false, listAudio = false;
};

// Voice in a shared room: devices, push-to-talk, and files for tests.
void addVoiceOptions(CLI::App& app, Args& a) {
    app.add_option("--mic", a.voice.mic, "microphone (a name from --list-audio-devices; default: the system's)");
    app.add_option("--speaker", a.voice.speaker, "speakers or headphones (a name from --list-audio-devices)");
    app.add_flag("--list-audio-devices", a.listAudio, "print the microphones and speakers OpenAL Soft sees, then exit");
    app.add_flag("--push-to-talk", a.voice.pushToTalk,
                 "send voice only while V (or the left X/A button) is held; default: open microphone");
    app.add_flag("--no-voice", a.noVoice, "join without voice");
    app.add_option("--voice-rolloff", a.voice.rolloff,
                   "how fast voices fade with distance beyond 1 m (inverse distance, default 1; 0: not at all)")
        ->check(CLI::Range(0.0f, 10.0f));
    app.add_flag("--recording-consent", a.o.recordingConsent,
                 "agree to be recorded (others see a red light on your avatar; the desktop Voice window changes it)");
    app.add_option("--voice-file", a.voice.micWav, "speak a WAV file (looped) instead of the microphone (tests, demos)");
    app.add_option("--record-audio", a.voice.recordPath,
                   "play voice into memory instead of the speakers and write it to this WAV file at exit (tests)");
}

int listAudioDevices() {
    std::printf("microphones:\n");
    for (const auto& d : mxr::engine::audio::captureDevices()) std::printf("  %s\n", d.c_str());
    std::printf("speakers:\n");
    for (const auto& d : mxr::engine::audio::playbackDevices()) std::printf("  %s\n", d.c_str());
    return 0;
}

// The view: mode, scene, frames, screenshots, camera, size, rendering.
void addViewOptions(CLI::App& app, Args& a) {
    [[maybe_unused]] auto& o = a.o;
    [[maybe_unused]] auto& camera = a.camera;
    [[maybe_unused]] auto& size = a.size;
    [[maybe_unused]] auto& frames = a.frames;
    [[maybe_unused]] auto& verbose = a.verbose;
    [[maybe_unused]] auto& server = a.server;
    [[maybe_unused]] auto& room = a.room;
    [[maybe_unused]] auto& guest = a.guest;
    [[maybe_unused]] auto& login = a.login;
    [[maybe_unused]] auto& knownServers = a.knownServers;
    [[maybe_unused]] auto& feedbackFile = a.feedbackFile;
    [[maybe_unused]] auto& goalProgress = a.goalProgress;
    [[maybe_unused]] auto& connectTimeout = a.connectTimeout;
    app.add_option("--mode", o.mode,
                   "auto (VR if an OpenXR runtime has a headset, AR if it can only see through, else a "
                   "window if there is a display, else headless), vr, ar (a see-through blend mode or "
                   "XR_FB_passthrough; exit code 2 on a headset without), desktop, headless")
        ->capture_default_str();
    app.add_option("--scene", o.scenePath, "room file (JSON, see scenes/rooms/)")->capture_default_str();
    app.add_option("--workspace", o.workspacePath,
                   "job-shadowing workspace file (JSON with a glTF model, see scenes/workspaces/); AR offline "
                   "shows the demo bench without it. In a headset: hold the right grip and pull the trigger "
                   "pointing at the floor to place (or move) it; anchored in the world where the runtime can");
    app.add_option("--frames", frames,
                   "stop after N frames, in any mode (headless default: 90; with --server counted from "
                   "joining the room)");
    app.add_option("--screenshot", o.screenshotPath,
                   "write the last frame to this PNG (headless default: mentorxr-screenshot.png; "
                   "stereo also writes NAME-right.png)");
    app.add_option("--camera", camera,
                   "start camera: a preset from the room file (overview, table, closeup in the demo) "
                   "or x,y,z,yaw_deg,pitch_deg");
    app.add_option("--size", size, "window or image size WIDTHxHEIGHT (default 1280x720)");
    app.add_flag("--stereo", o.stereo, "headless: render both eyes with multiview (writes two PNGs)");
    app.add_flag("--see-through{alpha_blend}", o.seeThrough,
                 "headless: render the AR view (no room, transparent background: the PNG has alpha); "
                 "--see-through=additive shows it as an additive display would (bright, no dark fills)");
    app.add_option("--avatars", o.avatars, "demo participants in the room (0..256)")->capture_default_str();
    app.add_option("--time", o.animationTime, "fix the demo participants' animation time in seconds (tests)");
    app.add_option("--eye-height", o.eyeHeight,
                   "VR without a floor-level (STAGE) space: your eyes' height above the floor in metres, "
                   "e.g. 1.2 seated (default 1.6)")
        ->check(CLI::Range(0.3, 2.5));
    app.add_option("--xr-vulkan", o.xrVulkan,
                   "OpenXR Vulkan binding: auto (XR_KHR_vulkan_enable2 where offered, else "
                   "XR_KHR_vulkan_enable), enable2 or enable")
        ->check(CLI::IsMember({"auto", "enable2", "enable"}))
        ->capture_default_str();
    app.add_option("--dump-state", o.dumpStatePath,
                   "at exit, write JSON: frames, mode, and in VR the local avatar's head and hands, the play "
                   "space (after snap turns and teleports) and the panel's state");
    app.add_flag("--validation", o.validation,
                 "enable the Vulkan validation layer; any warning or error makes the exit code 3");
    // Tests only (hidden): one known validation error, to prove --validation sees this mode.
    app.add_flag("--test-provoke-validation", o.provokeValidationError)->group("");
    app.add_option("--msaa", o.msaa, "samples per pixel: 1, 2, 4 or 8 (default: 4 on a GPU, 1 on a software rasterizer)")
        ->check(CLI::IsMember({1u, 2u, 4u, 8u}));
    app.add_flag("!--no-vsync", o.vsync, "desktop: present without waiting for vertical sync");
    app.add_flag("!--no-ui", o.ui, "hide the ImGui overlay");
}

// The shared room, the records panel's scripted options, logging.
void addRoomOptions(CLI::App& app, Args& a) {
    [[maybe_unused]] auto& o = a.o;
    [[maybe_unused]] auto& camera = a.camera;
    [[maybe_unused]] auto& size = a.size;
    [[maybe_unused]] auto& frames = a.frames;
    [[maybe_unused]] auto& verbose = a.verbose;
    [[maybe_unused]] auto& server = a.server;
    [[maybe_unused]] auto& room = a.room;
    [[maybe_unused]] auto& guest = a.guest;
    [[maybe_unused]] auto& login = a.login;
    [[maybe_unused]] auto& knownServers = a.knownServers;
    [[maybe_unused]] auto& feedbackFile = a.feedbackFile;
    [[maybe_unused]] auto& goalProgress = a.goalProgress;
    [[maybe_unused]] auto& connectTimeout = a.connectTimeout;
    app.add_option("--server", server,
                   "join a shared room on this room host (HOST:PORT, e.g. 127.0.0.1:7777); remote people "
                   "replace the demo participants");
    app.add_option("--room", room, "room to join with --server")->capture_default_str();
    app.add_option("--guest", guest, "join as a guest with this display name (rooms open to guests)");
    app.add_option("--login", login,
                   "join with this account's email (password from MENTORXR_PASSWORD, else asked on the "
                   "terminal)");
    app.add_option("--known-servers", knownServers,
                   "file of pinned server keys (default: $XDG_CONFIG_HOME/mentorxr/known_servers, else "
                   "~/.config/mentorxr/known_servers)");
    app.add_option("--connect-timeout", connectTimeout, "seconds to get into the room before giving up")
        ->check(CLI::Range(0.1, 600.0))
        ->capture_default_str();
    app.add_option("--await-people", o.awaitPeople,
                   "with --server: count --frames only once this many other people are fully visible "
                   "(tests, screenshots)");
    app.add_option("--set-goal-progress", goalProgress,
                   "with --login: once the Mentorship panel has loaded in the room, save this goal's progress "
                   "as its Save button does (GOAL_ID:PERCENT, repeatable); the answer is printed as "
                   "\"records: goal ID progress PERCENT saved\" or \"... refused STATUS [field F]: MESSAGE\"");
    app.add_option("--send-feedback", feedbackFile,
                   "with --login: send this session feedback (JSON file: rating_goal_progress, "
                   "rating_communication, rating_trust_respect, rating_usefulness 1-5, text, visibility "
                   "pair|program_manager_only, optional subject_id and session_id; default: the room's latest "
                   "session) as the Send button does; prints \"records: feedback on session S saved id N\" "
                   "or \"... refused STATUS [field F]: MESSAGE\"");
    app.add_option("--procedure", a.procedureFile,
                   "job-shadowing procedure for the step card (JSON: the server's POST /procedures body, see "
                   "scenes/workspaces/demo_bench_procedure.json); AR offline shows the demo bench's without it. "
                   "In a mentorship room a mentor's Save stores it as a record of the mentorship");
    app.add_option("--procedure-script", o.procedureScript,
                   "tests: step card actions run in order as the buttons do (save, next, back, done, done-all, "
                   "await-finished); answers are printed as \"procedure: ...\"")
        ->delimiter(',');
    app.add_flag("-v,--verbose", verbose, "log debug messages");
}

// 0, or 2 after saying what is wrong.
int checkViewOptions(CLI::App& app, Args& a) {
    [[maybe_unused]] auto& o = a.o;
    [[maybe_unused]] auto& camera = a.camera;
    [[maybe_unused]] auto& size = a.size;
    [[maybe_unused]] auto& frames = a.frames;
    [[maybe_unused]] auto& verbose = a.verbose;
    [[maybe_unused]] auto& server = a.server;
    [[maybe_unused]] auto& room = a.room;
    [[maybe_unused]] auto& guest = a.guest;
    [[maybe_unused]] auto& login = a.login;
    [[maybe_unused]] auto& knownServers = a.knownServers;
    [[maybe_unused]] auto& feedbackFile = a.feedbackFile;
    [[maybe_unused]] auto& goalProgress = a.goalProgress;
    [[maybe_unused]] auto& connectTimeout = a.connectTimeout;
    if (app.count("--frames")) {
        if (frames == 0) {
            std::fprintf(stderr, "mentorxr: --frames must be at least 1\n");
            return 2;
        }
        o.frames = frames;
    }
    if (!camera.empty()) {
        auto c = mxr::scenes::parseCamera(camera);
        if (!c) {
            std::fprintf(stderr, "mentorxr: %s\n", c.error().message.c_str());
            return 2;
        }
        o.camera = *c;
    }
    if (!size.empty()) {
        unsigned w = 0, h = 0;
        char x = 0, extra = 0;
        if (std::sscanf(size.c_str(), "%u%c%u%c", &w, &x, &h, &extra) != 3 || x != 'x' || w < 16 || h < 16 ||
            w > 8192 || h > 8192) {
            std::fprintf(stderr, "mentorxr: --size %s: expected WIDTHxHEIGHT between 16 and 8192\n", size.c_str());
            return 2;
        }
        o.width = w;
        o.height = h;
    }
    return 0;
}

int checkRoomOptions(CLI::App& app, Args& a) {
    [[maybe_unused]] auto& o = a.o;
    [[maybe_unused]] auto& camera = a.camera;
    [[maybe_unused]] auto& size = a.size;
    [[maybe_unused]] auto& frames = a.frames;
    [[maybe_unused]] auto& verbose = a.verbose;
    [[maybe_unused]] auto& server = a.server;
    [[maybe_unused]] auto& room = a.room;
    [[maybe_unused]] auto& guest = a.guest;
    [[maybe_unused]] auto& login = a.login;
    [[maybe_unused]] auto& knownServers = a.knownServers;
    [[maybe_unused]] auto& feedbackFile = a.feedbackFile;
    [[maybe_unused]] auto& goalProgress = a.goalProgress;
    [[maybe_unused]] auto& connectTimeout = a.connectTimeout;
    if (!guest.empty() && !login.empty()) {
        std::fprintf(stderr, "mentorxr: --guest and --login exclude each other\n");
        return 2;
    }
    if (server.empty() && (!guest.empty() || !login.empty() || app.count("--room"))) {
        std::fprintf(stderr, "mentorxr: --guest, --login and --room need --server HOST:PORT\n");
        return 2;
    }
    if ((!goalProgress.empty() || !feedbackFile.empty()) && server.empty()) {
        std::fprintf(stderr, "mentorxr: --set-goal-progress and --send-feedback need --server and --login\n");
        return 2;
    }
    for (const auto& g : goalProgress) {
        auto parsed = parseGoalProgress(g);
        if (!parsed) {
            std::fprintf(stderr, "mentorxr: %s\n", parsed.error().message.c_str());
            return 2;
        }
        o.setGoalProgress.push_back(*parsed);
    }
    if (!feedbackFile.empty()) {
        std::ifstream in(feedbackFile);
        std::stringstream text;
        if (in.is_open()) text << in.rdbuf();
        if (!in.is_open() || in.bad()) {
            std::fprintf(stderr, "mentorxr: --send-feedback: cannot read %s\n", feedbackFile.c_str());
            return 2;
        }
        auto draft = mxr::scenes::parseFeedbackDraft(text.str());
        if (!draft) {
            std::fprintf(stderr, "mentorxr: --send-feedback %s: %s\n", feedbackFile.c_str(),
                         draft.error().message.c_str());
            return 2;
        }
        o.sendFeedback = *draft;
    }
    if (!a.procedureFile.empty()) {
        auto procedure = mxr::scenes::loadProcedure(a.procedureFile);
        if (!procedure) {
            std::fprintf(stderr, "mentorxr: --procedure %s\n", procedure.error().message.c_str());
            return 2;
        }
        o.procedure = std::move(*procedure);
    }
    if (!server.empty()) {
        auto address = mxr::scenes::parseServerAddress(server);
        if (!address) {
            std::fprintf(stderr, "mentorxr: %s\n", address.error().message.c_str());
            return 2;
        }
        if (guest.empty() && login.empty()) {
            std::fprintf(stderr, "mentorxr: --server needs --guest NAME or --login EMAIL\n");
            return 2;
        }
        mxr::scenes::RoomPresenceOptions ro;
        ro.server = *address;
        ro.room = room;
        if (!guest.empty()) {
            ro.credentials = mxr::net::GuestLogin{guest};
        } else {
            auto pw = readPassword(login);
            if (!pw) {
                std::fprintf(stderr, "mentorxr: %s\n", pw.error().message.c_str());
                return 2;
            }
            ro.credentials = mxr::net::AccountLogin{login, *pw};
        }
        ro.knownServersFile = knownServers.empty() ? mxr::scenes::defaultKnownServersPath()
                                                   : std::filesystem::path(knownServers);
        ro.connectTimeout = static_cast<mxr::Nanos>(connectTimeout * 1e9);
        o.rooms = ro;
    }
    return 0;
}
}  // namespace

int main(int argc, char** argv) {
    try {
        Args a;
        a.o.scenePath = MXR_DEFAULT_ROOM;
        a.o.defaultWorkspacePath = MXR_DEFAULT_WORKSPACE;
        a.o.defaultProcedurePath = MXR_DEFAULT_PROCEDURE;
        CLI::App app{"MentorXR: immersive mentoring client. Shows the demo room in a window (desktop), "
                     "or renders it offscreen (headless) and writes a screenshot."};
        addViewOptions(app, a);
        addRoomOptions(app, a);
        addVoiceOptions(app, a);
        try {
            app.parse(argc, argv);
        } catch (const CLI::ParseError& e) {
            // --help and --version print and end with 0; every refused
            // option is bad input, exit code 2 as documented (CLI11's own
            // codes, 105 for a failed check and so on, say nothing more).
            return app.exit(e) == 0 ? 0 : 2;
        }
        if (a.listAudio) return listAudioDevices();
        if (const int bad = checkViewOptions(app, a)) return bad;
        if (const int bad = checkRoomOptions(app, a)) return bad;
        mxr::scenes::ClientOptions& o = a.o;
        if (!a.noVoice && o.rooms) o.voice = a.voice;
        o.stopRequested = &g_stop;
        std::signal(SIGINT, onSignal);
        std::signal(SIGTERM, onSignal);
        auto sink = std::make_shared<mxr::StderrSink>(a.verbose ? mxr::LogLevel::kDebug : mxr::LogLevel::kInfo);
        return mxr::scenes::runClient(o, mxr::Logger(sink, "mentorxr"));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "mentorxr: unexpected error: %s\n", e.what());
        return 1;
    }
}
