#pragma once
// The text of the scene files (rooms, workspaces, models, procedures): a
// file read whole within its bound, and JSON that does not parse as an
// Error naming the file and where, never an exception. Thread: any.
#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "engine/core/result.h"

namespace mxr::scenes {

// The whole of the file at `path`: kNotFound "PATH: cannot open WHAT" when
// it cannot be opened, kInvalidArgument "PATH: larger than N MiB" past
// `maxMiB` (checked before reading where the file has a size).
Result<std::string> readSceneFile(const std::string& path, std::string_view what, std::size_t maxMiB);

// A JSON syntax error's message for scene files (rooms, procedures):
// "SOURCE: line L, column C: <what the parser said>", from the error's
// byte offset into `jsonText`.
std::string jsonSyntaxError(const std::string& jsonText, const std::string& source, std::size_t byte,
                            const std::string& parserMessage);

// `jsonText` parsed, or kInvalidArgument: a syntax error (jsonSyntaxError's
// message) or a number too large for a double ("SOURCE: number overflow
// parsing '1e999'"), which nlohmann reports as another exception.
Result<nlohmann::json> parseSceneJson(const std::string& jsonText, const std::string& source);

}  // namespace mxr::scenes
