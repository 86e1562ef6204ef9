/* idx_bulk: the full-text index of an import's new technologies, built on
 * a thread of its own while the import writes its rows, and merged into the
 * store's index before the commit.
 *
 * FTS5 indexes on the connection that writes, and that was half of an
 * import's time on the writer's thread. In bulk mode, rows added from the
 * mark (the first id an import adds: max(id) + 1) are left out of FTS5 by
 * its triggers (migration 2, meta.fts_deferred) and sent instead to a
 * private, temporary database on a second connection, which a thread fills
 * with FTS5 segments of the same table. idx_bulk_end copies those segments
 * into the store's technology_fts tables under new segment ids, adds them to
 * the index's structure record as its newest segments (level 0) and sums
 * the averages record, inside the import's transaction: a rollback undoes
 * it all. When that cannot be done (the private index failed, another write
 * changed a deferred row, or a record is not in the layout this was written
 * for), the rows are indexed by the store's FTS5 from the table instead,
 * so the result is the same either way, only slower.
 *
 * The layouts read and written are FTS5's documented format of
 * fts5_index.c ("structure record", "averages record", segment rowids); the
 * structure is decoded fully and anything unexpected takes the slow path.
 * FTS5 caches the structure per connection, so the merge first makes the
 * store's FTS5 drop its caches (a savepoint rolled back) and writes nothing
 * through FTS5 afterwards.
 *
 * Ownership: idx_bulk_begin attaches the bulk state to db (db->bulk);
 * idx_bulk_end and idx_bulk_abort (also run by idx_db_rollback and
 * idx_db_close) detach and free it. Only the connection's thread calls
 * these. */
#ifndef IDX_BULK_H
#define IDX_BULK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/tm_err.h"
#include "idx_db.h"

/* Columns of technology_fts. */
#define IDX_BULK_NCOL 9

/* Starts bulk mode inside db's write transaction. dry: the transaction
 * will be rolled back, so the rows are only kept out of FTS5 (nothing is
 * built for them). */
int idx_bulk_begin(idx_db *db, bool dry, tm_err *err) TM_MUST_CHECK;

/* Indexes the deferred rows (merging the private index, or in db), ends
 * bulk mode; before the commit. Detaches and frees the state either way.
 * *merged (may be NULL) says whether the private index was merged. */
int idx_bulk_end(idx_db *db, bool *merged, tm_err *err) TM_MUST_CHECK;

/* Ends bulk mode without indexing (a rollback follows). No-op without one. */
void idx_bulk_abort(idx_db *db);

/* For index/ only: idx_tech and idx_db keep the private index in step. */

/* The first deferred id, 0 when db is not in bulk mode. */
int64_t idx_bulk_mark(const idx_db *db);
/* Row id (>= the mark) was written with these column values (v[i] NULL for
 * SQL NULL, n[i] bytes): its entries go in once the record is kept. */
void idx_bulk_row(idx_db *db, int64_t id, const char *const v[IDX_BULK_NCOL],
                  const size_t n[IDX_BULK_NCOL]);
/* Row id (>= the mark) is about to change: its current entries come out. */
int idx_bulk_forget(idx_db *db, int64_t id, tm_err *err) TM_MUST_CHECK;
/* The record savepoint was released (the rows noted are kept) or rolled
 * back (they are not). */
void idx_bulk_keep(idx_db *db);
void idx_bulk_drop(idx_db *db);
/* Deferred rows changed in a way not noted here: index them in db. */
void idx_bulk_taint(idx_db *db);

#endif
