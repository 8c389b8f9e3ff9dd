// Scripted head pose, controller input, haptics and hand joints as an
// application reads them through the OpenXR loader.
#include "xr_test_client.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

namespace mxr::xrrt::test {
namespace {

// Head moves from x=0 (frame 0) to x=0.5 (frame 10); the right hand's select
// is pressed from frame 6 on; the left hand is untracked from frame 12.
const char* kScriptedConfig = R"({
  "frame_rate_hz": 0, "view_size": [32, 32], "ipd_m": 0.064, "hand_tracking": true,
  "event_log": "events.log",
  "script": {"keyframes": [
    {"frame": 0, "head": {"position": [0, 1.6, 0]},
     "right": {"grip": {"position": [0.3, 1.2, -0.4]}, "select": false}},
    {"frame": 6, "right": {"select": true}},
    {"frame": 10, "head": {"position": [0.5, 1.6, 0], "orientation": [0, 0.7071068, 0, 0.7071068]}},
    {"frame": 12, "left": {"tracked": false}}
  ]}
})";

struct Actions {
    XrActionSet set = XR_NULL_HANDLE;
    XrAction select = XR_NULL_HANDLE;
    XrAction pose = XR_NULL_HANDLE;
    XrAction haptic = XR_NULL_HANDLE;
    XrPath hands[2] = {XR_NULL_PATH, XR_NULL_PATH};
};

XrPath path(XrInstance instance, const char* s) {
    XrPath p = XR_NULL_PATH;
    EXPECT_EQ(xrStringToPath(instance, s, &p), XR_SUCCESS) << s;
    return p;
}

XrAction makeAction(Client& c, XrActionSet set, const char* name, XrActionType type, const XrPath* hands) {
    XrActionCreateInfo info{};
    info.type = XR_TYPE_ACTION_CREATE_INFO;
    std::snprintf(info.actionName, sizeof(info.actionName), "%s", name);
    std::snprintf(info.localizedActionName, sizeof(info.localizedActionName), "%s", name);
    info.actionType = type;
    info.countSubactionPaths = 2;
    info.subactionPaths = hands;
    XrAction a = XR_NULL_HANDLE;
    EXPECT_EQ(xrCreateAction(set, &info, &a), XR_SUCCESS);
    (void)c;
    return a;
}

Actions makeActions(Client& c) {
    Actions a;
    a.hands[0] = path(c.instance, "/user/hand/left");
    a.hands[1] = path(c.instance, "/user/hand/right");
    XrActionSetCreateInfo setInfo{};
    setInfo.type = XR_TYPE_ACTION_SET_CREATE_INFO;
    std::snprintf(setInfo.actionSetName, sizeof(setInfo.actionSetName), "gameplay");
    std::snprintf(setInfo.localizedActionSetName, sizeof(setInfo.localizedActionSetName), "Gameplay");
    EXPECT_EQ(xrCreateActionSet(c.instance, &setInfo, &a.set), XR_SUCCESS);
    a.select = makeAction(c, a.set, "select", XR_ACTION_TYPE_BOOLEAN_INPUT, a.hands);
    a.pose = makeAction(c, a.set, "grip", XR_ACTION_TYPE_POSE_INPUT, a.hands);
    a.haptic = makeAction(c, a.set, "buzz", XR_ACTION_TYPE_VIBRATION_OUTPUT, a.hands);
    return a;
}

