#include "engine/audio/wav.h"

#include <speex/speex_resampler.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>

namespace mxr::engine::audio {

namespace {

std::uint32_t le32(const std::uint8_t* p) { return p[0] | (p[1] << 8) | (p[2] << 16) | (std::uint32_t(p[3]) << 24); }
std::uint16_t le16(const std::uint8_t* p) { return std::uint16_t(p[0] | (p[1] << 8)); }

tl::unexpected<Error> bad(std::string_view name, const std::string& what) {
    return makeError(ErrorCode::kInvalidArgument, strCat(name, ": ", what));
}

constexpr std::uint16_t kPcm = 1;
constexpr std::uint16_t kFloat = 3;
constexpr std::uint16_t kExtensible = 0xFFFE;

}  // namespace

Result<PcmAudio> parseWav(std::span<const std::uint8_t> b, std::string_view name) {
    if (b.size() < 12 || std::memcmp(b.data(), "RIFF", 4) != 0 || std::memcmp(b.data() + 8, "WAVE", 4) != 0) {
        return bad(name, "not a WAV file (no RIFF/WAVE header)");
    }
    std::uint16_t format = 0, channels = 0, bits = 0;
    std::uint32_t rate = 0;
    bool haveFmt = false;
    std::span<const std::uint8_t> data;
    bool haveData = false;
    std::size_t at = 12;
    while (at + 8 <= b.size()) {
        const std::uint32_t size = le32(b.data() + at + 4);
        const std::uint8_t* body = b.data() + at + 8;
        const std::size_t avail = b.size() - at - 8;
        if (std::memcmp(b.data() + at, "fmt ", 4) == 0) {
            if (size < 16 || avail < 16) return bad(name, "fmt chunk too short");
            format = le16(body);
            channels = le16(body + 2);
            rate = le32(body + 4);
            bits = le16(body + 14);
            if (format == kExtensible) {
                if (size < 40 || avail < 40) return bad(name, "extensible fmt chunk too short");
                format = le16(body + 24);  // the sub-format GUID's first two bytes
            }
            haveFmt = true;
        } else if (std::memcmp(b.data() + at, "data", 4) == 0) {
            // A data chunk cut short (a recording that was interrupted) is
            // read as far as it goes.
            data = std::span<const std::uint8_t>(body, std::min<std::size_t>(size, avail));
            haveData = true;
            break;
        }
        if (size > avail) return bad(name, strCat("chunk at byte ", at, " runs past the end of the file"));
        at += 8 + size + (size & 1u);
    }
    if (!haveFmt) return bad(name, "no fmt chunk");
    if (!haveData) return bad(name, "no data chunk");
    if (format != kPcm && format != kFloat) return bad(name, strCat("sample format ", format, " (only PCM and float)"));
    if (channels < 1 || channels > 8) return bad(name, strCat(channels, " channels (1 to 8 supported)"));
    if (rate < 8000 || rate > 192000) return bad(name, strCat("sample rate ", rate, " Hz (8 to 192 kHz supported)"));
    const bool okBits = format == kFloat ? bits == 32 : (bits == 8 || bits == 16 || bits == 24 || bits == 32);
    if (!okBits) return bad(name, strCat(bits, "-bit ", format == kFloat ? "float" : "PCM", " samples"));
    const std::size_t bytesPer = bits / 8u;
    PcmAudio out;
    out.sampleRate = rate;
    out.channels = channels;
    const std::size_t count = data.size() / bytesPer / channels * channels;
    out.samples.resize(count);
    for (std::size_t i = 0; i < count; ++i) {
        const std::uint8_t* p = data.data() + i * bytesPer;
        float v = 0.0f;
        if (format == kFloat) {
            std::uint32_t u = le32(p);
            std::memcpy(&v, &u, 4);
            if (!std::isfinite(v)) return bad(name, strCat("sample ", i, " is not a finite number"));
            v = std::clamp(v, -1.0f, 1.0f);
        } else if (bits == 8) {
            v = (float(p[0]) - 128.0f) / 128.0f;
        } else if (bits == 16) {
            v = float(std::int16_t(le16(p))) / 32768.0f;
        } else if (bits == 24) {
            const std::int32_t s = std::int32_t((std::uint32_t(p[0]) << 8) | (std::uint32_t(p[1]) << 16) |
                                                (std::uint32_t(p[2]) << 24)) >> 8;
            v = float(s) / 8388608.0f;
        } else {
            v = float(double(std::int32_t(le32(p))) / 2147483648.0);
        }
        out.samples[i] = v;
    }
    if (out.samples.empty()) return bad(name, "no samples");
    return out;
}

Result<PcmAudio> readWav(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return makeError(ErrorCode::kNotFound, strCat(path.string(), ": cannot be opened"));
    const std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return parseWav(bytes, path.string());
}

Result<void> writeWav(const std::filesystem::path& path, std::span<const std::int16_t> interleaved,
                      std::uint32_t sampleRate, std::uint16_t channels) {
    std::vector<std::uint8_t> b;
    auto u32 = [&](std::uint32_t v) {
        for (int i = 0; i < 4; ++i) b.push_back(std::uint8_t(v >> (8 * i)));
    };
    auto u16 = [&](std::uint16_t v) {
        b.push_back(std::uint8_t(v));
        b.push_back(std::uint8_t(v >> 8));
    };
    const auto dataBytes = std::uint32_t(interleaved.size() * 2);
    b.insert(b.end(), {'R', 'I', 'F', 'F'});
    u32(36 + dataBytes);
    b.insert(b.end(), {'W', 'A', 'V', 'E', 'f', 'm', 't', ' '});
    u32(16);
    u16(kPcm);
    u16(channels);
    u32(sampleRate);
    u32(sampleRate * channels * 2u);
    u16(std::uint16_t(channels * 2));
    u16(16);
    b.insert(b.end(), {'d', 'a', 't', 'a'});
    u32(dataBytes);
    for (std::int16_t s : interleaved) u16(std::uint16_t(s));
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(b.data()), std::streamsize(b.size()));
    if (!out) return makeError(ErrorCode::kIo, strCat(path.string(), ": cannot be written"));
    return {};
}

