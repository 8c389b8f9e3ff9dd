#pragma once
// UTF-8 text as people's names need it (library mxr_text, ICU inside):
// decoding that never fails (an invalid sequence becomes U+FFFD and the
// rest is kept), the checks a one-line name must pass, Unicode
// normalisation to NFC, and cutting at a grapheme boundary (so "é" made of
// e + U+0301, or a flag, is never split) with an ellipsis.
//
// Thread: pure functions, safe from any thread.
#include <optional>
#include <string>
#include <string_view>

namespace mxr {

inline constexpr char32_t kReplacementChar = 0xFFFD;

// Code points of `s`; each maximal invalid subpart (Unicode's "substitution
// of maximal subparts") becomes one U+FFFD.
std::u32string decodeUtf8(std::string_view s);
std::string encodeUtf8(std::u32string_view s);
// Code points in valid UTF-8 (invalid sequences count as one each).
std::size_t codePointCount(std::string_view s);

// Why `s` cannot be a one-line name, in words, or nullopt when it can:
// "is not valid UTF-8 (byte 3)", "contains a control character (U+0085)",
// "contains a bidirectional override or isolate (U+202E)". Control
// characters: C0, DEL and C1. Bidirectional: U+202A..U+202E and
// U+2066..U+2069 (clients add their own isolates around names).
std::optional<std::string> nameProblem(std::string_view s);

// Normalisation form C (composed: "e" + U+0301 becomes "é"). Invalid UTF-8
// is decoded as above first.
std::string toNfc(std::string_view s);
bool isNfc(std::string_view s);

// `s` when it fits in `maxBytes`; else its longest prefix that ends at a
// grapheme boundary and leaves room for "…" (U+2026, 3 bytes), then "…".
std::string cutAtGrapheme(std::string_view s, std::size_t maxBytes);

}  // namespace mxr
