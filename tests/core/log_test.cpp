#include "engine/core/log.h"

#include <gtest/gtest.h>

namespace mxr {
namespace {

TEST(Log, ChildLoggersShareTheInjectedSink) {
    auto sink = std::make_shared<MemorySink>();
    Logger root(sink, "client");
    Logger render = root.child("render");
    root.info("starting");
    render.warn(strCat("swapchain ", 1280, "x", 720, " recreated"));
    auto lines = sink->lines();
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(lines[0].module, "client");
    EXPECT_EQ(lines[1].module, "render");
    EXPECT_EQ(lines[1].level, LogLevel::kWarn);
    EXPECT_TRUE(sink->contains("1280x720"));
    Logger silent;
    silent.error("dropped");  // a default logger has no sink and must not crash
}

}  // namespace
}  // namespace mxr
