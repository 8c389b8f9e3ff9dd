#pragma once
// Jobs run on a few worker threads; what each job returns (a function to
// apply, say) comes back to the owner's thread, tagged with the job's key,
// through takeDone(). The room host runs its Authenticator calls (argon2id,
// records reads) this way, so the network thread never waits on them.
//
// Workers block every signal (process-directed SIGTERM/SIGINT must reach
// the thread the program chose for them). A job that throws yields
// `onThrow(what)` instead. Jobs still queued when the pool is destroyed are
// dropped: nobody would get their answer. Thread: post() and takeDone()
// from the owner thread; the rest is internal.
#include <signal.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace mxr::net {

template <typename Answer>
class WorkPool {
public:
    WorkPool(std::size_t threads, std::function<Answer(std::string)> onThrow) : m_onThrow(std::move(onThrow)) {
        for (std::size_t i = 0; i < threads; ++i) m_workers.emplace_back([this] { loop(); });
    }
    ~WorkPool() {
        {
            std::lock_guard lock(m_mutex);
            m_stopping = true;
        }
        m_cv.notify_all();
        for (auto& t : m_workers) t.join();
    }
    WorkPool(const WorkPool&) = delete;
    WorkPool& operator=(const WorkPool&) = delete;

    void post(std::uint32_t key, std::function<Answer()> work) {
        {
            std::lock_guard lock(m_mutex);
            m_queue.push_back(Job{key, std::move(work)});
        }
        m_cv.notify_one();
    }
    std::vector<std::pair<std::uint32_t, Answer>> takeDone() {
        std::vector<std::pair<std::uint32_t, Answer>> done;
        std::lock_guard lock(m_mutex);
        done.swap(m_done);
        return done;
    }

private:
    struct Job {
        std::uint32_t key = 0;
        std::function<Answer()> work;
    };
    void loop() {
        sigset_t all;
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, nullptr);
        std::unique_lock lock(m_mutex);
        while (true) {
            m_cv.wait(lock, [&] { return m_stopping || !m_queue.empty(); });
            if (m_stopping) return;
            Job job = std::move(m_queue.front());
            m_queue.pop_front();
            lock.unlock();
            Answer answer;
            try {
                answer = job.work();
            } catch (const std::exception& e) {
                answer = m_onThrow(e.what());
            }
            lock.lock();
            m_done.emplace_back(job.key, std::move(answer));
        }
    }

    std::function<Answer(std::string)> m_onThrow;
    std::mutex m_mutex;  // guards m_queue, m_done, m_stopping
    std::condition_variable m_cv;
    std::deque<Job> m_queue;
    std::vector<std::pair<std::uint32_t, Answer>> m_done;
    bool m_stopping = false;
    std::vector<std::thread> m_workers;  // last: started after the rest exists
};

}  // namespace mxr::net
