#pragma once
// Small owners and helpers around ENet's C API (private to net/).
#include <enet/enet.h>

#include <memory>
#include <string>

#include "engine/core/result.h"

namespace mxr::net {

struct EnetHostDeleter {
    void operator()(ENetHost* h) const { enet_host_destroy(h); }
};
using EnetHostPtr = std::unique_ptr<ENetHost, EnetHostDeleter>;

// bindAddress empty: a client host (no listening address).
Result<EnetHostPtr> createEnetHost(const std::string& bindAddress, std::uint16_t port, std::size_t peers,
                                   std::size_t channels);
Result<std::uint16_t> boundPort(ENetHost* host);
Result<ENetAddress> resolveAddress(const std::string& host, std::uint16_t port);

}  // namespace mxr::net