TEST(XrRuntimeInput, ScriptDrivesViewsActionsAndHands) {
    useConfig("config.json", kScriptedConfig);
    Client c;
    ASSERT_EQ(c.createInstance({XR_KHR_VULKAN_ENABLE2_EXTENSION_NAME, XR_EXT_HAND_TRACKING_EXTENSION_NAME}), XR_SUCCESS);
    ASSERT_EQ(c.getSystem(), XR_SUCCESS);
    XrSystemHandTrackingPropertiesEXT handProps{XR_TYPE_SYSTEM_HAND_TRACKING_PROPERTIES_EXT, nullptr, XR_FALSE};
    XrSystemProperties props{};
    props.type = XR_TYPE_SYSTEM_PROPERTIES;
    props.next = &handProps;
    ASSERT_EQ(xrGetSystemProperties(c.instance, c.systemId, &props), XR_SUCCESS);
    EXPECT_TRUE(handProps.supportsHandTracking);
    ASSERT_NO_FATAL_FAILURE(c.createVulkan());
    ASSERT_EQ(c.createSession(), XR_SUCCESS);
    ASSERT_EQ(c.createSpaces(), XR_SUCCESS);

    // LOCAL's origin is 1.6 m above STAGE's floor, where the head starts.
    XrSpaceLocation localInStage{XR_TYPE_SPACE_LOCATION, nullptr, 0, {}};
    ASSERT_EQ(xrLocateSpace(c.local, c.stage, 1, &localInStage), XR_SUCCESS);
    EXPECT_FLOAT_EQ(localInStage.pose.position.y, 1.6F);
    XrSpace view = XR_NULL_HANDLE;
    XrReferenceSpaceCreateInfo viewInfo{XR_TYPE_REFERENCE_SPACE_CREATE_INFO, nullptr, XR_REFERENCE_SPACE_TYPE_VIEW,
                                        {{0, 0, 0, 1}, {0, 0, 0}}};
    ASSERT_EQ(xrCreateReferenceSpace(c.session, &viewInfo, &view), XR_SUCCESS);
    XrSpaceLocation viewInLocal{XR_TYPE_SPACE_LOCATION, nullptr, 0, {}};
    ASSERT_EQ(xrLocateSpace(view, c.local, 1, &viewInLocal), XR_SUCCESS);
    EXPECT_NEAR(viewInLocal.pose.position.y, 0.0F, 1e-5F);
    EXPECT_NE(viewInLocal.locationFlags & XR_SPACE_LOCATION_ORIENTATION_VALID_BIT, 0U);

    Actions a = makeActions(c);
    // Paths outside the profile are refused; a valid suggestion is accepted.
    const XrPath simple = path(c.instance, "/interaction_profiles/khr/simple_controller");
    XrActionSuggestedBinding bad{a.select, path(c.instance, "/user/hand/right/input/trigger/value")};
    XrInteractionProfileSuggestedBinding suggest{XR_TYPE_INTERACTION_PROFILE_SUGGESTED_BINDING, nullptr, simple, 1, &bad};
    EXPECT_EQ(xrSuggestInteractionProfileBindings(c.instance, &suggest), XR_ERROR_PATH_UNSUPPORTED);
    std::vector<XrActionSuggestedBinding> bindings{
        {a.select, path(c.instance, "/user/hand/left/input/select/click")},
        {a.select, path(c.instance, "/user/hand/right/input/select/click")},
        {a.pose, path(c.instance, "/user/hand/left/input/grip/pose")},
        {a.pose, path(c.instance, "/user/hand/right/input/grip/pose")},
        {a.haptic, path(c.instance, "/user/hand/right/output/haptic")},
    };
    suggest.countSuggestedBindings = static_cast<uint32_t>(bindings.size());
    suggest.suggestedBindings = bindings.data();
    ASSERT_EQ(xrSuggestInteractionProfileBindings(c.instance, &suggest), XR_SUCCESS);
    XrSessionActionSetsAttachInfo attach{XR_TYPE_SESSION_ACTION_SETS_ATTACH_INFO, nullptr, 1, &a.set};
    ASSERT_EQ(xrAttachSessionActionSets(c.session, &attach), XR_SUCCESS);
    EXPECT_EQ(xrAttachSessionActionSets(c.session, &attach), XR_ERROR_ACTIONSETS_ALREADY_ATTACHED);

    XrSpace rightGrip = XR_NULL_HANDLE;
    XrActionSpaceCreateInfo spaceInfo{XR_TYPE_ACTION_SPACE_CREATE_INFO, nullptr, a.pose, a.hands[1], {{0, 0, 0, 1}, {0, 0, 0}}};
    ASSERT_EQ(xrCreateActionSpace(c.session, &spaceInfo, &rightGrip), XR_SUCCESS);
    XrSpace leftGrip = XR_NULL_HANDLE;
    spaceInfo.subactionPath = a.hands[0];
    ASSERT_EQ(xrCreateActionSpace(c.session, &spaceInfo, &leftGrip), XR_SUCCESS);

    auto createTracker = c.proc<PFN_xrCreateHandTrackerEXT>("xrCreateHandTrackerEXT");
    auto locateJoints = c.proc<PFN_xrLocateHandJointsEXT>("xrLocateHandJointsEXT");
    auto destroyTracker = c.proc<PFN_xrDestroyHandTrackerEXT>("xrDestroyHandTrackerEXT");
    ASSERT_TRUE(createTracker && locateJoints && destroyTracker);
    XrHandTrackerEXT rightHand = XR_NULL_HANDLE;
    XrHandTrackerCreateInfoEXT trackerInfo{XR_TYPE_HAND_TRACKER_CREATE_INFO_EXT, nullptr, XR_HAND_RIGHT_EXT,
                                           XR_HAND_JOINT_SET_DEFAULT_EXT};
    ASSERT_EQ(createTracker(c.session, &trackerInfo, &rightHand), XR_SUCCESS);

    struct Seen {
        bool selectActive = false;
        bool select = false;
        float headX = 0.0F;
        float eyeSeparation = 0.0F;
        float leftEyeForwardZ = 0.0F;
        XrSpaceLocationFlags rightGripFlags = 0;
        XrVector3f rightGrip{};
        XrSpaceLocationFlags leftGripFlags = 0;
        bool palmActive = false;
        XrVector3f palm{};
    };
    std::vector<Seen> frames;
    for (int i = 0; i < kMaxFrames && frames.size() < 16; ++i) {
        ASSERT_EQ(c.runFrame([&](const XrFrameState& fs, std::vector<const XrCompositionLayerBaseHeader*>&) {
            Seen s;
            XrActiveActionSet active{a.set, XR_NULL_PATH};
            XrActionsSyncInfo sync{XR_TYPE_ACTIONS_SYNC_INFO, nullptr, 1, &active};
            ASSERT_EQ(xrSyncActions(c.session, &sync), XR_SUCCESS);
            XrActionStateGetInfo get{XR_TYPE_ACTION_STATE_GET_INFO, nullptr, a.select, a.hands[1]};
            XrActionStateBoolean b{XR_TYPE_ACTION_STATE_BOOLEAN, nullptr, XR_FALSE, XR_FALSE, 0, XR_FALSE};
            ASSERT_EQ(xrGetActionStateBoolean(c.session, &get, &b), XR_SUCCESS);
            s.selectActive = b.isActive == XR_TRUE;
            s.select = b.currentState == XR_TRUE;

            XrViewLocateInfo locate{XR_TYPE_VIEW_LOCATE_INFO, nullptr, XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO,
                                    fs.predictedDisplayTime, c.stage};
            XrViewState vs{XR_TYPE_VIEW_STATE, nullptr, 0};
            XrView views[2] = {{XR_TYPE_VIEW, nullptr, {}, {}}, {XR_TYPE_VIEW, nullptr, {}, {}}};
            uint32_t n = 0;
            ASSERT_EQ(xrLocateViews(c.session, &locate, &vs, 2, &n, views), XR_SUCCESS);
            s.headX = 0.5F * (views[0].pose.position.x + views[1].pose.position.x);
            const float dx = views[1].pose.position.x - views[0].pose.position.x;
            const float dz = views[1].pose.position.z - views[0].pose.position.z;
            s.eyeSeparation = std::sqrt(dx * dx + dz * dz);
            s.leftEyeForwardZ = views[0].pose.position.z;

            XrSpaceLocation loc{XR_TYPE_SPACE_LOCATION, nullptr, 0, {}};
            ASSERT_EQ(xrLocateSpace(rightGrip, c.stage, fs.predictedDisplayTime, &loc), XR_SUCCESS);
            s.rightGripFlags = loc.locationFlags;
            s.rightGrip = loc.pose.position;
            ASSERT_EQ(xrLocateSpace(leftGrip, c.stage, fs.predictedDisplayTime, &loc), XR_SUCCESS);
            s.leftGripFlags = loc.locationFlags;

            XrHandJointLocationEXT joints[XR_HAND_JOINT_COUNT_EXT]{};
            XrHandJointLocationsEXT locations{XR_TYPE_HAND_JOINT_LOCATIONS_EXT, nullptr, XR_FALSE, XR_HAND_JOINT_COUNT_EXT, joints};
            XrHandJointsLocateInfoEXT jointInfo{XR_TYPE_HAND_JOINTS_LOCATE_INFO_EXT, nullptr, c.stage, fs.predictedDisplayTime};
            ASSERT_EQ(locateJoints(rightHand, &jointInfo, &locations), XR_SUCCESS);
            s.palmActive = locations.isActive == XR_TRUE;
            s.palm = joints[XR_HAND_JOINT_PALM_EXT].pose.position;
            frames.push_back(s);

            if (frames.size() == 8) {
                XrHapticVibration v{XR_TYPE_HAPTIC_VIBRATION, nullptr, 20000000, XR_FREQUENCY_UNSPECIFIED, 0.75F};
                XrHapticActionInfo h{XR_TYPE_HAPTIC_ACTION_INFO, nullptr, a.haptic, a.hands[1]};
                ASSERT_EQ(xrApplyHapticFeedback(c.session, &h, reinterpret_cast<const XrHapticBaseHeader*>(&v)), XR_SUCCESS);
            }
        }),
                  XR_SUCCESS);
    }
    ASSERT_EQ(frames.size(), 16U);
    // Rendering starts one frame after FOCUSED, so the 16 frames span the
    // script's keys: check the first and last frames and the one switch.
    const Seen& first = frames.front();
    const Seen& last = frames.back();
    EXPECT_TRUE(first.selectActive);
    EXPECT_NEAR(last.headX, 0.5F, 1e-4F);
    EXPECT_NEAR(last.eyeSeparation, 0.064F, 1e-4F);
    // Turned 90 degrees left about +Y: the left eye sits behind (+Z) the head.
    EXPECT_NEAR(last.leftEyeForwardZ, 0.032F, 1e-4F);
    EXPECT_NEAR(first.eyeSeparation, 0.064F, 1e-4F);
    EXPECT_TRUE(last.select);
    EXPECT_NE(first.rightGripFlags & XR_SPACE_LOCATION_POSITION_TRACKED_BIT, 0U);
    EXPECT_NEAR(first.rightGrip.x, 0.3F, 1e-4F);
    EXPECT_NEAR(first.rightGrip.y, 1.2F, 1e-4F);
    EXPECT_NEAR(first.rightGrip.z, -0.4F, 1e-4F);
    EXPECT_EQ(last.leftGripFlags, 0U);  // untracked from frame 12
    EXPECT_TRUE(last.palmActive);
    EXPECT_NEAR(last.palm.x, 0.3F, 0.05F);
    // Select goes from released to pressed exactly once, as scripted.
    int edges = 0;
    for (std::size_t i = 1; i < frames.size(); ++i) edges += frames[i].select != frames[i - 1].select ? 1 : 0;
    EXPECT_FALSE(first.select);
    EXPECT_EQ(edges, 1);

    XrInteractionProfileState profile{XR_TYPE_INTERACTION_PROFILE_STATE, nullptr, XR_NULL_PATH};
    ASSERT_EQ(xrGetCurrentInteractionProfile(c.session, a.hands[1], &profile), XR_SUCCESS);
    EXPECT_EQ(profile.interactionProfile, simple);
    const std::string log = readText((std::filesystem::path(tempDir()) / "events.log").string());
    EXPECT_NE(log.find("haptic right action buzz duration_ns 20000000"), std::string::npos) << log;
    EXPECT_TRUE(c.validationMessages.empty()) << c.validationMessages.front();
    destroyTracker(rightHand);
}

