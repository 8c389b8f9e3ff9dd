#include "engine/core/text.h"

#include <unicode/brkiter.h>
#include <unicode/normalizer2.h>
#include <unicode/unistr.h>

#include <cstdio>
#include <memory>

namespace mxr {

namespace {

// One step of UTF-8 decoding at `i`: the code point and its length, or
// length of the maximal invalid subpart with ok == false.
struct Step {
    char32_t cp = 0;
    std::size_t len = 1;
    bool ok = false;
};

Step step(std::string_view s, std::size_t i) {
    const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char c = b(i);
    if (c < 0x80) return {c, 1, true};
    std::size_t need = 0;
    char32_t cp = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // the second byte's range (Unicode table 3-7)
    if (c >= 0xC2 && c <= 0xDF) {
        need = 1, cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 2, cp = c & 0x0F;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;  // no surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3, cp = c & 0x07;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else {
        return {kReplacementChar, 1, false};
    }
    std::size_t k = 1;
    for (; k <= need; ++k) {
        if (i + k >= s.size()) return {kReplacementChar, k, false};
        const unsigned char x = b(i + k);
        const bool inRange = k == 1 ? (x >= lo && x <= hi) : (x >= 0x80 && x <= 0xBF);
        if (!inRange) return {kReplacementChar, k, false};
        cp = (cp << 6) | (x & 0x3F);
    }
    return {cp, need + 1, true};
}

std::string hex(char32_t cp) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(cp));
    return buf;
}

const icu::Normalizer2* nfc() {
    UErrorCode e = U_ZERO_ERROR;
    const icu::Normalizer2* n = icu::Normalizer2::getNFCInstance(e);
    return U_SUCCESS(e) ? n : nullptr;
}

}  // namespace

std::u32string decodeUtf8(std::string_view s) {
    std::u32string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size();) {
        const Step st = step(s, i);
        out.push_back(st.cp);
        i += st.len;
    }
    return out;
}

std::string encodeUtf8(std::u32string_view s) {
    std::string out;
    for (char32_t cp : s) {
        if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = kReplacementChar;
        if (cp < 0x80) {
            out += static_cast<char>(cp);
        } else if (cp < 0x800) {
            out += static_cast<char>(0xC0 | (cp >> 6));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            out += static_cast<char>(0xE0 | (cp >> 12));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        } else {
            out += static_cast<char>(0xF0 | (cp >> 18));
            out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        }
    }
    return out;
}

std::size_t codePointCount(std::string_view s) {
    std::size_t n = 0;
    for (std::size_t i = 0; i < s.size(); ++n) i += step(s, i).len;
    return n;
}

std::optional<std::string> nameProblem(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        const Step st = step(s, i);
        if (!st.ok) return "is not valid UTF-8 (byte " + std::to_string(i + 1) + ")";
        const char32_t c = st.cp;
        if (c < 0x20 || c == 0x7F || (c >= 0x80 && c <= 0x9F)) {
            return "contains a control character (" + hex(c) + ")";
        }
        if ((c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069)) {
            return "contains a bidirectional override or isolate (" + hex(c) + ")";
        }
        i += st.len;
    }
    return std::nullopt;
}

std::string toNfc(std::string_view s) {
    const std::string valid = encodeUtf8(decodeUtf8(s));
    const icu::Normalizer2* n = nfc();
    if (!n) return valid;
    UErrorCode e = U_ZERO_ERROR;
    const icu::UnicodeString in = icu::UnicodeString::fromUTF8(icu::StringPiece(valid.data(), int32_t(valid.size())));
    if (n->isNormalized(in, e) && U_SUCCESS(e)) return valid;
    e = U_ZERO_ERROR;
    const icu::UnicodeString out = n->normalize(in, e);
    if (U_FAILURE(e)) return valid;
    std::string utf8;
    out.toUTF8String(utf8);
    return utf8;
}

bool isNfc(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        const Step st = step(s, i);
        if (!st.ok) return false;  // invalid UTF-8 is not normalised text
        i += st.len;
    }
    const icu::Normalizer2* n = nfc();
    if (!n) return true;
    UErrorCode e = U_ZERO_ERROR;
    const bool yes = n->isNormalized(icu::UnicodeString::fromUTF8(icu::StringPiece(s.data(), int32_t(s.size()))), e);
    return U_SUCCESS(e) && yes;
}

std::string cutAtGrapheme(std::string_view s, std::size_t maxBytes) {
    if (s.size() <= maxBytes) return std::string(s);
    static constexpr std::string_view kEllipsis = "\xE2\x80\xA6";
    if (maxBytes < kEllipsis.size()) return std::string();
    const std::size_t room = maxBytes - kEllipsis.size();
    const std::string valid = encodeUtf8(decodeUtf8(s));
    // Grapheme boundaries from ICU, in UTF-16 units; walk them alongside
    // the UTF-8 bytes.
    UErrorCode e = U_ZERO_ERROR;
    std::unique_ptr<icu::BreakIterator> it(icu::BreakIterator::createCharacterInstance(icu::Locale::getRoot(), e));
    const icu::UnicodeString text = icu::UnicodeString::fromUTF8(icu::StringPiece(valid.data(), int32_t(valid.size())));
    std::size_t best = 0;
    if (U_SUCCESS(e) && it) {
        it->setText(text);
        std::size_t bytes = 0;
        int32_t from = 0;
        for (int32_t b = it->next(); b != icu::BreakIterator::DONE; from = b, b = it->next()) {
            std::string grapheme;
            text.tempSubString(from, b - from).toUTF8String(grapheme);
            if (bytes + grapheme.size() > room) break;
            bytes += grapheme.size();
            best = bytes;
        }
    } else {
        // Without ICU's data: at a code point boundary.
        for (std::size_t i = 0; i < valid.size();) {
            const std::size_t len = step(valid, i).len;
            if (i + len > room) break;
            i += len;
            best = i;
        }
    }
    return valid.substr(0, best) + std::string(kEllipsis);
}

}  // namespace mxr
