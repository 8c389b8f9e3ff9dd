// Annotations between real clients and a real room host over ENet, through
// the impairment proxy (tools/impair: loss, delay, jitter, in process and
// pumped with the clients): every replica ends equal to every other, a late
// joiner gets the whole state, a reconnect loses nothing, the procedure
// step is shared, refusals name their reason. Nothing asserts on elapsed
// time; the late joiner's wait is printed as a figure.
#include <gtest/gtest.h>

#include <cstdio>

#include "impair_proxy.h"
#include "net/annotation_replica.h"
#include "room_fixture.h"

namespace mxr::net {
namespace {

class AnnotationSync : public RoomTest {
protected:
    void SetUp() override {
        m_auth.addAccount("mentor@x.org", "pw", Identity{"account:1", "Mentor", Role::kMentor});
        m_auth.addAccount("mentee@x.org", "pw", Identity{"account:2", "Mentee", Role::kMentee});
        m_auth.addAccount("late@x.org", "pw", Identity{"account:3", "Late", Role::kMentee});
    }
    void start(double loss, std::function<void(RoomHostConfig&)> tweak = {}) {
        startHost([&](RoomHostConfig& c) {
            c.policy = &m_policy;
            c.peerTimeoutMs = 1500;  // a dropped connection is ended sooner, so a resume gets in sooner
            if (tweak) tweak(c);
        });
        tools::ImpairProxyConfig pc;
        pc.targetPort = m_host->port();
        pc.upstream.loss = pc.downstream.loss = loss;
        pc.upstream.delay = pc.downstream.delay = msToNanos(40);
        pc.upstream.jitter = pc.downstream.jitter = msToNanos(20);  // reorders datagrams
        pc.upstream.seed = 7;
        pc.downstream.seed = 11;
        auto proxy = tools::ImpairProxy::create(pc, m_clock, Logger(m_sink, "impair"));
        ASSERT_TRUE(proxy) << proxy.error().message;
        m_proxy = std::move(*proxy);
    }

    struct Person {
        Client* client = nullptr;
        std::unique_ptr<AnnotationReplica> replica;
        std::size_t seen = 0;  // events fed to the replica
        std::optional<ProcedureStep> step;
        Nanos connectAt = 0;
        std::optional<Nanos> joinedAt, stateAt;
    };
    Person& join(Credentials who) {
        auto p = std::make_unique<Person>();
        p->connectAt = m_clock.now();
        p->client = &connect(std::move(who), "demo", [&](ClientConfig& c) { c.serverPort = m_proxy->port(); });
        ClientSession* session = p->client->session.get();
        p->replica = std::make_unique<AnnotationReplica>([session](const AnnotationOp& op) {
            session->sendAnnotation(op);
            return true;
        });
        m_people.push_back(std::move(p));
        return *m_people.back();
    }
    void TearDown() override {
        if (HasFailure()) {
            for (const auto& l : m_sink->lines()) std::printf("[%s] %s\n", l.module.c_str(), l.message.c_str());
            const auto st = m_host->stats();
            std::printf("host: malformed %llu\n", static_cast<unsigned long long>(st.malformed));
        }
        RoomTest::TearDown();
    }
    void feed() {
        for (auto& p : m_people) {
            auto& events = p->client->events;
            for (; p->seen < events.size(); ++p->seen) {
                const ClientEvent& e = events[p->seen];
                if (auto* j = std::get_if<JoinedEvent>(&e)) {
                    p->replica->setSelf(j->authorId, j->moderator);
                    if (!p->joinedAt) p->joinedAt = m_clock.now();
                } else if (auto* s = std::get_if<AnnotationSnapshotEvent>(&e)) {
                    p->replica->onSnapshot(s->state);
                    if (!p->stateAt) p->stateAt = m_clock.now();
                } else if (auto* c = std::get_if<AnnotationChangeEvent>(&e)) {
                    p->replica->onRelayed(c->op);
                } else if (auto* r = std::get_if<AnnotationRefusedEvent>(&e)) {
                    p->replica->onRefused(r->id, r->message);
                } else if (auto* st = std::get_if<ProcedureStepEvent>(&e)) {
                    p->step = st->step;
                }
            }
        }
    }
    // Pumps the proxy and the clients, feeding the replicas, until `done`.
    bool sync(const std::function<bool()>& done, double seconds = 30.0) {
        return pumpUntil(
            [&] {
                m_proxy->runFor(msToNanos(1));
                feed();
                return done();
            },
            seconds);
    }
    bool settled() {
        for (auto& p : m_people) {
            if (p->replica->self() == 0 || p->replica->pending() != 0) return false;
            if (!(p->replica->view() == m_people.front()->replica->view())) return false;
        }
        return true;
    }

