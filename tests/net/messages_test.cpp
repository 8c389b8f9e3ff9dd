#include "net/messages.h"
#include "net/voice_frame.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace mxr::net {
namespace {

AvatarState sampleState() {
    AvatarState s;
    s.head.position = Vec3(1.234f, 1.65f, -2.5f);
    s.head.orientation = glm::normalize(Quat(0.9f, 0.1f, 0.3f, -0.2f));
    s.leftHand.position = Vec3(1.0f, 1.0f, -2.3f);
    s.leftHand.orientation = glm::angleAxis(0.5f, glm::normalize(Vec3(1, 1, 0)));
    s.rightHand.position = Vec3(1.5f, 1.1f, -2.3f);
    s.rightHand.orientation = glm::angleAxis(-2.5f, Vec3(0, 0, 1));
    return s;
}

float angleBetween(const Quat& a, const Quat& b) {
    const float d = std::fabs(glm::dot(glm::normalize(a), glm::normalize(b)));
    return 2.0f * std::acos(std::min(1.0f, d));
}

void expectPoseNear(const Pose& a, const Pose& b) {
    EXPECT_LE(glm::length(a.position - b.position), 0.001f);
    EXPECT_LE(angleBetween(a.orientation, b.orientation), 0.005f);  // ~0.3 degree
}

TEST(AvatarCodec, RotationSurvivesQuantizationEverywhere) {
    float worst = 0.0f;
    std::uint32_t seed = 7;
    auto next = [&] { seed = seed * 1664525u + 1013904223u; return (seed >> 8) / float(1 << 24) * 2.0f - 1.0f; };
    for (int i = 0; i < 5000; ++i) {
        Quat q = glm::normalize(Quat(next(), next(), next(), next()));
        worst = std::max(worst, angleBetween(q, unpackRotation(packRotation(q))));
    }
    EXPECT_LT(worst, 0.005f);
    // Identity and 180-degree turns (largest component at the edges).
    for (Quat q : {Quat(1, 0, 0, 0), Quat(0, 1, 0, 0), Quat(0, 0, 0, -1)}) {
        EXPECT_LT(angleBetween(q, unpackRotation(packRotation(q))), 0.005f);
    }
}

TEST(AvatarCodec, UpdateRoundTripsToTheMillimetre) {
    AvatarUpdate u;
    u.entry.timeMs = 54321;
    u.entry.state = sampleState();
    const Bytes b = encodeMessage(u);
    EXPECT_EQ(b.size(), 2 + kAvatarEntryMaxBytes - 3 * kVelocityWireBytes);  // 35 bytes: clients send no velocity
    auto m = decodeMessage(b);
    ASSERT_TRUE(m) << m.error().message;
    const auto& d = std::get<AvatarUpdate>(*m);
    EXPECT_EQ(d.entry.timeMs, 54321);
    expectPoseNear(d.entry.state.head, u.entry.state.head);
    expectPoseNear(d.entry.state.leftHand, u.entry.state.leftHand);
    expectPoseNear(d.entry.state.rightHand, u.entry.state.rightHand);
}

TEST(AvatarCodec, UntrackedHandsCostNothing) {
    AvatarUpdate u;
    u.entry.state = sampleState();
    u.entry.state.leftTracked = false;
    const Bytes b = encodeMessage(u);
    EXPECT_EQ(b.size(), 2 + kAvatarEntryMaxBytes - 3 * kVelocityWireBytes - kPoseWireBytes);
    auto m = decodeMessage(b);
    ASSERT_TRUE(m);
    EXPECT_FALSE(std::get<AvatarUpdate>(*m).entry.state.leftTracked);
    EXPECT_TRUE(std::get<AvatarUpdate>(*m).entry.state.rightTracked);
}

// What the host relays (protocol 8): each tracked position's velocity in
// 2.5 cm/s steps, clamped at 3.175 m/s; an untracked hand's is not sent.
TEST(AvatarCodec, RelayedVelocitiesRoundTripToAStepAndAreClamped) {
    AvatarBatch batch;
    AvatarEntry e;
    e.avatarId = 3;
    e.state = sampleState();
    e.state.hasVelocity = true;
    e.state.headVelocity = Vec3(1.31f, -0.02f, 0.0f);
    e.state.leftVelocity = Vec3(-2.5f, 0.6f, 3.0f);
    e.state.rightVelocity = Vec3(9.0f, -9.0f, 0.011f);  // a flick faster than the wire holds
    batch.entries.push_back(e);
    e.avatarId = 4;
    e.state.leftTracked = false;
    batch.entries.push_back(e);
    const Bytes b = encodeMessage(batch);
    EXPECT_EQ(b.size(), 3 + kAvatarEntryMaxBytes + (kAvatarEntryMaxBytes - kPoseWireBytes - kVelocityWireBytes));
    auto m = decodeMessage(b);
    ASSERT_TRUE(m) << m.error().message;
    const auto& got = std::get<AvatarBatch>(*m).entries;
    ASSERT_EQ(got.size(), 2u);
    for (const auto& d : got) {
        EXPECT_TRUE(d.state.hasVelocity);
        for (int i = 0; i < 3; ++i) {
            EXPECT_NEAR(d.state.headVelocity[i], e.state.headVelocity[i], kVelocityStep / 2 + 1e-6f);
            EXPECT_NEAR(d.state.rightVelocity[i], std::clamp(e.state.rightVelocity[i], -3.175f, 3.175f),
                        kVelocityStep / 2 + 1e-6f);
        }
    }
    for (int i = 0; i < 3; ++i) EXPECT_NEAR(got[0].state.leftVelocity[i], e.state.leftVelocity[i], 0.0126f);
    EXPECT_EQ(got[1].state.leftVelocity, Vec3(0.0f));
    // A cut-off velocity is refused by name.
    const Bytes cut(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(3 + kAvatarEntryMaxBytes - 2));
    auto bad = decodeMessage(Bytes(cut.begin(), cut.end()));
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message.find("avatar.rightVelocity"), std::string::npos) << bad.error().message;
}

