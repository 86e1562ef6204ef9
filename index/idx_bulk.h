/* idx_bulk: the full-text index of an import's new technologies, built on
 * a thread of its own while the import writes its rows, and merged into the
 * store's index before the commit.
 *
 * FTS5 indexes on the connection that writes, and that was half of an
 * import's time on the writer's thread. In bulk mode FTS5's triggers are
 * off (migration 6: meta.fts_deferred is set, to the mark, the first id an
 * import adds: max(id) + 1), and idx_tech tells idx_bulk each row it adds
 * and each row it changes (the old values out, the new ones in). A thread
 * writes those entries into the same FTS5 table of a private, temporary
 * database on a second connection; an update's old values become FTS5's
 * delete entries there. idx_bulk_end copies the private index's segments
 * into the store's technology_fts tables under new segment ids, appends
 * them to the end of level 0 (newest, so its delete entries cancel the old
 * ones, and where FTS5's merges find them; the import merges level 0 itself
 * when it holds 8 segments) and takes over its totals (averages record),
 * which started from the store's, inside the import's transaction: a
 * rollback undoes it all. When that cannot be done (the private index
 * failed, a row changed behind idx_bulk's back, or a record is not in the
 * layout this was written for), the store's FTS5 indexes the rows from the
 * table instead: the rows from the mark when only those were written, else
 * a rebuild of the whole index. Same result, slower.
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
 * *merged (may be NULL) is the number of segments merged from the private
 * index, -1 when it was not merged (the slow path ran). */
int idx_bulk_end(idx_db *db, int *merged, tm_err *err) TM_MUST_CHECK;

/* Ends bulk mode without indexing (a rollback follows). No-op without one. */
void idx_bulk_abort(idx_db *db);

/* Tests only: the private index writes a segment each time its pending
 * terms pass bytes (0: the default, 16 MiB), so that a small import makes
 * many segments. */
void idx_bulk_test_hashsize(int bytes);

/* For index/ only: idx_tech and idx_db keep the private index in step. */

/* Whether db is in bulk mode: FTS5's triggers are off and every change to
 * a technology's indexed columns must be told here. */
bool idx_bulk_on(const idx_db *db);
/* Row id was written with these column values (v[i] NULL for SQL NULL, n[i]
 * bytes): its entries go in once the record is kept. */
void idx_bulk_row(idx_db *db, int64_t id, const char *const v[IDX_BULK_NCOL],
                  const size_t n[IDX_BULK_NCOL]);
/* Row id is about to change: its current entries come out. */
int idx_bulk_forget(idx_db *db, int64_t id, tm_err *err) TM_MUST_CHECK;
/* The record savepoint was released (the rows noted are kept) or rolled
 * back (they are not). */
void idx_bulk_keep(idx_db *db);
void idx_bulk_drop(idx_db *db);
/* Rows changed without being told here (a rollback that failed): the
 * index is rebuilt at the end. */
void idx_bulk_taint(idx_db *db);
/* Institution inst_id's English name is about to be set to name_en (NULL:
 * none); a trigger writes it into its technologies' inst_names. A new name
 * changes their entries without telling idx_bulk: the index is then rebuilt
 * at the end (rare: an unchanged name, the usual re-import, costs nothing). */
int idx_bulk_inst_update(idx_db *db, int64_t inst_id, const char *name_en,
                         tm_err *err) TM_MUST_CHECK;

#endif
