/* idx_mem_eval: evaluation of a query tree over a snapshot, for
 * idx_mem_search (idx_mem.c).
 *
 * Set-at-a-time. Every TERM becomes a phrase list (idx_mem_phrase.c): the
 * documents where the phrase occurs (in its columns), each with its bm25
 * weighted frequency, over the whole catalogue, because FTS5 takes a
 * phrase's IDF from that count whatever the filters. AND intersects, OR
 * merges, NOT subtracts. */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "../common/tm_alloc.h"
#include "idx_mem.h"
#include "idx_mem_int.h"

/* ---- Per-search scratch memory ----------------------------------------- */

void *idx_mem_sc_alloc(idx_mem_scratch *sc, size_t bytes)
{
    if (sc->n == sc->cap) {
        sc->cap = sc->cap ? sc->cap * 2 : 16;
        sc->blk = tm_xreallocarray(sc->blk, sc->cap, sizeof *sc->blk);
    }
    void *p = tm_xmalloc(bytes ? bytes : 1);
    sc->blk[sc->n++] = p;
    return p;
}

void *idx_mem_sc_calloc(idx_mem_scratch *sc, size_t count, size_t size)
{
    void *p = idx_mem_sc_alloc(sc, count * size);
    memset(p, 0, count * size);
    return p;
}

void idx_mem_sc_free(idx_mem_scratch *sc)
{
    for (size_t i = 0; i < sc->n; i++)
        free(sc->blk[i]);
    free(sc->blk);
    memset(sc, 0, sizeof *sc);
}

/* ---- Boolean combination ------------------------------------------------ */

static void list_union(idx_mem_eval *q, const idx_mem_list *a, const idx_mem_list *b,
                       idx_mem_list *out)
{
    uint32_t *doc = idx_mem_sc_alloc(&q->sc, (a->n + b->n) * sizeof *doc);
    size_t i = 0, j = 0, k = 0;
    while (i < a->n && j < b->n) {
        uint32_t x = a->doc[i], y = b->doc[j];
        doc[k++] = x < y ? x : y;
        i += x <= y;
        j += y <= x;
    }
    while (i < a->n)
        doc[k++] = a->doc[i++];
    while (j < b->n)
        doc[k++] = b->doc[j++];
    *out = (idx_mem_list){doc, NULL, NULL, k};
}

static void node_eval(idx_mem_eval *q, const idx_qnode *nd, bool neg, idx_mem_list *out);

/* AND: the intersection of the positive kids, less every NOT kid. */
static void and_eval(idx_mem_eval *q, const idx_qnode *nd, bool neg, idx_mem_list *out)
{
    size_t np = 0, nn = 0;
    idx_mem_list *pos = idx_mem_sc_alloc(&q->sc, nd->nkids * sizeof *pos);
    idx_mem_list *negl = idx_mem_sc_alloc(&q->sc, nd->nkids * sizeof *negl);
    /* At the root, each TERM kid's phrase records where every match is in
     * its list, so scoring needs no search. */
    size_t *phj = idx_mem_sc_alloc(&q->sc, nd->nkids * sizeof *phj);
    bool root = nd == q->root && !neg;
    *out = (idx_mem_list){0};
    for (size_t i = 0; i < nd->nkids; i++) {
        const idx_qnode *k = nd->kids[i];
        if (k->kind == IDX_Q_NOT) {
            if (k->nkids) node_eval(q, k->kids[0], true, &negl[nn++]);
        } else {
            node_eval(q, k, neg, &pos[np]);
            phj[np++] = root && k->kind == IDX_Q_TERM ? q->nph - 1 : SIZE_MAX;
        }
    }
    if (!np) return;
    size_t drv = 0;
    for (size_t j = 1; j < np; j++)
        if (pos[j].n < pos[drv].n) drv = j;
    size_t *cur = idx_mem_sc_calloc(&q->sc, np + nn, sizeof *cur);
    uint32_t *doc = idx_mem_sc_alloc(&q->sc, pos[drv].n * sizeof *doc);
    uint32_t **ix = idx_mem_sc_calloc(&q->sc, np, sizeof *ix);
    for (size_t j = 0; j < np; j++) {
        if (phj[j] == SIZE_MAX) continue;
        ix[j] = idx_mem_sc_alloc(&q->sc, pos[drv].n * sizeof **ix);
        q->ph[phj[j]].ix = ix[j];
    }
    size_t k = 0;
    if (np == 1) {
        /* One list less the others: walk each excluded list along it,
         * step by step unless it is much longer. */
        const uint32_t *a = pos[0].doc;
        uint32_t *ia = ix[0];
        for (size_t i = 0; i < pos[0].n; i++) {
            uint32_t d = a[i];
            bool ok = true;
            for (size_t j = 0; j < nn && ok; j++) {
                size_t *c = &cur[np + j];
                const uint32_t *b = negl[j].doc;
                if (negl[j].n / 8 > pos[0].n) {
                    *c = idx_mem_gallop(b, *c, negl[j].n, d);
                } else {
                    while (*c < negl[j].n && b[*c] < d)
                        ++*c;
                }
                ok = *c == negl[j].n || b[*c] != d;
            }
            if (!ok) continue;
            if (ia) ia[k] = (uint32_t)i;
            doc[k++] = d;
        }
        *out = (idx_mem_list){doc, NULL, NULL, k};
        return;
    }
    if (np == 2 && nn == 0 && pos[0].n / 8 <= pos[1].n && pos[1].n / 8 <= pos[0].n) {
        /* Two lists of similar length: a branch-free merge. */
        const uint32_t *a = pos[0].doc, *b = pos[1].doc;
        uint32_t *ia = ix[0], *ib = ix[1];
        size_t i = 0, j = 0, na = pos[0].n, nb = pos[1].n;
        while (i < na && j < nb) {
            uint32_t x = a[i], y = b[j];
            doc[k] = x;
            if (ia) ia[k] = (uint32_t)i;
            if (ib) ib[k] = (uint32_t)j;
            k += x == y;
            i += x <= y;
            j += y <= x;
        }
        *out = (idx_mem_list){doc, NULL, NULL, k};
        return;
    }
    for (size_t i = 0; i < pos[drv].n; i++) {
        uint32_t d = pos[drv].doc[i];
        bool ok = true;
        cur[drv] = i;
        for (size_t j = 0; j < np && ok; j++) {
            if (j == drv) continue;
            cur[j] = idx_mem_gallop(pos[j].doc, cur[j], pos[j].n, d);
            if (cur[j] == pos[j].n) goto done;
            ok = pos[j].doc[cur[j]] == d;
        }
        for (size_t j = 0; j < nn && ok; j++) {
            size_t *c = &cur[np + j];
            *c = idx_mem_gallop(negl[j].doc, *c, negl[j].n, d);
            ok = *c == negl[j].n || negl[j].doc[*c] != d;
        }
        if (!ok) continue;
        for (size_t j = 0; j < np; j++)
            if (ix[j]) ix[j][k] = (uint32_t)cur[j];
        doc[k++] = d;
    }
done:
    *out = (idx_mem_list){doc, NULL, NULL, k};
}