TEST(AvatarCodec, PositionsOutsideTheRoomAreRejected) {
    AvatarUpdate u;
    u.entry.state = sampleState();
    u.entry.state.rightHand.position = Vec3(20.0f, 1.0f, 0.0f);
    RoomBounds small;
    small.min = Vec3(-5, -1, -5);
    small.max = Vec3(5, 3, 5);
    auto m = decodeMessage(encodeMessage(u), small);
    ASSERT_FALSE(m);
    EXPECT_NE(m.error().message.find("avatar.rightHand"), std::string::npos);
    EXPECT_NE(m.error().message.find("outside the room"), std::string::npos);
}

TEST(AvatarCodec, ValidateRejectsNonFiniteAndNonUnit) {
    RoomBounds room;
    AvatarState s = sampleState();
    EXPECT_TRUE(validateAvatarState(s, room));
    s.head.position.x = std::numeric_limits<float>::quiet_NaN();
    EXPECT_FALSE(validateAvatarState(s, room));
    s = sampleState();
    s.leftHand.orientation.w = std::numeric_limits<float>::infinity();
    EXPECT_FALSE(validateAvatarState(s, room));
    s = sampleState();
    s.rightHand.orientation = Quat(2, 0, 0, 0);
    auto e = validateAvatarState(s, room);
    ASSERT_FALSE(e);
    EXPECT_NE(e.error().message.find("rightHand"), std::string::npos);
}

Bytes voiceFrameBytes() {
    voice::VoiceFrame f;
    f.sequence = 9;
    f.timestamp = 4320;
    f.level = 80;
    f.payload = Bytes(5, 1);
    return voice::encodeVoiceFrame(f);
}

