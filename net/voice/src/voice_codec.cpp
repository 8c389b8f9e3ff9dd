#include "net/voice/voice_codec.h"

#include <opus/opus.h>

#include <algorithm>
#include <cmath>

#include "net/voice_frame.h"

namespace mxr::net::voice {

namespace {

Error opusError(const char* what, int code) {
    return Error{ErrorCode::kProtocol, code, strCat(what, ": ", opus_strerror(code))};
}

}  // namespace

EncoderSettings settingsForLoss(double reportedLoss, int currentFrameMs, bool allow20ms) {
    const double loss = std::clamp(std::isfinite(reportedLoss) ? reportedLoss : 0.0, 0.0, 1.0);
    EncoderSettings s;
    s.expectedLossPercent = static_cast<int>(std::lround(std::min(loss, 0.5) * 100.0));
    s.bitrate = loss < 0.02 ? 24000 : loss < 0.08 ? 28000 : 32000;
    s.frameMs = currentFrameMs;
    if (!allow20ms || loss < 0.08) s.frameMs = 10;
    else if (loss >= 0.15) s.frameMs = 20;
    return s;
}

void VoiceEncoder::Free::operator()(OpusEncoder* e) const { opus_encoder_destroy(e); }
void VoiceDecoder::Free::operator()(OpusDecoder* d) const { opus_decoder_destroy(d); }

VoiceEncoder::VoiceEncoder(OpusEncoder* e, const EncoderConfig& config) : m_enc(e), m_config(config) {}
VoiceEncoder::VoiceEncoder(VoiceEncoder&&) noexcept = default;
VoiceEncoder& VoiceEncoder::operator=(VoiceEncoder&&) noexcept = default;
VoiceEncoder::~VoiceEncoder() = default;

Result<VoiceEncoder> VoiceEncoder::create(const EncoderConfig& config) {
    int err = OPUS_OK;
    OpusEncoder* e = opus_encoder_create(int(kSampleRate), 1, OPUS_APPLICATION_VOIP, &err);
    if (!e) return tl::unexpected(opusError("opus encoder", err));
    VoiceEncoder enc(e, config);
    if (opus_encoder_ctl(e, OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE)) != OPUS_OK ||
        opus_encoder_ctl(e, OPUS_SET_INBAND_FEC(config.fec ? 1 : 0)) != OPUS_OK ||
        opus_encoder_ctl(e, OPUS_SET_DTX(config.dtx ? 1 : 0)) != OPUS_OK) {
        return makeError(ErrorCode::kUnknown, "opus encoder: a setting was refused");
    }
    MXR_TRY(enc.apply(settingsForLoss(0.0, 10, config.allow20ms)));
    return enc;
}

Result<void> VoiceEncoder::apply(const EncoderSettings& s) {
    if (int r = opus_encoder_ctl(m_enc.get(), OPUS_SET_BITRATE(s.bitrate)); r != OPUS_OK) {
        return tl::unexpected(opusError("opus bitrate", r));
    }
    if (int r = opus_encoder_ctl(m_enc.get(), OPUS_SET_PACKET_LOSS_PERC(s.expectedLossPercent)); r != OPUS_OK) {
        return tl::unexpected(opusError("opus expected loss", r));
    }
    m_settings = s;
    return {};
}

std::size_t VoiceEncoder::frameSamples() const { return kSampleRate / 1000u * std::uint32_t(m_settings.frameMs); }

Result<void> VoiceEncoder::setReportedLoss(double loss) {
    return apply(settingsForLoss(loss, m_settings.frameMs, m_config.allow20ms));
}

int VoiceEncoder::lookahead() const {
    opus_int32 n = 0;
    opus_encoder_ctl(m_enc.get(), OPUS_GET_LOOKAHEAD(&n));
    return int(n);
}

Result<std::optional<Bytes>> VoiceEncoder::encode(std::span<const std::int16_t> pcm) {
    if (pcm.size() != frameSamples()) {
        return makeError(ErrorCode::kInvalidArgument,
                         strCat("voice encode: ", pcm.size(), " samples, the frame takes ", frameSamples()));
    }
    Bytes out(kMaxVoicePayload);
    const opus_int32 n = opus_encode(m_enc.get(), pcm.data(), int(pcm.size()), out.data(), opus_int32(out.size()));
    if (n < 0) return tl::unexpected(opusError("opus encode", n));
    // Two bytes or less: a DTX frame, which need not be sent.
    if (std::size_t(n) < kMinVoicePayload) return std::optional<Bytes>{};
    out.resize(std::size_t(n));
    return std::optional<Bytes>(std::move(out));
}

VoiceDecoder::VoiceDecoder(OpusDecoder* d) : m_dec(d) {}
VoiceDecoder::VoiceDecoder(VoiceDecoder&&) noexcept = default;
VoiceDecoder& VoiceDecoder::operator=(VoiceDecoder&&) noexcept = default;
VoiceDecoder::~VoiceDecoder() = default;

Result<VoiceDecoder> VoiceDecoder::create() {
    int err = OPUS_OK;
    OpusDecoder* d = opus_decoder_create(int(kSampleRate), 1, &err);
    if (!d) return tl::unexpected(opusError("opus decoder", err));
    return VoiceDecoder(d);
}

Result<void> VoiceDecoder::run(const std::uint8_t* data, std::size_t size, std::span<std::int16_t> out, int fec,
                               const char* what) {
    if (out.size() != 480 && out.size() != 960) {
        return makeError(ErrorCode::kInvalidArgument, strCat(what, ": ", out.size(), " samples is not 10 or 20 ms"));
    }
    if (data) {
        const int samples = opus_packet_get_nb_samples(data, opus_int32(size), int(kSampleRate));
        if (samples < 0) return tl::unexpected(opusError(what, samples));
        // FEC recovers the previous frame, which has this packet's length.
        if (std::size_t(samples) != out.size()) {
            return tl::unexpected(
                protocolError(strCat(what, ": the packet holds ", samples, " samples, expected ", out.size())));
        }
    }
    const int n = opus_decode(m_dec.get(), data, opus_int32(size), out.data(), int(out.size()), fec);
    if (n < 0) return tl::unexpected(opusError(what, n));
    if (std::size_t(n) != out.size()) std::fill(out.begin() + n, out.end(), std::int16_t{0});
    return {};
}

Result<void> VoiceDecoder::decode(ByteSpan packet, std::span<std::int16_t> out) {
    return run(packet.data(), packet.size(), out, 0, "opus decode");
}

Result<void> VoiceDecoder::recover(ByteSpan next, std::span<std::int16_t> out) {
    return run(next.data(), next.size(), out, 1, "opus fec");
}

Result<void> VoiceDecoder::conceal(std::span<std::int16_t> out) { return run(nullptr, 0, out, 0, "opus plc"); }

}  // namespace mxr::net::voice
