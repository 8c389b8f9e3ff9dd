// XR_MSFT_spatial_anchor and _persistence in the headless runtime, through
// the real loader: an anchor made in LOCAL stays where it was put in the
// world, its space locates it, and a persisted anchor is found again by a
// new instance (the store is a file); bad names are refused.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>

#include "xr_test_client.h"

namespace mxr::xrrt::test {
namespace {

const std::vector<const char*> kExtensions{XR_KHR_VULKAN_ENABLE2_EXTENSION_NAME, XR_MSFT_SPATIAL_ANCHOR_EXTENSION_NAME,
                                           XR_MSFT_SPATIAL_ANCHOR_PERSISTENCE_EXTENSION_NAME};


// The anchor's space located in STAGE.
XrPosef locateInStage(Client& c, XrSpatialAnchorMSFT anchor) {
    auto createSpace = c.proc<PFN_xrCreateSpatialAnchorSpaceMSFT>("xrCreateSpatialAnchorSpaceMSFT");
    XrSpatialAnchorSpaceCreateInfoMSFT si{XR_TYPE_SPATIAL_ANCHOR_SPACE_CREATE_INFO_MSFT};
    si.anchor = anchor;
    si.poseInAnchorSpace.orientation.w = 1.0F;
    XrSpace space = XR_NULL_HANDLE;
    EXPECT_EQ(createSpace(c.session, &si, &space), XR_SUCCESS);
    XrSpaceLocation loc{XR_TYPE_SPACE_LOCATION};
    EXPECT_EQ(xrLocateSpace(space, c.stage, 1000, &loc), XR_SUCCESS);
    EXPECT_EQ(loc.locationFlags & XR_SPACE_LOCATION_POSITION_VALID_BIT, XR_SPACE_LOCATION_POSITION_VALID_BIT);
    xrDestroySpace(space);
    return loc.pose;
}

XrSpatialAnchorPersistenceNameMSFT nameOf(const char* text) {
    XrSpatialAnchorPersistenceNameMSFT n{};
    std::snprintf(n.name, sizeof(n.name), "%s", text);
    return n;
}

TEST(XrRuntimeAnchors, AnAnchorStaysInTheWorldAndIsFoundByTheNextInstance) {
    const std::string store = tempDir() + "/anchors.json";
    std::filesystem::remove(store);
    useConfig("config.json", R"({"frame_rate_hz": 0, "view_size": [64, 48], "spatial_anchors": true,
                                 "anchor_store": ")" + store + R"("})");
    {
        Client c;
        ASSERT_NO_FATAL_FAILURE(startSession(c, kExtensions));
        // 1 m right, 2 m ahead, at LOCAL's origin height (1.6 m up).
        auto create = c.proc<PFN_xrCreateSpatialAnchorMSFT>("xrCreateSpatialAnchorMSFT");
        XrSpatialAnchorCreateInfoMSFT ci{XR_TYPE_SPATIAL_ANCHOR_CREATE_INFO_MSFT};
        ci.space = c.local;
        ci.pose.orientation.w = 1.0F;
        ci.pose.position = {1.0F, 0.0F, -2.0F};
        ci.time = 1000;
        XrSpatialAnchorMSFT anchor = XR_NULL_HANDLE;
        ASSERT_EQ(create(c.session, &ci, &anchor), XR_SUCCESS);
        const XrPosef inStage = locateInStage(c, anchor);
        EXPECT_NEAR(inStage.position.x, 1.0F, 1e-4F);
        EXPECT_NEAR(inStage.position.y, 1.6F, 1e-4F);
        EXPECT_NEAR(inStage.position.z, -2.0F, 1e-4F);

        auto connect = c.proc<PFN_xrCreateSpatialAnchorStoreConnectionMSFT>("xrCreateSpatialAnchorStoreConnectionMSFT");
        auto persist = c.proc<PFN_xrPersistSpatialAnchorMSFT>("xrPersistSpatialAnchorMSFT");
        XrSpatialAnchorStoreConnectionMSFT conn = XR_NULL_HANDLE;
        ASSERT_EQ(connect(c.session, &conn), XR_SUCCESS);
        XrSpatialAnchorPersistenceInfoMSFT pi{XR_TYPE_SPATIAL_ANCHOR_PERSISTENCE_INFO_MSFT};
        pi.spatialAnchorPersistenceName = nameOf("bench");
        pi.spatialAnchor = anchor;
        ASSERT_EQ(persist(conn, &pi), XR_SUCCESS);
        pi.spatialAnchorPersistenceName = nameOf("");
        EXPECT_EQ(persist(conn, &pi), XR_ERROR_SPATIAL_ANCHOR_NAME_INVALID_MSFT);
    }
    ASSERT_TRUE(std::filesystem::exists(store));
    Client next;
    ASSERT_NO_FATAL_FAILURE(startSession(next, kExtensions));
    auto connect = next.proc<PFN_xrCreateSpatialAnchorStoreConnectionMSFT>("xrCreateSpatialAnchorStoreConnectionMSFT");
    auto names = next.proc<PFN_xrEnumeratePersistedSpatialAnchorNamesMSFT>("xrEnumeratePersistedSpatialAnchorNamesMSFT");
    auto load = next.proc<PFN_xrCreateSpatialAnchorFromPersistedNameMSFT>("xrCreateSpatialAnchorFromPersistedNameMSFT");
    XrSpatialAnchorStoreConnectionMSFT conn = XR_NULL_HANDLE;
    ASSERT_EQ(connect(next.session, &conn), XR_SUCCESS);
    std::uint32_t n = 0;
    ASSERT_EQ(names(conn, 0, &n, nullptr), XR_SUCCESS);
    ASSERT_EQ(n, 1U);
    std::vector<XrSpatialAnchorPersistenceNameMSFT> list(n);
    ASSERT_EQ(names(conn, n, &n, list.data()), XR_SUCCESS);
    EXPECT_STREQ(list[0].name, "bench");
    XrSpatialAnchorFromPersistedAnchorCreateInfoMSFT li{XR_TYPE_SPATIAL_ANCHOR_FROM_PERSISTED_ANCHOR_CREATE_INFO_MSFT};
    li.spatialAnchorStore = conn;
    li.spatialAnchorPersistenceName = nameOf("bench");
    XrSpatialAnchorMSFT anchor = XR_NULL_HANDLE;
    ASSERT_EQ(load(next.session, &li, &anchor), XR_SUCCESS);
    const XrPosef again = locateInStage(next, anchor);
    EXPECT_NEAR(again.position.x, 1.0F, 1e-4F);
    EXPECT_NEAR(again.position.y, 1.6F, 1e-4F);
    EXPECT_NEAR(again.position.z, -2.0F, 1e-4F);
    li.spatialAnchorPersistenceName = nameOf("lathe");
    EXPECT_EQ(load(next.session, &li, &anchor), XR_ERROR_SPATIAL_ANCHOR_NAME_NOT_FOUND_MSFT);
}

TEST(XrRuntimeAnchors, WithoutTheConfigKeyTheExtensionIsNotOffered) {
    useConfig("config.json", R"({"frame_rate_hz": 0})");
    Client c;
    EXPECT_EQ(c.createInstance(kExtensions), XR_ERROR_EXTENSION_NOT_PRESENT);
}

}  // namespace
}  // namespace mxr::xrrt::test