AnnotationOp sampleAnnotation() {
    AnnotationOp op;
    op.type = AnnotationOpType::kCreate;
    op.id = makeAnnotationId(3, 1);
    op.stamp = Stamp{4, 3};
    op.kind = AnnotationKind::kArrow;
    op.fields = fieldsOf(AnnotationKind::kArrow);
    op.values.position = Vec3(0.1f, 1.0f, -0.2f);
    op.values.end = Vec3(0.3f, 1.0f, -0.2f);
    return op;
}

bool endsWithAFrame(const Message& m);

std::vector<Message> everyMessage() {
    Key k{};
    k[0] = 9;
    ResumeToken t{};
    t[5] = 7;
    Joined joined;
    joined.room = "demo";
    joined.avatarId = 42;
    joined.resumeToken = t;
    joined.capacity = 16;
    joined.authorId = 3;
    joined.moderator = true;
    Presence p;
    p.members = {{1, "Ada", Role::kMentor, false, false}, {2, "Bob", Role::kGuest, true, true}};
    AvatarBatch batch;
    for (std::uint16_t i = 0; i < 3; ++i) {
        AvatarEntry e;
        e.avatarId = i;
        e.timeMs = static_cast<std::uint16_t>(100 * i);
        e.state = sampleState();
        batch.entries.push_back(e);
    }
    AvatarUpdate upd;
    upd.entry.state = sampleState();
    return {Hello{k}, HelloAck{k, k}, Login{"ada@example.org", "pw"}, LoginToken{"tok"},
            LoginOk{"Ada", Role::kProgramManager}, TicketRequest{"demo"}, TicketGrant{Bytes{1, 2, 3}},
            CreateRoom{"demo", 8, true}, RoomCreated{"demo"}, Join{"demo", Bytes{4, 5}},
            JoinGuest{"demo", "Guest 1"}, Resume{t}, joined, Leave{}, p,
            Moderate{ModerationAction::kRemove, 2}, Removed{"removed by a mentor"},
            ErrorReply{ReplyCode::kRoomFull, "room full"}, ErrorReply{ReplyCode::kBusy, "busy: retry"}, upd, batch,
            ApiRequest{7, ApiMethod::kPatch, "/goals/1", R"({"progress":40})"},
            ApiResponse{7, 200, R"({"id":1})"}, VoiceUp{voiceFrameBytes()}, VoiceDown{9, voiceFrameBytes()},
            VoiceLoss{9, 100}, PrivateTalk{9}, Consent{true},
            VoiceWithAvatars{{batch.entries[1], batch.entries[2]}, 9, voiceFrameBytes()},
            AnnotationChange{sampleAnnotation()}, AnnotationRefused{makeAnnotationId(3, 2), "annotation 3:2: limit"},
            AnnotationSnapshot{5, 0, Bytes{1, 2, 3, 4, 5}}, ProcedureStep{12, 3, 42}};
}

// Bytes a message cannot be cut below and stay one: a snapshot piece runs to
// the end of the message, so any shorter non-empty piece is still a piece.
std::size_t shortestValid(const Message& m, std::size_t size) {
    if (std::holds_alternative<AnnotationSnapshot>(m)) return 2 + 4 + 4 + 1;
    return endsWithAFrame(m) ? size - 2 : size;  // 5-byte payload cut to 3
}

// VoiceUp and VoiceDown end with the voice frame, whose payload runs to the
// end of the message (no length: the seal already authenticates every byte),
// so a shorter or longer one is still a message.
bool endsWithAFrame(const Message& m) {
    return std::holds_alternative<VoiceUp>(m) || std::holds_alternative<VoiceDown>(m) ||
           std::holds_alternative<VoiceWithAvatars>(m);
}

