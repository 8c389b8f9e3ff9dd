#pragma once
// The web app's side of HTTP, kept apart from any HTTP library: the static
// files of web/app (and Debian's Chart.js) with their content types and
// validators, the security headers of every page, the browser's cookie
// session (login, logout, who am I) and the CSRF check of cookie-carried
// API calls. The HTTP front end (http_server.cpp's serve()) turns each
// request into a WebRequest, asks handle(), and sends the WebReply as it
// is; when handle() answers nullopt the request is not the web app's (a
// bearer-token API call, /healthz) and the front end serves it as before.
//
// The session: POST /web/login checks the password through the Router's
// /login (same throttling, same answers) and sets the bearer token as a
// cookie the page's scripts cannot read (HttpOnly, SameSite=Strict, Path=/,
// Secure when the request came over TLS; no Max-Age: it ends with the
// browser, and the token's own lifetime is enforced by the server);
// POST /web/logout ends that token on the server and clears the cookie. An
// /api/v1 request that carries that cookie and no Authorization header is
// answered here through the same Router; a write (POST/PATCH/DELETE) needs
// the header X-CSRF-Token (a hash of the token, from /web/login or
// /web/session, that a page of another origin cannot read) and, if the
// browser sent Origin, an Origin equal to the request's own.
//
// Ownership: WebRoutes holds the static files in memory (read at create()),
// references Handlers and RoomService (which must outlive it).
// Thread: handle() is thread-safe (the file table is immutable after create()).
// Errors: create() fails naming the folder or file it could not read;
// handle() never fails: bad requests get 4xx replies.
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/core/log.h"
#include "engine/core/result.h"
#include "server/handlers.h"
#include "server/router.h"

namespace mxr::server {

class RoomService;

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct WebRequest {
    std::string method;   // GET, HEAD, POST, PATCH, DELETE, ...
    std::string path;     // decoded, without the query: "/", "/app/main.js", "/api/v1/goals/3"
    Params query;         // decoded query parameters
    HeaderList headers;   // as received (names in any case)
    std::string body;
    std::string address;  // the client's IP address (login throttling)
    bool tls = false;     // came over TLS: the cookie gets Secure, replies get HSTS

    // The first header of that name (ASCII case-insensitive), or "".
    std::string header(std::string_view name) const;
};

struct WebReply {
    int status = 200;
    HeaderList headers;  // includes Content-Type and the security headers
    std::string body;

    // The first header of that name (ASCII case-insensitive), or "".
    std::string header(std::string_view name) const;
};

struct WebOptions {
    std::filesystem::path root;     // web/app: index.html and the modules
    std::filesystem::path chartJs;  // Debian's chart.min.js, served as /vendor/chart.min.js; empty: none
    int roomPort = 0;               // the rooms' UDP port, for the "join the room" command (0: unknown)
};

class WebRoutes {
public:
    // Reads every servable file under options.root (by extension; dot files
    // and anything else are never served) and the Chart.js file.
    static Result<std::unique_ptr<WebRoutes>> create(Handlers& handlers, RoomService* rooms, WebOptions options,
                                                     Logger logger);

    // nullopt: not the web app's request; the front end serves it.
    std::optional<WebReply> handle(const WebRequest& request);

    // The CSRF token of a session token (hex of a BLAKE2b hash).
    static std::string csrfFor(std::string_view sessionToken);
    static constexpr std::string_view kCookieName = "mxr_session";
    // The Content-Security-Policy every page is served with.
    static constexpr std::string_view kContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
        "font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; "
        "require-trusted-types-for 'script'; trusted-types 'none'";

private:
    struct File {
        std::string body;
        std::string contentType;
        std::string etag;
    };
    WebRoutes(Handlers& handlers, RoomService* rooms, Logger logger);

    WebReply serveFile(const WebRequest& req) const;
    WebReply login(const WebRequest& req);
    WebReply logout(const WebRequest& req);
    WebReply session(const WebRequest& req);
    WebReply api(const WebRequest& req, const std::string& token);
    WebReply finish(WebReply reply, const WebRequest& req, bool cacheable) const;

    Handlers& m_handlers;
    Router m_router;
    Logger m_log;
    int m_roomPort = 0;
    std::map<std::string, File, std::less<>> m_files;  // by URL path
};

}  // namespace mxr::server
