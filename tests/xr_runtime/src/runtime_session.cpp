// Session life cycle, frame loop, reference spaces and views.
#include "runtime.h"

#include <engine/core/log.h>

#include <algorithm>
#include <cmath>
#include <thread>

namespace mxr::xrrt {

Session::~Session() {
    if (gfx.pool != VK_NULL_HANDLE) vkDestroyCommandPool(gfx.device, gfx.pool, nullptr);
}

double Session::frameAt(XrTime t) const {
    const double p = static_cast<double>(period);
    if (frameTimes.empty()) return 0.0;
    const auto& first = frameTimes.front();
    const auto& last = frameTimes.back();
    if (t <= first.first) {
        return std::max(0.0, static_cast<double>(first.second) - static_cast<double>(first.first - t) / p);
    }
    if (t >= last.first) return static_cast<double>(last.second) + static_cast<double>(t - last.first) / p;
    auto it = std::lower_bound(frameTimes.begin(), frameTimes.end(), t,
                               [](const std::pair<XrTime, std::int64_t>& e, XrTime v) { return e.first < v; });
    const auto& b = *it;
    const auto& a = *(it - 1);
    const double f = static_cast<double>(t - a.first) / static_cast<double>(b.first - a.first);
    return static_cast<double>(a.second) + f * static_cast<double>(b.second - a.second);
}

InputState inputAt(const Session& session, XrTime time) {
    return session.instance->config.script.sample(session.frameAt(time));
}

namespace {

XrResult checkSession(Session* s) {
    if (s == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (s->instance->lost) return XR_ERROR_INSTANCE_LOST;
    if (s->lossPending) return XR_ERROR_SESSION_LOST;
    return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL createSession(XrInstance instance, const XrSessionCreateInfo* info, XrSession* session) {
    auto lock = registry().lock();
    Instance* inst = registry().get<Instance>(instance);
    if (inst == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (info == nullptr || session == nullptr || info->type != XR_TYPE_SESSION_CREATE_INFO) return XR_ERROR_VALIDATION_FAILURE;
    if (info->systemId != kSystemId || !inst->systemValid) return XR_ERROR_SYSTEM_INVALID;
    if (!inst->graphicsRequirementsQueried) return XR_ERROR_GRAPHICS_REQUIREMENTS_CALL_MISSING;
    bool another = false;
    registry().forEach<Session>([&](Session& s) { another = another || s.instance == inst; });
    if (another) return XR_ERROR_LIMIT_REACHED;  // one session per instance (spec 9.1)

    const XrGraphicsBindingVulkanKHR* binding = nullptr;
    for (auto* n = static_cast<const XrBaseInStructure*>(info->next); n != nullptr; n = n->next) {
        if (n->type == XR_TYPE_GRAPHICS_BINDING_VULKAN_KHR) binding = reinterpret_cast<const XrGraphicsBindingVulkanKHR*>(n);
    }
    if (binding == nullptr) return XR_ERROR_GRAPHICS_DEVICE_INVALID;
    if (binding->device == VK_NULL_HANDLE || binding->physicalDevice == VK_NULL_HANDLE || binding->instance == VK_NULL_HANDLE) {
        return XR_ERROR_GRAPHICS_DEVICE_INVALID;
    }
    // The session must be on the GPU the runtime named (after a loss it
    // may have changed: physical_device_after_loss).
    if (inst->sessionLost && inst->config.physicalDeviceAfterLoss >= 0) {
        if (binding->physicalDevice != inst->reportedDevice) {
            inst->log.line("session create refused: not on the runtime's graphics device");
            return XR_ERROR_GRAPHICS_DEVICE_INVALID;
        }
    }
    uint32_t familyCount = 0;
    vkGetPhysicalDeviceQueueFamilyProperties(binding->physicalDevice, &familyCount, nullptr);
    std::vector<VkQueueFamilyProperties> families(familyCount);
    vkGetPhysicalDeviceQueueFamilyProperties(binding->physicalDevice, &familyCount, families.data());
    if (binding->queueFamilyIndex >= familyCount || binding->queueIndex >= families[binding->queueFamilyIndex].queueCount) {
        return XR_ERROR_GRAPHICS_DEVICE_INVALID;
    }

    auto s = std::make_unique<Session>();
    s->instance = inst;
    s->gfx.instance = binding->instance;
    s->gfx.physicalDevice = binding->physicalDevice;
    s->gfx.device = binding->device;
    s->gfx.queueFamilyIndex = binding->queueFamilyIndex;
    s->gfx.queueIndex = binding->queueIndex;
    vkGetDeviceQueue(binding->device, binding->queueFamilyIndex, binding->queueIndex, &s->gfx.queue);
    VkCommandPoolCreateInfo pool{};
    pool.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO;
    pool.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
    pool.queueFamilyIndex = binding->queueFamilyIndex;
    if (vkCreateCommandPool(binding->device, &pool, nullptr, &s->gfx.pool) != VK_SUCCESS) return XR_ERROR_RUNTIME_FAILURE;
    const double rate = inst->config.frameRateHz > 0.0 ? inst->config.frameRateHz : kNominalRateHz;
    s->period = static_cast<XrTime>(1e9 / rate);
    s->losable = inst->sessionsCreated == 0;
    s->localOriginHeight = inst->config.localOriginHeight;
    inst->sessionsCreated++;
    Session& ref = *s;
    *session = toHandle<XrSession>(registry().add(std::move(s), reinterpret_cast<std::uint64_t>(instance)));
    inst->log.line(strCat("session create ", inst->sessionsCreated));
    setSessionState(ref, XR_SESSION_STATE_IDLE);
    setSessionState(ref, XR_SESSION_STATE_READY);
    return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL destroySession(XrSession session) {
    auto lock = registry().lock();
    Session* s = registry().get<Session>(session);
    if (s == nullptr) return XR_ERROR_HANDLE_INVALID;
    s->instance->log.line("session destroy");
    // Events of a destroyed session must not reach the application.
    auto& events = s->instance->events;
    events.erase(std::remove_if(events.begin(), events.end(),
                                [&](const XrEventDataBuffer& e) {
                                    if (e.type == XR_TYPE_EVENT_DATA_SESSION_STATE_CHANGED) {
                                        return reinterpret_cast<const XrEventDataSessionStateChanged&>(e).session == session;
                                    }
                                    if (e.type == XR_TYPE_EVENT_DATA_INTERACTION_PROFILE_CHANGED) {
                                        return reinterpret_cast<const XrEventDataInteractionProfileChanged&>(e).session == session;
                                    }
                                    return false;
                                }),
                 events.end());
    registry().destroy(reinterpret_cast<std::uint64_t>(session));
    return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL beginSession(XrSession session, const XrSessionBeginInfo* info) {
    auto lock = registry().lock();
    Session* s = registry().get<Session>(session);
    if (XrResult r = checkSession(s); r != XR_SUCCESS) return r;
    if (info == nullptr || info->type != XR_TYPE_SESSION_BEGIN_INFO) return XR_ERROR_VALIDATION_FAILURE;
    if (info->primaryViewConfigurationType != XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO) {
        return XR_ERROR_VIEW_CONFIGURATION_TYPE_UNSUPPORTED;
    }
    if (s->running) return XR_ERROR_SESSION_RUNNING;
    if (s->state != XR_SESSION_STATE_READY) return XR_ERROR_SESSION_NOT_READY;
    if (s->instance->config.beginSessionFails) {
        s->instance->log.line("session begin failed");
        return XR_ERROR_RUNTIME_FAILURE;
    }
    s->running = true;
    s->viewConfiguration = info->primaryViewConfigurationType;
    s->framesWaited = 0;
    s->framesEnded = 0;
    s->waitedFrame = -1;
    s->begunFrame = -1;
    s->frameTimes.clear();
    s->instance->log.line("session begin");
    return XR_SUCCESS;
}

// Walks the state machine down to STOPPING through the states in between.
void stopSession(Session& s) {
    if (s.state == XR_SESSION_STATE_FOCUSED) setSessionState(s, XR_SESSION_STATE_VISIBLE);
    if (s.state == XR_SESSION_STATE_VISIBLE) setSessionState(s, XR_SESSION_STATE_SYNCHRONIZED);
    if (s.state == XR_SESSION_STATE_READY) setSessionState(s, XR_SESSION_STATE_SYNCHRONIZED);
    setSessionState(s, XR_SESSION_STATE_STOPPING);
}

XRAPI_ATTR XrResult XRAPI_CALL endSession(XrSession session) {
    auto lock = registry().lock();
    Session* s = registry().get<Session>(session);
    if (XrResult r = checkSession(s); r != XR_SUCCESS) return r;
    if (!s->running) return XR_ERROR_SESSION_NOT_RUNNING;
    if (s->state != XR_SESSION_STATE_STOPPING) return XR_ERROR_SESSION_NOT_STOPPING;
    s->running = false;
    s->instance->log.line("session end");
    setSessionState(*s, XR_SESSION_STATE_IDLE);
    if (s->exitRequested) setSessionState(*s, XR_SESSION_STATE_EXITING);
    return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL requestExitSession(XrSession session) {
    auto lock = registry().lock();
    Session* s = registry().get<Session>(session);
    if (XrResult r = checkSession(s); r != XR_SUCCESS) return r;
    if (!s->running) return XR_ERROR_SESSION_NOT_RUNNING;
    s->exitRequested = true;
    s->instance->log.line("session request_exit");
    // exit_request_ignored: a hung compositor that never walks the session down.
    if (s->instance->config.exitRequestIgnored) return XR_SUCCESS;
    if (s->state != XR_SESSION_STATE_STOPPING) stopSession(*s);
    return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL waitFrame(XrSession session, const XrFrameWaitInfo* info, XrFrameState* state) {
    auto lock = registry().lock();
    Session* s = registry().get<Session>(session);
    if (XrResult r = checkSession(s); r != XR_SUCCESS) return r;
    if (state == nullptr || state->type != XR_TYPE_FRAME_STATE) return XR_ERROR_VALIDATION_FAILURE;
    if (info != nullptr && info->type != XR_TYPE_FRAME_WAIT_INFO) return XR_ERROR_VALIDATION_FAILURE;
    if (!s->running) return XR_ERROR_SESSION_NOT_RUNNING;

    const XrTime now = monotonicNow();
    XrTime display = s->lastDisplayTime == 0 ? now + s->period : s->lastDisplayTime + s->period;
    if (s->instance->config.frameRateHz > 0.0) {
        // Paced: wake one period before the display time, like a compositor
        // releasing the application to render the next frame.
        const XrTime wake = display - s->period;
        if (wake > now) {
            lock.unlock();
            std::this_thread::sleep_for(std::chrono::nanoseconds(wake - now));
            lock.lock();
            s = registry().get<Session>(session);  // may have been destroyed meanwhile
            if (XrResult r = checkSession(s); r != XR_SUCCESS) return r;
            if (!s->running) return XR_ERROR_SESSION_NOT_RUNNING;
        }
    }
    // An application slower than the rate gets display times in the future
    // rather than a growing backlog.
    display = std::max(display, monotonicNow() + s->period / 2);
    const std::int64_t frame = s->framesWaited++;
    s->lastDisplayTime = display;
    s->frameTimes.emplace_back(display, frame);
    while (s->frameTimes.size() > 4096) s->frameTimes.pop_front();
    s->waitedFrame = frame;

    const Config& c = s->instance->config;
    if (s->losable && c.lossPendingAtFrame >= 0 && frame >= c.lossPendingAtFrame) {
        s->instance->log.line(strCat("session loss_pending frame ", frame));
        setSessionState(*s, XR_SESSION_STATE_LOSS_PENDING);
        s->lossPending = true;
        Instance& inst = *s->instance;
        inst.sessionLost = true;
        if (c.systemLostPolls >= 0) {
            // The headset went away with the session: the system must be
            // got again (and the graphics requirements asked again) before
            // a new session.
            inst.systemAwayPolls = c.systemLostPolls;
            inst.systemValid = false;
            inst.graphicsRequirementsQueried = false;
        }
        inst.reportedDevice = VK_NULL_HANDLE;  // to be asked again
        return XR_ERROR_SESSION_LOST;
    }
    if (s->state == XR_SESSION_STATE_READY) setSessionState(*s, XR_SESSION_STATE_SYNCHRONIZED);
    // A system menu or dashboard over the application: focus goes, the
    // session stays visible, and comes back at the regain frame.
    s->focusWithheld = c.focusLossAtFrame >= 0 && frame >= c.focusLossAtFrame &&
                       (c.focusRegainAtFrame < 0 || frame < c.focusRegainAtFrame);
    if (s->focusWithheld && s->state == XR_SESSION_STATE_FOCUSED) {
        s->instance->log.line(strCat("session focus_lost frame ", frame));
        setSessionState(*s, XR_SESSION_STATE_VISIBLE);
    } else if (!s->focusWithheld && s->state == XR_SESSION_STATE_VISIBLE && !s->exitRequested) {
        s->instance->log.line(strCat("session focus_regained frame ", frame));
        setSessionState(*s, XR_SESSION_STATE_FOCUSED);
    }
    if (c.recenterAtFrame >= 0 && frame == c.recenterAtFrame) {
        // The user recentred (or the runtime did): LOCAL's origin moves to
        // the new height; the event says where it went in the old LOCAL.
        XrEventDataBuffer buffer{XR_TYPE_EVENT_DATA_BUFFER};
        auto& e = reinterpret_cast<XrEventDataReferenceSpaceChangePending&>(buffer);
        e.type = XR_TYPE_EVENT_DATA_REFERENCE_SPACE_CHANGE_PENDING;
        e.next = nullptr;
        e.session = toHandle<XrSession>(s->handle);
        e.referenceSpaceType = XR_REFERENCE_SPACE_TYPE_LOCAL;
        e.changeTime = display;
        e.poseValid = XR_TRUE;
        e.poseInPreviousSpace = toXr(Pose{});
        e.poseInPreviousSpace.position.y = c.recenterToHeight - s->localOriginHeight;
        s->localOriginHeight = c.recenterToHeight;
        pushEvent(*s->instance, buffer);
        s->instance->log.line(strCat("space local recentered frame ", frame));
    }
    if (s->losable && c.idleAtFrame >= 0 && frame >= c.idleAtFrame && !s->exitRequested &&
        s->state != XR_SESSION_STATE_STOPPING) {
        // The headset was taken off (or its display slept): the session
        // walks down to STOPPING and, once ended, stays IDLE.
        s->instance->log.line(strCat("session idle frame ", frame));
        stopSession(*s);
    }
    if (c.exitAtFrame >= 0 && frame >= c.exitAtFrame && !s->exitRequested) {
        s->exitRequested = true;
        s->instance->log.line(strCat("session runtime_exit frame ", frame));
        stopSession(*s);
    }
    state->predictedDisplayTime = display;
    state->predictedDisplayPeriod = s->period;
    state->shouldRender = (s->state == XR_SESSION_STATE_VISIBLE || s->state == XR_SESSION_STATE_FOCUSED) ? XR_TRUE : XR_FALSE;
    return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL beginFrame(XrSession session, const XrFrameBeginInfo* info) {
    auto lock = registry().lock();
    Session* s = registry().get<Session>(session);
    if (XrResult r = checkSession(s); r != XR_SUCCESS) return r;
    if (info != nullptr && info->type != XR_TYPE_FRAME_BEGIN_INFO) return XR_ERROR_VALIDATION_FAILURE;
    if (!s->running) return XR_ERROR_SESSION_NOT_RUNNING;
    if (s->waitedFrame < 0) return XR_ERROR_CALL_ORDER_INVALID;
    const bool discarded = s->begunFrame >= 0;
    if (discarded) s->instance->log.line(strCat("frame ", s->begunFrame, " discarded"));
    s->begunFrame = s->waitedFrame;
    s->waitedFrame = -1;
    return discarded ? XR_FRAME_DISCARDED : XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL endFrame(XrSession session, const XrFrameEndInfo* info) {
    auto lock = registry().lock();
    Session* s = registry().get<Session>(session);
    if (XrResult r = checkSession(s); r != XR_SUCCESS) return r;
    if (info == nullptr || info->type != XR_TYPE_FRAME_END_INFO) return XR_ERROR_VALIDATION_FAILURE;
    if (!s->running) return XR_ERROR_SESSION_NOT_RUNNING;
    if (s->begunFrame < 0) return XR_ERROR_CALL_ORDER_INVALID;
    if (info->displayTime <= 0) return XR_ERROR_TIME_INVALID;
    // The display time must be one xrWaitFrame predicted (a compositor
    // schedules by it; an application making up its own times is caught).
    const bool predicted = std::any_of(s->frameTimes.begin(), s->frameTimes.end(),
                                       [&](const auto& e) { return e.first == info->displayTime; });
    if (!predicted) {
        s->instance->log.line(strCat("frame ", s->begunFrame, " display time ", info->displayTime, " was never predicted"));
        return XR_ERROR_TIME_INVALID;
    }
    const Config& c = s->instance->config;
    const char* blend = info->environmentBlendMode == XR_ENVIRONMENT_BLEND_MODE_OPAQUE     ? "opaque"
                        : info->environmentBlendMode == XR_ENVIRONMENT_BLEND_MODE_ADDITIVE  ? "additive"
                        : info->environmentBlendMode == XR_ENVIRONMENT_BLEND_MODE_ALPHA_BLEND ? "alpha_blend"
                                                                                              : "";
    if (std::find(c.blendModes.begin(), c.blendModes.end(), blend) == c.blendModes.end()) {
        return XR_ERROR_ENVIRONMENT_BLEND_MODE_UNSUPPORTED;
    }
    if (info->layerCount > kMaxLayers) return XR_ERROR_LAYER_LIMIT_EXCEEDED;
    if (info->layerCount > 0 && info->layers == nullptr) return XR_ERROR_LAYER_INVALID;
    std::string kinds;
    for (uint32_t i = 0; i < info->layerCount; ++i) {
        std::string kind;
        if (info->layers[i] == nullptr) return XR_ERROR_LAYER_INVALID;
        if (XrResult r = validateLayer(*s, info->layers[i], kind); r != XR_SUCCESS) return r;
        kinds += " " + kind;
    }
    const std::int64_t frame = s->begunFrame;
    s->instance->log.line(strCat("frame ", frame, " blend ", blend, " layers ", info->layerCount, kinds));
    if (!c.captureDir.empty() && std::find(c.captureFrames.begin(), c.captureFrames.end(), frame) != c.captureFrames.end()) {
        captureFrame(*s, frame, *info);
    }
    s->begunFrame = -1;
    s->framesEnded++;
    if (s->state == XR_SESSION_STATE_SYNCHRONIZED && !s->exitRequested) {
        setSessionState(*s, XR_SESSION_STATE_VISIBLE);
        if (!s->focusWithheld) setSessionState(*s, XR_SESSION_STATE_FOCUSED);
    }
    return XR_SUCCESS;
}

// ---- spaces ----------------------------------------------------------------

XRAPI_ATTR XrResult XRAPI_CALL enumerateReferenceSpaces(XrSession session, uint32_t capacity, uint32_t* count,
                                                        XrReferenceSpaceType* spaces) {
    auto lock = registry().lock();
    Session* s = registry().get<Session>(session);
    if (XrResult r = checkSession(s); r != XR_SUCCESS) return r;
    if (s->instance->config.withholdStage) {
        return fillArray<XrReferenceSpaceType>(capacity, count, spaces,
                                               {XR_REFERENCE_SPACE_TYPE_VIEW, XR_REFERENCE_SPACE_TYPE_LOCAL});
    }
    return fillArray<XrReferenceSpaceType>(
        capacity, count, spaces, {XR_REFERENCE_SPACE_TYPE_VIEW, XR_REFERENCE_SPACE_TYPE_LOCAL, XR_REFERENCE_SPACE_TYPE_STAGE});
}

XRAPI_ATTR XrResult XRAPI_CALL createReferenceSpace(XrSession session, const XrReferenceSpaceCreateInfo* info, XrSpace* space) {
    auto lock = registry().lock();
    Session* s = registry().get<Session>(session);
    if (XrResult r = checkSession(s); r != XR_SUCCESS) return r;
    if (info == nullptr || space == nullptr || info->type != XR_TYPE_REFERENCE_SPACE_CREATE_INFO) {
        return XR_ERROR_VALIDATION_FAILURE;
    }
    if (info->referenceSpaceType != XR_REFERENCE_SPACE_TYPE_VIEW && info->referenceSpaceType != XR_REFERENCE_SPACE_TYPE_LOCAL &&
        info->referenceSpaceType != XR_REFERENCE_SPACE_TYPE_STAGE) {
        return XR_ERROR_REFERENCE_SPACE_UNSUPPORTED;
    }
    if (info->referenceSpaceType == XR_REFERENCE_SPACE_TYPE_STAGE && s->instance->config.withholdStage) {
        return XR_ERROR_REFERENCE_SPACE_UNSUPPORTED;
    }
    if (!isValidPose(info->poseInReferenceSpace)) return XR_ERROR_POSE_INVALID;
    auto sp = std::make_unique<Space>();
    sp->session = s;
    sp->reference = info->referenceSpaceType;
    sp->offset = fromXr(info->poseInReferenceSpace);
    *space = toHandle<XrSpace>(registry().add(std::move(sp), reinterpret_cast<std::uint64_t>(session)));
    return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL getReferenceSpaceBoundsRect(XrSession session, XrReferenceSpaceType type, XrExtent2Df* bounds) {
    auto lock = registry().lock();
    Session* s = registry().get<Session>(session);
    if (XrResult r = checkSession(s); r != XR_SUCCESS) return r;
    if (bounds == nullptr) return XR_ERROR_VALIDATION_FAILURE;
    if (type == XR_REFERENCE_SPACE_TYPE_STAGE) {
        *bounds = {3.0F, 3.0F};
        return XR_SUCCESS;
    }
    if (type != XR_REFERENCE_SPACE_TYPE_VIEW && type != XR_REFERENCE_SPACE_TYPE_LOCAL) return XR_ERROR_REFERENCE_SPACE_UNSUPPORTED;
    *bounds = {0.0F, 0.0F};
    return XR_SPACE_BOUNDS_UNAVAILABLE;
}

XRAPI_ATTR XrResult XRAPI_CALL destroySpace(XrSpace space) {
    auto lock = registry().lock();
    if (registry().get<Space>(space) == nullptr) return XR_ERROR_HANDLE_INVALID;
    registry().destroy(reinterpret_cast<std::uint64_t>(space));
    return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL locateSpace(XrSpace space, XrSpace baseSpace, XrTime time, XrSpaceLocation* location) {
    auto lock = registry().lock();
    Space* sp = registry().get<Space>(space);
    Space* base = registry().get<Space>(baseSpace);
    if (sp == nullptr || base == nullptr || sp->session != base->session) return XR_ERROR_HANDLE_INVALID;
    if (location == nullptr || location->type != XR_TYPE_SPACE_LOCATION) return XR_ERROR_VALIDATION_FAILURE;
    if (time <= 0) return XR_ERROR_TIME_INVALID;
    Session& s = *sp->session;
    if (s.lossPending) return XR_ERROR_SESSION_LOST;
    const InputState in = inputAt(s, time);
    const auto a = spaceInStage(s, *sp, time, in);
    const auto b = spaceInStage(s, *base, time, in);
    for (auto* n = static_cast<XrBaseOutStructure*>(location->next); n != nullptr; n = n->next) {
        if (n->type == XR_TYPE_SPACE_VELOCITY) {
            auto* v = reinterpret_cast<XrSpaceVelocity*>(n);
            v->velocityFlags = 0;
            v->linearVelocity = {0, 0, 0};
            v->angularVelocity = {0, 0, 0};
        }
    }
    if (!a || !b) {
        location->locationFlags = 0;
        location->pose = toXr(Pose{});
        return XR_SUCCESS;
    }
    location->pose = toXr(compose(inverse(*b), *a));
    location->locationFlags = XR_SPACE_LOCATION_ORIENTATION_VALID_BIT | XR_SPACE_LOCATION_POSITION_VALID_BIT |
                              XR_SPACE_LOCATION_ORIENTATION_TRACKED_BIT | XR_SPACE_LOCATION_POSITION_TRACKED_BIT;
    // The head's tracking as scripted: what is not valid is not reported
    // (a position of 0, as an application must not use it).
    const bool viewInvolved = sp->reference == XR_REFERENCE_SPACE_TYPE_VIEW || base->reference == XR_REFERENCE_SPACE_TYPE_VIEW;
    if (viewInvolved && in.headTracking != HeadTracking::kFull) {
        location->pose.position = {0.0F, 0.0F, 0.0F};
        location->locationFlags = in.headTracking == HeadTracking::kOrientation
                                      ? XR_SPACE_LOCATION_ORIENTATION_VALID_BIT | XR_SPACE_LOCATION_ORIENTATION_TRACKED_BIT
                                      : 0;
        if (in.headTracking == HeadTracking::kNone) location->pose.orientation = {0.0F, 0.0F, 0.0F, 1.0F};
    }
    return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL locateViews(XrSession session, const XrViewLocateInfo* info, XrViewState* viewState,
                                           uint32_t capacity, uint32_t* count, XrView* views) {
    auto lock = registry().lock();
    Session* s = registry().get<Session>(session);
    if (XrResult r = checkSession(s); r != XR_SUCCESS) return r;
    if (info == nullptr || info->type != XR_TYPE_VIEW_LOCATE_INFO || viewState == nullptr ||
        viewState->type != XR_TYPE_VIEW_STATE || count == nullptr) {
        return XR_ERROR_VALIDATION_FAILURE;
    }
    if (info->viewConfigurationType != XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO) {
        return XR_ERROR_VIEW_CONFIGURATION_TYPE_UNSUPPORTED;
    }
    Space* base = registry().get<Space>(info->space);
    if (base == nullptr || base->session != s) return XR_ERROR_HANDLE_INVALID;
    if (info->displayTime <= 0) return XR_ERROR_TIME_INVALID;
    *count = kViewCount;
    if (capacity == 0) return XR_SUCCESS;
    if (capacity < kViewCount || views == nullptr) return XR_ERROR_SIZE_INSUFFICIENT;
    const InputState in = inputAt(*s, info->displayTime);
    const auto b = spaceInStage(*s, *base, info->displayTime, in);
    const Config& c = s->instance->config;
    const auto rad = [](float deg) { return deg * 3.14159265358979F / 180.0F; };
    for (uint32_t i = 0; i < kViewCount; ++i) {
        if (views[i].type != XR_TYPE_VIEW) return XR_ERROR_VALIDATION_FAILURE;
        Pose eye;
        eye.position.x = (i == 0 ? -0.5F : 0.5F) * c.ipdMeters;
        const Pose inStage = compose(in.head, eye);
        views[i].pose = toXr(b ? compose(inverse(*b), inStage) : Pose{});
        // Position lost (or everything): what is not valid reads as 0.
        if (in.headTracking != HeadTracking::kFull) views[i].pose.position = {0.0F, 0.0F, 0.0F};
        if (in.headTracking == HeadTracking::kNone) views[i].pose.orientation = {0.0F, 0.0F, 0.0F, 1.0F};
        views[i].fov = {rad(c.fovLeftDeg), rad(c.fovRightDeg), rad(c.fovUpDeg), rad(c.fovDownDeg)};
    }
    XrViewStateFlags flags = 0;
    if (b && in.headTracking != HeadTracking::kNone) {
        flags |= XR_VIEW_STATE_ORIENTATION_VALID_BIT | XR_VIEW_STATE_ORIENTATION_TRACKED_BIT;
    }
    if (b && in.headTracking == HeadTracking::kFull) {
        flags |= XR_VIEW_STATE_POSITION_VALID_BIT | XR_VIEW_STATE_POSITION_TRACKED_BIT;
    }
    viewState->viewStateFlags = flags;
    return XR_SUCCESS;
}

}  // namespace

void addSessionProcs(std::vector<ProcEntry>& t) {
    t.push_back({"xrCreateSession", MXR_XR_FN(createSession), nullptr});
    t.push_back({"xrDestroySession", MXR_XR_FN(destroySession), nullptr});
    t.push_back({"xrBeginSession", MXR_XR_FN(beginSession), nullptr});
    t.push_back({"xrEndSession", MXR_XR_FN(endSession), nullptr});
    t.push_back({"xrRequestExitSession", MXR_XR_FN(requestExitSession), nullptr});
    t.push_back({"xrWaitFrame", MXR_XR_FN(waitFrame), nullptr});
    t.push_back({"xrBeginFrame", MXR_XR_FN(beginFrame), nullptr});
    t.push_back({"xrEndFrame", MXR_XR_FN(endFrame), nullptr});
    t.push_back({"xrEnumerateReferenceSpaces", MXR_XR_FN(enumerateReferenceSpaces), nullptr});
    t.push_back({"xrCreateReferenceSpace", MXR_XR_FN(createReferenceSpace), nullptr});
    t.push_back({"xrGetReferenceSpaceBoundsRect", MXR_XR_FN(getReferenceSpaceBoundsRect), nullptr});
    t.push_back({"xrDestroySpace", MXR_XR_FN(destroySpace), nullptr});
    t.push_back({"xrLocateSpace", MXR_XR_FN(locateSpace), nullptr});
    t.push_back({"xrLocateViews", MXR_XR_FN(locateViews), nullptr});
}

}  // namespace mxr::xrrt
