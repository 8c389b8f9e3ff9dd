#pragma once
// One transport-neutral router for the records API: HTTP (http_server.h)
// and records over ENet (rooms.h, ApiRequest) both hand it a request and
// send back what it answers. Path, method, id and body parsing, the
// authentication of a bearer token, which routes a transport may use, the
// idempotency key and the JSON error envelope are decided here, once.
//
// Paths are those after /api/v1 ("/goals/3"); the query comes parsed
// (HTTP decodes it; over ENet it is split on '&' and '=' and never
// URL-encoded).
//
// Thread: thread-safe (Handlers and RoomService are); call from any thread.
#include <optional>
#include <string>

#include "server/handlers.h"

namespace mxr::server {

class RoomService;

enum class Transport : std::uint8_t {
    kHttp,
    kEnet,  // records over ENet: only the everyday records routes (server/README.md)
};

struct RouterRequest {
    std::string method;  // GET, POST, PATCH, DELETE
    std::string path;    // after /api/v1, e.g. "/goals/3"
    Params query;
    std::string body;    // JSON text (may be empty)
    // Who is asking: a bearer token ("Bearer ...", HTTP), or the principal
    // the transport already knows (ENet: the connection's login).
    std::string authorization;
    std::optional<Principal> principal;
    // A write with a key is applied once per person and key: a retry within
    // 24 hours answers what the first attempt answered (header
    // Idempotency-Key over HTTP, ApiRequest.idempotencyKey over ENet).
    std::string idempotencyKey;
    std::string address;  // the client's IP address (login throttling)
    Transport transport = Transport::kHttp;
};

struct RouterReply {
    int status = 200;
    Json body;                 // the JSON answer, or {"error": {...}}
    std::string text;          // non-JSON answers (CSV export); then body is null
    std::string contentType = "application/json";
    std::int64_t retryAfter = 0;  // seconds, with 429
};

class Router {
public:
    // rooms may be null: no /rooms routes.
    Router(Handlers& handlers, RoomService* rooms) : m_handlers(handlers), m_rooms(rooms) {}
    RouterReply handle(const RouterRequest& request);

    // The error envelope {"error": {"code", "message", "field"?}} with its status.
    static RouterReply errorReply(const ApiError& e);

private:
    RouterReply dispatch(const RouterRequest& request);

    Handlers& m_handlers;
    RoomService* m_rooms;
};

}  // namespace mxr::server
