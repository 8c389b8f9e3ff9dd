#pragma once
// Raw HTTP/1.1 over a blocking socket bound to a chosen loopback source
// address, for tests that need to pick the client's address or see exactly
// what the server sends and when it closes.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace mxr::server::test {

// A connected socket from `source` (e.g. "127.0.0.2") to 127.0.0.1:port; -1 on failure.
inline int connectFrom(const char* source, int port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    sockaddr_in from{};
    from.sin_family = AF_INET;
    ::inet_pton(AF_INET, source, &from.sin_addr);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<std::uint16_t>(port));
    ::inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0 ||
        ::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

// Reads what arrives until the peer closes (or 10 s of silence), then closes fd.
inline std::string readUntilClosed(int fd) {
    std::string out;
    char buf[4096];
    for (;;) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 10000) <= 0) break;
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        out.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return out;
}

// Sends `request` and reads one answer (headers and a Content-Length body);
// empty if the connection closed or 10 s passed first.
inline std::string roundTrip(int fd, const std::string& request) {
    if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) return {};
    std::string out;
    char buf[4096];
    std::size_t want = std::string::npos;
    while (want == std::string::npos || out.size() < want) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 10000) <= 0) return {};
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) return {};
        out.append(buf, static_cast<std::size_t>(n));
        const auto end = out.find("\r\n\r\n");
        if (want == std::string::npos && end != std::string::npos) {
            const auto cl = out.find("Content-Length: ");
            want = end + 4 + (cl != std::string::npos && cl < end ? std::strtoul(out.c_str() + cl + 16, nullptr, 10) : 0);
        }
    }
    return out;
}

// The status code of an answer ("HTTP/1.1 200 OK..."), 0 if none.
inline int statusOf(const std::string& answer) {
    return answer.size() > 12 && answer.rfind("HTTP/1.", 0) == 0 ? std::atoi(answer.c_str() + 9) : 0;
}

}  // namespace mxr::server::test