TEST(Messages, ApiRequestAndResponseKeepTheirContentAndLimits) {
    const ApiRequest req{0xfeedbeef, ApiMethod::kGet, "/sessions?mentorship_id=3&limit=5", ""};
    auto d = decodeMessage(encodeMessage(req));
    ASSERT_TRUE(d) << d.error().message;
    const auto& r = std::get<ApiRequest>(*d);
    EXPECT_EQ(r.requestId, 0xfeedbeefu);
    EXPECT_EQ(r.method, ApiMethod::kGet);
    EXPECT_EQ(r.path, req.path);
    EXPECT_TRUE(r.body.empty());
    const std::string big(kMaxApiBodyBytes, 'x');
    auto full = decodeMessage(encodeMessage(ApiResponse{1, 413, big}));
    ASSERT_TRUE(full) << full.error().message;
    EXPECT_EQ(std::get<ApiResponse>(*full).body, big);

    Bytes b = encodeMessage(ApiRequest{1, ApiMethod::kPost, "/feedback", "{}"});
    b[6] = 9;  // method
    EXPECT_FALSE(decodeMessage(b));
    b[6] = 0;
    EXPECT_FALSE(decodeMessage(b));
    b = encodeMessage(ApiRequest{1, ApiMethod::kPost, "/feedback", "{}"});
    b[8] = 'x';  // the path must start with '/'
    auto noSlash = decodeMessage(b);
    ASSERT_FALSE(noSlash);
    EXPECT_NE(noSlash.error().message.find("path"), std::string::npos);
    b = encodeMessage(ApiResponse{1, 200, "{}"});
    b[6] = 0x58;  // status 600
    b[7] = 0x02;
    EXPECT_FALSE(decodeMessage(b));
    // A body length beyond the limit is refused before it is read.
    ByteWriter w;
    w.u8(kProtocolVersion);
    w.u8(static_cast<std::uint8_t>(MessageType::kApiResponse));
    w.u32(1);
    w.u16(200);
    w.u16(static_cast<std::uint16_t>(kMaxApiBodyBytes + 1));
    w.bytes(Bytes(kMaxApiBodyBytes + 1, '{'));
    auto over = decodeMessage(w.data());
    ASSERT_FALSE(over);
    EXPECT_EQ(over.error().code, ErrorCode::kProtocol);
}

TEST(Messages, EveryTypeRoundTrips) {
    for (const Message& m : everyMessage()) {
        const Bytes b = encodeMessage(m);
        EXPECT_EQ(b[0], kProtocolVersion);
        EXPECT_EQ(b[1], static_cast<std::uint8_t>(messageType(m)));
        auto d = decodeMessage(b);
        ASSERT_TRUE(d) << toString(messageType(m)) << ": " << d.error().message;
        EXPECT_EQ(d->index(), m.index());
        // Re-encoding the decoded message gives the same bytes (quantized
        // values are stable under a second round).
        EXPECT_EQ(encodeMessage(*d), b) << toString(messageType(m));
    }
    auto p = decodeMessage(encodeMessage(everyMessage()[14]));
    EXPECT_EQ(std::get<Presence>(*p).members, std::get<Presence>(everyMessage()[14]).members);
}

TEST(Messages, EveryTruncationIsRejectedWithoutCrashing) {
    for (const Message& m : everyMessage()) {
        const Bytes b = encodeMessage(m);
        const std::size_t shortest = shortestValid(m, b.size());
        for (std::size_t n = 0; n < shortest; ++n) {
            auto d = decodeMessage(ByteSpan(b.data(), n));
            // Leave has no body: the only shorter forms lack the header.
            ASSERT_FALSE(d) << toString(messageType(m)) << " cut to " << n;
            EXPECT_EQ(d.error().code, ErrorCode::kProtocol);
        }
    }
}

TEST(Messages, TrailingBytesAreRejected) {
    for (const Message& m : everyMessage()) {
        if (endsWithAFrame(m)) continue;
        Bytes b = encodeMessage(m);
        b.push_back(0);
        auto d = decodeMessage(b);
        ASSERT_FALSE(d) << toString(messageType(m));
    }
}

