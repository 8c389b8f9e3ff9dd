// The client's replica of a room's annotations (net/annotation_replica.h)
// against a host simulated by a plain AnnotationState applying in arrival
// order, as RoomHost does; and the snapshot's pieces (room_annotations.h).
#include "net/annotation_replica.h"

#include <gtest/gtest.h>

#include <deque>

#include "room_annotations.h"

namespace mxr::net::replica_test {
namespace {

AnnotationValues arrowAt(float x) {
    AnnotationValues v;
    v.position = Vec3(x, 1.0f, 0.0f);
    v.end = Vec3(x, 1.0f, -0.3f);
    return v;
}

// A host as RoomHost behaves: applies in arrival order with the member's
// author id, relays accepted changes to every member and refuses to the
// sender alone. Delivery is explicit so tests choose when things arrive.
struct FakeHost {
    AnnotationState state;
    std::set<AuthorId> moderators;
    struct Client {
        AnnotationReplica* replica = nullptr;
        AuthorId author = 0;
        std::deque<AnnotationOp> outbox;   // sent, not yet at the host
        bool connected = true;
    };
    std::vector<Client> clients;

    AnnotationReplica::Sender senderFor(std::size_t i) {
        return [this, i](const AnnotationOp& op) {
            if (clients[i].connected) clients[i].outbox.push_back(op);
            return true;
        };
    }
    // Everything sent reaches the host and its answers reach the clients.
    void deliver() {
        for (std::size_t i = 0; i < clients.size(); ++i) {
            while (!clients[i].outbox.empty()) {
                const AnnotationOp op = clients[i].outbox.front();
                clients[i].outbox.pop_front();
                auto r = state.apply(op, {clients[i].author, moderators.count(clients[i].author) > 0});
                if (!r) {
                    clients[i].replica->onRefused(op.id, r.error().message);
                    continue;
                }
                for (auto& c : clients) {
                    if (c.connected) c.replica->onRelayed(op);
                }
            }
        }
    }
};

// Ada (author 1) and Ben (author 2) in one room behind a FakeHost.
struct Room {
    FakeHost host;
    AnnotationReplica ada{host.senderFor(0)};
    AnnotationReplica ben{host.senderFor(1)};
    explicit Room(bool benModerates = false) {
        host.clients = {{&ada, 1}, {&ben, 2}};
        ada.setSelf(1, false);
        ben.setSelf(2, benModerates);
    }
};

TEST(AnnotationReplica, OwnChangesShowAtOnceAndAreConfirmedByTheEcho) {
    Room room;
    auto& [host, ada, ben] = room;
    auto id = ada.create(AnnotationKind::kArrow, arrowAt(0.1f));
    ASSERT_TRUE(id) << id.error().message;
    EXPECT_EQ(*id, makeAnnotationId(1, 1));
    ASSERT_NE(ada.view().find(*id), nullptr);  // shown before the host answers
    EXPECT_EQ(ada.pending(), 1u);
    EXPECT_EQ(ben.view().find(*id), nullptr);
    host.deliver();
    EXPECT_EQ(ada.pending(), 0u);
    EXPECT_EQ(ada.view(), host.state);
    EXPECT_EQ(ben.view(), host.state);
    // Ben may not change Ada's arrow: refused here, nothing sent.
    AnnotationValues red;
    red.colour = 6;
    auto refused = ben.update(*id, fieldBit(AnnotationField::kColour), red);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, ErrorCode::kPermissionDenied);
    EXPECT_TRUE(host.clients[1].outbox.empty());
    EXPECT_FALSE(ben.mayChange(*id));
    EXPECT_TRUE(ada.mayChange(*id));
}

TEST(AnnotationReplica, AHostRefusalUndoesTheChangeAndKeepsTheReason) {
    Room room(true);  // Ben believes he moderates; the host does not agree
    auto& [host, ada, ben] = room;
    auto id = ada.create(AnnotationKind::kArrow, arrowAt(0.1f));
    host.deliver();
    AnnotationValues red;
    red.colour = 6;
    ASSERT_TRUE(ben.update(*id, fieldBit(AnnotationField::kColour), red));
    EXPECT_EQ(ben.view().find(*id)->values.colour, 6);
    host.deliver();
    EXPECT_EQ(ben.pending(), 0u);
    EXPECT_EQ(ben.view().find(*id)->values.colour, kDefaultAnnotationColour);  // undone
    const auto why = ben.takeRefusals();
    ASSERT_EQ(why.size(), 1u);
    EXPECT_NE(why[0].find("annotation 1:1"), std::string::npos) << why[0];
    EXPECT_EQ(ben.view(), host.state);
}

TEST(AnnotationReplica, ConcurrentChangesConvergeOnTheHostsOrder) {
    Room room(true);
    auto& [host, ada, ben] = room;
    host.moderators = {2};
    auto id = ada.create(AnnotationKind::kArrow, arrowAt(0.1f));
    host.deliver();
    // Both change the same arrow before seeing each other's change: Ada
    // moves it, Ben (a moderator) recolours it and moves it elsewhere.
    ASSERT_TRUE(ada.update(*id, fieldBit(AnnotationField::kPosition), arrowAt(0.5f)));
    AnnotationValues v = arrowAt(0.9f);
    v.colour = 3;
    ASSERT_TRUE(ben.update(*id, fieldBit(AnnotationField::kColour) | fieldBit(AnnotationField::kPosition), v));
    auto mine = ada.create(AnnotationKind::kMarker, [] {
        AnnotationValues m;
        m.position = Vec3(0.2f, 1.0f, 0.0f);
        m.number = 1;
        return m;
    }());
    ASSERT_TRUE(mine);
    host.deliver();
    EXPECT_EQ(ada.pending(), 0u);
    EXPECT_EQ(ben.pending(), 0u);
    EXPECT_EQ(ada.view(), host.state);
    EXPECT_EQ(ben.view(), host.state);
    // Equal stamps' counters: the writer breaks the tie (Ben, 2, wins).
    EXPECT_EQ(host.state.find(*id)->values.colour, 3);
    EXPECT_EQ(host.state.find(*id)->values.position, Vec3(0.9f, 1.0f, 0.0f));
}

TEST(AnnotationReplica, AfterAReconnectTheSnapshotKeepsWhatArrivedAndTheRestIsSentAgain) {
    Room room;
    auto& [host, ada, ben] = room;
    auto a1 = ada.create(AnnotationKind::kArrow, arrowAt(0.1f));
    auto a2 = ada.create(AnnotationKind::kArrow, arrowAt(0.2f));
    // The host applies both, but the connection drops before the echoes.
    host.clients[0].connected = false;
    {
        auto& out = host.clients[0].outbox;
        for (const auto& op : out) ASSERT_TRUE(host.state.apply(op, {1, false}));
        out.clear();
    }
    // While away Ada deletes one and draws another (the session drops
    // them: not in a room).
    ASSERT_TRUE(ada.remove(*a1));
    auto a3 = ada.create(AnnotationKind::kArrow, arrowAt(0.3f));
    ASSERT_TRUE(a3);
    EXPECT_EQ(ada.pending(), 4u);
    // Resumed: the host's snapshot holds the first two; the other two are sent again.
    host.clients[0].connected = true;
    ada.onSnapshot(host.state);
    EXPECT_EQ(ada.pending(), 2u);
    ASSERT_EQ(host.clients[0].outbox.size(), 2u);
    host.deliver();
    EXPECT_EQ(ada.pending(), 0u);
    EXPECT_TRUE(host.state.isDeleted(*a1));
    EXPECT_NE(host.state.find(*a2), nullptr);
    EXPECT_NE(host.state.find(*a3), nullptr);
    EXPECT_EQ(ada.view(), host.state);
    ben.onSnapshot(host.state);
    EXPECT_EQ(ben.view(), host.state);
}

TEST(AnnotationReplica, OfflineChangesAreConfirmedAtOnce) {
    AnnotationReplica solo;
    EXPECT_FALSE(solo.create(AnnotationKind::kArrow, arrowAt(0.0f)));  // not in a room yet
    solo.setSelf(1, true);
    auto id = solo.create(AnnotationKind::kArrow, arrowAt(0.0f));
    ASSERT_TRUE(id);
    EXPECT_EQ(solo.pending(), 0u);
    EXPECT_EQ(solo.view(), solo.confirmed());
    const auto before = solo.revision();
    ASSERT_TRUE(solo.remove(*id));
    EXPECT_GT(solo.revision(), before);
    EXPECT_TRUE(solo.view().live().empty());
}

TEST(AnnotationReplica, AFullCommandQueueRefusesTheChange) {
    AnnotationReplica r([](const AnnotationOp&) { return false; });
    r.setSelf(1, false);
    auto id = r.create(AnnotationKind::kArrow, arrowAt(0.0f));
    ASSERT_FALSE(id);
    EXPECT_EQ(id.error().message, "annotations: the connection is busy; try again");
    EXPECT_TRUE(r.view().live().empty());
    EXPECT_EQ(r.pending(), 0u);
}

TEST(AnnotationSnapshotPieces, SplitAndAssembledInOrderElseRefused) {
    Bytes big(30'000);
    for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<std::uint8_t>(i * 7);
    const auto pieces = splitAnnotationSnapshot(big);
    ASSERT_EQ(pieces.size(), 3u);
    for (const auto& p : pieces) {
        EXPECT_LE(p.piece.size(), kAnnotationSnapshotPieceBytes);
        auto d = decodeMessage(encodeMessage(p));  // each is a valid message
        ASSERT_TRUE(d) << d.error().message;
    }
    SnapshotAssembler a;
    EXPECT_FALSE(a.add(pieces[0])->has_value());
    EXPECT_FALSE(a.add(pieces[1])->has_value());
    auto whole = a.add(pieces[2]);
    ASSERT_TRUE(whole && *whole);
    EXPECT_EQ(**whole, big);
    // A missing piece is named; a new snapshot starts over cleanly.
    ASSERT_TRUE(a.add(pieces[0]));
    auto gap = a.add(pieces[2]);
    ASSERT_FALSE(gap);
    EXPECT_EQ(gap.error().message,
              "annotation snapshot piece at 24576 of 30000 does not follow the 12288 bytes received");
    ASSERT_TRUE(a.add(pieces[0]));
    ASSERT_TRUE(a.add(pieces[1]));
    EXPECT_EQ(**a.add(pieces[2]), big);
}

TEST(RoomAnnotations, AnAccountKeepsItsAuthorIdAGuestGetsANewOne) {
    RoomAnnotations room;
    const AuthorId ada = room.authorFor("account:1");
    const AuthorId guest = room.authorFor("");
    EXPECT_NE(ada, 0);
    EXPECT_NE(guest, ada);
    EXPECT_EQ(room.authorFor("account:1"), ada);  // rejoined
    EXPECT_NE(room.authorFor(""), guest);
}

}  // namespace
}  // namespace mxr::net::replica_test
