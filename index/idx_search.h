/* idx_search: the one entry point for catalogue search.
 *
 * idx_search() parses the query, then answers from the in-memory engine when
 * its snapshot is current (the fast path) and from FTS5 with bm25 otherwise
 * (a write not yet in the snapshot; or no engine, as in the CLI). Both paths
 * return the same shape and, for the same catalogue, the same matches,
 * total and facets; only scores may differ in the last digits.
 *
 * Threads: the engine is shared; db is the calling thread's connection. */
#ifndef IDX_SEARCH_H
#define IDX_SEARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/tm_err.h"
#include "idx_db.h"
#include "idx_enum.h"
#include "idx_query.h"
#include "idx_tech.h"

#define IDX_PER_PAGE_MAX 100
/* A query of several words that all match fewer technologies than this
 * is answered with the technologies matching any of them (best first, so
 * those with all the words lead), and the result says it was relaxed. */
#define IDX_RELAX_BELOW 10
/* Deepest result a client may page to: page * per_page <= this. */
#define IDX_RESULT_WINDOW 10000

typedef struct idx_search_req {
    const char *q; /* may be NULL or blank: list the catalogue */
    size_t qlen;
    int field;              /* idx_field, -1 any */
    int64_t institution_id; /* 0 any */
    const char *group;      /* NULL any */
    int status;             /* idx_status, -1: every status but withdrawn */
    int trl_min, trl_max;   /* 1-9, 0 when not given (a bound excludes unknown TRL) */
    int licence;            /* idx_licence, -1 any */
    int sort;               /* idx_sort; -1: relevance with a query, else newest */
    int page;               /* from 1 */
    int per_page;           /* 1-IDX_PER_PAGE_MAX */
} idx_search_req;

/* Defaults: no filter, sort -1, page 1, per_page 20. */
void idx_search_req_init(idx_search_req *req);

typedef struct idx_hit {
    int64_t id;
    double score; /* higher is better; 0 when not ranked by relevance */
} idx_hit;

typedef struct idx_name_count {
    char *name; /* group name (owned) */
    uint32_t n;
} idx_name_count;

typedef struct idx_id_count {
    int64_t id; /* institution id */
    uint32_t n;
} idx_id_count;

typedef struct idx_facets {
    uint32_t field[IDX_FIELD__COUNT];
    uint32_t status[IDX_STATUS__COUNT];
    uint32_t trl[10]; /* [0]: unknown */
    uint32_t licence[IDX_LICENCE__COUNT];
    idx_name_count *group; /* by name */
    size_t ngroup;
    idx_id_count *institution; /* by count, then id */
    size_t ninstitution;
} idx_facets;

typedef struct idx_search_res {
    int64_t total;
    idx_hit *hits; /* the requested page, best first */
    size_t nhits;
    idx_facets facets;         /* over every match, not just the page */
    idx_query *query;          /* parsed and tokenized query for snippets; NULL if blank */
    int engine;                /* 1: in-memory engine, 0: FTS5 path (for tests and metrics) */
    struct idx_mem *mem;       /* the snapshot that answered, held until free; or NULL */
    struct idx_engine *holder; /* the engine mem is released to */
    bool relaxed;              /* the words were too strict together: any of them matched */
    int64_t strict_total;      /* matches of all the words, when relaxed */
} idx_search_res;

void idx_search_res_free(idx_search_res *res);

/* The brief record (no patents) of hit i into *t (initialized by the call;
 * idx_tech_clear it): from the snapshot that answered, so it shows what was
 * matched and costs no SQL, else from the store. TM_ENOTFOUND when the
 * technology is gone. */
int idx_search_hit(idx_db *db, const idx_search_res *res, size_t i, idx_tech *t,
                   tm_err *err) TM_MUST_CHECK;

typedef struct idx_engine idx_engine;

/* Searches. engine may be NULL (FTS5 path). On failure res is empty and the
 * code says why: TM_EINVAL (field names the parameter) for a bad query. */
int idx_search(idx_db *db, idx_engine *engine, const idx_search_req *req, idx_search_res *res,
               tm_err *err) TM_MUST_CHECK;

/* The FTS5 path alone (tests compare it with the engine). q is the parsed
 * query (root may be NULL). */
int idx_search_fts(idx_db *db, const idx_query *q, const idx_search_req *req, idx_search_res *res,
                   tm_err *err) TM_MUST_CHECK;

/* Adds one match's attributes to the facet counts (shared by both paths);
 * groups is the institution's group names. */
void idx_facets_add(idx_facets *f, int field, int status, int trl, unsigned licence,
                    int64_t institution_id, const char *const *groups, size_t ngroups);
/* Sorts the institution counts (count desc, id asc). */
void idx_facets_finish(idx_facets *f);
void idx_facets_free(idx_facets *f);

#endif