TEST(Messages, BadVoiceMessagesAreRejectedNamingTheField) {
    auto expectError = [](Bytes b, const char* field) {
        auto d = decodeMessage(b);
        ASSERT_FALSE(d) << field;
        EXPECT_NE(d.error().message.find(field), std::string::npos) << d.error().message;
    };
    Bytes loss = encodeMessage(VoiceLoss{3, 10});
    loss.back() = 101;
    expectError(loss, "lossPercent");
    Bytes consent = encodeMessage(Consent{true});
    consent.back() = 2;
    expectError(consent, "recording");
    Bytes up = encodeMessage(VoiceUp{voiceFrameBytes()});
    up[2] |= 0x80;  // the frame's flags
    expectError(up, "voice flags");
    Bytes down = encodeMessage(VoiceDown{9, voiceFrameBytes()});
    down.resize(4 + voice::kHeaderBytes + 2);
    expectError(down, "voice payload");
}

// A voice frame with avatar entries riding along: every entry and the frame
// are checked as in AvatarBatch and VoiceDown, and a bad one rejects the
// whole message with the field named (the client counts it as malformed).
TEST(Messages, BadVoiceWithAvatarsIsRejectedNamingTheField) {
    AvatarEntry e;
    e.avatarId = 4;
    e.timeMs = 300;
    e.state = sampleState();
    const VoiceWithAvatars good{{e, e}, 9, voiceFrameBytes()};
    auto d = decodeMessage(encodeMessage(good));
    ASSERT_TRUE(d) << d.error().message;
    const auto& back = std::get<VoiceWithAvatars>(*d);
    ASSERT_EQ(back.entries.size(), 2u);
    EXPECT_EQ(back.speaker, 9);
    EXPECT_EQ(back.frame, voiceFrameBytes());
    EXPECT_LT(glm::length(back.entries[1].state.head.position - e.state.head.position), 0.001f);

    const RoomBounds small{Vec3(-5, -1, -5), Vec3(5, 3, 5)};
    auto expectError = [&](const Bytes& b, const char* field) {
        auto r = decodeMessage(b, small);
        ASSERT_FALSE(r) << field;
        EXPECT_EQ(r.error().code, ErrorCode::kProtocol);
        EXPECT_NE(r.error().message.find(field), std::string::npos) << r.error().message;
    };
    Bytes zero = encodeMessage(good);
    zero[2] = 0;
    expectError(zero, "voiceAvatars.count");
    Bytes tooMany = encodeMessage(good);
    tooMany[2] = 3;  // the frame's bytes read as a third entry: its flags byte is not a valid entry's
    EXPECT_FALSE(decodeMessage(tooMany));
    VoiceWithAvatars outside = good;
    outside.entries[1].state.head.position.x = 7.5f;  // inside the default room, outside this one
    EXPECT_TRUE(decodeMessage(encodeMessage(outside)));
    expectError(encodeMessage(outside), "avatar.head");
    Bytes badFrame = encodeMessage(good);
    badFrame[badFrame.size() - voiceFrameBytes().size()] |= 0x80;  // the frame's flags
    expectError(badFrame, "voice flags");
    Bytes shortFrame = encodeMessage(good);
    shortFrame.resize(shortFrame.size() - voiceFrameBytes().size() + voice::kHeaderBytes + 2);
    expectError(shortFrame, "voice payload");
}

TEST(Messages, WrongVersionIsNamed) {
    Bytes b = encodeMessage(Leave{});
    b[0] = 99;
    auto d = decodeMessage(b);
    ASSERT_FALSE(d);
    EXPECT_NE(d.error().message.find("version 99"), std::string::npos);
}

