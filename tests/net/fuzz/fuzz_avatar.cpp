// Avatar decoding against a small room, and the interpolator fed with
// whatever decodes (times and poses chosen by the fuzzer).
#include <cstdint>
#include <cstdlib>

#include "net/interpolator.h"
#include "net/messages.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace mxr;
    using namespace mxr::net;
    RoomBounds room;
    room.min = Vec3(-5, -1, -5);
    room.max = Vec3(5, 3, 5);
    ByteReader r(ByteSpan(data, size));
    AvatarInterpolator interp;
    Nanos now = 0;
    while (r.remaining() > 0) {
        auto step = r.u8("step");
        if (!step) break;
        auto e = readAvatarEntry(r, room);
        if (!e) break;
        if (!validateAvatarState(e->state, room)) std::abort();  // decoded poses are always valid
        now += msToNanos(*step);
        interp.push(e->timeMs, e->state, now);
        if (auto shown = interp.sample(now)) {
            if (!isFinite(shown->state.head.position) || shown->alpha < 0.0f || shown->alpha > 1.0f) std::abort();
        }
    }
    return 0;
}
