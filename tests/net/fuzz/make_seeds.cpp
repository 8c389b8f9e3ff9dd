// Writes the seed corpus for the fuzz targets: one file per message kind,
// avatar streams, tickets and sealed frames, from the real encoders.
#include <filesystem>
#include <fstream>
#include <iostream>

#include "engine/audio/wav.h"
#include "enet_guard.h"
#include "net/annotations.h"
#include "net/connect_cookie.h"
#include "net/crypto.h"
#include "net/messages.h"
#include "net/scripted_motion.h"
#include "net/ticket.h"
#include "net/voice/voice_codec.h"
#include "net/voice_frame.h"

namespace {
void write(const std::filesystem::path& p, const mxr::net::Bytes& b) {
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

// Annotation seeds: [mode][ops as [length u16][op]...] with every kind, an
// update, a recolour and a delete (mode 2: as a moderator where needed), and
// [mode 1][the resulting snapshot].
void writeAnnotationSeeds(const std::filesystem::path& dir) {
    using namespace mxr;
    using namespace mxr::net;
    AnnotationState state;
    std::vector<AnnotationOp> ops;
    auto create = [&](AuthorId author, std::uint16_t serial, AnnotationKind kind, AnnotationValues v) {
        AnnotationOp op;
        op.id = makeAnnotationId(author, serial);
        op.stamp = state.nextStamp(author);
        op.kind = kind;
        op.fields = fieldsOf(kind) | (v.step ? fieldBit(AnnotationField::kStep) : 0);
        op.values = std::move(v);
        ops.push_back(op);
        (void)state.apply(op, AnnotationActor{author, true});
    };
    AnnotationValues v;
    v.position = Vec3(0.0f, 1.0f, -0.5f);
    v.end = Vec3(0.2f, 1.1f, -0.6f);
    create(1, 1, AnnotationKind::kArrow, v);
    v.text = "Torque to 25 Nm";
    v.step = 3;
    create(1, 2, AnnotationKind::kLabel, v);
    v.step = 0;
    v.extents = Vec3(0.3f, 0.2f, 0.1f);
    v.rotation = glm::angleAxis(0.7f, Vec3(0.0f, 1.0f, 0.0f));
    create(2, 1, AnnotationKind::kBox, v);
    v.radius = 0.05f;
    create(2, 2, AnnotationKind::kSphere, v);
    for (int i = 0; i < 40; ++i) v.points.push_back(Vec3(0.01f * i, 0.002f * (i % 5), -0.001f * i));
    create(1, 3, AnnotationKind::kInk, v);
    v.number = 4;
    create(2, 3, AnnotationKind::kMarker, v);
    AnnotationOp move;
    move.type = AnnotationOpType::kUpdate;
    move.id = makeAnnotationId(1, 1);
    move.stamp = state.nextStamp(2);  // a moderator moves Ada's arrow
    move.fields = fieldBit(AnnotationField::kPosition) | fieldBit(AnnotationField::kEnd) | fieldBit(AnnotationField::kColour);
    move.values.position = Vec3(0.1f, 1.0f, -0.5f);
    move.values.end = Vec3(0.3f, 1.2f, -0.6f);
    move.values.colour = 5;
    ops.push_back(move);
    (void)state.apply(move, AnnotationActor{2, true});
    AnnotationOp gone;
    gone.type = AnnotationOpType::kDelete;
    gone.id = makeAnnotationId(2, 2);
    gone.stamp = state.nextStamp(2);
    ops.push_back(gone);
    (void)state.apply(gone, AnnotationActor{2, true});
    ByteWriter all;
    all.u8(2);
    for (const AnnotationOp& op : ops) {
        const Bytes b = encodeAnnotationOp(op);
        all.blob(b);
        ByteWriter one;
        one.u8(0);
        one.blob(b);
        write(dir / ("op_" + std::to_string(&op - ops.data()) + ".bin"), one.take());
    }
    write(dir / "session.bin", all.take());
    ByteWriter snap;
    snap.u8(1);
    snap.bytes(encodeAnnotationSnapshot(state));
    write(dir / "snapshot.bin", snap.take());
}
mxr::net::AnnotationOp seedArrow() {
    using namespace mxr::net;
    AnnotationOp op;
    op.id = makeAnnotationId(3, 1);
    op.stamp = Stamp{1, 3};
    op.kind = AnnotationKind::kArrow;
    op.fields = fieldsOf(AnnotationKind::kArrow);
    op.values.position = mxr::Vec3(0.0f, 1.0f, -0.5f);
    op.values.end = mxr::Vec3(0.2f, 1.1f, -0.6f);
    return op;
}
}  // namespace

int main(int argc, char** argv) {
    using namespace mxr;
    using namespace mxr::net;
    if (argc != 2) {
        std::cerr << "usage: make_seeds CORPUS_DIR\n";
        return 2;
    }
    const std::filesystem::path dir = argv[1];
    const MotionScript walk = MotionScript::forBot(0, 1, MotionKind::kWalking, RoomBounds{});
    AvatarEntry e;
    e.avatarId = 3;
    e.state = walk.at(1.0);
    // As the host relays entries (protocol 8): with velocities.
    AvatarEntry relayed = e;
    relayed.state.hasVelocity = true;
    relayed.state.headVelocity = Vec3(0.9f, 0.05f, -0.4f);
    relayed.state.leftVelocity = Vec3(-1.5f, 0.0f, 2.0f);
    relayed.state.rightVelocity = Vec3(1.5f, 0.0f, -2.0f);
    Presence p;
    p.members = {{1, "Ada", Role::kMentor, false, false}, {2, "Bob", Role::kGuest, true, true}};
    const std::vector<Message> all = {
        Hello{}, HelloAck{}, Login{"a@b.org", "pw"}, LoginToken{"token"}, LoginOk{"Ada", Role::kMentor},
        TicketRequest{"demo"}, TicketGrant{Bytes{1, 2, 3}}, CreateRoom{"demo", 16, true}, RoomCreated{"demo"},
        Join{"demo", Bytes{4}}, JoinGuest{"demo", "Guest"}, Resume{}, Joined{"demo", 4, {}, RoomBounds{}, 16, 3, true},
        Leave{}, p, Moderate{ModerationAction::kRemove, 2, "off-topic"}, Removed{"bye"}, ErrorReply{ReplyCode::kRoomFull, "full"},
        AvatarUpdate{e}, AvatarBatch{{relayed, e}},
        ApiRequest{7, ApiMethod::kPatch, "/goals/1", R"({"progress":40})", "retry-key-1"},
        ApiResponse{7, 200, R"({"id":1,"progress":40})"},
        VoiceUp{voice::encodeVoiceFrame(voice::VoiceFrame{3, 1440, 10, true, 70, Bytes(24, 7)})},
        VoiceDown{4, voice::encodeVoiceFrame(voice::VoiceFrame{65535, 4'294'966'000u, 20, false, 5, Bytes(60, 9)})},
        VoiceLoss{4, 12}, PrivateTalk{2}, Consent{true},
        VoiceWithAvatars{{relayed, relayed}, 4, voice::encodeVoiceFrame(voice::VoiceFrame{12, 5760, 10, true, 90, Bytes(40, 3)})},
        AnnotationChange{seedArrow()}, AnnotationRefused{makeAnnotationId(3, 1), "annotation 3:1: not yours"},
        AnnotationSnapshot{20, 8, Bytes(12, 5)}, ProcedureStep{4, 1, 3}};
    int i = 0;
    for (const auto& m : all) write(dir / "message" / (std::string(toString(messageType(m))) + ".bin"), encodeMessage(m));
    // Avatar streams: [step ms][entry]...
    ByteWriter w;
    for (int k = 0; k < 8; ++k) {
        w.u8(22);
        e.timeMs = static_cast<std::uint16_t>(k * 22);
        e.state = walk.at(k * 0.022);
        // Keep the seeds inside the fuzz target's small room.
        e.state.head.position *= 0.5f;
        e.state.leftHand.position *= 0.5f;
        e.state.rightHand.position *= 0.5f;
        e.state.hasVelocity = k % 2 == 1;  // relayed entries carry velocities
        e.state.headVelocity = Vec3(0.5f, 0.0f, -0.5f);
        writeAvatarEntry(w, e);
    }
    write(dir / "avatar" / "walking.bin", w.take());
    // A talker: real Opus frames of a buzzing tone, [step ms][u16 length]
    // [frame]..., with one pair swapped and one frame twice.
    if (auto enc = voice::VoiceEncoder::create()) {
        std::vector<Bytes> frames;
        std::vector<std::int16_t> pcm(480);
        for (std::uint16_t k = 0; k < 20; ++k) {
            for (std::size_t i = 0; i < pcm.size(); ++i) {
                pcm[i] = static_cast<std::int16_t>(((k * 480 + i) % 320) * 40 - 6400);
            }
            auto packet = enc->encode(pcm);
            if (!packet || !packet->has_value()) continue;
            voice::VoiceFrame f;
            f.sequence = static_cast<std::uint16_t>(65530 + k);  // wraps
            f.timestamp = 4'294'960'000u + k * 480u;              // wraps
            f.level = voice::levelOf(pcm);
            f.payload = std::move(**packet);
            frames.push_back(voice::encodeVoiceFrame(f));
        }
        if (frames.size() > 6) {
            std::swap(frames[3], frames[4]);
            frames.insert(frames.begin() + 6, frames[5]);
        }
        ByteWriter v;
        for (const Bytes& f : frames) {
            v.u8(10);
            v.blob(f);
        }
        write(dir / "voice" / "talk.bin", v.take());
    }
    // WAV files: 16-bit mono at 48 kHz and 8-bit stereo at 11.025 kHz.
    {
        std::vector<std::int16_t> tone(480), stereo(220);
        for (std::size_t i = 0; i < tone.size(); ++i) tone[i] = static_cast<std::int16_t>((i % 48) * 600 - 14000);
        for (std::size_t i = 0; i < stereo.size(); ++i) stereo[i] = static_cast<std::int16_t>((i % 20) * 1500 - 15000);
        std::filesystem::create_directories(dir / "wav");
        (void)engine::audio::writeWav(dir / "wav" / "mono16.wav", tone, 48000, 1);
        (void)engine::audio::writeWav(dir / "wav" / "stereo16.wav", stereo, 11025, 2);
    }
    writeAnnotationSeeds(dir / "annotation");
    RoomTicket t;
    t.room = "demo";
    t.subject = "account:1";
    t.displayName = "Ada";
    t.role = Role::kMentor;
    t.issuedAt = 1'800'000'000;
    t.expiresAt = t.issuedAt + 300;
    write(dir / "ticket" / "valid_shape.bin", signTicket(t, SigningKeyPair::generate()));
    SessionKeys keys;
    keys.rx.fill(1);
    keys.tx.fill(2);
    SecureChannel sc(keys);
    for (const auto& m : {all[14], all[18]}) {
        write(dir / "sealed" / ("frame" + std::to_string(i++) + ".bin"), sc.seal(Channel::kControl, encodeMessage(m)));
    }
    // Handshake: a cookie challenge, ENet CONNECTs without and with a
    // cookie, Hello/HelloAck, and peer datagrams (9-byte peer description,
    // then [header][ACK][reliable Hello][fragment][unreliable]).
    write(dir / "handshake" / "challenge.bin", encodeCookieChallenge(CookieChallenge{kProtocolVersion, 0x01020304, 0x0a0b0c0d}));
    auto connect = [](std::uint32_t cookie) {
        Bytes d{0x8f, 0xff, 0x00, 0x01};  // peer 0xFFF with sent time
        const Bytes cmd{0x82, 0xff, 0x00, 0x01, 0x00, 0x00, 0xff, 0xff, 0x00, 0x00, 0x05, 0x78, 0x00, 0x01, 0x00, 0x00,
                        0x00, 0x00, 0x00, 0x04, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x00, 0x13, 0x88, 0, 0, 0, 2, 0, 0, 0, 2,
                        0x11, 0x22, 0x33, 0x44};
        d.insert(d.end(), cmd.begin(), cmd.end());
        for (int k = 3; k >= 0; --k) d.push_back(static_cast<std::uint8_t>(cookie >> (8 * k)));
        return d;
    };
    write(dir / "handshake" / "connect.bin", connect(0));
    write(dir / "handshake" / "connect_cookie.bin", connect(0x0a0b0c0d));
    write(dir / "handshake" / "hello.bin", encodeMessage(Hello{KeyPair::generate().publicKey}));
    write(dir / "handshake" / "hello_ack.bin", encodeMessage(HelloAck{KeyPair::generate().publicKey, KeyPair::generate().publicKey}));
    for (std::uint8_t open : {0, 1}) {
        Bytes d{static_cast<std::uint8_t>(open | (kChannelCount << 1)), 0, 0, 0, 0, 0, 0, 0, 0};
        const Bytes dg{0x40, 0x05, 0x00, 0x10,                                      // peer 5, sent time
                       0x01, 0xff, 0x00, 0x01, 0x00, 0x01, 0x00, 0x10,              // ACK
                       0x86, 0x00, 0x00, 0x01, 0x00, 0x03, 1, 3, 0,                 // reliable, 3 bytes
                       0x88, 0x00, 0x00, 0x02, 0x00, 0x02, 0x00, 0x02, 0, 0, 0, 2,  // fragment 0 of 2
                       0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 9, 9,
                       0x07, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 42};         // unreliable on channel 1
        d.insert(d.end(), dg.begin(), dg.end());
        write(dir / "handshake" / (open ? "peer_open.bin" : "peer_before_hello.bin"), d);
    }
    std::cout << "seeds written to " << dir << "\n";
    return 0;
}
