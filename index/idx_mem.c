/* idx_mem: searching a snapshot: filters, facet counts, bm25 ranking and
 * the page (layout in idx_mem_int.h; building in idx_mem_build.c and
 * idx_mem_gram.c; query evaluation in idx_mem_eval.c).
 *
 * One pass over the matches applies the filters, counts facets with array
 * increments and keeps the top k = page * per_page in a bounded heap.
 *
 * Ranking replicates FTS5's fts5Bm25Function / fts5Bm25GetData exactly:
 *   idf(p)  = log((N - nHit(p) + 0.5) / (nHit(p) + 0.5)), at least 1e-6,
 *             nHit(p) = documents matching phrase p alone, its column
 *             filter included (xQueryPhrase keeps it);
 *   f(p, d) = sum over p's instances in d (the positions where the whole
 *             phrase starts, in its filter's columns) of the column weight;
 *   score   = sum over phrases, in query order, of
 *             idf * (f * (k1 + 1)) / (f + k1 * (1 - b + b * D / avgdl)),
 *             D = tokens of d in every column, avgdl = tokens / N.
 * A phrase under NOT never occurs in a match, so its term is 0 and is
 * skipped; the sum is computed in the same order with the same operations,
 * so scores equal FTS5's to the last bit and ties break the same way. */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "../common/tm_alloc.h"
#include "idx_mem.h"
#include "idx_mem_int.h"

/* ---- Filters and facets ------------------------------------------------- */

typedef struct filt {
    uint8_t field_ok[IDX_FIELD__COUNT + 1];
    uint8_t status_ok[IDX_STATUS__COUNT + 1];
    uint8_t trl_ok[10];
    uint8_t licence_ok[1u << IDX_LICENCE__COUNT];
    uint8_t *inst_ok; /* NULL: any institution */
    bool trivial;     /* only the default "all but withdrawn" */
} filt;

static inline bool filt_pass(const filt *f, const idx_mem_attr *a)
{
    return (f->field_ok[a->field] & f->status_ok[a->status] & f->trl_ok[a->trl] &
            f->licence_ok[a->licence]) &&
           (!f->inst_ok || f->inst_ok[a->inst]);
}

static void filt_init(const idx_mem *m, const idx_search_req *req, idx_mem_scratch *sc, filt *f)
{
    /* As the FTS5 path binds them: a value with no name is no filter. */
    int field = req->field < IDX_FIELD__COUNT ? req->field : -1;
    int status = req->status < IDX_STATUS__COUNT ? req->status : -1;
    int licence = req->licence < IDX_LICENCE__COUNT ? req->licence : -1;
    memset(f, 0, sizeof *f);
    for (int v = 0; v <= IDX_FIELD__COUNT; v++)
        f->field_ok[v] = field < 0 || field == v;
    for (int v = 0; v <= IDX_STATUS__COUNT; v++)
        f->status_ok[v] = status < 0 ? v != IDX_STATUS_WITHDRAWN : status == v;
    for (int v = 0; v < 10; v++)
        f->trl_ok[v] = (!req->trl_min || (v >= 1 && v >= req->trl_min)) &&
                       (!req->trl_max || (v >= 1 && v <= req->trl_max));
    for (unsigned v = 0; v < (1u << IDX_LICENCE__COUNT); v++)
        f->licence_ok[v] = licence < 0 || (v & (1u << licence));
    if (req->institution_id || req->group) {
        f->inst_ok = idx_mem_sc_calloc(sc, m->ninst ? m->ninst : 1, 1);
        size_t g = m->ngroup;
        if (req->group) {
            size_t lo = 0, hi = m->ngroup;
            while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (strcmp(m->group[mid], req->group) < 0)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            if (lo < m->ngroup && strcmp(m->group[lo], req->group) == 0) g = lo;
        }
        for (size_t i = 0; i < m->ninst; i++) {
            bool ok = !req->institution_id || m->inst_id[i] == req->institution_id;
            if (ok && req->group) {
                ok = false;
                for (uint32_t k = m->inst_grp_off[i]; k < m->inst_grp_off[i + 1]; k++)
                    ok = ok || m->inst_grp[k] == g;
            }
            f->inst_ok[i] = ok;
        }
    }
    f->trivial = field < 0 && !req->institution_id && !req->group && status < 0 && !req->trl_min &&
                 !req->trl_max && licence < 0;
}

