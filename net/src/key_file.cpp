#include "key_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "net/crypto.h"

namespace mxr::net::detail {

Result<std::optional<std::pair<Bytes, Bytes>>> readKeyFile(const std::filesystem::path& file, const std::string& what,
                                                            std::size_t publicSize, std::size_t secretSize,
                                                            const std::string& sizesText) {
    std::ifstream in(file);
    if (!in) return std::optional<std::pair<Bytes, Bytes>>{};
    std::string pubHex, secHex;
    in >> pubHex >> secHex;
    auto pub = fromHex(pubHex);
    auto sec = fromHex(secHex);
    if (!pub || !sec || pub->size() != publicSize || sec->size() != secretSize) {
        return makeError(ErrorCode::kInvalidArgument, strCat(what, " ", file.string(), " is not ", sizesText));
    }
    return std::optional<std::pair<Bytes, Bytes>>{std::make_pair(std::move(*pub), std::move(*sec))};
}

Result<void> writeKeyFile(const std::filesystem::path& file, const std::string& what, const std::string& publicHex,
                          const std::string& secretHex) {
    std::error_code ec;
    if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path(), ec);
    const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        return makeError(ErrorCode::kIo, strCat("cannot create ", what, " ", file.string(), ": ", std::strerror(errno)),
                         errno);
    }
    const std::string text = publicHex + "\n" + secretHex + "\n";
    const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    ::close(fd);
    if (!ok) return makeError(ErrorCode::kIo, strCat("cannot write ", what, " ", file.string()));
    return {};
}

}  // namespace mxr::net::detail
