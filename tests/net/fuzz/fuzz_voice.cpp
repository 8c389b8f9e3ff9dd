// Voice frames as a talker's stream: each record is a step of the
// listener's clock (u8 ms) and a frame (u16 length, bytes) pushed into a
// VoiceReceiver (frame decoder, jitter buffer, Opus), which is then asked
// for a frame period. Frames that decode must encode back to the same bytes;
// the buffer never holds more than its capacity.
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "net/voice/voice_receiver.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace mxr;
    using namespace mxr::net;
    using namespace mxr::net::voice;
    static auto rx = VoiceReceiver::create();
    if (!rx) std::abort();
    *rx = std::move(*VoiceReceiver::create());  // a fresh talker for every input
    ByteReader r(ByteSpan(data, size));
    Nanos now = 0;
    std::vector<std::int16_t> out;
    while (r.remaining() > 0) {
        auto step = r.u8("step");
        if (!step) break;
        auto bytes = r.blob("frame", 2048);
        if (!bytes) break;
        now += msToNanos(*step);
        if (auto f = decodeVoiceFrame(*bytes)) {
            const Bytes again = encodeVoiceFrame(*f);
            if (again.size() != bytes->size() || !std::equal(again.begin(), again.end(), bytes->begin())) std::abort();
        }
        (void)rx->push(*bytes, now);
        rx->pull(now, out);
        if (out.size() != 480 && out.size() != 960) std::abort();
        if (rx->buffer().size() > JitterConfig{}.capacity) std::abort();
    }
    return 0;
}
