#pragma once
// Long-term key files (the room host's X25519 key, the session server's
// Ed25519 ticket key): two hex lines, public then secret, created with mode
// 0600 from the start so the secret is never readable by others.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/core/result.h"
#include "net/crypto.h"

namespace mxr::net::detail {

// net::Bytes (net/crypto.h)

// nullopt when the file does not exist; an error naming `what` and the file
// when it is not two hex keys of the given sizes, or when group or others
// may access it (kPermissionDenied: the message says to chmod 600).
Result<std::optional<std::pair<Bytes, Bytes>>> readKeyFile(const std::filesystem::path& file, const std::string& what,
                                                            std::size_t publicSize, std::size_t secretSize,
                                                            const std::string& sizesText);

// Creates the file atomically (a 0600 temporary file in the same folder,
// fsync, link under the final name, fsync of the folder), failing if it
// exists: a crash leaves no key file or a whole one, never a partial one.
Result<void> writeKeyFile(const std::filesystem::path& file, const std::string& what, const std::string& publicHex,
                          const std::string& secretHex);

}  // namespace mxr::net::detail
