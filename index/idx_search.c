#include "idx_search.h"

#include <stdlib.h>
#include <string.h>

#include "../common/tm_alloc.h"
#include "idx_mem.h"

void idx_search_req_init(idx_search_req *req)
{
    memset(req, 0, sizeof *req);
    req->field = -1;
    req->status = -1;
    req->licence = -1;
    req->sort = -1;
    req->page = 1;
    req->per_page = 20;
}

void idx_facets_free(idx_facets *f)
{
    for (size_t i = 0; i < f->ngroup; i++)
        free(f->group[i].name);
    free(f->group);
    free(f->institution);
    memset(f, 0, sizeof *f);
}

void idx_search_res_free(idx_search_res *res)
{
    if (!res) return;
    free(res->hits);
    if (res->mem) idx_engine_release(res->holder, res->mem);
    idx_facets_free(&res->facets);
    idx_query_free(res->query);
    memset(res, 0, sizeof *res);
}

void idx_facets_add(idx_facets *f, int field, int status, int trl, unsigned licence,
                    int64_t institution_id, const char *const *groups, size_t ngroups)
{
    if (field >= 0 && field < IDX_FIELD__COUNT) f->field[field]++;
    if (status >= 0 && status < IDX_STATUS__COUNT) f->status[status]++;
    f->trl[trl >= 1 && trl <= 9 ? trl : 0]++;
    for (int l = 0; l < IDX_LICENCE__COUNT; l++)
        if (licence & (1u << l)) f->licence[l]++;
    for (size_t g = 0; g < ngroups; g++) {
        size_t i = 0;
        while (i < f->ngroup && strcmp(f->group[i].name, groups[g]) != 0)
            i++;
        if (i == f->ngroup) {
            f->group = tm_xreallocarray(f->group, f->ngroup + 1, sizeof *f->group);
            f->group[f->ngroup++] = (idx_name_count){tm_xstrdup(groups[g]), 0};
        }
        f->group[i].n++;
    }
    /* Kept sorted by id while counting; a few hundred institutions at most
     * are seen, so binary search with a rare insertion is cheap. */
    size_t lo = 0, hi = f->ninstitution;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (f->institution[mid].id < institution_id)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == f->ninstitution || f->institution[lo].id != institution_id) {
        f->institution =
            tm_xreallocarray(f->institution, f->ninstitution + 1, sizeof *f->institution);
        memmove(&f->institution[lo + 1], &f->institution[lo],
                (f->ninstitution - lo) * sizeof *f->institution);
        f->institution[lo] = (idx_id_count){institution_id, 0};
        f->ninstitution++;
    }
    f->institution[lo].n++;
}

static int by_count_then_id(const void *a, const void *b)
{
    const idx_id_count *x = a, *y = b;
    if (x->n != y->n) return x->n < y->n ? 1 : -1;
    return x->id < y->id ? -1 : x->id > y->id;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const idx_name_count *)a)->name, ((const idx_name_count *)b)->name);
}

void idx_facets_finish(idx_facets *f)
{
    if (f->ninstitution > 1)
        qsort(f->institution, f->ninstitution, sizeof *f->institution, by_count_then_id);
    if (f->ngroup > 1) qsort(f->group, f->ngroup, sizeof *f->group, by_name);
}

/* Institution id -> group names, for the FTS path's facet counts. */
typedef struct inst_groups {
    int64_t *id; /* sorted, one entry per (institution, group) row */
    char **grp;
    size_t n;
} inst_groups;

static void inst_groups_free(inst_groups *g)
{
    for (size_t i = 0; i < g->n; i++)
        free(g->grp[i]);
    free(g->id);
    free(g->grp);
}

static int inst_groups_load(idx_db *db, inst_groups *g, tm_err *err)
{
    memset(g, 0, sizeof *g);
    sqlite3_stmt *s = idx_db_stmt(db, IDX_STMT_INST_GROUPS, err);
    if (!s) return err->code;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        g->id = tm_xreallocarray(g->id, g->n + 1, sizeof *g->id);
        g->grp = tm_xreallocarray(g->grp, g->n + 1, sizeof *g->grp);
        g->id[g->n] = sqlite3_column_int64(s, 0);
        g->grp[g->n] = tm_xstrdup((const char *)sqlite3_column_text(s, 1));
        g->n++;
    }
    idx_db_stmt_done(s);
    return rc == SQLITE_DONE ? TM_OK : idx_db_fail(db, rc, err);
}

