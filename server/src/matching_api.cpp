// The matching endpoints of Handlers (issue 18): propose an assignment for
// a program, read a proposal with explanations, decide a proposed pair.
// The scoring and the solver are pure (matching_score.h, matching_assign.h);
// this file reads the pool from the store and writes the records.
#include <algorithm>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "handler_helpers.h"
#include "matching_assign.h"
#include "server/time_util.h"

namespace mxr::server {
namespace {

bool holds(const Json& person, std::string_view role) {
    if (!person.contains("roles") || !person["roles"].is_array()) return false;
    return std::any_of(person["roles"].begin(), person["roles"].end(), [&](const Json& r) { return r == role; });
}

bool current(const Json& mentorship) {
    const auto s = mentorship.value("status", std::string());
    return s == "proposed" || s == "active" || s == "paused";
}

struct Pool {
    Json program;
    std::vector<match::Profile> mentors, mentees;
    std::vector<int> capacity;
    match::FeedbackHistory history;
};

// The feedback mentees gave their mentors in the program's mentorships.
tl::expected<match::FeedbackHistory, ApiError> historyOf(ReadTx& tx, std::int64_t programId) {
    match::FeedbackHistory h;
    API_TRY_ASSIGN(auto mentorships, lift(tx.listInProgram(Entity::kMentorship, programId)));
    API_TRY_ASSIGN(auto sessions, lift(tx.listInProgram(Entity::kSession, programId)));
    API_TRY_ASSIGN(auto feedback, lift(tx.listInProgram(Entity::kFeedback, programId)));
    std::unordered_map<std::int64_t, const Json*> byId;
    for (const auto& m : mentorships) byId[idOf(m)] = &m;
    std::unordered_map<std::int64_t, std::int64_t> sessionMentorship;
    for (const auto& s : sessions) sessionMentorship[idOf(s)] = s["mentorship_id"].get<std::int64_t>();
    auto in = [](const Json& list, const Json& id) { return std::find(list.begin(), list.end(), id) != list.end(); };
    for (const auto& f : feedback) {
        const auto sm = sessionMentorship.find(f["session_id"].get<std::int64_t>());
        if (sm == sessionMentorship.end()) continue;
        const auto m = byId.find(sm->second);
        if (m == byId.end()) continue;
        const Json& ms = *m->second;
        if (!in(ms["mentors"], f["subject_id"]) || !in(ms["mentees"], f["author_id"])) continue;
        const double mean = (f["rating_goal_progress"].get<double>() + f["rating_communication"].get<double>() +
                             f["rating_trust_respect"].get<double>() + f["rating_usefulness"].get<double>()) /
                            4.0;
        const auto mentor = f["subject_id"].get<std::int64_t>(), mentee = f["author_id"].get<std::int64_t>();
        auto& a = h.aboutMentor[mentor];
        a.sum += mean;
        ++a.count;
        auto& pr = h.pair[{mentor, mentee}];
        pr.sum += mean;
        ++pr.count;
    }
    return h;
}

// The program, after checking that p may do `verb` to its proposals
// (404 when p may not see the program, 403 when p sees but may not).
tl::expected<Json, ApiError> managedProgram(ReadTx& tx, const Principal& p, std::int64_t programId, RelSet who) {
    API_TRY_ASSIGN(auto program, lift(tx.get(Entity::kProgram, programId)));
    const auto missing = notFound("", strCat("no program with id ", programId));
    if (!program) return tl::unexpected(missing);
    API_TRY_ASSIGN(bool visible, canRead(tx, p, Entity::kProgram, *program));
    if (!visible && !p.server) return tl::unexpected(missing);
    API_TRY_ASSIGN(RelSet rels, relationsTo(tx, p, Entity::kProgram, *program, who));
    if (!p.server && !(rels & who)) {
        return tl::unexpected(forbidden("only the program's managers and administrators see and make matching proposals"));
    }
    return *program;
}

tl::expected<Pool, ApiError> poolOf(ReadTx& tx, const Json& program, bool keepExisting) {
    Pool pool;
    pool.program = program;
    const std::int64_t programId = idOf(program);
    std::set<std::int64_t> ids;
    for (const auto& v : program["members"]) ids.insert(v.get<std::int64_t>());
    API_TRY_ASSIGN(auto mentorships, lift(tx.listInProgram(Entity::kMentorship, programId)));
    std::unordered_map<std::int64_t, int> load;
    std::unordered_set<std::int64_t> placed;
    for (const auto& m : mentorships) {
        for (const char* k : {"mentors", "mentees"}) {
            for (const auto& v : m[k]) ids.insert(v.get<std::int64_t>());
        }
        if (!keepExisting || !current(m)) continue;
        for (const auto& mentor : m["mentors"]) load[mentor.get<std::int64_t>()] += static_cast<int>(m["mentees"].size());
        for (const auto& mentee : m["mentees"]) placed.insert(mentee.get<std::int64_t>());
    }
    for (auto id : ids) {
        API_TRY_ASSIGN(auto person, lift(tx.get(Entity::kPerson, id)));
        if (!person || !(*person)["erased_at"].is_null()) continue;
        if (holds(*person, "mentor")) {
            auto profile = match::profileFromPerson(*person);
            pool.capacity.push_back(std::max(0, profile.capacity - load[id]));
            pool.mentors.push_back(std::move(profile));
        }
        if (holds(*person, "mentee") && !placed.count(id)) pool.mentees.push_back(match::profileFromPerson(*person));
    }
    API_TRY_ASSIGN(pool.history, historyOf(tx, programId));
    return pool;
}

Json fairnessOf(std::vector<int> fits, std::size_t unmatched) {
    Json out = {{"matched", fits.size()}, {"unmatched", unmatched}};
    if (fits.empty()) return out;
    std::sort(fits.begin(), fits.end());
    double sum = 0;
    Json histogram = Json::array();
    std::vector<int> bands(10, 0);
    for (int f : fits) {
        sum += f;
        ++bands[static_cast<std::size_t>(std::min(9, f / 100))];
    }
    for (int b : bands) histogram.push_back(b);
    out["min"] = fits.front();
    out["p10"] = fits[fits.size() / 10];
    out["median"] = fits[fits.size() / 2];
    out["mean"] = std::round(sum / static_cast<double>(fits.size()) * 10) / 10;
    out["max"] = fits.back();
    out["histogram"] = std::move(histogram);  // mentees per 100-point band of fit
    out["method"] =
        "most mentees matched first, then the worst matched mentee's fit as high as possible, then the total";
    return out;
}

std::int64_t weekStartFrom(const Json& body, std::int64_t nowUnix, ApiError& err) {
    std::int64_t days = nowUnix / 86400;
    if (body.contains("week_of")) {
        const auto d = body["week_of"].is_string() ? parseDate(body["week_of"].get<std::string>()) : std::nullopt;
        if (!d) {
            err = badRequest("week_of", "week_of must be a real calendar date written YYYY-MM-DD");
            return 0;
        }
        days = *d;
    }
    return match::mondayOf(days);
}

}  // namespace

ApiResult Handlers::proposeMatches(const Principal& p, std::int64_t programId, const Json& body, const WriteKey& key) {
    if (!body.is_object()) return tl::unexpected(badRequest("", "the body must be a JSON object"));
    for (const auto& [k, v] : body.items()) {
        if (k != "keep_existing" && k != "week_of") {
            return tl::unexpected(badRequest(k, strCat(k, " is not an option of a proposal (keep_existing, week_of)")));
        }
    }
    if (body.contains("keep_existing") && !body["keep_existing"].is_boolean()) {
        return tl::unexpected(badRequest("keep_existing", "keep_existing must be true or false"));
    }
    const bool keepExisting = body.value("keep_existing", true);
    ApiError err;
    err.status = 0;
    const std::int64_t weekStart = weekStartFrom(body, m_clock.nowUnix(), err);
    if (err.status) return tl::unexpected(err);
    const RelSet who = ruleFor(Entity::kMatchProposal, Json::object()).create;

    // Score and solve on a read snapshot, outside the single writer.
    struct Planned {
        std::int64_t mentor, mentee;
        int score;
        std::string explanation;
    };
    std::vector<Planned> planned;
    std::vector<std::int64_t> unmatched;
    std::string kind;
    Json fairness;
    Json stats;
    auto solved = runRead([&](ReadTx& tx) -> ApiResult {
        API_TRY_ASSIGN(Json program, managedProgram(tx, p, programId, who));
        API_TRY_ASSIGN(Pool pool, poolOf(tx, program, keepExisting));
        match::ProgramRules rules = match::rulesFromProgram(program);
        kind = rules.kind;
        match::Scorer scorer(std::move(pool.mentors), std::move(pool.mentees), std::move(rules), weekStart,
                             std::move(pool.history));
        auto proposal = match::proposeAssignment(scorer, pool.capacity);
        if (!proposal) return tl::unexpected(fromStoreError(proposal.error()));
        std::vector<int> fits;
        for (const auto& c : proposal->assignment.pairs) {
            planned.push_back(Planned{scorer.mentor(c.mentor).id, scorer.mentee(c.mentee).id, c.score,
                                      scorer.explain(c.mentor, c.mentee)});
            fits.push_back(c.score);
        }
        for (auto j : proposal->unmatched) unmatched.push_back(scorer.mentee(j).id);
        fairness = fairnessOf(std::move(fits), unmatched.size());
        stats = {{"mentors", scorer.mentorCount()}, {"mentees", scorer.menteeCount()},
                 {"candidate_pairs", proposal->candidatePairs}, {"excluded_pairs", proposal->excludedPairs},
                 {"pruned", proposal->pruned}, {"week_of", formatDate(weekStart)}};
        return Json();
    });
    if (!solved) return tl::unexpected(solved.error());

    return runWrite([&](WriteTx& tx) -> ApiResult {
        API_TRY_ASSIGN(Json program, managedProgram(tx, p, programId, who));
        API_TRY_ASSIGN(auto earlier, lift(tx.listInProgram(Entity::kMatchProposal, programId)));
        std::int64_t batch = 1;
        for (const auto& r : earlier) batch = std::max(batch, r["batch"].get<std::int64_t>() + 1);
        Json pairs = Json::array();
        for (const auto& pl : planned) {
            const Json fields = {{"program_id", programId}, {"batch", batch}, {"mentor_id", pl.mentor},
                                 {"mentee_id", pl.mentee}, {"kind", kind}, {"score", pl.score}, {"decision", "pending"}};
            API_TRY_ASSIGN(auto id, lift(tx.insert(Entity::kMatchProposal, fields)));
            API_TRY_ASSIGN(Json rec, auditedRecord(tx, p, "create", Entity::kMatchProposal, id, fieldNames(fields)));
            rec["explanation"] = pl.explanation;
            pairs.push_back(std::move(rec));
        }
        return Json{{"program_id", programId}, {"batch", batch}, {"kind", kind}, {"pairs", std::move(pairs)},
                    {"unmatched", unmatched}, {"fairness", fairness}, {"pool", stats}};
    }, &p, &key);
}

ApiResult Handlers::readProposal(const Principal& p, std::int64_t programId, const Params& params) {
    ApiError err;
    err.status = 0;
    const auto batchParam = parseId(params, "batch", err);
    if (err.status) return tl::unexpected(err);
    const auto weekStart = match::mondayOf(m_clock.nowUnix() / 86400);
    return runRead([&](ReadTx& tx) -> ApiResult {
        API_TRY_ASSIGN(Json program, managedProgram(tx, p, programId, ruleFor(Entity::kMatchProposal, Json::object()).read));
        API_TRY_ASSIGN(auto all, lift(tx.listInProgram(Entity::kMatchProposal, programId)));
        std::int64_t batch = 0;
        for (const auto& r : all) batch = std::max(batch, r["batch"].get<std::int64_t>());
        if (batchParam) batch = *batchParam;
        std::vector<Json> rows;
        for (auto& r : all) {
            if (r["batch"].get<std::int64_t>() == batch) rows.push_back(std::move(r));
        }
        if (rows.empty()) {
            return tl::unexpected(notFound("batch", strCat("program ", programId, " has no proposal batch ", batch)));
        }
        // The explanation from the profiles as they are now.
        std::vector<match::Profile> mentors, mentees;
        std::unordered_map<std::int64_t, std::size_t> mentorAt, menteeAt;
        auto load = [&](std::int64_t id, std::vector<match::Profile>& side,
                        std::unordered_map<std::int64_t, std::size_t>& at) -> tl::expected<void, ApiError> {
            if (at.count(id)) return {};
            API_TRY_ASSIGN(auto person, lift(tx.get(Entity::kPerson, id)));
            at[id] = side.size();
            side.push_back(person ? match::profileFromPerson(*person) : match::Profile{id});
            return {};
        };
        for (const auto& r : rows) {
            if (auto ok = load(r["mentor_id"].get<std::int64_t>(), mentors, mentorAt); !ok) return tl::unexpected(ok.error());
            if (auto ok = load(r["mentee_id"].get<std::int64_t>(), mentees, menteeAt); !ok) return tl::unexpected(ok.error());
        }
        API_TRY_ASSIGN(auto history, historyOf(tx, programId));
        match::Scorer scorer(std::move(mentors), std::move(mentees), match::rulesFromProgram(program), weekStart,
                             std::move(history));
        Json pairs = Json::array();
        std::vector<int> fits;
        for (auto& r : rows) {
            const auto i = mentorAt[r["mentor_id"].get<std::int64_t>()];
            const auto j = menteeAt[r["mentee_id"].get<std::int64_t>()];
            r["mentor_name"] = scorer.mentor(i).name;
            r["mentee_name"] = scorer.mentee(j).name;
            r["now"] = scorer.breakdown(i, j);
            r["explanation"] = r["now"]["explanation"];
            fits.push_back(r["score"].get<int>());
            pairs.push_back(std::move(r));
        }
        // Who was left unmatched is known when the batch is made (the
        // proposal's answer); the pool may have changed since, so the read
        // reports the matched pairs' fit only.
        Json fairness = fairnessOf(std::move(fits), 0);
        fairness.erase("unmatched");
        return Json{{"program_id", programId}, {"batch", batch}, {"pairs", std::move(pairs)}, {"fairness", std::move(fairness)}};
    });
}

ApiResult Handlers::decideProposal(const Principal& p, std::int64_t id, const Json& body, const WriteKey& key) {
    auto validated = validateFields(Entity::kMatchProposal, body, false);
    if (!validated) return tl::unexpected(fromFieldError(validated.error()));
    if (!validated->contains("decision") || (*validated)["decision"] == "pending") {
        return tl::unexpected(badRequest("decision", "decision must be approved or rejected"));
    }
    const Json patch = *validated;
    return runWrite([&](WriteTx& tx) -> ApiResult {
        API_TRY_ASSIGN(auto rec, lift(tx.get(Entity::kMatchProposal, id)));
        const auto missing = notFound("", strCat("no match_proposal with id ", id));
        if (!rec) return tl::unexpected(missing);
        API_TRY_ASSIGN(bool readable, canRead(tx, p, Entity::kMatchProposal, *rec));
        if (!readable) return tl::unexpected(missing);
        API_TRY_ASSIGN(bool ok, canUpdate(tx, p, Entity::kMatchProposal, *rec));
        if (!ok) return tl::unexpected(forbidden("only the program's managers decide its proposed pairs"));
        if ((*rec)["decision"] != "pending") {
            return tl::unexpected(conflict(strCat("this pair was already ", (*rec)["decision"].get<std::string>())));
        }
        Json update = patch;
        if (patch["decision"] == "approved") {
            const auto programId = (*rec)["program_id"].get<std::int64_t>();
            const auto mentor = (*rec)["mentor_id"].get<std::int64_t>();
            const auto mentee = (*rec)["mentee_id"].get<std::int64_t>();
            const std::string kind = (*rec)["kind"].get<std::string>();
            std::int64_t mentorshipId = 0;
            if (kind == "group") {
                // The mentor's group from this batch, if one was approved already.
                API_TRY_ASSIGN(auto batch, lift(tx.listInProgram(Entity::kMatchProposal, programId)));
                for (const auto& r : batch) {
                    if (r["batch"] != (*rec)["batch"] || r["mentor_id"] != (*rec)["mentor_id"] ||
                        r["decision"] != "approved" || !r["mentorship_id"].is_number_integer()) {
                        continue;
                    }
                    API_TRY_ASSIGN(auto m, lift(tx.get(Entity::kMentorship, r["mentorship_id"].get<std::int64_t>())));
                    if (m && current(*m)) {
                        Json mentees = (*m)["mentees"];
                        mentees.push_back(mentee);
                        API_TRY_ASSIGN(auto changed, applyUpdate(tx, p, Entity::kMentorship, idOf(*m), Json{{"mentees", mentees}}));
                        mentorshipId = idOf(changed);
                        break;
                    }
                }
            }
            if (!mentorshipId) {
                const Json fields = {{"program_id", programId}, {"kind", kind}, {"status", "active"},
                                     {"mentors", Json::array({mentor})}, {"mentees", Json::array({mentee})}};
                if (auto inv = checkInvariants(Entity::kMentorship, fields)) return tl::unexpected(fromFieldError(*inv));
                API_TRY_ASSIGN(auto created, insertChecked(tx, p, Entity::kMentorship, fields));
                mentorshipId = idOf(created);
            }
            update["mentorship_id"] = mentorshipId;
        }
        auto updated = tx.update(Entity::kMatchProposal, id, update);
        if (!updated) return tl::unexpected(fromStoreError(updated.error()));
        if (auto tracked = trackAuthors(tx, p, Entity::kMatchProposal, id, update); !tracked) {
            return tl::unexpected(tracked.error());
        }
        return auditedRecord(tx, p, "update", Entity::kMatchProposal, id, fieldNames(update));
    }, &p, &key, Entity::kMatchProposal);
}

}  // namespace mxr::server
