#include "matching_assign.h"

#include <algorithm>
#include <atomic>
#include <thread>

// LEMON's SmartDigraph pushes value-initialised-looking PODs whose members
// it leaves unset on purpose; GCC 12 at -O1 (the asan preset) reports that
// as maybe-uninitialized inside libstdc++. The warning is about LEMON's
// code, so it is silenced for this file only.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <lemon/network_simplex.h>
#include <lemon/preflow.h>
#include <lemon/smart_graph.h>

namespace mxr::server::match {
namespace {

using Graph = lemon::SmartDigraph;

// The flow network: source -> mentor (capacity) -> mentee (1) -> sink (1).
struct Network {
    Graph g;
    Graph::Node source, sink;
    std::vector<Graph::Arc> pairArcs;  // one per candidate, same order
    Graph::ArcMap<int> full;          // capacities with every pair allowed
    Graph::ArcMap<int> upper;         // capacities of the current stage
    explicit Network() : full(g), upper(g) {}
};

int maxFlow(Network& n) {
    lemon::Preflow<Graph, Graph::ArcMap<int>> flow(n.g, n.upper, n.source, n.sink);
    flow.runMinCut();  // the flow value is known after the first phase
    return static_cast<int>(flow.flowValue());
}

// upper = full, with the pairs below `threshold` closed.
void openFrom(Network& n, const std::vector<Candidate>& candidates, int threshold) {
    for (Graph::ArcIt a(n.g); a != lemon::INVALID; ++a) n.upper[a] = n.full[a];
    for (std::size_t i = 0; i < candidates.size(); ++i) {
        if (candidates[i].score < threshold) n.upper[n.pairArcs[i]] = 0;
    }
}

}  // namespace

Result<Assignment> assign(std::size_t mentors, std::size_t mentees, const std::vector<int>& capacity,
                          const std::vector<Candidate>& candidates) {
    if (capacity.size() != mentors) return makeError(ErrorCode::kInvalidArgument, "one capacity per mentor is needed");
    for (int c : capacity) {
        if (c < 0) return makeError(ErrorCode::kInvalidArgument, "a mentor's capacity is below zero");
    }
    for (const auto& c : candidates) {
        if (c.mentor >= mentors || c.mentee >= mentees) {
            return makeError(ErrorCode::kInvalidArgument, "a candidate pair names a mentor or mentee outside the pool");
        }
    }
    Network n;
    n.g.reserveNode(static_cast<int>(mentors + mentees + 2));
    n.g.reserveArc(static_cast<int>(mentors + mentees + candidates.size()));
    n.source = n.g.addNode();
    n.sink = n.g.addNode();
    std::vector<Graph::Node> mentorNode(mentors), menteeNode(mentees);
    for (std::size_t i = 0; i < mentors; ++i) {
        mentorNode[i] = n.g.addNode();
        n.full.set(n.g.addArc(n.source, mentorNode[i]), capacity[i]);
    }
    for (std::size_t j = 0; j < mentees; ++j) {
        menteeNode[j] = n.g.addNode();
        n.full.set(n.g.addArc(menteeNode[j], n.sink), 1);
    }
    n.pairArcs.reserve(candidates.size());
    for (const auto& c : candidates) {
        const auto a = n.g.addArc(mentorNode[c.mentor], menteeNode[c.mentee]);
        n.full.set(a, 1);
        n.pairArcs.push_back(a);
    }
    Assignment out;
    if (candidates.empty()) return out;

    // 1. How many mentees can be matched at all.
    openFrom(n, candidates, INT32_MIN);
    const int k = maxFlow(n);
    if (k == 0) return out;

    // 2. The highest threshold that still matches k: binary search over the
    // distinct scores (the flow only falls as the threshold rises).
    std::vector<int> scores;
    scores.reserve(candidates.size());
    for (const auto& c : candidates) scores.push_back(c.score);
    std::sort(scores.begin(), scores.end());
    scores.erase(std::unique(scores.begin(), scores.end()), scores.end());
    std::size_t lo = 0, hi = scores.size() - 1;  // scores[lo] keeps k
    while (lo < hi) {
        const std::size_t mid = (lo + hi + 1) / 2;
        openFrom(n, candidates, scores[mid]);
        if (maxFlow(n) == k) {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    const int threshold = scores[lo];

    // 3. Exactly k mentees over the pairs at or above it, most total score.
    openFrom(n, candidates, threshold);
    Graph::ArcMap<long long> cost(n.g, 0);
    for (std::size_t i = 0; i < candidates.size(); ++i) cost[n.pairArcs[i]] = -candidates[i].score;
    Graph::NodeMap<long long> supply(n.g, 0);
    supply[n.source] = k;
    supply[n.sink] = -k;
    lemon::NetworkSimplex<Graph, long long, long long> simplex(n.g);
    Graph::ArcMap<long long> upper64(n.g);
    for (Graph::ArcIt a(n.g); a != lemon::INVALID; ++a) upper64[a] = n.upper[a];
    simplex.upperMap(upper64).costMap(cost).supplyMap(supply);
    if (simplex.run() != lemon::NetworkSimplex<Graph, long long, long long>::OPTIMAL) {
        return makeError(ErrorCode::kUnknown, "the assignment's minimum-cost flow found no solution");
    }
    for (std::size_t i = 0; i < candidates.size(); ++i) {
        if (simplex.flow(n.pairArcs[i]) > 0) out.pairs.push_back(candidates[i]);
    }
    std::sort(out.pairs.begin(), out.pairs.end(), [](const Candidate& a, const Candidate& b) { return a.mentee < b.mentee; });
    out.matched = static_cast<int>(out.pairs.size());
    out.minScore = 1000;
    for (const auto& p : out.pairs) {
        out.total += p.score;
        out.minScore = std::min(out.minScore, p.score);
    }
    return out;
}

Result<Proposal> proposeAssignment(const Scorer& scorer, const std::vector<int>& capacity, const ProposeOptions& options) {
    const std::size_t mentors = scorer.mentorCount(), mentees = scorer.menteeCount();
    Proposal out;
    const bool prune = mentors * mentees > options.exactPairLimit && mentors > options.keepPerMentee;
    out.pruned = prune;
    // Score every pair, a block of mentees per thread; each thread keeps its
    // own candidates (pruned per mentee when asked), merged afterwards.
    unsigned threads = options.threads ? options.threads : std::min(8u, std::max(1u, std::thread::hardware_concurrency()));
    threads = static_cast<unsigned>(std::min<std::size_t>(threads, std::max<std::size_t>(1, mentees / 64)));
    std::vector<std::vector<Candidate>> parts(threads);
    std::vector<std::size_t> excluded(threads, 0);
    std::atomic<std::size_t> next{0};
    auto work = [&](unsigned t) {
        std::vector<Candidate> row;
        for (;;) {
            const std::size_t j0 = next.fetch_add(16);
            if (j0 >= mentees) return;
            for (std::size_t j = j0; j < std::min(mentees, j0 + 16); ++j) {
                row.clear();
                for (std::size_t i = 0; i < mentors; ++i) {
                    if (capacity[i] <= 0) continue;
                    const PairScore s = scorer.score(i, j);
                    if (s.excluded) {
                        ++excluded[t];
                        continue;
                    }
                    row.push_back(Candidate{static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(j), s.total});
                }
                if (prune && row.size() > options.keepPerMentee) {
                    std::nth_element(row.begin(), row.begin() + static_cast<std::ptrdiff_t>(options.keepPerMentee), row.end(),
                                     [](const Candidate& a, const Candidate& b) { return a.score > b.score; });
                    row.resize(options.keepPerMentee);
                }
                parts[t].insert(parts[t].end(), row.begin(), row.end());
            }
        }
    };
    std::vector<std::thread> pool;
    for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work, t);
    work(0);
    for (auto& th : pool) th.join();
    std::vector<Candidate> candidates;
    std::size_t total = 0;
    for (const auto& p : parts) total += p.size();
    candidates.reserve(total);
    for (auto& p : parts) {
        candidates.insert(candidates.end(), p.begin(), p.end());
        std::vector<Candidate>().swap(p);
    }
    for (auto e : excluded) out.excludedPairs += e;
    out.candidatePairs = candidates.size();
    MXR_TRY_ASSIGN(out.assignment, assign(mentors, mentees, capacity, candidates));
    std::vector<bool> matched(mentees, false);
    std::vector<int> fits;
    for (const auto& p : out.assignment.pairs) {
        matched[p.mentee] = true;
        fits.push_back(p.score);
    }
    for (std::size_t j = 0; j < mentees; ++j) {
        if (!matched[j]) out.unmatched.push_back(static_cast<std::uint32_t>(j));
    }
    out.histogram.assign(10, 0);
    if (!fits.empty()) {
        std::sort(fits.begin(), fits.end());
        out.p10 = fits[fits.size() / 10];
        out.median = fits[fits.size() / 2];
        double sum = 0;
        for (int f : fits) {
            sum += f;
            ++out.histogram[static_cast<std::size_t>(std::min(9, f / 100))];
        }
        out.mean = sum / static_cast<double>(fits.size());
    }
    return out;
}

}  // namespace mxr::server::match
