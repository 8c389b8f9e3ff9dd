// Sealed-frame opening: arbitrary frames on every channel must be dropped
// and counted, never crash, never be accepted (the fuzzer has no key).
#include <cstdint>
#include <cstdlib>

#include "net/crypto.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace mxr::net;
    SessionKeys keys;
    keys.rx.fill(7);
    keys.tx.fill(9);
    SecureChannel channel(keys);
    for (std::uint8_t ch = 0; ch < kChannelCount; ++ch) {
        if (channel.open(static_cast<Channel>(ch), ByteSpan(data, size))) std::abort();
    }
    const auto& s = channel.stats();
    if (s.forged + s.replayed + s.malformed != kChannelCount) std::abort();
    return 0;
}
