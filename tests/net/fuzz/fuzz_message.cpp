// Every control message decoder: decodeMessage must return a value or an
// Error for any bytes, never crash, and what it accepts re-encodes to a
// message that decodes again.
#include <cstdint>
#include <cstdlib>

#include "net/messages.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace mxr::net;
    auto m = decodeMessage(ByteSpan(data, size));
    if (m) {
        auto again = decodeMessage(encodeMessage(*m));
        if (!again || again->index() != m->index()) std::abort();
    }
    (void)peekType(ByteSpan(data, size));
    return 0;
}