static void inst_groups_of(const inst_groups *g, int64_t id, const char *const **names, size_t *n)
{
    size_t lo = 0, hi = g->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (g->id[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t end = lo;
    while (end < g->n && g->id[end] == id)
        end++;
    *names = (const char *const *)(g->grp + lo);
    *n = end - lo;
}

static unsigned licence_mask_of(const char *s)
{
    unsigned mask = 0;
    while (s && *s) {
        const char *nl = strchr(s, '\n');
        size_t n = nl ? (size_t)(nl - s) : strlen(s);
        for (int l = 0; l < IDX_LICENCE__COUNT; l++)
            if (strlen(idx_licence_name(l)) == n && memcmp(idx_licence_name(l), s, n) == 0)
                mask |= 1u << l;
        s += n + (nl ? 1 : 0);
    }
    return mask;
}

static void bind_filters(sqlite3_stmt *s, const tm_buf *expr, const idx_search_req *req)
{
    if (expr) sqlite3_bind_text(s, 1, expr->p, (int)expr->len, SQLITE_STATIC);
    if (req->field >= 0) sqlite3_bind_text(s, 2, idx_field_name(req->field), -1, SQLITE_STATIC);
    if (req->institution_id) sqlite3_bind_int64(s, 3, req->institution_id);
    if (req->group) sqlite3_bind_text(s, 4, req->group, -1, SQLITE_STATIC);
    if (req->status >= 0) sqlite3_bind_text(s, 5, idx_status_name(req->status), -1, SQLITE_STATIC);
    if (req->trl_min) sqlite3_bind_int(s, 6, req->trl_min);
    if (req->trl_max) sqlite3_bind_int(s, 7, req->trl_max);
    if (req->licence >= 0)
        sqlite3_bind_text(s, 8, idx_licence_name(req->licence), -1, SQLITE_STATIC);
}

int idx_search_fts(idx_db *db, const idx_query *q, const idx_search_req *req, idx_search_res *res,
                   tm_err *err)
{
    bool match = q && q->root;
    int sort = req->sort;
    tm_buf expr = {0};
    inst_groups groups = {0};
    sqlite3_stmt *s = NULL;
    int rc, code;
    idx_stmt page_stmt, facet_stmt;
    bool own_tx = false;

    if (sort < 0 || (sort == IDX_SORT_RELEVANCE && !match))
        sort = match ? IDX_SORT_RELEVANCE : IDX_SORT_NEWEST;
    if (match) {
        idx_query_to_fts(q, &expr);
        page_stmt = sort == IDX_SORT_RELEVANCE ? IDX_STMT_SEARCH_MATCH_RANK
                    : sort == IDX_SORT_TRL     ? IDX_STMT_SEARCH_MATCH_TRL
                                               : IDX_STMT_SEARCH_MATCH_NEWEST;
        facet_stmt = IDX_STMT_SEARCH_MATCH_FACETS;
    } else {
        page_stmt = sort == IDX_SORT_TRL ? IDX_STMT_SEARCH_ALL_TRL : IDX_STMT_SEARCH_ALL_NEWEST;
        facet_stmt = IDX_STMT_SEARCH_ALL_FACETS;
    }
    /* One read transaction: the page and the counts see the same catalogue.
     * Only a transaction begun here is ended here. */
    if ((code = idx_db_begin_read(db, err)) != TM_OK) goto out;
    own_tx = true;
    if (!(s = idx_db_stmt(db, page_stmt, err))) {
        code = err->code;
        goto out;
    }
    bind_filters(s, match ? &expr : NULL, req);
    sqlite3_bind_int(s, 9, req->per_page);
    sqlite3_bind_int64(s, 10, (int64_t)(req->page - 1) * req->per_page);
    res->hits = tm_xcalloc((size_t)req->per_page, sizeof *res->hits);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW && res->nhits < (size_t)req->per_page) {
        res->hits[res->nhits].id = sqlite3_column_int64(s, 0);
        /* FTS5's bm25 is lower-is-better; the API says higher is better. */
        res->hits[res->nhits].score = -sqlite3_column_double(s, 1);
        res->nhits++;
    }
    idx_db_stmt_done(s);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        code = idx_db_fail(db, rc, err);
        goto out;
    }
    if ((code = inst_groups_load(db, &groups, err)) != TM_OK) goto out;
    if (!(s = idx_db_stmt(db, facet_stmt, err))) {
        code = err->code;
        goto out;
    }
    bind_filters(s, match ? &expr : NULL, req);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const char *const *names;
        size_t nnames;
        int64_t inst = sqlite3_column_int64(s, 4);
        inst_groups_of(&groups, inst, &names, &nnames);
        idx_facets_add(
            &res->facets, idx_field_parse((const char *)sqlite3_column_text(s, 0)),
            idx_status_parse((const char *)sqlite3_column_text(s, 1)), sqlite3_column_int(s, 2),
            licence_mask_of((const char *)sqlite3_column_text(s, 3)), inst, names, nnames);
        res->total++;
    }
    idx_db_stmt_done(s);
    if (rc != SQLITE_DONE) code = idx_db_fail(db, rc, err);
    idx_facets_finish(&res->facets);
