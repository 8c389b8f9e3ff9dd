#include "net/ticket.h"

#include <gtest/gtest.h>

namespace mxr::net {
namespace {

RoomTicket ticketFor(std::string room) {
    RoomTicket t;
    t.room = std::move(room);
    t.subject = "account:17";
    t.displayName = "Ada Lovelace";
    t.role = Role::kMentor;
    t.issuedAt = 1'800'000'000;
    t.expiresAt = t.issuedAt + kDefaultTicketLifetimeSeconds;
    return t;
}

TEST(Ticket, SignedTicketVerifiesWithThePublicKeyAlone) {
    const auto key = SigningKeyPair::generate();
    const Bytes signedTicket = signTicket(ticketFor("welding-101"), key);
    auto t = verifyTicket(signedTicket, key.publicKey, "welding-101", 1'800'000'010);
    ASSERT_TRUE(t) << t.error().message;
    EXPECT_EQ(t->subject, "account:17");
    EXPECT_EQ(t->displayName, "Ada Lovelace");
    EXPECT_EQ(t->role, Role::kMentor);
    EXPECT_NE(t->ticketId, (std::array<std::uint8_t, 8>{}));
}

TEST(Ticket, AnotherRoomIsRefused) {
    const auto key = SigningKeyPair::generate();
    auto t = verifyTicket(signTicket(ticketFor("welding-101"), key), key.publicKey, "other", 1'800'000'010);
    ASSERT_FALSE(t);
    EXPECT_EQ(t.error().code, ErrorCode::kPermissionDenied);
    EXPECT_NE(t.error().message.find("not 'other'"), std::string::npos);
}

TEST(Ticket, ExpiredAndFutureTicketsAreRefused) {
    const auto key = SigningKeyPair::generate();
    const Bytes s = signTicket(ticketFor("r"), key);
    auto late = verifyTicket(s, key.publicKey, "r", 1'800'000'000 + kDefaultTicketLifetimeSeconds);
    ASSERT_FALSE(late);
    EXPECT_NE(late.error().message.find("expired"), std::string::npos);
    auto early = verifyTicket(s, key.publicKey, "r", 1'800'000'000 - 3600);
    ASSERT_FALSE(early);
    EXPECT_NE(early.error().message.find("future"), std::string::npos);
    EXPECT_TRUE(verifyTicket(s, key.publicKey, "r", 1'800'000'000 - 30));  // small clock skew
}

TEST(Ticket, AnyAlteredByteOrAnotherKeyIsRefused) {
    const auto key = SigningKeyPair::generate();
    const auto other = SigningKeyPair::generate();
    const Bytes s = signTicket(ticketFor("room"), key);
    EXPECT_FALSE(verifyTicket(s, other.publicKey, "room", 1'800'000'010));
    for (std::size_t i = 0; i < s.size(); ++i) {
        Bytes bad = s;
        bad[i] ^= 0x20;
        EXPECT_FALSE(verifyTicket(bad, key.publicKey, "room", 1'800'000'010)) << "byte " << i;
    }
}

TEST(Ticket, MalformedTicketsAreProtocolErrors) {
    const auto key = SigningKeyPair::generate();
    const Bytes s = signTicket(ticketFor("room"), key);
    for (std::size_t n = 0; n < s.size(); ++n) {
        auto t = parseTicket(ByteSpan(s.data(), n));
        ASSERT_FALSE(t);
        EXPECT_EQ(t.error().code, ErrorCode::kProtocol);
    }
    Bytes longer = s;
    longer.push_back(0);
    EXPECT_FALSE(parseTicket(longer));
}

}  // namespace
}  // namespace mxr::net
