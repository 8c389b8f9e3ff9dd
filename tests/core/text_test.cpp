// engine/core/text.h on the names of an international mentoring program and
// on invalid input: decoding keeps the rest after a bad byte, the name
// checks refuse what would break a label or spoof its neighbours, NFC
// composes, and cuts never split a grapheme.
#include <gtest/gtest.h>

#include "engine/core/text.h"

namespace {

using namespace mxr;

TEST(Utf8, DecodesEveryScriptAndRoundTrips) {
    for (const std::string name : {"Jürgen", "Łukasz", "Ioana", "Οδυσσέας", "Анна", "محمد", "李明", "佐藤", "नमस्ते",
                                   "Zoë Ñandú 李明", "🙂 emoji"}) {
        const std::u32string cps = decodeUtf8(name);
        EXPECT_EQ(cps.find(kReplacementChar), std::u32string::npos) << name;
        EXPECT_EQ(encodeUtf8(cps), name);
        EXPECT_EQ(codePointCount(name), cps.size());
    }
    EXPECT_EQ(decodeUtf8("李明"), U"李明");
    EXPECT_EQ(codePointCount("Zoë"), 3u);
}

TEST(Utf8, InvalidSequencesBecomeOneReplacementEachAndTheRestIsKept) {
    // A lone continuation byte, a truncated 3-byte sequence, an overlong
    // "/", a surrogate, a code point past U+10FFFF, and 0xFF.
    EXPECT_EQ(decodeUtf8("a\x80z"), U"a\uFFFDz");
    EXPECT_EQ(decodeUtf8("a\xE6\x9Dz"), U"a\uFFFDz");
    EXPECT_EQ(decodeUtf8("\xC0\xAF!"), U"\uFFFD\uFFFD!");
    EXPECT_EQ(decodeUtf8("\xED\xA0\x80x"), U"\uFFFD\uFFFD\uFFFDx");
    EXPECT_EQ(decodeUtf8("\xF4\x90\x80\x80."), U"\uFFFD\uFFFD\uFFFD\uFFFD.");
    EXPECT_EQ(decodeUtf8("\xFFok"), U"\uFFFDok");
    EXPECT_EQ(decodeUtf8("Zo\xC3"), U"Zo\uFFFD") << "cut in the middle of ë";
    EXPECT_EQ(encodeUtf8(decodeUtf8("a\x80z")), "a\xEF\xBF\xBDz");
}

TEST(NameChecks, RefuseInvalidUtf8ControlsAndBidiOverridesNamingWhat) {
    EXPECT_FALSE(nameProblem("Zoë Ñandú 李明"));
    EXPECT_FALSE(nameProblem("محمد"));
    EXPECT_EQ(nameProblem("Zo\xC3"), "is not valid UTF-8 (byte 3)");
    EXPECT_EQ(nameProblem("Ana\tB"), "contains a control character (U+0009)");
    EXPECT_EQ(nameProblem("Ana\x7f"), "contains a control character (U+007F)");
    EXPECT_EQ(nameProblem("Ana\xC2\x85"), "contains a control character (U+0085)") << "C1 (NEL)";
    EXPECT_EQ(nameProblem("Ana\xE2\x80\xAEgpj.exe"), "contains a bidirectional override or isolate (U+202E)");
    EXPECT_EQ(nameProblem("\xE2\x81\xA6x"), "contains a bidirectional override or isolate (U+2066)");
}

TEST(Nfc, ComposesAndKeepsComposedText) {
    const std::string decomposed = "Zoe\xCC\x88";  // e + COMBINING DIAERESIS
    EXPECT_FALSE(isNfc(decomposed));
    EXPECT_EQ(toNfc(decomposed), "Zoë");
    EXPECT_TRUE(isNfc("Zoë"));
    EXPECT_EQ(toNfc("李明"), "李明");
    EXPECT_EQ(toNfc("Hangul \xE1\x84\x80\xE1\x85\xA1"), "Hangul 가");
    EXPECT_FALSE(isNfc("Zo\xC3")) << "invalid UTF-8 is not normalised text";
}

TEST(Cut, AtAGraphemeBoundaryWithAnEllipsis) {
    EXPECT_EQ(cutAtGrapheme("Ana", 64), "Ana");
    EXPECT_EQ(cutAtGrapheme("abcdefgh", 6), "abc…");
    // 李明 repeated: 3 bytes each; 10 bytes leave 7 for text: two characters.
    EXPECT_EQ(cutAtGrapheme("李明李明李明", 10), "李明…");
    // e + U+0301 is one grapheme (3 bytes): never split from its accent.
    const std::string accented = "ae\xCC\x81" "bcdef";
    EXPECT_EQ(cutAtGrapheme(accented, 6), "a…") << "room for 3 bytes: not for e and its accent";
    EXPECT_EQ(cutAtGrapheme(accented, 7), "ae\xCC\x81…");
    // A flag is two regional indicators (8 bytes), one grapheme.
    EXPECT_EQ(cutAtGrapheme("x\xF0\x9F\x87\xAF\xF0\x9F\x87\xB5yz", 10), "x…");
    EXPECT_LE(cutAtGrapheme(std::string(200, 'a'), 64).size(), 64u);
}

}  // namespace
