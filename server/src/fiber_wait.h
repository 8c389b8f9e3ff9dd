#pragma once
// How a blocking wait inside a request handler gives its thread back: the
// handler runs in a fiber on an HTTP I/O thread (request_fiber.h explains
// when and why), and whatever it waits for (the store's group commit)
// suspends the fiber and resumes it when done, instead of blocking.
//
// Threads: current() is per thread. suspend() is called on the fiber;
// resume() from any thread, once per suspend(). A resume() that comes before
// the fiber has suspended is fine: it takes effect once the fiber gave its
// thread back.
namespace mxr::server {

class FiberWait {
public:
    // The fiber running on this thread, or null on a plain thread (a worker,
    // the room service, a test), where Store::write blocks as before.
    static FiberWait* current();

    // On the fiber: give the thread back until resume().
    virtual void suspend() = 0;
    // From any thread: continue the fiber on its own I/O thread.
    virtual void resume() = 0;

protected:
    FiberWait() = default;
    ~FiberWait() = default;
    // Returns the previous one (fibers are entered from plain code only).
    static FiberWait* setCurrent(FiberWait* wait);
};

}  // namespace mxr::server
