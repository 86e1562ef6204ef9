/* idx_mem: the in-memory search engine, and idx_engine, which keeps a current
 * snapshot of it for all threads.
 *
 * An idx_mem is an immutable snapshot of the catalogue as of one catalogue
 * generation: per-term postings (doc, per-column term frequencies,
 * positions) built with the same tokenizer as FTS5, plus a compact array of
 * every technology's facet attributes, so a search neither joins nor calls
 * into SQLite per match. It ranks with the same weighted bm25 as FTS5
 * (idx_col_weight, k1 1.2, b 0.75) and counts facets in one pass over the
 * matches. Any number of threads may search one snapshot at once.
 *
 * idx_engine owns the current snapshot. idx_engine_acquire(gen) returns it,
 * retained, when it was built at generation gen; otherwise NULL, after
 * starting (at most one) rebuild on a background thread, which swaps the new
 * snapshot in when done. Release what you acquire. */
#ifndef IDX_MEM_H
#define IDX_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/tm_err.h"
#include "../common/tm_str.h"
#include "idx_db.h"
#include "idx_query.h"
#include "idx_search.h"

typedef struct idx_mem idx_mem;

/* Builds a snapshot of db's catalogue (in one read transaction) tagged
 * with its catalogue generation. Free with idx_mem_free(). */
int idx_mem_build(idx_db *db, idx_mem **out, tm_err *err) TM_MUST_CHECK;
void idx_mem_free(idx_mem *m);
int64_t idx_mem_gen(const idx_mem *m);
size_t idx_mem_ndocs(const idx_mem *m);
/* Approximate bytes held. */
size_t idx_mem_bytes(const idx_mem *m);

/* Searches the snapshot: q is tokenized (idx_query_tokenize) or NULL / root
 * NULL for no query. Fills res (hits, total, facets; not res->query). */
int idx_mem_search(const idx_mem *m, const idx_query *q, const idx_search_req *req,
                   idx_search_res *res, tm_err *err) TM_MUST_CHECK;

/* What a search result shows of a technology, borrowed from a snapshot
 * (valid while the snapshot is held). A field's p is NULL when it is NULL
 * in the store; keywords are joined by newlines. */
typedef struct idx_mem_doc {
    int64_t id;
    int64_t institution_id;
    tm_str external_id, title, title_en, summary, description, keywords, institution;
    int field;  /* idx_field, -1 when none */
    int status; /* idx_status, -1 when none */
    int trl;    /* 0 when unknown */
    unsigned licence;
} idx_mem_doc;

/* The stored fields of technology id; false when m does not hold it. */
bool idx_mem_doc_get(const idx_mem *m, int64_t id, idx_mem_doc *out);

/* Opens an engine on the database file at path (its own connection for
 * rebuilds) and builds the first snapshot before returning. */
int idx_engine_open(const char *path, idx_engine **out, tm_err *err) TM_MUST_CHECK;
void idx_engine_free(idx_engine *e);
idx_mem *idx_engine_acquire(idx_engine *e, int64_t gen);
void idx_engine_release(idx_engine *e, idx_mem *m);

#endif
