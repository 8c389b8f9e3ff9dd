// The OpenXR backend's input: actions, suggested bindings, action spaces,
// hand tracking and haptics (see openxr_input.h).
#include "openxr_input.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace mxr::xr {

#define MXR_TRY_XR(call) MXR_TRY_XR_AT(m_instance, "openxr_input.cpp", call)

OpenXrInput::~OpenXrInput() {
    detach();
    if (m_actionSet) xrDestroyActionSet(m_actionSet);
}

Result<void> OpenXrInput::create(XrInstance instance, bool handTracking) {
    m_instance = instance;
    m_handTracking = handTracking;
    if (m_handTracking) {
        MXR_TRY_XR(xrGetInstanceProcAddr(m_instance, "xrCreateHandTrackerEXT",
                                         reinterpret_cast<PFN_xrVoidFunction*>(&m_createHandTracker)));
        MXR_TRY_XR(xrGetInstanceProcAddr(m_instance, "xrDestroyHandTrackerEXT",
                                         reinterpret_cast<PFN_xrVoidFunction*>(&m_destroyHandTracker)));
        MXR_TRY_XR(xrGetInstanceProcAddr(m_instance, "xrLocateHandJointsEXT",
                                         reinterpret_cast<PFN_xrVoidFunction*>(&m_locateHandJoints)));
    }
    return createActions();
}

Result<void> OpenXrInput::attach(XrSession session, XrSpace appSpace, XrSpace viewSpace) {
    m_session = session;
    m_appSpace = appSpace;
    m_viewSpace = viewSpace;
    for (int h = 0; h < 2; ++h) {
        XrActionSpaceCreateInfo asi{XR_TYPE_ACTION_SPACE_CREATE_INFO};
        asi.poseInActionSpace = kIdentity;
        asi.subactionPath = m_handPaths[h];
        asi.action = m_gripAction;
        MXR_TRY_XR(xrCreateActionSpace(m_session, &asi, &m_gripSpace[h]));
        asi.action = m_aimAction;
        MXR_TRY_XR(xrCreateActionSpace(m_session, &asi, &m_aimSpace[h]));
    }
    if (m_handTracking) {
        for (int h = 0; h < 2; ++h) {
            XrHandTrackerCreateInfoEXT hci{XR_TYPE_HAND_TRACKER_CREATE_INFO_EXT};
            hci.hand = h == 0 ? XR_HAND_LEFT_EXT : XR_HAND_RIGHT_EXT;
            hci.handJointSet = XR_HAND_JOINT_SET_DEFAULT_EXT;
            MXR_TRY_XR(m_createHandTracker(m_session, &hci, &m_handTracker[h]));
        }
    }
    XrSessionActionSetsAttachInfo at{XR_TYPE_SESSION_ACTION_SETS_ATTACH_INFO};
    at.countActionSets = 1;
    at.actionSets = &m_actionSet;
    MXR_TRY_XR(xrAttachSessionActionSets(m_session, &at));
    return {};
}

void OpenXrInput::detach() {
    for (auto& t : m_handTracker) {
        if (t) m_destroyHandTracker(t);
        t = XR_NULL_HANDLE;
    }
    for (int h = 0; h < 2; ++h) {
        if (m_gripSpace[h]) xrDestroySpace(m_gripSpace[h]);
        if (m_aimSpace[h]) xrDestroySpace(m_aimSpace[h]);
        m_gripSpace[h] = m_aimSpace[h] = XR_NULL_HANDLE;
    }
    m_input.joints = {};
    m_session = XR_NULL_HANDLE;
    m_appSpace = m_viewSpace = XR_NULL_HANDLE;
}

void OpenXrInput::haptic(int hand, float amplitude, float seconds) {
    if (!m_session) return;
    XrHapticActionInfo hi{XR_TYPE_HAPTIC_ACTION_INFO};
    hi.action = m_hapticAction;
    hi.subactionPath = m_handPaths[hand & 1];
    XrHapticVibration vib{XR_TYPE_HAPTIC_VIBRATION};
    vib.amplitude = std::clamp(amplitude, 0.0f, 1.0f);
    // Whole microseconds: float seconds would give 59999999 ns for 0.06 s.
    vib.duration = static_cast<XrDuration>(std::llround(double(seconds) * 1e6)) * 1000;
    vib.frequency = XR_FREQUENCY_UNSPECIFIED;
    xrApplyHapticFeedback(m_session, &hi, reinterpret_cast<XrHapticBaseHeader*>(&vib));
}

