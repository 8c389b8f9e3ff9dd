#include "engine/core/result.h"

namespace mxr {

const char* toString(ErrorCode code) noexcept {
    switch (code) {
        case ErrorCode::kUnknown: return "unknown";
        case ErrorCode::kInvalidArgument: return "invalid argument";
        case ErrorCode::kNotFound: return "not found";
        case ErrorCode::kUnavailable: return "unavailable";
        case ErrorCode::kIo: return "i/o";
        case ErrorCode::kGpu: return "gpu";
        case ErrorCode::kXr: return "xr";
        case ErrorCode::kDeviceLost: return "device lost";
        case ErrorCode::kOutOfDate: return "out of date";
        case ErrorCode::kPermissionDenied: return "permission denied";
        case ErrorCode::kConflict: return "conflict";
        case ErrorCode::kLimit: return "limit";
        case ErrorCode::kProtocol: return "protocol";
    }
    return "unknown";
}

std::string Error::describe() const {
    std::string out = message;
    out += " (";
    out += toString(code);
    if (native != 0) {
        out += ", native ";
        out += std::to_string(native);
    }
    out += ")";
    return out;
}

}  // namespace mxr
