// Program-level reads: attention list, export and the audit log.
#include <algorithm>
#include <filesystem>
#include <numeric>
#include <unordered_map>

#include "handler_helpers.h"

namespace mxr::server {
namespace {

std::string str(const Json& v) { return v.is_string() ? v.get<std::string>() : std::string(); }

double meanRating(const Json& f) {
    return (f["rating_goal_progress"].get<double>() + f["rating_communication"].get<double>() +
            f["rating_trust_respect"].get<double>() + f["rating_usefulness"].get<double>()) /
           4.0;
}

std::string csvCell(const Json& v) {
    std::string s = v.is_null() ? "" : v.is_string() ? v.get<std::string>() : v.dump();
    // Cells that a spreadsheet would run as a formula are prefixed with '.
    if (!s.empty() && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@') && !v.is_number()) s = "'" + s;
    if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
    std::string out = "\"";
    for (char c : s) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

}  // namespace

ApiResult Handlers::attention(const Principal& p, std::int64_t programId, const Params& params) {
    int days = m_options.attentionDays;
    if (auto it = params.find("days"); it != params.end()) {
        const auto& s = it->second;
        if (s.empty() || s.size() > 4 || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
            std::stoi(s) < 1) {
            return tl::unexpected(badRequest("days", "days must be an integer from 1 to 9999"));
        }
        days = std::stoi(s);
    }
    const std::int64_t now = m_clock.nowUnix();
    const std::int64_t today = now >= 0 ? now / 86400 : (now - 86399) / 86400;
    return runRead([&](ReadTx& tx) -> ApiResult {
        API_TRY_ASSIGN(bool manages, managesProgram(tx, p, programId));
        if (!manages) return tl::unexpected(notFound("", strCat("no program with id ", programId)));
        // The program's records in a few queries (ReadTx::listInProgram),
        // grouped by mentorship in the order the per-parent walk gave them.
        API_TRY_ASSIGN(auto mentorships, lift(tx.listInProgram(Entity::kMentorship, programId)));
        API_TRY_ASSIGN(auto allSessions, lift(tx.listInProgram(Entity::kSession, programId)));
        API_TRY_ASSIGN(auto allFeedback, lift(tx.listInProgram(Entity::kFeedback, programId)));
        API_TRY_ASSIGN(auto allGoals, lift(tx.listInProgram(Entity::kGoal, programId)));
        API_TRY_ASSIGN(auto allMilestones, lift(tx.listInProgram(Entity::kMilestone, programId)));
        std::unordered_map<std::int64_t, std::vector<const Json*>> sessionsOf, feedbackOf, milestonesOf;
        std::unordered_map<std::int64_t, const Json*> sessionById;
        std::unordered_map<std::int64_t, std::int64_t> goalPair;
        for (const auto& s : allSessions) {
            sessionsOf[s["mentorship_id"].get<std::int64_t>()].push_back(&s);
            sessionById[idOf(s)] = &s;
        }
        // One snapshot: every feedback's session and milestone's goal is
        // in the program's lists (the joins that selected them say so).
        for (const auto& f : allFeedback) {
            const auto s = sessionById.find(f["session_id"].get<std::int64_t>());
            if (s != sessionById.end()) feedbackOf[(*s->second)["mentorship_id"].get<std::int64_t>()].push_back(&f);
        }
        for (const auto& g : allGoals) goalPair[idOf(g)] = g["mentorship_id"].get<std::int64_t>();
        for (const auto& ms : allMilestones) {
            const auto g = goalPair.find(ms["goal_id"].get<std::int64_t>());
            if (g != goalPair.end()) milestonesOf[g->second].push_back(&ms);
        }
        const std::vector<const Json*> none;
        auto of = [&](const auto& map, std::int64_t mid) -> const std::vector<const Json*>& {
            const auto it = map.find(mid);
            return it == map.end() ? none : it->second;
        };
        Json flagged = Json::array();
        for (const auto& m : mentorships) {
            const std::string status = str(m["status"]);
            if (status != "active" && status != "paused") continue;
            const std::int64_t mid = m["id"].get<std::int64_t>();
            Json reasons = Json::array();

            std::int64_t lastHeld = -1;
            for (const Json* s : of(sessionsOf, mid)) {
                if ((*s)["started_at"].is_null()) continue;
                const auto t = parseTimestamp(str((*s)["ended_at"].is_null() ? (*s)["started_at"] : (*s)["ended_at"]));
                if (t) lastHeld = std::max(lastHeld, *t);
            }
            const std::int64_t since = lastHeld >= 0 ? lastHeld : parseTimestamp(str(m["created_at"])).value_or(now);
            if (now - since > static_cast<std::int64_t>(days) * 86400) {
                reasons.push_back({{"kind", "no_recent_session"},
                                   {"last_held_at", lastHeld >= 0 ? Json(formatTimestamp(lastHeld)) : Json(nullptr)},
                                   {"days_without", (now - since) / 86400}});
            }

            // Ratings in the order the sessions happened: the latest three
            // against the three before them.
            std::vector<std::pair<std::string, double>> ratings;
            for (const Json* f : of(feedbackOf, mid)) {
                const Json& s = *sessionById.find((*f)["session_id"].get<std::int64_t>())->second;  // found above
                const std::string when = str(s["started_at"].is_null() ? s["scheduled_at"] : s["started_at"]);
                ratings.emplace_back(when + str((*f)["created_at"]), meanRating(*f));
            }
            std::stable_sort(ratings.begin(), ratings.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
            if (ratings.size() >= 4) {
                const std::size_t k = std::min<std::size_t>(3, ratings.size() / 2);
                auto avg = [&](std::size_t from, std::size_t n) {
                    double sum = 0;
                    for (std::size_t i = from; i < from + n; ++i) sum += ratings[i].second;
                    return sum / static_cast<double>(n);
                };
                const double recent = avg(ratings.size() - k, k);
                const double earlier = avg(ratings.size() - 2 * k, k);
                if (recent <= earlier - m_options.ratingDropThreshold) {
                    reasons.push_back({{"kind", "falling_ratings"}, {"recent_average", recent}, {"earlier_average", earlier}});
                }
            }

            for (const Json* ms : of(milestonesOf, mid)) {
                if (!(*ms)["done_at"].is_null() || (*ms)["due_date"].is_null()) continue;
                if (*parseDate(str((*ms)["due_date"])) < today) {
                    reasons.push_back({{"kind", "overdue_milestone"}, {"milestone_id", (*ms)["id"]},
                                       {"goal_id", (*ms)["goal_id"]}, {"due_date", (*ms)["due_date"]}});
                }
            }
            if (!reasons.empty()) {
                flagged.push_back({{"mentorship_id", mid}, {"status", status}, {"reasons", std::move(reasons)}});
            }
        }
        return Json{{"program_id", programId}, {"days", days}, {"mentorships", std::move(flagged)}};
    });
}

ApiResult Handlers::dashboard(const Principal& p, std::int64_t programId) {
    return runRead([&](ReadTx& tx) -> ApiResult {
        // The rule of the attention list, and administrators: whoever else
        // asks is answered as if the program did not exist.
        API_TRY_ASSIGN(auto program, lift(tx.get(Entity::kProgram, programId)));
        bool allowed = program.has_value() && p.admin;
        if (program && !allowed) {
            API_TRY_ASSIGN(allowed, managesProgram(tx, p, programId));
        }
        if (!allowed) return tl::unexpected(notFound("", strCat("no program with id ", programId)));
        // One query per kind of record (ReadTx::listInProgram), in the order
        // the per-parent walk gave them (dashboard_test compares the two).
        API_TRY_ASSIGN(auto mentorships, lift(tx.listInProgram(Entity::kMentorship, programId)));
        API_TRY_ASSIGN(auto allGoals, lift(tx.listInProgram(Entity::kGoal, programId)));
        API_TRY_ASSIGN(auto allSessions, lift(tx.listInProgram(Entity::kSession, programId)));
        API_TRY_ASSIGN(auto allFeedback, lift(tx.listInProgram(Entity::kFeedback, programId)));
        API_TRY_ASSIGN(auto members, lift(tx.listInProgram(Entity::kPerson, programId)));
        Json ms = Json::array(), goals = Json::array(), sessions = Json::array(), feedback = Json::array();
        for (const auto& m : mentorships) {
            ms.push_back({{"id", m["id"]}, {"status", m["status"]}, {"kind", m["kind"]}, {"created_at", m["created_at"]},
                          {"mentors", m["mentors"]}, {"mentees", m["mentees"]}});
        }
        for (const auto& g : allGoals) goals.push_back({{"mentorship_id", g["mentorship_id"]}, {"status", g["status"]}});
        for (const auto& sess : allSessions) {
            sessions.push_back({{"id", sess["id"]}, {"mentorship_id", sess["mentorship_id"]},
                                {"scheduled_at", sess["scheduled_at"]}, {"started_at", sess["started_at"]}});
        }
        for (const auto& f : allFeedback) {
            feedback.push_back({{"session_id", f["session_id"]}, {"rating_goal_progress", f["rating_goal_progress"]},
                                {"rating_communication", f["rating_communication"]},
                                {"rating_trust_respect", f["rating_trust_respect"]},
                                {"rating_usefulness", f["rating_usefulness"]}, {"created_at", f["created_at"]}});
        }
        Json people = Json::array();
        for (const auto& person : members) {
            people.push_back({{"id", person["id"]}, {"name", person["name"]}, {"erased_at", person["erased_at"]}});
        }
        return Json{{"program_id", programId}, {"name", (*program)["name"]}, {"mentorships", std::move(ms)},
                    {"goals", std::move(goals)}, {"sessions", std::move(sessions)}, {"feedback", std::move(feedback)},
                    {"people", std::move(people)}};
    });
}

ApiResult Handlers::exportData(const Principal& p, const Params& params) {
    const auto it = params.find("format");
    const std::string format = it == params.end() ? "json" : it->second;
    if (format != "json" && format != "csv") return tl::unexpected(badRequest("format", "format must be csv or json"));
    if (!p.manager && !p.admin) return tl::unexpected(forbidden("only program managers and administrators export"));
    return runRead([&](ReadTx& tx) -> ApiResult {
        Json out = {{"programs", Json::array()},        {"mentorships", Json::array()},
                    {"goals", Json::array()},           {"milestones", Json::array()},
                    {"sessions", Json::array()},        {"feedback", Json::array()},
                    {"procedures", Json::array()},      {"procedure_steps", Json::array()},
                    {"step_completions", Json::array()}, {"match_proposals", Json::array()}};
        // Administrators export the organisation; managers their programs.
        API_TRY_ASSIGN(auto programs, p.admin ? listAll(tx, Entity::kProgram, "", 0)
                                              : listAll(tx, Entity::kProgram, "managers", p.personId));
        for (auto& prog : programs) {
            API_TRY_ASSIGN(auto mentorships, listAll(tx, Entity::kMentorship, "program_id", prog["id"].get<std::int64_t>()));
            for (auto& m : mentorships) {
                const auto mid = m["id"].get<std::int64_t>();
                API_TRY_ASSIGN(auto goals, listAll(tx, Entity::kGoal, "mentorship_id", mid));
                for (auto& g : goals) {
                    API_TRY_ASSIGN(auto ms, listAll(tx, Entity::kMilestone, "goal_id", g["id"].get<std::int64_t>()));
                    for (auto& x : ms) out["milestones"].push_back(std::move(x));
                    out["goals"].push_back(std::move(g));
                }
                API_TRY_ASSIGN(auto sessions, listAll(tx, Entity::kSession, "mentorship_id", mid));
                for (auto& s : sessions) {
                    API_TRY_ASSIGN(auto fb, listAll(tx, Entity::kFeedback, "session_id", s["id"].get<std::int64_t>()));
                    for (auto& x : fb) out["feedback"].push_back(std::move(x));
                    out["sessions"].push_back(std::move(s));
                }
                API_TRY_ASSIGN(auto procedures, listAll(tx, Entity::kProcedure, "mentorship_id", mid));
                for (auto& proc : procedures) {
                    API_TRY_ASSIGN(auto steps, listAll(tx, Entity::kProcedureStep, "procedure_id", idOf(proc)));
                    for (auto& step : steps) {
                        API_TRY_ASSIGN(auto done, listAll(tx, Entity::kStepCompletion, "step_id", idOf(step)));
                        for (auto& x : done) out["step_completions"].push_back(std::move(x));
                        out["procedure_steps"].push_back(std::move(step));
                    }
                    out["procedures"].push_back(std::move(proc));
                }
                out["mentorships"].push_back(std::move(m));
            }
            API_TRY_ASSIGN(auto proposals, listAll(tx, Entity::kMatchProposal, "program_id", idOf(prog)));
            for (auto& x : proposals) out["match_proposals"].push_back(std::move(x));
            out["programs"].push_back(std::move(prog));
        }
        // Which records an erasure blanked, and what.
        for (const auto& [key, entity] : std::initializer_list<std::pair<const char*, Entity>>{
                 {"mentorships", Entity::kMentorship}, {"goals", Entity::kGoal}, {"milestones", Entity::kMilestone},
                 {"sessions", Entity::kSession}, {"feedback", Entity::kFeedback}, {"procedures", Entity::kProcedure},
                 {"procedure_steps", Entity::kProcedureStep}, {"match_proposals", Entity::kMatchProposal}}) {
            for (auto& r : out[key]) {
                API_TRY_ASSIGN(auto erased, lift(tx.erasedFields(entity, idOf(r))));
                r["erased"] = erased;
            }
        }
        if (format == "json") return out;
        // One CSV with a section per entity: a header row starting with the
        // entity's name, then its records; sections separated by a blank line.
        std::string csv;
        const std::pair<const char*, Entity> sections[] = {
            {"programs", Entity::kProgram}, {"mentorships", Entity::kMentorship}, {"goals", Entity::kGoal},
            {"milestones", Entity::kMilestone}, {"sessions", Entity::kSession}, {"feedback", Entity::kFeedback},
            {"procedures", Entity::kProcedure}, {"procedure_steps", Entity::kProcedureStep},
            {"step_completions", Entity::kStepCompletion}, {"match_proposals", Entity::kMatchProposal}};
        for (const auto& [key, entity] : sections) {
            if (!csv.empty()) csv += "\r\n";
            std::vector<std::string> cols{"id"};
            for (const auto& f : spec(entity).fields) {
                if (!f.hidden) cols.emplace_back(f.name);
            }
            cols.insert(cols.end(), {"created_at", "updated_at", "erased"});
            csv += std::string("entity");
            for (const auto& c : cols) csv += "," + c;
            csv += "\r\n";
            for (const auto& r : out[key]) {
                csv += spec(entity).name;
                for (const auto& c : cols) {
                    if (c == "erased") {
                        std::string fields;
                        for (const auto& f : r.value("erased", Json::array())) fields += (fields.empty() ? "" : ";") + f.get<std::string>();
                        csv += "," + csvCell(Json(fields));
                    } else {
                        csv += "," + csvCell(r.contains(c) ? r[c] : Json());
                    }
                }
                csv += "\r\n";
            }
        }
        return Json(csv);
    });
}

ApiResult Handlers::backup(const Principal& p) {
    if (!canBackUp(p)) return tl::unexpected(forbidden("only administrators back up the database"));
    // Audited before it is made: a copy of every record is the largest
    // disclosure an account can make, and no audit row means no copy.
    auto audited = runWrite([&](WriteTx& tx) -> ApiResult {
        if (auto a = tx.appendAudit(AuditEvent{0, 0, p.personId, "backup", "database", 0, {}}); !a) {
            return tl::unexpected(fromStoreError(a.error()));
        }
        return Json::object();
    }, &p);
    if (!audited) return audited;
    auto file = m_store.backup();
    if (!file) {
        m_log.error(strCat("backup: ", file.error().describe()));
        return tl::unexpected(fromStoreError(file.error()));
    }
    std::error_code ec;
    const auto bytes = std::filesystem::file_size(*file, ec);
    return Json{{"file", *file}, {"bytes", ec ? 0 : static_cast<std::int64_t>(bytes)}};
}

ApiResult Handlers::auditLog(const Principal& p, const Params& params) {
    if (!p.manager && !p.admin) {
        return tl::unexpected(forbidden("only program managers and administrators read the audit log"));
    }
    std::int64_t after = 0;
    int limit = 100;
    for (const auto& [name, value] : params) {
        if (name != "after" && name != "limit") continue;
        if (value.empty() || value.size() > 18 ||
            !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
            return tl::unexpected(badRequest(name, strCat(name, " must be a non-negative integer")));
        }
        const auto v = std::stoll(value);
        if (name == "after") after = v;
        if (name == "limit") {
            if (v < 1 || v > 1000) return tl::unexpected(badRequest("limit", "limit must be between 1 and 1000"));
            limit = static_cast<int>(v);
        }
    }
    return runRead([&](ReadTx& tx) -> ApiResult {
        // Administrators read every event; a manager those of the programs
        // they manage and of the people in them (now).
        std::vector<std::int64_t> managed;
        if (!p.admin) {
            API_TRY_ASSIGN(auto programs, listAll(tx, Entity::kProgram, "managers", p.personId));
            for (const auto& prog : programs) managed.push_back(idOf(prog));
            std::sort(managed.begin(), managed.end());
        }
        auto visible = [&](const AuditEvent& e) -> tl::expected<bool, ApiError> {
            if (p.admin) return true;
            if (e.programId) return std::binary_search(managed.begin(), managed.end(), e.programId);
            if (e.entity != "person") return false;
            API_TRY_ASSIGN(auto person, lift(tx.get(Entity::kPerson, e.entityId)));
            if (!person) return false;
            return canRead(tx, p, Entity::kPerson, *person);
        };
        Json items = Json::array();
        std::int64_t cursor = after;
        bool more = true;
        while (more && static_cast<int>(items.size()) < limit) {
            API_TRY_ASSIGN(auto events, lift(tx.audit(cursor, 1000)));
            more = events.size() == 1000;
            for (const auto& e : events) {
                cursor = e.id;
                API_TRY_ASSIGN(bool ok, visible(e));
                if (!ok) continue;
                items.push_back({{"id", e.id}, {"at", formatTimestamp(e.at)}, {"actor_id", e.actorId},
                                 {"action", e.action}, {"entity", e.entity}, {"entity_id", e.entityId},
                                 {"fields", e.fields}});
                if (static_cast<int>(items.size()) == limit) break;
            }
        }
        return Json{{"items", std::move(items)}};
    });
}

}  // namespace mxr::server
