// The replay window under any sequence of counters, checked against the
// obvious model (a set of what was accepted and the highest), with the
// counters steered toward the edges: just ahead, just behind, far jumps and
// the very end of the 64-bit range. Every counter is also sealed and opened
// through SecureChannel, which must agree (it opens what the model accepts
// and its truncated counter rebuilds to) and never hang.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <set>

#include "net/crypto.h"
#include "../sealed_frame.h"

namespace {

constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();

// Accepted: newer than the highest, or unseen and less than n below it.
struct Model {
    std::uint64_t n;
    std::set<std::uint64_t> seen;  // pruned to the window: older ones are refused by range
    std::uint64_t highest = 0;
    bool wouldAccept(std::uint64_t c) const {
        return seen.empty() || c > highest || (highest - c < n && !seen.count(c));
    }
    void accept(std::uint64_t c) {
        if (seen.empty() || c > highest) highest = c;
        seen.insert(c);
        while (!seen.empty() && highest - *seen.begin() >= n) seen.erase(seen.begin());
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace mxr::net;
    ReplayWindow window(1024);
    Model model{window.size()};
    // The channel refuses counter 2^64-1 before its window sees it, so it
    // has its own model, which never accepts that counter.
    Model channelModel{window.size()};
    SessionKeys keys;
    keys.rx.fill(7);
    keys.tx.fill(7);  // one key both ways: what we seal, we can open
    SecureChannel channel(keys);
    const Bytes plain{1, 2, 3};
    const std::uint64_t n = window.size();
    for (std::size_t at = 0; at + 9 <= size && at < 9 * 512; at += 9) {
        std::uint64_t v = 0;
        std::memcpy(&v, data + at + 1, 8);
        const std::uint64_t highest = model.highest;
        std::uint64_t c = 0;
        switch (data[at] % 6) {
            case 0: c = v; break;
            case 1: c = highest + v % 4; break;                                     // just ahead
            case 2: c = highest >= v % (n + 4) ? highest - v % (n + 4) : 0; break;  // behind, around the edge
            case 3: c = highest + n + v % 1024; break;                              // past the window
            case 4: c = kMax - v % 4; break;                                         // the end of the range
            default: c = v % 4; break;                                               // the start of the range
        }
        const bool expected = model.wouldAccept(c);
        if (window.wouldAccept(c) != expected) std::abort();
        if (expected) {
            window.accept(c);
            model.accept(c);
        }
        // Only the low 32 bits travel: the channel rebuilds the rest near
        // what it expects next, so a counter 2^31 or more away is another
        // counter to it (and fails authentication).
        const std::uint64_t expectedNext = channelModel.seen.empty() ? 0 : channelModel.highest + 1;
        const bool opens = c != kMax && reconstructCounter(static_cast<std::uint32_t>(c), expectedNext) == c &&
                           channelModel.wouldAccept(c);
        auto o = channel.open(Channel::kAvatar, mxr::net::testing::sealWithCounter(keys.tx, Channel::kAvatar, c, plain));
        if (static_cast<bool>(o) != opens) std::abort();
        if (opens) channelModel.accept(c);
    }
    return 0;
}
