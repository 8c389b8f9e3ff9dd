// Built only under AddressSanitizer (server/CMakeLists.txt). There the
// request fibers (request_fiber.h) use Boost.Context's ucontext
// implementation, the one in Boost 1.74 that announces each stack switch to
// ASan (BOOST_USE_ASAN); without that ASan takes a fiber's stack for a
// buffer overflow. Its per-thread "current record" lives in the compiled
// library, but Debian builds libboost_context with the fcontext
// implementation only, so the few lines Boost's libs/context/src/fiber.cpp
// has for ucontext builds are here, written the same way.
#if !defined(BOOST_USE_UCONTEXT)
#error "boost_context_ucontext.cpp is only for BOOST_USE_UCONTEXT builds"
#endif

#include <boost/context/fiber.hpp>

namespace boost::context::detail {

namespace {
thread_local fiber_activation_record* t_currentRecord = nullptr;
thread_local std::size_t t_initializers = 0;
}  // namespace

fiber_activation_record_initializer::fiber_activation_record_initializer() noexcept {
    // The thread's own (main) context; getcontext() does not fail on Linux.
    if (t_initializers++ == 0) t_currentRecord = new fiber_activation_record();
}

fiber_activation_record_initializer::~fiber_activation_record_initializer() {
    if (--t_initializers == 0) {
        delete t_currentRecord;
        t_currentRecord = nullptr;
    }
}

fiber_activation_record*& fiber_activation_record::current() noexcept {
    thread_local fiber_activation_record_initializer initializer;
    return t_currentRecord;
}

}  // namespace boost::context::detail
