#pragma once
// One talker's adaptive jitter buffer, in the receiver's time: frames go in
// as they arrive (any order, some twice, some never), and every frame
// period the playout asks what to play next.
//
// The delay it keeps is the lowest that keeps late loss near the target
// (1%): the (1 - target) quantile of the arrivals' jitter over the last
// window (5 s of frames), measured against the earliest transit in that
// window, so a sender whose clock runs faster or slower than ours (drift)
// moves the reference and not the delay; one frame more while 2% or more
// of the window's frames are missing, so the frame after a lost one, which
// carries its FEC copy, is there in time. When the delay it plays at is a
// frame above that, a frame of silence (a DTX gap) is skipped, or, when the
// talker has spoken for a while, the quietest of the next frames is dropped;
// below it, a frame of silence or concealment is inserted. There is no time
// stretching (a frame is the unit).
//
// Thread: one thread. Memory: at most `capacity` frames.
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <vector>

#include "engine/core/clock.h"
#include "net/voice_frame.h"

namespace mxr::net::voice {

struct JitterConfig {
    Nanos minDelay = msToNanos(5);    // never less (scheduling slack)
    Nanos maxDelay = msToNanos(400);  // never more, whatever the jitter
    double lateTarget = 0.01;         // quantile of late arrivals accepted
    std::size_t window = 500;         // arrivals the estimate looks at
    std::size_t capacity = 64;        // frames held at most; the oldest go
};

enum class PlayKind : std::uint8_t {
    kSilence,    // nothing to play: not started, DTX, or a long gap
    kFrame,      // decode `frame`
    kRecover,    // the frame was lost: FEC from `frame`, the one after it
    kConceal,    // the frame was lost and nothing after it can help: PLC
};

struct Playout {
    PlayKind kind = PlayKind::kSilence;
    std::uint32_t samples = 480;  // what this playout covers (48 kHz)
    std::optional<VoiceFrame> frame;
};

struct JitterStats {
    std::uint64_t received = 0;    // distinct frames pushed
    std::uint64_t played = 0;      // decoded as sent
    std::uint64_t recovered = 0;   // rebuilt from the next frame's FEC
    std::uint64_t concealed = 0;   // PLC in place of a lost or late frame
    std::uint64_t late = 0;        // arrived after their turn (dropped)
    std::uint64_t duplicates = 0;  // arrived twice (dropped)
    std::uint64_t overflow = 0;    // dropped because the buffer was full
    std::uint64_t skipped = 0;     // dropped or silence skipped to shrink the delay
    std::uint64_t inserted = 0;    // silence or PLC inserted to grow it
};

class JitterBuffer {
public:
    explicit JitterBuffer(const JitterConfig& config = {});

    void push(VoiceFrame frame, Nanos now);
    // What to play for the next frame period, asked when the playout needs
    // it (every 10 or 20 ms of the receiver's clock).
    Playout pull(Nanos now);

    // The delay the buffer aims for, and the one it plays at (transit over
    // the window's earliest, plus buffering) as of the last pull.
    Nanos targetDelay() const { return m_target; }
    Nanos currentDelay() const { return m_current; }
    // Frames missing among the window's sequence range (0..1).
    double loss() const { return m_loss; }
    const JitterStats& stats() const { return m_stats; }
    std::size_t size() const { return m_frames.size(); }

private:
    std::int64_t extendTimestamp(std::uint32_t ts) const;
    std::int64_t extendSequence(std::uint16_t seq) const;
    void observeTransit(Nanos transit, std::int64_t seq);
    void reset();
    Playout take(std::map<std::int64_t, VoiceFrame>::iterator it);
    bool wasPlayed(std::int64_t seq) const;
    void markPlayed(std::int64_t seq);

    JitterConfig m_config;
    std::map<std::int64_t, VoiceFrame> m_frames;  // by extended timestamp
    bool m_haveStream = false;
    bool m_started = false;
    std::int64_t m_next = 0;       // extended timestamp to play next
    std::int64_t m_lastSeq = -1;   // extended sequence of the last frame played or skipped
    std::int64_t m_refTs = 0;      // for unwrapping
    std::int64_t m_refSeq = 0;
    std::uint64_t m_playedBits = 0;  // sequences m_lastSeq-63..m_lastSeq played
    std::uint32_t m_frameSamples = 480;
    int m_concealRun = 0;
    int m_speechRun = 0;
    std::deque<Nanos> m_transits;  // arrival - send time, most recent last
    std::deque<std::int64_t> m_seqs;  // their sequences
    std::vector<Nanos> m_scratch;     // for the quantile
    double m_loss = 0.0;
    Nanos m_target = 0;
    Nanos m_current = 0;
    JitterStats m_stats;
};

}  // namespace mxr::net::voice
