// MXR_GOLDEN_UPDATE can never turn a golden check into a pass in CI.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "golden.h"

namespace {

TEST(GoldenPolicy, UpdateIsRefusedWhenCiIsSet) {
    mxr::engine::Image img;
    img.width = img.height = 2;
    img.rgba.assign(16, 255);
    const std::string name = "policy_probe_never_blessed";
    const auto ref = std::filesystem::path(MXR_GOLDEN_DIR) / (name + ".png");
    ASSERT_FALSE(std::filesystem::exists(ref));
    setenv("MXR_GOLDEN_UPDATE", "1", 1);
    setenv("CI", "true", 1);
    const auto result = mxr::test::matchesGolden(img, name);
    unsetenv("MXR_GOLDEN_UPDATE");
    unsetenv("CI");
    EXPECT_FALSE(result);
    EXPECT_NE(std::string(result.message()).find("refused in CI"), std::string::npos) << result.message();
    EXPECT_FALSE(std::filesystem::exists(ref)) << "a reference was written in CI";
}

}  // namespace
