#pragma once
// Request handlers that wait for the group commit without holding a thread.
//
// A write's handler runs on the HTTP I/O thread that read the request, in a
// fiber (Boost.Context: a stack of its own). When it reaches Store::write,
// the store sees FiberWait::current(), queues the write and suspends the
// fiber; the I/O thread serves other connections meanwhile; once the group
// commit is durable the writer thread resumes the fiber on that same I/O
// thread, where the handler goes on and its answer is written. Before, each
// write held a worker thread: a hand-off to the worker and one back, and a
// wake-up by the writer, each a futex or eventfd wake that this machine's
// virtual CPUs make expensive (server/README.md, "HTTP front end").
//
// Only handlers whose one wait is the store's write run in fibers: which
// requests those are is the server's decision (http_server.cpp); password
// hashing, exports and anything else that may block stay on the workers.
//
// Stacks have a guard page below them, so an overflow faults at once
// instead of corrupting memory; request bodies nested deeper than the
// router allows never reach a handler.
#include <cstddef>
#include <functional>
#include <mutex>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/context/stack_context.hpp>

#include "fiber_wait.h"

namespace mxr::server {

// Fiber stacks, kept for reuse (an mmap, an mprotect and an munmap per
// request otherwise). Thread-safe; at most `keep` idle stacks are kept.
class FiberStacks {
public:
    explicit FiberStacks(std::size_t stackBytes, std::size_t keep = 256) : m_stackBytes(stackBytes), m_keep(keep) {}
    ~FiberStacks();
    FiberStacks(const FiberStacks&) = delete;
    FiberStacks& operator=(const FiberStacks&) = delete;

    boost::context::stack_context allocate();
    void deallocate(boost::context::stack_context& sc);

private:
    const std::size_t m_stackBytes;
    const std::size_t m_keep;
    std::mutex m_mutex;
    std::vector<boost::context::stack_context> m_idle;
};

// Starts `body` in a fiber on the calling thread, which must be the thread
// that runs `executor` (an io_context run by one thread); returns when the
// body finished or first suspended. The body must not throw. The executor
// is kept busy (run() does not return) until the body has finished.
// False, with nothing run, when no stack could be had (out of memory): the
// caller then runs the body elsewhere.
bool runInFiber(const boost::asio::any_io_executor& executor, FiberStacks& stacks, std::function<void()> body);

}  // namespace mxr::server
