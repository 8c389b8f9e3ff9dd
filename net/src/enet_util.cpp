#include "enet_util.h"

#include <algorithm>
#include <mutex>

#include "engine/core/log.h"

namespace mxr::net {
namespace {

Result<void> ensureEnet() {
    // enet_initialize has no global state on Unix beyond a flag; calling it
    // once per process keeps Windows correct too.
    static std::once_flag once;
    static int rc = 0;
    std::call_once(once, [] { rc = enet_initialize(); });
    if (rc != 0) return makeError(ErrorCode::kUnavailable, "enet_initialize failed");
    return {};
}

}  // namespace

Result<ENetAddress> resolveAddress(const std::string& host, std::uint16_t port) {
    MXR_TRY(ensureEnet());
    ENetAddress a{};
    a.port = port;
    if (host.empty() || host == "0.0.0.0") {
        a.host = ENET_HOST_ANY;
    } else if (enet_address_set_host(&a, host.c_str()) != 0) {
        return makeError(ErrorCode::kNotFound, strCat("cannot resolve host '", host, "'"));
    }
    return a;
}

Result<EnetHostPtr> createEnetHost(const std::string& bindAddress, std::uint16_t port, std::size_t peers,
                                   std::size_t channels) {
    MXR_TRY(ensureEnet());
    ENetHost* h = nullptr;
    if (bindAddress.empty()) {
        h = enet_host_create(nullptr, peers, channels, 0, 0);
    } else {
        MXR_TRY_ASSIGN(auto a, resolveAddress(bindAddress, port));
        h = enet_host_create(&a, peers, channels, 0, 0);
    }
    if (!h) {
        return makeError(ErrorCode::kIo, strCat("cannot create the ENet host on ", bindAddress.empty() ? "*" : bindAddress,
                                                ":", port, " (port in use?)"));
    }
    return EnetHostPtr(h);
}

void boundRetransmissions(ENetHost* host) {
    for (ENetPeer* peer = host->peers; peer < host->peers + host->peerCount; ++peer) {
        if (peer->state == ENET_PEER_STATE_DISCONNECTED || enet_list_empty(&peer->sentReliableCommands)) continue;
        // A host's half-open peer (VERIFY_CONNECT sent, not acknowledged)
        // keeps ENet's own backoff (0.5, 1, 2 s): a spoofed CONNECT must not
        // make the host resend every second (HostGuard resets it after 3 s, before the fourth).
        // The client's connect request keeps the bound: its retries are its own.
        if (peer->state == ENET_PEER_STATE_ACKNOWLEDGING_CONNECT) continue;
        const enet_uint32 cap = std::max<enet_uint32>(kMaxRetransmitMs, peer->roundTripTime + 4 * peer->roundTripTimeVariance);
        for (ENetListIterator it = enet_list_begin(&peer->sentReliableCommands);
             it != enet_list_end(&peer->sentReliableCommands); it = enet_list_next(it)) {
            auto* cmd = reinterpret_cast<ENetOutgoingCommand*>(it);
            if (cmd->roundTripTimeout > cap) cmd->roundTripTimeout = cap;
        }
        // ENet checks timeouts only once the front command's timer (as it
        // was before capping) has run out.
        const auto* front = reinterpret_cast<const ENetOutgoingCommand*>(enet_list_front(&peer->sentReliableCommands));
        const enet_uint32 due = front->sentTime + front->roundTripTimeout;
        if (static_cast<std::int32_t>(due - peer->nextTimeout) < 0) peer->nextTimeout = due;
    }
}

Result<std::uint16_t> boundPort(ENetHost* host) {
    ENetAddress a{};
    if (enet_socket_get_address(host->socket, &a) != 0) {
        return makeError(ErrorCode::kIo, "cannot read the bound UDP port");
    }
    return a.port;
}

}  // namespace mxr::net
