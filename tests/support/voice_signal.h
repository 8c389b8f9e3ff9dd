#pragma once
// Test signals and measures for voice: a deterministic speech-like signal
// (a glottal pulse train at a wandering pitch through three formant-like
// resonances, in syllables and talk spurts) and 10 ms energy envelopes.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace mxr::test {

// `seconds` of 48 kHz speech-like audio; silent from `silenceFrom` seconds
// of every `spurt` seconds on (a pause in which DTX stops sending).
inline std::vector<std::int16_t> speechLike(double seconds, double spurt = 4.0, double silenceFrom = 3.0) {
    const std::size_t n = static_cast<std::size_t>(seconds * 48000.0);
    std::vector<std::int16_t> out(n);
    double phase = 0.0;
    double y1[3] = {}, y2[3] = {};
    const double formants[3] = {700.0, 1200.0, 2500.0};
    for (std::size_t i = 0; i < n; ++i) {
        const double t = double(i) / 48000.0;
        const double f0 = 120.0 + 30.0 * std::sin(2.0 * M_PI * 0.7 * t);
        phase += f0 / 48000.0;
        double x = 0.0;
        if (phase >= 1.0) {
            phase -= 1.0;
            x = 1.0;
        }
        double s = 0.0;
        for (int k = 0; k < 3; ++k) {  // two-pole resonators
            const double r = 0.97;
            const double w = 2.0 * M_PI * formants[k] * (1.0 + 0.1 * std::sin(2.0 * M_PI * (0.9 + 0.3 * k) * t)) / 48000.0;
            const double y = x + 2.0 * r * std::cos(w) * y1[k] - r * r * y2[k];
            y2[k] = y1[k];
            y1[k] = y;
            s += y / double(k + 1);
        }
        const double syllable = 0.5 - 0.5 * std::cos(2.0 * M_PI * 4.0 * t);  // 4 syllables a second
        const bool talking = std::fmod(t, spurt) < silenceFrom;
        out[i] = static_cast<std::int16_t>(std::clamp(talking ? s * syllable * 1500.0 : 0.0, -32000.0, 32000.0));
    }
    return out;
}

// RMS of each 10 ms block.
inline std::vector<double> envelope(const std::vector<std::int16_t>& pcm) {
    std::vector<double> e;
    for (std::size_t i = 0; i + 480 <= pcm.size(); i += 480) {
        double sum = 0.0;
        for (std::size_t k = i; k < i + 480; ++k) sum += double(pcm[k]) * double(pcm[k]);
        e.push_back(std::sqrt(sum / 480.0));
    }
    return e;
}

inline double correlation(const std::vector<double>& a, const std::vector<double>& b) {
    const std::size_t n = std::min(a.size(), b.size());
    if (n < 2) return 0.0;
    double ma = 0, mb = 0;
    for (std::size_t i = 0; i < n; ++i) ma += a[i], mb += b[i];
    ma /= double(n);
    mb /= double(n);
    double sab = 0, saa = 0, sbb = 0;
    for (std::size_t i = 0; i < n; ++i) {
        sab += (a[i] - ma) * (b[i] - mb);
        saa += (a[i] - ma) * (a[i] - ma);
        sbb += (b[i] - mb) * (b[i] - mb);
    }
    return saa > 0 && sbb > 0 ? sab / std::sqrt(saa * sbb) : 0.0;
}

// The best correlation of `heard` against `sent` delayed by 0..maxLag blocks.
inline double bestCorrelation(const std::vector<double>& sent, const std::vector<double>& heard, std::size_t maxLag,
                              std::size_t* lagOut = nullptr) {
    double best = -1.0;
    for (std::size_t lag = 0; lag <= maxLag && lag < heard.size(); ++lag) {
        const std::vector<double> shifted(heard.begin() + std::ptrdiff_t(lag), heard.end());
        const double c = correlation(sent, shifted);
        if (c > best) {
            best = c;
            if (lagOut) *lagOut = lag;
        }
    }
    return best;
}

// Interleaved stereo (-1..1) as both ears summed to 16-bit mono, and how
// much louder the right ear is than the left, in dB.
struct Downmix {
    std::vector<std::int16_t> mono;
    double rightOverLeftDb = 0.0;
};
inline Downmix downmix(const std::vector<float>& stereo) {
    Downmix d;
    d.mono.resize(stereo.size() / 2);
    double left = 0, right = 0;
    for (std::size_t i = 0; i < d.mono.size(); ++i) {
        const double l = stereo[2 * i], r = stereo[2 * i + 1];
        left += l * l;
        right += r * r;
        d.mono[i] = std::int16_t(std::clamp((l + r) * 0.5 * 32768.0, -32768.0, 32767.0));
    }
    d.rightOverLeftDb = 10.0 * std::log10(right / std::max(left, 1e-12));
    return d;
}

// `heard` (an envelope) against a looped `source` envelope (played from any
// block on, over and over): the best correlation over the starting block,
// and that block.
inline double loopedCorrelation(const std::vector<double>& source, const std::vector<double>& heard,
                                std::size_t* startOut = nullptr) {
    double best = -1.0;
    std::vector<double> sent(heard.size());
    for (std::size_t k = 0; k < source.size(); ++k) {
        for (std::size_t b = 0; b < heard.size(); ++b) sent[b] = source[(b + k) % source.size()];
        const double c = correlation(sent, heard);
        if (c > best) {
            best = c;
            if (startOut) *startOut = k;
        }
    }
    return best;
}

}  // namespace mxr::test
