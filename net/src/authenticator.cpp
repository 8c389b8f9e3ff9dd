#include "net/authenticator.h"

#include <sodium.h>

#include <chrono>

#include "engine/core/log.h"

namespace mxr::net {

void TestAuthenticator::addAccount(std::string email, std::string password, Identity who) {
    std::lock_guard lock(m_mutex);
    m_accounts[std::move(email)] = {std::move(password), std::move(who)};
}

void TestAuthenticator::addToken(std::string token, Identity who) {
    std::lock_guard lock(m_mutex);
    m_tokens[std::move(token)] = std::move(who);
}

Result<Identity> TestAuthenticator::login(std::string_view email, std::string_view password) {
    std::lock_guard lock(m_mutex);
    auto it = m_accounts.find(email);
    // Compare in constant time even in the test double: it is the model the
    // server's implementation copies.
    if (it == m_accounts.end() || it->second.first.size() != password.size() ||
        sodium_memcmp(it->second.first.data(), password.data(), password.size()) != 0) {
        return makeError(ErrorCode::kPermissionDenied, "wrong email or password");
    }
    return it->second.second;
}

Result<Identity> TestAuthenticator::verifyToken(std::string_view token) {
    std::lock_guard lock(m_mutex);
    auto it = m_tokens.find(token);
    if (it == m_tokens.end()) return makeError(ErrorCode::kPermissionDenied, "unknown or expired token");
    return it->second;
}

Result<Bytes> TestAuthenticator::issueTicket(const Identity& who, std::string_view room) {
    MXR_TRY(validateRoomName(room));
    RoomTicket t;
    t.room = std::string(room);
    t.subject = who.subject;
    t.displayName = who.displayName;
    t.role = who.role;
    t.issuedAt = m_unixNow();
    t.expiresAt = t.issuedAt + kDefaultTicketLifetimeSeconds;
    return signTicket(t, m_key);
}

std::int64_t systemUnixNow() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace mxr::net
