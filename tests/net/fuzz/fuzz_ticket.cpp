// Room ticket parsing and verification with a fixed key.
#include <cstdint>

#include "net/ticket.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace mxr::net;
    static const SigningKeyPair key = SigningKeyPair::generate();
    (void)parseTicket(ByteSpan(data, size));
    (void)verifyTicket(ByteSpan(data, size), key.publicKey, "demo", 1'800'000'000);
    return 0;
}