static inline void count_doc(idx_mem_counts *c, const idx_mem_attr *a)
{
    c->field[a->field]++;
    c->status[a->status]++;
    c->trl[a->trl]++;
    c->licence[a->licence]++;
    c->inst[a->inst]++;
    c->total++;
}

/* The counts as idx_facets: what idx_facets_add over the same matches
 * followed by idx_facets_finish gives. */
static void counts_to_facets(const idx_mem *m, const idx_mem_counts *c, idx_mem_scratch *sc,
                             idx_facets *f)
{
    for (int v = 0; v < IDX_FIELD__COUNT; v++)
        f->field[v] = c->field[v];
    for (int v = 0; v < IDX_STATUS__COUNT; v++)
        f->status[v] = c->status[v];
    for (int v = 0; v < 10; v++)
        f->trl[v] = c->trl[v];
    for (int l = 0; l < IDX_LICENCE__COUNT; l++)
        for (unsigned v = 0; v < (1u << IDX_LICENCE__COUNT); v++)
            if (v & (1u << l)) f->licence[l] += c->licence[v];
    size_t ni = 0;
    for (size_t i = 0; i < m->ninst; i++)
        ni += c->inst[i] > 0;
    uint32_t *gcount = idx_mem_sc_calloc(sc, m->ngroup ? m->ngroup : 1, sizeof *gcount);
    if (ni) {
        f->institution = tm_xcalloc(ni, sizeof *f->institution);
        for (size_t i = 0; i < m->ninst; i++) {
            if (!c->inst[i]) continue;
            f->institution[f->ninstitution++] = (idx_id_count){m->inst_id[i], c->inst[i]};
            for (uint32_t k = m->inst_grp_off[i]; k < m->inst_grp_off[i + 1]; k++)
                gcount[m->inst_grp[k]] += c->inst[i];
        }
    }
    size_t ng = 0;
    for (size_t g = 0; g < m->ngroup; g++)
        ng += gcount[g] > 0;
    if (ng) {
        f->group = tm_xcalloc(ng, sizeof *f->group);
        for (size_t g = 0; g < m->ngroup; g++)
            if (gcount[g])
                f->group[f->ngroup++] = (idx_name_count){tm_xstrdup(m->group[g]), gcount[g]};
    }
    idx_facets_finish(f);
}

/* ---- Top k -------------------------------------------------------------- */

/* A candidate hit; greater (pri, score, tie) is better. */
typedef struct hent {
    double score;
    uint32_t pri; /* TRL sort: trl, 0 unknown */
    uint32_t tie; /* doc number (id DESC), or ndocs - newest rank */
    uint32_t doc;
} hent;

static inline bool better(const hent *a, const hent *b)
{
    if (a->pri != b->pri) return a->pri > b->pri;
    if (a->score != b->score) return a->score > b->score;
    return a->tie > b->tie;
}

typedef struct heap {
    hent *e;
    size_t n, k;
} heap;

/* Keeps the k best pushed so far; e[0] is the worst of them. */
static inline void heap_push(heap *h, const hent *x)
{
    size_t i;
    if (h->n < h->k) {
        i = h->n++;
        while (i > 0) {
            size_t p = (i - 1) / 2;
            if (!better(&h->e[p], x)) break;
            h->e[i] = h->e[p];
            i = p;
        }
        h->e[i] = *x;
        return;
    }
    if (!h->k || !better(x, &h->e[0])) return;
    i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, w = i;
        const hent *we = x;
        if (l < h->n && better(we, &h->e[l])) {
            w = l;
            we = &h->e[l];
        }
        if (r < h->n && better(we, &h->e[r])) w = r;
        if (w == i) break;
        h->e[i] = h->e[w];
        i = w;
    }
    h->e[i] = *x;
}

static int by_better(const void *x, const void *y)
{
    const hent *a = x, *b = y;
    return better(a, b) ? -1 : better(b, a) ? 1 : 0;
}