TEST(XrRuntimeInput, ConfiguredProfileDrivesAnalogActions) {
    useConfig("config.json", R"({
      "frame_rate_hz": 0, "view_size": [16, 16],
      "interaction_profile": "/interaction_profiles/oculus/touch_controller",
      "script": {"keyframes": [
        {"frame": 0, "left": {"squeeze": 0.0, "thumbstick": [0, 0]}},
        {"frame": 4, "left": {"squeeze": 0.5, "thumbstick": [0.25, -1]}}
      ]}})");
    Client c;
    ASSERT_EQ(c.createInstance(), XR_SUCCESS);
    ASSERT_EQ(c.getSystem(), XR_SUCCESS);
    ASSERT_NO_FATAL_FAILURE(c.createVulkan());
    ASSERT_EQ(c.createSession(), XR_SUCCESS);
    ASSERT_EQ(c.createSpaces(), XR_SUCCESS);
    Actions a = makeActions(c);
    const XrAction squeeze = makeAction(c, a.set, "squeeze", XR_ACTION_TYPE_FLOAT_INPUT, a.hands);
    const XrAction move = makeAction(c, a.set, "move", XR_ACTION_TYPE_VECTOR2F_INPUT, a.hands);
    // The application knows both profiles; the configured one is active.
    std::vector<XrActionSuggestedBinding> simpleBindings{{a.select, path(c.instance, "/user/hand/left/input/select/click")}};
    const XrPath simple = path(c.instance, "/interaction_profiles/khr/simple_controller");
    XrInteractionProfileSuggestedBinding suggest{XR_TYPE_INTERACTION_PROFILE_SUGGESTED_BINDING, nullptr, simple, 1,
                                                 simpleBindings.data()};
    ASSERT_EQ(xrSuggestInteractionProfileBindings(c.instance, &suggest), XR_SUCCESS);
    const XrPath touch = path(c.instance, "/interaction_profiles/oculus/touch_controller");
    const XrPath squeezeSource = path(c.instance, "/user/hand/left/input/squeeze/value");
    std::vector<XrActionSuggestedBinding> touchBindings{
        {squeeze, squeezeSource},
        {move, path(c.instance, "/user/hand/left/input/thumbstick")},
        {a.select, path(c.instance, "/user/hand/left/input/x/click")},
    };
    // x/click exists on the left controller only.
    XrActionSuggestedBinding rightX{a.select, path(c.instance, "/user/hand/right/input/x/click")};
    suggest = {XR_TYPE_INTERACTION_PROFILE_SUGGESTED_BINDING, nullptr, touch, 1, &rightX};
    EXPECT_EQ(xrSuggestInteractionProfileBindings(c.instance, &suggest), XR_ERROR_PATH_UNSUPPORTED);
    suggest.countSuggestedBindings = static_cast<uint32_t>(touchBindings.size());
    suggest.suggestedBindings = touchBindings.data();
    ASSERT_EQ(xrSuggestInteractionProfileBindings(c.instance, &suggest), XR_SUCCESS);
    XrSessionActionSetsAttachInfo attach{XR_TYPE_SESSION_ACTION_SETS_ATTACH_INFO, nullptr, 1, &a.set};
    ASSERT_EQ(xrAttachSessionActionSets(c.session, &attach), XR_SUCCESS);

    float squeezeValue = -1.0F;
    XrVector2f stick{};
    bool changedSeen = false;
    for (int i = 0; i < 12; ++i) {
        ASSERT_EQ(c.runFrame([&](const XrFrameState&, std::vector<const XrCompositionLayerBaseHeader*>&) {
            XrActiveActionSet active{a.set, XR_NULL_PATH};
            XrActionsSyncInfo sync{XR_TYPE_ACTIONS_SYNC_INFO, nullptr, 1, &active};
            ASSERT_EQ(xrSyncActions(c.session, &sync), XR_SUCCESS);
            XrActionStateGetInfo get{XR_TYPE_ACTION_STATE_GET_INFO, nullptr, squeeze, a.hands[0]};
            XrActionStateFloat f{XR_TYPE_ACTION_STATE_FLOAT, nullptr, 0, XR_FALSE, 0, XR_FALSE};
            ASSERT_EQ(xrGetActionStateFloat(c.session, &get, &f), XR_SUCCESS);
            EXPECT_TRUE(f.isActive);
            squeezeValue = f.currentState;
            changedSeen = changedSeen || f.changedSinceLastSync == XR_TRUE;
            get.action = move;
            XrActionStateVector2f v{XR_TYPE_ACTION_STATE_VECTOR2F, nullptr, {}, XR_FALSE, 0, XR_FALSE};
            ASSERT_EQ(xrGetActionStateVector2f(c.session, &get, &v), XR_SUCCESS);
            stick = v.currentState;
            // The wrong getter for an action's type is an error.
            XrActionStateBoolean b{XR_TYPE_ACTION_STATE_BOOLEAN, nullptr, XR_FALSE, XR_FALSE, 0, XR_FALSE};
            EXPECT_EQ(xrGetActionStateBoolean(c.session, &get, &b), XR_ERROR_ACTION_TYPE_MISMATCH);
        }),
                  XR_SUCCESS);
    }
    EXPECT_FLOAT_EQ(squeezeValue, 0.5F);
    EXPECT_TRUE(changedSeen);
    EXPECT_FLOAT_EQ(stick.x, 0.25F);
    EXPECT_FLOAT_EQ(stick.y, -1.0F);

    XrInteractionProfileState profile{XR_TYPE_INTERACTION_PROFILE_STATE, nullptr, XR_NULL_PATH};
    ASSERT_EQ(xrGetCurrentInteractionProfile(c.session, a.hands[0], &profile), XR_SUCCESS);
    EXPECT_EQ(profile.interactionProfile, touch);
    XrBoundSourcesForActionEnumerateInfo boundInfo{XR_TYPE_BOUND_SOURCES_FOR_ACTION_ENUMERATE_INFO, nullptr, squeeze};
    uint32_t n = 0;
    ASSERT_EQ(xrEnumerateBoundSourcesForAction(c.session, &boundInfo, 0, &n, nullptr), XR_SUCCESS);
    std::vector<XrPath> sources(n);
    ASSERT_EQ(xrEnumerateBoundSourcesForAction(c.session, &boundInfo, n, &n, sources.data()), XR_SUCCESS);
    EXPECT_EQ(sources, std::vector<XrPath>{squeezeSource});
    XrInputSourceLocalizedNameGetInfo nameInfo{XR_TYPE_INPUT_SOURCE_LOCALIZED_NAME_GET_INFO, nullptr, squeezeSource,
                                               XR_INPUT_SOURCE_LOCALIZED_NAME_USER_PATH_BIT |
                                                   XR_INPUT_SOURCE_LOCALIZED_NAME_COMPONENT_BIT};
    char name[128] = {};
    ASSERT_EQ(xrGetInputSourceLocalizedName(c.session, &nameInfo, sizeof(name), &n, name), XR_SUCCESS);
    EXPECT_STREQ(name, "Left Hand Squeeze Value");
}

}  // namespace
}  // namespace mxr::xrrt::test