TEST(Messages, UnknownTypeIsNamed) {
    for (std::uint8_t t : {0, 4, 9, 17, 39, 42, 255}) {
        const Bytes b{kProtocolVersion, t};
        auto d = decodeMessage(b);
        ASSERT_FALSE(d);
        EXPECT_NE(d.error().message.find("unknown message type"), std::string::npos);
    }
    // Type 3 marked protocol 7's sealed frames: not a plain message.
    EXPECT_FALSE(decodeMessage(Bytes{kProtocolVersion, 3}));
}

TEST(Messages, OversizedIsRejected) {
    Bytes b(kMaxMessageBytes + 1, 0);
    b[0] = kProtocolVersion;
    b[1] = static_cast<std::uint8_t>(MessageType::kTicketGrant);
    auto d = decodeMessage(b);
    ASSERT_FALSE(d);
    EXPECT_NE(d.error().message.find("exceeds"), std::string::npos);
}

TEST(Messages, BadEnumsAreRejected) {
    Bytes role = encodeMessage(LoginOk{"Ada", Role::kMentor});
    role.back() = 9;
    auto a = decodeMessage(role);
    ASSERT_FALSE(a);
    EXPECT_NE(a.error().message.find("role"), std::string::npos);

    Bytes action = encodeMessage(Moderate{ModerationAction::kMute, 1});
    action[2] = 0;
    EXPECT_FALSE(decodeMessage(action));
    action[2] = static_cast<std::uint8_t>(ModerationAction::kUnlock) + 1;  // one past the last action
    EXPECT_FALSE(decodeMessage(action));
    action[2] = static_cast<std::uint8_t>(ModerationAction::kLock);
    EXPECT_TRUE(decodeMessage(action));

    Bytes code = encodeMessage(ErrorReply{ReplyCode::kRoomFull, "x"});
    code[2] = 200;
    EXPECT_FALSE(decodeMessage(code));
    code[2] = static_cast<std::uint8_t>(ReplyCode::kBusy) + 1;  // one past the last code
    EXPECT_FALSE(decodeMessage(code));

    Bytes flag = encodeMessage(CreateRoom{"demo", 4, false});
    flag.back() = 2;
    auto f = decodeMessage(flag);
    ASSERT_FALSE(f);
    EXPECT_NE(f.error().message.find("openDemo"), std::string::npos);

    AvatarUpdate u;
    u.entry.state = sampleState();
    Bytes av = encodeMessage(u);
    av[2 + 4] |= 0x80;  // flags byte
    auto g = decodeMessage(av);
    ASSERT_FALSE(g);
    EXPECT_NE(g.error().message.find("avatar.flags"), std::string::npos);
}

TEST(Messages, NonFiniteBoundsAreRejected) {
    Joined j;
    j.room = "demo";
    Bytes b = encodeMessage(j);
    // bounds.min.x follows version, type, room (1+4), avatarId (2), token (16).
    const std::size_t at = 2 + 5 + 2 + 16;
    const float nan = std::numeric_limits<float>::quiet_NaN();
    std::memcpy(&b[at], &nan, 4);
    auto d = decodeMessage(b);
    ASSERT_FALSE(d);
    EXPECT_NE(d.error().message.find("bounds.min.x"), std::string::npos);
}

TEST(Messages, BadNamesAreRejected) {
    Bytes b = encodeMessage(TicketRequest{"demo"});
    b[3] = '/';
    auto d = decodeMessage(b);
    ASSERT_FALSE(d);
    EXPECT_NE(d.error().message.find("room name"), std::string::npos);
    EXPECT_FALSE(validateRoomName(""));
    EXPECT_FALSE(validateRoomName(std::string(65, 'a')));
    EXPECT_TRUE(validateRoomName("Mentor-Room_1.a"));
    EXPECT_FALSE(validateDisplayName(std::string("a\tb")));
}

TEST(Messages, PresenceCountBeyondThePacketIsRejectedEarly) {
    Bytes b{kProtocolVersion, static_cast<std::uint8_t>(MessageType::kPresence), 0xff, 0xff};
    auto d = decodeMessage(b);
    ASSERT_FALSE(d);
    EXPECT_NE(d.error().message.find("presence.count"), std::string::npos);
}

