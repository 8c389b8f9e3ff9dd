#pragma once
// Voices placed in the room: one OpenAL Soft source per talker at the
// avatar's head, fed 10 ms blocks of 48 kHz mono PCM through streaming
// buffers, heard from the listener's head with HRTF where the output is
// stereo headphones (OpenAL Soft's default data set from Debian), an
// inverse-distance model with adjustable roll-off, and a volume per talker.
//
// Output goes to a playback device, or to OpenAL Soft's loopback device
// (ALC_SOFT_loopback: 48 kHz stereo 16-bit rendered on demand into memory),
// for bots that record what they hear and for tests.
//
// Thread: one thread (the audio thread); OpenAL mixes on its own.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/core/math.h"
#include "engine/core/result.h"

namespace mxr::engine::audio {

struct MixerConfig {
    std::string device;     // playback device; empty: the default
    bool loopback = false;  // render into memory instead (render())
    bool hrtf = true;
    float referenceDistance = 1.0f;  // full volume up to here (metres)
    float rolloff = 1.0f;            // inverse distance beyond it
    float maxDistance = 30.0f;       // no quieter beyond this
};

class SpatialMixer {
public:
    // kUnavailable naming the device when it cannot be opened.
    static Result<std::unique_ptr<SpatialMixer>> create(const MixerConfig& config = {});
    ~SpatialMixer();
    SpatialMixer(const SpatialMixer&) = delete;
    SpatialMixer& operator=(const SpatialMixer&) = delete;

    bool hrtfEnabled() const { return m_hrtf; }
    std::string describe() const { return m_name; }

    void setListener(const Vec3& position, const Quat& orientation);
    // Creates the talker's source on first use.
    Result<void> setSpeaker(std::uint32_t id, const Vec3& position, float volume = 1.0f);
    void removeSpeaker(std::uint32_t id);
    // Appends a block of the talker's voice (48 kHz mono); starts the
    // source when it had run dry. At most 32 blocks wait per talker: older
    // ones are never dropped, newer ones are refused (kLimit).
    Result<void> queue(std::uint32_t id, std::span<const std::int16_t> pcm);
    std::size_t speakers() const { return m_sources.size(); }

    // Loopback only: the next `out.size() / 2` stereo frames, interleaved.
    Result<void> render(std::span<std::int16_t> out);

private:
    SpatialMixer() = default;
    struct Source {
        unsigned int source = 0;
        std::vector<unsigned int> spare;  // played buffers, refilled by queue()
    };
    // Played buffers back to `spare` (no buffer made or deleted per block).
    void reclaim(Source& s);
    // Stops the source and deletes it with all its buffers.
    void release(Source& s);

    MixerConfig m_config;
    void* m_device = nullptr;   // ALCdevice
    void* m_context = nullptr;  // ALCcontext
    void* m_render = nullptr;   // alcRenderSamplesSOFT
    bool m_hrtf = false;
    std::string m_name;
    std::unordered_map<std::uint32_t, Source> m_sources;
};

}  // namespace mxr::engine::audio
