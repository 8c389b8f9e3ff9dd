#include "engine/audio/capture.h"

#include <AL/al.h>
#include <AL/alc.h>

#include <algorithm>

#include "engine/audio/wav.h"

namespace mxr::engine::audio {

namespace {

std::vector<std::string> splitList(const ALCchar* list) {
    std::vector<std::string> out;
    while (list && *list) {
        out.emplace_back(list);
        list += out.back().size() + 1;
    }
    return out;
}

}  // namespace

Result<std::unique_ptr<WavCaptureSource>> WavCaptureSource::open(const std::filesystem::path& path, bool loop) {
    MXR_TRY_ASSIGN(PcmAudio audio, readWav(path));
    auto s = std::unique_ptr<WavCaptureSource>(new WavCaptureSource());
    s->m_pcm = toMono48k(audio);
    s->m_loop = loop;
    s->m_name = path.string();
    if (s->m_pcm.empty()) return makeError(ErrorCode::kInvalidArgument, strCat(path.string(), ": no samples"));
    return s;
}

Result<bool> WavCaptureSource::read(std::span<std::int16_t> frame) {
    if (ended()) return false;
    for (std::int16_t& s : frame) {
        if (m_at >= m_pcm.size()) {
            if (!m_loop) {
                s = 0;  // the last frame is padded with silence
                continue;
            }
            m_at = 0;
        }
        s = m_pcm[m_at++];
    }
    return true;
}

Result<std::unique_ptr<OpenAlCaptureSource>> OpenAlCaptureSource::open(const std::string& device) {
    // Half a second of ring buffer in the driver.
    ALCdevice* d = alcCaptureOpenDevice(device.empty() ? nullptr : device.c_str(), 48000, AL_FORMAT_MONO16, 24000);
    if (!d) {
        return makeError(ErrorCode::kUnavailable,
                         strCat("microphone ", device.empty() ? "(default)" : "'" + device + "'", " cannot be opened"));
    }
    auto s = std::unique_ptr<OpenAlCaptureSource>(new OpenAlCaptureSource());
    s->m_device = d;
    const ALCchar* name = alcGetString(d, ALC_CAPTURE_DEVICE_SPECIFIER);
    s->m_name = name ? name : "microphone";
    alcCaptureStart(d);
    if (alcGetError(d) != ALC_NO_ERROR) return makeError(ErrorCode::kIo, strCat(s->m_name, ": capture did not start"));
    return s;
}

OpenAlCaptureSource::~OpenAlCaptureSource() {
    if (!m_device) return;
    auto* d = static_cast<ALCdevice*>(m_device);
    alcCaptureStop(d);
    alcCaptureCloseDevice(d);
}

Result<bool> OpenAlCaptureSource::read(std::span<std::int16_t> frame) {
    auto* d = static_cast<ALCdevice*>(m_device);
    ALCint ready = 0;
    alcGetIntegerv(d, ALC_CAPTURE_SAMPLES, 1, &ready);
    if (alcGetError(d) != ALC_NO_ERROR) return makeError(ErrorCode::kIo, strCat(m_name, ": capture failed"));
    if (ready < ALCint(frame.size())) return false;
    alcCaptureSamples(d, frame.data(), ALCsizei(frame.size()));
    return true;
}

std::vector<std::string> captureDevices() { return splitList(alcGetString(nullptr, ALC_CAPTURE_DEVICE_SPECIFIER)); }

std::vector<std::string> playbackDevices() {
    if (alcIsExtensionPresent(nullptr, "ALC_ENUMERATE_ALL_EXT")) {
        return splitList(alcGetString(nullptr, ALC_ALL_DEVICES_SPECIFIER));
    }
    return splitList(alcGetString(nullptr, ALC_DEVICE_SPECIFIER));
}

}  // namespace mxr::engine::audio
