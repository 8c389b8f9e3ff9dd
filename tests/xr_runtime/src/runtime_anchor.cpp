// XR_MSFT_spatial_anchor and XR_MSFT_spatial_anchor_persistence (config
// "spatial_anchors"): an anchor is a pose fixed in the tracked world
// (STAGE coordinates, so recentring LOCAL does not move it); anchor spaces
// locate it like any space; the store keeps named anchors in a JSON file
// ("anchor_store") so they outlive the instance, as on a real headset.
#include <engine/core/log.h>

#include <nlohmann/json.hpp>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "runtime.h"
#include "runtime_anchor.h"

namespace mxr::xrrt {
namespace {

using nlohmann::json;

struct SpatialAnchor final : Object {
    Session* session = nullptr;
    Pose inStage;
};

struct AnchorStore final : Object {
    Session* session = nullptr;
};

Session* liveSession(XrSession session, XrResult& r) {
    Session* s = registry().get<Session>(session);
    r = s == nullptr ? XR_ERROR_HANDLE_INVALID
        : s->instance->lost ? XR_ERROR_INSTANCE_LOST
        : s->lossPending ? XR_ERROR_SESSION_LOST
                         : XR_SUCCESS;
    return r == XR_SUCCESS ? s : nullptr;
}

// The persisted anchors: the file when configured, else this instance's
// memory (gone with it).
std::map<std::string, Pose>& memoryStore(Instance& inst) {
    static std::map<std::uint64_t, std::map<std::string, Pose>> stores;  // guarded by the registry's mutex
    return stores[inst.handle];
}

std::map<std::string, Pose> loadStore(Instance& inst) {
    const std::string& path = inst.config.anchorStore;
    if (path.empty()) return memoryStore(inst);
    std::map<std::string, Pose> out;
    std::ifstream in(path);
    if (!in) return out;
    const json j = json::parse(in, nullptr, false);
    if (!j.is_object()) {
        writeRuntimeMessage(strCat("anchor store ", path, " is not a JSON object; starting empty"));
        return out;
    }
    for (const auto& [name, v] : j.items()) {
        if (!v.is_object() || !v.contains("position") || !v.contains("orientation")) continue;
        const auto& p = v["position"];
        const auto& q = v["orientation"];
        if (!p.is_array() || p.size() != 3 || !q.is_array() || q.size() != 4) continue;
        Pose pose;
        pose.position = {p[0].get<float>(), p[1].get<float>(), p[2].get<float>()};
        pose.orientation = glm::quat(q[3].get<float>(), q[0].get<float>(), q[1].get<float>(), q[2].get<float>());
        out[name] = pose;
    }
    return out;
}

void saveStore(Instance& inst, const std::map<std::string, Pose>& anchors) {
    const std::string& path = inst.config.anchorStore;
    if (path.empty()) {
        memoryStore(inst) = anchors;
        return;
    }
    json j = json::object();
    for (const auto& [name, p] : anchors) {
        j[name] = {{"position", {p.position.x, p.position.y, p.position.z}},
                   {"orientation", {p.orientation.x, p.orientation.y, p.orientation.z, p.orientation.w}}};
    }
    const std::string tmp = path + ".tmp";
    std::ofstream(tmp) << j.dump(2);
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) writeRuntimeMessage(strCat("anchor store ", path, ": ", ec.message()));
}

// A name is 1..255 bytes, terminated within the array.
bool validName(const XrSpatialAnchorPersistenceNameMSFT& n, std::string& out) {
    const void* end = std::memchr(n.name, '\0', XR_MAX_SPATIAL_ANCHOR_NAME_SIZE_MSFT);
    if (end == nullptr || end == n.name) return false;
    out.assign(n.name);
    return true;
}

std::string describe(const Pose& p) { return strCat(p.position.x, " ", p.position.y, " ", p.position.z); }

XRAPI_ATTR XrResult XRAPI_CALL createSpatialAnchor(XrSession session, const XrSpatialAnchorCreateInfoMSFT* info,
                                                   XrSpatialAnchorMSFT* anchor) {
    auto lock = registry().lock();
    XrResult r = XR_SUCCESS;
    Session* s = liveSession(session, r);
    if (s == nullptr) return r;
    if (info == nullptr || anchor == nullptr || info->type != XR_TYPE_SPATIAL_ANCHOR_CREATE_INFO_MSFT) {
        return XR_ERROR_VALIDATION_FAILURE;
    }
    Space* base = registry().get<Space>(info->space);
    if (base == nullptr || base->session != s) return XR_ERROR_HANDLE_INVALID;
    if (info->time <= 0) return XR_ERROR_TIME_INVALID;
    if (!isValidPose(info->pose)) return XR_ERROR_POSE_INVALID;
    const auto b = spaceInStage(*s, *base, info->time, inputAt(*s, info->time));
    if (!b) return XR_ERROR_POSE_INVALID;  // the base space is not tracked now: nowhere to anchor
    auto a = std::make_unique<SpatialAnchor>();
    a->session = s;
    a->inStage = compose(*b, fromXr(info->pose));
    s->instance->log.line(strCat("anchor created ", describe(a->inStage)));
    *anchor = toHandle<XrSpatialAnchorMSFT>(registry().add(std::move(a), reinterpret_cast<std::uint64_t>(session)));
    return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL createSpatialAnchorSpace(XrSession session, const XrSpatialAnchorSpaceCreateInfoMSFT* info,
                                                        XrSpace* space) {
    auto lock = registry().lock();
    XrResult r = XR_SUCCESS;
    Session* s = liveSession(session, r);
    if (s == nullptr) return r;
    if (info == nullptr || space == nullptr || info->type != XR_TYPE_SPATIAL_ANCHOR_SPACE_CREATE_INFO_MSFT) {
        return XR_ERROR_VALIDATION_FAILURE;
    }
    SpatialAnchor* a = registry().get<SpatialAnchor>(info->anchor);
    if (a == nullptr || a->session != s) return XR_ERROR_HANDLE_INVALID;
    if (!isValidPose(info->poseInAnchorSpace)) return XR_ERROR_POSE_INVALID;
    auto sp = std::make_unique<Space>();
    sp->session = s;
    sp->anchor = a->inStage;
    sp->offset = fromXr(info->poseInAnchorSpace);
    *space = toHandle<XrSpace>(registry().add(std::move(sp), reinterpret_cast<std::uint64_t>(session)));
    return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL destroySpatialAnchor(XrSpatialAnchorMSFT anchor) {
    auto lock = registry().lock();
    if (registry().get<SpatialAnchor>(anchor) == nullptr) return XR_ERROR_HANDLE_INVALID;
    registry().destroy(reinterpret_cast<std::uint64_t>(anchor));
    return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL createStoreConnection(XrSession session, XrSpatialAnchorStoreConnectionMSFT* store) {
    auto lock = registry().lock();
    XrResult r = XR_SUCCESS;
    Session* s = liveSession(session, r);
    if (s == nullptr) return r;
    if (store == nullptr) return XR_ERROR_VALIDATION_FAILURE;
    auto c = std::make_unique<AnchorStore>();
    c->session = s;
    *store = toHandle<XrSpatialAnchorStoreConnectionMSFT>(registry().add(std::move(c), reinterpret_cast<std::uint64_t>(session)));
    return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL destroyStoreConnection(XrSpatialAnchorStoreConnectionMSFT store) {
    auto lock = registry().lock();
    if (registry().get<AnchorStore>(store) == nullptr) return XR_ERROR_HANDLE_INVALID;
    registry().destroy(reinterpret_cast<std::uint64_t>(store));
    return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL persistSpatialAnchor(XrSpatialAnchorStoreConnectionMSFT store,
                                                    const XrSpatialAnchorPersistenceInfoMSFT* info) {
    auto lock = registry().lock();
    AnchorStore* c = registry().get<AnchorStore>(store);
    if (c == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (info == nullptr || info->type != XR_TYPE_SPATIAL_ANCHOR_PERSISTENCE_INFO_MSFT) return XR_ERROR_VALIDATION_FAILURE;
    SpatialAnchor* a = registry().get<SpatialAnchor>(info->spatialAnchor);
    if (a == nullptr || a->session != c->session) return XR_ERROR_HANDLE_INVALID;
    std::string name;
    if (!validName(info->spatialAnchorPersistenceName, name)) return XR_ERROR_SPATIAL_ANCHOR_NAME_INVALID_MSFT;
    Instance& inst = *c->session->instance;
    auto anchors = loadStore(inst);
    anchors[name] = a->inStage;  // an existing name is replaced
    saveStore(inst, anchors);
    inst.log.line(strCat("anchor persisted ", name, " ", describe(a->inStage)));
    return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL enumeratePersistedNames(XrSpatialAnchorStoreConnectionMSFT store, uint32_t capacity,
                                                       uint32_t* count, XrSpatialAnchorPersistenceNameMSFT* names) {
    auto lock = registry().lock();
    AnchorStore* c = registry().get<AnchorStore>(store);
    if (c == nullptr) return XR_ERROR_HANDLE_INVALID;
    std::vector<XrSpatialAnchorPersistenceNameMSFT> out;
    for (const auto& [name, pose] : loadStore(*c->session->instance)) {
        XrSpatialAnchorPersistenceNameMSFT n{};
        std::snprintf(n.name, sizeof(n.name), "%s", name.c_str());
        out.push_back(n);
    }
    return fillArray(capacity, count, names, out);
}

XRAPI_ATTR XrResult XRAPI_CALL createFromPersistedName(XrSession session,
                                                       const XrSpatialAnchorFromPersistedAnchorCreateInfoMSFT* info,
                                                       XrSpatialAnchorMSFT* anchor) {
    auto lock = registry().lock();
    XrResult r = XR_SUCCESS;
    Session* s = liveSession(session, r);
    if (s == nullptr) return r;
    if (info == nullptr || anchor == nullptr || info->type != XR_TYPE_SPATIAL_ANCHOR_FROM_PERSISTED_ANCHOR_CREATE_INFO_MSFT) {
        return XR_ERROR_VALIDATION_FAILURE;
    }
    AnchorStore* c = registry().get<AnchorStore>(info->spatialAnchorStore);
    if (c == nullptr || c->session != s) return XR_ERROR_HANDLE_INVALID;
    std::string name;
    if (!validName(info->spatialAnchorPersistenceName, name)) return XR_ERROR_SPATIAL_ANCHOR_NAME_INVALID_MSFT;
    const auto anchors = loadStore(*s->instance);
    const auto it = anchors.find(name);
    if (it == anchors.end()) return XR_ERROR_SPATIAL_ANCHOR_NAME_NOT_FOUND_MSFT;
    auto a = std::make_unique<SpatialAnchor>();
    a->session = s;
    a->inStage = it->second;
    s->instance->log.line(strCat("anchor loaded ", name, " ", describe(a->inStage)));
    *anchor = toHandle<XrSpatialAnchorMSFT>(registry().add(std::move(a), reinterpret_cast<std::uint64_t>(session)));
    return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL unpersistSpatialAnchor(XrSpatialAnchorStoreConnectionMSFT store,
                                                      const XrSpatialAnchorPersistenceNameMSFT* nameIn) {
    auto lock = registry().lock();
    AnchorStore* c = registry().get<AnchorStore>(store);
    if (c == nullptr) return XR_ERROR_HANDLE_INVALID;
    std::string name;
    if (nameIn == nullptr || !validName(*nameIn, name)) return XR_ERROR_SPATIAL_ANCHOR_NAME_INVALID_MSFT;
    auto anchors = loadStore(*c->session->instance);
    if (anchors.erase(name) == 0) return XR_ERROR_SPATIAL_ANCHOR_NAME_NOT_FOUND_MSFT;
    saveStore(*c->session->instance, anchors);
    return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL clearStore(XrSpatialAnchorStoreConnectionMSFT store) {
    auto lock = registry().lock();
    AnchorStore* c = registry().get<AnchorStore>(store);
    if (c == nullptr) return XR_ERROR_HANDLE_INVALID;
    saveStore(*c->session->instance, {});
    return XR_SUCCESS;
}

}  // namespace

void addAnchorProcs(std::vector<ProcEntry>& t) {
    const char* ext = XR_MSFT_SPATIAL_ANCHOR_EXTENSION_NAME;
    t.push_back({"xrCreateSpatialAnchorMSFT", MXR_XR_FN(createSpatialAnchor), ext});
    t.push_back({"xrCreateSpatialAnchorSpaceMSFT", MXR_XR_FN(createSpatialAnchorSpace), ext});
    t.push_back({"xrDestroySpatialAnchorMSFT", MXR_XR_FN(destroySpatialAnchor), ext});
    const char* persist = XR_MSFT_SPATIAL_ANCHOR_PERSISTENCE_EXTENSION_NAME;
    t.push_back({"xrCreateSpatialAnchorStoreConnectionMSFT", MXR_XR_FN(createStoreConnection), persist});
    t.push_back({"xrDestroySpatialAnchorStoreConnectionMSFT", MXR_XR_FN(destroyStoreConnection), persist});
    t.push_back({"xrPersistSpatialAnchorMSFT", MXR_XR_FN(persistSpatialAnchor), persist});
    t.push_back({"xrEnumeratePersistedSpatialAnchorNamesMSFT", MXR_XR_FN(enumeratePersistedNames), persist});
    t.push_back({"xrCreateSpatialAnchorFromPersistedNameMSFT", MXR_XR_FN(createFromPersistedName), persist});
    t.push_back({"xrUnpersistSpatialAnchorMSFT", MXR_XR_FN(unpersistSpatialAnchor), persist});
    t.push_back({"xrClearSpatialAnchorStoreMSFT", MXR_XR_FN(clearStore), persist});
}

}  // namespace mxr::xrrt
