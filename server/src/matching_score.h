#pragma once
// Scoring of every possible (mentor, mentee) pair of a pool from their
// matching profiles (matching_profile.h) and a program's rules, with a
// breakdown in words. Pure C++: no store, no HTTP.
//
// A score is an integer 0-1000: the weighted mean of the components that
// both profiles give data for (skills, language, shared hours, text,
// feedback; a component without data on either side drops out and the
// others' weights are renormalised), times 1000, plus 100 when either names
// the other as preferred (capped at 1000). Hard exclusions (same person,
// avoided, line manager, same team when the program says so, a required
// skill missing) answer no score. Defaults and reasons: server/README.md
// "Matching".
//
// Thread: a Scorer is immutable after construction; score/explain may run
// from several threads at once.
#include <map>
#include <optional>
#include <span>
#include <unordered_map>

#include "matching_profile.h"

namespace mxr::server::match {

struct Weights {
    int skills = 35;
    int language = 15;
    int availability = 25;
    int text = 15;
    int feedback = 10;
    int targetHours = 3;  // shared hours a week that count as full availability
};

struct ProgramRules {
    std::string kind = "one_to_one";  // mentorship kind the proposal creates
    std::vector<SkillLevel> required;  // every mentor must offer these at least at this level
    bool excludeSameTeam = false;
    bool excludeLineManager = true;
    Weights weights;
};

// Reads the program record's matching fields (schema.cpp), defaults where unset.
ProgramRules rulesFromProgram(const Json& program);

// Past feedback: ratings (1-5, the mean of the four) that mentees gave a
// mentor, overall and per pair.
struct FeedbackHistory {
    struct Mean {
        double sum = 0;
        int count = 0;
        double value() const { return count ? sum / count : 0; }
    };
    std::unordered_map<std::int64_t, Mean> aboutMentor;
    std::map<std::pair<std::int64_t, std::int64_t>, Mean> pair;  // (mentor, mentee)
};

struct PairScore {
    bool excluded = false;
    std::string excludedWhy;  // words, when excluded
    int total = 0;            // 0-1000
    std::optional<double> skills, language, availability, text, feedback;  // each 0-1
    double sharedHours = 0;
    bool preferred = false;
};

class Scorer {
public:
    // weekStartDays: the Monday (days since 1970-01-01) of the week whose
    // time-zone rules place the weekly windows. People whose time zone is
    // unknown are placed in UTC (and the breakdown says so).
    Scorer(std::vector<Profile> mentors, std::vector<Profile> mentees, ProgramRules rules,
           std::int64_t weekStartDays, FeedbackHistory history = {});

    std::size_t mentorCount() const { return m_mentors.size(); }
    std::size_t menteeCount() const { return m_mentees.size(); }
    const Profile& mentor(std::size_t i) const { return m_mentors[i].profile; }
    const Profile& mentee(std::size_t i) const { return m_mentees[i].profile; }
    const ProgramRules& rules() const { return m_rules; }

    PairScore score(std::size_t mentor, std::size_t mentee) const;
    // "both speak Spanish; Ana teaches welding at level 4, Ben wants level 2;
    // 6 shared hours a week; different teams; ..." (names from the profiles).
    std::string explain(std::size_t mentor, std::size_t mentee) const;
    Json breakdown(std::size_t mentor, std::size_t mentee) const;  // the components as numbers and the words

private:
    struct Prepared {
        Profile profile;
        WeekMask week;
        bool zoneKnown = true;
        std::vector<std::pair<std::uint32_t, float>> text;  // TF-IDF, L2-normalised, sorted by term
        std::vector<SkillLevel> offeredLower, wantedLower;
    };
    std::string exclusion(const Prepared& mentor, const Prepared& mentee) const;

    std::vector<Prepared> m_mentors, m_mentees;
    ProgramRules m_rules;
    FeedbackHistory m_history;
};

// Cosine similarity of two L2-normalised sparse vectors sorted by term.
double cosine(std::span<const std::pair<std::uint32_t, float>> a, std::span<const std::pair<std::uint32_t, float>> b);
// Lower-cased words of three letters or more, stop words left out
// (bytes >= 0x80 count as letters, so words in any script stay whole).
std::vector<std::string> tokens(std::string_view text);

}  // namespace mxr::server::match
