#include "idx_db.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/tm_alloc.h"
#include "idx_bulk.h"
#include "idx_wb.h"

/* Numbered migrations: migration[i] takes the schema from version i to i+1.
 * Applied in order at open, in one transaction, with PRAGMA user_version as
 * the version. Never edit a migration that has shipped; append a new one. */
static const char *const migrations[] = {
    /* 1: institutions, technologies, patents, the FTS5 index and its triggers. */
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;"
    "INSERT INTO meta (key, value) VALUES ('catalogue_gen', 1);"
    "CREATE TABLE institution ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  name_en TEXT,"
    "  kind TEXT NOT NULL DEFAULT 'other',"
    "  created_at TEXT NOT NULL,"
    "  updated_at TEXT NOT NULL,"
    "  version INTEGER NOT NULL DEFAULT 1);"
    "CREATE INDEX institution_name_en ON institution (name_en COLLATE NOCASE);"
    "CREATE TABLE institution_group ("
    "  institution_id INTEGER NOT NULL REFERENCES institution (id) ON DELETE CASCADE,"
    "  grp TEXT NOT NULL,"
    "  PRIMARY KEY (institution_id, grp)) WITHOUT ROWID;"
    "CREATE TABLE technology ("
    "  id INTEGER PRIMARY KEY,"
    "  external_id TEXT UNIQUE,"
    "  institution_id INTEGER NOT NULL REFERENCES institution (id),"
    "  title TEXT NOT NULL,"
    "  title_en TEXT,"
    "  summary TEXT,"
    "  description TEXT,"
    "  keywords TEXT," /* list: entries joined by newlines */
    "  field TEXT,"
    "  ipc TEXT," /* list */
    "  trl INTEGER CHECK (trl BETWEEN 1 AND 9),"
    "  licence TEXT," /* list of licence names */
    "  asking TEXT,"
    "  status TEXT NOT NULL DEFAULT 'available',"
    "  inventors TEXT," /* list */
    "  contact TEXT,"
    "  inst_names TEXT,"     /* derived: institution name and English name, for the index */
    "  patent_numbers TEXT," /* derived: patent and registration numbers, for the index */
    "  content_hash BLOB,"   /* derived: hash of the record as imported, to skip no-op updates */
    "  created_at TEXT NOT NULL,"
    "  updated_at TEXT NOT NULL,"
    "  version INTEGER NOT NULL DEFAULT 1);"
    "CREATE INDEX technology_institution ON technology (institution_id);"
    "CREATE INDEX technology_created ON technology (created_at, id);"
    "CREATE TABLE patent ("
    "  id INTEGER PRIMARY KEY,"
    "  technology_id INTEGER NOT NULL REFERENCES technology (id) ON DELETE CASCADE,"
    "  ord INTEGER NOT NULL,"
    "  number TEXT,"
    "  number_key TEXT," /* digits of number only: the identity of a patent */
    "  country TEXT,"
    "  kind TEXT,"
    "  status TEXT,"
    "  filed TEXT,"
    "  registered TEXT,"
    "  registration_number TEXT);"
    "CREATE INDEX patent_technology ON patent (technology_id, ord);"
    "CREATE INDEX patent_number_key ON patent (number_key);"
    "CREATE VIRTUAL TABLE technology_fts USING fts5 ("
    "  title, title_en, keywords, summary, description, inst_names, inventors, ipc,"
    "  patent_numbers, content='technology', content_rowid='id',"
    "  tokenize='porter techmart');"
    "CREATE TRIGGER technology_ai AFTER INSERT ON technology BEGIN"
    "  INSERT INTO technology_fts (rowid, title, title_en, keywords, summary, description,"
    "    inst_names, inventors, ipc, patent_numbers)"
    "  VALUES (new.id, new.title, new.title_en, new.keywords, new.summary, new.description,"
    "    new.inst_names, new.inventors, new.ipc, new.patent_numbers);"
    "  UPDATE meta SET value = value + 1 WHERE key = 'catalogue_gen';"
    "END;"
    "CREATE TRIGGER technology_ad AFTER DELETE ON technology BEGIN"
    "  INSERT INTO technology_fts (technology_fts, rowid, title, title_en, keywords, summary,"
    "    description, inst_names, inventors, ipc, patent_numbers)"
    "  VALUES ('delete', old.id, old.title, old.title_en, old.keywords, old.summary,"
    "    old.description, old.inst_names, old.inventors, old.ipc, old.patent_numbers);"
    "  UPDATE meta SET value = value + 1 WHERE key = 'catalogue_gen';"
    "END;"
    "CREATE TRIGGER technology_au_fts AFTER UPDATE OF title, title_en, keywords, summary,"
    "  description, inst_names, inventors, ipc, patent_numbers ON technology BEGIN"
    "  INSERT INTO technology_fts (technology_fts, rowid, title, title_en, keywords, summary,"
    "    description, inst_names, inventors, ipc, patent_numbers)"
    "  VALUES ('delete', old.id, old.title, old.title_en, old.keywords, old.summary,"
    "    old.description, old.inst_names, old.inventors, old.ipc, old.patent_numbers);"
    "  INSERT INTO technology_fts (rowid, title, title_en, keywords, summary, description,"
    "    inst_names, inventors, ipc, patent_numbers)"
    "  VALUES (new.id, new.title, new.title_en, new.keywords, new.summary, new.description,"
    "    new.inst_names, new.inventors, new.ipc, new.patent_numbers);"
    "END;"
    "CREATE TRIGGER technology_au_gen AFTER UPDATE ON technology BEGIN"
    "  UPDATE meta SET value = value + 1 WHERE key = 'catalogue_gen';"
    "END;"
    /* A renamed institution is found by its new name: refresh the derived column. */
    "CREATE TRIGGER institution_au AFTER UPDATE OF name, name_en ON institution BEGIN"
    "  UPDATE technology SET inst_names = new.name || coalesce(char(10) || new.name_en, '')"
    "  WHERE institution_id = new.id;"
    "  UPDATE meta SET value = value + 1 WHERE key = 'catalogue_gen';"
    "END;"
    "CREATE TRIGGER institution_group_ai AFTER INSERT ON institution_group BEGIN"
    "  UPDATE meta SET value = value + 1 WHERE key = 'catalogue_gen';"
    "END;"
    "CREATE TRIGGER institution_group_ad AFTER DELETE ON institution_group BEGIN"
    "  UPDATE meta SET value = value + 1 WHERE key = 'catalogue_gen';"
    "END;",

    /* 2: bulk imports index their new rows in one statement at the end
     * (idx_bulk, idx_fts5). FTS5 flushes its pending terms at every
     * statement that writes it, so a trigger per row wrote a tiny segment
     * per technology and merged them again and again. meta.fts_deferred is
     * 0, or the first id whose index entry is deferred (only ever non-zero
     * inside a write transaction). */
    "INSERT INTO meta (key, value) VALUES ('fts_deferred', 0);"
    "DROP TRIGGER technology_ai;"
    "DROP TRIGGER technology_ad;"
    "DROP TRIGGER technology_au_fts;"
    /* A new row below the mark (an id reused after the highest row was
     * deleted, or a random rowid past INT64_MAX) is indexed at once: the
     * bulk statement only takes ids from the mark. */
    "CREATE TRIGGER technology_ai AFTER INSERT ON technology"
    "  WHEN (SELECT value FROM meta WHERE key = 'fts_deferred') = 0 OR"
    "       new.id < (SELECT value FROM meta WHERE key = 'fts_deferred') BEGIN"
    "  INSERT INTO technology_fts (rowid, title, title_en, keywords, summary, description,"
    "    inst_names, inventors, ipc, patent_numbers)"
    "  VALUES (new.id, new.title, new.title_en, new.keywords, new.summary, new.description,"
    "    new.inst_names, new.inventors, new.ipc, new.patent_numbers);"
    "  UPDATE meta SET value = value + 1 WHERE key = 'catalogue_gen';"
    "END;"
    "CREATE TRIGGER technology_ad AFTER DELETE ON technology"
    "  WHEN (SELECT value FROM meta WHERE key = 'fts_deferred') = 0 OR"
    "       old.id < (SELECT value FROM meta WHERE key = 'fts_deferred') BEGIN"
    "  INSERT INTO technology_fts (technology_fts, rowid, title, title_en, keywords, summary,"
    "    description, inst_names, inventors, ipc, patent_numbers)"
    "  VALUES ('delete', old.id, old.title, old.title_en, old.keywords, old.summary,"
    "    old.description, old.inst_names, old.inventors, old.ipc, old.patent_numbers);"
    "END;"
    "CREATE TRIGGER technology_ad_gen AFTER DELETE ON technology BEGIN"
    "  UPDATE meta SET value = value + 1 WHERE key = 'catalogue_gen';"
    "END;"
    "CREATE TRIGGER technology_au_fts AFTER UPDATE OF title, title_en, keywords, summary,"
    "  description, inst_names, inventors, ipc, patent_numbers ON technology"
    "  WHEN (SELECT value FROM meta WHERE key = 'fts_deferred') = 0 OR"
    "       old.id < (SELECT value FROM meta WHERE key = 'fts_deferred') BEGIN"
    "  INSERT INTO technology_fts (technology_fts, rowid, title, title_en, keywords, summary,"
    "    description, inst_names, inventors, ipc, patent_numbers)"
    "  VALUES ('delete', old.id, old.title, old.title_en, old.keywords, old.summary,"
    "    old.description, old.inst_names, old.inventors, old.ipc, old.patent_numbers);"
    "  INSERT INTO technology_fts (rowid, title, title_en, keywords, summary, description,"
    "    inst_names, inventors, ipc, patent_numbers)"
    "  VALUES (new.id, new.title, new.title_en, new.keywords, new.summary, new.description,"
    "    new.inst_names, new.inventors, new.ipc, new.patent_numbers);"
    "END;",

    /* 3: accounts and the audit trail. A user has one role; tto and company
     * users belong to an institution (whose listings or requests they own).
     * password_hash is a libsodium crypto_pwhash_str string. Users are
     * disabled, never deleted, so the audit log keeps naming who did what;
     * audit_log.user_id has no foreign key all the same, so no future erasure
     * of a user is blocked by the log. The log is append-only: triggers
     * refuse every UPDATE and DELETE. */
    "CREATE TABLE \"user\" ("
    "  id INTEGER PRIMARY KEY,"
    "  email TEXT NOT NULL UNIQUE COLLATE NOCASE,"
    "  role TEXT NOT NULL CHECK (role IN ('company', 'tto', 'staff', 'admin')),"
    "  institution_id INTEGER REFERENCES institution (id),"
    "  password_hash TEXT NOT NULL,"
    "  disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),"
    "  created_at TEXT NOT NULL,"
    "  updated_at TEXT NOT NULL,"
    "  version INTEGER NOT NULL DEFAULT 1,"
    "  CHECK (role IN ('staff', 'admin') OR institution_id IS NOT NULL));"
    "CREATE INDEX user_institution ON \"user\" (institution_id);"
    "CREATE TABLE audit_log ("
    "  id INTEGER PRIMARY KEY,"
    "  at TEXT NOT NULL,"
    "  user_id INTEGER,"      /* who; NULL for the command line */
    "  address TEXT,"         /* the client's address; NULL for the command line */
    "  action TEXT NOT NULL," /* "user.add", ... */
    "  object TEXT NOT NULL," /* "user", ... */
    "  object_id INTEGER,"
    "  \"before\" TEXT," /* JSON object of the changed fields' old values */
    "  \"after\" TEXT);" /* ... and new values; never a secret */
    "CREATE INDEX audit_log_object ON audit_log (object, object_id, id);"
    "CREATE INDEX audit_log_user ON audit_log (user_id, id);"
    "CREATE INDEX audit_log_at ON audit_log (at, id);"
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN"
    "  SELECT RAISE(ABORT, 'audit_log is append-only');"
    "END;"
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN"
    "  SELECT RAISE(ABORT, 'audit_log is append-only');"
    "END;",

    /* 4: login sessions. token_hash is the BLAKE2b-256 of the cookie's 32
     * random bytes and csrf_hash that of the CSRF token's: neither secret is
     * stored. Times are Unix seconds (compared, never shown); expires_at is
     * the absolute end, the idle limit applies to last_seen. A session is
     * revoked (logout), never deleted here. */
    "CREATE TABLE session ("
    "  id INTEGER PRIMARY KEY,"
    "  token_hash BLOB NOT NULL UNIQUE CHECK (length(token_hash) = 32),"
    "  csrf_hash BLOB NOT NULL CHECK (length(csrf_hash) = 32),"
    "  user_id INTEGER NOT NULL REFERENCES \"user\" (id),"
    "  created_at INTEGER NOT NULL,"
    "  last_seen INTEGER NOT NULL,"
    "  expires_at INTEGER NOT NULL,"
    "  revoked_at INTEGER);"
    "CREATE INDEX session_user ON session (user_id);",

    /* 5: API tokens (bearer). token_hash is the BLAKE2b-256 of the token's
     * 32 random bytes; the token itself is shown once and never stored.
     * Times are Unix seconds. A token is revoked, never deleted. */
    "CREATE TABLE api_token ("
    "  id INTEGER PRIMARY KEY,"
    "  token_hash BLOB NOT NULL UNIQUE CHECK (length(token_hash) = 32),"
    "  user_id INTEGER NOT NULL REFERENCES \"user\" (id),"
    "  name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),"
    "  created_at INTEGER NOT NULL,"
    "  last_used INTEGER,"
    "  revoked_at INTEGER);"
    "CREATE INDEX api_token_user ON api_token (user_id);",

    /* 6: in bulk mode (meta.fts_deferred non-zero) every full-text change
     * goes through idx_bulk, which is told each row's old and new values:
     * the triggers stay out for every row, not only new ones, so an
     * import's updates no longer write FTS5 a record at a time. */
    "DROP TRIGGER technology_ai;"
    "DROP TRIGGER technology_ad;"
    "DROP TRIGGER technology_au_fts;"
    "CREATE TRIGGER technology_ai AFTER INSERT ON technology"
    "  WHEN (SELECT value FROM meta WHERE key = 'fts_deferred') = 0 BEGIN"
    "  INSERT INTO technology_fts (rowid, title, title_en, keywords, summary, description,"
    "    inst_names, inventors, ipc, patent_numbers)"
    "  VALUES (new.id, new.title, new.title_en, new.keywords, new.summary, new.description,"
    "    new.inst_names, new.inventors, new.ipc, new.patent_numbers);"
    "  UPDATE meta SET value = value + 1 WHERE key = 'catalogue_gen';"
    "END;"
    "CREATE TRIGGER technology_ad AFTER DELETE ON technology"
    "  WHEN (SELECT value FROM meta WHERE key = 'fts_deferred') = 0 BEGIN"
    "  INSERT INTO technology_fts (technology_fts, rowid, title, title_en, keywords, summary,"
    "    description, inst_names, inventors, ipc, patent_numbers)"
    "  VALUES ('delete', old.id, old.title, old.title_en, old.keywords, old.summary,"
    "    old.description, old.inst_names, old.inventors, old.ipc, old.patent_numbers);"
    "END;"
    "CREATE TRIGGER technology_au_fts AFTER UPDATE OF title, title_en, keywords, summary,"
    "  description, inst_names, inventors, ipc, patent_numbers ON technology"
    "  WHEN (SELECT value FROM meta WHERE key = 'fts_deferred') = 0 BEGIN"
    "  INSERT INTO technology_fts (technology_fts, rowid, title, title_en, keywords, summary,"
    "    description, inst_names, inventors, ipc, patent_numbers)"
    "  VALUES ('delete', old.id, old.title, old.title_en, old.keywords, old.summary,"
    "    old.description, old.inst_names, old.inventors, old.ipc, old.patent_numbers);"
    "  INSERT INTO technology_fts (rowid, title, title_en, keywords, summary, description,"
    "    inst_names, inventors, ipc, patent_numbers)"
    "  VALUES (new.id, new.title, new.title_en, new.keywords, new.summary, new.description,"
    "    new.inst_names, new.inventors, new.ipc, new.patent_numbers);"
    "END;",
};

