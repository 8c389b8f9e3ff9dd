#include "net/voice/voice_receiver.h"

#include <algorithm>

namespace mxr::net::voice {

VoiceReceiver::VoiceReceiver(const ReceiverConfig& config, VoiceDecoder decoder)
    : m_config(config), m_buffer(config.jitter), m_decoder(std::move(decoder)) {}

Result<VoiceReceiver> VoiceReceiver::create(const ReceiverConfig& config) {
    MXR_TRY_ASSIGN(VoiceDecoder d, VoiceDecoder::create());
    return VoiceReceiver(config, std::move(d));
}

Result<void> VoiceReceiver::push(ByteSpan wire, Nanos now) {
    auto frame = decodeVoiceFrame(wire);
    if (!frame) {
        ++m_malformed;
        return tl::unexpected(frame.error());
    }
    m_buffer.push(std::move(*frame), now);
    return {};
}

PlayKind VoiceReceiver::pull(Nanos now, std::vector<std::int16_t>& out) {
    Playout p = m_buffer.pull(now);
    out.assign(p.samples, 0);
    if (p.kind == PlayKind::kSilence) {
        m_level = 0;
        return p.kind;
    }
    Result<void> r;
    if (p.kind == PlayKind::kFrame) {
        r = m_decoder.decode(p.frame->payload, out);
        m_level = p.frame->level;
    } else if (p.kind == PlayKind::kRecover && m_config.useFec) {
        r = m_decoder.recover(p.frame->payload, out);
    } else if (m_config.useConcealment) {
        p.kind = PlayKind::kConceal;
        r = m_decoder.conceal(out);
    } else {
        return PlayKind::kConceal;  // silence in its place
    }
    if (!r) {
        ++m_undecodable;
        std::fill(out.begin(), out.end(), std::int16_t{0});
        if (m_decoder.conceal(out)) return PlayKind::kConceal;
        std::fill(out.begin(), out.end(), std::int16_t{0});
        return PlayKind::kSilence;
    }
    return p.kind;
}

}  // namespace mxr::net::voice
