#pragma once
// Opus for voice: 48 kHz mono, VOIP mode, 10 ms frames (20 ms once the
// receivers report heavy loss), in-band FEC, DTX in silence, bitrate that
// follows the loss the receivers report.
//
// Thread: an encoder or decoder is used by one thread. Move-only.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "engine/core/result.h"
#include "net/wire.h"

struct OpusEncoder;
struct OpusDecoder;

namespace mxr::net::voice {

struct EncoderConfig {
    bool fec = true;
    bool dtx = true;
    bool allow20ms = true;  // 20 ms frames while reported loss is high
};

// What the encoder does at a reported loss (fraction of frames the
// receivers did not get in time): more bits and a higher expected-loss
// setting so FEC carries a coarse copy of the previous frame, and 20 ms
// frames (half the packets and headers) at 15% or more, back to 10 ms
// below 8%.
struct EncoderSettings {
    int bitrate = 24000;
    int expectedLossPercent = 0;
    int frameMs = 10;
};
EncoderSettings settingsForLoss(double reportedLoss, int currentFrameMs, bool allow20ms);

class VoiceEncoder {
public:
    static Result<VoiceEncoder> create(const EncoderConfig& config = {});
    VoiceEncoder(VoiceEncoder&&) noexcept;
    VoiceEncoder& operator=(VoiceEncoder&&) noexcept;
    ~VoiceEncoder();

    // Samples the next encode() takes: 480 (10 ms) or 960 (20 ms).
    std::size_t frameSamples() const;
    int frameMs() const { return m_settings.frameMs; }
    const EncoderSettings& settings() const { return m_settings; }
    // One frame of PCM (exactly frameSamples()). Nothing when DTX says the
    // frame is silence not worth sending.
    Result<std::optional<Bytes>> encode(std::span<const std::int16_t> pcm);
    // The loss the receivers report (0..1): adapts bitrate, FEC and frame
    // length (the new length applies from the next encode()).
    Result<void> setReportedLoss(double loss);
    // Samples of delay the encoder adds (Opus look-ahead).
    int lookahead() const;

private:
    explicit VoiceEncoder(OpusEncoder* e, const EncoderConfig& config);
    Result<void> apply(const EncoderSettings& s);
    struct Free {
        void operator()(OpusEncoder* e) const;
    };
    std::unique_ptr<OpusEncoder, Free> m_enc;
    EncoderConfig m_config;
    EncoderSettings m_settings;
};

class VoiceDecoder {
public:
    static Result<VoiceDecoder> create();
    VoiceDecoder(VoiceDecoder&&) noexcept;
    VoiceDecoder& operator=(VoiceDecoder&&) noexcept;
    ~VoiceDecoder();

    // `out` holds the frame's samples (480 or 960). kProtocol error when
    // the packet is not Opus or its length does not match `out`.
    Result<void> decode(ByteSpan packet, std::span<std::int16_t> out);
    // The frame before `next`, from the FEC copy `next` carries (PLC when it
    // carries none).
    Result<void> recover(ByteSpan next, std::span<std::int16_t> out);
    // Packet loss concealment: a plausible continuation of what was decoded.
    Result<void> conceal(std::span<std::int16_t> out);

private:
    explicit VoiceDecoder(OpusDecoder* d);
    Result<void> run(const std::uint8_t* data, std::size_t size, std::span<std::int16_t> out, int fec,
                     const char* what);
    struct Free {
        void operator()(OpusDecoder* d) const;
    };
    std::unique_ptr<OpusDecoder, Free> m_dec;
};

}  // namespace mxr::net::voice
