#include "engine/audio/spatial_mixer.h"

#include <AL/al.h>
#include <AL/alc.h>
#include <AL/alext.h>

#include <vector>

namespace mxr::engine::audio {

namespace {
constexpr ALCint kRate = 48000;
constexpr ALint kMaxQueued = 32;
}  // namespace

Result<std::unique_ptr<SpatialMixer>> SpatialMixer::create(const MixerConfig& config) {
    auto m = std::unique_ptr<SpatialMixer>(new SpatialMixer());
    m->m_config = config;
    const ALCchar* name = config.device.empty() ? nullptr : config.device.c_str();
    std::vector<ALCint> attrs = {ALC_HRTF_SOFT, config.hrtf ? ALC_TRUE : ALC_FALSE};
    ALCdevice* d = nullptr;
    if (config.loopback) {
        if (!alcIsExtensionPresent(nullptr, "ALC_SOFT_loopback")) {
            return makeError(ErrorCode::kUnavailable, "OpenAL Soft without ALC_SOFT_loopback");
        }
        auto open = reinterpret_cast<LPALCLOOPBACKOPENDEVICESOFT>(alcGetProcAddress(nullptr, "alcLoopbackOpenDeviceSOFT"));
        d = open ? open(nullptr) : nullptr;
        if (d) m->m_render = reinterpret_cast<void*>(alcGetProcAddress(d, "alcRenderSamplesSOFT"));
        attrs.insert(attrs.end(), {ALC_FORMAT_CHANNELS_SOFT, ALC_STEREO_SOFT, ALC_FORMAT_TYPE_SOFT, ALC_SHORT_SOFT,
                                   ALC_FREQUENCY, kRate});
    } else {
        d = alcOpenDevice(name);
        attrs.insert(attrs.end(), {ALC_FREQUENCY, kRate});
    }
    if (!d) {
        return makeError(ErrorCode::kUnavailable,
                         strCat("speaker ", config.device.empty() ? "(default)" : "'" + config.device + "'",
                                " cannot be opened"));
    }
    m->m_device = d;
    attrs.push_back(0);
    ALCcontext* c = alcCreateContext(d, attrs.data());
    if (!c || !alcMakeContextCurrent(c)) {
        return makeError(ErrorCode::kIo, "OpenAL Soft: no audio context on the output device");
    }
    m->m_context = c;
    ALCint hrtf = ALC_FALSE;
    alcGetIntegerv(d, ALC_HRTF_SOFT, 1, &hrtf);
    m->m_hrtf = hrtf == ALC_TRUE;
    const ALCchar* dn = alcGetString(d, ALC_DEVICE_SPECIFIER);
    m->m_name = config.loopback ? "loopback" : (dn ? dn : "speaker");
    alDistanceModel(AL_INVERSE_DISTANCE_CLAMPED);
    return m;
}

SpatialMixer::~SpatialMixer() {
    if (m_context) alcMakeContextCurrent(static_cast<ALCcontext*>(m_context));
    for (auto& [id, s] : m_sources) release(s);
    alcMakeContextCurrent(nullptr);
    if (m_context) alcDestroyContext(static_cast<ALCcontext*>(m_context));
    if (m_device) alcCloseDevice(static_cast<ALCdevice*>(m_device));
}

void SpatialMixer::setListener(const Vec3& position, const Quat& orientation) {
    alListener3f(AL_POSITION, position.x, position.y, position.z);
    const Vec3 at = orientation * Vec3(0, 0, -1);
    const Vec3 up = orientation * Vec3(0, 1, 0);
    const ALfloat ori[6] = {at.x, at.y, at.z, up.x, up.y, up.z};
    alListenerfv(AL_ORIENTATION, ori);
}

Result<void> SpatialMixer::setSpeaker(std::uint32_t id, const Vec3& position, float volume) {
    auto it = m_sources.find(id);
    if (it == m_sources.end()) {
        Source s;
        alGetError();
        alGenSources(1, &s.source);
        if (alGetError() != AL_NO_ERROR) return makeError(ErrorCode::kLimit, "OpenAL Soft: no source left for a voice");
        alSourcef(s.source, AL_REFERENCE_DISTANCE, m_config.referenceDistance);
        alSourcef(s.source, AL_ROLLOFF_FACTOR, m_config.rolloff);
        alSourcef(s.source, AL_MAX_DISTANCE, m_config.maxDistance);
        it = m_sources.emplace(id, s).first;
    }
    alSource3f(it->second.source, AL_POSITION, position.x, position.y, position.z);
    alSourcef(it->second.source, AL_GAIN, std::max(volume, 0.0f));
    return {};
}

void SpatialMixer::removeSpeaker(std::uint32_t id) {
    auto it = m_sources.find(id);
    if (it == m_sources.end()) return;
    release(it->second);
    m_sources.erase(it);
}

void SpatialMixer::reclaim(Source& s) {
    ALint done = 0;
    alGetSourcei(s.source, AL_BUFFERS_PROCESSED, &done);
    while (done-- > 0) {
        ALuint b = 0;
        alSourceUnqueueBuffers(s.source, 1, &b);
        s.spare.push_back(b);
    }
}

void SpatialMixer::release(Source& s) {
    alSourceStop(s.source);  // every queued buffer is now processed
    reclaim(s);
    if (!s.spare.empty()) alDeleteBuffers(ALsizei(s.spare.size()), s.spare.data());
    s.spare.clear();
    alDeleteSources(1, &s.source);
}

Result<void> SpatialMixer::queue(std::uint32_t id, std::span<const std::int16_t> pcm) {
    auto it = m_sources.find(id);
    if (it == m_sources.end()) return makeError(ErrorCode::kNotFound, strCat("no speaker ", id));
    Source& s = it->second;
    reclaim(s);
    ALint queued = 0;
    alGetSourcei(s.source, AL_BUFFERS_QUEUED, &queued);
    if (queued >= kMaxQueued) return makeError(ErrorCode::kLimit, strCat("speaker ", id, ": playback is behind"));
    ALuint b = 0;
    if (s.spare.empty()) {
        alGenBuffers(1, &b);
    } else {
        b = s.spare.back();
        s.spare.pop_back();
    }
    alBufferData(b, AL_FORMAT_MONO16, pcm.data(), ALsizei(pcm.size() * sizeof(std::int16_t)), kRate);
    alSourceQueueBuffers(s.source, 1, &b);
    ALint state = 0;
    alGetSourcei(s.source, AL_SOURCE_STATE, &state);
    if (state != AL_PLAYING) alSourcePlay(s.source);
    if (alGetError() != AL_NO_ERROR) return makeError(ErrorCode::kIo, strCat("speaker ", id, ": OpenAL refused a block"));
    return {};
}

Result<void> SpatialMixer::render(std::span<std::int16_t> out) {
    if (!m_render) return makeError(ErrorCode::kInvalidArgument, "render() needs the loopback output");
    reinterpret_cast<LPALCRENDERSAMPLESSOFT>(m_render)(static_cast<ALCdevice*>(m_device), out.data(),
                                                       ALCsizei(out.size() / 2));
    return {};
}

}  // namespace mxr::engine::audio
