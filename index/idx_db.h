/* idx_db: one SQLite connection to the techmart store, with its prepared
 * statements and tokenizer.
 *
 * Opening creates the file if needed, sets WAL, foreign keys,
 * synchronous=FULL and a busy timeout, registers the "techmart" tokenizer
 * and applies the numbered migrations (PRAGMA user_version) inside one
 * transaction. A connection belongs to one thread at a time (each event loop
 * has its own). Statements are prepared on first use and kept until close;
 * callers reset them with idx_db_stmt_done() on every path. */
#ifndef IDX_DB_H
#define IDX_DB_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "../common/tm_err.h"
#include "idx_stmt.h"
#include "idx_tok.h"

typedef struct idx_db {
    sqlite3 *h;
    sqlite3_stmt *stmt[IDX_STMT__COUNT];
    idx_tok *tok;          /* "porter techmart" on this connection */
    struct idx_bulk *bulk; /* an import's bulk mode (idx_bulk.h), or NULL */
    struct idx_wb *wb;     /* writeback while loading alone (idx_wb.h), or NULL */
} idx_db;

/* Opens (creating and migrating) the database at path. On failure returns an
 * error code with *out NULL. Close with idx_db_close(). */
int idx_db_open(const char *path, idx_db **out, tm_err *err) TM_MUST_CHECK;

/* Opens a private, temporary database with the same schema (deleted when
 * closed; pages past a small cache go to a temporary file), without a
 * journal: for work that is thrown away, never rolled back. */
int idx_db_open_scratch(idx_db **out, tm_err *err) TM_MUST_CHECK;
void idx_db_close(idx_db *db);

/* The prepared statement id, ready to bind, or NULL with *err set
 * (TM_EINTERNAL). After use: idx_db_stmt_done(). */
sqlite3_stmt *idx_db_stmt(idx_db *db, idx_stmt id, tm_err *err);
/* Resets s and clears its bindings; NULL is a no-op. */
void idx_db_stmt_done(sqlite3_stmt *s);

/* BEGIN IMMEDIATE (busy -> TM_EBUSY), COMMIT, ROLLBACK. A write transaction
 * is short and never spans network I/O. Rollback never fails visibly. */
int idx_db_begin_write(idx_db *db, tm_err *err) TM_MUST_CHECK;
int idx_db_begin_read(idx_db *db, tm_err *err) TM_MUST_CHECK;
/* A change that joins the caller's write transaction when one is open, else
 * opens its own (*own): idx_db_join_write() before, idx_db_join_end() after
 * with the change's code, which commits or rolls back only its own. */
int idx_db_join_write(idx_db *db, bool *own, tm_err *err) TM_MUST_CHECK;
int idx_db_join_end(idx_db *db, bool own, int code, tm_err *err) TM_MUST_CHECK;
/* Column col of s as text (NULL: "") into out, cut to cap. */
void idx_db_col_text(sqlite3_stmt *s, int col, char *out, size_t cap);
int idx_db_commit(idx_db *db, tm_err *err) TM_MUST_CHECK;
void idx_db_rollback(idx_db *db);

/* A savepoint around one row of a bulk write, so a row that fails leaves
 * nothing while the others go on: savepoint, then release or rollback_to. */
int idx_db_savepoint(idx_db *db, tm_err *err) TM_MUST_CHECK;
int idx_db_release(idx_db *db, tm_err *err) TM_MUST_CHECK;
void idx_db_rollback_to(idx_db *db);

/* Runs statement which, an UPDATE of one row, with ?1 = id and ?2 = now;
 * TM_ENOTFOUND ("no such <what>") when no row changed. */
int idx_db_update_one(idx_db *db, idx_stmt which, int64_t id, int64_t now, const char *what,
                      tm_err *err) TM_MUST_CHECK;

/* Maps an SQLite result code to an error: BUSY/LOCKED -> TM_EBUSY, FULL ->
 * TM_EBUSY ("database is full"), CONSTRAINT -> TM_ECONFLICT, else
 * TM_EINTERNAL with the SQLite message (for the log, not for users). */
int idx_db_fail(idx_db *db, int rc, tm_err *err);

/* How long a write waits for another connection's lock: IDX_DB_BUSY_MS
 * normally; 0 for best-effort writes that must not stall an event loop
 * (last-seen stamps), restored after them. */
#define IDX_DB_BUSY_MS 5000
void idx_db_busy_wait(idx_db *db, int ms);

/* The catalogue generation: bumped by triggers on every change to a
 * technology or institution; the in-memory engine compares it. */
int idx_db_catalogue_gen(idx_db *db, int64_t *gen, tm_err *err) TM_MUST_CHECK;

/* A bulk load by a process of its own (techmart import). When no other
 * connection has the database open, idx_db_solo_begin switches it from the
 * write-ahead log to a rollback journal, so each page is written once (the
 * log writes it twice: into the log, then into the database at the
 * checkpoint), and sets *solo; otherwise it leaves it as it is at once (no
 * busy wait) and clears *solo. Meanwhile a connection that opens the
 * database waits for the load's current transaction (a file) to end, up to
 * IDX_DB_BUSY_MS, then fails with TM_EBUSY and a message that says why;
 * once open, it has turned the log back on, which the load's next
 * transaction follows. idx_db_solo_end turns the log back on; if it
 * cannot (busy), the next connection to open the database does. Both are
 * called outside a transaction. */
int idx_db_solo_begin(idx_db *db, bool *solo, tm_err *err) TM_MUST_CHECK;
int idx_db_solo_end(idx_db *db, tm_err *err) TM_MUST_CHECK;
/* While loading alone: starts the kernel writing back the pages written so
 * far (idx_wb), so the commit has less to wait for. Otherwise a no-op. */
void idx_db_writeback(idx_db *db);

/* Schema version this binary migrates to. */
int idx_db_schema_version(void);

#endif