out:
    if (own_tx) idx_db_rollback(db);
    inst_groups_free(&groups);
    tm_buf_free(&expr);
    return code;
}

static int check_req(const idx_search_req *req, tm_err *err)
{
    if (req->page < 1) return tm_err_set(err, TM_EINVAL, "page", "must be an integer from 1");
    if (req->per_page < 1 || req->per_page > IDX_PER_PAGE_MAX)
        return tm_err_set(err, TM_EINVAL, "per_page", "must be an integer from 1 to %d",
                          IDX_PER_PAGE_MAX);
    if ((int64_t)req->page * req->per_page > IDX_RESULT_WINDOW)
        return tm_err_set(err, TM_EINVAL, "page",
                          "results beyond the first %d cannot be paged to; narrow the search",
                          IDX_RESULT_WINDOW);
    if (req->trl_min && (req->trl_min < 1 || req->trl_min > 9))
        return tm_err_set(err, TM_EINVAL, "trl_min", "must be an integer from 1 to 9");
    if (req->trl_max && (req->trl_max < 1 || req->trl_max > 9))
        return tm_err_set(err, TM_EINVAL, "trl_max", "must be an integer from 1 to 9");
    return TM_OK;
}

/* Answers req (sort resolved) for q from the engine when it is current,
 * else from FTS5. */
static int search_once(idx_db *db, idx_engine *engine, const idx_query *q, const idx_search_req *r,
                       idx_search_res *res, tm_err *err)
{
    idx_mem *m = NULL;
    int code;
    if (engine) {
        int64_t gen = 0;
        if ((code = idx_db_catalogue_gen(db, &gen, err)) != TM_OK) return code;
        m = idx_engine_acquire(engine, gen);
    }
    if (m) {
        code = idx_mem_search(m, q, r, res, err);
        /* Held until the result is freed: its hits are read from it. */
        res->mem = m;
        res->holder = engine;
        res->engine = 1;
        return code;
    }
    return idx_search_fts(db, q, r, res, err);
}

/* The strict answer res found fewer than IDX_RELAX_BELOW technologies:
 * when q has several words, answer with those matching any of them. By
 * relevance, the technologies with all the words come first (bm25 alone
 * may put a document that repeats one rare word above one with all of
 * them), then the others by rank. */
