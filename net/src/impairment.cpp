#include "net/impairment.h"

#include <algorithm>

namespace mxr::net {

bool Impairment::inOutage(Nanos now) const {
    if (m_config.outageEvery <= 0 || m_config.outageLength <= 0 || now < m_config.outageFirstAt) return false;
    return (now - m_config.outageFirstAt) % m_config.outageEvery < m_config.outageLength;
}

std::vector<Nanos> Impairment::decide(Nanos now) {
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    // Draw every random number whatever the outcome, so that one setting does
    // not shift the random sequence of the others.
    const double lossDraw = unit(m_rng);
    const double dupDraw = unit(m_rng);
    const double j1 = unit(m_rng);
    const double j2 = unit(m_rng);
    if (now < m_config.impairFrom) return {0};
    if (inOutage(now) || lossDraw < m_config.loss) return {};
    auto delayOf = [&](double u) {
        const double d = static_cast<double>(m_config.delay) +
                         (2.0 * u - 1.0) * static_cast<double>(m_config.jitter);
        return std::max<Nanos>(0, static_cast<Nanos>(d));
    };
    std::vector<Nanos> out{delayOf(j1)};
    if (dupDraw < m_config.duplicate) out.push_back(delayOf(j2));
    return out;
}

void SimulatedLink::send(Bytes datagram, Nanos now) {
    ++m_sent;
    const std::uint64_t seq = m_nextSequence++;
    for (Nanos d : m_impairment.decide(now)) {
        InFlight f{now + d, seq, datagram};
        auto it = std::upper_bound(m_inFlight.begin(), m_inFlight.end(), f.arrival,
                                   [](Nanos a, const InFlight& x) { return a < x.arrival; });
        m_inFlight.insert(it, std::move(f));
    }
}

std::vector<Bytes> SimulatedLink::receive(Nanos now) {
    std::vector<Bytes> out;
    while (!m_inFlight.empty() && m_inFlight.front().arrival <= now) {
        InFlight f = std::move(m_inFlight.front());
        m_inFlight.pop_front();
        if (m_sequenced) {
            if (m_deliveredAny && f.sequence <= m_lastDeliveredSequence) continue;
            m_lastDeliveredSequence = f.sequence;
            m_deliveredAny = true;
        }
        ++m_delivered;
        out.push_back(std::move(f.data));
    }
    return out;
}

}  // namespace mxr::net
