#pragma once
// Where a voice comes from: 48 kHz mono, 10 ms frames (480 samples), behind
// one interface so bots and tests speak from WAV files and people from a
// microphone through OpenAL Soft.
//
// Thread: a source is used by one thread (the audio thread).
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "engine/core/result.h"

namespace mxr::engine::audio {

constexpr std::size_t kFrameSamples = 480;  // 10 ms at 48 kHz

class CaptureSource {
public:
    virtual ~CaptureSource() = default;
    // Fills `frame` (kFrameSamples) and returns true, or returns false when
    // no whole frame is ready yet (a microphone: ask again later) or the
    // source has ended (see ended()). An error means the device failed.
    virtual Result<bool> read(std::span<std::int16_t> frame) = 0;
    virtual bool ended() const { return false; }
    virtual std::string describe() const = 0;
};

// A WAV file (any common format, resampled to 48 kHz mono), played once or
// looped. Frames are always ready: the caller paces them.
class WavCaptureSource final : public CaptureSource {
public:
    static Result<std::unique_ptr<WavCaptureSource>> open(const std::filesystem::path& path, bool loop);
    Result<bool> read(std::span<std::int16_t> frame) override;
    bool ended() const override { return !m_loop && m_at >= m_pcm.size(); }
    std::string describe() const override { return m_name; }
    const std::vector<std::int16_t>& samples() const { return m_pcm; }

private:
    std::vector<std::int16_t> m_pcm;
    std::size_t m_at = 0;
    bool m_loop = false;
    std::string m_name;
};

// A microphone through OpenAL Soft's capture API; `device` empty for the
// default one. Fails with kUnavailable (naming the device) when it cannot be
// opened, which callers report once and then run without voice.
class OpenAlCaptureSource final : public CaptureSource {
public:
    static Result<std::unique_ptr<OpenAlCaptureSource>> open(const std::string& device);
    ~OpenAlCaptureSource() override;
    Result<bool> read(std::span<std::int16_t> frame) override;
    std::string describe() const override { return m_name; }

private:
    OpenAlCaptureSource() = default;
    void* m_device = nullptr;  // ALCdevice
    std::string m_name;
};

// Device names as OpenAL Soft lists them (for --list-audio-devices, --mic,
// --speaker).
std::vector<std::string> captureDevices();
std::vector<std::string> playbackDevices();

}  // namespace mxr::engine::audio
