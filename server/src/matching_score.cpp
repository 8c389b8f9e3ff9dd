#include "matching_score.h"
#include "ascii.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <sstream>

namespace mxr::server::match {
namespace {

constexpr std::string_view kStopWords[] = {
    "the", "and", "for", "with", "that", "this", "from", "are", "was", "were", "have", "has", "had", "not", "but",
    "you", "your", "our", "they", "them", "their", "want", "wants", "would", "like", "into", "about", "more", "some",
    "can", "will", "how", "who", "what", "when", "also", "get", "out", "all", "any", "its", "than", "then", "very"};

std::vector<SkillLevel> lowered(const std::vector<SkillLevel>& in) {
    std::vector<SkillLevel> out = in;
    for (auto& s : out) s.skill = lowerAscii(s.skill);
    return out;
}

int offeredLevel(const std::vector<SkillLevel>& offered, const std::string& skill) {
    int best = 0;
    for (const auto& o : offered) {
        if (o.skill == skill) best = std::max(best, o.level);
    }
    return best;
}

bool contains(const std::vector<std::int64_t>& v, std::int64_t x) { return std::find(v.begin(), v.end(), x) != v.end(); }

std::string hours(double h) {
    std::ostringstream s;
    if (h == std::floor(h)) {
        s << static_cast<long long>(h);
    } else {
        s.precision(2);
        s << std::fixed << h;
        std::string t = s.str();
        while (t.back() == '0') t.pop_back();
        return t;
    }
    return s.str();
}

std::string nameOr(const Profile& p, const char* fallback) { return p.name.empty() ? std::string(fallback) : p.name; }

}  // namespace

std::vector<std::string> tokens(std::string_view text) {
    std::vector<std::string> out;
    std::string word;
    auto flush = [&] {
        if (word.size() >= 3 && std::find(std::begin(kStopWords), std::end(kStopWords), word) == std::end(kStopWords)) {
            out.push_back(word);
        }
        word.clear();
    };
    for (char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        if (std::isalnum(c) || c >= 0x80) {
            word.push_back(static_cast<char>(std::tolower(c)));
        } else {
            flush();
        }
    }
    flush();
    return out;
}

double cosine(std::span<const std::pair<std::uint32_t, float>> a, std::span<const std::pair<std::uint32_t, float>> b) {
    double dot = 0;
    std::size_t i = 0, j = 0;
    while (i < a.size() && j < b.size()) {
        if (a[i].first == b[j].first) {
            dot += static_cast<double>(a[i].second) * b[j].second;
            ++i;
            ++j;
        } else if (a[i].first < b[j].first) {
            ++i;
        } else {
            ++j;
        }
    }
    return std::clamp(dot, 0.0, 1.0);
}

ProgramRules rulesFromProgram(const Json& program) {
    ProgramRules r;
    auto intOr = [&](const char* k, int fallback) {
        return program.contains(k) && program[k].is_number_integer() ? static_cast<int>(program[k].get<std::int64_t>())
                                                                     : fallback;
    };
    if (program.contains("match_kind") && program["match_kind"].is_string()) r.kind = program["match_kind"].get<std::string>();
    if (program.contains("required_skills") && program["required_skills"].is_array()) {
        for (const auto& s : program["required_skills"]) {
            if (!s.is_string()) continue;
            if (auto sl = parseSkillLevel(s.get<std::string>())) r.required.push_back(*sl);
        }
    }
    r.excludeSameTeam = intOr("exclude_same_team", 0) != 0;
    r.excludeLineManager = intOr("exclude_line_manager", 1) != 0;
    r.weights.skills = intOr("weight_skills", r.weights.skills);
    r.weights.language = intOr("weight_language", r.weights.language);
    r.weights.availability = intOr("weight_availability", r.weights.availability);
    r.weights.text = intOr("weight_text", r.weights.text);
    r.weights.feedback = intOr("weight_feedback", r.weights.feedback);
    r.weights.targetHours = std::max(1, intOr("target_shared_hours", r.weights.targetHours));
    return r;
}

Scorer::Scorer(std::vector<Profile> mentors, std::vector<Profile> mentees, ProgramRules rules,
               std::int64_t weekStartDays, FeedbackHistory history)
    : m_rules(std::move(rules)), m_history(std::move(history)) {
    for (auto& r : m_rules.required) r.skill = lowerAscii(r.skill);
    // TF-IDF over the pool: a mentee's goals and interests against a
    // mentor's goals, interests and offered skills.
    std::unordered_map<std::string, std::uint32_t> termIds;
    std::vector<int> df;
    std::vector<std::vector<std::pair<std::uint32_t, float>>> counts;
    auto document = [&](const Profile& p, bool asMentor) {
        std::string text = p.goals;
        for (const auto& i : p.interests) text += " " + i;
        if (asMentor) {
            for (const auto& s : p.offered) text += " " + s.skill;
        }
        std::unordered_map<std::uint32_t, int> tf;
        for (auto& t : tokens(text)) {
            auto [it, added] = termIds.try_emplace(std::move(t), static_cast<std::uint32_t>(termIds.size()));
            if (added) df.push_back(0);
            if (tf[it->second]++ == 0) ++df[it->second];
        }
        std::vector<std::pair<std::uint32_t, float>> v;
        for (auto [term, n] : tf) v.emplace_back(term, static_cast<float>(1.0 + std::log(static_cast<double>(n))));
        std::sort(v.begin(), v.end());
        counts.push_back(std::move(v));
    };
    auto prepare = [&](Profile p) {
        Prepared out;
        out.offeredLower = lowered(p.offered);
        out.wantedLower = lowered(p.wanted);
        p.team = lowerAscii(p.team);
        auto week = weekInUtc(p, weekStartDays);
        if (!week) {
            Profile utc = p;
            utc.timeZone.clear();
            out.zoneKnown = false;
            week = weekInUtc(utc, weekStartDays);
        }
        out.week = week ? *week : WeekMask{};
        out.profile = std::move(p);
        return out;
    };
    for (auto& p : mentors) {
        document(p, true);
        m_mentors.push_back(prepare(std::move(p)));
    }
    for (auto& p : mentees) {
        document(p, false);
        m_mentees.push_back(prepare(std::move(p)));
    }
    const double n = static_cast<double>(counts.size());
    std::size_t k = 0;
    for (auto* side : {&m_mentors, &m_mentees}) {
        for (auto& prep : *side) {
            auto v = std::move(counts[k++]);
            double norm = 0;
            for (auto& [term, w] : v) {
                w = static_cast<float>(w * (std::log((n + 1) / (df[term] + 1)) + 1.0));
                norm += static_cast<double>(w) * w;
            }
            if (norm > 0) {
                for (auto& [term, w] : v) w = static_cast<float>(w / std::sqrt(norm));
            }
            prep.text = std::move(v);
        }
    }
}

std::string Scorer::exclusion(const Prepared& mr, const Prepared& me) const {
    const Profile& a = mr.profile;
    const Profile& b = me.profile;
    if (a.id == b.id) return "the same person";
    if (contains(b.avoid, a.id)) return strCat(nameOr(b, "the mentee"), " asked not to be matched with ", nameOr(a, "the mentor"));
    if (contains(a.avoid, b.id)) return strCat(nameOr(a, "the mentor"), " asked not to be matched with ", nameOr(b, "the mentee"));
    if (m_rules.excludeLineManager && (b.lineManager == a.id || a.lineManager == b.id)) {
        return "one is the other's line manager";
    }
    if (m_rules.excludeSameTeam && !a.team.empty() && a.team == b.team) return "same team";
    for (const auto& r : m_rules.required) {
        if (offeredLevel(mr.offeredLower, r.skill) < r.level) {
            return strCat(nameOr(a, "the mentor"), " does not teach ", r.skill, " at level ", r.level,
                          " (the program requires it)");
        }
    }
    return {};
}

PairScore Scorer::score(std::size_t mentorIndex, std::size_t menteeIndex) const {
    const Prepared& mr = m_mentors[mentorIndex];
    const Prepared& me = m_mentees[menteeIndex];
    PairScore s;
    s.excludedWhy = exclusion(mr, me);
    if (!s.excludedWhy.empty()) {
        s.excluded = true;
        return s;
    }
    if (!me.wantedLower.empty()) {
        double sum = 0;
        for (const auto& w : me.wantedLower) {
            const int have = offeredLevel(mr.offeredLower, w.skill);
            sum += have >= w.level ? 1.0 : static_cast<double>(have) / w.level;
        }
        s.skills = sum / static_cast<double>(me.wantedLower.size());
    }
    const auto& la = mr.profile.languages;
    const auto& lb = me.profile.languages;
    if (!la.empty() && !lb.empty()) {
        s.language = std::any_of(la.begin(), la.end(), [&](const std::string& l) {
                         return std::find(lb.begin(), lb.end(), l) != lb.end();
                     })
                         ? 1.0
                         : 0.0;
    }
    if (mr.week.any() && me.week.any()) {
        s.sharedHours = mr.week.sharedSlots(me.week) / 4.0;
        s.availability = std::min(1.0, s.sharedHours / m_rules.weights.targetHours);
    }
    if (!mr.text.empty() && !me.text.empty()) s.text = cosine(mr.text, me.text);
    const auto pairIt = m_history.pair.find({mr.profile.id, me.profile.id});
    if (pairIt != m_history.pair.end() && pairIt->second.count > 0) {
        s.feedback = (pairIt->second.value() - 1.0) / 4.0;
    } else if (auto it = m_history.aboutMentor.find(mr.profile.id); it != m_history.aboutMentor.end() && it->second.count) {
        s.feedback = (it->second.value() - 1.0) / 4.0;
    }
    const auto& w = m_rules.weights;
    double sum = 0, weights = 0;
    for (auto [c, wt] : {std::pair{s.skills, w.skills}, {s.language, w.language}, {s.availability, w.availability},
                         {s.text, w.text}, {s.feedback, w.feedback}}) {
        if (c && wt > 0) {
            sum += *c * wt;
            weights += wt;
        }
    }
    s.total = weights > 0 ? static_cast<int>(std::lround(1000.0 * sum / weights)) : 0;
    s.preferred = contains(me.profile.prefer, mr.profile.id) || contains(mr.profile.prefer, me.profile.id);
    if (s.preferred) s.total = std::min(1000, s.total + 100);
    return s;
}

std::string Scorer::explain(std::size_t mentorIndex, std::size_t menteeIndex) const {
    const Prepared& mr = m_mentors[mentorIndex];
    const Prepared& me = m_mentees[menteeIndex];
    const std::string a = nameOr(mr.profile, "the mentor");
    const std::string b = nameOr(me.profile, "the mentee");
    const PairScore s = score(mentorIndex, menteeIndex);
    if (s.excluded) return strCat("not a possible pair: ", s.excludedWhy);
    std::vector<std::string> parts;
    // Language first: the shared ones by name.
    if (s.language) {
        std::vector<std::string> shared;
        for (const auto& l : mr.profile.languages) {
            if (std::find(me.profile.languages.begin(), me.profile.languages.end(), l) != me.profile.languages.end()) {
                shared.push_back(l);
            }
        }
        if (shared.empty()) {
            parts.push_back("no common language");
        } else {
            std::string list;
            for (std::size_t i = 0; i < shared.size(); ++i) list += (i ? (i + 1 == shared.size() ? " and " : ", ") : "") + shared[i];
            parts.push_back("both speak " + list);
        }
    } else {
        parts.push_back("languages not given");
    }
    if (me.wantedLower.empty()) {
        parts.push_back(strCat(b, " named no skills to learn"));
    } else {
        for (std::size_t i = 0; i < me.wantedLower.size(); ++i) {
            const auto& w = me.wantedLower[i];
            const int have = offeredLevel(mr.offeredLower, w.skill);
            const std::string& shown = me.profile.wanted[i].skill;
            if (have == 0) {
                parts.push_back(strCat(a, " does not teach ", shown, ", which ", b, " wants"));
            } else {
                parts.push_back(strCat(a, " teaches ", shown, " at level ", have, ", ", b, " wants level ", w.level));
            }
        }
    }
    if (s.availability) {
        parts.push_back(strCat(hours(s.sharedHours), " shared hours a week"));
    } else {
        parts.push_back("availability not given");
    }
    if (!mr.zoneKnown) parts.push_back(strCat(a, "'s time zone is unknown (taken as UTC)"));
    if (!me.zoneKnown) parts.push_back(strCat(b, "'s time zone is unknown (taken as UTC)"));
    if (s.text) {
        const int pct = static_cast<int>(std::lround(*s.text * 100));
        parts.push_back(pct >= 30 ? strCat("goals and interests alike (", pct, "%)")
                                  : strCat("goals and interests little alike (", pct, "%)"));
    }
    if (s.feedback) {
        const auto pairIt = m_history.pair.find({mr.profile.id, me.profile.id});
        if (pairIt != m_history.pair.end() && pairIt->second.count > 0) {
            std::ostringstream r;
            r.precision(1);
            r << std::fixed << pairIt->second.value();
            parts.push_back(strCat("rated ", r.str(), " of 5 when they were paired before"));
        } else {
            const auto& m = m_history.aboutMentor.at(mr.profile.id);
            std::ostringstream r;
            r.precision(1);
            r << std::fixed << m.value();
            parts.push_back(strCat(a, "'s mentees rated them ", r.str(), " of 5 (", m.count, " ratings)"));
        }
    }
    if (!mr.profile.team.empty() && !me.profile.team.empty()) {
        parts.push_back(mr.profile.team == me.profile.team ? "same team" : "different teams");
    }
    if (s.preferred) parts.push_back("preferred by name");
    std::string out;
    for (const auto& p : parts) out += (out.empty() ? "" : "; ") + p;
    return out;
}

Json Scorer::breakdown(std::size_t mentorIndex, std::size_t menteeIndex) const {
    const PairScore s = score(mentorIndex, menteeIndex);
    auto opt = [](const std::optional<double>& v) { return v ? Json(std::round(*v * 1000) / 1000) : Json(nullptr); };
    Json out = {{"score", s.excluded ? Json(nullptr) : Json(s.total)},
                {"skills", opt(s.skills)},
                {"language", opt(s.language)},
                {"availability", opt(s.availability)},
                {"shared_hours", s.sharedHours},
                {"text", opt(s.text)},
                {"feedback", opt(s.feedback)},
                {"preferred", s.preferred},
                {"explanation", explain(mentorIndex, menteeIndex)}};
    if (s.excluded) out["excluded"] = s.excludedWhy;
    return out;
}

}  // namespace mxr::server::match
