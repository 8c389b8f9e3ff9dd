#pragma once
// JSON text that does not parse, for the scene files (rooms, procedures):
// an Error naming the file and where, never an exception. Thread: any (pure
// functions).
#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>

#include "engine/core/result.h"

namespace mxr::scenes {

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