Result<void> OpenXrInput::createActions() {
    XrActionSetCreateInfo asci{XR_TYPE_ACTION_SET_CREATE_INFO};
    std::strcpy(asci.actionSetName, "mentoring");
    std::strcpy(asci.localizedActionSetName, "Mentoring");
    MXR_TRY_XR(xrCreateActionSet(m_instance, &asci, &m_actionSet));
    MXR_TRY_XR(xrStringToPath(m_instance, "/user/hand/left", &m_handPaths[0]));
    MXR_TRY_XR(xrStringToPath(m_instance, "/user/hand/right", &m_handPaths[1]));
    auto action = [&](XrAction& out, const char* name, const char* local, XrActionType type, bool perHand) -> Result<void> {
        XrActionCreateInfo ci{XR_TYPE_ACTION_CREATE_INFO};
        std::strcpy(ci.actionName, name);
        std::strcpy(ci.localizedActionName, local);
        ci.actionType = type;
        if (perHand) {
            ci.countSubactionPaths = 2;
            ci.subactionPaths = m_handPaths;
        }
        MXR_TRY_XR(xrCreateAction(m_actionSet, &ci, &out));
        return {};
    };
    MXR_TRY(action(m_gripAction, "grip_pose", "Grip pose", XR_ACTION_TYPE_POSE_INPUT, true));
    MXR_TRY(action(m_aimAction, "aim_pose", "Aim pose", XR_ACTION_TYPE_POSE_INPUT, true));
    MXR_TRY(action(m_selectAction, "select", "Select", XR_ACTION_TYPE_BOOLEAN_INPUT, true));
    MXR_TRY(action(m_squeezeAction, "squeeze", "Squeeze", XR_ACTION_TYPE_FLOAT_INPUT, true));
    MXR_TRY(action(m_thumbAction, "thumbstick", "Move and turn", XR_ACTION_TYPE_VECTOR2F_INPUT, true));
    MXR_TRY(action(m_menuAction, "menu", "Menu", XR_ACTION_TYPE_BOOLEAN_INPUT, false));
    MXR_TRY(action(m_hapticAction, "haptic", "Haptics", XR_ACTION_TYPE_VIBRATION_OUTPUT, true));
    MXR_TRY(action(m_talkAction, "talk", "Push to talk", XR_ACTION_TYPE_BOOLEAN_INPUT, false));
    MXR_TRY(action(m_muteAction, "mute", "Mute", XR_ACTION_TYPE_BOOLEAN_INPUT, false));
    MXR_TRY(action(m_padClickAction, "trackpad_click", "Trackpad press", XR_ACTION_TYPE_BOOLEAN_INPUT, true));

    struct Binding {
        XrAction action;
        const char* path;
    };
    auto suggest = [&](const char* profile, std::initializer_list<Binding> list) -> Result<void> {
        std::vector<XrActionSuggestedBinding> b;
        for (const auto& x : list) {
            XrPath p;
            MXR_TRY_XR(xrStringToPath(m_instance, x.path, &p));
            b.push_back({x.action, p});
        }
        XrPath prof;
        MXR_TRY_XR(xrStringToPath(m_instance, profile, &prof));
        XrInteractionProfileSuggestedBinding s{XR_TYPE_INTERACTION_PROFILE_SUGGESTED_BINDING};
        s.interactionProfile = prof;
        s.countSuggestedBindings = static_cast<std::uint32_t>(b.size());
        s.suggestedBindings = b.data();
        MXR_TRY_XR(xrSuggestInteractionProfileBindings(m_instance, &s));
        return {};
    };
    const XrAction g = m_gripAction, a = m_aimAction, sel = m_selectAction, sq = m_squeezeAction,
                   th = m_thumbAction, me = m_menuAction, h = m_hapticAction,
                   tk = m_talkAction, mu = m_muteAction, pc = m_padClickAction;
    MXR_TRY(suggest("/interaction_profiles/khr/simple_controller",
                    {{g, "/user/hand/left/input/grip/pose"}, {g, "/user/hand/right/input/grip/pose"},
                     {a, "/user/hand/left/input/aim/pose"}, {a, "/user/hand/right/input/aim/pose"},
                     {sel, "/user/hand/left/input/select/click"}, {sel, "/user/hand/right/input/select/click"},
                     {me, "/user/hand/left/input/menu/click"},
                     {h, "/user/hand/left/output/haptic"}, {h, "/user/hand/right/output/haptic"}}));
    MXR_TRY(suggest("/interaction_profiles/oculus/touch_controller",
                    {{g, "/user/hand/left/input/grip/pose"}, {g, "/user/hand/right/input/grip/pose"},
                     {a, "/user/hand/left/input/aim/pose"}, {a, "/user/hand/right/input/aim/pose"},
                     {sel, "/user/hand/left/input/trigger/value"}, {sel, "/user/hand/right/input/trigger/value"},
                     {sq, "/user/hand/left/input/squeeze/value"}, {sq, "/user/hand/right/input/squeeze/value"},
                     {th, "/user/hand/left/input/thumbstick"}, {th, "/user/hand/right/input/thumbstick"},
                     {me, "/user/hand/left/input/menu/click"},
                     {tk, "/user/hand/left/input/x/click"}, {mu, "/user/hand/left/input/y/click"},
                     {h, "/user/hand/left/output/haptic"}, {h, "/user/hand/right/output/haptic"}}));
    MXR_TRY(suggest("/interaction_profiles/valve/index_controller",
                    {{g, "/user/hand/left/input/grip/pose"}, {g, "/user/hand/right/input/grip/pose"},
                     {a, "/user/hand/left/input/aim/pose"}, {a, "/user/hand/right/input/aim/pose"},
                     {sel, "/user/hand/left/input/trigger/click"}, {sel, "/user/hand/right/input/trigger/click"},
                     {sq, "/user/hand/left/input/squeeze/value"}, {sq, "/user/hand/right/input/squeeze/value"},
                     {th, "/user/hand/left/input/thumbstick"}, {th, "/user/hand/right/input/thumbstick"},
                     {me, "/user/hand/left/input/b/click"}, {tk, "/user/hand/left/input/a/click"},
                     {h, "/user/hand/left/output/haptic"}, {h, "/user/hand/right/output/haptic"}}));
    MXR_TRY(suggest("/interaction_profiles/htc/vive_controller",
                    {{g, "/user/hand/left/input/grip/pose"}, {g, "/user/hand/right/input/grip/pose"},
                     {a, "/user/hand/left/input/aim/pose"}, {a, "/user/hand/right/input/aim/pose"},
                     {sel, "/user/hand/left/input/trigger/click"}, {sel, "/user/hand/right/input/trigger/click"},
                     {sq, "/user/hand/left/input/squeeze/click"}, {sq, "/user/hand/right/input/squeeze/click"},
                     {th, "/user/hand/left/input/trackpad"}, {th, "/user/hand/right/input/trackpad"},
                     {me, "/user/hand/left/input/menu/click"}, {tk, "/user/hand/left/input/trackpad/click"},
                     {pc, "/user/hand/left/input/trackpad/click"}, {pc, "/user/hand/right/input/trackpad/click"},
                     {h, "/user/hand/left/output/haptic"}, {h, "/user/hand/right/output/haptic"}}));
    MXR_TRY(suggest("/interaction_profiles/microsoft/motion_controller",
                    {{g, "/user/hand/left/input/grip/pose"}, {g, "/user/hand/right/input/grip/pose"},
                     {a, "/user/hand/left/input/aim/pose"}, {a, "/user/hand/right/input/aim/pose"},
                     {sel, "/user/hand/left/input/trigger/value"}, {sel, "/user/hand/right/input/trigger/value"},
                     {sq, "/user/hand/left/input/squeeze/click"}, {sq, "/user/hand/right/input/squeeze/click"},
                     {th, "/user/hand/left/input/thumbstick"}, {th, "/user/hand/right/input/thumbstick"},
                     {me, "/user/hand/left/input/menu/click"}, {tk, "/user/hand/left/input/thumbstick/click"},
                     {h, "/user/hand/left/output/haptic"}, {h, "/user/hand/right/output/haptic"}}));
    return {};
}

