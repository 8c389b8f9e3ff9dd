#include "net/wire.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstring>

#include "engine/core/log.h"

namespace mxr::net {

void ByteWriter::u16(std::uint16_t v) {
    m_out.push_back(static_cast<std::uint8_t>(v));
    m_out.push_back(static_cast<std::uint8_t>(v >> 8));
}

void ByteWriter::u32(std::uint32_t v) {
    for (int i = 0; i < 4; ++i) m_out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

void ByteWriter::u64(std::uint64_t v) {
    for (int i = 0; i < 8; ++i) m_out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

std::int16_t metresToMm(float metres) {
    const long mm = std::lround(static_cast<double>(metres) * 1000.0);
    return static_cast<std::int16_t>(std::clamp<long>(mm, -32767, 32767));
}

void ByteWriter::f32(float v) {
    std::uint32_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    u32(bits);
}

void ByteWriter::blob(ByteSpan b) {
    assert(b.size() <= 0xffff);
    u16(static_cast<std::uint16_t>(b.size()));
    bytes(b);
}

void ByteWriter::str(std::string_view s) {
    assert(s.size() <= 0xff);
    u8(static_cast<std::uint8_t>(s.size()));
    m_out.insert(m_out.end(), s.begin(), s.end());
}

Result<ByteSpan> ByteReader::take(std::size_t n, const char* field) {
    if (n > remaining()) {
        return tl::unexpected(protocolError(strCat("truncated: field '", field, "' needs ", n,
                                                   " bytes at offset ", m_pos, ", ", remaining(),
                                                   " left")));
    }
    ByteSpan out = m_in.subspan(m_pos, n);
    m_pos += n;
    return out;
}

Result<std::uint8_t> ByteReader::u8(const char* field) {
    MXR_TRY_ASSIGN(auto b, take(1, field));
    return b[0];
}

Result<std::uint16_t> ByteReader::u16(const char* field) {
    MXR_TRY_ASSIGN(auto b, take(2, field));
    return static_cast<std::uint16_t>(b[0] | (b[1] << 8));
}

Result<std::uint32_t> ByteReader::u32(const char* field) {
    MXR_TRY_ASSIGN(auto b, take(4, field));
    std::uint32_t v = 0;
    for (int i = 3; i >= 0; --i) v = (v << 8) | b[static_cast<std::size_t>(i)];
    return v;
}

Result<std::uint64_t> ByteReader::u64(const char* field) {
    MXR_TRY_ASSIGN(auto b, take(8, field));
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | b[static_cast<std::size_t>(i)];
    return v;
}

Result<std::int16_t> ByteReader::i16(const char* field) {
    MXR_TRY_ASSIGN(auto v, u16(field));
    return static_cast<std::int16_t>(v);
}

Result<float> ByteReader::f32(const char* field) {
    MXR_TRY_ASSIGN(auto bits, u32(field));
    float v;
    std::memcpy(&v, &bits, sizeof v);
    if (!std::isfinite(v)) {
        return tl::unexpected(protocolError(strCat("field '", field, "' is not a finite number")));
    }
    return v;
}

Result<ByteSpan> ByteReader::bytes(std::size_t n, const char* field) { return take(n, field); }

Result<ByteSpan> ByteReader::blob(const char* field, std::size_t maxLength) {
    MXR_TRY_ASSIGN(auto n, u16(field));
    if (n > maxLength) {
        return tl::unexpected(protocolError(
            strCat("field '", field, "' is ", n, " bytes, more than the limit of ", maxLength)));
    }
    return take(n, field);
}

Result<std::string> ByteReader::str(const char* field, std::size_t maxLength, bool allowEmpty) {
    MXR_TRY_ASSIGN(auto n, u8(field));
    if (n > maxLength) {
        return tl::unexpected(protocolError(
            strCat("field '", field, "' is ", int(n), " bytes, more than the limit of ", maxLength)));
    }
    if (n == 0 && !allowEmpty) {
        return tl::unexpected(protocolError(strCat("field '", field, "' is empty")));
    }
    MXR_TRY_ASSIGN(auto b, take(n, field));
    for (auto c : b) {
        if (c < 0x20 || c == 0x7f) {
            return tl::unexpected(
                protocolError(strCat("field '", field, "' contains a control character")));
        }
    }
    return std::string(b.begin(), b.end());
}

Result<void> ByteReader::expectEnd(const char* message) const {
    if (remaining() != 0) {
        return tl::unexpected(protocolError(
            strCat(message, ": ", remaining(), " unexpected trailing bytes at offset ", m_pos)));
    }
    return {};
}

}  // namespace mxr::net
