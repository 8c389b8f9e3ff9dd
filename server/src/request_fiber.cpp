#include "request_fiber.h"

#include <memory>
#include <new>
#include <utility>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/context/fiber.hpp>
#include <boost/context/protected_fixedsize_stack.hpp>

namespace mxr::server {

namespace asio = boost::asio;
namespace ctx = boost::context;

namespace {

// The fiber that runs on this thread now. Per thread by nature (it names
// what this thread is executing), so it is the one mutable thread_local
// here; nothing else can carry it into Store::write without changing every
// handler's signature.
thread_local FiberWait* t_current = nullptr;

// Boost.Context's StackAllocator concept over a FiberStacks (copied into
// each fiber, so it is a handle).
class StackHandle {
public:
    explicit StackHandle(FiberStacks& stacks) : m_stacks(&stacks) {}
    ctx::stack_context allocate() { return m_stacks->allocate(); }
    void deallocate(ctx::stack_context& sc) noexcept { m_stacks->deallocate(sc); }

private:
    FiberStacks* m_stacks;
};

class RequestFiber final : public FiberWait, public std::enable_shared_from_this<RequestFiber> {
public:
    RequestFiber(asio::any_io_executor executor, std::function<void()> body)
        : m_executor(std::move(executor)), m_work(asio::make_work_guard(m_executor)), m_body(std::move(body)) {}

    bool start(FiberStacks& stacks) {
        try {
            m_fiber = ctx::fiber(std::allocator_arg, StackHandle(stacks), [this](ctx::fiber&& caller) {
                m_caller = std::move(caller);
                m_body();
                m_body = nullptr;
                return std::move(m_caller);
            });
        } catch (const std::bad_alloc&) {
            return false;
        }
        m_self = shared_from_this();  // the fiber owns itself until its body ends
        enter();
        return true;
    }

    void suspend() override { m_caller = std::move(m_caller).resume(); }

    // Safe before suspend() too: the posted enter() cannot run while the
    // body runs on that thread. The object lives until the body ends, and
    // it cannot end before this resume's enter().
    void resume() override {
        asio::post(m_executor, [this] { enter(); });
    }

private:
    // On the executor's thread: run the fiber until it suspends or ends.
    void enter() {
        FiberWait* outer = setCurrent(this);
        m_fiber = std::move(m_fiber).resume();
        setCurrent(outer);
        if (m_fiber) return;  // suspended
        m_work.reset();       // the body ended: the executor may finish
        auto last = std::move(m_self);  // destroys this object on return
    }

    asio::any_io_executor m_executor;
    asio::executor_work_guard<asio::any_io_executor> m_work;
    std::function<void()> m_body;
    ctx::fiber m_fiber;   // the body's context, when not running
    ctx::fiber m_caller;  // the I/O thread's context, while the body runs
    std::shared_ptr<RequestFiber> m_self;
};

}  // namespace

FiberWait* FiberWait::current() { return t_current; }

FiberWait* FiberWait::setCurrent(FiberWait* wait) { return std::exchange(t_current, wait); }

FiberStacks::~FiberStacks() {
    ctx::protected_fixedsize_stack alloc(m_stackBytes);
    for (auto& sc : m_idle) alloc.deallocate(sc);
}

ctx::stack_context FiberStacks::allocate() {
    {
        std::lock_guard lock(m_mutex);
        if (!m_idle.empty()) {
            ctx::stack_context sc = m_idle.back();
            m_idle.pop_back();
            return sc;
        }
    }
    return ctx::protected_fixedsize_stack(m_stackBytes).allocate();  // throws std::bad_alloc
}

void FiberStacks::deallocate(ctx::stack_context& sc) {
    {
        std::lock_guard lock(m_mutex);
        if (m_idle.size() < m_keep) {
            m_idle.push_back(sc);
            return;
        }
    }
    ctx::protected_fixedsize_stack(m_stackBytes).deallocate(sc);
}

bool runInFiber(const asio::any_io_executor& executor, FiberStacks& stacks, std::function<void()> body) {
    auto fiber = std::make_shared<RequestFiber>(executor, std::move(body));
    return fiber->start(stacks);
}

}  // namespace mxr::server