/* A TERM the query already holds (same tokens, prefix and columns) has
 * the same list: "방법 방법" evaluates it once, and scores it twice. */
static bool phrase_seen(idx_mem_eval *q, const idx_qnode *t, idx_mem_list *out)
{
    for (size_t i = 0; i < q->nseen; i++) {
        const idx_qnode *o = q->seen[i];
        if (o->ntoks != t->ntoks || o->prefix != t->prefix ||
            (o->colmask & IDX_MEM_CM_ALL) != (t->colmask & IDX_MEM_CM_ALL))
            continue;
        size_t k = 0;
        while (k < t->ntoks && strcmp(o->toks[k], t->toks[k]) == 0)
            k++;
        if (k == t->ntoks) {
            *out = q->seen_l[i];
            return true;
        }
    }
    return false;
}

static void node_eval(idx_mem_eval *q, const idx_qnode *nd, bool neg, idx_mem_list *out)
{
    *out = (idx_mem_list){0};
    switch (nd->kind) {
    case IDX_Q_TERM:
        if (!phrase_seen(q, nd, out)) {
            idx_mem_phrase_eval(q, nd, out);
            q->seen[q->nseen] = nd;
            q->seen_l[q->nseen++] = *out;
        }
        if (!neg) {
            idx_mem_phrase *p = &q->ph[q->nph++];
            p->l = *out;
            p->cur = 0;
            p->ix = NULL;
            /* fts5Bm25GetData, with nRow and nHit as FTS5 has them. */
            int64_t nhit = (int64_t)out->n, nr = (int64_t)q->m->ndocs;
            double idf = log((nr - nhit + 0.5) / (nhit + 0.5));
            if (idf <= 0.0) idf = 1e-6;
            p->idf = idf;
        }
        break;
    case IDX_Q_OR:
        for (size_t i = 0; i < nd->nkids; i++) {
            idx_mem_list k;
            node_eval(q, nd->kids[i], neg, &k);
            if (i == 0)
                *out = k;
            else
                list_union(q, out, &k, out);
        }
        out->wfv = NULL;
        out->wfd = NULL;
        break;
    case IDX_Q_AND:
        and_eval(q, nd, neg, out);
        break;
    case IDX_Q_NOT:
        /* Only ever a kid of AND (idx_query.h); alone it matches nothing. */
        if (nd->nkids) {
            idx_mem_list k;
            node_eval(q, nd->kids[0], true, &k);
        }
        break;
    }
}

static size_t count_terms(const idx_qnode *nd)
{
    size_t n = nd->kind == IDX_Q_TERM;
    for (size_t i = 0; i < nd->nkids; i++)
        n += count_terms(nd->kids[i]);
    return n;
}

void idx_mem_eval_query(idx_mem_eval *q, const idx_qnode *root, idx_mem_list *out)
{
    size_t nterms = count_terms(root);
    q->ph = idx_mem_sc_alloc(&q->sc, nterms * sizeof *q->ph);
    q->seen = idx_mem_sc_alloc(&q->sc, nterms * sizeof *q->seen);
    q->seen_l = idx_mem_sc_alloc(&q->sc, nterms * sizeof *q->seen_l);
    q->root = root;
    node_eval(q, root, false, out);
}

void idx_mem_eval_free(idx_mem_eval *q)
{
    for (size_t i = 0; i < q->npb; i++)
        free(q->pb[i].p);
    free(q->pb);
    free(q->need.p);
    free(q->need_off.p);
    idx_mem_sc_free(&q->sc);
}
