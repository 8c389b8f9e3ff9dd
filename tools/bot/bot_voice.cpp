#include "bot_voice.h"

#include "engine/audio/wav.h"

namespace mxr::bot {

Result<std::unique_ptr<BotSpeaker>> BotSpeaker::create(const std::filesystem::path& wav) {
    auto s = std::make_unique<BotSpeaker>();
    MXR_TRY_ASSIGN(auto source, engine::audio::WavCaptureSource::open(wav, true));
    scenes::voice::TalkConfig tc;
    tc.paced = true;
    tc.process = false;  // a file is sent as it is
    MXR_TRY_ASSIGN(s->m_talk, scenes::voice::VoiceTalk::create(std::move(source), tc));
    return s;
}

void BotSpeaker::pump(net::ClientSession& session, Nanos now) {
    if (session.state() != net::ClientState::kJoined) return;
    m_talk->pump(now, true, [&](net::Bytes frame) { (void)session.sendVoice(frame); });
}

Result<std::unique_ptr<BotListener>> BotListener::create(const ListenerOptions& options) {
    auto l = std::make_unique<BotListener>();
    l->m_options = options;
    scenes::voice::ListenConfig lc;
    lc.mixer.loopback = true;
    lc.record = true;
    lc.receiver.useFec = options.fec;
    lc.receiver.useConcealment = options.concealment;
    MXR_TRY_ASSIGN(l->m_listen, scenes::voice::VoiceListen::create(lc));
    return l;
}

void BotListener::pump(net::ClientSession& session, Nanos now, const std::map<std::uint16_t, Vec3>& heads,
                       const Pose& self) {
    m_places.clear();
    for (const auto& [id, head] : heads) m_places.push_back({id, head, 1.0f});
    m_listen->pump(now, m_places, self);
    m_listen->lossReports(now, [&](std::uint16_t id, std::uint8_t loss) { session.reportVoiceLoss(id, loss); });
}

Result<void> BotListener::finish() { return engine::audio::writeWav(m_options.out, m_listen->recording(), 48000, 2); }

}  // namespace mxr::bot
