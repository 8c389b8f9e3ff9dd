#pragma once
// Result<T>: the one way an expected failure travels in MentorXR.
//
// An Error carries a code (what kind of failure, for callers that branch on
// it), the native result of the API that failed (VkResult, XrResult, errno,
// SQLite code, 0 where there is none) and a human message that names what
// failed and where. Misuse by the caller is an assertion, not an Error.
#include <cstdint>
#include <sstream>
#include <string>
#include <tl/expected.hpp>
#include <utility>

namespace mxr {

enum class ErrorCode : std::uint8_t {
    kUnknown,
    kInvalidArgument,  // bad input from a file, packet, request or command line
    kNotFound,         // file, record or resource absent
    kUnavailable,      // hardware, driver, display or runtime missing
    kIo,               // file system or socket failure
    kGpu,              // Vulkan failure (native = VkResult)
    kXr,               // OpenXR failure (native = XrResult)
    kDeviceLost,       // the GPU device was lost; rendering must stop
    kOutOfDate,        // swapchain must be recreated
    kPermissionDenied,
    kConflict,
    kLimit,            // a bounded resource is exhausted
    kProtocol,         // malformed or unsupported wire data
};

const char* toString(ErrorCode code) noexcept;

struct Error {
    ErrorCode code = ErrorCode::kUnknown;
    std::int64_t native = 0;
    std::string message;

    // "message (code, native N)"; used by logs and by mains when they exit.
    [[nodiscard]] std::string describe() const;
};

template <typename T>
using Result = tl::expected<T, Error>;

// strCat("a", 1, 'b', 2.5): builds a message from streamable parts (GCC 12
// has no std::format).
template <typename... Args>
std::string strCat(const Args&... args) {
    std::ostringstream out;
    (out << ... << args);
    return out.str();
}

inline tl::unexpected<Error> makeError(ErrorCode code, std::string message, std::int64_t native = 0) {
    return tl::unexpected<Error>(Error{code, native, std::move(message)});
}

// Prefix context onto an error as it travels up: "loading room: <inner>".
inline Error withContext(Error e, const std::string& context) {
    e.message = context + ": " + e.message;
    return e;
}

}  // namespace mxr

// MXR_TRY(expr): evaluate a Result-returning expression; on failure return
// its error from the enclosing function (which must return a Result).
#define MXR_TRY(expr)                                            \
    do {                                                         \
        auto mxr_try_result_ = (expr);                           \
        if (!mxr_try_result_) {                                  \
            return tl::unexpected(std::move(mxr_try_result_).error()); \
        }                                                        \
    } while (false)

// MXR_TRY_ASSIGN(lhs, expr): as MXR_TRY, then move the value into lhs.
#define MXR_TRY_CAT2_(a, b) a##b
#define MXR_TRY_CAT_(a, b) MXR_TRY_CAT2_(a, b)
#define MXR_TRY_ASSIGN(lhs, expr) MXR_TRY_ASSIGN_IMPL_(MXR_TRY_CAT_(mxr_tmp_, __LINE__), lhs, expr)
#define MXR_TRY_ASSIGN_IMPL_(tmp, lhs, expr)           \
    auto tmp = (expr);                                 \
    if (!tmp) {                                        \
        return tl::unexpected(std::move(tmp).error()); \
    }                                                  \
    lhs = std::move(*tmp)
