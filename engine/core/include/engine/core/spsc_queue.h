#pragma once
// Bounded single-producer/single-consumer queue: how the network, audio and
// main threads hand each other work without shared mutable state.
//
// Thread: exactly one thread calls tryPush, exactly one calls tryPop.
// Never blocks, never allocates after construction. tryPush fails (returns
// false) when full; the producer decides whether to drop or retry.
#include <atomic>
#include <cassert>
#include <cstddef>
#include <optional>
#include <vector>

namespace mxr {

template <typename T>
class SpscQueue {
public:
    explicit SpscQueue(std::size_t capacity) : m_slots(capacity + 1) { assert(capacity > 0); }

    bool tryPush(T value) {
        const auto head = m_head.load(std::memory_order_relaxed);
        const auto next = increment(head);
        if (next == m_tail.load(std::memory_order_acquire)) return false;
        m_slots[head] = std::move(value);
        m_head.store(next, std::memory_order_release);
        return true;
    }

    std::optional<T> tryPop() {
        const auto tail = m_tail.load(std::memory_order_relaxed);
        if (tail == m_head.load(std::memory_order_acquire)) return std::nullopt;
        std::optional<T> out(std::move(m_slots[tail]));
        m_tail.store(increment(tail), std::memory_order_release);
        return out;
    }

    std::size_t capacity() const { return m_slots.size() - 1; }
    bool empty() const { return m_tail.load(std::memory_order_acquire) == m_head.load(std::memory_order_acquire); }

private:
    std::size_t increment(std::size_t i) const { return (i + 1) % m_slots.size(); }

    std::vector<T> m_slots;
    alignas(64) std::atomic<std::size_t> m_head{0};
    alignas(64) std::atomic<std::size_t> m_tail{0};
};

}  // namespace mxr
