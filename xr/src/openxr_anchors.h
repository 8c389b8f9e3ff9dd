#pragma once
// World anchors for the OpenXR backend (private to xr/): XR_MSFT_spatial_anchor
// places a pose the runtime keeps fixed in the real world (through tracking
// corrections and LOCAL recentring), and XR_MSFT_spatial_anchor_persistence
// keeps it under a name across runs. Thread: main thread only.
#include <map>
#include <optional>
#include <string>

#include "openxr_util.h"

namespace mxr::xr {

class OpenXrAnchors {
public:
    OpenXrAnchors() = default;
    ~OpenXrAnchors() { detach(); }
    OpenXrAnchors(const OpenXrAnchors&) = delete;
    OpenXrAnchors& operator=(const OpenXrAnchors&) = delete;

    // With a session: a store connection (with persistence) and an anchor
    // for every persisted name, located from the next locate() on.
    Result<void> attach(XrInstance instance, XrSession session, XrSpace appSpace, bool persistence);
    // Destroys the anchors, their spaces and the store connection (before
    // the session goes).
    void detach();
    void setAppSpace(XrSpace appSpace) { m_appSpace = appSpace; }

    // Replaces the named anchor with one at `pose` (app space at `time`)
    // and persists it under that name where the runtime can.
    Result<void> place(const std::string& name, const Pose& pose, XrTime time, bool& persisted);
    // Locates every anchor in the app space at `time` (unlocated: cleared).
    void locate(XrTime time);
    std::optional<Pose> pose(const std::string& name) const;

private:
    struct Anchor {
        XrSpatialAnchorMSFT anchor = XR_NULL_HANDLE;
        XrSpace space = XR_NULL_HANDLE;
        std::optional<Pose> located;
    };
    Result<void> adopt(const std::string& name, XrSpatialAnchorMSFT anchor);
    void destroy(Anchor& a);

    XrInstance m_instance = XR_NULL_HANDLE;
    XrSession m_session = XR_NULL_HANDLE;
    XrSpace m_appSpace = XR_NULL_HANDLE;
    XrSpatialAnchorStoreConnectionMSFT m_store = XR_NULL_HANDLE;
    std::map<std::string, Anchor> m_anchors;
    PFN_xrCreateSpatialAnchorMSFT m_create = nullptr;
    PFN_xrCreateSpatialAnchorSpaceMSFT m_createSpace = nullptr;
    PFN_xrDestroySpatialAnchorMSFT m_destroy = nullptr;
    PFN_xrPersistSpatialAnchorMSFT m_persist = nullptr;
    PFN_xrDestroySpatialAnchorStoreConnectionMSFT m_destroyStore = nullptr;
};

}  // namespace mxr::xr