std::vector<std::int16_t> toMono48k(const PcmAudio& audio) {
    std::vector<float> mono(audio.frames());
    for (std::size_t f = 0; f < mono.size(); ++f) {
        float sum = 0.0f;
        for (std::uint16_t c = 0; c < audio.channels; ++c) sum += audio.samples[f * audio.channels + c];
        mono[f] = sum / float(audio.channels);
    }
    std::vector<float> out;
    if (audio.sampleRate == 48000) {
        out = std::move(mono);
    } else {
        int err = 0;
        SpeexResamplerState* rs = speex_resampler_init(1, audio.sampleRate, 48000, 8, &err);
        if (!rs) return {};
        speex_resampler_skip_zeros(rs);
        out.resize(std::size_t(double(mono.size()) * 48000.0 / audio.sampleRate) + 1024);
        spx_uint32_t inLen = spx_uint32_t(mono.size());
        spx_uint32_t outLen = spx_uint32_t(out.size());
        speex_resampler_process_float(rs, 0, mono.data(), &inLen, out.data(), &outLen);
        // Flush the filter's tail with silence.
        std::vector<float> zeros(std::size_t(speex_resampler_get_input_latency(rs)), 0.0f);
        spx_uint32_t zLen = spx_uint32_t(zeros.size());
        spx_uint32_t tail = spx_uint32_t(out.size() - outLen);
        speex_resampler_process_float(rs, 0, zeros.data(), &zLen, out.data() + outLen, &tail);
        out.resize(std::min<std::size_t>(outLen + tail, std::size_t(double(mono.size()) * 48000.0 / audio.sampleRate)));
        speex_resampler_destroy(rs);
    }
    std::vector<std::int16_t> pcm(out.size());
    std::transform(out.begin(), out.end(), pcm.begin(),
                   [](float v) { return std::int16_t(std::lround(std::clamp(v, -1.0f, 32767.0f / 32768.0f) * 32768.0f)); });
    return pcm;
}

}  // namespace mxr::engine::audio
