#pragma once
// How the room host learns who someone is. The session server implements
// Authenticator over its accounts store (the same accounts and tokens as the
// HTTP API) and its ticket issuing (POST /api/v1/rooms/{name}/ticket);
// tests and bots use TestAuthenticator.
//
// Thread: RoomHost calls these on its auth threads (RoomHostConfig::
// authThreads), several at once, never on its network thread: an
// implementation must be thread-safe. A call may take a while (argon2id,
// a records read); it delays only that connection's answer, not the
// rooms' relay. Bound your own costly work (the session server's
// PasswordHasher hashes at most --hash-concurrency passwords at once).
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "engine/core/result.h"
#include "net/messages.h"
#include "net/ticket.h"

namespace mxr::net {

struct Identity {
    std::string subject;      // account id; "guest:NAME" for guests
    std::string displayName;
    Role role = Role::kGuest;
    // The account's credential generation when this identity was verified
    // (login, token): the session server bumps it on a password change, a
    // role change and erasure, and refuses tickets and records to an
    // identity whose generation is no longer current. 0 where the
    // authenticator keeps none (guests, tickets, TestAuthenticator).
    std::uint64_t credentialGeneration = 0;
};

class Authenticator {
public:
    virtual ~Authenticator() = default;
    // kPermissionDenied when the email or password is wrong (without saying which).
    virtual Result<Identity> login(std::string_view email, std::string_view password) = 0;
    // The same, knowing the peer's address ("IP:port" of the UDP peer) so
    // failed logins can be throttled per address as over HTTP. RoomHost
    // calls this one; the default forwards to login().
    virtual Result<Identity> loginFrom(std::string_view email, std::string_view password, std::string_view address) {
        (void)address;
        return login(email, password);
    }
    // A bearer token from the HTTP API's login.
    virtual Result<Identity> verifyToken(std::string_view token) = 0;
    // A signed room ticket (signTicket) for `who` (an identity from login()
    // or verifyToken() on this connection) to join `room`, after the
    // server's access control; kPermissionDenied or kNotFound otherwise
    // (also when `who.credentialGeneration` is no longer current).
    virtual Result<Bytes> issueTicket(const Identity& who, std::string_view room) = 0;
};

// Receives room presence changes so the session server can record sessions
// (started_at, ended_at, attendees). Called on the host's network thread.
class RoomObserver {
public:
    virtual ~RoomObserver() = default;
    virtual void onMemberJoined(const std::string& room, const Identity& who, std::uint16_t avatarId,
                                std::int64_t unixTime) = 0;
    // reason: "left", "removed", "timed out". unixTime: when the member was
    // last in the room: now, or for a member whose connection was lost and
    // who did not resume in time, when the connection was lost.
    virtual void onMemberLeft(const std::string& room, const Identity& who, std::uint16_t avatarId,
                              std::int64_t unixTime, std::string_view reason) = 0;
};

// Answers records requests (ApiRequest, records over ENet) for an identity
// that logged in on that connection (login() or verifyToken(); never one
// that only presented a ticket or a resume token); the session server
// routes them to the same handlers as HTTP and answers 401 when
// `who.credentialGeneration` is no longer current.
// Called on the host's network thread, which must never wait for a disk:
// hand the work to another thread and call `reply` exactly once, from any
// thread (it is thread-safe and stays valid after the host is gone).
class ApiGateway {
public:
    using Reply = std::function<void(ApiResponse)>;
    virtual ~ApiGateway() = default;
    virtual void onApiRequest(const Identity& who, ApiRequest request, Reply reply) = 0;
};

// In-memory accounts and tokens; issues tickets for any room it is asked
// about. Thread-safe.
class TestAuthenticator final : public Authenticator {
public:
    TestAuthenticator(SigningKeyPair ticketKey, std::function<std::int64_t()> unixNow)
        : m_key(ticketKey), m_unixNow(std::move(unixNow)) {}

    void addAccount(std::string email, std::string password, Identity who);
    void addToken(std::string token, Identity who);
    const SigningKeyPair& ticketKey() const { return m_key; }

    Result<Identity> login(std::string_view email, std::string_view password) override;
    Result<Identity> verifyToken(std::string_view token) override;
    Result<Bytes> issueTicket(const Identity& who, std::string_view room) override;

private:
    SigningKeyPair m_key;
    std::function<std::int64_t()> m_unixNow;
    std::mutex m_mutex;
    std::map<std::string, std::pair<std::string, Identity>, std::less<>> m_accounts;
    std::map<std::string, Identity, std::less<>> m_tokens;
};

// Seconds since the Unix epoch from the system clock.
std::int64_t systemUnixNow();

}  // namespace mxr::net
