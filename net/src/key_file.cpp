#include "key_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "net/crypto.h"

namespace mxr::net::detail {
namespace {

Error ioError(const std::string& what, const std::filesystem::path& file, const char* step) {
    const int e = errno;
    return Error{ErrorCode::kIo, e, strCat("cannot ", step, " ", what, " ", file.string(), ": ", std::strerror(e))};
}

// Closes the descriptor on every path out.
struct Fd {
    int fd = -1;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

}  // namespace

Result<std::optional<std::pair<Bytes, Bytes>>> readKeyFile(const std::filesystem::path& file, const std::string& what,
                                                            std::size_t publicSize, std::size_t secretSize,
                                                            const std::string& sizesText) {
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0) {
        if (errno == ENOENT) return std::optional<std::pair<Bytes, Bytes>>{};
        return tl::unexpected(ioError(what, file, "read"));
    }
    // Like ssh with its private keys: a secret others could read may already
    // have leaked, and one others could write may not be ours any more.
    if ((st.st_mode & 077) != 0) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
        return makeError(ErrorCode::kPermissionDenied,
                         strCat(what, " ", file.string(), " is accessible by group or others (mode ", mode,
                                "); run: chmod 600 ", file.string(),
                                " (and replace the key if others may have read it)"));
    }
    std::ifstream in(file);
    if (!in) return tl::unexpected(ioError(what, file, "read"));
    std::string pubHex, secHex;
    in >> pubHex >> secHex;
    auto pub = fromHex(pubHex);
    auto sec = fromHex(secHex);
    if (!pub || !sec || pub->size() != publicSize || sec->size() != secretSize) {
        return makeError(ErrorCode::kInvalidArgument,
                         strCat(what, " ", file.string(), " is not ", sizesText,
                                " (restore it from a backup; deleting it makes a new key, which clients that "
                                "pinned the old one refuse)"));
    }
    return std::optional<std::pair<Bytes, Bytes>>{std::make_pair(std::move(*pub), std::move(*sec))};
}

Result<void> writeKeyFile(const std::filesystem::path& file, const std::string& what, const std::string& publicHex,
                          const std::string& secretHex) {
    const std::filesystem::path folder = file.has_parent_path() ? file.parent_path() : std::filesystem::path(".");
    std::error_code ec;
    std::filesystem::create_directories(folder, ec);
    // Written whole to a 0600 temporary file, flushed, then linked under its
    // name (which fails if the name exists: a key is never replaced) and the
    // folder flushed: a crash leaves either no key file or a complete one.
    std::string tmpl = (folder / ("." + file.filename().string() + ".XXXXXX")).string();
    Fd tmp{::mkstemp(tmpl.data())};  // mode 0600
    if (tmp.fd < 0) return tl::unexpected(ioError(what, file, "create a temporary file for"));
    const std::filesystem::path tmpPath = tmpl;
    auto cleanup = [&] { ::unlink(tmpPath.c_str()); };
    const std::string text = publicHex + "\n" + secretHex + "\n";
    if (::write(tmp.fd, text.data(), text.size()) != static_cast<ssize_t>(text.size()) || ::fsync(tmp.fd) != 0) {
        auto e = ioError(what, file, "write");
        cleanup();
        return tl::unexpected(e);
    }
    if (::link(tmpPath.c_str(), file.c_str()) != 0) {
        auto e = ioError(what, file, "create");
        cleanup();
        return tl::unexpected(e);
    }
    cleanup();
    Fd dir{::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
    if (dir.fd < 0 || ::fsync(dir.fd) != 0) return tl::unexpected(ioError(what, file, "flush the folder of"));
    return {};
}

}  // namespace mxr::net::detail
