// The workspace's files without a GPU: the workspace file, the annotation
// lists it and procedure steps carry, and its glTF model
// (scenes/workspace_file.h).
#include "scenes/workspace_file.h"

#include <tiny_gltf.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "engine/core/text.h"
#include "scenes/scene_file_text.h"

namespace mxr::scenes {
namespace {

using json = nlohmann::json;

tl::unexpected<Error> bad(const std::string& source, const std::string& path, const std::string& problem) {
    return makeError(ErrorCode::kInvalidArgument, strCat(source, ": ", path, ": ", problem));
}

Result<float> number(const std::string& src, const json& j, const std::string& path, float lo, float hi) {
    if (!j.is_number()) return bad(src, path, "expected a number");
    const double v = j.get<double>();
    if (!std::isfinite(v) || v < lo || v > hi) return bad(src, path, strCat("must be between ", lo, " and ", hi));
    return static_cast<float>(v);
}

template <int N>
Result<glm::vec<N, float>> numbers(const std::string& src, const json& j, const std::string& path, float lo, float hi) {
    if (!j.is_array() || j.size() != N) return bad(src, path, strCat("expected an array of ", N, " numbers"));
    glm::vec<N, float> out(0.0f);
    for (int i = 0; i < N; ++i) {
        MXR_TRY_ASSIGN(out[i], number(src, j[std::size_t(i)], strCat(path, "[", i, "]"), lo, hi));
    }
    return out;
}

// The kinds as the files name them.
constexpr std::pair<const char*, net::AnnotationKind> kKinds[] = {
    {"arrow", net::AnnotationKind::kArrow},   {"label", net::AnnotationKind::kLabel},
    {"box", net::AnnotationKind::kBox},       {"sphere", net::AnnotationKind::kSphere},
    {"ink", net::AnnotationKind::kInk},       {"marker", net::AnnotationKind::kMarker}};

const char* kindName(net::AnnotationKind kind) {
    for (const auto& [name, k] : kKinds) {
        if (k == kind) return name;
    }
    return "?";
}

// One of the workspace's annotations: "kind", "colour" (a palette name or
// index), and the kind's fields (scenes/README.md).
Result<WorkspaceAnnotation> parseAnnotation(const std::string& src, const json& j, const std::string& path) {
    using net::AnnotationKind;
    if (!j.is_object()) return bad(src, path, "expected an object");
    const json* kind = j.contains("kind") ? &j["kind"] : nullptr;
    const auto known = kind && kind->is_string() ? annotationKindNamed(kind->get<std::string>()) : std::nullopt;
    if (!known) return bad(src, path + ".kind", "expected arrow, label, box, sphere, ink or marker");
    WorkspaceAnnotation a{*known, {}};
    // The kind's own fields (and colour), each required but colour.
    static const std::map<AnnotationKind, std::vector<std::string>> kFields = {
        {AnnotationKind::kArrow, {"position", "end"}},
        {AnnotationKind::kLabel, {"position", "text"}},
        {AnnotationKind::kBox, {"position", "extents", "yaw_deg"}},
        {AnnotationKind::kSphere, {"position", "radius"}},
        {AnnotationKind::kInk, {"points"}},
        {AnnotationKind::kMarker, {"position", "number"}}};
    const auto& fields = kFields.at(a.kind);
    for (auto it = j.begin(); it != j.end(); ++it) {
        if (it.key() != "kind" && it.key() != "colour" &&
            std::find(fields.begin(), fields.end(), it.key()) == fields.end()) {
            return bad(src, path, strCat("unknown field \"", it.key(), "\" for a ", kindName(*known)));
        }
    }
    for (const auto& f : fields) {
        if (f != "yaw_deg" && !j.contains(f))
            return bad(src, strCat(path, ".", f), strCat("a ", kindName(*known), " needs it"));
    }
    net::AnnotationValues& v = a.values;
    if (j.contains("colour")) {
        const json& c = j["colour"];
        const auto named = std::find_if(net::kAnnotationPalette.begin(), net::kAnnotationPalette.end(),
                                        [&](const auto& p) { return c.is_string() && c.get<std::string>() == p.name; });
        if (named != net::kAnnotationPalette.end()) {
            v.colour = std::uint8_t(named - net::kAnnotationPalette.begin());
        } else if (c.is_number_integer() && c.get<int>() >= 0 && c.get<int>() < int(net::kAnnotationPalette.size())) {
            v.colour = std::uint8_t(c.get<int>());
        } else {
            return bad(src, path + ".colour",
                       "expected a palette colour (black, orange, sky blue, bluish green, yellow, "
                       "blue, vermillion, reddish purple) or its index 0-7");
        }
    }
    const float far = net::kWorkspaceHalfExtent;
    if (j.contains("position")) {
        MXR_TRY_ASSIGN(v.position, numbers<3>(src, j["position"], path + ".position", -far, far));
    }
    if (j.contains("end")) {
        MXR_TRY_ASSIGN(v.end, numbers<3>(src, j["end"], path + ".end", -far, far));
    }
    if (j.contains("extents")) {
        MXR_TRY_ASSIGN(v.extents, numbers<3>(src, j["extents"], path + ".extents", 0.001f, far));
    }
    if (j.contains("yaw_deg")) {
        MXR_TRY_ASSIGN(const float yaw, number(src, j["yaw_deg"], path + ".yaw_deg", -360.0f, 360.0f));
        v.rotation = glm::angleAxis(glm::radians(yaw), Vec3(0, 1, 0));
    }
    if (j.contains("radius")) {
        MXR_TRY_ASSIGN(v.radius, number(src, j["radius"], path + ".radius", 0.001f, far));
    }
    if (j.contains("number")) {
        MXR_TRY_ASSIGN(const float n, number(src, j["number"], path + ".number", 1.0f, 65535.0f));
        v.number = std::uint16_t(n);
    }
    if (j.contains("text")) {
        if (!j["text"].is_string() || j["text"].get<std::string>().empty() ||
            j["text"].get<std::string>().size() > net::kMaxLabelBytes) {
            return bad(src, path + ".text", strCat("expected text of 1 to ", net::kMaxLabelBytes, " bytes"));
        }
        v.text = j["text"].get<std::string>();
    }
    if (j.contains("points")) {
        const json& pts = j["points"];
        if (!pts.is_array() || pts.empty() || pts.size() > net::kMaxInkPointsPerStroke) {
            return bad(src, path + ".points", strCat("expected 1 to ", net::kMaxInkPointsPerStroke, " points"));
        }
        // Workspace points in the file; the stroke keeps them relative to its first.
        for (std::size_t i = 0; i < pts.size(); ++i) {
            MXR_TRY_ASSIGN(const Vec3 p, numbers<3>(src, pts[i], strCat(path, ".points[", i, "]"), -far, far));
            if (i == 0) v.position = p;
            v.points.push_back(p - v.position);
        }
    }
    return a;
}

}  // namespace

std::optional<net::AnnotationKind> annotationKindNamed(std::string_view name) {
    for (const auto& [n, k] : kKinds) {
        if (name == n) return k;
    }
    return std::nullopt;
}

Result<std::vector<WorkspaceAnnotation>> parseAnnotationList(const std::string& jsonText, const std::string& source,
                                                             const std::string& field) {
    const json j = json::parse(jsonText, nullptr, false);
    if (!j.is_array()) return bad(source, field, "expected an array of annotations");
    std::vector<WorkspaceAnnotation> out;
    for (std::size_t i = 0; i < j.size(); ++i) {
        MXR_TRY_ASSIGN(auto a, parseAnnotation(source, j[i], strCat(field, "[", i, "]")));
        out.push_back(std::move(a));
    }
    return out;
}

std::string annotationListJson(const std::vector<WorkspaceAnnotation>& annotations) {
    using net::AnnotationKind;
    const auto vec = [](const Vec3& v) { return json::array({v.x, v.y, v.z}); };
    json out = json::array();
    for (const auto& a : annotations) {
        const net::AnnotationValues& v = a.values;
        json o{{"kind", kindName(a.kind)}, {"colour", net::kAnnotationPalette.at(v.colour % 8).name}};
        switch (a.kind) {
            case AnnotationKind::kArrow: o["position"] = vec(v.position); o["end"] = vec(v.end); break;
            case AnnotationKind::kLabel: o["position"] = vec(v.position); o["text"] = v.text; break;
            case AnnotationKind::kBox: {
                o["position"] = vec(v.position);
                o["extents"] = vec(v.extents);
                const Vec3 front = v.rotation * Vec3(0.0f, 0.0f, -1.0f);
                o["yaw_deg"] = glm::degrees(std::atan2(-front.x, -front.z));
                break;
            }
            case AnnotationKind::kSphere: o["position"] = vec(v.position); o["radius"] = v.radius; break;
            case AnnotationKind::kInk: {
                json pts = json::array();
                for (const Vec3& p : v.points) pts.push_back(vec(v.position + p));
                o["points"] = std::move(pts);
                break;
            }
            case AnnotationKind::kMarker: o["position"] = vec(v.position); o["number"] = v.number; break;
        }
        out.push_back(std::move(o));
    }
    return out.dump();
}

namespace {

// A node's local transform: its matrix, else translation * rotation * scale.
Mat4 nodeTransform(const tinygltf::Node& n) {
    if (n.matrix.size() == 16) {
        Mat4 m(1.0f);
        for (int c = 0; c < 4; ++c) {
            for (int r = 0; r < 4; ++r) m[c][r] = static_cast<float>(n.matrix[std::size_t(c * 4 + r)]);
        }
        return m;
    }
    Mat4 t(1.0f), r(1.0f), s(1.0f);
    if (n.translation.size() == 3) {
        t = glm::translate(Mat4(1.0f), Vec3(float(n.translation[0]), float(n.translation[1]), float(n.translation[2])));
    }
    if (n.rotation.size() == 4) {
        r = glm::mat4_cast(Quat(float(n.rotation[3]), float(n.rotation[0]), float(n.rotation[1]), float(n.rotation[2])));
    }
    if (n.scale.size() == 3) s = glm::scale(Mat4(1.0f), Vec3(float(n.scale[0]), float(n.scale[1]), float(n.scale[2])));
    return t * r * s;
}

// An accessor by index, or null when the file has no such accessor.
const tinygltf::Accessor* accessorAt(const tinygltf::Model& m, int index) {
    return index >= 0 && std::size_t(index) < m.accessors.size() ? &m.accessors[std::size_t(index)] : nullptr;
}

// The bytes of an accessor's elements, checked against its view and buffer
// without overflow (offsets, lengths and counts are whatever the file says).
Result<const std::uint8_t*> accessorData(const std::string& src, const tinygltf::Model& m, int index,
                                         std::size_t elementSize, std::size_t& stride, std::size_t& count) {
    const tinygltf::Accessor* a = accessorAt(m, index);
    if (!a) return bad(src, "accessors", strCat("no accessor ", index));
    if (a->bufferView < 0 || std::size_t(a->bufferView) >= m.bufferViews.size()) {
        return bad(src, strCat("accessors[", index, "]"), "no buffer view (sparse accessors are not supported)");
    }
    const auto& v = m.bufferViews[std::size_t(a->bufferView)];
    if (v.buffer < 0 || std::size_t(v.buffer) >= m.buffers.size()) return bad(src, strCat("bufferViews[", a->bufferView, "]"), "no buffer");
    const auto& b = m.buffers[std::size_t(v.buffer)];
    if (v.byteStride != 0 && v.byteStride < elementSize) {
        return bad(src, strCat("bufferViews[", a->bufferView, "]"), strCat("byteStride ", v.byteStride, " is less than an element"));
    }
    stride = v.byteStride ? v.byteStride : elementSize;
    count = a->count;
    const auto past = [&] { return bad(src, strCat("accessors[", index, "]"), "reaches past its buffer"); };
    if (v.byteOffset > b.data.size() || v.byteLength > b.data.size() - v.byteOffset) return past();
    if (a->byteOffset > v.byteLength) return past();
    const std::size_t room = v.byteLength - a->byteOffset;  // bytes from the first element to the view's end
    if (count > 0 && (elementSize > room || (count - 1) > (room - elementSize) / stride)) return past();
    return b.data.data() + v.byteOffset + a->byteOffset;
}

// What the model may hold in all, so a small file cannot ask for gigabytes
// (an accessor repeated by many nodes, a long stride).
struct ModelBudget {
    std::size_t vertices = 0;
    std::size_t nodeVisits = 0;
};
constexpr std::size_t kMaxNodeVisits = 65536;

Result<void> appendPrimitive(const std::string& src, const tinygltf::Model& m, const tinygltf::Primitive& p,
                             const Mat4& transform, std::vector<ModelPart>& out, ModelBudget& budget) {
    if (p.mode != TINYGLTF_MODE_TRIANGLES && p.mode != -1) {
        return bad(src, "meshes", strCat("primitive mode ", p.mode, " (only triangles are drawn)"));
    }
    if (out.size() >= kMaxModelParts) return bad(src, "meshes", strCat("more than ", kMaxModelParts, " primitives to draw"));
    const auto pos = p.attributes.find("POSITION");
    if (pos == p.attributes.end()) return bad(src, "meshes", "a primitive without POSITION");
    const tinygltf::Accessor* positionAccessor = accessorAt(m, pos->second);
    if (!positionAccessor) return bad(src, "meshes", strCat("POSITION names no accessor (", pos->second, ")"));
    if (positionAccessor->componentType != TINYGLTF_COMPONENT_TYPE_FLOAT || positionAccessor->type != TINYGLTF_TYPE_VEC3) {
        return bad(src, "meshes", "POSITION must be float VEC3");
    }
    std::size_t stride = 0, count = 0;
    MXR_TRY_ASSIGN(const std::uint8_t* positions, accessorData(src, m, pos->second, 12, stride, count));
    if (count > kMaxModelVertices - budget.vertices) {
        return bad(src, "meshes", strCat("more than ", kMaxModelVertices, " vertices in all"));
    }
    budget.vertices += count;
    ModelPart part;
    part.transform = transform;
    part.mesh.vertices.resize(count);
    for (std::size_t i = 0; i < count; ++i) std::memcpy(&part.mesh.vertices[i].position, positions + i * stride, 12);
    if (const auto nrm = p.attributes.find("NORMAL"); nrm != p.attributes.end()) {
        std::size_t ns = 0, nc = 0;
        MXR_TRY_ASSIGN(const std::uint8_t* normals, accessorData(src, m, nrm->second, 12, ns, nc));
        if (nc != count) return bad(src, "meshes", "NORMAL and POSITION counts differ");
        for (std::size_t i = 0; i < count; ++i) std::memcpy(&part.mesh.vertices[i].normal, normals + i * ns, 12);
    }
    if (p.indices >= 0) {
        const tinygltf::Accessor* indexAccessor = accessorAt(m, p.indices);
        if (!indexAccessor) return bad(src, "meshes", strCat("indices name no accessor (", p.indices, ")"));
        const int type = indexAccessor->componentType;
        if (type != TINYGLTF_COMPONENT_TYPE_UNSIGNED_BYTE && type != TINYGLTF_COMPONENT_TYPE_UNSIGNED_SHORT &&
            type != TINYGLTF_COMPONENT_TYPE_UNSIGNED_INT) {
            return bad(src, strCat("accessors[", p.indices, "]"), "indices must be unsigned bytes, shorts or ints");
        }
        const std::size_t size = type == TINYGLTF_COMPONENT_TYPE_UNSIGNED_BYTE ? 1 : type == TINYGLTF_COMPONENT_TYPE_UNSIGNED_SHORT ? 2 : 4;
        std::size_t is = 0, ic = 0;
        MXR_TRY_ASSIGN(const std::uint8_t* idx, accessorData(src, m, p.indices, size, is, ic));
        for (std::size_t i = 0; i < ic; ++i) {
            std::uint32_t v = 0;
            std::memcpy(&v, idx + i * is, size);  // little-endian, as glTF is
            if (v >= count) return bad(src, "meshes", strCat("index ", v, " past ", count, " vertices"));
            part.mesh.indices.push_back(v);
        }
    } else {
        for (std::uint32_t i = 0; i < count; ++i) part.mesh.indices.push_back(i);
    }
    if (part.mesh.indices.size() % 3 != 0) return bad(src, "meshes", "index count is not a multiple of 3");
    if (p.attributes.find("NORMAL") == p.attributes.end()) {
        // Flat normals from the triangles (glTF says so without NORMAL).
        for (std::size_t i = 0; i + 2 < part.mesh.indices.size(); i += 3) {
            auto& a = part.mesh.vertices[part.mesh.indices[i]];
            auto& b = part.mesh.vertices[part.mesh.indices[i + 1]];
            auto& c = part.mesh.vertices[part.mesh.indices[i + 2]];
            const Vec3 n = glm::normalize(glm::cross(b.position - a.position, c.position - a.position));
            a.normal = b.normal = c.normal = n;
        }
    }
    if (p.material >= 0 && std::size_t(p.material) < m.materials.size()) {
        const auto& f = m.materials[std::size_t(p.material)].pbrMetallicRoughness.baseColorFactor;
        if (f.size() == 4) part.color = Vec4(float(f[0]), float(f[1]), float(f[2]), float(f[3]));
    }
    out.push_back(std::move(part));
    return {};
}

Result<void> appendNode(const std::string& src, const tinygltf::Model& m, int index, const Mat4& parent, int depth,
                        std::vector<ModelPart>& out, ModelBudget& budget) {
    if (index < 0 || std::size_t(index) >= m.nodes.size()) return bad(src, "nodes", strCat("no node ", index));
    if (depth > 64) return bad(src, "nodes", "hierarchy deeper than 64 (a cycle?)");
    if (++budget.nodeVisits > kMaxNodeVisits) {
        return bad(src, "nodes", strCat("more than ", kMaxNodeVisits, " node visits (nodes shared by too many parents)"));
    }
    const auto& n = m.nodes[std::size_t(index)];
    const Mat4 t = parent * nodeTransform(n);
    if (n.mesh >= 0) {
        if (std::size_t(n.mesh) >= m.meshes.size()) return bad(src, strCat("nodes[", index, "]"), "no such mesh");
        for (const auto& p : m.meshes[std::size_t(n.mesh)].primitives) MXR_TRY(appendPrimitive(src, m, p, t, out, budget));
    }
    for (int child : n.children) MXR_TRY(appendNode(src, m, child, t, depth + 1, out, budget));
    return {};
}

}  // namespace

Result<WorkspaceDef> parseWorkspace(const std::string& jsonText, const std::string& source) {
    const json j = json::parse(jsonText, nullptr, false);
    if (j.is_discarded()) return bad(source, "(file)", "not valid JSON");
    if (!j.is_object()) return bad(source, "(root)", "expected an object");
    for (auto it = j.begin(); it != j.end(); ++it) {
        const std::string& k = it.key();
        if (k != "name" && k != "model" && k != "size" && k != "position" && k != "yaw_deg" && k != "annotations") {
            return bad(source, "(root)", strCat("unknown field \"", k, "\""));
        }
    }
    WorkspaceDef d;
    if (!j.contains("name") || !j["name"].is_string() || j["name"].get<std::string>().empty() ||
        j["name"].get<std::string>().size() > 200) {
        return bad(source, "name", "expected a name (1 to 200 characters)");
    }
    d.name = j["name"].get<std::string>();
    if (j.contains("model")) {
        if (!j["model"].is_string() || j["model"].get<std::string>().empty()) return bad(source, "model", "expected a file name");
        const std::filesystem::path model(j["model"].get<std::string>());
        d.modelPath = model.is_absolute() ? model.string() : (std::filesystem::path(source).parent_path() / model).string();
    }
    if (j.contains("size")) {
        MXR_TRY_ASSIGN(d.size, numbers<2>(source, j["size"], "size", 0.05f, 50.0f));
    }
    if (j.contains("position")) {
        MXR_TRY_ASSIGN(d.pose.position, numbers<3>(source, j["position"], "position", -1000.0f, 1000.0f));
    }
    if (j.contains("yaw_deg")) {
        MXR_TRY_ASSIGN(const float yaw, number(source, j["yaw_deg"], "yaw_deg", -360.0f, 360.0f));
        d.pose.orientation = glm::angleAxis(glm::radians(yaw), Vec3(0, 1, 0));
    }
    if (j.contains("annotations")) {
        if (!j["annotations"].is_array()) return bad(source, "annotations", "expected an array");
        for (std::size_t i = 0; i < j["annotations"].size(); ++i) {
            MXR_TRY_ASSIGN(auto a, parseAnnotation(source, j["annotations"][i], strCat("annotations[", i, "]")));
            d.annotations.push_back(std::move(a));
        }
    }
    return d;
}

Result<WorkspaceDef> loadWorkspace(const std::string& path) {
    MXR_TRY_ASSIGN(const std::string text, readSceneFile(path, "workspace file", 1));
    return parseWorkspace(text, path);
}

Result<std::vector<ModelPart>> parseGltfModel(const std::string& bytes, bool binary, const std::string& baseDir,
                                              const std::string& source) {
    if (bytes.size() > kMaxGltfModelBytes) return bad(source, "(file)", strCat("larger than ", kMaxGltfModelBytes >> 20, " MiB"));
    tinygltf::TinyGLTF loader;
    tinygltf::Model model;
    std::string err, warn;
    const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
    const auto size = static_cast<unsigned int>(bytes.size());  // at most 256 MiB
    const bool ok = binary ? loader.LoadBinaryFromMemory(&model, &err, &warn, data, size, baseDir)
                           : loader.LoadASCIIFromString(&model, &err, &warn, bytes.data(), size, baseDir);
    if (!ok) return bad(source, "(glTF)", err.empty() ? "cannot be read" : err);
    std::vector<ModelPart> parts;
    ModelBudget budget;
    const int scene = model.defaultScene >= 0 ? model.defaultScene : 0;
    if (std::size_t(scene) >= model.scenes.size()) return bad(source, "scenes", "no scene");
    for (int node : model.scenes[std::size_t(scene)].nodes) MXR_TRY(appendNode(source, model, node, Mat4(1.0f), 0, parts, budget));
    if (parts.empty()) return bad(source, "meshes", "nothing to draw");
    return parts;
}

Result<std::vector<ModelPart>> loadGltfModel(const std::string& path) {
    MXR_TRY_ASSIGN(const std::string bytes, readSceneFile(path, "glTF model", kMaxGltfModelBytes >> 20));
    const std::filesystem::path p(path);
    return parseGltfModel(bytes, p.extension() == ".glb", p.parent_path().string(), path);
}

}  // namespace mxr::scenes
