// Procedure files and the server's procedures (scenes/procedure.h). Input:
// [mode u8][text]. Mode bit 0 clear: a procedure file; set: the server's
// answer, the record and (after the first NUL, when there is one) the step
// list. The readers return a value or an Error for any text and never
// crash; a file they accept keeps the limits the header promises (1-500
// steps, a title on one line of 1-200 bytes, at most 200 annotations and
// 64 KiB of them per step) and becomes a create body that is JSON.
#include <cstdint>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "scenes/procedure.h"

namespace {
using namespace mxr::scenes;

void checkFile(const ProcedureDef& p) {
    if (p.steps.empty() || p.steps.size() > kMaxProcedureSteps) std::abort();
    if (p.title.empty() || p.title.size() > 200 || p.title.find('\n') != std::string::npos) std::abort();
    for (const auto& s : p.steps) {
        if (s.annotationCount > kMaxStepAnnotations || s.annotationsJson.size() > kMaxStepAnnotationBytes) std::abort();
    }
    const auto body = nlohmann::json::parse(procedureCreateBody(p, 7), nullptr, false);
    if (body.is_discarded() || !body.is_object() || body.value("mentorship_id", 0) != 7) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
    if (data[0] & 1) {
        const auto nul = text.find('\0');
        auto p = procedureFromServer(text.substr(0, nul), nul == std::string::npos ? "" : text.substr(nul + 1));
        if (!p && p.error().message.empty()) std::abort();
        return 0;
    }
    auto p = parseProcedure(text, "fuzz.json");
    if (p) checkFile(*p);
    else if (p.error().message.empty()) std::abort();
    return 0;
}