/* ---- Search ------------------------------------------------------------- */

/* bm25 of match k, doc d, over the positive phrases: through their ix
 * when they have one, else advancing their cursors (d only grows between
 * calls). The terms are added in phrase order, as FTS5 adds them. */
static inline double score_doc(const idx_mem *m, idx_mem_phrase *ph, size_t nph, size_t k,
                               uint32_t d)
{
    const double k1 = IDX_MEM_K1;
    double score = 0.0;
    for (size_t j = 0; j < nph; j++) {
        idx_mem_phrase *p = &ph[j];
        size_t at;
        if (p->ix) {
            at = p->ix[k];
        } else {
            at = p->cur = idx_mem_gallop(p->l.doc, p->cur, p->l.n, d);
            if (at == p->l.n || p->l.doc[at] != d) continue;
        }
        double f = idx_mem_list_wf(&p->l, at);
        score += p->idf * ((f * (k1 + 1.0)) / (f + m->norm[d]));
    }
    return score;
}

/* bm25 of doc d, looking it up in each phrase list (any order of d). */
static double score_lookup(const idx_mem *m, idx_mem_phrase *ph, size_t nph, uint32_t d)
{
    for (size_t j = 0; j < nph; j++) {
        ph[j].cur = 0;
        ph[j].ix = NULL;
    }
    return score_doc(m, ph, nph, 0, d);
}

/* No query: the order lists give the page; counts come from the snapshot
 * when nothing is filtered, else from one pass. */
static void search_all(const idx_mem *m, const filt *f, int sort, heap *h, idx_mem_counts *c)
{
    const uint32_t *order = sort == IDX_SORT_TRL ? m->by_trl : m->newest;
    for (size_t r = 0; r < m->ndocs && h->n < h->k; r++) {
        uint32_t d = order[r];
        if (filt_pass(f, &m->attr[d])) h->e[h->n++] = (hent){0, 0, (uint32_t)(m->ndocs - r), d};
    }
    if (f->trivial) {
        uint32_t *inst = c->inst;
        *c = m->all;
        c->inst = inst;
        memcpy(c->inst, m->all.inst, m->ninst * sizeof *c->inst);
        return;
    }
    for (size_t d = 0; d < m->ndocs; d++)
        if (filt_pass(f, &m->attr[d])) count_doc(c, &m->attr[d]);
}

static void search_match(const idx_mem *m, idx_mem_eval *q, const idx_mem_list *M, bool direct,
                         const filt *f, int sort, heap *h, idx_mem_counts *c)
{
    const double k1 = IDX_MEM_K1;
    for (size_t i = 0; i < M->n; i++) {
        uint32_t d = M->doc[i];
        const idx_mem_attr *a = &m->attr[d];
        if (!filt_pass(f, a)) continue;
        count_doc(c, a);
        hent e = {0, 0, d, d};
        if (sort == IDX_SORT_NEWEST) {
            e.tie = (uint32_t)(m->ndocs - m->newest_rank[d]);
        } else {
            if (sort == IDX_SORT_TRL) {
                e.pri = a->trl;
                if (h->n == h->k && (!h->k || e.pri < h->e[0].pri)) continue;
            }
            if (direct) {
                double wf = idx_mem_list_wf(M, i);
                e.score = 0.0 + q->ph[0].idf * ((wf * (k1 + 1.0)) / (wf + m->norm[d]));
            } else {
                e.score = score_doc(m, q->ph, q->nph, i, d);
            }
        }
        heap_push(h, &e);
    }
}

