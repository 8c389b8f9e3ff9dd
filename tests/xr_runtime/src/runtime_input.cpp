// Actions, interaction profiles, scripted controller input, action spaces
// and XR_EXT_hand_tracking.
#include "runtime.h"

#include <engine/core/log.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>

namespace mxr::xrrt {
namespace {

struct Profile {
    const char* path;
    const char* displayName;
    std::vector<std::string> both;   // components on either hand
    std::vector<std::string> left;   // left hand only
    std::vector<std::string> right;  // right hand only
};

const std::vector<Profile>& profiles() {
    static const std::vector<Profile> list{
        {"/interaction_profiles/khr/simple_controller",
         "Simple Controller",
         {"/input/select/click", "/input/menu/click", "/input/grip/pose", "/input/aim/pose", "/output/haptic"},
         {},
         {}},
        {"/interaction_profiles/oculus/touch_controller",
         "Oculus Touch Controller",
         {"/input/squeeze/value", "/input/trigger/value", "/input/trigger/touch", "/input/thumbstick/x",
          "/input/thumbstick/y", "/input/thumbstick/click", "/input/thumbstick/touch", "/input/thumbrest/touch",
          "/input/grip/pose", "/input/aim/pose", "/output/haptic"},
         {"/input/x/click", "/input/x/touch", "/input/y/click", "/input/y/touch", "/input/menu/click"},
         {"/input/a/click", "/input/a/touch", "/input/b/click", "/input/b/touch", "/input/system/click"}},
        {"/interaction_profiles/valve/index_controller",
         "Valve Index Controller",
         {"/input/system/click", "/input/system/touch", "/input/a/click", "/input/a/touch", "/input/b/click",
          "/input/b/touch", "/input/squeeze/value", "/input/squeeze/force", "/input/trigger/click", "/input/trigger/value",
          "/input/trigger/touch", "/input/thumbstick/x", "/input/thumbstick/y", "/input/thumbstick/click",
          "/input/thumbstick/touch", "/input/trackpad/x", "/input/trackpad/y", "/input/trackpad/force",
          "/input/trackpad/touch", "/input/grip/pose", "/input/aim/pose", "/output/haptic"},
         {},
         {}},
        {"/interaction_profiles/htc/vive_controller",
         "HTC Vive Controller",
         {"/input/system/click", "/input/squeeze/click", "/input/menu/click", "/input/trigger/click", "/input/trigger/value",
          "/input/trackpad/x", "/input/trackpad/y", "/input/trackpad/click", "/input/trackpad/touch", "/input/grip/pose",
          "/input/aim/pose", "/output/haptic"},
         {},
         {}},
        {"/interaction_profiles/microsoft/motion_controller",
         "Microsoft Motion Controller",
         {"/input/menu/click", "/input/squeeze/click", "/input/trigger/value", "/input/thumbstick/x", "/input/thumbstick/y",
          "/input/thumbstick/click", "/input/trackpad/x", "/input/trackpad/y", "/input/trackpad/click",
          "/input/trackpad/touch", "/input/grip/pose", "/input/aim/pose", "/output/haptic"},
         {},
         {}},
    };
    return list;
}

const Profile* findProfile(const std::string& path) {
    for (const Profile& p : profiles()) {
        if (path == p.path) return &p;
    }
    return nullptr;
}

constexpr std::string_view kLeft = "/user/hand/left";
constexpr std::string_view kRight = "/user/hand/right";

// Splits "/user/hand/left/input/select/click" into hand (0 left, 1 right) and
// component; -1 when the user path is not a hand.
int splitBinding(const std::string& path, std::string& component) {
    for (int h = 0; h < 2; ++h) {
        const std::string_view user = h == 0 ? kLeft : kRight;
        if (path.size() > user.size() && path.compare(0, user.size(), user) == 0 && path[user.size()] == '/') {
            component = path.substr(user.size());
            return h;
        }
    }
    return -1;
}

// A component is valid when listed, or when it is a listed component's
// parent ("/input/trigger" for "/input/trigger/value"): the runtime then
// picks the child, as the spec allows.
bool validComponent(const Profile& p, int hand, const std::string& component) {
    const auto matches = [&](const std::vector<std::string>& list) {
        return std::any_of(list.begin(), list.end(), [&](const std::string& c) {
            return c == component || (c.size() > component.size() && c.compare(0, component.size(), component) == 0 &&
                                      c[component.size()] == '/');
        });
    };
    return matches(p.both) || matches(hand == 0 ? p.left : p.right);
}

enum class Source { kNone, kSelect, kSqueeze, kMenu, kStickClick, kThumbstick, kThumbstickX, kThumbstickY, kGrip, kAim, kHaptic };

Source sourceOf(const std::string& c) {
    const auto starts = [&](const char* prefix) { return c.rfind(prefix, 0) == 0; };
    if (starts("/input/select") || starts("/input/trigger/click") || starts("/input/trigger/value") || c == "/input/trigger" ||
        starts("/input/a/click") || starts("/input/x/click") || c == "/input/a" || c == "/input/x") {
        return Source::kSelect;
    }
    if (starts("/input/squeeze")) return Source::kSqueeze;
    if (starts("/input/menu") || starts("/input/b/click") || starts("/input/y/click") || c == "/input/b" || c == "/input/y") {
        return Source::kMenu;
    }
    if (c == "/input/thumbstick/click" || c == "/input/trackpad/click") return Source::kStickClick;
    if (c == "/input/thumbstick" || c == "/input/trackpad") return Source::kThumbstick;
    if (c == "/input/thumbstick/x" || c == "/input/trackpad/x") return Source::kThumbstickX;
    if (c == "/input/thumbstick/y" || c == "/input/trackpad/y") return Source::kThumbstickY;
    if (starts("/input/grip")) return Source::kGrip;
    if (starts("/input/aim")) return Source::kAim;
    if (starts("/output/haptic")) return Source::kHaptic;
    return Source::kNone;  // touches, system buttons: never pressed in scripts
}

float scalarOf(Source s, const HandInput& h) {
    switch (s) {
        case Source::kSelect: return h.select ? 1.0F : 0.0F;
        case Source::kSqueeze: return h.squeeze;
        case Source::kMenu: return h.menu ? 1.0F : 0.0F;
        case Source::kStickClick: return h.click ? 1.0F : 0.0F;
        case Source::kThumbstickX: return h.thumbstick.x;
        case Source::kThumbstickY: return h.thumbstick.y;
        default: return 0.0F;
    }
}

int slotOf(const Instance& inst, XrPath subaction) {
    if (subaction == XR_NULL_PATH) return 0;
    const std::string* s = inst.pathString(subaction);
    if (s == nullptr) return -1;
    if (*s == kLeft) return 1;
    if (*s == kRight) return 2;
    return -1;
}

XrResult checkSubaction(const Action& a, XrPath subaction, int& slot) {
    slot = slotOf(*a.set->instance, subaction);
    if (subaction != XR_NULL_PATH && std::find(a.subactions.begin(), a.subactions.end(), subaction) == a.subactions.end()) {
        return XR_ERROR_PATH_UNSUPPORTED;
    }
    return slot < 0 ? XR_ERROR_PATH_UNSUPPORTED : XR_SUCCESS;
}

bool validName(const char* name) {
    if (name == nullptr || *name == '\0') return false;
    for (const char* c = name; *c != '\0'; ++c) {
        const bool ok = (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-' || *c == '_' || *c == '.';
        if (!ok) return false;
    }
    return true;
}

XRAPI_ATTR XrResult XRAPI_CALL createActionSet(XrInstance instance, const XrActionSetCreateInfo* info, XrActionSet* set) {
    auto lock = registry().lock();
    Instance* inst = registry().get<Instance>(instance);
    if (inst == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (info == nullptr || set == nullptr || info->type != XR_TYPE_ACTION_SET_CREATE_INFO) return XR_ERROR_VALIDATION_FAILURE;
    if (!validName(info->actionSetName)) return XR_ERROR_PATH_FORMAT_INVALID;
    if (info->localizedActionSetName[0] == '\0') return XR_ERROR_LOCALIZED_NAME_INVALID;
    XrResult dup = XR_SUCCESS;
    registry().forEach<ActionSet>([&](ActionSet& s) {
        if (s.instance != inst) return;
        if (s.name == info->actionSetName) dup = XR_ERROR_NAME_DUPLICATED;
        if (s.localizedName == info->localizedActionSetName) dup = XR_ERROR_LOCALIZED_NAME_DUPLICATED;
    });
    if (dup != XR_SUCCESS) return dup;
    auto s = std::make_unique<ActionSet>();
    s->instance = inst;
    s->name = info->actionSetName;
    s->localizedName = info->localizedActionSetName;
    s->priority = info->priority;
    *set = toHandle<XrActionSet>(registry().add(std::move(s), reinterpret_cast<std::uint64_t>(instance)));
    return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL destroyActionSet(XrActionSet set) {
    auto lock = registry().lock();
    if (registry().get<ActionSet>(set) == nullptr) return XR_ERROR_HANDLE_INVALID;
    registry().destroy(reinterpret_cast<std::uint64_t>(set));
    return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL createAction(XrActionSet set, const XrActionCreateInfo* info, XrAction* action) {
    auto lock = registry().lock();
    ActionSet* s = registry().get<ActionSet>(set);
    if (s == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (info == nullptr || action == nullptr || info->type != XR_TYPE_ACTION_CREATE_INFO) return XR_ERROR_VALIDATION_FAILURE;
    if (s->attached) return XR_ERROR_ACTIONSETS_ALREADY_ATTACHED;
    if (!validName(info->actionName)) return XR_ERROR_PATH_FORMAT_INVALID;
    if (info->localizedActionName[0] == '\0') return XR_ERROR_LOCALIZED_NAME_INVALID;
    switch (info->actionType) {
        case XR_ACTION_TYPE_BOOLEAN_INPUT:
        case XR_ACTION_TYPE_FLOAT_INPUT:
        case XR_ACTION_TYPE_VECTOR2F_INPUT:
        case XR_ACTION_TYPE_POSE_INPUT:
        case XR_ACTION_TYPE_VIBRATION_OUTPUT: break;
        default: return XR_ERROR_VALIDATION_FAILURE;
    }
    XrResult dup = XR_SUCCESS;
    registry().forEach<Action>([&](Action& a) {
        if (a.set != s) return;
        if (a.name == info->actionName) dup = XR_ERROR_NAME_DUPLICATED;
        if (a.localizedName == info->localizedActionName) dup = XR_ERROR_LOCALIZED_NAME_DUPLICATED;
    });
    if (dup != XR_SUCCESS) return dup;
    auto a = std::make_unique<Action>();
    a->set = s;
    a->name = info->actionName;
    a->localizedName = info->localizedActionName;
    a->type = info->actionType;
    for (uint32_t i = 0; i < info->countSubactionPaths; ++i) {
        const std::string* p = s->instance->pathString(info->subactionPaths[i]);
        if (p == nullptr) return XR_ERROR_PATH_INVALID;
        if (*p != kLeft && *p != kRight && *p != "/user/head" && *p != "/user/gamepad") return XR_ERROR_PATH_UNSUPPORTED;
        if (std::find(a->subactions.begin(), a->subactions.end(), info->subactionPaths[i]) != a->subactions.end()) {
            return XR_ERROR_PATH_UNSUPPORTED;
        }
        a->subactions.push_back(info->subactionPaths[i]);
    }
    *action = toHandle<XrAction>(registry().add(std::move(a), reinterpret_cast<std::uint64_t>(set)));
    return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL destroyAction(XrAction action) {
    auto lock = registry().lock();
    if (registry().get<Action>(action) == nullptr) return XR_ERROR_HANDLE_INVALID;
    registry().destroy(reinterpret_cast<std::uint64_t>(action));
    return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL suggestBindings(XrInstance instance, const XrInteractionProfileSuggestedBinding* info) {
    auto lock = registry().lock();
    Instance* inst = registry().get<Instance>(instance);
    if (inst == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (info == nullptr || info->type != XR_TYPE_INTERACTION_PROFILE_SUGGESTED_BINDING || info->countSuggestedBindings == 0 ||
        info->suggestedBindings == nullptr) {
        return XR_ERROR_VALIDATION_FAILURE;
    }
    const std::string* profilePath = inst->pathString(info->interactionProfile);
    if (profilePath == nullptr) return XR_ERROR_PATH_INVALID;
    const Profile* profile = findProfile(*profilePath);
    if (profile == nullptr) return XR_ERROR_PATH_UNSUPPORTED;
    std::vector<std::pair<XrAction, XrPath>> bindings;
    for (uint32_t i = 0; i < info->countSuggestedBindings; ++i) {
        const XrActionSuggestedBinding& b = info->suggestedBindings[i];
        Action* a = registry().get<Action>(b.action);
        if (a == nullptr || a->set->instance != inst) return XR_ERROR_HANDLE_INVALID;
        if (a->set->attached) return XR_ERROR_ACTIONSETS_ALREADY_ATTACHED;
        const std::string* path = inst->pathString(b.binding);
        if (path == nullptr) return XR_ERROR_PATH_INVALID;
        std::string component;
        const int hand = splitBinding(*path, component);
        if (hand < 0 || !validComponent(*profile, hand, component)) {
            writeRuntimeMessage(strCat("binding ", *path, " is not part of ", profile->path));
            return XR_ERROR_PATH_UNSUPPORTED;
        }
        bindings.emplace_back(b.action, b.binding);
    }
    inst->suggested[info->interactionProfile] = std::move(bindings);
    return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL attachActionSets(XrSession session, const XrSessionActionSetsAttachInfo* info) {
    auto lock = registry().lock();
    Session* s = registry().get<Session>(session);
    if (s == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (s->lossPending) return XR_ERROR_SESSION_LOST;
    if (info == nullptr || info->type != XR_TYPE_SESSION_ACTION_SETS_ATTACH_INFO || info->countActionSets == 0) {
        return XR_ERROR_VALIDATION_FAILURE;
    }
    if (!s->attachedSets.empty()) return XR_ERROR_ACTIONSETS_ALREADY_ATTACHED;
    for (uint32_t i = 0; i < info->countActionSets; ++i) {
        ActionSet* set = registry().get<ActionSet>(info->actionSets[i]);
        if (set == nullptr || set->instance != s->instance) return XR_ERROR_HANDLE_INVALID;
    }
    Instance& inst = *s->instance;
    for (uint32_t i = 0; i < info->countActionSets; ++i) {
        registry().get<ActionSet>(info->actionSets[i])->attached = true;
        s->attachedSets.insert(info->actionSets[i]);
    }
    // The "hardware" is the configured profile when the application knows
    // it, otherwise the first profile the application suggested bindings for.
    XrPath chosen = XR_NULL_PATH;
    const XrPath configured = inst.path(inst.config.interactionProfile);
    if (inst.suggested.count(configured) != 0) {
        chosen = configured;
    } else {
        for (const Profile& p : profiles()) {
            const XrPath candidate = inst.path(p.path);
            if (inst.suggested.count(candidate) != 0) {
                chosen = candidate;
                break;
            }
        }
    }
    s->currentProfile = chosen;
    registry().forEach<Action>([&](Action& a) {
        if (s->attachedSets.count(toHandle<XrActionSet>(a.set->handle)) == 0) return;
        a.boundSources.clear();
        for (auto& st : a.states) st = ActionState{};
        if (chosen == XR_NULL_PATH) return;
        for (const auto& [action, binding] : inst.suggested[chosen]) {
            if (reinterpret_cast<std::uint64_t>(action) == a.handle) a.boundSources.push_back(binding);
        }
    });
    inst.log.line(strCat("actions attached profile ", chosen == XR_NULL_PATH ? std::string("none") : *inst.pathString(chosen)));
    if (chosen != XR_NULL_PATH) {
        XrEventDataBuffer buffer{};
    buffer.type = XR_TYPE_EVENT_DATA_BUFFER;
        auto* e = reinterpret_cast<XrEventDataInteractionProfileChanged*>(&buffer);
        e->type = XR_TYPE_EVENT_DATA_INTERACTION_PROFILE_CHANGED;
        e->next = nullptr;
        e->session = session;
        pushEvent(inst, buffer);
    }
    return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL syncActions(XrSession session, const XrActionsSyncInfo* info) {
    auto lock = registry().lock();
    Session* s = registry().get<Session>(session);
    if (s == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (s->lossPending) return XR_ERROR_SESSION_LOST;
    if (info == nullptr || info->type != XR_TYPE_ACTIONS_SYNC_INFO) return XR_ERROR_VALIDATION_FAILURE;
    if (info->countActiveActionSets > 0 && info->activeActionSets == nullptr) return XR_ERROR_VALIDATION_FAILURE;
    std::map<XrActionSet, XrPath> active;  // set -> subaction filter (NULL = all)
    for (uint32_t i = 0; i < info->countActiveActionSets; ++i) {
        const XrActiveActionSet& a = info->activeActionSets[i];
        if (registry().get<ActionSet>(a.actionSet) == nullptr) return XR_ERROR_HANDLE_INVALID;
        if (s->attachedSets.count(a.actionSet) == 0) return XR_ERROR_ACTIONSET_NOT_ATTACHED;
        if (a.subactionPath != XR_NULL_PATH && slotOf(*s->instance, a.subactionPath) < 0) return XR_ERROR_PATH_UNSUPPORTED;
        active[a.actionSet] = a.subactionPath;
    }
    const bool focused = s->state == XR_SESSION_STATE_FOCUSED;
    const XrTime t = s->lastDisplayTime != 0 ? s->lastDisplayTime : monotonicNow();
    const InputState in = inputAt(*s, t);
    Instance& inst = *s->instance;
    registry().forEach<Action>([&](Action& a) {
        const XrActionSet setHandle = toHandle<XrActionSet>(a.set->handle);
        if (s->attachedSets.count(setHandle) == 0) return;
        const auto it = active.find(setHandle);
        for (int slot = 0; slot < 3; ++slot) {
            ActionState next;
            const bool setActive = focused && it != active.end() &&
                                   (it->second == XR_NULL_PATH || slot == 0 || slotOf(inst, it->second) == slot);
            if (setActive) {
                bool any = false;
                float best = 0.0F;
                glm::vec2 vec{0.0F};
                for (XrPath binding : a.boundSources) {
                    std::string component;
                    const int hand = splitBinding(*inst.pathString(binding), component);
                    if (hand < 0 || (slot != 0 && hand != slot - 1)) continue;
                    if (it->second != XR_NULL_PATH && slotOf(inst, it->second) != hand + 1) continue;
                    const HandInput& h = in.hands[static_cast<std::size_t>(hand)];
                    if (!h.tracked) continue;
                    const Source src = sourceOf(component);
                    any = true;
                    const float v = scalarOf(src, h);
                    if (std::abs(v) > std::abs(best)) best = v;
                    if (src == Source::kThumbstick && glm::length(vec) == 0.0F) vec = h.thumbstick;
                }
                next.active = any;
                next.value = best;
                next.boolean = best > 0.5F;
                next.vector = vec;
            }
            ActionState& cur = a.states[slot];
            next.changed = cur.active && next.active &&
                           (next.boolean != cur.boolean || next.value != cur.value || next.vector != cur.vector);
            next.lastChange = next.changed || (next.active && !cur.active) ? t : cur.lastChange;
            cur = next;
        }
    });
    s->synced = true;
    return focused ? XR_SUCCESS : XR_SESSION_NOT_FOCUSED;
}

// Common checks of the xrGetActionState* functions.
XrResult actionFor(XrSession session, const XrActionStateGetInfo* info, XrActionType type, Action*& out, int& slot) {
    Session* s = registry().get<Session>(session);
    if (s == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (s->lossPending) return XR_ERROR_SESSION_LOST;
    if (info == nullptr || info->type != XR_TYPE_ACTION_STATE_GET_INFO) return XR_ERROR_VALIDATION_FAILURE;
    out = registry().get<Action>(info->action);
    if (out == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (out->type != type) return XR_ERROR_ACTION_TYPE_MISMATCH;
    if (s->attachedSets.count(toHandle<XrActionSet>(out->set->handle)) == 0) return XR_ERROR_ACTIONSET_NOT_ATTACHED;
    return checkSubaction(*out, info->subactionPath, slot);
}

XRAPI_ATTR XrResult XRAPI_CALL getActionStateBoolean(XrSession session, const XrActionStateGetInfo* info,
                                                     XrActionStateBoolean* state) {
    auto lock = registry().lock();
    Action* a = nullptr;
    int slot = 0;
    if (XrResult r = actionFor(session, info, XR_ACTION_TYPE_BOOLEAN_INPUT, a, slot); r != XR_SUCCESS) return r;
    if (state == nullptr || state->type != XR_TYPE_ACTION_STATE_BOOLEAN) return XR_ERROR_VALIDATION_FAILURE;
    const ActionState& st = a->states[slot];
    state->currentState = st.boolean ? XR_TRUE : XR_FALSE;
    state->changedSinceLastSync = st.changed ? XR_TRUE : XR_FALSE;
    state->lastChangeTime = st.lastChange;
    state->isActive = st.active ? XR_TRUE : XR_FALSE;
    return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL getActionStateFloat(XrSession session, const XrActionStateGetInfo* info,
                                                   XrActionStateFloat* state) {
    auto lock = registry().lock();
    Action* a = nullptr;
    int slot = 0;
    if (XrResult r = actionFor(session, info, XR_ACTION_TYPE_FLOAT_INPUT, a, slot); r != XR_SUCCESS) return r;
    if (state == nullptr || state->type != XR_TYPE_ACTION_STATE_FLOAT) return XR_ERROR_VALIDATION_FAILURE;
    const ActionState& st = a->states[slot];
    state->currentState = st.value;
    state->changedSinceLastSync = st.changed ? XR_TRUE : XR_FALSE;
    state->lastChangeTime = st.lastChange;
    state->isActive = st.active ? XR_TRUE : XR_FALSE;
    return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL getActionStateVector2f(XrSession session, const XrActionStateGetInfo* info,
                                                      XrActionStateVector2f* state) {
    auto lock = registry().lock();
    Action* a = nullptr;
    int slot = 0;
    if (XrResult r = actionFor(session, info, XR_ACTION_TYPE_VECTOR2F_INPUT, a, slot); r != XR_SUCCESS) return r;
    if (state == nullptr || state->type != XR_TYPE_ACTION_STATE_VECTOR2F) return XR_ERROR_VALIDATION_FAILURE;
    const ActionState& st = a->states[slot];
    state->currentState = {st.vector.x, st.vector.y};
    state->changedSinceLastSync = st.changed ? XR_TRUE : XR_FALSE;
    state->lastChangeTime = st.lastChange;
    state->isActive = st.active ? XR_TRUE : XR_FALSE;
    return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL getActionStatePose(XrSession session, const XrActionStateGetInfo* info, XrActionStatePose* state) {
    auto lock = registry().lock();
    Action* a = nullptr;
    int slot = 0;
    if (XrResult r = actionFor(session, info, XR_ACTION_TYPE_POSE_INPUT, a, slot); r != XR_SUCCESS) return r;
    if (state == nullptr || state->type != XR_TYPE_ACTION_STATE_POSE) return XR_ERROR_VALIDATION_FAILURE;
    state->isActive = a->states[slot].active ? XR_TRUE : XR_FALSE;
    return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL applyHapticFeedback(XrSession session, const XrHapticActionInfo* info,
                                                   const XrHapticBaseHeader* haptic) {
    auto lock = registry().lock();
    Session* s = registry().get<Session>(session);
    if (s == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (s->lossPending) return XR_ERROR_SESSION_LOST;
    if (info == nullptr || info->type != XR_TYPE_HAPTIC_ACTION_INFO || haptic == nullptr) return XR_ERROR_VALIDATION_FAILURE;
    Action* a = registry().get<Action>(info->action);
    if (a == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (a->type != XR_ACTION_TYPE_VIBRATION_OUTPUT) return XR_ERROR_ACTION_TYPE_MISMATCH;
    if (s->attachedSets.count(toHandle<XrActionSet>(a->set->handle)) == 0) return XR_ERROR_ACTIONSET_NOT_ATTACHED;
    int slot = 0;
    if (XrResult r = checkSubaction(*a, info->subactionPath, slot); r != XR_SUCCESS) return r;
    if (haptic->type != XR_TYPE_HAPTIC_VIBRATION) return XR_ERROR_VALIDATION_FAILURE;
    const auto* v = reinterpret_cast<const XrHapticVibration*>(haptic);
    const char* hand = slot == 0 ? "any" : slot == 1 ? "left" : "right";
    s->instance->log.line(strCat("haptic ", hand, " action ", a->name, " duration_ns ", v->duration, " frequency ", v->frequency,
                                 " amplitude ", v->amplitude));
    return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL stopHapticFeedback(XrSession session, const XrHapticActionInfo* info) {
    auto lock = registry().lock();
    Session* s = registry().get<Session>(session);
    if (s == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (s->lossPending) return XR_ERROR_SESSION_LOST;
    if (info == nullptr || info->type != XR_TYPE_HAPTIC_ACTION_INFO) return XR_ERROR_VALIDATION_FAILURE;
    Action* a = registry().get<Action>(info->action);
    if (a == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (a->type != XR_ACTION_TYPE_VIBRATION_OUTPUT) return XR_ERROR_ACTION_TYPE_MISMATCH;
    if (s->attachedSets.count(toHandle<XrActionSet>(a->set->handle)) == 0) return XR_ERROR_ACTIONSET_NOT_ATTACHED;
    int slot = 0;
    if (XrResult r = checkSubaction(*a, info->subactionPath, slot); r != XR_SUCCESS) return r;
    s->instance->log.line(strCat("haptic_stop ", slot == 0 ? "any" : slot == 1 ? "left" : "right", " action ", a->name));
    return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL getCurrentInteractionProfile(XrSession session, XrPath topLevelUserPath,
                                                            XrInteractionProfileState* state) {
    auto lock = registry().lock();
    Session* s = registry().get<Session>(session);
    if (s == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (s->lossPending) return XR_ERROR_SESSION_LOST;
    if (state == nullptr || state->type != XR_TYPE_INTERACTION_PROFILE_STATE) return XR_ERROR_VALIDATION_FAILURE;
    const std::string* p = s->instance->pathString(topLevelUserPath);
    if (p == nullptr) return XR_ERROR_PATH_INVALID;
    if (s->attachedSets.empty()) return XR_ERROR_ACTIONSET_NOT_ATTACHED;
    if (*p == kLeft || *p == kRight) {
        state->interactionProfile = s->currentProfile;
    } else if (*p == "/user/head" || *p == "/user/gamepad") {
        state->interactionProfile = XR_NULL_PATH;
    } else {
        return XR_ERROR_PATH_UNSUPPORTED;
    }
    return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL enumerateBoundSources(XrSession session, const XrBoundSourcesForActionEnumerateInfo* info,
                                                     uint32_t capacity, uint32_t* count, XrPath* sources) {
    auto lock = registry().lock();
    Session* s = registry().get<Session>(session);
    if (s == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (s->lossPending) return XR_ERROR_SESSION_LOST;
    if (info == nullptr || info->type != XR_TYPE_BOUND_SOURCES_FOR_ACTION_ENUMERATE_INFO) return XR_ERROR_VALIDATION_FAILURE;
    Action* a = registry().get<Action>(info->action);
    if (a == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (s->attachedSets.count(toHandle<XrActionSet>(a->set->handle)) == 0) return XR_ERROR_ACTIONSET_NOT_ATTACHED;
    return fillArray(capacity, count, sources, a->boundSources);
}

// "/input/select/click" -> "Select Click"
std::string titleCase(const std::string& path) {
    std::string out;
    bool start = true;
    for (char c : path) {
        if (c == '/' || c == '_') {
            if (!out.empty() && out.back() != ' ') out += ' ';
            start = true;
            continue;
        }
        out += start ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
        start = false;
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out;
}

XRAPI_ATTR XrResult XRAPI_CALL getInputSourceLocalizedName(XrSession session, const XrInputSourceLocalizedNameGetInfo* info,
                                                           uint32_t capacity, uint32_t* count, char* buffer) {
    auto lock = registry().lock();
    Session* s = registry().get<Session>(session);
    if (s == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (s->lossPending) return XR_ERROR_SESSION_LOST;
    if (info == nullptr || info->type != XR_TYPE_INPUT_SOURCE_LOCALIZED_NAME_GET_INFO || info->whichComponents == 0) {
        return XR_ERROR_VALIDATION_FAILURE;
    }
    if (s->attachedSets.empty()) return XR_ERROR_ACTIONSET_NOT_ATTACHED;
    const std::string* path = s->instance->pathString(info->sourcePath);
    if (path == nullptr) return XR_ERROR_PATH_INVALID;
    std::string component;
    const int hand = splitBinding(*path, component);
    if (hand < 0) return XR_ERROR_PATH_UNSUPPORTED;
    std::string name;
    const auto add = [&](const std::string& part) { name += (name.empty() ? "" : " ") + part; };
    if (info->whichComponents & XR_INPUT_SOURCE_LOCALIZED_NAME_USER_PATH_BIT) add(hand == 0 ? "Left Hand" : "Right Hand");
    if (info->whichComponents & XR_INPUT_SOURCE_LOCALIZED_NAME_INTERACTION_PROFILE_BIT) {
        const std::string* p = s->instance->pathString(s->currentProfile);
        const Profile* prof = p != nullptr ? findProfile(*p) : nullptr;
        add(prof != nullptr ? prof->displayName : "Controller");
    }
    if (info->whichComponents & XR_INPUT_SOURCE_LOCALIZED_NAME_COMPONENT_BIT) add(titleCase(component.substr(component.find('/', 1))));
    return fillString(capacity, count, buffer, name);
}

XRAPI_ATTR XrResult XRAPI_CALL createActionSpace(XrSession session, const XrActionSpaceCreateInfo* info, XrSpace* space) {
    auto lock = registry().lock();
    Session* s = registry().get<Session>(session);
    if (s == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (s->lossPending) return XR_ERROR_SESSION_LOST;
    if (info == nullptr || space == nullptr || info->type != XR_TYPE_ACTION_SPACE_CREATE_INFO) return XR_ERROR_VALIDATION_FAILURE;
    Action* a = registry().get<Action>(info->action);
    if (a == nullptr || a->set->instance != s->instance) return XR_ERROR_HANDLE_INVALID;
    if (a->type != XR_ACTION_TYPE_POSE_INPUT) return XR_ERROR_ACTION_TYPE_MISMATCH;
    int slot = 0;
    if (XrResult r = checkSubaction(*a, info->subactionPath, slot); r != XR_SUCCESS) return r;
    if (!isValidPose(info->poseInActionSpace)) return XR_ERROR_POSE_INVALID;
    auto sp = std::make_unique<Space>();
    sp->session = s;
    sp->action = info->action;
    sp->subaction = info->subactionPath;
    sp->offset = fromXr(info->poseInActionSpace);
    *space = toHandle<XrSpace>(registry().add(std::move(sp), reinterpret_cast<std::uint64_t>(session)));
    return XR_SUCCESS;
}

// ---- XR_EXT_hand_tracking ---------------------------------------------------

XRAPI_ATTR XrResult XRAPI_CALL createHandTracker(XrSession session, const XrHandTrackerCreateInfoEXT* info,
                                                 XrHandTrackerEXT* tracker) {
    auto lock = registry().lock();
    Session* s = registry().get<Session>(session);
    if (s == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (s->lossPending) return XR_ERROR_SESSION_LOST;
    if (info == nullptr || tracker == nullptr || info->type != XR_TYPE_HAND_TRACKER_CREATE_INFO_EXT) {
        return XR_ERROR_VALIDATION_FAILURE;
    }
    if (!s->instance->config.handTracking) return XR_ERROR_FEATURE_UNSUPPORTED;
    if (info->hand != XR_HAND_LEFT_EXT && info->hand != XR_HAND_RIGHT_EXT) return XR_ERROR_VALIDATION_FAILURE;
    if (info->handJointSet != XR_HAND_JOINT_SET_DEFAULT_EXT) return XR_ERROR_VALIDATION_FAILURE;
    auto t = std::make_unique<HandTracker>();
    t->session = s;
    t->hand = info->hand;
    *tracker = toHandle<XrHandTrackerEXT>(registry().add(std::move(t), reinterpret_cast<std::uint64_t>(session)));
    return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL destroyHandTracker(XrHandTrackerEXT tracker) {
    auto lock = registry().lock();
    if (registry().get<HandTracker>(tracker) == nullptr) return XR_ERROR_HANDLE_INVALID;
    registry().destroy(reinterpret_cast<std::uint64_t>(tracker));
    return XR_SUCCESS;
}

// An open, flat hand in the grip frame (-Z forward, +Y up), mirrored for
// the left hand: plausible joints for avatars, not anatomy.
Pose jointInGrip(int joint, bool left) {
    Pose p;
    const float side = left ? -1.0F : 1.0F;
    if (joint == XR_HAND_JOINT_PALM_EXT) {
        p.position = {0.0F, 0.0F, -0.02F};
    } else if (joint == XR_HAND_JOINT_WRIST_EXT) {
        p.position = {0.0F, 0.0F, 0.05F};
    } else if (joint <= XR_HAND_JOINT_THUMB_TIP_EXT) {
        const int k = joint - XR_HAND_JOINT_THUMB_METACARPAL_EXT;  // 0..3
        p.position = {-side * (0.03F + 0.015F * static_cast<float>(k)), 0.0F, 0.03F - 0.025F * static_cast<float>(k)};
    } else {
        const int finger = (joint - XR_HAND_JOINT_INDEX_METACARPAL_EXT) / 5;  // 0 index .. 3 little
        const int k = (joint - XR_HAND_JOINT_INDEX_METACARPAL_EXT) % 5;      // metacarpal .. tip
        const float lateral = side * (-0.025F + 0.017F * static_cast<float>(finger));
        const float length = finger == 3 ? 0.75F : finger == 1 ? 1.1F : 1.0F;
        p.position = {lateral, 0.0F, 0.03F - (k == 0 ? 0.0F : 0.05F + 0.025F * static_cast<float>(k - 1)) * length};
    }
    return p;
}

XRAPI_ATTR XrResult XRAPI_CALL locateHandJoints(XrHandTrackerEXT tracker, const XrHandJointsLocateInfoEXT* info,
                                                XrHandJointLocationsEXT* locations) {
    auto lock = registry().lock();
    HandTracker* t = registry().get<HandTracker>(tracker);
    if (t == nullptr) return XR_ERROR_HANDLE_INVALID;
    Session& s = *t->session;
    if (s.lossPending) return XR_ERROR_SESSION_LOST;
    if (info == nullptr || info->type != XR_TYPE_HAND_JOINTS_LOCATE_INFO_EXT || locations == nullptr ||
        locations->type != XR_TYPE_HAND_JOINT_LOCATIONS_EXT || locations->jointLocations == nullptr) {
        return XR_ERROR_VALIDATION_FAILURE;
    }
    if (locations->jointCount != XR_HAND_JOINT_COUNT_EXT) return XR_ERROR_VALIDATION_FAILURE;
    Space* base = registry().get<Space>(info->baseSpace);
    if (base == nullptr || base->session != &s) return XR_ERROR_HANDLE_INVALID;
    if (info->time <= 0) return XR_ERROR_TIME_INVALID;
    const InputState in = inputAt(s, info->time);
    const bool left = t->hand == XR_HAND_LEFT_EXT;
    const HandInput& h = in.hands[left ? 0 : 1];
    const auto b = spaceInStage(s, *base, info->time, in);
    XrHandJointVelocitiesEXT* velocities = nullptr;
    for (auto* n = static_cast<XrBaseOutStructure*>(locations->next); n != nullptr; n = n->next) {
        if (n->type == XR_TYPE_HAND_JOINT_VELOCITIES_EXT) velocities = reinterpret_cast<XrHandJointVelocitiesEXT*>(n);
    }
    const bool active = h.tracked && b.has_value();
    locations->isActive = active ? XR_TRUE : XR_FALSE;
    for (uint32_t j = 0; j < XR_HAND_JOINT_COUNT_EXT; ++j) {
        XrHandJointLocationEXT& loc = locations->jointLocations[j];
        const int joint = static_cast<int>(j);
        const bool tip = joint == XR_HAND_JOINT_THUMB_TIP_EXT || (joint >= XR_HAND_JOINT_INDEX_METACARPAL_EXT &&
                                                                  (joint - XR_HAND_JOINT_INDEX_METACARPAL_EXT) % 5 == 4);
        loc.radius = tip ? 0.008F : 0.011F;
        if (!active) {
            loc.locationFlags = 0;
            loc.pose = toXr(Pose{});
            continue;
        }
        // A pinch brings the thumb tip onto the index finger's tip.
        const int shown = h.pinch && joint == XR_HAND_JOINT_THUMB_TIP_EXT ? XR_HAND_JOINT_INDEX_TIP_EXT : joint;
        loc.pose = toXr(compose(inverse(*b), compose(h.grip, jointInGrip(shown, left))));
        loc.locationFlags = XR_SPACE_LOCATION_ORIENTATION_VALID_BIT | XR_SPACE_LOCATION_POSITION_VALID_BIT |
                            XR_SPACE_LOCATION_ORIENTATION_TRACKED_BIT | XR_SPACE_LOCATION_POSITION_TRACKED_BIT;
    }
    if (velocities != nullptr) {
        if (velocities->jointCount != XR_HAND_JOINT_COUNT_EXT || velocities->jointVelocities == nullptr) {
            return XR_ERROR_VALIDATION_FAILURE;
        }
        for (uint32_t j = 0; j < XR_HAND_JOINT_COUNT_EXT; ++j) velocities->jointVelocities[j] = XrHandJointVelocityEXT{};
    }
    return XR_SUCCESS;
}

}  // namespace

std::optional<Pose> spaceInStage(Session& s, const Space& space, XrTime /*time*/, const InputState& in) {
    if (space.anchor) return compose(*space.anchor, space.offset);
    if (space.reference) {
        switch (*space.reference) {
            case XR_REFERENCE_SPACE_TYPE_VIEW: return compose(in.head, space.offset);
            case XR_REFERENCE_SPACE_TYPE_LOCAL: {
                Pose origin;
                origin.position.y = s.localOriginHeight;
                return compose(origin, space.offset);
            }
            default: return space.offset;
        }
    }
    Action* a = registry().get<Action>(space.action);
    if (a == nullptr || s.attachedSets.count(toHandle<XrActionSet>(a->set->handle)) == 0) return std::nullopt;
    const int wanted = slotOf(*s.instance, space.subaction);  // 0 any, 1 left, 2 right
    // A pose action inactive at the last xrSyncActions (never synced, not
    // focused: a system menu has the controllers) has an unlocated space,
    // as the spec says and real runtimes do.
    if (wanted < 0 || !a->states[wanted].active) return std::nullopt;
    for (XrPath binding : a->boundSources) {
        std::string component;
        const int hand = splitBinding(*s.instance->pathString(binding), component);
        if (hand < 0 || (wanted > 0 && hand != wanted - 1)) continue;
        const Source src = sourceOf(component);
        if (src != Source::kGrip && src != Source::kAim) continue;
        const HandInput& h = in.hands[static_cast<std::size_t>(hand)];
        if (!h.tracked) return std::nullopt;
        return compose(src == Source::kAim ? h.aim : h.grip, space.offset);
    }
    return std::nullopt;
}

void addInputProcs(std::vector<ProcEntry>& t) {
    t.push_back({"xrCreateActionSet", MXR_XR_FN(createActionSet), nullptr});
    t.push_back({"xrDestroyActionSet", MXR_XR_FN(destroyActionSet), nullptr});
    t.push_back({"xrCreateAction", MXR_XR_FN(createAction), nullptr});
    t.push_back({"xrDestroyAction", MXR_XR_FN(destroyAction), nullptr});
    t.push_back({"xrSuggestInteractionProfileBindings", MXR_XR_FN(suggestBindings), nullptr});
    t.push_back({"xrAttachSessionActionSets", MXR_XR_FN(attachActionSets), nullptr});
    t.push_back({"xrSyncActions", MXR_XR_FN(syncActions), nullptr});
    t.push_back({"xrGetActionStateBoolean", MXR_XR_FN(getActionStateBoolean), nullptr});
    t.push_back({"xrGetActionStateFloat", MXR_XR_FN(getActionStateFloat), nullptr});
    t.push_back({"xrGetActionStateVector2f", MXR_XR_FN(getActionStateVector2f), nullptr});
    t.push_back({"xrGetActionStatePose", MXR_XR_FN(getActionStatePose), nullptr});
    t.push_back({"xrApplyHapticFeedback", MXR_XR_FN(applyHapticFeedback), nullptr});
    t.push_back({"xrStopHapticFeedback", MXR_XR_FN(stopHapticFeedback), nullptr});
    t.push_back({"xrGetCurrentInteractionProfile", MXR_XR_FN(getCurrentInteractionProfile), nullptr});
    t.push_back({"xrEnumerateBoundSourcesForAction", MXR_XR_FN(enumerateBoundSources), nullptr});
    t.push_back({"xrGetInputSourceLocalizedName", MXR_XR_FN(getInputSourceLocalizedName), nullptr});
    t.push_back({"xrCreateActionSpace", MXR_XR_FN(createActionSpace), nullptr});
    t.push_back({"xrCreateHandTrackerEXT", MXR_XR_FN(createHandTracker), XR_EXT_HAND_TRACKING_EXTENSION_NAME});
    t.push_back({"xrDestroyHandTrackerEXT", MXR_XR_FN(destroyHandTracker), XR_EXT_HAND_TRACKING_EXTENSION_NAME});
    t.push_back({"xrLocateHandJointsEXT", MXR_XR_FN(locateHandJoints), XR_EXT_HAND_TRACKING_EXTENSION_NAME});
}

}  // namespace mxr::xrrt
