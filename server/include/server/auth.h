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

// Failed logins slow down whoever fails, never the account's owner:
//  - per address: more than maxFailuresPerAddress failures (any accounts)
//    within `window` block that address until the window ends;
//  - per account and address: after freeFailures failures of one account
//    from one address, that address waits firstDelay before its next try
//    on that account, doubling with each further failure up to maxDelay.
// The owner's correct password from another address is checked at once,
// whatever failed elsewhere (an attacker cannot lock them out); a success
// clears that address's record for the account. Entries are forgotten
// `forgetAfter` after their last failure.
struct LoginLimits {
    int maxFailuresPerAddress = 20;
    Nanos window = 15LL * 60 * 1000000000;
    int freeFailures = 3;
    Nanos firstDelay = 1000000000LL;
    Nanos maxDelay = 15LL * 60 * 1000000000;
    Nanos forgetAfter = 24LL * 3600 * 1000000000;
};

class LoginLimiter {
public:
    LoginLimiter(const Clock& clock, LoginLimits limits) : m_clock(clock), m_limits(limits) {}
    // Seconds until this address may try this account again; 0 when now.
    std::int64_t blockedFor(const std::string& account, const std::string& address);
    void recordFailure(const std::string& account, const std::string& address);
    void recordSuccess(const std::string& account, const std::string& address);

private:
    struct Window {
        Nanos start = 0;
        int failures = 0;
    };
    struct Backoff {
        Nanos last = 0;
        int failures = 0;
    };
    Nanos delayAfter(int failures) const;

    const Clock& m_clock;
    LoginLimits m_limits;
    std::mutex m_mutex;
    std::unordered_map<std::string, Window> m_addresses;
    std::unordered_map<std::string, Backoff> m_pairs;  // account + '\n' + address
};

// A fresh random bearer token (64 hex characters).
std::string newToken();
// The hex BLAKE2b-256 of a token: what the store keeps and looks up.
std::string tokenHash(std::string_view token);
// A random password for the first administrator (24 characters).
std::string newPassword();

}  // namespace mxr::server