void OpenXrInput::clearFocusedInput() {
    for (auto& hand : m_input.hands) {
        hand.tracked = hand.select = hand.squeeze = false;
        hand.thumbstick = Vec2(0.0f);
    }
    for (auto& j : m_input.joints) j.valid = false;
    m_input.menu = m_input.talk = m_input.mute = false;
    m_input.focused = false;
}

void OpenXrInput::sync(XrTime time, bool focused) {
    XrSpaceLocation loc{XR_TYPE_SPACE_LOCATION};
    // The head: whatever part of it is valid (the position held while only
    // the orientation is tracked, as the views are).
    if (XR_SUCCEEDED(xrLocateSpace(m_viewSpace, m_appSpace, time, &loc))) {
        if (loc.locationFlags & XR_SPACE_LOCATION_ORIENTATION_VALID_BIT) m_input.head.orientation = toPose(loc.pose).orientation;
        if (loc.locationFlags & XR_SPACE_LOCATION_POSITION_VALID_BIT) m_input.head.position = toPose(loc.pose).position;
    }
    // Synced every frame, focused or not: XR_SESSION_NOT_FOCUSED (a success
    // code) is the runtime saying a system menu has the controllers. Then
    // nothing of the hands may go on acting: a held trigger would stay a
    // panel click, an aimed teleport would fire, frozen hands would be sent
    // to the room. The grip and aim poses keep their last values (others see
    // the person paused in place), but nothing is tracked or pressed.
    XrActiveActionSet active{m_actionSet, XR_NULL_PATH};
    XrActionsSyncInfo si{XR_TYPE_ACTIONS_SYNC_INFO};
    si.countActiveActionSets = 1;
    si.activeActionSets = &active;
    const XrResult synced = xrSyncActions(m_session, &si);
    if (!focused || synced != XR_SUCCESS) {
        clearFocusedInput();
        return;
    }
    m_input.focused = true;
    for (int h = 0; h < 2; ++h) {
        HandInput& hand = m_input.hands[h];
        XrActionStateGetInfo gi{XR_TYPE_ACTION_STATE_GET_INFO};
        gi.subactionPath = m_handPaths[h];
        gi.action = m_selectAction;
        XrActionStateBoolean b{XR_TYPE_ACTION_STATE_BOOLEAN};
        hand.select = XR_SUCCEEDED(xrGetActionStateBoolean(m_session, &gi, &b)) && b.isActive && b.currentState;
        gi.action = m_squeezeAction;
        XrActionStateFloat fl{XR_TYPE_ACTION_STATE_FLOAT};
        hand.squeeze = XR_SUCCEEDED(xrGetActionStateFloat(m_session, &gi, &fl)) && fl.isActive && fl.currentState > 0.5f;
        gi.action = m_thumbAction;
        XrActionStateVector2f v{XR_TYPE_ACTION_STATE_VECTOR2F};
        hand.thumbstick = XR_SUCCEEDED(xrGetActionStateVector2f(m_session, &gi, &v)) && v.isActive
                              ? Vec2(v.currentState.x, v.currentState.y)
                              : Vec2(0.0f);
        // A trackpad reports where the thumb rests, not a deflection: it
        // moves or turns only while pressed (the click action is bound, so
        // active, only on profiles whose stick is a trackpad).
        gi.action = m_padClickAction;
        XrActionStateBoolean pad{XR_TYPE_ACTION_STATE_BOOLEAN};
        if (XR_SUCCEEDED(xrGetActionStateBoolean(m_session, &gi, &pad)) && pad.isActive && !pad.currentState) {
            hand.thumbstick = Vec2(0.0f);
        }
        XrSpaceLocation g{XR_TYPE_SPACE_LOCATION}, a{XR_TYPE_SPACE_LOCATION};
        constexpr XrSpaceLocationFlags kValid =
            XR_SPACE_LOCATION_POSITION_VALID_BIT | XR_SPACE_LOCATION_ORIENTATION_VALID_BIT;
        hand.tracked = XR_SUCCEEDED(xrLocateSpace(m_gripSpace[h], m_appSpace, time, &g)) &&
                       (g.locationFlags & kValid) == kValid;
        if (hand.tracked) hand.grip = toPose(g.pose);
        if (XR_SUCCEEDED(xrLocateSpace(m_aimSpace[h], m_appSpace, time, &a)) && (a.locationFlags & kValid) == kValid) {
            hand.aim = toPose(a.pose);
        }
    }
    for (int h = 0; h < 2; ++h) locateJoints(h, time);
    XrActionStateGetInfo mi{XR_TYPE_ACTION_STATE_GET_INFO};
    mi.action = m_menuAction;
    XrActionStateBoolean mb{XR_TYPE_ACTION_STATE_BOOLEAN};
    m_input.menu = XR_SUCCEEDED(xrGetActionStateBoolean(m_session, &mi, &mb)) && mb.isActive && mb.currentState;
    mi.action = m_talkAction;
    m_input.talk = XR_SUCCEEDED(xrGetActionStateBoolean(m_session, &mi, &mb)) && mb.isActive && mb.currentState;
    mi.action = m_muteAction;
    m_input.mute = XR_SUCCEEDED(xrGetActionStateBoolean(m_session, &mi, &mb)) && mb.isActive && mb.currentState;
}

void OpenXrInput::locateJoints(int h, XrTime time) {
    HandJoints& out = m_input.joints[h];
    out.valid = false;
    if (!m_handTracker[h]) return;
    std::array<XrHandJointLocationEXT, XR_HAND_JOINT_COUNT_EXT> locs{};
    XrHandJointLocationsEXT result{XR_TYPE_HAND_JOINT_LOCATIONS_EXT};
    result.jointCount = XR_HAND_JOINT_COUNT_EXT;
    result.jointLocations = locs.data();
    XrHandJointsLocateInfoEXT li{XR_TYPE_HAND_JOINTS_LOCATE_INFO_EXT};
    li.baseSpace = m_appSpace;
    li.time = time;
    if (XR_FAILED(m_locateHandJoints(m_handTracker[h], &li, &result)) || !result.isActive) return;
    for (std::size_t j = 0; j < kHandJointCount; ++j) {
        if (!(locs[j].locationFlags & XR_SPACE_LOCATION_POSITION_VALID_BIT)) return;
        out.poses[j] = toPose(locs[j].pose);
        out.radii[j] = locs[j].radius;
    }
    out.valid = true;
}

}  // namespace mxr::xr