int idx_mem_search(const idx_mem *m, const idx_query *q, const idx_search_req *req,
                   idx_search_res *res, tm_err *err)
{
    idx_mem_eval qc = {0};
    filt f;
    heap h = {0};
    idx_mem_counts c = {0};
    bool match = q && q->root;
    int sort = req->sort;

    (void)err;
    qc.m = m;
    res->hits = NULL;
    res->nhits = 0;
    res->total = 0;
    memset(&res->facets, 0, sizeof res->facets);
    /* Resolved as idx_search_fts does: -1 (or relevance without a query)
     * is relevance with a query, else newest; anything unknown is newest. */
    if (sort < 0 || (sort == IDX_SORT_RELEVANCE && !match))
        sort = match ? IDX_SORT_RELEVANCE : IDX_SORT_NEWEST;
    else if (sort != IDX_SORT_RELEVANCE && sort != IDX_SORT_TRL)
        sort = IDX_SORT_NEWEST;
    size_t per_page = req->per_page > 0 ? (size_t)req->per_page : 0;
    size_t page = req->page > 0 ? (size_t)req->page : 1;
    size_t k = page * per_page;
    if (k > IDX_RESULT_WINDOW || per_page > IDX_RESULT_WINDOW) k = IDX_RESULT_WINDOW;
    size_t off = (page - 1) * per_page;

    filt_init(m, req, &qc.sc, &f);
    c.inst = idx_mem_sc_calloc(&qc.sc, m->ninst ? m->ninst : 1, sizeof *c.inst);
    h.k = k < m->ndocs ? k : m->ndocs;
    h.e = idx_mem_sc_alloc(&qc.sc, (h.k ? h.k : 1) * sizeof *h.e);

    if (!match) {
        search_all(m, &f, sort, &h, &c);
    } else {
        idx_mem_list M;
        idx_mem_eval_query(&qc, q->root, &M);
        bool direct = q->root->kind == IDX_Q_TERM && qc.nph == 1;
        if (direct) M = qc.ph[0].l;
        search_match(m, &qc, &M, direct, &f, sort, &h, &c);
        qsort(h.e, h.n, sizeof *h.e, by_better);
    }

    if (off < h.n) {
        size_t n = h.n - off < per_page ? h.n - off : per_page;
        res->hits = tm_xcalloc(n, sizeof *res->hits);
        for (size_t i = 0; i < n; i++) {
            const hent *e = &h.e[off + i];
            double score = e->score;
            if (match && sort == IDX_SORT_NEWEST) score = score_lookup(m, qc.ph, qc.nph, e->doc);
            res->hits[i] = (idx_hit){m->doc_id[e->doc], score};
        }
        res->nhits = n;
    }
    res->total = c.total;
    counts_to_facets(m, &c, &qc.sc, &res->facets);

    idx_mem_eval_free(&qc);
    return TM_OK;
}

bool idx_mem_doc_get(const idx_mem *m, int64_t id, idx_mem_doc *out)
{
    size_t lo = 0, hi = m->ndocs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->doc_id[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == m->ndocs || m->doc_id[lo] != id) return false;
    size_t d = lo;
    tm_str f[IDX_MEM_NSTORE];
    for (size_t k = 0; k < IDX_MEM_NSTORE; k++) {
        uint64_t a = m->store_off[d * IDX_MEM_NSTORE + k],
                 b = m->store_off[d * IDX_MEM_NSTORE + k + 1];
        f[k] = (m->store_null[d] >> k) & 1 ? (tm_str){NULL, 0}
                                           : (tm_str){(const char *)m->store + a, (size_t)(b - a)};
        if (!f[k].p && !(m->store_null[d] >> k & 1)) f[k].p = ""; /* an empty store: not NULL */
    }
    const idx_mem_attr *a = &m->attr[d];
    *out = (idx_mem_doc){
        .id = id,
        .institution_id = m->inst_id[a->inst],
        .external_id = f[IDX_MEM_S_EXTERNAL_ID],
        .title = f[IDX_MEM_S_TITLE],
        .title_en = f[IDX_MEM_S_TITLE_EN],
        .summary = f[IDX_MEM_S_SUMMARY],
        .description = f[IDX_MEM_S_DESCRIPTION],
        .keywords = f[IDX_MEM_S_KEYWORDS],
        .institution = f[IDX_MEM_S_INSTITUTION],
        .field = a->field == IDX_MEM_FIELD_NONE ? -1 : a->field,
        .status = a->status == IDX_MEM_STATUS_NONE ? -1 : a->status,
        .trl = a->trl,
        .licence = a->licence,
    };
    return true;
}
