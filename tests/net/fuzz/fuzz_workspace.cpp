// Workspace files and annotation lists (scenes/workspace_file.h). Input:
// [mode u8][JSON text]. Mode bit 0 clear: a workspace file; set: an
// annotation list (a workspace's or a procedure step's `annotations`). The
// readers return a value or an Error naming the problem for any text and
// never crash; an annotation list they accept, written back with
// annotationListJson, is read again into as many annotations of the same
// kinds, colours, texts and numbers (a file the client writes, it reads).
#include <cstdint>
#include <cstdlib>
#include <string>

#include "scenes/workspace_file.h"

namespace {
using namespace mxr::scenes;

void checkWrittenBack(const std::vector<WorkspaceAnnotation>& list) {
    auto again = parseAnnotationList(annotationListJson(list), "written back", "annotations");
    if (!again || again->size() != list.size()) std::abort();
    for (std::size_t i = 0; i < list.size(); ++i) {
        const auto& a = list[i];
        const auto& b = (*again)[i];
        if (a.kind != b.kind || a.values.colour != b.values.colour || a.values.text != b.values.text ||
            a.values.number != b.values.number || a.values.points.size() != b.values.points.size()) {
            std::abort();
        }
    }
}

void checkError(const mxr::Error& e) {
    if (e.message.empty()) std::abort();  // an error names what is wrong
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
    if (data[0] & 1) {
        auto list = parseAnnotationList(text, "fuzz", "annotations");
        if (list) checkWrittenBack(*list);
        else checkError(list.error());
        return 0;
    }
    auto def = parseWorkspace(text, "fuzz.json");
    if (def) checkWrittenBack(def->annotations);
    else checkError(def.error());
    return 0;
}
