// XR_MSFT_spatial_anchor (+ _persistence) for the OpenXR backend.
#include "openxr_anchors.h"

#include <cstdio>
#include <vector>

namespace mxr::xr {
namespace {

#define MXR_TRY_XR(call) MXR_TRY_XR_AT(m_instance, "openxr_anchors.cpp", call)

XrPosef toXrPose(const Pose& p) {
    return XrPosef{{p.orientation.x, p.orientation.y, p.orientation.z, p.orientation.w},
                   {p.position.x, p.position.y, p.position.z}};
}

template <typename Fn>
Result<Fn> getProc(XrInstance instance, const char* name) {
    Fn fn = nullptr;
    MXR_TRY_XR_AT(instance, "openxr_anchors.cpp", xrGetInstanceProcAddr(instance, name, reinterpret_cast<PFN_xrVoidFunction*>(&fn)));
    return fn;
}

}  // namespace

Result<void> OpenXrAnchors::attach(XrInstance instance, XrSession session, XrSpace appSpace, bool persistence) {
    m_instance = instance;
    m_session = session;
    m_appSpace = appSpace;
    MXR_TRY_ASSIGN(m_create, getProc<PFN_xrCreateSpatialAnchorMSFT>(instance, "xrCreateSpatialAnchorMSFT"));
    MXR_TRY_ASSIGN(m_createSpace, getProc<PFN_xrCreateSpatialAnchorSpaceMSFT>(instance, "xrCreateSpatialAnchorSpaceMSFT"));
    MXR_TRY_ASSIGN(m_destroy, getProc<PFN_xrDestroySpatialAnchorMSFT>(instance, "xrDestroySpatialAnchorMSFT"));
    if (!persistence) return {};
    MXR_TRY_ASSIGN(auto connect, getProc<PFN_xrCreateSpatialAnchorStoreConnectionMSFT>(
                                     instance, "xrCreateSpatialAnchorStoreConnectionMSFT"));
    MXR_TRY_ASSIGN(m_destroyStore, getProc<PFN_xrDestroySpatialAnchorStoreConnectionMSFT>(
                                       instance, "xrDestroySpatialAnchorStoreConnectionMSFT"));
    MXR_TRY_ASSIGN(m_persist, getProc<PFN_xrPersistSpatialAnchorMSFT>(instance, "xrPersistSpatialAnchorMSFT"));
    MXR_TRY_ASSIGN(auto names, getProc<PFN_xrEnumeratePersistedSpatialAnchorNamesMSFT>(
                                   instance, "xrEnumeratePersistedSpatialAnchorNamesMSFT"));
    MXR_TRY_ASSIGN(auto load, getProc<PFN_xrCreateSpatialAnchorFromPersistedNameMSFT>(
                                  instance, "xrCreateSpatialAnchorFromPersistedNameMSFT"));
    MXR_TRY_XR(connect(session, &m_store));
    std::uint32_t n = 0;
    MXR_TRY_XR(names(m_store, 0, &n, nullptr));
    std::vector<XrSpatialAnchorPersistenceNameMSFT> list(n);
    MXR_TRY_XR(names(m_store, n, &n, list.data()));
    for (const auto& name : list) {
        XrSpatialAnchorFromPersistedAnchorCreateInfoMSFT info{XR_TYPE_SPATIAL_ANCHOR_FROM_PERSISTED_ANCHOR_CREATE_INFO_MSFT};
        info.spatialAnchorStore = m_store;
        info.spatialAnchorPersistenceName = name;
        XrSpatialAnchorMSFT anchor = XR_NULL_HANDLE;
        MXR_TRY_XR(load(session, &info, &anchor));
        MXR_TRY(adopt(name.name, anchor));
    }
    return {};
}

void OpenXrAnchors::destroy(Anchor& a) {
    if (a.space) xrDestroySpace(a.space);
    if (a.anchor && m_destroy) m_destroy(a.anchor);
    a = Anchor{};
}

void OpenXrAnchors::detach() {
    for (auto& [name, a] : m_anchors) destroy(a);
    m_anchors.clear();
    if (m_store && m_destroyStore) m_destroyStore(m_store);
    m_store = XR_NULL_HANDLE;
    m_session = XR_NULL_HANDLE;
    m_appSpace = XR_NULL_HANDLE;
}

Result<void> OpenXrAnchors::adopt(const std::string& name, XrSpatialAnchorMSFT anchor) {
    Anchor a;
    a.anchor = anchor;
    XrSpatialAnchorSpaceCreateInfoMSFT si{XR_TYPE_SPATIAL_ANCHOR_SPACE_CREATE_INFO_MSFT};
    si.anchor = anchor;
    si.poseInAnchorSpace = kIdentity;
    if (const XrResult r = m_createSpace(m_session, &si, &a.space); XR_FAILED(r)) {
        m_destroy(anchor);
        MXR_TRY_XR(r);
    }
    auto& slot = m_anchors[name];
    destroy(slot);
    slot = a;
    return {};
}

Result<void> OpenXrAnchors::place(const std::string& name, const Pose& pose, XrTime time, bool& persisted) {
    persisted = false;
    if (!m_session || !m_create) return makeError(ErrorCode::kUnavailable, "no session with spatial anchors");
    XrSpatialAnchorCreateInfoMSFT ci{XR_TYPE_SPATIAL_ANCHOR_CREATE_INFO_MSFT};
    ci.space = m_appSpace;
    ci.pose = toXrPose(pose);
    ci.time = time;
    XrSpatialAnchorMSFT anchor = XR_NULL_HANDLE;
    MXR_TRY_XR(m_create(m_session, &ci, &anchor));
    MXR_TRY(adopt(name, anchor));
    m_anchors[name].located = pose;  // until the next locate()
    if (!m_store) return {};
    XrSpatialAnchorPersistenceInfoMSFT pi{XR_TYPE_SPATIAL_ANCHOR_PERSISTENCE_INFO_MSFT};
    std::snprintf(pi.spatialAnchorPersistenceName.name, sizeof(pi.spatialAnchorPersistenceName.name), "%s", name.c_str());
    pi.spatialAnchor = anchor;
    MXR_TRY_XR(m_persist(m_store, &pi));
    persisted = true;
    return {};
}

void OpenXrAnchors::locate(XrTime time) {
    for (auto& [name, a] : m_anchors) {
        XrSpaceLocation loc{XR_TYPE_SPACE_LOCATION};
        const XrResult r = xrLocateSpace(a.space, m_appSpace, time, &loc);
        constexpr XrSpaceLocationFlags kValid = XR_SPACE_LOCATION_POSITION_VALID_BIT | XR_SPACE_LOCATION_ORIENTATION_VALID_BIT;
        if (XR_SUCCEEDED(r) && (loc.locationFlags & kValid) == kValid) {
            a.located = toPose(loc.pose);
        } else {
            a.located.reset();
        }
    }
}

std::optional<Pose> OpenXrAnchors::pose(const std::string& name) const {
    const auto it = m_anchors.find(name);
    return it == m_anchors.end() ? std::nullopt : it->second.located;
}

}  // namespace mxr::xr
