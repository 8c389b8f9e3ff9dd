#include "server/auth.h"

#include <sodium.h>

#include <algorithm>

#include "engine/core/log.h"

namespace mxr::server {
namespace {

std::string toHex(const unsigned char* data, std::size_t n) {
    std::string out(n * 2 + 1, '\0');
    sodium_bin2hex(out.data(), out.size(), data, n);
    out.pop_back();
    return out;
}

unsigned long long opsLimit(HashCost c) {
    return c == HashCost::kProduction ? crypto_pwhash_OPSLIMIT_INTERACTIVE : crypto_pwhash_OPSLIMIT_MIN;
}
std::size_t memLimit(HashCost c) {
    return c == HashCost::kProduction ? crypto_pwhash_MEMLIMIT_INTERACTIVE : crypto_pwhash_MEMLIMIT_MIN;
}

}  // namespace

Result<void> PasswordHasher::initSodium() {
    if (sodium_init() < 0) return makeError(ErrorCode::kUnavailable, "libsodium failed to initialise");
    return {};
}

PasswordHasher::PasswordHasher(HashCost cost, int maxConcurrent)
    : m_cost(cost), m_maxConcurrent(maxConcurrent < 1 ? 1 : maxConcurrent) {
    char out[crypto_pwhash_STRBYTES];
    const std::string pw = newPassword();
    if (crypto_pwhash_str_alg(out, pw.data(), pw.size(), opsLimit(m_cost), memLimit(m_cost),
                              crypto_pwhash_ALG_ARGON2ID13) == 0) {
        m_dummyHash = out;
    }
}

void PasswordHasher::acquire() {
    std::unique_lock lock(m_mutex);
    m_cv.wait(lock, [&] { return m_running < m_maxConcurrent; });
    ++m_running;
    m_peak = std::max(m_peak, m_running);
}

int PasswordHasher::peakConcurrent() const {
    std::lock_guard lock(m_mutex);
    return m_peak;
}

std::uint64_t PasswordHasher::verifications() const {
    std::lock_guard lock(m_mutex);
    return m_verifications;
}

void PasswordHasher::countVerification() {
    std::lock_guard lock(m_mutex);
    ++m_verifications;
}

void PasswordHasher::release() {
    {
        std::lock_guard lock(m_mutex);
        --m_running;
    }
    m_cv.notify_one();
}

Result<std::string> PasswordHasher::hash(std::string_view password) {
    char out[crypto_pwhash_STRBYTES];
    acquire();
    const int rc = crypto_pwhash_str_alg(out, password.data(), password.size(), opsLimit(m_cost), memLimit(m_cost),
                                         crypto_pwhash_ALG_ARGON2ID13);
    release();
    if (rc != 0) return makeError(ErrorCode::kLimit, "not enough memory to hash the password");
    return std::string(out);
}

bool PasswordHasher::verify(const std::string& storedHash, std::string_view password) {
    if (storedHash.empty()) {
        verifyDummy(password);
        return false;
    }
    acquire();
    countVerification();
    const bool ok = crypto_pwhash_str_verify(storedHash.c_str(), password.data(), password.size()) == 0;
    release();
    return ok;
}

void PasswordHasher::verifyDummy(std::string_view password) {
    if (m_dummyHash.empty()) return;
    acquire();
    countVerification();
    const int ignored = crypto_pwhash_str_verify(m_dummyHash.c_str(), password.data(), password.size());
    (void)ignored;
    release();
}

namespace {
std::int64_t secondsUp(Nanos n) { return n <= 0 ? 0 : (n + 999999999) / 1000000000; }
}  // namespace

Nanos LoginLimiter::delayAfter(int failures) const {
    const int over = failures - m_limits.freeFailures;
    if (over < 0) return 0;
    Nanos d = m_limits.firstDelay;
    for (int i = 0; i < over && d < m_limits.maxDelay; ++i) d *= 2;
    return std::min(d, m_limits.maxDelay);
}

std::int64_t LoginLimiter::blockedFor(const std::string& account, const std::string& address) {
    std::lock_guard lock(m_mutex);
    const Nanos now = m_clock.now();
    Nanos wait = 0;
    if (auto it = m_addresses.find(address); it != m_addresses.end()) {
        if (now - it->second.start >= m_limits.window) {
            m_addresses.erase(it);
        } else if (it->second.failures >= m_limits.maxFailuresPerAddress) {
            wait = m_limits.window - (now - it->second.start);
        }
    }
    if (auto it = m_pairs.find(account + '\n' + address); it != m_pairs.end()) {
        if (now - it->second.last >= m_limits.forgetAfter) {
            m_pairs.erase(it);
        } else {
            wait = std::max(wait, it->second.last + delayAfter(it->second.failures) - now);
        }
    }
    return secondsUp(wait);
}

void LoginLimiter::recordFailure(const std::string& account, const std::string& address) {
    std::lock_guard lock(m_mutex);
    const Nanos now = m_clock.now();
    // Keep the maps bounded: a flood of distinct keys drops stale entries.
    if (m_addresses.size() > 100000) {
        std::erase_if(m_addresses, [&](const auto& kv) { return now - kv.second.start >= m_limits.window; });
    }
    if (m_pairs.size() > 100000) {
        std::erase_if(m_pairs, [&](const auto& kv) { return now - kv.second.last >= m_limits.maxDelay; });
    }
    auto& w = m_addresses[address];
    if (w.failures == 0 || now - w.start >= m_limits.window) {
        w.start = now;
        w.failures = 0;
    }
    ++w.failures;
    auto& b = m_pairs[account + '\n' + address];
    b.last = now;
    ++b.failures;
}

void LoginLimiter::recordSuccess(const std::string& account, const std::string& address) {
    std::lock_guard lock(m_mutex);
    m_pairs.erase(account + '\n' + address);
}

std::string newToken() {
    unsigned char bytes[32];
    randombytes_buf(bytes, sizeof bytes);
    return toHex(bytes, sizeof bytes);
}

std::string tokenHash(std::string_view token) {
    unsigned char h[crypto_generichash_BYTES];
    crypto_generichash(h, sizeof h, reinterpret_cast<const unsigned char*>(token.data()), token.size(), nullptr, 0);
    return toHex(h, sizeof h);
}

std::string newPassword() {
    static constexpr char kAlphabet[] = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    std::string out;
    for (int i = 0; i < 24; ++i) out += kAlphabet[randombytes_uniform(sizeof kAlphabet - 1)];
    return out;
}

}  // namespace mxr::server
