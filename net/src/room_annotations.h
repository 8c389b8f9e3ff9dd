#pragma once
// What a room keeps of its shared workspace while it lives (room_host.cpp):
// the annotations (annotations.h), who is which author, and the procedure
// step the room is on. The host feeds it checked operations and relays what
// it returns; see net/README "Annotations" for the protocol.
//
// Thread: the host's network thread.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "net/annotations.h"
#include "net/messages.h"

namespace mxr::net {

class RoomAnnotations {
public:
    // The author id for a person: an account keeps one for the room's life
    // (`subject`), a guest gets a new one per join (empty subject). 0 when
    // the room has handed out all 65,535.
    AuthorId authorFor(const std::string& subject);

    // Applies a member's change; on success the encoded AnnotationChange to
    // relay to every member, else the refusal for the sender alone.
    Result<Bytes> apply(const AnnotationOp& op, const AnnotationActor& actor);

    // The state as AnnotationSnapshot messages, in order (encoded).
    std::vector<Bytes> snapshotMessages() const;

    const AnnotationState& state() const { return m_state; }
    std::optional<ProcedureStep> step;

private:
    AnnotationState m_state;
    std::map<std::string, AuthorId> m_authors;
    std::uint32_t m_nextAuthor = 1;
};

// The AnnotationSnapshot messages of `snapshot` (encodeAnnotationSnapshot
// bytes): pieces of at most kAnnotationSnapshotPieceBytes.
std::vector<AnnotationSnapshot> splitAnnotationSnapshot(const Bytes& snapshot);

// Puts a snapshot back together from its pieces, for the client session.
class SnapshotAssembler {
public:
    // The whole snapshot once its last piece arrived; an empty optional
    // while pieces are missing; a kProtocol error for a piece out of order
    // (the assembler starts over).
    Result<std::optional<Bytes>> add(const AnnotationSnapshot& piece);

private:
    Bytes m_bytes;
    std::uint32_t m_total = 0;
};

}  // namespace mxr::net
