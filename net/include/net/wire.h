#pragma once
// Bounds-checked little-endian byte writer and reader: the only way net/
// touches wire bytes. Every message starts with a 2-byte header
// (protocol version, message type); see messages.h.
//
// Thread: a writer or reader is used by one thread. Reader errors are
// kProtocol Errors naming the field that could not be read.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/result.h"

namespace mxr::net {

using Bytes = std::vector<std::uint8_t>;
using ByteSpan = std::span<const std::uint8_t>;

// Metres as whole millimetres in an int16 (rounded, clamped to +/-32.767
// m): the wire's grid for positions near a reference (avatars, ink).
std::int16_t metresToMm(float metres);

class ByteWriter {
public:
    ByteWriter() = default;
    explicit ByteWriter(std::size_t reserve) { m_out.reserve(reserve); }

    void u8(std::uint8_t v) { m_out.push_back(v); }
    void u16(std::uint16_t v);
    void u32(std::uint32_t v);
    void u64(std::uint64_t v);
    void i16(std::int16_t v) { u16(static_cast<std::uint16_t>(v)); }
    void f32(float v);
    void bytes(ByteSpan b) { m_out.insert(m_out.end(), b.begin(), b.end()); }
    // A length-prefixed (u16) byte string; asserts it fits.
    void blob(ByteSpan b);
    // A length-prefixed (u8) UTF-8 string of at most 255 bytes; asserts it fits.
    void str(std::string_view s);

    std::size_t size() const { return m_out.size(); }
    const Bytes& data() const { return m_out; }
    Bytes take() { return std::move(m_out); }

private:
    Bytes m_out;
};

class ByteReader {
public:
    explicit ByteReader(ByteSpan in) : m_in(in) {}

    Result<std::uint8_t> u8(const char* field);
    Result<std::uint16_t> u16(const char* field);
    Result<std::uint32_t> u32(const char* field);
    Result<std::uint64_t> u64(const char* field);
    Result<std::int16_t> i16(const char* field);
    // Rejects NaN and infinities.
    Result<float> f32(const char* field);
    Result<ByteSpan> bytes(std::size_t n, const char* field);
    Result<ByteSpan> blob(const char* field, std::size_t maxLength);
    // Rejects strings longer than maxLength, empty ones when !allowEmpty,
    // and control characters.
    Result<std::string> str(const char* field, std::size_t maxLength, bool allowEmpty = false);

    std::size_t remaining() const { return m_in.size() - m_pos; }
    std::size_t position() const { return m_pos; }
    // Fails when bytes are left over: a message must be consumed exactly.
    Result<void> expectEnd(const char* message) const;

private:
    Result<ByteSpan> take(std::size_t n, const char* field);

    ByteSpan m_in;
    std::size_t m_pos = 0;
};

inline Error protocolError(std::string message) {
    return Error{ErrorCode::kProtocol, 0, std::move(message)};
}

}  // namespace mxr::net
