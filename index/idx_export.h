/* idx_export: the ids of the technologies a search's filters match, in id
 * order, a page at a time: what exports iterate over.
 *
 * The filters are those of idx_search_req (q, field, institution_id,
 * group, status, trl_min, trl_max, licence; sort and paging are ignored):
 * q matches as in search but strictly (every word; no relaxing), and
 * status -1 means every status but withdrawn (as search), or
 * IDX_EXPORT_ALL_STATUSES for every status, withdrawn included.
 *
 * Paging is by id (id > the last one returned), so each page is one short
 * indexed query whatever the catalogue's size, and a technology changed
 * between pages is listed at most once. idx_export_next begins no
 * transaction: a caller wanting one snapshot across pages holds a read
 * transaction around them.
 *
 * Ownership: idx_export_open gives an iterator that borrows db (the
 * calling thread's connection) and copies what it needs of req; free it
 * with idx_export_free. */
#ifndef IDX_EXPORT_H
#define IDX_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include "../common/tm_err.h"
#include "idx_db.h"
#include "idx_search.h"

#define IDX_EXPORT_ALL_STATUSES (-2)
#define IDX_EXPORT_PAGE 500 /* ids per page the callers use */

typedef struct idx_export idx_export;

/* Parses and tokenizes req->q. TM_EINVAL (field "q", or the filter at
 * fault: trl_min, trl_max) for a bad request; *out is then NULL. */
int idx_export_open(idx_db *db, const idx_search_req *req, idx_export **out,
                    tm_err *err) TM_MUST_CHECK;

/* The next ids (at most cap, ascending) into ids[0..*n); *n is 0 at the
 * end. */
int idx_export_next(idx_export *x, int64_t *ids, size_t cap, size_t *n, tm_err *err) TM_MUST_CHECK;

void idx_export_free(idx_export *x);

#endif
