#pragma once
// Golden-image comparison for tests (ARCHITECTURE.md): a frame fails when
// more than 0.5% of its pixels differ by more than 8/255 in a channel.
// On failure the actual and diff images are written beside the build
// (golden_out/). MXR_GOLDEN_UPDATE=1 writes the references instead; bless them
// with tools/bless_golden.sh, in a commit of their own. In CI (CI set) the
// update is refused and the check fails: it can never turn a check into a pass.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "engine/render/image_io.h"

namespace mxr::test {

inline std::string goldenDir() { return MXR_GOLDEN_DIR; }
inline std::string goldenOutDir() { return MXR_GOLDEN_OUT_DIR; }

inline ::testing::AssertionResult matchesGolden(const engine::Image& actual, const std::string& name) {
    const std::string ref = goldenDir() + "/" + name + ".png";
    const char* update = std::getenv("MXR_GOLDEN_UPDATE");
    if (update && std::string(update) == "1") {
        if (const char* ci = std::getenv("CI"); ci && *ci) {
            return ::testing::AssertionFailure() << "MXR_GOLDEN_UPDATE=1 is refused in CI (CI=" << ci
                                                 << "): references are blessed by hand with tools/bless_golden.sh";
        }
        std::filesystem::create_directories(goldenDir());
        if (auto w = engine::writePng(ref, actual); !w) return ::testing::AssertionFailure() << w.error().message;
        return ::testing::AssertionSuccess() << "updated " << ref;
    }
    std::filesystem::create_directories(goldenOutDir());
    const std::string actualPath = goldenOutDir() + "/" + name + ".actual.png";
    auto expected = engine::readPng(ref);
    if (!expected) {
        (void)engine::writePng(actualPath, actual);
        return ::testing::AssertionFailure() << "no reference " << ref << " (" << expected.error().message
                                             << "); actual written to " << actualPath;
    }
    const engine::ImageDiff d = engine::compareImages(*expected, actual, 8);
    if (d.fraction() <= 0.005) return ::testing::AssertionSuccess();
    (void)engine::writePng(actualPath, actual);
    const std::string diffPath = goldenOutDir() + "/" + name + ".diff.png";
    if (!d.diff.rgba.empty()) (void)engine::writePng(diffPath, d.diff);
    return ::testing::AssertionFailure() << name << ": " << d.differing << " of " << d.total << " pixels ("
                                         << d.fraction() * 100.0 << "%) differ by more than 8/255 (max "
                                         << d.maxChannelDelta << "); actual " << actualPath << ", diff " << diffPath;
}

}  // namespace mxr::test
