// Display names as the room host checks them (net/messages.h): every script
// in, one spelling (NFC) out, and a clear refusal naming what is wrong for
// what would break a name plate or reorder the text around it.
#include <gtest/gtest.h>

#include "net/client_session.h"
#include "net/messages.h"

namespace mxr::net {
namespace {

TEST(DisplayNames, EveryScriptIsANameAndStaysAsWritten) {
    for (const std::string name : {"Jürgen", "Łukasz", "Ioana", "Οδυσσέας", "Анна", "محمد", "李明", "佐藤",
                                   "Zoë Ñandú 李明"}) {
        EXPECT_TRUE(validateDisplayName(name)) << name;
        auto n = normalizeDisplayName(name);
        ASSERT_TRUE(n) << name;
        EXPECT_EQ(*n, name);
    }
    // 21 CJK characters fit in the 64 bytes; 22 do not, and the error says
    // both counts.
    std::string cjk;
    for (int i = 0; i < 21; ++i) cjk += "李";
    EXPECT_TRUE(validateDisplayName(cjk));
    auto tooLong = normalizeDisplayName(cjk + "明");
    ASSERT_FALSE(tooLong);
    EXPECT_EQ(tooLong.error().message,
              "display name must be 1 to 64 bytes of UTF-8 (this one is 66 bytes, 22 characters)");
}

TEST(DisplayNames, OneSpellingForEveryone) {
    auto n = normalizeDisplayName("Zoe\xCC\x88");
    ASSERT_TRUE(n);
    EXPECT_EQ(*n, "Zoë");
    auto v = validateDisplayName("Zoe\xCC\x88");
    ASSERT_FALSE(v) << "on the wire a name is already NFC";
    EXPECT_EQ(v.error().message, "display name is not in Unicode normalisation form C (compose its accents)");
}

TEST(DisplayNames, RefusalsNameTheFieldAndWhatIsWrong) {
    const std::vector<std::pair<std::string, std::string>> bad = {
        {"Zo\xC3", "display name is not valid UTF-8 (byte 3)"},
        {"Ana\x01", "display name contains a control character (U+0001)"},
        {"Ana\xC2\x9B", "display name contains a control character (U+009B)"},
        {"Ana\xE2\x80\xAEgpj.exe", "display name contains a bidirectional override or isolate (U+202E)"},
        {"\xE2\x81\xA7x", "display name contains a bidirectional override or isolate (U+2067)"},
        {"", "display name must be 1 to 64 bytes of UTF-8 (this one is 0 bytes, 0 characters)"},
    };
    for (const auto& [name, why] : bad) {
        auto r = normalizeDisplayName(name);
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
        EXPECT_EQ(r.error().message, why);
    }
}

TEST(DisplayNames, AGuestClientSaysSoBeforeSending) {
    ClientConfig cfg;
    cfg.room = "demo";
    cfg.serverPort = 7777;
    cfg.expectedServerKey = KeyPair::generate().publicKey;
    cfg.credentials = GuestLogin{"Ana\xE2\x80\xAE"};
    SteadyClock clock;
    auto refused = ClientSession::create(cfg, clock, Logger(std::make_shared<MemorySink>(), "t"));
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().message, "display name contains a bidirectional override or isolate (U+202E)");
}

}  // namespace
}  // namespace mxr::net
