#include "engine/core/spsc_queue.h"

#include <gtest/gtest.h>

#include <thread>

namespace mxr {
namespace {

TEST(SpscQueue, BoundedAndOrdered) {
    SpscQueue<int> q(3);
    EXPECT_TRUE(q.tryPush(1));
    EXPECT_TRUE(q.tryPush(2));
    EXPECT_TRUE(q.tryPush(3));
    EXPECT_FALSE(q.tryPush(4));  // full: the producer is told, nothing overwritten
    EXPECT_EQ(q.tryPop(), 1);
    EXPECT_TRUE(q.tryPush(4));
    EXPECT_EQ(q.tryPop(), 2);
    EXPECT_EQ(q.tryPop(), 3);
    EXPECT_EQ(q.tryPop(), 4);
    EXPECT_FALSE(q.tryPop().has_value());
}

TEST(SpscQueue, TwoThreadsDeliverEveryItemInOrder) {
    SpscQueue<int> q(64);
    constexpr int kCount = 200000;
    std::thread producer([&] {
        for (int i = 0; i < kCount; ++i) {
            while (!q.tryPush(i)) std::this_thread::yield();
        }
    });
    int expected = 0;
    while (expected < kCount) {
        if (auto v = q.tryPop()) {
            ASSERT_EQ(*v, expected);
            ++expected;
        } else {
            std::this_thread::yield();
        }
    }
    producer.join();
    EXPECT_TRUE(q.empty());
}

}  // namespace
}  // namespace mxr
