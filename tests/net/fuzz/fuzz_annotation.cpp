// Annotation operations and snapshots (net/annotations.h). Input:
// [mode u8][body]. Mode bit 0 clear: the body is operations, each
// [length u16][encoded op], applied in order to an empty state as their
// stamp's writer (a moderator when mode bit 1 is set); bit 0 set: the body
// is one snapshot. The decoders return a value or an Error for any bytes and
// never crash; what they accept re-encodes to bytes that decode equal; a
// refused operation leaves the state as it was; the state's snapshot
// decodes to an equal state.
#include <cstdint>
#include <cstdlib>

#include "net/annotations.h"

namespace {
using namespace mxr::net;

void checkSnapshot(const AnnotationState& s) {
    const Bytes blob = encodeAnnotationSnapshot(s);
    auto again = decodeAnnotationSnapshot(blob);
    if (!again || !(*again == s) || again->clock() != s.clock() || encodeAnnotationSnapshot(*again) != blob) {
        std::abort();
    }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::uint8_t mode = data[0];
    const ByteSpan body(data + 1, size - 1);
    if (mode & 1) {
        if (auto s = decodeAnnotationSnapshot(body)) checkSnapshot(*s);
        return 0;
    }
    AnnotationState state;
    ByteReader r(body);
    while (r.remaining() > 0) {
        auto bytes = r.blob("op", 0xffff);
        if (!bytes) break;
        auto op = decodeAnnotationOp(*bytes);
        if (!op) continue;
        auto again = decodeAnnotationOp(encodeAnnotationOp(*op));
        if (!again || !(*again == *op)) std::abort();
        const AnnotationState before = state;
        if (!state.apply(*op, AnnotationActor{op->stamp.writer, (mode & 2) != 0}) && !(state == before)) {
            std::abort();
        }
    }
    checkSnapshot(state);
    return 0;
}
