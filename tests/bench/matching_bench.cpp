// Matching (issue 18): time to propose an assignment for a whole pool, from
// profiles to pairs (scoring every pair, time zones, TF-IDF, the three flow
// stages), for 200 mentors x 1,000 mentees (goal <= 2 s) and 2,000 x
// 10,000, and the process's peak resident memory after each. Figures in
// server/README.md ("Matching").
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <random>

#include "../../server/src/matching_assign.h"

namespace mxr::server::match {
namespace {

std::vector<Profile> pool(std::size_t n, std::int64_t firstId, bool mentors, std::mt19937& rng) {
    static const char* skills[] = {"welding", "cnc", "plc", "safety", "lean", "cad", "python", "sql", "leadership",
                                   "negotiation", "finance", "marketing", "design", "testing", "cloud", "security",
                                   "statistics", "writing", "public speaking", "hiring"};
    static const char* langs[] = {"english", "spanish", "german", "french", "japanese", "portuguese"};
    static const char* zones[] = {"Europe/Berlin", "Europe/London", "America/New_York", "America/Los_Angeles",
                                  "Asia/Tokyo", "Asia/Kolkata", "America/Sao_Paulo", "Australia/Sydney"};
    static const char* words[] = {"grow", "career", "manager", "team", "automation", "robot", "quality", "data",
                                  "product", "customer", "strategy", "startup", "promotion", "balance", "research",
                                  "teaching", "international", "remote", "factory", "software", "architecture",
                                  "mentoring", "confidence", "presentation", "budget", "operations", "supply",
                                  "chain", "analytics", "leadership"};
    std::vector<Profile> out;
    for (std::size_t i = 0; i < n; ++i) {
        Profile p;
        p.id = firstId + static_cast<std::int64_t>(i);
        p.name = "p" + std::to_string(p.id);
        for (int k = 0; k < 3; ++k) {
            SkillLevel s{skills[rng() % 20], 1 + static_cast<int>(rng() % 5)};
            (mentors ? p.offered : p.wanted).push_back(s);
        }
        p.languages = {langs[rng() % 6]};
        if (rng() % 3 == 0) p.languages.push_back("english");
        p.timeZone = zones[rng() % 8];
        for (int w = 0; w < 3; ++w) {
            const int start = 7 * 60 + static_cast<int>(rng() % 40) * 15;
            p.availability.push_back({static_cast<int>(rng() % 7), start, start + 120});
        }
        for (int k = 0; k < 12; ++k) p.goals += std::string(words[rng() % 30]) + " ";
        p.interests = {words[rng() % 30], words[rng() % 30]};
        p.team = "team" + std::to_string(rng() % 50);
        p.capacity = mentors ? 1 + static_cast<int>(rng() % 8) : 1;
        out.push_back(std::move(p));
    }
    return out;
}

void BM_ProposeAssignment(benchmark::State& state) {
    const auto mentors = static_cast<std::size_t>(state.range(0));
    const auto mentees = static_cast<std::size_t>(state.range(1));
    std::mt19937 rng(2026);
    const auto mr = pool(mentors, 1, true, rng);
    const auto me = pool(mentees, 1'000'000, false, rng);
    std::vector<int> capacity;
    for (const auto& m : mr) capacity.push_back(m.capacity);
    ProgramRules rules;
    rules.excludeSameTeam = true;
    Proposal last;
    for (auto _ : state) {
        Scorer scorer(mr, me, rules, 20513);
        auto p = proposeAssignment(scorer, capacity);
        if (!p) {
            state.SkipWithError(p.error().describe().c_str());
            return;
        }
        last = std::move(*p);
        benchmark::DoNotOptimize(last);
    }
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    state.counters["peak_rss_MiB"] = static_cast<double>(usage.ru_maxrss) / 1024.0;
    state.counters["matched"] = last.assignment.matched;
    state.counters["min_fit"] = last.assignment.minScore;
    state.counters["median_fit"] = last.median;
    state.counters["candidate_pairs"] = static_cast<double>(last.candidatePairs);
    state.counters["pruned"] = last.pruned ? 1 : 0;
}
BENCHMARK(BM_ProposeAssignment)->Args({200, 1000})->Args({2000, 10000})->Unit(benchmark::kMillisecond)->Iterations(1)->UseRealTime();

}  // namespace
}  // namespace mxr::server::match

BENCHMARK_MAIN();
