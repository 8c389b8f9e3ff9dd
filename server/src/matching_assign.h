#pragma once
// Whole-pool assignment (issue 18): which mentor takes which mentees, under
// mentor capacities and the scorer's exclusions, chosen lexicographically:
//   1. as many mentees matched as the capacities and exclusions allow;
//   2. among those, the worst matched mentee's score as high as possible
//      (max-min, the fairness stage);
//   3. among those, the total score as high as possible.
// Stages 1-2 are maximum flows (LEMON's Preflow) over the pairs whose score
// reaches a threshold, found by binary search over the distinct scores;
// stage 3 is a minimum-cost flow (LEMON's NetworkSimplex) with exactly the
// stage-1 number of mentees over the pairs at or above the stage-2
// threshold. Why LEMON and this order: server/README.md "Matching".
//
// Pure C++: no store, no HTTP. Thread: reentrant; proposeAssignment scores
// on up to `threads` threads of its own and joins them before it returns.
// Errors: Result (a capacity below zero, an edge naming no one).
#include <cstdint>
#include <vector>

#include "matching_score.h"

namespace mxr::server::match {

struct Candidate {
    std::uint32_t mentor = 0;
    std::uint32_t mentee = 0;
    std::int32_t score = 0;  // 0-1000
};

struct Assignment {
    std::vector<Candidate> pairs;  // ordered by mentee
    int matched = 0;
    int minScore = 0;  // worst matched mentee's score (0 when none matched)
    std::int64_t total = 0;
};

// The lexicographic optimum over the candidate pairs (see above).
Result<Assignment> assign(std::size_t mentors, std::size_t mentees, const std::vector<int>& capacity,
                          const std::vector<Candidate>& candidates);

struct ProposeOptions {
    // Above this many possible pairs, each mentee keeps only its
    // `keepPerMentee` best-scoring mentors as candidates (the optimum is
    // then the optimum over those; below it, over every pair).
    std::size_t exactPairLimit = 4'000'000;
    std::size_t keepPerMentee = 64;
    unsigned threads = 0;  // 0: the hardware's, at most 8
};

struct Proposal {
    Assignment assignment;
    std::vector<std::uint32_t> unmatched;  // mentee indices left without a mentor
    std::size_t candidatePairs = 0;        // pairs the solver saw
    std::size_t excludedPairs = 0;
    bool pruned = false;
    // Fit distribution over the matched mentees: min, 10th percentile,
    // median, mean, and counts per 100-point band (0-99, ..., 900-1000).
    int p10 = 0, median = 0;
    double mean = 0;
    std::vector<int> histogram;
};

// capacity[i]: mentees mentor i may take now (0 or more).
Result<Proposal> proposeAssignment(const Scorer& scorer, const std::vector<int>& capacity, const ProposeOptions& options = {});

}  // namespace mxr::server::match
