#pragma once
// The room tests' fixture: a room host over real ENet sockets on 127.0.0.1
// (port 0) on its own thread, clients pumped from the test thread.
// Deadlines only bound how long a failing test waits; nothing asserts on
// elapsed time.
#include <enet/enet.h>
#include <gtest/gtest.h>

#include <functional>
#include <mutex>

#include "net/room_client.h"
#include "net/room_host.h"

namespace mxr::net {

inline AvatarState standingAt(float x) {
    AvatarState s;
    s.head.position = Vec3(x, 1.6f, 0.0f);
    s.head.orientation = glm::angleAxis(0.3f, Vec3(0, 1, 0));
    s.leftHand.position = Vec3(x - 0.3f, 1.0f, -0.2f);
    s.rightHand.position = Vec3(x + 0.3f, 1.0f, -0.2f);
    return s;
}

inline const PresenceEntry* byId(const std::vector<PresenceEntry>& members, std::uint16_t id) {
    for (const auto& m : members) if (m.avatarId == id) return &m;
    return nullptr;
}
inline const PresenceEntry* byName(const std::vector<PresenceEntry>& members, const std::string& name) {
    for (const auto& m : members) if (m.displayName == name) return &m;
    return nullptr;
}

struct Recorder : RoomObserver {
    std::mutex mutex;
    std::vector<std::string> log;
    void onMemberJoined(const std::string& room, const Identity& who, std::uint16_t, std::int64_t) override {
        std::lock_guard l(mutex);
        log.push_back("joined " + room + " " + who.subject);
    }
    void onMemberLeft(const std::string& room, const Identity& who, std::uint16_t, std::int64_t,
                      std::string_view reason) override {
        std::lock_guard l(mutex);
        log.push_back("left " + room + " " + who.subject + " " + std::string(reason));
    }
    std::vector<std::string> lines() {
        std::lock_guard l(mutex);
        return log;
    }
};

class RoomTest : public ::testing::Test {
protected:
    void startHost(std::function<void(RoomHostConfig&)> tweak = {}) {
        RoomHostConfig cfg;
        cfg.bindAddress = "127.0.0.1";
        cfg.port = 0;
        cfg.allowGuests = true;
        cfg.serverKey = KeyPair::generate();
        cfg.ticketKey = m_auth.ticketKey().publicKey;
        if (tweak) tweak(cfg);
        auto host = RoomHost::create(cfg, *m_hostAuth, m_clock, Logger(m_sink, "host"), &m_observer);
        ASSERT_TRUE(host) << host.error().message;
        m_host = std::move(*host);
        ASSERT_TRUE(m_host->createRoom(RoomConfig{"demo", 0, true, std::nullopt}));
        ASSERT_TRUE(m_host->createRoom(RoomConfig{"closed", 0, false, std::nullopt}));
        m_host->start();
    }
    void TearDown() override {
        m_clients.clear();
        if (m_host) m_host->stop();
    }

    struct Client {
        std::unique_ptr<ClientSession> session;
        std::vector<ClientEvent> events;
        RemoteAvatars remotes;
        bool paused = false;  // not serviced: as silent as a machine off the network
        template <typename T>
        const T* last() const {
            for (auto it = events.rbegin(); it != events.rend(); ++it) {
                if (auto* e = std::get_if<T>(&*it)) return e;
            }
            return nullptr;
        }
    };

    Client& connect(Credentials creds, std::string room = "demo",
                    std::function<void(ClientConfig&)> tweak = {}) {
        ClientConfig cfg;
        cfg.serverHost = "127.0.0.1";
        cfg.serverPort = m_host->port();
        cfg.room = std::move(room);
        cfg.credentials = std::move(creds);
        cfg.expectedServerKey = m_host->publicKey();
        if (tweak) tweak(cfg);
        auto s = ClientSession::create(cfg, m_clock, Logger(m_sink, "client"));
        EXPECT_TRUE(s) << s.error().message;
        m_clients.push_back(std::make_unique<Client>());
        m_clients.back()->session = std::move(*s);
        return *m_clients.back();
    }

    // Services every client until `done` or a generous deadline.
    bool pumpUntil(const std::function<bool()>& done, double seconds = 10.0) {
        const Nanos deadline = m_clock.now() + static_cast<Nanos>(seconds * 1e9);
        while (m_clock.now() < deadline) {
            for (auto& c : m_clients) {
                if (c->paused) continue;
                c->session->service(1);
                for (auto& e : c->session->takeEvents()) {
                    c->remotes.apply(e, m_clock.now());
                    c->events.push_back(std::move(e));
                }
            }
            if (done()) return true;
        }
        return false;
    }
    bool joined(Client& c) {
        return pumpUntil([&] {
            return c.session->state() == ClientState::kJoined || c.session->state() == ClientState::kFailed;
        }) && c.session->state() == ClientState::kJoined;
    }
    const FailedEvent* failure(Client& c) {
        pumpUntil([&] { return c.session->state() == ClientState::kFailed; });
        return c.last<FailedEvent>();
    }

    SteadyClock m_clock;
    std::shared_ptr<MemorySink> m_sink = std::make_shared<MemorySink>();
    TestAuthenticator m_auth{SigningKeyPair::generate(), systemUnixNow};
    Authenticator* m_hostAuth = &m_auth;  // what startHost() gives the host
    Recorder m_observer;
    std::unique_ptr<RoomHost> m_host;
    std::vector<std::unique_ptr<Client>> m_clients;
};

}  // namespace mxr::net
