#include "net/ticket.h"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include <algorithm>
#include <cassert>

#include "engine/core/log.h"
#include "net/crypto.h"
#include "key_file.h"

namespace mxr::net {
namespace {

constexpr std::size_t kSignatureBytes = crypto_sign_BYTES;
constexpr std::int64_t kClockSkewSeconds = 60;

Bytes encodeBody(const RoomTicket& t) {
    ByteWriter w(128);
    w.u8(kProtocolVersion);
    w.str(t.room);
    w.str(t.subject);
    w.str(t.displayName);
    w.u8(static_cast<std::uint8_t>(t.role));
    w.u64(static_cast<std::uint64_t>(t.issuedAt));
    w.u64(static_cast<std::uint64_t>(t.expiresAt));
    w.bytes(t.ticketId);
    return w.take();
}

}  // namespace

SigningKeyPair SigningKeyPair::generate() {
    [[maybe_unused]] const int rc = sodium_init();
    assert(rc >= 0);
    SigningKeyPair kp;
    crypto_sign_keypair(kp.publicKey.data(), kp.secretKey.data());
    return kp;
}

Bytes signTicket(RoomTicket ticket, const SigningKeyPair& key) {
    [[maybe_unused]] const int rc = sodium_init();
    assert(rc >= 0);
    if (std::all_of(ticket.ticketId.begin(), ticket.ticketId.end(), [](auto b) { return b == 0; })) {
        randombytes_buf(ticket.ticketId.data(), ticket.ticketId.size());
    }
    Bytes out = encodeBody(ticket);
    const std::size_t bodySize = out.size();
    out.resize(bodySize + kSignatureBytes);
    crypto_sign_detached(out.data() + bodySize, nullptr, out.data(), bodySize, key.secretKey.data());
    return out;
}

Result<RoomTicket> parseTicket(ByteSpan bytes) {
    if (bytes.size() > kMaxTicketBytes) {
        return tl::unexpected(protocolError("ticket is larger than the limit"));
    }
    ByteReader r(bytes);
    MXR_TRY_ASSIGN(auto version, r.u8("ticket.version"));
    if (version != kProtocolVersion) {
        return tl::unexpected(protocolError(strCat("ticket has unsupported version ", int(version))));
    }
    RoomTicket t;
    MXR_TRY_ASSIGN(t.room, r.str("ticket.room", kMaxNameBytes));
    MXR_TRY(validateRoomName(t.room).map_error([](Error e) { e.code = ErrorCode::kProtocol; return e; }));
    MXR_TRY_ASSIGN(t.subject, r.str("ticket.subject", kMaxSecretBytes));
    MXR_TRY_ASSIGN(t.displayName, r.str("ticket.displayName", kMaxNameBytes));
    MXR_TRY_ASSIGN(auto role, r.u8("ticket.role"));
    if (role > static_cast<std::uint8_t>(Role::kProgramManager)) {
        return tl::unexpected(protocolError(strCat("field 'ticket.role' has unknown role ", int(role))));
    }
    t.role = static_cast<Role>(role);
    MXR_TRY_ASSIGN(auto issued, r.u64("ticket.issuedAt"));
    MXR_TRY_ASSIGN(auto expires, r.u64("ticket.expiresAt"));
    t.issuedAt = static_cast<std::int64_t>(issued);
    t.expiresAt = static_cast<std::int64_t>(expires);
    MXR_TRY_ASSIGN(auto id, r.bytes(8, "ticket.id"));
    std::copy(id.begin(), id.end(), t.ticketId.begin());
    MXR_TRY(r.bytes(kSignatureBytes, "ticket.signature"));
    MXR_TRY(r.expectEnd("ticket"));
    return t;
}

Result<RoomTicket> verifyTicket(ByteSpan bytes, const VerifyKey& key, std::string_view room,
                                std::int64_t nowUnix) {
    MXR_TRY_ASSIGN(auto t, parseTicket(bytes));
    const std::size_t bodySize = bytes.size() - kSignatureBytes;
    if (crypto_sign_verify_detached(bytes.data() + bodySize, bytes.data(), bodySize, key.data()) != 0) {
        return makeError(ErrorCode::kPermissionDenied, "ticket signature is not valid");
    }
    if (t.room != room) {
        return makeError(ErrorCode::kPermissionDenied,
                         strCat("ticket is for room '", t.room, "', not '", room, "'"));
    }
    if (nowUnix >= t.expiresAt) {
        return makeError(ErrorCode::kPermissionDenied,
                         strCat("ticket expired ", nowUnix - t.expiresAt, " s ago"));
    }
    if (nowUnix + kClockSkewSeconds < t.issuedAt) {
        return makeError(ErrorCode::kPermissionDenied, "ticket is issued in the future");
    }
    return t;
}

Result<SigningKeyPair> loadOrCreateSigningKey(const std::filesystem::path& file) {
    if (sodium_init() < 0) return makeError(ErrorCode::kUnavailable, "libsodium failed to start");
    MXR_TRY_ASSIGN(auto stored, detail::readKeyFile(file, "signing key file", 32, 64, "a 32-byte and a 64-byte hex key"));
    if (stored) {
        SigningKeyPair kp;
        std::copy(stored->first.begin(), stored->first.end(), kp.publicKey.begin());
        std::copy(stored->second.begin(), stored->second.end(), kp.secretKey.begin());
        std::array<std::uint8_t, 32> derived{};
        crypto_sign_ed25519_sk_to_pk(derived.data(), kp.secretKey.data());
        if (derived != kp.publicKey) {
            return makeError(ErrorCode::kInvalidArgument,
                             strCat("signing key file ", file.string(), ": public key does not match secret key"));
        }
        return kp;
    }
    const SigningKeyPair kp = SigningKeyPair::generate();
    // Anyone who reads the secret can mint tickets.
    MXR_TRY(detail::writeKeyFile(file, "signing key file", toHex(kp.publicKey), toHex(kp.secretKey)));
    return kp;
}

}  // namespace mxr::net
