#pragma once
// A client's copy of its room's annotations: what the host confirmed plus
// this client's own changes still on their way (net/README "Annotations").
//
// The host is the authority: it applies each change it receives, relays
// every accepted one to every member of the room, the sender included, in
// one order on the reliable events channel, and answers a refused one with
// AnnotationRefused to the sender alone, on the same channel. So each of
// this client's changes comes back exactly once, as an echo or a refusal,
// in the order it was sent; the replica keeps the changes not yet answered
// ("pending") and shows confirmed + pending (view()), so a person sees
// their own change at once.
//
// - A local change (create/update/remove) is checked against view() as the
//   host would check it (authority, limits, values), applied to the view
//   and handed to the sender callback; a refused one changes nothing and is
//   not sent.
// - onRelayed(): an accepted change from the host (ours or anyone's).
// - onRefused(): the host refused our oldest pending change: it is dropped
//   and the host's text kept for the UI (takeRefusals()).
// - onSnapshot(): the room's whole state (on join and on every resume):
//   it replaces the confirmed state; pending changes the snapshot already
//   holds (the host applied them before the connection dropped) are
//   dropped, the others are sent again in order.
// - Offline (no room): setSelf(author, true) and no sender: local changes
//   are confirmed at once.
//
// Thread: one thread (the client's main thread).
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "net/annotations.h"

namespace mxr::net {

class AnnotationReplica {
public:
    // `send` carries a local change to the host (false: it could not be
    // queued, and the change is undone and refused); empty: offline.
    using Sender = std::function<bool(const AnnotationOp&)>;
    explicit AnnotationReplica(Sender send = {});

    // Who this client is in the room (Joined: authorId, moderator). Before
    // it is set (author 0) local changes are refused ("not in a room yet").
    void setSelf(AuthorId author, bool moderator);
    AuthorId self() const { return m_self; }
    bool moderator() const { return m_moderator; }

    // Local changes. create() fills the id and stamp and returns the id;
    // `fields` of update() name what changes (values outside it ignored).
    Result<AnnotationId> create(AnnotationKind kind, const AnnotationValues& values, std::uint32_t step = 0);
    Result<void> update(AnnotationId id, FieldMask fields, const AnnotationValues& values);
    Result<void> remove(AnnotationId id);
    // May this client change `id` (its own, or any as a moderator)?
    bool mayChange(AnnotationId id) const;

    // From the host.
    void onRelayed(const AnnotationOp& op);
    void onRefused(AnnotationId id, std::string message);
    void onSnapshot(AnnotationState confirmed);

    // What to draw: confirmed + pending.
    const AnnotationState& view() const { return m_view; }
    const AnnotationState& confirmed() const { return m_confirmed; }
    std::size_t pending() const { return m_pending.size(); }
    // Bumped whenever view() changes (render caches compare it).
    std::uint64_t revision() const { return m_revision; }
    // The host's refusals since the last call ("annotation 2:3: the room
    // has 500 annotations, the most it keeps").
    std::vector<std::string> takeRefusals();

private:
    Result<void> local(AnnotationOp op);
    void rebuildView();
    bool holds(const AnnotationState& state, const AnnotationOp& op) const;

    Sender m_send;
    AuthorId m_self = 0;
    bool m_moderator = false;
    AnnotationState m_confirmed;
    AnnotationState m_view;
    std::deque<AnnotationOp> m_pending;
    std::vector<std::string> m_refusals;
    std::uint64_t m_revision = 0;
};

}  // namespace mxr::net
