#pragma once
// Who moderates a room. The room host enforces moderation (mute, remove for
// the room's lifetime, lock) but holds no rule about who may do it: it asks
// a RoomPolicy, which the session server implements in its access layer
// (a mentorship room: its mentors and its program's managers; a named room:
// the person who created it through the API; every room: administrators).
//
// Thread: called on the host's network thread, so an implementation must
// answer from memory and never wait for a disk or a lock held for long
// (the session server decides when it issues each ticket, and remembers).
// Must outlive the host.
#include <string_view>

#include "net/authenticator.h"

namespace mxr::net {

class RoomPolicy {
public:
    virtual ~RoomPolicy() = default;
    // May `who` mute, remove and lock in `room`? Moderators may also join
    // the room while it is locked, and cannot be muted or removed by
    // another moderator.
    virtual bool mayModerate(const Identity& who, std::string_view room) = 0;
    // May `who` create `room` with a CreateRoom message? (The session
    // server says no: rooms are created through its API.)
    virtual bool mayCreateRoom(const Identity& who, std::string_view room) = 0;
};

// For tests and the standalone tools/roomhost: the listed subjects moderate
// every room and may create rooms. Thread-safe after construction.
class ListedModerators final : public RoomPolicy {
public:
    explicit ListedModerators(std::vector<std::string> subjects) : m_subjects(std::move(subjects)) {}
    bool mayModerate(const Identity& who, std::string_view) override {
        for (const auto& s : m_subjects) {
            if (s == who.subject) return true;
        }
        return false;
    }
    bool mayCreateRoom(const Identity& who, std::string_view room) override { return mayModerate(who, room); }

private:
    std::vector<std::string> m_subjects;
};

}  // namespace mxr::net