TEST(Messages, AvatarBatchesStayUnderTheMtuBudgetAndKeepEveryEntry) {
    std::vector<AvatarEntry> entries(200);
    for (std::size_t i = 0; i < entries.size(); ++i) {
        entries[i].avatarId = static_cast<std::uint16_t>(i);
        entries[i].state = sampleState();
        entries[i].state.hasVelocity = true;  // as the host relays them
    }
    const auto packets = encodeAvatarBatches(entries);
    std::size_t seen = 0;
    for (const auto& p : packets) {
        EXPECT_LE(p.size(), kMaxAvatarBatchBytes);
        auto d = decodeMessage(p);
        ASSERT_TRUE(d) << d.error().message;
        for (const auto& e : std::get<AvatarBatch>(*d).entries) EXPECT_EQ(e.avatarId, seen++);
    }
    EXPECT_EQ(seen, entries.size());
    EXPECT_EQ(packets.size(), (200 * kAvatarEntryMaxBytes) / (kMaxAvatarBatchBytes - 3) + 1);
}

}  // namespace
}  // namespace mxr::net

namespace mxr::net {
namespace {

TEST(Messages, AnnotationMessagesKeepTheirContentAndAreRefusedByName) {
    const auto d = decodeMessage(encodeMessage(AnnotationChange{sampleAnnotation()}));
    ASSERT_TRUE(d) << d.error().message;
    EXPECT_EQ(std::get<AnnotationChange>(*d).op, sampleAnnotation());
    const auto j = decodeMessage(encodeMessage(everyMessage()[12]));
    ASSERT_TRUE(j);
    EXPECT_EQ(std::get<Joined>(*j).authorId, 3);
    EXPECT_TRUE(std::get<Joined>(*j).moderator);

    const auto error = [](const Message& m, std::size_t at, std::uint8_t value) {
        Bytes b = encodeMessage(m);
        b.at(at) = value;
        auto r = decodeMessage(b);
        return r ? std::string("accepted") : r.error().message;
    };
    // A change whose op is malformed is refused with the op's own field name.
    EXPECT_EQ(error(AnnotationChange{sampleAnnotation()}, 2, 9), "field 'op' has unknown value 9");
    // A piece past the total, an empty piece, a total beyond the limit.
    ASSERT_TRUE(decodeMessage(encodeMessage(AnnotationSnapshot{5, 3, Bytes{1, 2}})));
    Bytes over = encodeMessage(AnnotationSnapshot{5, 3, Bytes{1, 2}});
    over.push_back(3);
    auto refused = decodeMessage(over);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().message, "field 'snapshot.offset' 3 + 3 bytes runs past the total 5");
    Bytes huge = encodeMessage(AnnotationSnapshot{5, 0, Bytes{1}});
    huge[2] = 0xff; huge[3] = 0xff; huge[4] = 0xff; huge[5] = 0x0f;
    auto tooBig = decodeMessage(huge);
    ASSERT_FALSE(tooBig);
    EXPECT_NE(tooBig.error().message.find("field 'snapshot.total'"), std::string::npos);
    Bytes empty = encodeMessage(AnnotationSnapshot{5, 0, Bytes{1}});
    empty.pop_back();
    auto none = decodeMessage(empty);
    ASSERT_FALSE(none);
    EXPECT_NE(none.error().message.find("field 'snapshot.piece' is 0 bytes"), std::string::npos);
    // Joined without an author id is refused.
    Joined noAuthor = std::get<Joined>(everyMessage()[12]);
    noAuthor.authorId = 0;
    auto zero = decodeMessage(encodeMessage(noAuthor));
    ASSERT_FALSE(zero);
    EXPECT_EQ(zero.error().message, "field 'authorId' is zero");
}

}  // namespace
}  // namespace mxr::net