#define NMIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))

int idx_db_schema_version(void)
{
    return NMIGRATIONS;
}

int idx_db_fail(idx_db *db, int rc, tm_err *err)
{
    int prim = rc & 0xff;
    if (prim == SQLITE_BUSY || prim == SQLITE_LOCKED)
        return tm_err_set(err, TM_EBUSY, NULL, "the database is busy; try again");
    if (prim == SQLITE_FULL) return tm_err_set(err, TM_EBUSY, NULL, "the database is full");
    if (prim == SQLITE_CONSTRAINT)
        return tm_err_set(err, TM_ECONFLICT, NULL, "conflicts with a stored record");
    return tm_err_set(err, TM_EINTERNAL, NULL, "sqlite: %s",
                      db && db->h ? sqlite3_errmsg(db->h) : sqlite3_errstr(rc));
}

static int exec(idx_db *db, const char *sql, tm_err *err)
{
    int rc = sqlite3_exec(db->h, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? TM_OK : idx_db_fail(db, rc, err);
}

static int migrate(idx_db *db, tm_err *err)
{
    sqlite3_stmt *s = NULL;
    int version = 0;
    int rc = sqlite3_prepare_v2(db->h, "PRAGMA user_version", -1, &s, NULL);
    if (rc == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW) version = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    if (rc != SQLITE_OK) return idx_db_fail(db, rc, err);
    if (version > NMIGRATIONS)
        return tm_err_set(err, TM_EINVAL, "db",
                          "the database has schema version %d; this techmart knows up to %d",
                          version, NMIGRATIONS);
    if (version == NMIGRATIONS) return TM_OK;

    int code = idx_db_begin_write(db, err);
    if (code != TM_OK) return code;
    /* Another process may have migrated while we waited for the lock. */
    rc = sqlite3_prepare_v2(db->h, "PRAGMA user_version", -1, &s, NULL);
    if (rc == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW) version = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    for (int v = version; code == TM_OK && v < NMIGRATIONS; v++) {
        code = exec(db, migrations[v], err);
        if (code == TM_OK) {
            char pragma[64];
            (void)snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", v + 1);
            code = exec(db, pragma, err);
        }
    }
    if (code != TM_OK) {
        idx_db_rollback(db);
        return code;
    }
    return idx_db_commit(db, err);
}

/* SQLite counts every allocation under a global mutex for
 * sqlite3_memory_used(), which nothing here reads; with an import's three
 * threads in SQLite that mutex was a measurable part of its time.
 *
 * A savepoint keeps the old copy of each page it changes in a statement
 * journal, in memory up to the spill size and in a temporary file past it;
 * once spilled, the file serves the rest of the transaction. An import
 * holds a savepoint per record (~7 pages, 28 KiB) and SQLite's 64 KiB
 * default spilled early, so every record then cost ~20 pwrite calls:
 * 2.2 million per 100k records, a third of the import's time on a virtual
 * machine. 127 KiB keeps a record's journal in memory. It cannot be larger:
 * a journal spills by writing its in-memory chunk (of the spill size) in one
 * call, and SQLite 3.40's unix layer writes at most 0x1ffff bytes a call
 * (it masks the length), so a bigger chunk is cut short and the write fails
 * with SQLITE_FULL, rolling back the whole import (test_idx_db spills one;
 * it fails from 131,200 bytes on, with 4 KiB pages). */
#define STMT_JOURNAL_SPILL (127 * 1024)
_Static_assert(STMT_JOURNAL_SPILL <= 0x1ffff, "a spilling journal writes its chunk in one call");

static void configure_sqlite(void)
{
    (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    (void)sqlite3_config(SQLITE_CONFIG_STMTJRNL_SPILL, STMT_JOURNAL_SPILL);
}

/* Turning the log on takes the write lock, and SQLite does not wait for a
 * write lock that a read must be upgraded to: while a load has the
 * database to itself (idx_db_solo_begin) it holds that lock a file at a
 * time, so the open tries again for as long as a write would wait. */
static int wal_on(idx_db *db, tm_err *err)
{
    for (int waited = 0;; waited += 50) {
        int code = exec(db, "PRAGMA journal_mode = WAL", err);
        if (code != TM_EBUSY || (sqlite3_errcode(db->h) & 0xff) != SQLITE_BUSY ||
            waited >= IDX_DB_BUSY_MS)
            return code;
        sqlite3_sleep(50);
    }
}

static int open_conn(const char *path, bool scratch, idx_db **out, tm_err *err)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, configure_sqlite);
    idx_db *db = tm_xcalloc(1, sizeof *db);
    int code = TM_OK;
    int rc = sqlite3_open_v2(
        path, &db->h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    *out = NULL;
    if (rc != SQLITE_OK) {
        code = tm_err_set(err, TM_EINVAL, "db", "cannot open database %s: %s", path,
                          db->h ? sqlite3_errmsg(db->h) : sqlite3_errstr(rc));
        goto fail;
    }
    sqlite3_extended_result_codes(db->h, 1);
    sqlite3_busy_timeout(db->h, IDX_DB_BUSY_MS);
    /* WAL lets reads run beside a write; FULL because the store records
     * contracts and money: an acknowledged write survives power loss. */
    if ((code = scratch ? exec(db, "PRAGMA journal_mode = OFF", err) : wal_on(db, err)) != TM_OK ||
        (code = exec(db, scratch ? "PRAGMA synchronous = OFF" : "PRAGMA synchronous = FULL",
                     err)) != TM_OK ||
        (code = exec(db, "PRAGMA foreign_keys = ON", err)) != TM_OK)
        goto fail;
    rc = idx_tok_register(db->h);
    if (rc != SQLITE_OK) {
        code = idx_db_fail(db, rc, err);
        goto fail;
    }
    if ((code = migrate(db, err)) != TM_OK) goto fail;
    if ((code = idx_tok_open(db->h, &db->tok, err)) != TM_OK) goto fail;
    *out = db;
    return TM_OK;
fail:
    if (code == TM_EINTERNAL && db->h && sqlite3_errcode(db->h) == SQLITE_NOTADB)
        code = tm_err_set(err, TM_EINVAL, "db", "%s is not a techmart database", path);
    else if (code == TM_EBUSY && db->h && (sqlite3_errcode(db->h) & 0xff) == SQLITE_BUSY)
        code = tm_err_set(err, TM_EBUSY, "db",
                          "%s is busy: another process is writing to it (an import that has "
                          "it to itself keeps it until it ends); try again",
                          path);
    idx_db_close(db);
    return code;
}

int idx_db_open(const char *path, idx_db **out, tm_err *err)
{
    return open_conn(path, false, out, err);
}

int idx_db_open_scratch(idx_db **out, tm_err *err)
{
    return open_conn("", true, out, err); /* "": SQLite's private temporary database */
}

void idx_db_close(idx_db *db)
{
    if (!db) return;
    idx_bulk_abort(db);
    idx_wb_stop(db->wb);
    for (int i = 0; i < IDX_STMT__COUNT; i++)
        sqlite3_finalize(db->stmt[i]);
    idx_tok_free(db->tok);
    sqlite3_close_v2(db->h);
    free(db);
}

sqlite3_stmt *idx_db_stmt(idx_db *db, idx_stmt id, tm_err *err)
{
    if (db->stmt[id]) return db->stmt[id];
    int rc = sqlite3_prepare_v3(db->h, idx_stmt_sql(id), -1, SQLITE_PREPARE_PERSISTENT,
                                &db->stmt[id], NULL);
    if (rc != SQLITE_OK) {
        (void)idx_db_fail(db, rc, err);
        sqlite3_finalize(db->stmt[id]);
        db->stmt[id] = NULL;
        return NULL;
    }
    return db->stmt[id];
}

void idx_db_stmt_done(sqlite3_stmt *s)
{
    if (!s) return;
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
}

int idx_db_begin_write(idx_db *db, tm_err *err)
{
    return exec(db, "BEGIN IMMEDIATE", err);
}

int idx_db_begin_read(idx_db *db, tm_err *err)
{
    return exec(db, "BEGIN", err);
}

int idx_db_commit(idx_db *db, tm_err *err)
{
    int code = exec(db, "COMMIT", err);
    if (code != TM_OK) idx_db_rollback(db);
    return code;
}

void idx_db_rollback(idx_db *db)
{
    idx_bulk_abort(db);
    if (!sqlite3_get_autocommit(db->h)) (void)sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
}

/* Runs a prepared statement that returns no row: the savepoints come once
 * per imported record, and preparing them each time cost more than running
 * them. */
static int step_stmt(idx_db *db, idx_stmt id, tm_err *err)
{
    sqlite3_stmt *s = idx_db_stmt(db, id, err);
    if (!s) return err ? err->code : TM_EINTERNAL;
    int rc = sqlite3_step(s);
    int code = rc == SQLITE_DONE ? TM_OK : idx_db_fail(db, rc, err);
    idx_db_stmt_done(s);
    return code;
}

/* In bulk mode the rows a record noted are kept when its savepoint is
 * released and dropped when it is rolled back (idx_bulk). */
int idx_db_savepoint(idx_db *db, tm_err *err)
{
    idx_bulk_keep(db);
    return step_stmt(db, IDX_STMT_SAVEPOINT, err);
}

int idx_db_release(idx_db *db, tm_err *err)
{
    int code = step_stmt(db, IDX_STMT_RELEASE, err);
    if (code == TM_OK) idx_bulk_keep(db);
    return code;
}

void idx_db_rollback_to(idx_db *db)
{
    idx_bulk_drop(db);
    /* ROLLBACK TO keeps the savepoint open; RELEASE closes it (only once
     * the rollback is done, or it would keep the record's writes). */
    if (step_stmt(db, IDX_STMT_ROLLBACK_TO, NULL) == TM_OK)
        (void)step_stmt(db, IDX_STMT_RELEASE, NULL);
    else
        idx_bulk_taint(db); /* the record's rows may still be there, unnoted */
}

int idx_db_catalogue_gen(idx_db *db, int64_t *gen, tm_err *err)
{
    sqlite3_stmt *s = idx_db_stmt(db, IDX_STMT_META_GEN, err);
    if (!s) return err ? err->code : TM_EINTERNAL;
    int rc = sqlite3_step(s);
    int code = TM_OK;
    if (rc == SQLITE_ROW)
        *gen = sqlite3_column_int64(s, 0);
    else
        code = idx_db_fail(db, rc == SQLITE_DONE ? SQLITE_CORRUPT : rc, err);
    idx_db_stmt_done(s);
    return code;
}

int idx_db_update_one(idx_db *db, idx_stmt which, int64_t id, int64_t now, const char *what,
                      tm_err *err)
{
    sqlite3_stmt *s = idx_db_stmt(db, which, err);
    if (!s) return err ? err->code : TM_EINTERNAL;
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_int64(s, 2, now);
    int rc = sqlite3_step(s);
    int code = rc == SQLITE_DONE ? TM_OK : idx_db_fail(db, rc, err);
    if (code == TM_OK && sqlite3_changes(db->h) != 1)
        code = tm_err_set(err, TM_ENOTFOUND, NULL, "no such %s", what);
    idx_db_stmt_done(s);
    return code;
}

void idx_db_busy_wait(idx_db *db, int ms)
{
    sqlite3_busy_timeout(db->h, ms);
}

/* Runs a journal_mode pragma; *mode is the mode it answers (the old one
 * when it could not change it). */
static int journal_mode(idx_db *db, const char *sql, char *mode, size_t cap, tm_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(db->h, sql, -1, &s, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        idx_db_col_text(s, 0, mode, cap);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(s);
    return rc == SQLITE_OK ? TM_OK : idx_db_fail(db, rc, err);
}

int idx_db_solo_begin(idx_db *db, bool *solo, tm_err *err)
{
    char mode[16] = "";
    *solo = false;
    idx_db_busy_wait(db, 0); /* another connection: stay in WAL, at once */
    int code = journal_mode(db, "PRAGMA journal_mode = DELETE", mode, sizeof mode, err);
    idx_db_busy_wait(db, IDX_DB_BUSY_MS);
    if (code == TM_EBUSY && (sqlite3_errcode(db->h) & 0xff) == SQLITE_BUSY) {
        if (err) memset(err, 0, sizeof *err); /* not an error: the load shares the database */
        return TM_OK;
    }
    if (code == TM_OK) *solo = strcmp(mode, "delete") == 0;
    if (*solo && !db->wb) db->wb = idx_wb_start(db->h);
    return code;
}

void idx_db_writeback(idx_db *db)
{
    idx_wb_kick(db->wb);
}

int idx_db_solo_end(idx_db *db, tm_err *err)
{
    char mode[16] = "";
    idx_wb_stop(db->wb);
    db->wb = NULL;
    int code = journal_mode(db, "PRAGMA journal_mode = WAL", mode, sizeof mode, err);
    if (code == TM_OK && strcmp(mode, "wal") != 0)
        code = tm_err_set(err, TM_EBUSY, NULL, "the database is busy; try again");
    return code;
}

int idx_db_join_write(idx_db *db, bool *own, tm_err *err)
{
    *own = sqlite3_get_autocommit(db->h) != 0;
    return *own ? idx_db_begin_write(db, err) : TM_OK;
}

int idx_db_join_end(idx_db *db, bool own, int code, tm_err *err)
{
    if (!own) return code;
    if (code == TM_OK) return idx_db_commit(db, err);
    idx_db_rollback(db);
    return code;
}

void idx_db_col_text(sqlite3_stmt *s, int col, char *out, size_t cap)
{
    const unsigned char *t = sqlite3_column_text(s, col);
    (void)snprintf(out, cap, "%s", t ? (const char *)t : "");
}
