#include "scenes/scene_file_text.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/core/result.h"

namespace mxr::scenes {

Result<std::string> readSceneFile(const std::string& path, std::string_view what, std::size_t maxMiB) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return makeError(ErrorCode::kNotFound, strCat(path, ": cannot open ", what));
    const std::size_t maxBytes = maxMiB << 20;
    const auto tooLarge = [&] { return makeError(ErrorCode::kInvalidArgument, strCat(path, ": larger than ", maxMiB, " MiB")); };
    std::error_code ec;
    if (const auto size = std::filesystem::file_size(path, ec); !ec && size > maxBytes) return tooLarge();
    std::ostringstream ss;
    ss << in.rdbuf();
    if (ss.str().size() > maxBytes) return tooLarge();  // a file without a size (a pipe)
    return std::move(ss).str();
}

std::string jsonSyntaxError(const std::string& jsonText, const std::string& source, std::size_t byte,
                            const std::string& parserMessage) {
    // nlohmann's offset is one past the offending character.
    const std::size_t at = byte > 0 ? byte - 1 : 0;
    std::size_t line = 1, col = 1;
    for (std::size_t i = 0; i < at && i < jsonText.size(); ++i) {
        if (jsonText[i] == '\n') {
            ++line;
            col = 1;
        } else {
            ++col;
        }
    }
    std::string what = parserMessage;
    if (auto pos = what.find(": syntax error"); pos != std::string::npos) what = what.substr(pos + 2);
    return strCat(source, ": line ", line, ", column ", col, ": ", what);
}

Result<nlohmann::json> parseSceneJson(const std::string& jsonText, const std::string& source) {
    try {
        return nlohmann::json::parse(jsonText);
    } catch (const nlohmann::json::parse_error& e) {
        return makeError(ErrorCode::kInvalidArgument, jsonSyntaxError(jsonText, source, e.byte, e.what()));
    } catch (const nlohmann::json::exception& e) {
        std::string what = e.what();
        if (auto pos = what.find("] "); pos != std::string::npos) what = what.substr(pos + 2);
        return makeError(ErrorCode::kInvalidArgument, strCat(source, ": ", what));
    }
}

}  // namespace mxr::scenes
