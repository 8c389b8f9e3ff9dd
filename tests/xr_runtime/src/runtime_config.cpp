#include "runtime_config.h"

#include <engine/core/log.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

namespace mxr::xrrt {

Pose compose(const Pose& a, const Pose& b) {
    return Pose{glm::normalize(a.orientation * b.orientation), a.position + a.orientation * b.position};
}

Pose inverse(const Pose& p) {
    const glm::quat inv = glm::conjugate(p.orientation);
    return Pose{inv, -(inv * p.position)};
}

Pose interpolate(const Pose& a, const Pose& b, float t) {
    return Pose{glm::normalize(glm::slerp(a.orientation, b.orientation, t)), glm::mix(a.position, b.position, t)};
}

InputState defaultInputState() {
    InputState s;
    s.head.position = {0.0F, 1.6F, 0.0F};
    s.hands[0].grip.position = {-0.2F, 1.3F, -0.3F};
    s.hands[1].grip.position = {0.2F, 1.3F, -0.3F};
    for (auto& h : s.hands) {
        h.aim = h.grip;
    }
    return s;
}

Script::Script(std::vector<Keyframe> keyframes) : m_keys(std::move(keyframes)) {
    std::stable_sort(m_keys.begin(), m_keys.end(),
                     [](const Keyframe& a, const Keyframe& b) { return a.frame < b.frame; });
}

namespace {

// Samples one optional track: the last key at or before `frame` and the first
// after it that set the field; `lerp` blends them. Before the first key that
// sets the field it keeps `fallback` (its default); after the last it holds.
template <typename T, typename Get, typename Lerp>
T sampleTrack(const std::vector<Keyframe>& keys, double frame, const T& fallback, Get get, Lerp lerp) {
    const Keyframe* before = nullptr;
    const Keyframe* after = nullptr;
    for (const Keyframe& k : keys) {
        if (!get(k)) continue;
        if (static_cast<double>(k.frame) <= frame) {
            before = &k;
        } else {
            after = &k;
            break;
        }
    }
    if (before == nullptr) return fallback;
    if (after == nullptr) return *get(*before);
    const double span = static_cast<double>(after->frame - before->frame);
    const float t = static_cast<float>((frame - static_cast<double>(before->frame)) / span);
    return lerp(*get(*before), *get(*after), t);
}

template <typename T>
T step(const T& a, const T& /*b*/, float /*t*/) {
    return a;
}

}  // namespace

InputState Script::sample(double frame) const {
    InputState s = defaultInputState();
    if (m_keys.empty()) return s;
    const auto poseLerp = [](const Pose& a, const Pose& b, float t) { return interpolate(a, b, t); };
    s.head = sampleTrack<Pose>(m_keys, frame, s.head, [](const Keyframe& k) -> const std::optional<Pose>& { return k.head; },
                               poseLerp);
    s.headTracking = sampleTrack<HeadTracking>(
        m_keys, frame, s.headTracking,
        [](const Keyframe& k) -> const std::optional<HeadTracking>& { return k.headTracking; }, step<HeadTracking>);
    for (std::size_t i = 0; i < 2; ++i) {
        HandInput& h = s.hands[i];
        using K = Keyframe;
        h.tracked = sampleTrack<bool>(m_keys, frame, h.tracked,
                                      [i](const K& k) -> const std::optional<bool>& { return k.hands[i].tracked; }, step<bool>);
        h.grip = sampleTrack<Pose>(m_keys, frame, h.grip,
                                   [i](const K& k) -> const std::optional<Pose>& { return k.hands[i].grip; }, poseLerp);
        // The aim pose follows the grip unless the script sets it.
        h.aim = sampleTrack<Pose>(m_keys, frame, h.grip,
                                  [i](const K& k) -> const std::optional<Pose>& { return k.hands[i].aim; }, poseLerp);
        h.select = sampleTrack<bool>(m_keys, frame, h.select,
                                     [i](const K& k) -> const std::optional<bool>& { return k.hands[i].select; }, step<bool>);
        h.menu = sampleTrack<bool>(m_keys, frame, h.menu,
                                   [i](const K& k) -> const std::optional<bool>& { return k.hands[i].menu; }, step<bool>);
        h.click = sampleTrack<bool>(m_keys, frame, h.click,
                                    [i](const K& k) -> const std::optional<bool>& { return k.hands[i].click; }, step<bool>);
        h.pinch = sampleTrack<bool>(m_keys, frame, h.pinch,
                                    [i](const K& k) -> const std::optional<bool>& { return k.hands[i].pinch; }, step<bool>);
        h.squeeze = sampleTrack<float>(
            m_keys, frame, h.squeeze, [i](const K& k) -> const std::optional<float>& { return k.hands[i].squeeze; },
            [](float a, float b, float t) { return a + (b - a) * t; });
        h.thumbstick = sampleTrack<glm::vec2>(
            m_keys, frame, h.thumbstick,
            [i](const K& k) -> const std::optional<glm::vec2>& { return k.hands[i].thumbstick; },
            [](const glm::vec2& a, const glm::vec2& b, float t) { return glm::mix(a, b, t); });
    }
    return s;
}

namespace {

using nlohmann::json;

// Thrown inside the parser only; parseConfig turns it into an Error.
struct ConfigError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

[[noreturn]] void fail(const std::string& where, const std::string& what) {
    throw ConfigError(where + ": " + what);
}

void checkKeys(const json& obj, const std::string& where, std::initializer_list<const char*> allowed) {
    if (!obj.is_object()) fail(where, "expected an object");
    for (const auto& [key, value] : obj.items()) {
        (void)value;
        if (std::find_if(allowed.begin(), allowed.end(), [&](const char* a) { return key == a; }) == allowed.end()) {
            std::string list;
            for (const char* a : allowed) list += std::string(list.empty() ? "" : ", ") + a;
            fail(where, strCat("unknown key '", key, "' (known: ", list, ")"));
        }
    }
}

bool getBool(const json& v, const std::string& where) {
    if (!v.is_boolean()) fail(where, "expected true or false");
    return v.get<bool>();
}

double getNumber(const json& v, const std::string& where) {
    if (!v.is_number()) fail(where, "expected a number");
    return v.get<double>();
}

std::int64_t getInt(const json& v, const std::string& where, std::int64_t min) {
    if (!v.is_number_integer()) fail(where, "expected an integer");
    const auto i = v.get<std::int64_t>();
    if (i < min) fail(where, strCat("must be at least ", min));
    return i;
}

std::string getString(const json& v, const std::string& where) {
    if (!v.is_string()) fail(where, "expected a string");
    return v.get<std::string>();
}

template <std::size_t N>
std::array<float, N> getFloats(const json& v, const std::string& where) {
    if (!v.is_array() || v.size() != N) fail(where, strCat("expected an array of ", N, " numbers"));
    std::array<float, N> out{};
    for (std::size_t i = 0; i < N; ++i) out[i] = static_cast<float>(getNumber(v[i], strCat(where, "[", i, "]")));
    return out;
}

Pose getPose(const json& v, const std::string& where) {
    checkKeys(v, where, {"position", "orientation"});
    Pose p;
    if (v.contains("position")) {
        const auto a = getFloats<3>(v["position"], where + ".position");
        p.position = {a[0], a[1], a[2]};
    }
    if (v.contains("orientation")) {
        const auto a = getFloats<4>(v["orientation"], where + ".orientation (x, y, z, w)");
        const glm::quat q(a[3], a[0], a[1], a[2]);
        if (glm::length(q) < 1e-6F) fail(where + ".orientation", "quaternion has zero length");
        p.orientation = glm::normalize(q);
    }
    return p;
}

Keyframe::HandKey getHandKey(const json& v, const std::string& where) {
    checkKeys(v, where, {"tracked", "grip", "aim", "select", "squeeze", "menu", "thumbstick", "click", "pinch"});
    Keyframe::HandKey h;
    if (v.contains("tracked")) h.tracked = getBool(v["tracked"], where + ".tracked");
    if (v.contains("grip")) h.grip = getPose(v["grip"], where + ".grip");
    if (v.contains("aim")) h.aim = getPose(v["aim"], where + ".aim");
    if (v.contains("select")) h.select = getBool(v["select"], where + ".select");
    if (v.contains("menu")) h.menu = getBool(v["menu"], where + ".menu");
    if (v.contains("click")) h.click = getBool(v["click"], where + ".click");
    if (v.contains("pinch")) h.pinch = getBool(v["pinch"], where + ".pinch");
    if (v.contains("squeeze")) {
        const double s = getNumber(v["squeeze"], where + ".squeeze");
        if (s < 0.0 || s > 1.0) fail(where + ".squeeze", "must be within [0, 1]");
        h.squeeze = static_cast<float>(s);
    }
    if (v.contains("thumbstick")) {
        const auto a = getFloats<2>(v["thumbstick"], where + ".thumbstick");
        if (std::abs(a[0]) > 1.0F || std::abs(a[1]) > 1.0F) fail(where + ".thumbstick", "components must be within [-1, 1]");
        h.thumbstick = glm::vec2(a[0], a[1]);
    }
    return h;
}

Script getScript(const json& v, const std::string& where) {
    checkKeys(v, where, {"keyframes"});
    if (!v.contains("keyframes")) return {};
    const json& keys = v["keyframes"];
    if (!keys.is_array()) fail(where + ".keyframes", "expected an array");
    std::vector<Keyframe> out;
    for (std::size_t i = 0; i < keys.size(); ++i) {
        const std::string w = strCat(where, ".keyframes[", i, "]");
        const json& k = keys[i];
        checkKeys(k, w, {"frame", "head", "head_tracking", "left", "right"});
        if (!k.contains("frame")) fail(w, "missing 'frame'");
        Keyframe kf;
        kf.frame = getInt(k["frame"], w + ".frame", 0);
        if (k.contains("head")) kf.head = getPose(k["head"], w + ".head");
        if (k.contains("head_tracking")) {
            const std::string t = getString(k["head_tracking"], w + ".head_tracking");
            if (t == "full") {
                kf.headTracking = HeadTracking::kFull;
            } else if (t == "orientation") {
                kf.headTracking = HeadTracking::kOrientation;
            } else if (t == "none") {
                kf.headTracking = HeadTracking::kNone;
            } else {
                fail(w + ".head_tracking", strCat("unknown value '", t, "' (full, orientation, none)"));
            }
        }
        if (k.contains("left")) kf.hands[0] = getHandKey(k["left"], w + ".left");
        if (k.contains("right")) kf.hands[1] = getHandKey(k["right"], w + ".right");
        out.push_back(std::move(kf));
    }
    return Script(std::move(out));
}

json parseJsonText(const std::string& text) {
    try {
        return json::parse(text);
    } catch (const json::parse_error& e) {
        throw ConfigError(strCat("not valid JSON (", e.what(), ")"));
    }
}

std::string resolve(const std::string& base, const std::string& p) {
    if (p.empty() || base.empty()) return p;
    const std::filesystem::path fp(p);
    if (fp.is_absolute()) return p;
    return (std::filesystem::path(base).parent_path() / fp).lexically_normal().string();
}

Result<std::string> readFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return makeError(ErrorCode::kNotFound, strCat(path, ": cannot open file"));
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

}  // namespace

Result<Config> parseConfig(const std::string& text, const std::string& path) {
    Config c;
    c.sourcePath = path;
    std::string where;  // the file currently parsed, for messages
    try {
        where = path;
        const json root = parseJsonText(text);
        checkKeys(root, "(root)",
                  {"system_name", "headset_present", "blend_modes", "hand_tracking", "view_size", "fov_deg", "ipd_m",
                   "local_origin_height_m", "frame_rate_hz", "interaction_profile", "loss_pending_at_frame",
                   "exit_at_frame", "capture", "event_log", "script", "max_swapchain_samples", "focus_loss_at_frame",
                   "focus_regain_at_frame", "idle_at_frame", "instance_loss_after_polls", "begin_session_fails",
                   "exit_request_ignored", "system_lost_polls", "physical_device_after_loss",
                   "withhold_stage", "recenter_at_frame", "recenter_to_height_m", "passthrough",
                   "spatial_anchors", "anchor_store"});
        if (root.contains("system_name")) c.systemName = getString(root["system_name"], "system_name");
        if (c.systemName.size() >= 256) fail("system_name", "longer than 255 bytes");
        if (root.contains("headset_present")) c.headsetPresent = getBool(root["headset_present"], "headset_present");
        if (root.contains("blend_modes")) {
            const json& b = root["blend_modes"];
            if (!b.is_array() || b.empty()) fail("blend_modes", "expected a non-empty array");
            c.blendModes.clear();
            for (std::size_t i = 0; i < b.size(); ++i) {
                const std::string m = getString(b[i], strCat("blend_modes[", i, "]"));
                if (m != "opaque" && m != "additive" && m != "alpha_blend") {
                    fail(strCat("blend_modes[", i, "]"), strCat("unknown blend mode '", m, "' (opaque, additive, alpha_blend)"));
                }
                c.blendModes.push_back(m);
            }
        }
        if (root.contains("hand_tracking")) c.handTracking = getBool(root["hand_tracking"], "hand_tracking");
        if (root.contains("passthrough")) c.passthrough = getBool(root["passthrough"], "passthrough");
        if (root.contains("spatial_anchors")) c.spatialAnchors = getBool(root["spatial_anchors"], "spatial_anchors");
        if (root.contains("anchor_store")) c.anchorStore = resolve(path, getString(root["anchor_store"], "anchor_store"));
        if (root.contains("view_size")) {
            const auto a = getFloats<2>(root["view_size"], "view_size");
            if (a[0] < 1 || a[1] < 1 || a[0] > 8192 || a[1] > 8192) fail("view_size", "each side must be within [1, 8192]");
            c.viewWidth = static_cast<std::uint32_t>(a[0]);
            c.viewHeight = static_cast<std::uint32_t>(a[1]);
        }
        if (root.contains("max_swapchain_samples")) {
            c.maxSwapchainSamples = static_cast<std::uint32_t>(getInt(root["max_swapchain_samples"], "max_swapchain_samples", 1));
        }
        if (root.contains("fov_deg")) {
            const json& f = root["fov_deg"];
            checkKeys(f, "fov_deg", {"left", "right", "up", "down"});
            if (f.contains("left")) c.fovLeftDeg = static_cast<float>(getNumber(f["left"], "fov_deg.left"));
            if (f.contains("right")) c.fovRightDeg = static_cast<float>(getNumber(f["right"], "fov_deg.right"));
            if (f.contains("up")) c.fovUpDeg = static_cast<float>(getNumber(f["up"], "fov_deg.up"));
            if (f.contains("down")) c.fovDownDeg = static_cast<float>(getNumber(f["down"], "fov_deg.down"));
            if (c.fovLeftDeg >= c.fovRightDeg || c.fovDownDeg >= c.fovUpDeg) fail("fov_deg", "needs left < right and down < up");
        }
        if (root.contains("ipd_m")) c.ipdMeters = static_cast<float>(getNumber(root["ipd_m"], "ipd_m"));
        if (root.contains("local_origin_height_m")) {
            c.localOriginHeight = static_cast<float>(getNumber(root["local_origin_height_m"], "local_origin_height_m"));
        }
        if (root.contains("frame_rate_hz")) {
            c.frameRateHz = getNumber(root["frame_rate_hz"], "frame_rate_hz");
            if (c.frameRateHz < 0.0 || c.frameRateHz > 1000.0) fail("frame_rate_hz", "must be within [0, 1000] (0 = unpaced)");
        }
        if (root.contains("interaction_profile")) {
            c.interactionProfile = getString(root["interaction_profile"], "interaction_profile");
        }
        if (root.contains("loss_pending_at_frame")) {
            c.lossPendingAtFrame = getInt(root["loss_pending_at_frame"], "loss_pending_at_frame", -1);
        }
        if (root.contains("exit_at_frame")) c.exitAtFrame = getInt(root["exit_at_frame"], "exit_at_frame", -1);
        if (root.contains("focus_loss_at_frame")) {
            c.focusLossAtFrame = getInt(root["focus_loss_at_frame"], "focus_loss_at_frame", 0);
        }
        if (root.contains("focus_regain_at_frame")) {
            c.focusRegainAtFrame = getInt(root["focus_regain_at_frame"], "focus_regain_at_frame", 0);
            if (c.focusLossAtFrame < 0 || c.focusRegainAtFrame <= c.focusLossAtFrame) {
                fail("focus_regain_at_frame", "needs focus_loss_at_frame before it");
            }
        }
        if (root.contains("idle_at_frame")) c.idleAtFrame = getInt(root["idle_at_frame"], "idle_at_frame", 0);
        if (root.contains("instance_loss_after_polls")) {
            c.instanceLossAfterPolls = getInt(root["instance_loss_after_polls"], "instance_loss_after_polls", 0);
        }
        if (root.contains("begin_session_fails")) {
            c.beginSessionFails = getBool(root["begin_session_fails"], "begin_session_fails");
        }
        if (root.contains("withhold_stage")) c.withholdStage = getBool(root["withhold_stage"], "withhold_stage");
        if (root.contains("recenter_at_frame")) c.recenterAtFrame = getInt(root["recenter_at_frame"], "recenter_at_frame", 0);
        if (root.contains("recenter_to_height_m")) {
            c.recenterToHeight = static_cast<float>(getNumber(root["recenter_to_height_m"], "recenter_to_height_m"));
        }
        if (root.contains("system_lost_polls")) {
            c.systemLostPolls = getInt(root["system_lost_polls"], "system_lost_polls", 0);
        }
        if (root.contains("physical_device_after_loss")) {
            c.physicalDeviceAfterLoss = getInt(root["physical_device_after_loss"], "physical_device_after_loss", 0);
        }
        if (root.contains("exit_request_ignored")) {
            c.exitRequestIgnored = getBool(root["exit_request_ignored"], "exit_request_ignored");
        }
        if (root.contains("capture")) {
            const json& cap = root["capture"];
            checkKeys(cap, "capture", {"dir", "frames"});
            if (!cap.contains("dir")) fail("capture", "missing 'dir'");
            c.captureDir = resolve(path, getString(cap["dir"], "capture.dir"));
            if (cap.contains("frames")) {
                if (!cap["frames"].is_array()) fail("capture.frames", "expected an array of frame indices");
                for (std::size_t i = 0; i < cap["frames"].size(); ++i) {
                    c.captureFrames.push_back(getInt(cap["frames"][i], strCat("capture.frames[", i, "]"), 0));
                }
            }
        }
        if (root.contains("event_log")) c.eventLog = resolve(path, getString(root["event_log"], "event_log"));
        if (root.contains("script")) {
            const json& s = root["script"];
            if (s.is_string()) {
                // A script file of its own; errors then name that file.
                const std::string scriptPath = resolve(path, s.get<std::string>());
                auto text2 = readFile(scriptPath);
                if (!text2) {
                    return makeError(ErrorCode::kInvalidArgument,
                                     strCat(path, ": script: ", text2.error().message));
                }
                where = scriptPath;
                c.script = getScript(parseJsonText(*text2), "(root)");
            } else {
                c.script = getScript(s, "script");
            }
        }
    } catch (const ConfigError& e) {
        return makeError(ErrorCode::kInvalidArgument, strCat(where, ": ", e.what()));
    } catch (const std::exception& e) {
        return makeError(ErrorCode::kInvalidArgument, strCat(where, ": ", e.what()));
    }
    return c;
}

Result<Config> loadConfigFile(const std::string& path) {
    auto text = readFile(path);
    if (!text) return makeError(ErrorCode::kInvalidArgument, text.error().message);
    return parseConfig(*text, path);
}

Result<Config> loadConfigFromEnvironment() {
    const char* path = std::getenv("MXR_XRRT_CONFIG");
    if (path == nullptr || *path == '\0') return Config{};
    return loadConfigFile(path);
}

}  // namespace mxr::xrrt
