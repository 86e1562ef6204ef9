/* idx_fts5: technology_fts's deferred rows in an import's bulk mode, and
 * the copy of another database's technology_fts segments into this one's
 * (idx_bulk.h says why and when). All inside db's write transaction. */
#ifndef IDX_FTS5_H
#define IDX_FTS5_H

#include <stdbool.h>
#include <stdint.h>

#include "../common/tm_buf.h"
#include "../common/tm_err.h"
#include "idx_db.h"

/* Sets FTS5 option name (hashsize, automerge, ...) of db's technology_fts. */
int idx_fts5_config(idx_db *db, const char *name, int value, tm_err *err) TM_MUST_CHECK;

/* Starts deferring: rows from max(id) + 1 (*mark) stay out of FTS5. */
int idx_fts5_defer(idx_db *db, int64_t *mark, tm_err *err) TM_MUST_CHECK;

/* Indexes every deferred row in db's FTS5 in one statement (*n rows). */
int idx_fts5_index_deferred(idx_db *db, int64_t *n, tm_err *err) TM_MUST_CHECK;

/* Rebuilds db's whole FTS5 index from the table. */
int idx_fts5_rebuild(idx_db *db, tm_err *err) TM_MUST_CHECK;

/* Stops deferring; bumps the catalogue generation when n > 0 (entries were
 * written; an update bumps it by itself too). */
int idx_fts5_end_deferred(idx_db *db, int64_t n, tm_err *err) TM_MUST_CHECK;

/* Gives to's technology_fts the totals (averages record) of from's; *copy
 * keeps them for idx_fts5_merge. Before to's FTS5 is first written. */
int idx_fts5_copy_totals(idx_db *from, idx_db *to, tm_buf *copy, tm_err *err) TM_MUST_CHECK;

/* Adds the segments and document sizes of src's technology_fts (complete:
 * committed, never merged) to db's as db's newest, and gives db src's
 * totals, which started from db's (totals, from idx_fts5_copy_totals).
 * *merged is the number of segments added; it is -1, with nothing written,
 * when a record is not in the expected layout, src merged, db's totals
 * moved since, or the segments would not fit. An error is returned only
 * for a failure of SQLite itself. */
int idx_fts5_merge(idx_db *db, idx_db *src, const tm_buf *totals, int *merged,
                   tm_err *err) TM_MUST_CHECK;

#endif
