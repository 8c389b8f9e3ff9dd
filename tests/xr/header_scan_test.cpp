// The XR contract, scenes/ and engine/ui's public header see no Vulkan:
// every header they are made of (and, through quoted includes, every
// project header those reach) is scanned for a Vulkan include and for Vk
// names. Withholding the include directory would prove nothing: Vulkan's
// headers sit in the system include folder.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

const fs::path kRoot = MXR_SOURCE_DIR;

// Where quoted includes of project headers resolve.
const std::vector<fs::path> kIncludeDirs = {
    kRoot / "engine/core/include", kRoot / "engine/render/include", kRoot / "engine/platform/include",
    kRoot / "engine/ui/include",   kRoot / "xr/include",            kRoot / "net/include",
    kRoot / "scenes/include",      kRoot / "scenes/src",
};

std::string readFile(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// Comments and string literals removed: a comment may mention VkFormat.
std::string codeOnly(const std::string& text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text.compare(i, 2, "//") == 0) {
            while (i < text.size() && text[i] != '\n') ++i;
            out += '\n';
        } else if (text.compare(i, 2, "/*") == 0) {
            const auto end = text.find("*/", i + 2);
            i = end == std::string::npos ? text.size() : end + 1;
            out += ' ';
        } else if (text[i] == '"') {
            // Keep include paths: they are what the include check reads.
            const auto end = text.find('"', i + 1);
            const std::string lit = text.substr(i, end == std::string::npos ? std::string::npos : end - i + 1);
            const auto lineStart = out.rfind('\n');
            const bool include = out.find("#include", lineStart == std::string::npos ? 0 : lineStart) != std::string::npos;
            out += include ? lit : "\"\"";
            i = end == std::string::npos ? text.size() : end;
        } else {
            out += text[i];
        }
    }
    return out;
}

// What is wrong with one header's code, one line per finding.
std::vector<std::string> vulkanFindings(const std::string& code) {
    static const std::regex include(R"re(#\s*include\s*[<"]\s*(vulkan/[^>"]*|vulkan\.h|vk_[^>"]*)[>"])re");
    static const std::regex names(R"re(\b(Vk[A-Z]\w*|VK_[A-Z0-9_]+|PFN_vk\w*|vk[A-Z]\w*)\b)re");
    std::vector<std::string> found;
    for (std::sregex_iterator it(code.begin(), code.end(), include), end; it != end; ++it) {
        found.push_back("includes <" + (*it)[1].str() + ">");
    }
    for (std::sregex_iterator it(code.begin(), code.end(), names), end; it != end; ++it) {
        found.push_back("names " + (*it)[1].str());
    }
    return found;
}

fs::path resolve(const std::string& name, const fs::path& from) {
    if (fs::exists(from.parent_path() / name)) return from.parent_path() / name;
    for (const auto& dir : kIncludeDirs) {
        if (fs::exists(dir / name)) return dir / name;
    }
    return {};
}

// Scans `start` and every project header it reaches through quoted includes.
std::vector<std::string> scan(const std::vector<fs::path>& start) {
    std::vector<std::string> problems;
    std::set<fs::path> seen;
    std::vector<std::pair<fs::path, std::string>> todo;  // header, who included it
    for (const auto& p : start) todo.emplace_back(p, "");
    static const std::regex quoted(R"re(#\s*include\s*"([^"]+)")re");
    while (!todo.empty()) {
        auto [path, via] = todo.back();
        todo.pop_back();
        path = fs::weakly_canonical(path);
        if (!seen.insert(path).second) continue;
        const std::string code = codeOnly(readFile(path));
        const std::string name = fs::relative(path, kRoot).string() + (via.empty() ? "" : " (via " + via + ")");
        for (const auto& f : vulkanFindings(code)) problems.push_back(name + ": " + f);
        for (std::sregex_iterator it(code.begin(), code.end(), quoted), end; it != end; ++it) {
            const fs::path next = resolve((*it)[1].str(), path);
            if (!next.empty()) todo.emplace_back(next, fs::relative(path, kRoot).string());
        }
    }
    return problems;
}

std::vector<fs::path> headersUnder(const fs::path& dir) {
    std::vector<fs::path> out;
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
        if (e.is_regular_file() && e.path().extension() == ".h") out.push_back(e.path());
    }
    return out;
}

std::string join(const std::vector<std::string>& lines) {
    std::string s;
    for (const auto& l : lines) s += "  " + l + "\n";
    return s;
}

TEST(HeaderScan, XrContractNamesNoVulkan) {
    const auto problems = scan({kRoot / "xr/include/xr/xr_system.h"});
    EXPECT_TRUE(problems.empty()) << join(problems);
}

TEST(HeaderScan, ScenesHeadersNameNoVulkan) {
    const auto headers = headersUnder(kRoot / "scenes");
    ASSERT_GE(headers.size(), 8u);
    const auto problems = scan(headers);
    EXPECT_TRUE(problems.empty()) << join(problems);
}

TEST(HeaderScan, UiPublicHeaderNamesNoVulkan) {
    const auto problems = scan(headersUnder(kRoot / "engine/ui/include"));
    EXPECT_TRUE(problems.empty()) << join(problems);
}

// The scanner is not blind: it finds what it looks for, and not in comments.
TEST(HeaderScan, FindsVulkanIncludesAndNamesButNotComments) {
    EXPECT_EQ(vulkanFindings(codeOnly("#include <vulkan/vulkan.h>\n")).size(), 1u);
    EXPECT_EQ(vulkanFindings(codeOnly("#include <vulkan/vulkan_core.h>\n")).size(), 1u);
    EXPECT_EQ(vulkanFindings(codeOnly("void f(VkCommandBuffer cmd);\n")).size(), 1u);
    EXPECT_EQ(vulkanFindings(codeOnly("int s = VK_SAMPLE_COUNT_4_BIT;\n")).size(), 1u);
    EXPECT_EQ(vulkanFindings(codeOnly("auto p = &vkQueueSubmit;\n")).size(), 1u);
    EXPECT_TRUE(vulkanFindings(codeOnly("// a VkFormat value\n/* VkImage */ int x;\n")).empty());
    EXPECT_TRUE(vulkanFindings(codeOnly("const char* s = \"VK_LAYER_KHRONOS_validation\";\n")).empty());
    EXPECT_TRUE(vulkanFindings(codeOnly("class VulkanRenderer;\n")).empty());
    // And through includes: the renderer's Vulkan header is caught.
    const auto problems = scan({kRoot / "engine/render/include/engine/render/vulkan_renderer.h"});
    EXPECT_FALSE(problems.empty());
}

}  // namespace
