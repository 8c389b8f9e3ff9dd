#pragma once
// ASCII text helpers the server's parsers share (HTTP headers, profiles,
// scoring, routes). Byte-wise: bytes above 0x7F are left as they are, so
// UTF-8 passes through unchanged.
#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>

namespace mxr::server {

// `s` without leading and trailing white space (space, tab, CR, LF, VT, FF).
inline std::string_view trimAscii(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

// Equal ignoring ASCII case.
inline bool iequalsAscii(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

// `s` with ASCII letters in lower case.
inline std::string lowerAscii(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

}  // namespace mxr::server
