#include "net/wire.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace mxr::net {
namespace {

TEST(Wire, RoundTripsEveryFieldKind) {
    ByteWriter w;
    w.u8(0xab);
    w.u16(0x1234);
    w.u32(0xdeadbeef);
    w.u64(0x0102030405060708ull);
    w.i16(-1234);
    w.f32(1.5f);
    w.str("hello");
    const std::uint8_t raw[3] = {1, 2, 3};
    w.blob(raw);
    ByteReader r(w.data());
    EXPECT_EQ(*r.u8("a"), 0xab);
    EXPECT_EQ(*r.u16("b"), 0x1234);
    EXPECT_EQ(*r.u32("c"), 0xdeadbeefu);
    EXPECT_EQ(*r.u64("d"), 0x0102030405060708ull);
    EXPECT_EQ(*r.i16("e"), -1234);
    EXPECT_EQ(*r.f32("f"), 1.5f);
    EXPECT_EQ(*r.str("g", 10), "hello");
    auto b = r.blob("h", 10);
    ASSERT_TRUE(b);
    EXPECT_EQ(b->size(), 3u);
    EXPECT_TRUE(r.expectEnd("test"));
}

TEST(Wire, IsLittleEndian) {
    ByteWriter w;
    w.u32(0x01020304);
    EXPECT_EQ(w.data(), (Bytes{4, 3, 2, 1}));
}

TEST(Wire, TruncationNamesTheField) {
    const Bytes b{1};
    ByteReader r(b);
    auto v = r.u32("avatar.time");
    ASSERT_FALSE(v);
    EXPECT_EQ(v.error().code, ErrorCode::kProtocol);
    EXPECT_NE(v.error().message.find("avatar.time"), std::string::npos);
    EXPECT_NE(v.error().message.find("truncated"), std::string::npos);
}

TEST(Wire, RejectsNonFiniteFloats) {
    for (float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                      -std::numeric_limits<float>::infinity()}) {
        ByteWriter w;
        w.f32(bad);
        ByteReader r(w.data());
        auto v = r.f32("bounds.min.x");
        ASSERT_FALSE(v);
        EXPECT_NE(v.error().message.find("bounds.min.x"), std::string::npos);
        EXPECT_NE(v.error().message.find("finite"), std::string::npos);
    }
}

TEST(Wire, RejectsOverlongEmptyAndControlStrings) {
    ByteWriter w1;
    w1.str("abcdef");
    ByteReader r1(w1.data());
    auto a = r1.str("name", 5);
    ASSERT_FALSE(a);
    EXPECT_NE(a.error().message.find("limit"), std::string::npos);

    ByteWriter w2;
    w2.str("");
    ByteReader r2(w2.data());
    EXPECT_FALSE(r2.str("name", 5));

    ByteWriter w3;
    w3.str("a\nb");
    ByteReader r3(w3.data());
    auto c = r3.str("name", 5);
    ASSERT_FALSE(c);
    EXPECT_NE(c.error().message.find("control"), std::string::npos);
}

TEST(Wire, BlobLengthBeyondDataIsTruncation) {
    ByteWriter w;
    w.u16(100);
    w.u8(1);
    ByteReader r(w.data());
    EXPECT_FALSE(r.blob("ticket", 1000));
}

TEST(Wire, TrailingBytesAreRejected) {
    const Bytes b{1, 2};
    ByteReader r(b);
    (void)r.u8("x");
    auto e = r.expectEnd("Leave");
    ASSERT_FALSE(e);
    EXPECT_NE(e.error().message.find("trailing"), std::string::npos);
}

}  // namespace
}  // namespace mxr::net
