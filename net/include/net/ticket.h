#pragma once
// Room tickets: the session server's signed permission for one person to
// join one room until a time. A room host on another machine verifies them
// with the session server's Ed25519 public key alone, without the database.
//
// Wire form: [version u8][room str][subject str][displayName str][role u8]
// [issuedAt u64][expiresAt u64][ticketId 8 bytes][Ed25519 signature 64
// bytes over everything before it]. Over HTTP it travels as URL-safe base64
// (toBase64 in crypto.h).
//
// Thread: pure functions.
#include <array>
#include <cstdint>
#include <filesystem>
#include <string>

#include "net/messages.h"

namespace mxr::net {

struct SigningKeyPair {
    std::array<std::uint8_t, 32> publicKey{};
    std::array<std::uint8_t, 64> secretKey{};
    static SigningKeyPair generate();
};
using VerifyKey = std::array<std::uint8_t, 32>;

struct RoomTicket {
    std::string room;
    std::string subject;      // the account id ("guest:NAME" for guests)
    std::string displayName;
    Role role = Role::kMentee;
    std::int64_t issuedAt = 0;   // Unix seconds
    std::int64_t expiresAt = 0;  // Unix seconds
    std::array<std::uint8_t, 8> ticketId{};  // random; lets hosts log and revoke
};

inline constexpr std::int64_t kDefaultTicketLifetimeSeconds = 300;

// Fills ticketId with random bytes when it is all zero. Asserts that names
// fit (callers validate with validateRoomName/validateDisplayName).
Bytes signTicket(RoomTicket ticket, const SigningKeyPair& key);

// Checks the signature, that the ticket is for `room` and that `nowUnix` is
// within [issuedAt - 60 s of clock skew, expiresAt). Errors: kProtocol for
// a malformed ticket, kPermissionDenied for a bad signature, another room
// or an expired ticket, with a message saying which.
Result<RoomTicket> verifyTicket(ByteSpan ticket, const VerifyKey& key, std::string_view room,
                                std::int64_t nowUnix);

// Parses without checking the signature (for the fuzzer and for logs).
Result<RoomTicket> parseTicket(ByteSpan ticket);

// The session server's Ed25519 ticket-signing key pair, kept as hex (public
// key, then the 64-byte secret key) in a file created with mode 0600 when
// absent. Errors: kIo (cannot create or write), kInvalidArgument (a file
// that is not such a key pair).
Result<SigningKeyPair> loadOrCreateSigningKey(const std::filesystem::path& file);

}  // namespace mxr::net