static int relax(idx_db *db, idx_engine *engine, idx_query *q, const idx_search_req *r,
                 idx_search_res *res, tm_err *err)
{
    idx_search_res all = {0}, loose = {0};
    idx_search_req w = *r;
    int64_t strict_total = res->total;
    const idx_search_res *strict = res;
    int code = TM_OK;

    if (!q || !q->root || q->root->kind != IDX_Q_AND) return TM_OK;
    bool tiers = r->sort == IDX_SORT_RELEVANCE && strict_total > 0;
    if (tiers && (size_t)strict_total > res->nhits) {
        /* The page asked for did not hold every strict match: fetch them. */
        w.page = 1;
        w.per_page = IDX_RELAX_BELOW;
        if ((code = search_once(db, engine, q, &w, &all, err)) != TM_OK) goto out;
        strict = &all;
    }
    if (!idx_query_relax(q)) goto out;
    w = *r;
    if (tiers) {
        /* Enough of the ranked OR to fill the page after the strict ones. */
        w.page = 1;
        w.per_page = r->page * r->per_page + (int)strict_total;
    }
    if ((code = search_once(db, engine, q, &w, &loose, err)) != TM_OK) goto out;
    if (loose.total <= strict_total) goto out; /* nothing gained */
    if (tiers) {
        size_t nall = 0, want = (size_t)r->page * (size_t)r->per_page;
        idx_hit *merged = tm_xcalloc(strict->nhits + loose.nhits, sizeof *merged);
        for (size_t i = 0; i < strict->nhits; i++)
            merged[nall++] = strict->hits[i];
        for (size_t i = 0; i < loose.nhits && nall < want; i++) {
            bool dup = false;
            for (size_t k = 0; k < strict->nhits && !dup; k++)
                dup = strict->hits[k].id == loose.hits[i].id;
            if (!dup) merged[nall++] = loose.hits[i];
        }
        size_t from = (size_t)(r->page - 1) * (size_t)r->per_page;
        size_t n = nall > from ? nall - from : 0;
        if (n > (size_t)r->per_page) n = (size_t)r->per_page;
        if (n) memmove(merged, merged + from, n * sizeof *merged);
        free(loose.hits);
        loose.hits = merged;
        loose.nhits = n;
    }
    loose.relaxed = true;
    loose.strict_total = strict_total;
    idx_search_res_free(res);
    *res = loose;
    memset(&loose, 0, sizeof loose);
out:
    idx_search_res_free(&all);
    idx_search_res_free(&loose);
    return code;
}

int idx_search(idx_db *db, idx_engine *engine, const idx_search_req *req, idx_search_res *res,
               tm_err *err)
{
    idx_search_req r = *req;
    idx_query *q = NULL;
    int code;

    memset(res, 0, sizeof *res);
    if ((code = check_req(req, err)) != TM_OK) return code;
    if (req->q && req->qlen) {
        if ((code = idx_query_parse(req->q, req->qlen, &q, err)) != TM_OK) return code;
        if ((code = idx_query_tokenize(q, db->tok, err)) != TM_OK) {
            idx_query_free(q);
            return code;
        }
    }
    bool match = q && q->root;
    if (r.sort < 0 || (r.sort == IDX_SORT_RELEVANCE && !match))
        r.sort = match ? IDX_SORT_RELEVANCE : IDX_SORT_NEWEST;
    if ((code = search_once(db, engine, q, &r, res, err)) != TM_OK) goto fail;
    if (res->total < IDX_RELAX_BELOW && (code = relax(db, engine, q, &r, res, err)) != TM_OK)
        goto fail;
    res->query = q;
    return TM_OK;
fail:
    idx_query_free(q);
    idx_search_res_free(res);
    return code;
}

static char *str_dup(tm_str s)
{
    return s.p ? tm_xstrndup(s.p, s.len) : NULL;
}

int idx_search_hit(idx_db *db, const idx_search_res *res, size_t i, idx_tech *t, tm_err *err)
{
    idx_mem_doc d;
    if (!res->mem || !idx_mem_doc_get(res->mem, res->hits[i].id, &d))
        return idx_tech_get_brief(db, res->hits[i].id, t, err);
    idx_tech_init(t);
    t->id = d.id;
    t->institution_id = d.institution_id;
    t->external_id = str_dup(d.external_id);
    t->title = str_dup(d.title);
    t->title_en = str_dup(d.title_en);
    t->summary = str_dup(d.summary);
    t->description = str_dup(d.description);
    t->institution = str_dup(d.institution);
    for (const char *p = d.keywords.p, *end = p + d.keywords.len; p && p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        char *k = tm_xstrndup(p, n);
        idx_strv_push(&t->keywords, k);
        free(k);
        p += n + 1;
    }
    t->field = d.field;
    t->status = d.status;
    t->trl = d.trl;
    t->licence = d.licence;
    return TM_OK;
}
