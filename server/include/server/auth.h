#pragma once
// Passwords, login throttling and bearer tokens.
//
// Passwords are hashed with libsodium's argon2id (crypto_pwhash_str). Each
// hash costs tens of MiB at the production limits, so at most
// `maxConcurrent` run at once; the rest wait. Tokens are 32 random bytes
// (64 hex characters) given to the client once; the store keeps only their
// BLAKE2b hash.
//
// Thread: all classes here are thread-safe.
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "engine/core/clock.h"
#include "engine/core/result.h"

namespace mxr::server {

enum class HashCost {
    kProduction,  // crypto_pwhash_OPSLIMIT/MEMLIMIT_INTERACTIVE (~64 MiB)
    kTest,        // the minimum limits: for tests and benchmarks only (--password-hash-cost test)
};

class PasswordHasher {
public:
    // Calls sodium_init(); fails only when libsodium cannot start.
    static Result<void> initSodium();

    PasswordHasher(HashCost cost, int maxConcurrent);
    Result<std::string> hash(std::string_view password);
    // false for a wrong password or a malformed stored hash.
    bool verify(const std::string& storedHash, std::string_view password);
    // Burns the same time as a real verify; used for unknown accounts so the
    // answer time does not reveal which emails exist.
    void verifyDummy(std::string_view password);
    // The most hashes that ever ran at once (never above maxConcurrent).
    int peakConcurrent() const;
    // How many argon2id verifications ran (verify and verifyDummy alike):
    // tests check that an unknown account costs the same work as a known one.
    std::uint64_t verifications() const;

private:
    void acquire();
    void release();
    void countVerification();

    HashCost m_cost;
    int m_maxConcurrent;
    int m_running = 0;
    int m_peak = 0;
    std::uint64_t m_verifications = 0;
    mutable std::mutex m_mutex;
    std::condition_variable m_cv;
    std::string m_dummyHash;
};

// Failed logins are counted per account and per client address over a
// sliding window; while either is over its limit, login answers 429 without
// checking the password.
struct LoginLimits {
    int maxFailuresPerAccount = 5;
    int maxFailuresPerAddress = 20;
    Nanos window = 15LL * 60 * 1000000000;
};

class LoginLimiter {
public:
    LoginLimiter(const Clock& clock, LoginLimits limits) : m_clock(clock), m_limits(limits) {}
    // Seconds until the next attempt is allowed; 0 when allowed now.
    std::int64_t blockedFor(const std::string& account, const std::string& address);
    void recordFailure(const std::string& account, const std::string& address);
    void recordSuccess(const std::string& account);

private:
    struct Window {
        Nanos start = 0;
        int failures = 0;
    };
    std::int64_t check(std::unordered_map<std::string, Window>& map, const std::string& key, int limit, Nanos now);
    void bump(std::unordered_map<std::string, Window>& map, const std::string& key, Nanos now);

    const Clock& m_clock;
    LoginLimits m_limits;
    std::mutex m_mutex;
    std::unordered_map<std::string, Window> m_accounts;
    std::unordered_map<std::string, Window> m_addresses;
};

// A fresh random bearer token (64 hex characters).
std::string newToken();
// The hex BLAKE2b-256 of a token: what the store keeps and looks up.
std::string tokenHash(std::string_view token);
// A random password for the first administrator (24 characters).
std::string newPassword();

}  // namespace mxr::server
