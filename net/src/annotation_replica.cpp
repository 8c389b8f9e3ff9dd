#include "net/annotation_replica.h"

#include <algorithm>

#include "engine/core/text.h"

namespace mxr::net {

AnnotationReplica::AnnotationReplica(Sender send) : m_send(std::move(send)) {}

void AnnotationReplica::setSelf(AuthorId author, bool moderator) {
    m_self = author;
    m_moderator = moderator;
}

Result<AnnotationId> AnnotationReplica::create(AnnotationKind kind, const AnnotationValues& values,
                                               std::uint32_t step) {
    if (m_self == 0) return makeError(ErrorCode::kUnavailable, "annotations: not in a room yet");
    MXR_TRY_ASSIGN(auto id, m_view.nextId(m_self));
    AnnotationOp op;
    op.type = AnnotationOpType::kCreate;
    op.id = id;
    op.kind = kind;
    op.fields = fieldsOf(kind);
    op.values = values;
    op.values.step = step;
    if (step != 0) op.fields |= fieldBit(AnnotationField::kStep);
    MXR_TRY(local(std::move(op)));
    return id;
}

Result<void> AnnotationReplica::update(AnnotationId id, FieldMask fields, const AnnotationValues& values) {
    if (m_self == 0) return makeError(ErrorCode::kUnavailable, "annotations: not in a room yet");
    AnnotationOp op;
    op.type = AnnotationOpType::kUpdate;
    op.id = id;
    op.fields = fields;
    op.values = values;
    return local(std::move(op));
}

Result<void> AnnotationReplica::remove(AnnotationId id) {
    if (m_self == 0) return makeError(ErrorCode::kUnavailable, "annotations: not in a room yet");
    AnnotationOp op;
    op.type = AnnotationOpType::kDelete;
    op.id = id;
    return local(std::move(op));
}

bool AnnotationReplica::mayChange(AnnotationId id) const {
    return m_self != 0 && (m_moderator || authorOf(id) == m_self) && m_view.find(id) != nullptr;
}

Result<void> AnnotationReplica::local(AnnotationOp op) {
    // The stamp is taken from a copy of the clock: a refused change must
    // not move it (nextStamp() advances it).
    const AnnotationActor actor{m_self, m_moderator};
    op.stamp = Stamp{m_view.clock() + 1, m_self};
    MXR_TRY(m_view.apply(op, actor));
    ++m_revision;
    if (!m_send) {
        // Offline: nobody else confirms.
        return m_confirmed.apply(op, actor);
    }
    m_pending.push_back(op);
    if (!m_send(op)) {
        m_pending.pop_back();
        rebuildView();
        return makeError(ErrorCode::kLimit, "annotations: the connection is busy; try again");
    }
    return {};
}

void AnnotationReplica::onRelayed(const AnnotationOp& op) {
    const AnnotationActor host{op.stamp.writer, true};
    const bool ours = !m_pending.empty() && m_pending.front().id == op.id && m_pending.front().stamp == op.stamp &&
                      m_pending.front().type == op.type;
    if (ours) m_pending.pop_front();  // answered, whatever follows
    if (!m_confirmed.apply(op, host)) {
        // The host applied it; a replica that cannot is out of step (it
        // missed a snapshot): keep what it has, the next snapshot repairs it.
        if (ours) rebuildView();
        return;
    }
    if (ours) return;  // our own change, confirmed: the view has it already
    // With nothing pending the view equals the confirmed state and takes the
    // same change; with changes pending it takes it too unless a limit now
    // falls differently, when it is rebuilt from the confirmed state.
    if (m_view.apply(op, host)) {
        ++m_revision;
        return;
    }
    rebuildView();
}

void AnnotationReplica::onRefused(AnnotationId id, std::string message) {
    const auto it = std::find_if(m_pending.begin(), m_pending.end(), [&](const AnnotationOp& p) { return p.id == id; });
    if (it != m_pending.end()) m_pending.erase(it);
    m_refusals.push_back(std::move(message));
    rebuildView();
}

bool AnnotationReplica::holds(const AnnotationState& state, const AnnotationOp& op) const {
    switch (op.type) {
        case AnnotationOpType::kCreate: return state.find(op.id) != nullptr || state.isDeleted(op.id);
        case AnnotationOpType::kDelete: return state.isDeleted(op.id);
        case AnnotationOpType::kUpdate: {
            if (state.isDeleted(op.id)) return true;
            const Annotation* a = state.find(op.id);
            if (a == nullptr) return false;
            for (std::size_t f = 0; f < kAnnotationFieldCount; ++f) {
                if ((op.fields & (1u << f)) != 0 && a->stamps[f] < op.stamp) return false;
            }
            return true;
        }
    }
    return false;
}

void AnnotationReplica::onSnapshot(AnnotationState confirmed) {
    m_confirmed = std::move(confirmed);
    std::deque<AnnotationOp> resend;
    for (auto& op : m_pending) {
        if (!holds(m_confirmed, op)) resend.push_back(std::move(op));
    }
    m_pending.clear();
    for (auto& op : resend) {
        if (m_send && m_send(op)) {
            m_pending.push_back(std::move(op));
        } else {
            m_refusals.push_back(strCat("annotation ", authorOf(op.id), ":", serialOf(op.id),
                                        ": not sent again after the reconnect (the connection is busy)"));
        }
    }
    rebuildView();
}

void AnnotationReplica::rebuildView() {
    m_view = m_confirmed;
    const AnnotationActor self{m_self, m_moderator};
    for (const auto& op : m_pending) {
        // A pending change the confirmed state no longer allows (its
        // annotation was deleted meanwhile) is left out of the view; the
        // host will refuse it too.
        const auto shown = m_view.apply(op, self);
        (void)shown;
    }
    ++m_revision;
}

std::vector<std::string> AnnotationReplica::takeRefusals() {
    std::vector<std::string> out;
    out.swap(m_refusals);
    return out;
}

}  // namespace mxr::net
