#include "engine/core/result.h"

#include <gtest/gtest.h>

namespace mxr {
namespace {

Result<int> parsePositive(int v) {
    if (v <= 0) return makeError(ErrorCode::kInvalidArgument, "value must be positive", v);
    return v;
}

Result<int> doubled(int v) {
    MXR_TRY_ASSIGN(int p, parsePositive(v));
    return p * 2;
}

Result<void> check(int v) {
    MXR_TRY(parsePositive(v));
    return {};
}

TEST(Result, ValuePassesThrough) {
    auto r = doubled(21);
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, 42);
    EXPECT_TRUE(check(1));
}

TEST(Result, ErrorPropagatesWithCodeNativeAndMessage) {
    auto r = doubled(-3);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(r.error().native, -3);
    EXPECT_EQ(r.error().describe(), "value must be positive (invalid argument, native -3)");
    auto c = check(0);
    ASSERT_FALSE(c);
    EXPECT_EQ(withContext(c.error(), "reading x").message, "reading x: value must be positive");
}

}  // namespace
}  // namespace mxr