    ListedModerators m_policy{{"account:1"}};
    std::unique_ptr<tools::ImpairProxy> m_proxy;
    std::vector<std::unique_ptr<Person>> m_people;
};

AnnotationValues arrowAt(float x, float z) {
    AnnotationValues v;
    v.position = Vec3(x, 1.0f, z);
    v.end = Vec3(x + 0.1f, 1.1f, z);
    return v;
}
AnnotationValues strokeAt(float x, std::size_t points) {
    AnnotationValues v;
    v.position = Vec3(x, 1.0f, -0.3f);
    for (std::size_t i = 0; i < points; ++i) {
        const float t = static_cast<float>(i) / static_cast<float>(points);
        v.points.push_back(Vec3(0.3f * t, 0.05f * std::sin(20.0f * t), 0.0f));
    }
    return v;
}

TEST_F(AnnotationSync, TwoClientsThroughALossyLinkALateJoinerAndAReconnectEndEqual) {
    start(0.1, [](RoomHostConfig& c) { c.annotationsPerSecond = 1000; c.annotationBurst = 1000; });
    Person& mentor = join(AccountLogin{"mentor@x.org", "pw"});
    Person& mentee = join(AccountLogin{"mentee@x.org", "pw"});
    ASSERT_TRUE(sync([&] { return mentor.replica->self() != 0 && mentee.replica->self() != 0; }));
    EXPECT_TRUE(mentor.replica->moderator());
    EXPECT_FALSE(mentee.replica->moderator());

    // 200 annotations with 5,000 points of ink between them, made by both
    // at once: the figure's room (issue 14 point 6).
    std::vector<AnnotationId> mentorIds, menteeIds;
    for (int i = 0; i < 100; ++i) {
        const float x = -0.6f + 0.012f * static_cast<float>(i);
        auto a = i % 4 == 0 ? mentor.replica->create(AnnotationKind::kInk, strokeAt(x, 50))
                            : mentor.replica->create(AnnotationKind::kArrow, arrowAt(x, -0.2f));
        ASSERT_TRUE(a) << a.error().message;
        mentorIds.push_back(*a);
        auto b = i % 4 == 0 ? mentee.replica->create(AnnotationKind::kInk, strokeAt(x, 150))
                            : mentee.replica->create(AnnotationKind::kArrow, arrowAt(x, 0.2f));
        ASSERT_TRUE(b) << b.error().message;
        menteeIds.push_back(*b);
        if (i % 10 == 0) sync([] { return false; }, 0.005);  // a little network time between bursts
    }
    ASSERT_TRUE(sync([&] { return settled(); })) << "mentor pending " << mentor.replica->pending()
                                                   << ", mentee pending " << mentee.replica->pending();
    EXPECT_EQ(mentor.replica->view().live().size(), 200u);
    EXPECT_EQ(mentor.replica->view().inkPoints(), 5000u);

    // A late joiner gets the whole state: 200 annotations, 5,000 points.
    Person& late = join(AccountLogin{"late@x.org", "pw"});
    ASSERT_TRUE(sync([&] { return late.stateAt && settled(); }));
    EXPECT_EQ(late.replica->view(), mentor.replica->view());
    const std::size_t snapshotBytes = encodeAnnotationSnapshot(late.replica->view()).size();
    std::printf("late joiner through 10%% loss, 40+/-20 ms each way: %zu annotations, %zu ink points, %zu bytes "
                "of state in %zu pieces; state %.0f ms after the connect began, %.0f ms after Joined\n",
                late.replica->view().live().size(), late.replica->view().inkPoints(), snapshotBytes,
                (snapshotBytes + kAnnotationSnapshotPieceBytes - 1) / kAnnotationSnapshotPieceBytes,
                nanosToSeconds(*late.stateAt - late.connectAt) * 1e3,
                nanosToSeconds(*late.stateAt - *late.joinedAt) * 1e3);

    // Concurrent changes to the same arrow: the mentee moves its head, the
    // mentor (a moderator) recolours it; both survive (per field). The
    // mentee may not touch the mentor's arrow: refused by the host... and
    // first by its own replica, which knows the mentee does not moderate.
    AnnotationValues head = arrowAt(0.0f, 0.25f);
    ASSERT_TRUE(mentee.replica->update(menteeIds[1], fieldBit(AnnotationField::kEnd), head));
    AnnotationValues blue;
    blue.colour = 5;
    ASSERT_TRUE(mentor.replica->update(menteeIds[1], fieldBit(AnnotationField::kColour), blue));
    auto notYours = mentee.replica->update(mentorIds[1], fieldBit(AnnotationField::kColour), blue);
    ASSERT_FALSE(notYours);
    EXPECT_EQ(notYours.error().code, ErrorCode::kPermissionDenied);
    ASSERT_TRUE(mentor.replica->remove(menteeIds[2]));
    mentor.client->session->setProcedureStep(9, 2);
    ASSERT_TRUE(sync([&] { return settled() && mentee.step && late.step && late.step->step == 2; }));
    const Annotation* changed = mentee.replica->view().find(menteeIds[1]);
    ASSERT_NE(changed, nullptr);
    EXPECT_EQ(changed->values.colour, 5);
    EXPECT_EQ(changed->values.end, head.end);
    EXPECT_EQ(mentee.replica->view().find(menteeIds[2]), nullptr);
    EXPECT_EQ(mentee.step->procedureId, 9u);
    EXPECT_EQ(mentee.step->by, mentor.client->session->avatarId());
    EXPECT_EQ(*late.step, *mentee.step);

    // The mentee's connection drops with changes on their way, and more
    // are made while it is away: once resumed, nothing is lost or doubled.
    const AuthorId menteeAuthor = mentee.replica->self();
    ASSERT_TRUE(mentee.replica->update(menteeIds[3], fieldBit(AnnotationField::kPosition), arrowAt(0.5f, 0.5f)));
    mentee.client->session->simulateConnectionLoss();
    auto away = mentee.replica->create(AnnotationKind::kMarker, [] {
        AnnotationValues m;
        m.position = Vec3(0.3f, 1.0f, 0.0f);
        m.number = 4;
        return m;
    }());
    ASSERT_TRUE(away);
    ASSERT_TRUE(mentee.replica->remove(menteeIds[5]));
    ASSERT_TRUE(sync([&] {
        const auto* j = mentee.client->last<JoinedEvent>();
        return j && j->resumed && settled();
    }));
    EXPECT_EQ(mentee.replica->self(), menteeAuthor);
    for (auto* p : {&mentor, &late}) {
        EXPECT_NE(p->replica->view().find(*away), nullptr);
        EXPECT_EQ(p->replica->view().find(menteeIds[5]), nullptr);
        EXPECT_EQ(p->replica->view().find(menteeIds[3])->values.position, Vec3(0.5f, 1.0f, 0.5f));
    }
    EXPECT_EQ(late.replica->view(), mentee.replica->view());
    EXPECT_GT(m_proxy->stats().dropped, 0u);  // the link really lost datagrams
}

TEST_F(AnnotationSync, APersonWhoRejoinsKeepsTheirAuthorIdAndTheirAnnotations) {
    start(0.0);
    Person& mentor = join(AccountLogin{"mentor@x.org", "pw"});
    Person& mentee = join(AccountLogin{"mentee@x.org", "pw"});
    ASSERT_TRUE(sync([&] { return mentor.replica->self() != 0 && mentee.replica->self() != 0; }));
    auto id = mentee.replica->create(AnnotationKind::kArrow, arrowAt(0.0f, 0.0f));
    ASSERT_TRUE(id);
    ASSERT_TRUE(sync([&] { return settled(); }));
    mentor.client->session->setProcedureStep(3, 1);
    ASSERT_TRUE(sync([&] { return mentee.step.has_value(); }));
    const AuthorId before = mentee.replica->self();
    const std::uint16_t avatarBefore = mentee.client->session->avatarId();
    mentee.client->session->leave();
    Person& again = join(AccountLogin{"mentee@x.org", "pw"});
    ASSERT_TRUE(sync([&] { return again.stateAt && again.step; }));
    EXPECT_EQ(*again.step, (ProcedureStep{3, 1, mentor.client->session->avatarId()}));  // kept by the host, sent on join
    EXPECT_NE(again.client->session->avatarId(), avatarBefore);  // a new avatar...
    EXPECT_EQ(again.replica->self(), before);                     // ...the same author
    m_people.erase(m_people.begin() + 1);                         // the one that left
    // Not a moderator, yet still the author of the arrow.
    ASSERT_TRUE(again.replica->update(*id, fieldBit(AnnotationField::kPosition), arrowAt(0.4f, 0.0f)));
    auto next = again.replica->create(AnnotationKind::kArrow, arrowAt(0.2f, 0.0f));
    ASSERT_TRUE(next);
    EXPECT_EQ(serialOf(*next), 2);  // numbering goes on after the first
    ASSERT_TRUE(sync([&] { return settled(); }));
    EXPECT_EQ(mentor.replica->view().find(*id)->values.position, Vec3(0.4f, 1.0f, 0.0f));
    EXPECT_TRUE(again.replica->takeRefusals().empty());
}

TEST_F(AnnotationSync, TooManyChangesAreRefusedNamingTheRateAndTheViewFollowsTheHost) {
    start(0.0, [](RoomHostConfig& c) { c.annotationsPerSecond = 1; c.annotationBurst = 5; });
    Person& mentee = join(AccountLogin{"mentee@x.org", "pw"});
    Person& mentor = join(AccountLogin{"mentor@x.org", "pw"});
    ASSERT_TRUE(sync([&] { return mentor.replica->self() != 0 && mentee.replica->self() != 0; }));
    for (int i = 0; i < 12; ++i) ASSERT_TRUE(mentee.replica->create(AnnotationKind::kArrow, arrowAt(0.01f * i, 0)));
    ASSERT_TRUE(sync([&] { return settled(); }));
    const std::size_t kept = mentor.replica->view().live().size();
    EXPECT_GE(kept, 5u);
    EXPECT_LT(kept, 12u);
    const auto refusals = mentee.replica->takeRefusals();
    ASSERT_EQ(refusals.size(), 12u - kept);
    EXPECT_EQ(refusals[0], "annotations: more than 1 changes a second; slow down");
    EXPECT_EQ(mentee.replica->view(), mentor.replica->view());
    // Procedure steps draw on the same bucket, which is (nearly: it refills
    // one a second) empty.
    for (std::uint16_t step = 1; step <= 6; ++step) mentee.client->session->setProcedureStep(5, step);
    ASSERT_TRUE(sync([&] { return mentee.client->last<NoticeEvent>() != nullptr; }));
    EXPECT_EQ(mentee.client->last<NoticeEvent>()->message, "procedure step: more than 1 changes a second; slow down");
}

}  // namespace
}  // namespace mxr::net
