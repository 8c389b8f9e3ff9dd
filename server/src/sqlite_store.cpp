#include "server/sqlite_store.h"

#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <filesystem>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include "fiber_wait.h"
#include "sqlite_db.h"
#include "sqlite_wal_buffer.h"

namespace mxr::server {
namespace {

// Numbered migrations: index + 1 is the version. Never edit a shipped one;
// append a new one.
const char* const kMigrations[] = {
    R"sql(
CREATE TABLE people(
  id INTEGER PRIMARY KEY, name TEXT, email TEXT UNIQUE, roles TEXT NOT NULL DEFAULT '[]',
  skills TEXT, interests TEXT, languages TEXT, time_zone TEXT, password_hash TEXT, erased_at TEXT,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE programs(
  id INTEGER PRIMARY KEY, name TEXT NOT NULL, description TEXT,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE programs_managers(
  owner_id INTEGER NOT NULL REFERENCES programs(id) ON DELETE CASCADE,
  person_id INTEGER NOT NULL REFERENCES people(id), PRIMARY KEY(owner_id, person_id)) WITHOUT ROWID;
CREATE INDEX programs_managers_person ON programs_managers(person_id);
CREATE TABLE mentorships(
  id INTEGER PRIMARY KEY, program_id INTEGER NOT NULL REFERENCES programs(id),
  kind TEXT NOT NULL, status TEXT NOT NULL, end_reason TEXT,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE INDEX mentorships_program ON mentorships(program_id);
CREATE TABLE mentorships_mentors(
  owner_id INTEGER NOT NULL REFERENCES mentorships(id) ON DELETE CASCADE,
  person_id INTEGER NOT NULL REFERENCES people(id), PRIMARY KEY(owner_id, person_id)) WITHOUT ROWID;
CREATE INDEX mentorships_mentors_person ON mentorships_mentors(person_id);
CREATE TABLE mentorships_mentees(
  owner_id INTEGER NOT NULL REFERENCES mentorships(id) ON DELETE CASCADE,
  person_id INTEGER NOT NULL REFERENCES people(id), PRIMARY KEY(owner_id, person_id)) WITHOUT ROWID;
CREATE INDEX mentorships_mentees_person ON mentorships_mentees(person_id);
CREATE TABLE goals(
  id INTEGER PRIMARY KEY, mentorship_id INTEGER NOT NULL REFERENCES mentorships(id) ON DELETE CASCADE,
  title TEXT NOT NULL, description TEXT, success_criteria TEXT, target_date TEXT,
  status TEXT NOT NULL, progress INTEGER NOT NULL,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE INDEX goals_mentorship ON goals(mentorship_id);
CREATE TABLE milestones(
  id INTEGER PRIMARY KEY, goal_id INTEGER NOT NULL REFERENCES goals(id) ON DELETE CASCADE,
  title TEXT NOT NULL, due_date TEXT, done_at TEXT,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE INDEX milestones_goal ON milestones(goal_id);
CREATE TABLE sessions(
  id INTEGER PRIMARY KEY, mentorship_id INTEGER NOT NULL REFERENCES mentorships(id) ON DELETE CASCADE,
  scheduled_at TEXT NOT NULL, started_at TEXT, ended_at TEXT, agenda TEXT, notes TEXT,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE INDEX sessions_mentorship ON sessions(mentorship_id);
CREATE TABLE sessions_attendees(
  owner_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  person_id INTEGER NOT NULL REFERENCES people(id), PRIMARY KEY(owner_id, person_id)) WITHOUT ROWID;
CREATE INDEX sessions_attendees_person ON sessions_attendees(person_id);
CREATE TABLE feedback(
  id INTEGER PRIMARY KEY, session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  author_id INTEGER NOT NULL REFERENCES people(id), subject_id INTEGER NOT NULL REFERENCES people(id),
  rating_goal_progress INTEGER NOT NULL, rating_communication INTEGER NOT NULL,
  rating_trust_respect INTEGER NOT NULL, rating_usefulness INTEGER NOT NULL,
  text TEXT, visibility TEXT NOT NULL,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE INDEX feedback_session ON feedback(session_id);
CREATE INDEX feedback_author ON feedback(author_id);
CREATE TABLE tokens(
  hash TEXT PRIMARY KEY, person_id INTEGER NOT NULL REFERENCES people(id),
  expires_at INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX tokens_person ON tokens(person_id);
CREATE TABLE audit(
  id INTEGER PRIMARY KEY, at INTEGER NOT NULL, actor_id INTEGER NOT NULL, action TEXT NOT NULL,
  entity TEXT NOT NULL, entity_id INTEGER NOT NULL, fields TEXT NOT NULL);
)sql",
    // Sessions the room service opened from room presence and has not
    // closed yet, with the last time it saw them in progress (a heartbeat),
    // so a start after a crash can close them (RoomService).
    R"sql(
CREATE TABLE room_sessions(
  session_id INTEGER PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
  seen_at INTEGER NOT NULL);
)sql",
    // 3: a person's credential generation: bumped with every password change,
    // role change and erasure, so a room connection that logged in before
    // can be told its login no longer holds (Handlers, RoomService).
    R"sql(
ALTER TABLE people ADD COLUMN credential_generation INTEGER NOT NULL DEFAULT 0;
)sql",
    // 4: roles with scope. The organisation administrator role exists now:
    // the first program manager (the one the server bootstrapped, or the
    // oldest) becomes the administrator, so an existing organisation keeps
    // someone who may grant roles. Programs get members besides their
    // mentorships' pairs (people a manager created into the program), and
    // audit events remember their program so managers read only theirs.
    // Sessions say whether the server recorded them from room presence
    // (existing ones are recognised by the room service's bookkeeping or its
    // note); named rooms have owners; writes remember idempotency keys.
    R"sql(
UPDATE people SET roles = json_insert(roles, '$[#]', 'administrator')
 WHERE id = (SELECT min(p.id) FROM people p, json_each(p.roles) r
              WHERE p.erased_at IS NULL AND r.value = 'program_manager')
   AND NOT EXISTS (SELECT 1 FROM people p, json_each(p.roles) r WHERE r.value = 'administrator');
CREATE TABLE programs_members(
  owner_id INTEGER NOT NULL REFERENCES programs(id) ON DELETE CASCADE,
  person_id INTEGER NOT NULL REFERENCES people(id), PRIMARY KEY(owner_id, person_id)) WITHOUT ROWID;
CREATE INDEX programs_members_person ON programs_members(person_id);
ALTER TABLE audit ADD COLUMN program_id INTEGER;
CREATE INDEX audit_program ON audit(program_id);
ALTER TABLE sessions ADD COLUMN source TEXT NOT NULL DEFAULT 'manual';
UPDATE sessions SET source = 'room'
 WHERE id IN (SELECT session_id FROM room_sessions) OR notes = 'recorded from room presence';
CREATE TABLE rooms(
  id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, owner_id INTEGER NOT NULL REFERENCES people(id),
  created_at TEXT NOT NULL);
CREATE TABLE idempotency_keys(
  person_id INTEGER NOT NULL, key TEXT NOT NULL, request TEXT NOT NULL, answer TEXT NOT NULL,
  created_at INTEGER NOT NULL, PRIMARY KEY(person_id, key)) WITHOUT ROWID;
)sql",
    // 5: erasure that erases. The last writer of every authored free-text
    // field (schema.h), so erasing a person blanks what they wrote; filled
    // for existing records from the audit log (it names the fields each
    // create and update wrote, and who wrote them), feedback from its author.
    R"sql(
CREATE TABLE text_authors(
  entity TEXT NOT NULL, record_id INTEGER NOT NULL, field TEXT NOT NULL, author_id INTEGER NOT NULL,
  erased_at TEXT, PRIMARY KEY(entity, record_id, field)) WITHOUT ROWID;
CREATE INDEX text_authors_author ON text_authors(author_id) WHERE erased_at IS NULL;
INSERT OR REPLACE INTO text_authors(entity, record_id, field, author_id)
  SELECT a.entity, a.entity_id, f.value, a.actor_id FROM audit a, json_each(a.fields) f
   WHERE a.action IN ('create', 'update') AND a.actor_id <> 0
     AND ((a.entity = 'mentorship' AND f.value = 'end_reason')
       OR (a.entity = 'goal' AND f.value IN ('title', 'description', 'success_criteria'))
       OR (a.entity = 'milestone' AND f.value = 'title')
       OR (a.entity = 'session' AND f.value IN ('agenda', 'notes')))
   ORDER BY a.id;
INSERT OR REPLACE INTO text_authors(entity, record_id, field, author_id)
  SELECT 'feedback', id, 'text', author_id FROM feedback WHERE text IS NOT NULL;
)sql",
    // 6: procedures (job shadowing, issue 14): a mentorship's procedures,
    // their ordered steps (annotations as JSON text), and step completions.
    // Deleting a goal unlinks its procedures rather than deleting them.
    R"sql(
CREATE TABLE procedures(
  id INTEGER PRIMARY KEY, mentorship_id INTEGER NOT NULL REFERENCES mentorships(id) ON DELETE CASCADE,
  title TEXT NOT NULL, description TEXT, goal_id INTEGER REFERENCES goals(id) ON DELETE SET NULL,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE INDEX procedures_mentorship ON procedures(mentorship_id);
CREATE INDEX procedures_goal ON procedures(goal_id);
CREATE TABLE procedure_steps(
  id INTEGER PRIMARY KEY, procedure_id INTEGER NOT NULL REFERENCES procedures(id) ON DELETE CASCADE,
  position INTEGER NOT NULL, title TEXT NOT NULL, instruction TEXT, expected_seconds INTEGER, annotations TEXT,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE INDEX procedure_steps_procedure ON procedure_steps(procedure_id, position);
CREATE TABLE step_completions(
  id INTEGER PRIMARY KEY, step_id INTEGER NOT NULL REFERENCES procedure_steps(id) ON DELETE CASCADE,
  person_id INTEGER NOT NULL REFERENCES people(id), completed_at TEXT NOT NULL, seconds_taken INTEGER NOT NULL,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE INDEX step_completions_step ON step_completions(step_id);
CREATE INDEX step_completions_person ON step_completions(person_id);
)sql",
    // 7: matching (issue 18). People's matching profiles, what programs ask
    // of matching, and the pairs that matching proposals put forward.
    R"sql(
ALTER TABLE people ADD COLUMN skills_offered TEXT;
ALTER TABLE people ADD COLUMN skills_wanted TEXT;
ALTER TABLE people ADD COLUMN goals_text TEXT;
ALTER TABLE people ADD COLUMN availability TEXT;
ALTER TABLE people ADD COLUMN mentor_capacity INTEGER;
ALTER TABLE people ADD COLUMN team TEXT;
ALTER TABLE people ADD COLUMN line_manager_id INTEGER REFERENCES people(id);
CREATE TABLE people_avoid(
  owner_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
  person_id INTEGER NOT NULL REFERENCES people(id), PRIMARY KEY(owner_id, person_id)) WITHOUT ROWID;
CREATE INDEX people_avoid_person ON people_avoid(person_id);
CREATE TABLE people_prefer(
  owner_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
  person_id INTEGER NOT NULL REFERENCES people(id), PRIMARY KEY(owner_id, person_id)) WITHOUT ROWID;
CREATE INDEX people_prefer_person ON people_prefer(person_id);
ALTER TABLE programs ADD COLUMN match_kind TEXT;
ALTER TABLE programs ADD COLUMN required_skills TEXT;
ALTER TABLE programs ADD COLUMN exclude_same_team INTEGER;
ALTER TABLE programs ADD COLUMN exclude_line_manager INTEGER;
ALTER TABLE programs ADD COLUMN weight_skills INTEGER;
ALTER TABLE programs ADD COLUMN weight_language INTEGER;
ALTER TABLE programs ADD COLUMN weight_availability INTEGER;
ALTER TABLE programs ADD COLUMN weight_text INTEGER;
ALTER TABLE programs ADD COLUMN weight_feedback INTEGER;
ALTER TABLE programs ADD COLUMN target_shared_hours INTEGER;
CREATE TABLE match_proposals(
  id INTEGER PRIMARY KEY, program_id INTEGER NOT NULL REFERENCES programs(id) ON DELETE CASCADE,
  batch INTEGER NOT NULL, mentor_id INTEGER NOT NULL REFERENCES people(id),
  mentee_id INTEGER NOT NULL REFERENCES people(id), kind TEXT NOT NULL, score INTEGER NOT NULL,
  decision TEXT NOT NULL, decision_reason TEXT,
  mentorship_id INTEGER REFERENCES mentorships(id) ON DELETE SET NULL,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE INDEX match_proposals_program ON match_proposals(program_id, batch);
CREATE INDEX match_proposals_mentorship ON match_proposals(mentorship_id);
)sql",
    // 8: scheduling (issue 18). A person's secret calendar feed: only a
    // hash of the secret is kept (as for tokens), one feed per person.
    // Sessions cancelled or moved with a reason, and their iCalendar
    // SEQUENCE (bumped by each change a calendar must pick up).
    R"sql(
CREATE TABLE calendar_feeds(
  hash TEXT PRIMARY KEY, person_id INTEGER NOT NULL UNIQUE REFERENCES people(id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL) WITHOUT ROWID;
ALTER TABLE sessions ADD COLUMN status TEXT NOT NULL DEFAULT 'scheduled';
ALTER TABLE sessions ADD COLUMN change_reason TEXT;
ALTER TABLE sessions ADD COLUMN sequence INTEGER NOT NULL DEFAULT 0;
)sql",
};

// SQL text is built on every call (it is the statement cache's key), so it
// is concatenated directly: strCat's ostringstream showed up in profiles.
std::string cat(std::initializer_list<std::string_view> parts) {
    std::size_t n = 0;
    for (auto p : parts) n += p.size();
    std::string out;
    out.reserve(n);
    for (auto p : parts) out.append(p);
    return out;
}

std::string linkTable(const EntitySpec& es, const FieldSpec& f) { return cat({es.table, "_", f.name}); }

// "id, name, email, ..., created_at, updated_at": the stored scalar columns.
std::string buildColumns(const EntitySpec& es, std::string_view prefix) {
    std::string cols = cat({prefix, "id"});
    for (const auto& f : es.fields) {
        if (f.type == FieldType::kIdList || f.hidden) continue;
        cols += cat({", ", prefix, f.name});
    }
    return cols + cat({", ", prefix, "created_at, ", prefix, "updated_at"});
}

// Per-entity SQL that never changes, computed once. getById also reads
// each id list, as a JSON array, in the same statement: one statement
// instead of one per list (a mentorship, read by every access check on the
// records under it, has two).
struct EntitySql {
    std::string columns, prefixedColumns, getById;
};

const EntitySql& entitySql(Entity e) {
    static const auto table = [] {
        std::array<EntitySql, std::size(kAllEntities)> t;
        for (Entity entity : kAllEntities) {
            const EntitySpec& es = spec(entity);
            auto& s = t[static_cast<std::size_t>(entity)];
            s.columns = buildColumns(es, "");
            s.prefixedColumns = buildColumns(es, "t.");
            std::string lists;
            for (const auto& f : es.fields) {
                if (f.type != FieldType::kIdList) continue;
                // The link table's primary key (owner_id, person_id) orders the ids.
                lists += cat({", (SELECT json_group_array(person_id) FROM (SELECT person_id FROM ", linkTable(es, f),
                              " WHERE owner_id=t.id ORDER BY person_id))"});
            }
            s.getById = cat({"SELECT ", s.prefixedColumns, lists, " FROM ", es.table, " t WHERE t.id=?"});
        }
        return t;
    }();
    return table[static_cast<std::size_t>(e)];
}

// Reads and writes records through one connection. Used by the writer (all
// of WriteTx) and by readers (ReadTx only; their connection is query_only).
class SqliteTx final : public WriteTx {
public:
    SqliteTx(Db& db, const WallClock& clock) : m_db(db), m_clock(clock) {}

    Result<std::optional<Json>> get(Entity entity, std::int64_t id) override {
        const EntitySpec& es = spec(entity);
        MXR_TRY_ASSIGN(auto s, m_db.prepare(entitySql(entity).getById));
        s->bind(1, id);
        MXR_TRY_ASSIGN(bool row, s->step());
        if (!row) return std::optional<Json>();
        Json record = rowToJson(es, *s);
        int col = static_cast<int>(record.size());  // the lists follow the scalar columns
        for (const auto& f : es.fields) {
            if (f.type != FieldType::kIdList) continue;
            auto ids = Json::parse(s->text(col++), nullptr, false);
            record[std::string(f.name)] = ids.is_array() ? std::move(ids) : Json::array();
        }
        return std::optional<Json>(std::move(record));
    }

    Result<std::vector<Json>> list(Entity entity, const ListQuery& q) override {
        const EntitySpec& es = spec(entity);
        const FieldSpec* f = q.field.empty() ? nullptr : es.field(q.field);
        std::string sql;
        const EntitySql& q0 = entitySql(entity);
        if (f && f->type == FieldType::kIdList) {
            sql = cat({"SELECT ", q0.prefixedColumns, " FROM ", es.table, " t JOIN ", linkTable(es, *f),
                       " l ON l.owner_id=t.id WHERE l.person_id=?1 AND t.id>?2 ORDER BY t.id LIMIT ?3"});
        } else if (f) {
            sql = cat({"SELECT ", q0.columns, " FROM ", es.table, " WHERE ", f->name, "=?1 AND id>?2 ORDER BY id LIMIT ?3"});
        } else {
            sql = cat({"SELECT ", q0.columns, " FROM ", es.table, " WHERE ?1=?1 AND id>?2 ORDER BY id LIMIT ?3"});
        }
        std::vector<Json> out;
        {
            MXR_TRY_ASSIGN(auto s, m_db.prepare(sql));
            s->bind(1, q.value);
            s->bind(2, q.afterId);
            s->bind(3, static_cast<std::int64_t>(q.limit));
            for (;;) {
                MXR_TRY_ASSIGN(bool row, s->step());
                if (!row) break;
                out.push_back(rowToJson(es, *s));
            }
        }
        for (auto& r : out) MXR_TRY(fillLists(es, r));
        return out;
    }

    Result<std::vector<Json>> listInProgram(Entity entity, std::int64_t programId) override {
        const EntitySpec& es = spec(entity);
        // "FROM ... WHERE ..." naming the program as ?1, and the walk's order.
        std::string from, order;
        switch (entity) {
            case Entity::kMentorship:
                from = "FROM mentorships t WHERE t.program_id=?1";
                order = "t.id";
                break;
            case Entity::kGoal:
            case Entity::kSession:
                from = cat({"FROM ", es.table, " t JOIN mentorships m ON m.id=t.mentorship_id WHERE m.program_id=?1"});
                order = "t.mentorship_id, t.id";
                break;
            case Entity::kMilestone:
                from = "FROM milestones t JOIN goals g ON g.id=t.goal_id JOIN mentorships m ON m.id=g.mentorship_id "
                       "WHERE m.program_id=?1";
                order = "g.mentorship_id, t.goal_id, t.id";
                break;
            case Entity::kFeedback:
                from = "FROM feedback t JOIN sessions s ON s.id=t.session_id JOIN mentorships m ON m.id=s.mentorship_id "
                       "WHERE m.program_id=?1";
                order = "s.mentorship_id, t.session_id, t.id";
                break;
            case Entity::kProcedure:
                from = "FROM procedures t JOIN mentorships m ON m.id=t.mentorship_id WHERE m.program_id=?1";
                order = "t.mentorship_id, t.id";
                break;
            case Entity::kProcedureStep:
                from = "FROM procedure_steps t JOIN procedures p ON p.id=t.procedure_id "
                       "JOIN mentorships m ON m.id=p.mentorship_id WHERE m.program_id=?1";
                order = "p.mentorship_id, t.procedure_id, t.position, t.id";
                break;
            case Entity::kStepCompletion:
                from = "FROM step_completions t JOIN procedure_steps s ON s.id=t.step_id "
                       "JOIN procedures p ON p.id=s.procedure_id JOIN mentorships m ON m.id=p.mentorship_id "
                       "WHERE m.program_id=?1";
                order = "p.mentorship_id, s.procedure_id, t.step_id, t.id";
                break;
            case Entity::kPerson:
                from = "FROM people t WHERE t.id IN ("
                       "SELECT l.person_id FROM mentorships_mentors l JOIN mentorships m ON m.id=l.owner_id WHERE m.program_id=?1 "
                       "UNION SELECT l.person_id FROM mentorships_mentees l JOIN mentorships m ON m.id=l.owner_id "
                       "WHERE m.program_id=?1)";
                order = "t.id";
                break;
            case Entity::kMatchProposal:
                from = "FROM match_proposals t WHERE t.program_id=?1";
                order = "t.id";
                break;
            case Entity::kProgram:
                return makeError(ErrorCode::kInvalidArgument, "listInProgram lists the records in a program, not programs");
        }
        std::vector<Json> out;
        {
            MXR_TRY_ASSIGN(auto s, m_db.prepare(cat({"SELECT ", entitySql(entity).prefixedColumns, " ", from, " ORDER BY ", order})));
            s->bind(1, programId);
            for (;;) {
                MXR_TRY_ASSIGN(bool row, s->step());
                if (!row) break;
                out.push_back(rowToJson(es, *s));
            }
        }
        // Each id list in one query for all the records (fillLists per record
        // was most of the per-parent walk's queries).
        for (const auto& f : es.fields) {
            if (f.type != FieldType::kIdList) continue;
            std::unordered_map<std::int64_t, Json> lists;
            MXR_TRY_ASSIGN(auto s, m_db.prepare(cat({"SELECT l.owner_id, l.person_id FROM ", linkTable(es, f),
                                                     " l WHERE l.owner_id IN (SELECT t.id ", from,
                                                     ") ORDER BY l.owner_id, l.person_id"})));
            s->bind(1, programId);
            for (;;) {
                MXR_TRY_ASSIGN(bool row, s->step());
                if (!row) break;
                auto [it, added] = lists.try_emplace(s->integer(0), Json::array());
                it->second.push_back(s->integer(1));
            }
            for (auto& r : out) {
                auto it = lists.find(r["id"].get<std::int64_t>());
                r[std::string(f.name)] = it == lists.end() ? Json::array() : std::move(it->second);
            }
        }
        return out;
    }

    Result<std::optional<Credentials>> credentials(const std::string& email) override {
        MXR_TRY_ASSIGN(auto s, m_db.prepare("SELECT id, password_hash, roles FROM people WHERE email=? AND erased_at IS NULL"));
        s->bind(1, email);
        MXR_TRY_ASSIGN(bool row, s->step());
        if (!row) return std::optional<Credentials>();
        Credentials c;
        c.personId = s->integer(0);
        c.passwordHash = s->text(1);
        c.roles = s->column(2, FieldType::kStringList);
        return std::optional<Credentials>(std::move(c));
    }

    Result<std::optional<TokenRecord>> token(const std::string& tokenHash) override {
        MXR_TRY_ASSIGN(auto s, m_db.prepare("SELECT person_id, expires_at FROM tokens WHERE hash=?"));
        s->bind(1, tokenHash);
        MXR_TRY_ASSIGN(bool row, s->step());
        if (!row) return std::optional<TokenRecord>();
        return std::optional<TokenRecord>(TokenRecord{s->integer(0), s->integer(1)});
    }

    Result<std::optional<std::int64_t>> calendarFeedOwner(const std::string& secretHash) override {
        MXR_TRY_ASSIGN(auto s, m_db.prepare("SELECT person_id FROM calendar_feeds WHERE hash=?"));
        s->bind(1, secretHash);
        MXR_TRY_ASSIGN(bool row, s->step());
        if (!row) return std::optional<std::int64_t>();
        return std::optional<std::int64_t>(s->integer(0));
    }

    Result<std::optional<NamedRoom>> namedRoom(const std::string& name) override {
        MXR_TRY_ASSIGN(auto s, m_db.prepare("SELECT id, name, owner_id, created_at FROM rooms WHERE name=?"));
        s->bind(1, name);
        MXR_TRY_ASSIGN(bool row, s->step());
        if (!row) return std::optional<NamedRoom>();
        return std::optional<NamedRoom>(NamedRoom{s->integer(0), s->text(1), s->integer(2), s->text(3)});
    }

    Result<std::int64_t> insertNamedRoom(const std::string& name, std::int64_t ownerId) override {
        MXR_TRY_ASSIGN(auto s, m_db.prepare("INSERT INTO rooms(name, owner_id, created_at) VALUES(?, ?, ?)"));
        s->bind(1, name);
        s->bind(2, ownerId);
        s->bind(3, formatTimestamp(m_clock.nowUnix()));
        MXR_TRY(s->run());
        return m_db.lastInsertId();
    }

    Result<std::vector<OpenRoomSession>> openRoomSessions() override {
        MXR_TRY_ASSIGN(auto s, m_db.prepare("SELECT session_id, seen_at FROM room_sessions ORDER BY session_id"));
        std::vector<OpenRoomSession> out;
        for (;;) {
            MXR_TRY_ASSIGN(bool row, s->step());
            if (!row) return out;
            out.push_back(OpenRoomSession{s->integer(0), s->integer(1)});
        }
    }

    Result<std::vector<AuditEvent>> audit(std::int64_t afterId, int limit) override {
        MXR_TRY_ASSIGN(auto s, m_db.prepare("SELECT id, at, actor_id, action, entity, entity_id, fields, program_id FROM audit "
                                            "WHERE id>? ORDER BY id LIMIT ?"));
        s->bind(1, afterId);
        s->bind(2, static_cast<std::int64_t>(limit));
        std::vector<AuditEvent> out;
        for (;;) {
            MXR_TRY_ASSIGN(bool row, s->step());
            if (!row) break;
            AuditEvent e{s->integer(0), s->integer(1), s->integer(2), s->text(3), s->text(4), s->integer(5), {},
                         s->integer(7)};
            auto fields = Json::parse(s->text(6), nullptr, false);
            if (fields.is_array()) {
                for (const auto& f : fields) e.fields.push_back(f.get<std::string>());
            }
            out.push_back(std::move(e));
        }
        return out;
    }

    Result<std::vector<std::string>> erasedFields(Entity entity, std::int64_t id) override {
        MXR_TRY_ASSIGN(auto s, m_db.prepare("SELECT field FROM text_authors WHERE entity=? AND record_id=? "
                                            "AND erased_at IS NOT NULL ORDER BY field"));
        s->bind(1, std::string(spec(entity).name));
        s->bind(2, id);
        std::vector<std::string> out;
        for (;;) {
            MXR_TRY_ASSIGN(bool row, s->step());
            if (!row) return out;
            out.push_back(s->text(0));
        }
    }

    Result<std::int64_t> countManagers() override {
        MXR_TRY_ASSIGN(auto s, m_db.prepare("SELECT count(*) FROM people, json_each(people.roles) r "
                                            "WHERE r.value='program_manager' AND erased_at IS NULL"));
        MXR_TRY_ASSIGN(bool row, s->step());
        return row ? s->integer(0) : 0;
    }

    Result<std::int64_t> countAdministrators() override {
        MXR_TRY_ASSIGN(auto s, m_db.prepare("SELECT count(*) FROM people, json_each(people.roles) r "
                                            "WHERE r.value='administrator' AND erased_at IS NULL"));
        MXR_TRY_ASSIGN(bool row, s->step());
        return row ? s->integer(0) : 0;
    }

    Result<std::int64_t> insert(Entity entity, const Json& fields) override {
        MXR_TRY(insertRow(entity, fields, nullptr));
        return m_db.lastInsertId();
    }

    Result<Json> insertRecord(Entity entity, const Json& fields) override {
        Json record;
        MXR_TRY(insertRow(entity, fields, &record));
        // The id lists as get() reads them: each link table's
        // rows are the list's distinct ids (INSERT OR IGNORE), in id order.
        for (const auto& f : spec(entity).fields) {
            if (f.type != FieldType::kIdList) continue;
            std::vector<std::int64_t> ids;
            if (fields.contains(f.name) && fields[std::string(f.name)].is_array()) {
                for (const auto& v : fields[std::string(f.name)]) ids.push_back(v.get<std::int64_t>());
            }
            std::sort(ids.begin(), ids.end());
            ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
            record[std::string(f.name)] = Json(ids);
        }
        return record;
    }

    Result<void> update(Entity entity, std::int64_t id, const Json& fields) override {
        const EntitySpec& es = spec(entity);
        std::string sets;
        std::vector<const Json*> values;
        for (const auto& f : es.fields) {
            if (f.type == FieldType::kIdList || !fields.contains(f.name)) continue;
            sets += cat({f.name, "=?, "});
            values.push_back(&fields[std::string(f.name)]);
        }
        {
            MXR_TRY_ASSIGN(auto s, m_db.prepare(cat({"UPDATE ", es.table, " SET ", sets, "updated_at=? WHERE id=?"})));
            int i = 1;
            for (const Json* v : values) s->bindJson(i++, *v);
            s->bind(i++, formatTimestamp(m_clock.nowUnix()));
            s->bind(i, id);
            MXR_TRY(s->run());
        }
        if (m_db.changes() != 1) return makeError(ErrorCode::kNotFound, strCat("no ", es.name, " with id ", id));
        return writeLists(es, id, fields, true);
    }

    Result<void> remove(Entity entity, std::int64_t id) override {
        const EntitySpec& es = spec(entity);
        MXR_TRY_ASSIGN(auto s, m_db.prepare(strCat("DELETE FROM ", es.table, " WHERE id=?")));
        s->bind(1, id);
        auto r = s->run();
        if (!r) {
            if (r.error().native == SQLITE_CONSTRAINT_FOREIGNKEY) {
                return makeError(ErrorCode::kConflict, strCat("the ", es.name, " still has records that refer to it"));
            }
            return r;
        }
        if (m_db.changes() != 1) return makeError(ErrorCode::kNotFound, strCat("no ", es.name, " with id ", id));
        return {};
    }

    Result<void> putToken(const std::string& tokenHash, const TokenRecord& record) override {
        MXR_TRY_ASSIGN(auto s, m_db.prepare("INSERT INTO tokens(hash, person_id, expires_at) VALUES(?, ?, ?)"));
        s->bind(1, tokenHash);
        s->bind(2, record.personId);
        s->bind(3, record.expiresAt);
        MXR_TRY(s->run());
        // Expired tokens are swept as new ones are issued; no timer needed.
        MXR_TRY_ASSIGN(auto sweep, m_db.prepare("DELETE FROM tokens WHERE person_id=? AND expires_at<?"));
        sweep->bind(1, record.personId);
        sweep->bind(2, m_clock.nowUnix());
        return sweep->run();
    }

    Result<std::int64_t> credentialGeneration(std::int64_t personId) override {
        MXR_TRY_ASSIGN(auto s, m_db.prepare("SELECT credential_generation FROM people WHERE id=?"));
        s->bind(1, personId);
        MXR_TRY_ASSIGN(bool row, s->step());
        return row ? s->integer(0) : 0;
    }

    Result<void> bumpCredentialGeneration(std::int64_t personId) override {
        MXR_TRY_ASSIGN(auto s, m_db.prepare("UPDATE people SET credential_generation=credential_generation+1 WHERE id=?"));
        s->bind(1, personId);
        return s->run();
    }

    Result<void> deleteTokens(std::int64_t personId) override {
        MXR_TRY_ASSIGN(auto s, m_db.prepare("DELETE FROM tokens WHERE person_id=?"));
        s->bind(1, personId);
        return s->run();
    }

    Result<void> putCalendarFeed(std::int64_t personId, const std::string& secretHash, std::int64_t nowUnix) override {
        MXR_TRY_ASSIGN(auto d, m_db.prepare("DELETE FROM calendar_feeds WHERE person_id=?"));
        d->bind(1, personId);
        MXR_TRY(d->run());
        MXR_TRY_ASSIGN(auto s, m_db.prepare("INSERT INTO calendar_feeds(hash, person_id, created_at) VALUES(?, ?, ?)"));
        s->bind(1, secretHash);
        s->bind(2, personId);
        s->bind(3, nowUnix);
        return s->run();
    }

    Result<bool> deleteCalendarFeed(std::int64_t personId) override {
        MXR_TRY_ASSIGN(auto s, m_db.prepare("DELETE FROM calendar_feeds WHERE person_id=?"));
        s->bind(1, personId);
        MXR_TRY(s->run());
        return m_db.changes() == 1;
    }

    Result<bool> deleteToken(const std::string& tokenHash) override {
        MXR_TRY_ASSIGN(auto s, m_db.prepare("DELETE FROM tokens WHERE hash=?"));
        s->bind(1, tokenHash);
        MXR_TRY(s->run());
        return m_db.changes() == 1;
    }

    Result<void> deleteOtherTokens(std::int64_t personId, const std::string& keepHash) override {
        MXR_TRY_ASSIGN(auto s, m_db.prepare("DELETE FROM tokens WHERE person_id=? AND hash<>?"));
        s->bind(1, personId);
        s->bind(2, keepHash);
        return s->run();
    }

    Result<void> setTextAuthor(Entity entity, std::int64_t id, std::string_view field, std::int64_t authorId) override {
        MXR_TRY_ASSIGN(auto s, m_db.prepare("INSERT OR REPLACE INTO text_authors(entity, record_id, field, author_id) "
                                            "VALUES(?, ?, ?, ?)"));
        s->bind(1, std::string(spec(entity).name));
        s->bind(2, id);
        s->bind(3, std::string(field));
        s->bind(4, authorId);
        return s->run();
    }

    Result<void> eraseAuthoredText(std::int64_t personId) override {
        const std::string now = formatTimestamp(m_clock.nowUnix());
        for (Entity entity : kAllEntities) {
            const EntitySpec& es = spec(entity);
            for (const auto& f : es.fields) {
                if (!f.authored) continue;
                MXR_TRY_ASSIGN(auto s, m_db.prepare(cat({"UPDATE ", es.table, " SET ", f.name, "=",
                                                         f.required ? "''" : "NULL",
                                                         ", updated_at=?1 WHERE id IN (SELECT record_id FROM text_authors "
                                                         "WHERE entity=?2 AND field=?3 AND author_id=?4 AND erased_at IS NULL)"})));
                s->bind(1, now);
                s->bind(2, std::string(es.name));
                s->bind(3, std::string(f.name));
                s->bind(4, personId);
                MXR_TRY(s->run());
            }
        }
        MXR_TRY_ASSIGN(auto mark, m_db.prepare("UPDATE text_authors SET erased_at=? WHERE author_id=? AND erased_at IS NULL"));
        mark->bind(1, now);
        mark->bind(2, personId);
        return mark->run();
    }

    Result<void> putOpenRoomSession(const OpenRoomSession& open) override {
        MXR_TRY_ASSIGN(auto s, m_db.prepare("INSERT OR REPLACE INTO room_sessions(session_id, seen_at) VALUES(?, ?)"));
        s->bind(1, open.sessionId);
        s->bind(2, open.seenAt);
        return s->run();
    }

    Result<void> touchOpenRoomSession(const OpenRoomSession& seen) override {
        MXR_TRY_ASSIGN(auto s, m_db.prepare("UPDATE room_sessions SET seen_at=? WHERE session_id=? AND seen_at<?"));
        s->bind(1, seen.seenAt);
        s->bind(2, seen.sessionId);
        s->bind(3, seen.seenAt);
        return s->run();
    }

    Result<void> removeOpenRoomSession(std::int64_t sessionId) override {
        MXR_TRY_ASSIGN(auto s, m_db.prepare("DELETE FROM room_sessions WHERE session_id=?"));
        s->bind(1, sessionId);
        return s->run();
    }

    Result<std::optional<StoredAnswer>> findIdempotent(std::int64_t personId, const std::string& key,
                                                        std::int64_t notBefore) override {
        MXR_TRY_ASSIGN(auto s, m_db.prepare("SELECT request, answer FROM idempotency_keys "
                                            "WHERE person_id=? AND key=? AND created_at>=?"));
        s->bind(1, personId);
        s->bind(2, key);
        s->bind(3, notBefore);
        MXR_TRY_ASSIGN(bool row, s->step());
        if (!row) return std::optional<StoredAnswer>();
        auto answer = Json::parse(s->text(1), nullptr, false);
        return std::optional<StoredAnswer>(StoredAnswer{s->text(0), answer.is_discarded() ? Json() : answer});
    }

    Result<void> putIdempotent(std::int64_t personId, const std::string& key, const StoredAnswer& stored,
                               std::int64_t notBefore) override {
        MXR_TRY_ASSIGN(auto sweep, m_db.prepare("DELETE FROM idempotency_keys WHERE person_id=? AND created_at<?"));
        sweep->bind(1, personId);
        sweep->bind(2, notBefore);
        MXR_TRY(sweep->run());
        MXR_TRY_ASSIGN(auto s, m_db.prepare("INSERT OR REPLACE INTO idempotency_keys(person_id, key, request, answer, "
                                            "created_at) VALUES(?, ?, ?, ?, ?)"));
        s->bind(1, personId);
        s->bind(2, key);
        s->bind(3, stored.request);
        s->bind(4, stored.answer.dump());
        s->bind(5, m_clock.nowUnix());
        return s->run();
    }

    Result<void> appendAudit(const AuditEvent& e) override {
        MXR_TRY_ASSIGN(auto s, m_db.prepare("INSERT INTO audit(at, actor_id, action, entity, entity_id, fields, "
                                            "program_id) VALUES(?, ?, ?, ?, ?, ?, ?)"));
        s->bind(1, e.at ? e.at : m_clock.nowUnix());
        s->bind(2, e.actorId);
        s->bind(3, e.action);
        s->bind(4, e.entity);
        s->bind(5, e.entityId);
        s->bind(6, Json(e.fields).dump());
        if (e.programId) {
            s->bind(7, e.programId);
        } else {
            s->bindNull(7);
        }
        return s->run();
    }

private:
    // INSERT of the given fields and the entity's link rows; with `record`,
    // the row as stored comes back from the same statement (RETURNING), so
    // the answer to a create costs no second lookup in the writer.
    Result<void> insertRow(Entity entity, const Json& fields, Json* record) {
        const EntitySpec& es = spec(entity);
        std::string cols, params;
        std::vector<const Json*> values;
        for (const auto& f : es.fields) {
            if (f.type == FieldType::kIdList || !fields.contains(f.name)) continue;
            cols += cat({f.name, ", "});
            params += "?, ";
            values.push_back(&fields[std::string(f.name)]);
        }
        const std::string now = formatTimestamp(m_clock.nowUnix());
        {
            MXR_TRY_ASSIGN(auto s, m_db.prepare(cat({"INSERT INTO ", es.table, "(", cols, "created_at, updated_at) VALUES(",
                                                     params, "?, ?)", record ? " RETURNING " : "",
                                                     record ? std::string_view(entitySql(entity).columns) : ""})));
            int i = 1;
            for (const Json* v : values) s->bindJson(i++, *v);
            s->bind(i++, now);
            s->bind(i, now);
            if (record) {
                MXR_TRY_ASSIGN(bool row, s->step());
                if (!row) return makeError(ErrorCode::kUnknown, strCat("INSERT INTO ", es.table, " returned no row"));
                *record = rowToJson(es, *s);
            }
            MXR_TRY(s->run());
        }
        return writeLists(es, m_db.lastInsertId(), fields, false);
    }

    static Json rowToJson(const EntitySpec& es, const Stmt& s) {
        Json r = Json::object();
        r["id"] = s.integer(0);
        int col = 1;
        for (const auto& f : es.fields) {
            if (f.type == FieldType::kIdList || f.hidden) continue;
            r[std::string(f.name)] = s.column(col++, f.type);
        }
        r["created_at"] = s.text(col++);
        r["updated_at"] = s.text(col);
        return r;
    }

    Result<void> fillLists(const EntitySpec& es, Json& record) {
        for (const auto& f : es.fields) {
            if (f.type != FieldType::kIdList) continue;
            MXR_TRY_ASSIGN(auto s, m_db.prepare(cat({"SELECT person_id FROM ", linkTable(es, f),
                                                     " WHERE owner_id=? ORDER BY person_id"})));
            s->bind(1, record["id"].get<std::int64_t>());
            Json ids = Json::array();
            for (;;) {
                MXR_TRY_ASSIGN(bool row, s->step());
                if (!row) break;
                ids.push_back(s->integer(0));
            }
            record[std::string(f.name)] = std::move(ids);
        }
        return {};
    }

    Result<void> writeLists(const EntitySpec& es, std::int64_t id, const Json& fields, bool replace) {
        for (const auto& f : es.fields) {
            if (f.type != FieldType::kIdList || !fields.contains(f.name)) continue;
            const std::string table = linkTable(es, f);
            if (replace) {
                MXR_TRY_ASSIGN(auto d, m_db.prepare(cat({"DELETE FROM ", table, " WHERE owner_id=?"})));
                d->bind(1, id);
                MXR_TRY(d->run());
            }
            const Json& ids = fields[std::string(f.name)];
            if (!ids.is_array()) continue;
            for (const auto& pid : ids) {
                MXR_TRY_ASSIGN(auto s, m_db.prepare(cat({"INSERT OR IGNORE INTO ", table, "(owner_id, person_id) VALUES(?, ?)"})));
                s->bind(1, id);
                s->bind(2, pid.get<std::int64_t>());
                MXR_TRY(s->run());
            }
        }
        return {};
    }

    Db& m_db;
    const WallClock& m_clock;
};

// A one-shot wake-up for one waiting thread: a POSIX semaphore, which may be
// destroyed as soon as wait() returns although post() may still be running
// in the posting thread (POSIX sem_destroy; glibc's sem_post is written for
// that), which a condition variable or std::atomic::notify does not allow.
class PostedFlag {
public:
    PostedFlag() { sem_init(&m_sem, 0, 0); }
    ~PostedFlag() { sem_destroy(&m_sem); }
    PostedFlag(const PostedFlag&) = delete;
    PostedFlag& operator=(const PostedFlag&) = delete;
    void post() { sem_post(&m_sem); }
    void wait() {
        while (sem_wait(&m_sem) != 0) {
            // EINTR only (a signal handler ran); nothing else can fail here.
        }
    }

private:
    sem_t m_sem;
};

// The writer connection's WAL file opened a second time, through the same
// VFS, by the syncer thread: its xSync writes out the frames the WAL buffer
// still holds (sqlite_wal_buffer.h), then its fdatasync flushes every write
// to the file, whichever descriptor made it (Linux syncs the inode). The WAL
// is never locked (SQLite locks the database and -shm files), so a second
// descriptor cannot drop a lock when it closes. Opened with CREATE so that
// its first sync also syncs the directory entry, as SQLite's own first WAL
// sync does.
class WalSyncFile {
public:
    // walName: sqlite3_filename_wal() of the writer connection, which must
    // stay open while this file is (the name is SQLite's).
    static Result<std::unique_ptr<WalSyncFile>> open(const std::string& vfsName, const char* walName) {
        sqlite3_vfs* vfs = sqlite3_vfs_find(vfsName.empty() ? nullptr : vfsName.c_str());
        if (!vfs) return makeError(ErrorCode::kUnavailable, strCat("no SQLite VFS named ", vfsName));
        std::unique_ptr<WalSyncFile> f(new WalSyncFile);
        f->m_file = static_cast<sqlite3_file*>(sqlite3_malloc(vfs->szOsFile));
        if (!f->m_file) return makeError(ErrorCode::kUnknown, "out of memory opening the WAL for syncing");
        std::memset(f->m_file, 0, static_cast<std::size_t>(vfs->szOsFile));
        int outFlags = 0;
        const int rc = vfs->xOpen(vfs, walName, f->m_file,
                                  SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_WAL, &outFlags);
        if (rc != SQLITE_OK) {
            return makeError(ErrorCode::kIo, strCat("opening ", walName, " to sync it: ", sqlite3_errstr(rc)), rc);
        }
        return f;
    }
    ~WalSyncFile() {
        if (m_file && m_file->pMethods) m_file->pMethods->xClose(m_file);
        sqlite3_free(m_file);
    }
    WalSyncFile(const WalSyncFile&) = delete;
    WalSyncFile& operator=(const WalSyncFile&) = delete;

    // On the syncer thread only.
    Result<void> sync() {
        const int rc = m_file->pMethods->xSync(m_file, SQLITE_SYNC_NORMAL);
        if (rc != SQLITE_OK) return makeError(ErrorCode::kIo, strCat("syncing the WAL: ", sqlite3_errstr(rc)), rc);
        return {};
    }

private:
    WalSyncFile() = default;
    sqlite3_file* m_file = nullptr;
};

class SqliteStore final : public Store {
public:
    SqliteStore(SqliteStoreOptions options, const WallClock& clock, Logger logger, std::unique_ptr<Db> writer,
                std::unique_ptr<WalSyncFile> walSync)
        : m_options(std::move(options)), m_clock(clock), m_log(std::move(logger)), m_writerDb(std::move(writer)),
          m_walSync(std::move(walSync)) {
        // The writer never checkpoints in its commit path (a checkpoint
        // copies the WAL's pages into the database and fsyncs it: a stall
        // of every write waiting on that group); the WAL hook hands that to
        // the checkpointer thread, whose PASSIVE checkpoints run beside the
        // writer's appends.
        sqlite3_wal_autocheckpoint(m_writerDb->raw(), 0);
        sqlite3_wal_hook(m_writerDb->raw(), &SqliteStore::onWalCommit, this);
        m_thread = std::thread([this] { writerLoop(); });
        m_syncer = std::thread([this] { syncLoop(); });
        m_checkpointer = std::thread([this] { checkpointLoop(); });
    }

    ~SqliteStore() override {
        {
            std::lock_guard lock(m_mutex);
            m_stopping = true;
        }
        m_cv.notify_all();
        m_thread.join();
        {
            std::lock_guard lock(m_syncMutex);
            m_syncStop = true;  // after the writer: every committed batch is in m_committed by now
        }
        m_syncCv.notify_all();
        m_syncer.join();
        {
            std::lock_guard lock(m_checkpointMutex);
            m_checkpointStop = true;
        }
        m_checkpointCv.notify_all();
        m_checkpointer.join();
        m_walSync.reset();  // before the writer connection, whose name it borrowed
        // How big the groups were (writes per commit) is what the commit's
        // cost per write depends on.
        m_log.info(strCat(m_writes.load(), " writes in ", m_commits.load(), " group commits, ", m_syncs.load(),
                          " WAL syncs"));
    }

    Result<Json> write(WriteFn fn) override {
        // The writer fills `result`, then posts `done`, which wakes this
        // thread alone (no mutex): one notify_all on a shared condition woke
        // every waiting writer, about half of them only to find their write
        // was in the next batch, each through the same mutex; and waking
        // writers one by one under a mutex made the writer thread wait
        // behind the threads it woke. A POSIX semaphore because POSIX lets
        // it be destroyed as soon as sem_wait returns, even while the
        // writer's sem_post is still finishing.
        // In a request fiber (fiber_wait.h) the fiber is suspended instead,
        // and the writer resumes it: the thread serves others meanwhile.
        Result<Json> result = makeError(ErrorCode::kUnknown, "the write was not run");
        FiberWait* fiber = FiberWait::current();
        std::optional<PostedFlag> done;
        if (!fiber) done.emplace();
        {
            std::lock_guard lock(m_mutex);
            if (m_stopping) return makeError(ErrorCode::kUnavailable, "the store is shutting down");
            if (m_syncFailed) {
                return makeError(ErrorCode::kIo, "the disk failed to sync the write-ahead log; writes stay refused "
                                                 "until the server is restarted");
            }
            if (m_queue.size() >= m_options.maxQueue) {
                return makeError(ErrorCode::kLimit, strCat("more than ", m_options.maxQueue, " writes are waiting"));
            }
            m_queue.push_back(Pending{std::move(fn), &result, done ? &*done : nullptr, fiber});
        }
        m_cv.notify_one();
        if (fiber) {
            fiber->suspend();
        } else {
            done->wait();
        }
        return result;
    }

    Result<Json> read(ReadFn fn) override {
        MXR_TRY_ASSIGN(std::unique_ptr<Db> db, borrowReader());
        Result<Json> result = runRead(*db, fn);
        returnReader(std::move(db));
        return result;
    }

    Result<void> checkpoint() override {
        // A connection of its own: TRUNCATE waits (busy timeout) for the
        // writer's current group and for readers, then empties the WAL.
        MXR_TRY_ASSIGN(std::unique_ptr<Db> db, Db::open(m_options.path, m_options.vfs, false));
        MXR_TRY_ASSIGN(auto s, db->prepare("PRAGMA wal_checkpoint(TRUNCATE)"));
        MXR_TRY_ASSIGN(bool row, s->step());
        if (row && s->integer(0) != 0) {
            return makeError(ErrorCode::kUnavailable, "the WAL checkpoint was blocked by a reader; it will run again");
        }
        return {};
    }

    Result<std::string> integrityCheck() override {
        MXR_TRY_ASSIGN(std::unique_ptr<Db> db, borrowReader());
        auto report = [&]() -> Result<std::string> {
            MXR_TRY_ASSIGN(auto s, db->prepare("PRAGMA integrity_check"));
            std::string out;
            for (;;) {
                MXR_TRY_ASSIGN(bool row, s->step());
                if (!row) return out;
                if (!out.empty()) out += "\n";
                out += s->text(0);
            }
        }();
        returnReader(std::move(db));
        return report;
    }

    Result<std::string> backup() override {
        namespace fs = std::filesystem;
        std::error_code ec;
        const fs::path dir = fs::path(m_options.path).parent_path() / "backups";
        fs::create_directories(dir, ec);
        if (ec) return makeError(ErrorCode::kIo, strCat("creating ", dir.string(), ": ", ec.message()));
        // mentorxr-20261205T032500Z.db, with -2, -3... when one is taken.
        std::string stamp;
        for (char c : formatTimestamp(m_clock.nowUnix())) {
            if (c != '-' && c != ':') stamp += c;
        }
        // Created here, empty and owner-only (the records are personal
        // data; O_EXCL: never another backup's file), then filled through
        // SQLite's default VFS: the copy is an ordinary file any sqlite3 opens.
        fs::path file;
        for (int n = 1;; ++n) {
            file = dir / strCat("mentorxr-", stamp, n == 1 ? std::string() : strCat("-", n), ".db");
            const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
            if (fd >= 0) {
                ::close(fd);
                break;
            }
            if (errno != EEXIST || n == 1000) {
                return makeError(ErrorCode::kIo, strCat("creating ", file.string(), ": ", std::strerror(errno)));
            }
        }
        MXR_TRY_ASSIGN(std::unique_ptr<Db> src, borrowReader());
        auto copied = [&]() -> Result<void> {
            sqlite3* raw = nullptr;
            const int rc = sqlite3_open_v2(file.c_str(), &raw, SQLITE_OPEN_READWRITE, nullptr);
            std::unique_ptr<sqlite3, int (*)(sqlite3*)> dst(raw, &sqlite3_close);
            if (rc != SQLITE_OK) return tl::unexpected(sqliteError(raw, rc, strCat("creating ", file.string())));
            // Every page in one step: one read transaction on the source,
            // so the copy is the database as of one commit.
            sqlite3_backup* b = sqlite3_backup_init(dst.get(), "main", src->raw(), "main");
            if (!b) return tl::unexpected(sqliteError(dst.get(), sqlite3_errcode(dst.get()), "starting the backup"));
            const int step = sqlite3_backup_step(b, -1);
            const int done = sqlite3_backup_finish(b);
            if (step != SQLITE_DONE) return tl::unexpected(sqliteError(nullptr, step, "copying the database"));
            if (done != SQLITE_OK) return tl::unexpected(sqliteError(dst.get(), done, "finishing the backup"));
            return {};
        }();
        returnReader(std::move(src));
        if (!copied) {
            fs::remove(file, ec);
            return tl::unexpected(std::move(copied).error());
        }
        // The copy's own commit synced the file (synchronous=FULL); the
        // folder's entry too, so a crash after the answer keeps it.
        if (const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY); fd >= 0) {
            ::fsync(fd);
            ::close(fd);
        }
        m_log.info(strCat("backup written to ", file.string()));
        return file.string();
    }

    StoreStats stats() const override {
        StoreStats s;
        s.writes = m_writes.load();
        s.commits = m_commits.load();
        s.syncs = m_syncs.load();
        s.walRestarts = m_walRestarts.load();
        s.walPreparedRestarts = m_walPreparedRestarts.load();
        s.walFramesLeftToWriter = m_walFramesLeftToWriter.load();
        std::lock_guard lock(m_mutex);
        s.pending = m_queue.size();
        return s;
    }

    // WAL frames beyond which the writer makes the WAL start over itself
    // (restartWalIfLong), unless SqliteStoreOptions::walRestartFrames says
    // otherwise: about 66 MB. Each restart stalls the writer for two fsyncs
    // and the copy of what the checkpointer had not copied yet; at 4,000
    // frames that was every 0.1 s at 200 writers, 6% of the writer's time,
    // and the writes queued behind it were the slowest hundredth.
    static constexpr int kWalRestartPages = 16'000;

private:
    // The checkpointer's passes are spaced by frames, not run after every
    // commit: a pass copies the newest version of each page written since
    // the last one, and under sustained writes the same few hundred pages
    // (the tables' and indexes' last leaves) are in every group. Run back
    // to back, passes copied those pages about ten times a second, one
    // pread and one pwrite per page: 0.24 of this machine's 2 cores at
    // 12,000 writes/s (server/README.md, "Fewer checkpoint passes").
    int checkpointPassFrames() const { return std::max(1, m_options.walRestartFrames / 4); }
    // And after this long without a pass, one copies whatever is left: the
    // writes stopped short of the next pass (the database file is synced
    // when a pass copies everything, and the next write starts the WAL over).
    static constexpr auto kIdlePassAfter = std::chrono::seconds(1);
    // What a restart leaves to the writer, at most: past this the
    // checkpointer's preparation (prepareWalRestart) makes another pass.
    static constexpr int kRestartTailFrames = 256;

    // The WAL's generation: it changes whenever the WAL starts over, so a
    // figure the checkpointer took from an older WAL is not read as this one's.
    static std::uint64_t tagged(std::uint32_t cycle, std::uint32_t frames) {
        return (static_cast<std::uint64_t>(cycle) << 32) | frames;
    }

    // On the writer thread, after each commit, with the WAL's page count.
    static int onWalCommit(void* self, sqlite3*, const char*, int pages) {
        auto* store = static_cast<SqliteStore*>(self);
        // A new generation once its first frames are written: after the
        // writer's restart, or SQLite's own (the checkpointer had copied
        // every frame before a transaction began). A pass that ran in
        // between, over the old WAL, keeps the old generation's tag.
        if (store->m_walRestarted || pages < store->m_walPages) store->m_walCycle.fetch_add(1);
        store->m_walRestarted = false;
        store->m_walPages = pages;
        if (pages - store->copiedThisCycle() >= store->checkpointPassFrames()) store->wakeCheckpointer(false);
        return SQLITE_OK;
    }

    // Frames of the current WAL the checkpointer has copied (0 when its
    // last figure is an older WAL's).
    int copiedThisCycle() const {
        const std::uint64_t c = m_walCopied.load();
        return (c >> 32) == m_walCycle.load() ? static_cast<int>(c & 0xffffffffu) : 0;
    }

    void wakeCheckpointer(bool prepareRestart) {
        {
            std::lock_guard lock(m_checkpointMutex);
            if (prepareRestart ? m_prepareWanted : m_checkpointDue) return;  // already asked
            (prepareRestart ? m_prepareWanted : m_checkpointDue) = true;
        }
        m_checkpointCv.notify_one();
    }

    void checkpointLoop() {
        pthread_setname_np(pthread_self(), "mxr-checkpoint");
        std::unique_ptr<Db> db;
        for (;;) {
            bool prepare = false;
            {
                std::unique_lock lock(m_checkpointMutex);
                const bool asked = m_checkpointCv.wait_for(
                    lock, kIdlePassAfter, [&] { return m_checkpointStop || m_checkpointDue || m_prepareWanted; });
                if (m_checkpointStop) return;
                if (!asked && m_walPages.load() <= copiedThisCycle()) continue;  // idle, and nothing left to copy
                prepare = m_prepareWanted;
                m_checkpointDue = m_prepareWanted = false;
            }
            if (m_walRestartWanted.load()) continue;  // the writer copies the rest itself
            if (!db) {
                auto opened = Db::open(m_options.path, m_options.vfs, false);
                if (!opened) {
                    m_log.warn(strCat("checkpointer: ", opened.error().describe()));
                    continue;
                }
                db = std::move(*opened);
            }
            const std::uint32_t cycle = m_walCycle.load();
            const bool ok = prepare ? prepareWalRestart(*db, cycle) : checkpointPass(*db, cycle).has_value();
            if (!ok) db.reset();  // reopened next time
        }
    }

    // One PASSIVE checkpoint (copies what no reader still needs, never
    // waits): the WAL's frames and how many are copied, or nothing when it
    // failed (logged). Busy (the writer's own pass holds the lock) is not
    // a failure.
    std::optional<std::pair<int, int>> checkpointPass(Db& db, std::uint32_t cycle) {
        int walPages = 0, copied = 0;
        const int rc = sqlite3_wal_checkpoint_v2(db.raw(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &walPages, &copied);
        if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
            m_log.warn(strCat("checkpoint failed: ", sqlite3_errmsg(db.raw()), "; it runs again after the next commits"));
            return std::nullopt;
        }
        if (rc == SQLITE_OK) m_walCopied = tagged(cycle, static_cast<std::uint32_t>(copied));
        return std::pair{walPages, rc == SQLITE_OK ? copied : 0};
    }

    // Before the writer starts the WAL over (restartWalIfLong), while the
    // writes go on: copy what there is (again, while a pass leaves more than
    // a short tail) and sync the database, so that the writer's own pass,
    // which every write waits for, copies a few groups and its fsync of the
    // database finds little left to write. Without this the writer copied up
    // to a pass's worth of frames and then synced every page the passes had
    // copied since the last restart: 7-14 ms, the slowest writes of all.
    bool prepareWalRestart(Db& db, std::uint32_t cycle) {
        for (int pass = 0; pass < 4; ++pass) {
            const auto r = checkpointPass(db, cycle);
            if (!r) return false;
            if (r->first - r->second <= kRestartTailFrames) break;
        }
        sqlite3_file* file = nullptr;
        if (sqlite3_file_control(db.raw(), "main", SQLITE_FCNTL_FILE_POINTER, &file) != SQLITE_OK || !file ||
            !file->pMethods) {
            return true;  // nothing to sync through; the writer's pass syncs it all
        }
        if (const int rc = file->pMethods->xSync(file, SQLITE_SYNC_NORMAL); rc != SQLITE_OK) {
            m_log.warn(strCat("syncing the database before a WAL restart: ", sqlite3_errstr(rc)));
            return true;  // the writer's own pass syncs it (and reports a failure)
        }
        m_walPrepared = cycle;
        return true;
    }

    struct Pending {
        WriteFn fn;
        Result<Json>* result;             // the waiting write()'s, valid until `done` is set
        PostedFlag* done;                 // posted once `result` is final (a plain thread waits)
        FiberWait* fiber;                 // or resumed then (a request fiber waits)
    };

    void returnReader(std::unique_ptr<Db> db) {
        std::lock_guard lock(m_poolMutex);
        m_readers.push_back(std::move(db));
    }

    Result<std::unique_ptr<Db>> borrowReader() {
        {
            std::lock_guard lock(m_poolMutex);
            if (!m_readers.empty()) {
                auto db = std::move(m_readers.back());
                m_readers.pop_back();
                return db;
            }
        }
        return Db::open(m_options.path, m_options.vfs, true);
    }

    Result<Json> runRead(Db& db, const ReadFn& fn) {
        MXR_TRY(db.exec("BEGIN"));
        SqliteTx tx(db, m_clock);
        Result<Json> result = makeError(ErrorCode::kUnknown, "internal error while reading");
        try {
            result = fn(tx);
        } catch (const std::exception& e) {
            m_log.error(strCat("read failed with an exception: ", e.what()));
        }
        auto end = db.exec("COMMIT");
        if (!end) return tl::unexpected(end.error());
        return result;
    }

    static Result<Json> runOne(SqliteTx& tx, Db& db, const WriteFn& fn) {
        MXR_TRY(db.exec("SAVEPOINT w"));
        Result<Json> r = makeError(ErrorCode::kUnknown, "internal error while writing");
        try {
            r = fn(tx);
        } catch (const std::exception& e) {
            r = makeError(ErrorCode::kUnknown, strCat("internal error while writing: ", e.what()));
        }
        if (!r) MXR_TRY(db.exec("ROLLBACK TO w"));
        MXR_TRY(db.exec("RELEASE w"));
        return r;
    }

    // A group whose transaction has run: the results wait for the WAL sync
    // that makes the commit durable (or are failures, which need none).
    struct Batch {
        std::vector<Pending> writes;
        std::vector<Result<Json>> results;
        bool committed = false;
    };

    // Pipelined group commit. The writer commits a batch (the WAL frames are
    // written, synchronous=NORMAL: no fsync in COMMIT) and hands it to the
    // syncer, which fsyncs the WAL and only then acknowledges its writes;
    // meanwhile the writer already runs the next batch. Before, the writer
    // thread sat in each commit's fsync, and everything that queued up
    // behind it waited for the fsync and then for the whole batch's SQLite
    // work in turn. At most one committed batch waits for its sync to start:
    // when the disk is the slower side, writes gather in the queue into
    // bigger batches instead of more, smaller commits.
    void writerLoop() {
        pthread_setname_np(pthread_self(), "mxr-writer");
        for (;;) {
            Batch batch;
            {
                std::unique_lock lock(m_mutex);
                m_cv.wait(lock, [&] { return m_stopping || !m_queue.empty(); });
                if (m_queue.empty() && m_stopping) return;
                while (!m_queue.empty() && batch.writes.size() < m_options.maxBatch) {
                    batch.writes.push_back(std::move(m_queue.front()));
                    m_queue.pop_front();
                }
            }
            restartWalIfLong();
            batch.committed = commitBatch(batch.writes, batch.results);
            if (!batch.committed) {
                acknowledge(batch);  // failures: nothing to make durable
                continue;
            }
            std::unique_lock lock(m_syncMutex);
            m_committed.push_back(std::move(batch));
            m_syncCv.notify_all();
            m_syncCv.wait(lock, [&] { return m_committed.empty(); });
        }
    }

    // SQLite starts the WAL over (writes from its beginning again) only
    // when a write transaction begins after a checkpoint copied every
    // frame. Under sustained writes the checkpointer never copies the last
    // group before the writer begins the next one, so the WAL grew without
    // bound: 660 MB in 8 s at 200 closed-loop writers, every frame a new
    // page in the kernel's cache. Past kWalRestartPages the writer copies
    // the few frames the checkpointer has not (a PASSIVE checkpoint on its
    // own connection, which fsyncs the WAL before it copies and the
    // database after, as every checkpoint here does), so its next
    // transaction restarts the WAL. Busy (the checkpointer is mid-pass, or
    // a reader still reads old frames): it tries again before the next
    // group. Meanwhile the checkpointer starts no pass of its own (it would
    // hold the checkpoint lock and the writer's attempt would find it busy
    // every time): it finishes the pass it is in, and the writer's next
    // attempt gets the lock.
    void restartWalIfLong() {
        if (m_walPages < m_options.walRestartFrames || m_syncFailed.load()) return;
        // First the checkpointer prepares, while the groups go on; if it
        // cannot (it failed, or readers hold old frames), the writer goes
        // ahead a quarter of the way further on and copies it all itself.
        const bool prepared = m_walPrepared.load() == m_walCycle.load();
        if (!prepared && m_walPages < m_options.walRestartFrames + checkpointPassFrames()) {
            if (m_prepareAsked != m_walCycle.load()) {
                m_prepareAsked = m_walCycle.load();
                wakeCheckpointer(true);
            }
            return;
        }
        m_walRestartWanted = true;
        const int leftToWriter = m_walPages - copiedThisCycle();
        int walPages = 0, copied = 0;
        const int rc =
            sqlite3_wal_checkpoint_v2(m_writerDb->raw(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &walPages, &copied);
        if (rc == SQLITE_OK && walPages == copied) {
            m_walPages = 0;  // the next transaction starts the WAL over (the next commit's hook says if not)
            m_walRestarted = true;
            m_walRestartWanted = false;
            ++m_walRestarts;
            if (prepared) ++m_walPreparedRestarts;
            m_walFramesLeftToWriter += static_cast<std::uint64_t>(std::max(0, leftToWriter));
        } else if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
            m_log.warn(strCat("the writer's checkpoint failed: ", sqlite3_errmsg(m_writerDb->raw())));
        }
    }

    void syncLoop() {
        pthread_setname_np(pthread_self(), "mxr-wal-sync");
        std::vector<Batch> syncing;
        for (;;) {
            {
                std::unique_lock lock(m_syncMutex);
                m_syncCv.wait(lock, [&] { return m_syncStop || !m_committed.empty(); });
                if (m_committed.empty()) return;  // stopping, and all acknowledged
                syncing.swap(m_committed);
            }
            m_syncCv.notify_all();  // the writer may run its next batch
            // Every batch taken was committed before this sync began.
            auto synced = m_syncFailed.load() ? Result<void>(makeError(ErrorCode::kIo, "an earlier WAL sync failed"))
                                              : m_walSync->sync();
            if (synced) {
                ++m_syncs;
            } else if (!m_syncFailed.exchange(true)) {
                // After a failed fsync the kernel may have dropped the dirty
                // pages: no later sync proves these batches durable, so
                // writes are refused from here on (fail-stop).
                m_log.error(strCat("the WAL sync failed, writes are refused until a restart: ", synced.error().describe()));
            }
            for (Batch& b : syncing) {
                if (!synced) {
                    for (auto& r : b.results) {
                        if (r) r = tl::unexpected(synced.error());
                    }
                }
                acknowledge(b);
            }
            syncing.clear();
        }
    }

    // Hands each waiting write() its result.
    void acknowledge(Batch& batch) {
        for (std::size_t i = 0; i < batch.writes.size(); ++i) {
            Pending& p = batch.writes[i];
            *p.result = std::move(batch.results[i]);
            // The waiter may return (and free both) from here on.
            if (p.fiber) {
                p.fiber->resume();
            } else {
                p.done->post();
            }
        }
        m_writes += batch.writes.size();
    }

    // One transaction for the whole batch, one savepoint per write. Returns
    // whether it committed (its writes then wait for the WAL sync); if not,
    // every result is a failure.
    bool commitBatch(std::vector<Pending>& batch, std::vector<Result<Json>>& results) {
        Db& db = *m_writerDb;
        auto begun = db.exec("BEGIN IMMEDIATE");
        if (!begun) {
            m_log.error(strCat("group commit could not begin: ", begun.error().describe()));
            for (std::size_t i = 0; i < batch.size(); ++i) results.push_back(tl::unexpected(begun.error()));
            return false;
        }
        SqliteTx tx(db, m_clock);
        bool aborted = false;
        for (auto& p : batch) {
            if (aborted) {
                results.push_back(makeError(ErrorCode::kIo, "the group transaction was aborted"));
                continue;
            }
            auto r = runOne(tx, db, p.fn);
            // A disk-full or I/O error can roll the whole transaction back
            // inside SQLite; then nothing in the batch may be acknowledged.
            if (sqlite3_get_autocommit(db.raw())) aborted = true;
            results.push_back(std::move(r));
        }
        auto committed = aborted ? Result<void>(makeError(ErrorCode::kIo, "transaction rolled back by SQLite"))
                                 : db.exec("COMMIT");
        if (!committed) {
            m_log.error(strCat("group commit failed: ", committed.error().describe()));
            if (!sqlite3_get_autocommit(db.raw())) (void)db.exec("ROLLBACK");
            for (auto& r : results) {
                if (r) r = tl::unexpected(committed.error());
            }
            return false;
        }
        ++m_commits;
        return true;
    }

    SqliteStoreOptions m_options;
    const WallClock& m_clock;
    Logger m_log;
    std::unique_ptr<Db> m_writerDb;

    mutable std::mutex m_mutex;
    std::condition_variable m_cv;
    std::deque<Pending> m_queue;
    bool m_stopping = false;
    std::thread m_thread;
    std::unique_ptr<WalSyncFile> m_walSync;  // the syncer's
    std::mutex m_syncMutex;
    std::condition_variable m_syncCv;
    std::vector<Batch> m_committed;          // under m_syncMutex: committed, waiting for their sync
    bool m_syncStop = false;                 // under m_syncMutex
    std::atomic<bool> m_syncFailed{false};   // a WAL sync failed: writes are refused
    std::thread m_syncer;
    std::mutex m_checkpointMutex;
    std::condition_variable m_checkpointCv;
    bool m_checkpointDue = false;   // under m_checkpointMutex: a pass
    bool m_prepareWanted = false;   // under m_checkpointMutex: prepareWalRestart
    bool m_checkpointStop = false;  // under m_checkpointMutex
    std::thread m_checkpointer;
    std::atomic<int> m_walPages{0};  // frames in the WAL after the last commit (changed by the writer thread)
    bool m_walRestarted = false;  // the writer's own restart, until the next commit's hook (the writer thread's)
    std::atomic<bool> m_walRestartWanted{false};  // the checkpointer holds back (restartWalIfLong)
    std::atomic<std::uint32_t> m_walCycle{0};     // the WAL's generation (onWalCommit changes it)
    std::atomic<std::uint64_t> m_walCopied{0};    // tagged(cycle, frames the checkpointer copied)
    std::atomic<std::uint32_t> m_walPrepared{~0u};  // the cycle prepareWalRestart last prepared
    std::atomic<std::uint64_t> m_walRestarts{0};
    std::uint32_t m_prepareAsked = ~0u;             // the cycle the writer last asked to prepare (its own)
    std::atomic<std::uint64_t> m_walPreparedRestarts{0};
    std::atomic<std::uint64_t> m_walFramesLeftToWriter{0};

    std::mutex m_poolMutex;
    std::vector<std::unique_ptr<Db>> m_readers;

    std::atomic<std::uint64_t> m_writes{0};
    std::atomic<std::uint64_t> m_commits{0};
    std::atomic<std::uint64_t> m_syncs{0};
};

Result<void> migrate(Db& db, Logger& log, int stopAt) {
    MXR_TRY(db.execScript("CREATE TABLE IF NOT EXISTS schema_migrations(version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"));
    int current = 0;
    {
        MXR_TRY_ASSIGN(auto s, db.prepare("SELECT coalesce(max(version), 0) FROM schema_migrations"));
        MXR_TRY_ASSIGN(bool row, s->step());
        if (row) current = static_cast<int>(s->integer(0));
    }
    const int latest = sqliteSchemaVersion();
    const int target = stopAt > 0 && stopAt < latest ? stopAt : latest;
    if (current > latest) {
        return makeError(ErrorCode::kUnavailable,
                         strCat("the database is at schema version ", current, ", newer than this server's ", latest));
    }
    for (int v = current + 1; v <= target; ++v) {
        MXR_TRY(db.execScript("BEGIN IMMEDIATE"));
        auto applied = db.execScript(kMigrations[v - 1]);
        if (applied) {
            applied = db.execScript(strCat("INSERT INTO schema_migrations(version, applied_at) VALUES(", v,
                                           ", strftime('%Y-%m-%dT%H:%M:%SZ','now'))").c_str());
        }
        if (!applied) {
            (void)db.execScript("ROLLBACK");
            return tl::unexpected(withContext(applied.error(), strCat("migration ", v)));
        }
        MXR_TRY(db.execScript("COMMIT"));
        log.info(strCat("applied schema migration ", v));
    }
    return {};
}

}  // namespace

int sqliteSchemaVersion() { return static_cast<int>(std::size(kMigrations)); }

Result<std::unique_ptr<Store>> openSqliteStore(const SqliteStoreOptions& requested, const WallClock& clock,
                                               Logger logger) {
    SqliteStoreOptions options = requested;
    if (options.vfs.empty()) options.vfs = kSqliteExclusiveVfs;
    if (options.walRestartFrames <= 0) options.walRestartFrames = SqliteStore::kWalRestartPages;
    // Every connection, the syncer's WAL file included, goes through the
    // WAL write buffer over the chosen VFS (sqlite_wal_buffer.h).
    MXR_TRY_ASSIGN(options.vfs, walBufferVfs(options.vfs));
    // Opening takes the file lock: on the exclusive VFS, a lock another
    // process holds fails here after the busy timeout.
    auto opened = Db::open(options.path, options.vfs, false);
    if (!opened && opened.error().code == ErrorCode::kUnavailable) {
        return makeError(ErrorCode::kUnavailable,
                         strCat(options.path, " is in use by another process (another mentorxr-server on this --data?): ",
                                opened.error().message));
    }
    MXR_TRY_ASSIGN(std::unique_ptr<Db> db, std::move(opened));
    {
        MXR_TRY_ASSIGN(auto s, db->prepare("PRAGMA journal_mode=WAL"));
        MXR_TRY_ASSIGN(bool row, s->step());
        if (!row || s->text(0) != "wal") {
            return makeError(ErrorCode::kUnavailable, strCat("could not switch ", options.path, " to WAL mode"));
        }
    }
    MXR_TRY(migrate(*db, logger, options.migrateTo));
    // The writer's COMMIT writes the WAL without an fsync; the syncer's
    // fsync of the WAL acknowledges (SqliteStore::writerLoop). NORMAL, not
    // OFF: SQLite still syncs what keeps the database consistent (a WAL
    // header it rewrites after a checkpoint, before any frame follows it).
    MXR_TRY(db->execScript("PRAGMA synchronous=NORMAL;"));
    MXR_TRY_ASSIGN(auto walSync, WalSyncFile::open(options.vfs, sqlite3_filename_wal(sqlite3_db_filename(db->raw(), "main"))));
    return std::unique_ptr<Store>(new SqliteStore(options, clock, std::move(logger), std::move(db), std::move(walSync)));
}

}  // namespace mxr::server
