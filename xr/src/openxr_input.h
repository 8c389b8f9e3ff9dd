#pragma once
// The OpenXR backend's input (private to xr/): one action set with grip
// and aim poses, select, squeeze, thumbstick, menu and haptics, suggested
// bindings for the five common controller profiles, and XR_EXT_hand_tracking
// joints where the runtime has them.
//
// Lifetime: create() once per instance (before any session); attach() per
// session, detach() before that session is destroyed; the destructor
// destroys the action set (before the instance goes). Thread: main thread.
#include <array>

#include "openxr_util.h"
#include "xr/xr_system.h"

namespace mxr::xr {

class OpenXrInput {
public:
    OpenXrInput() = default;
    ~OpenXrInput();
    OpenXrInput(const OpenXrInput&) = delete;
    OpenXrInput& operator=(const OpenXrInput&) = delete;

    // Actions and suggested bindings; hand tracking when `handTracking`
    // (the extension is enabled and the system supports it).
    Result<void> create(XrInstance instance, bool handTracking);
    // Action spaces and hand trackers for `session`, poses located in
    // `appSpace` (head: `viewSpace` in it), and the action set attached.
    Result<void> attach(XrSession session, XrSpace appSpace, XrSpace viewSpace);
    void detach();
    // The room space was made anew (a recentred LOCAL): poses from now on in it.
    void setAppSpace(XrSpace appSpace) { m_appSpace = appSpace; }

    // At `time`: the head always; controllers, buttons and hand joints only
    // while focused (`focused` and xrSyncActions returning XR_SUCCESS, not
    // XR_SESSION_NOT_FOCUSED); else they are cleared (InputState::focused).
    void sync(XrTime time, bool focused);
    // Hands untracked, joints invalid, every button released (not focused,
    // or no frame: the session is not running).
    void clearFocusedInput();
    void haptic(int hand, float amplitude, float seconds);

    const InputState& state() const { return m_input; }
    bool handTracking() const { return m_handTracking; }

private:
    Result<void> createActions();
    void locateJoints(int h, XrTime time);

    XrInstance m_instance = XR_NULL_HANDLE;
    XrSession m_session = XR_NULL_HANDLE;
    XrSpace m_appSpace = XR_NULL_HANDLE;
    XrSpace m_viewSpace = XR_NULL_HANDLE;
    InputState m_input;
    XrActionSet m_actionSet = XR_NULL_HANDLE;
    XrAction m_gripAction = XR_NULL_HANDLE, m_aimAction = XR_NULL_HANDLE, m_selectAction = XR_NULL_HANDLE,
             m_squeezeAction = XR_NULL_HANDLE, m_thumbAction = XR_NULL_HANDLE, m_menuAction = XR_NULL_HANDLE,
             m_hapticAction = XR_NULL_HANDLE, m_talkAction = XR_NULL_HANDLE, m_muteAction = XR_NULL_HANDLE,
             m_padClickAction = XR_NULL_HANDLE;  // trackpad/click, bound only where the stick is a trackpad
    XrPath m_handPaths[2] = {XR_NULL_PATH, XR_NULL_PATH};
    XrSpace m_gripSpace[2] = {XR_NULL_HANDLE, XR_NULL_HANDLE};
    XrSpace m_aimSpace[2] = {XR_NULL_HANDLE, XR_NULL_HANDLE};
    bool m_handTracking = false;
    PFN_xrCreateHandTrackerEXT m_createHandTracker = nullptr;
    PFN_xrDestroyHandTrackerEXT m_destroyHandTracker = nullptr;
    PFN_xrLocateHandJointsEXT m_locateHandJoints = nullptr;
    XrHandTrackerEXT m_handTracker[2] = {XR_NULL_HANDLE, XR_NULL_HANDLE};
};

}  // namespace mxr::xr
