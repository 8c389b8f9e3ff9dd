#pragma once
// Who hears whom in one room (the room host's voice forwarding rules), kept
// apart from ENet so it is tested on its own.
//
// - A talker's frames are admitted at most ~110 a second on average (a token
//   bucket with a burst of 10): 10 ms frames with slack; more is dropped
//   and counted, so one peer cannot flood the others.
// - Each listener gets at most K streams (default 8): when more people talk
//   at once, the nearest K/2 first, then the loudest by the level talkers
//   report. The host cannot check a level without decoding, so it clamps
//   claims at 110 (-17 dBFS RMS, loud speech) and lets the level it ranks by
//   rise at most 2 dB a frame (falling with a time constant of 10 frames):
//   a peer that claims to shout ranks no higher than a loud honest talker,
//   only after 0.5 s of claims, and the nearest half of the streams do not
//   depend on levels at all.
//   The choice is remade every `reselectEvery` (100 ms), not per frame.
// - A member muted by a moderator is not forwarded at all.
// - Private talk: two members who asked for each other hear only each other,
//   and nobody else hears them.
//
// Thread: the room host's network thread.
#include <cstdint>
#include <map>
#include <set>
#include <vector>

#include "engine/core/clock.h"
#include "engine/core/math.h"
#include "net/voice_frame.h"

namespace mxr::net {

struct VoiceRelayConfig {
    std::size_t streamsPerListener = 8;
    double framesPerSecond = 110.0;
    double burst = 10.0;
    Nanos activeFor = msToNanos(300);  // a talker counts as talking this long after a frame
    Nanos reselectEvery = msToNanos(100);
    Nanos lossReportEvery = msToNanos(1000);
};

struct VoicePeer {
    std::uint16_t id = 0;
    Vec3 head{0.0f};
    bool muted = false;          // by a moderator
    std::uint16_t asksPrivateWith = 0;
};

class VoiceRelay {
public:
    explicit VoiceRelay(const VoiceRelayConfig& config = {}) : m_config(config) {}

    // A frame from `talker`: whether to forward it (false: over its rate).
    bool admit(std::uint16_t talker, const voice::VoiceHeader& h, Nanos now);
    // The listeners `talker`'s frame goes to now, from the room's members
    // (read only when needsReselect(): callers may pass an empty list
    // otherwise). Reselects at most every reselectEvery, and at once for a
    // talker the last choice did not place.
    bool needsReselect(std::uint16_t talker, Nanos now) const;
    // The reference stays valid until the next call.
    const std::vector<std::uint16_t>& listenersOf(std::uint16_t talker, const std::vector<VoicePeer>& members,
                                                  Nanos now);
    void forget(std::uint16_t member);
    // A listener lost `percent` of `talker`'s voice lately; once a
    // second (from the first call on), the worst per talker is handed out
    // to be sent to it, and forgotten.
    void reportLoss(std::uint16_t talker, std::uint8_t percent);
    std::vector<std::pair<std::uint16_t, std::uint8_t>> takeLossReports(Nanos now);

    // The partner of a mutual private pair, or 0.
    static std::uint16_t privatePartner(std::uint16_t id, const std::vector<VoicePeer>& members);
    double smoothedLevel(std::uint16_t talker) const;
    std::uint64_t dropped() const { return m_dropped; }

private:
    struct Talker {
        double tokens = 10.0;
        Nanos tokensAt = 0;
        Nanos lastFrame = -1;
        double level = 0.0;
    };
    void reselect(const std::vector<VoicePeer>& members, Nanos now);

    VoiceRelayConfig m_config;
    std::map<std::uint16_t, Talker> m_talkers;
    std::map<std::uint16_t, std::set<std::uint16_t>> m_hears;  // listener -> talkers it gets
    // talker -> listeners that get it (m_hears inverted at each choice, so
    // a frame finds its listeners without a walk over every listener)
    std::map<std::uint16_t, std::vector<std::uint16_t>> m_heardBy;
    std::vector<std::uint16_t> m_nobody;
    std::set<std::uint16_t> m_considered;                       // talkers the last choice placed (or left out)
    Nanos m_selectedAt = -1;
    std::map<std::uint16_t, std::uint8_t> m_worstLoss;
    Nanos m_lossReportedAt = -1;
    std::uint64_t m_dropped = 0;
};

}  // namespace mxr::net
