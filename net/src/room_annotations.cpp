#include "room_annotations.h"

#include "engine/core/text.h"

namespace mxr::net {

AuthorId RoomAnnotations::authorFor(const std::string& subject) {
    if (!subject.empty()) {
        if (auto it = m_authors.find(subject); it != m_authors.end()) return it->second;
    }
    if (m_nextAuthor > 0xffff) return 0;
    const auto id = static_cast<AuthorId>(m_nextAuthor++);
    if (!subject.empty()) m_authors.emplace(subject, id);
    return id;
}

Result<Bytes> RoomAnnotations::apply(const AnnotationOp& op, const AnnotationActor& actor) {
    if (actor.id == 0) {
        return makeError(ErrorCode::kLimit, "annotations: this room has no author ids left for you");
    }
    MXR_TRY(m_state.apply(op, actor));
    return encodeMessage(AnnotationChange{op});
}

std::vector<Bytes> RoomAnnotations::snapshotMessages() const {
    std::vector<Bytes> out;
    for (const auto& piece : splitAnnotationSnapshot(encodeAnnotationSnapshot(m_state))) {
        out.push_back(encodeMessage(piece));
    }
    return out;
}

std::vector<AnnotationSnapshot> splitAnnotationSnapshot(const Bytes& snapshot) {
    std::vector<AnnotationSnapshot> out;
    const auto total = static_cast<std::uint32_t>(snapshot.size());
    for (std::size_t at = 0; at < snapshot.size(); at += kAnnotationSnapshotPieceBytes) {
        const std::size_t n = std::min(kAnnotationSnapshotPieceBytes, snapshot.size() - at);
        AnnotationSnapshot piece{total, static_cast<std::uint32_t>(at), {}};
        piece.piece.assign(snapshot.begin() + static_cast<std::ptrdiff_t>(at),
                           snapshot.begin() + static_cast<std::ptrdiff_t>(at + n));
        out.push_back(std::move(piece));
    }
    return out;
}

Result<std::optional<Bytes>> SnapshotAssembler::add(const AnnotationSnapshot& piece) {
    if (piece.offset == 0) {
        m_bytes.clear();
        m_total = piece.total;
    }
    if (piece.total != m_total || piece.offset != m_bytes.size()) {
        const std::size_t had = m_bytes.size();
        m_bytes.clear();
        m_total = 0;
        return tl::unexpected(protocolError(strCat("annotation snapshot piece at ", piece.offset, " of ", piece.total,
                                                   " does not follow the ", had, " bytes received")));
    }
    m_bytes.insert(m_bytes.end(), piece.piece.begin(), piece.piece.end());
    if (m_bytes.size() < m_total) return std::optional<Bytes>{};
    m_total = 0;
    return std::optional<Bytes>{std::move(m_bytes)};
}

}  // namespace mxr::net
