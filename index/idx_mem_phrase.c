/* idx_mem_phrase: the documents where one query term (a phrase of its
 * tokens, restricted to its columns) occurs, each with its bm25 weighted
 * frequency, for idx_mem_eval.c.
 *
 * A one-token phrase is a view of the term's postings; a phrase of two (or
 * three common) frequent terms a view of its common gram (idx_mem_gram.c);
 * other phrases intersect their tokens' postings and the grams of their
 * frequent pairs (galloping from the rarest) and read positions only for
 * documents holding every token in a common column; a prefix token is the
 * union of every term it starts. */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "../common/tm_alloc.h"
#include "idx_mem.h"
#include "idx_mem_int.h"

static uint32_t *u32buf_need(idx_mem_u32buf *b, size_t n)
{
    if (n > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < n)
            cap *= 2;
        b->p = tm_xreallocarray(b->p, cap, sizeof *b->p);
        b->cap = cap;
    }
    return b->p;
}

/* ---- Lists -------------------------------------------------------------- */

static idx_mem_u32buf *pos_bufs(idx_mem_eval *q, size_t n)
{
    if (n > q->npb) {
        q->pb = tm_xreallocarray(q->pb, n, sizeof *q->pb);
        memset(q->pb + q->npb, 0, (n - q->npb) * sizeof *q->pb);
        q->npb = n;
    }
    return q->pb;
}

/* ---- Postings ----------------------------------------------------------- */

static inline const uint8_t *block_of(const idx_mem *m, uint32_t t, uint64_t i)
{
    return m->pos + m->term_pos[t] + m->post_off[i];
}

static inline uint32_t varint_fast(const uint8_t **p)
{
    if (**p < 0x80) return *(*p)++;
    return idx_mem_varint(p);
}

/* sum(weight[c] * tf[c]) over the columns of mask, for posting i of t. */
static double posting_wf(const idx_mem *m, uint32_t t, uint64_t i, unsigned mask)
{
    unsigned cm = m->post_wfcm[i] & IDX_MEM_CM_ALL;
    const uint8_t *p = block_of(m, t, i);
    double wf = 0;
    for (unsigned bits = cm; bits; bits &= bits - 1) {
        int c = __builtin_ctz(bits);
        uint32_t tf = varint_fast(&p);
        if (mask & (1u << c)) wf += (double)m->weight[c] * tf;
    }
    return wf;
}

/* The positions of posting i of t in column c (in its mask), ascending,
 * into buf; returns how many. */
static size_t posting_col(const idx_mem *m, uint32_t t, uint64_t i, int c, idx_mem_u32buf *buf)
{
    unsigned cm = m->post_wfcm[i] & IDX_MEM_CM_ALL;
    const uint8_t *p = block_of(m, t, i);
    uint32_t skip = 0, tf = 0;
    for (int k = 0; k < IDX_COL__COUNT; k++) {
        if (!(cm & (1u << k))) continue;
        uint32_t v = idx_mem_varint(&p);
        if (k < c)
            skip += v;
        else if (k == c)
            tf = v;
    }
    while (skip)
        if (!(*p++ & 0x80)) skip--;
    uint32_t *out = u32buf_need(buf, tf);
    uint32_t prev = 0;
    for (uint32_t k = 0; k < tf; k++) {
        prev += idx_mem_varint(&p);
        out[k] = prev;
    }
    return tf;
}

/* The range [*lo, *hi) of m->sorted holding the terms that start with s. */
static void prefix_range(const idx_mem *m, const char *s, size_t n, size_t *lo, size_t *hi)
{
    size_t a = 0, b = m->nterms;
    while (a < b) {
        size_t mid = a + (b - a) / 2;
        uint32_t t = m->sorted[mid];
        size_t tn = m->text_off[t + 1] - m->text_off[t];
        int r = memcmp(m->text + m->text_off[t], s, tn < n ? tn : n);
        if (r < 0 || (r == 0 && tn < n))
            a = mid + 1;
        else
            b = mid;
    }
    *lo = a;
    while (a < m->nterms) {
        uint32_t t = m->sorted[a];
        size_t tn = m->text_off[t + 1] - m->text_off[t];
        if (tn < n || memcmp(m->text + m->text_off[t], s, n) != 0) break;
        a++;
    }
    *hi = a;
}

/* ---- Sorting (doc, wf) pairs -------------------------------------------- */

/* Sorts doc[0..n) ascending, carrying wf, by LSD radix (11 bits a pass). */
static void sort_pairs(idx_mem_eval *q, uint32_t *doc, double *wf, size_t n)
{
    if (n < 64) {
        for (size_t i = 1; i < n; i++) {
            uint32_t d = doc[i];
            double w = wf[i];
            size_t j = i;
            while (j > 0 && doc[j - 1] > d) {
                doc[j] = doc[j - 1];
                wf[j] = wf[j - 1];
                j--;
            }
            doc[j] = d;
            wf[j] = w;
        }
        return;
    }
    uint32_t *tdoc = idx_mem_sc_alloc(&q->sc, n * sizeof *tdoc);
    double *twf = idx_mem_sc_alloc(&q->sc, n * sizeof *twf);
    uint32_t *sd = doc, *dd = tdoc;
    double *sw = wf, *dw = twf;
    size_t *count = idx_mem_sc_alloc(&q->sc, 2048 * sizeof *count);
    for (unsigned shift = 0; shift < 33; shift += 11) {
        memset(count, 0, 2048 * sizeof *count);
        for (size_t i = 0; i < n; i++)
            count[(sd[i] >> shift) & 2047]++;
        size_t sum = 0;
        for (size_t k = 0; k < 2048; k++) {
            size_t c = count[k];
            count[k] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++) {
            size_t at = count[(sd[i] >> shift) & 2047]++;
            dd[at] = sd[i];
            dw[at] = sw[i];
        }
        uint32_t *td = sd;
        sd = dd;
        dd = td;
        double *tw = sw;
        sw = dw;
        dw = tw;
    }
    /* Three passes: the result is in the scratch arrays. */
    memcpy(doc, sd, n * sizeof *doc);
    memcpy(wf, sw, n * sizeof *wf);
}

/* Sums the weights of equal documents in sorted pairs; returns the count. */
static size_t merge_pairs(uint32_t *doc, double *wf, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (k && doc[k - 1] == doc[i]) {
            wf[k - 1] += wf[i];
        } else {
            doc[k] = doc[i];
            wf[k] = wf[i];
            k++;
        }
    }
    return k;
}

/* ---- Phrases ------------------------------------------------------------ */

/* Appends term t's postings that fall in the columns cm to doc/wf (room
 * for all of them) with their weighted frequencies in those columns, and
 * returns how many. */
static size_t postings_in_columns(const idx_mem *m, uint32_t t, unsigned cm, uint32_t *doc,
                                  double *wf)
{
    size_t k = 0;
    for (uint64_t i = m->term_post[t]; i < m->term_post[t + 1]; i++) {
        uint32_t v = m->post_wfcm[i];
        unsigned pcm = v & IDX_MEM_CM_ALL;
        if (!(pcm & cm)) continue;
        doc[k] = m->post_doc[i];
        if (!(pcm & ~cm) && (v >> IDX_MEM_CM_BITS) != IDX_MEM_WF_BIG)
            wf[k] = (double)(v >> IDX_MEM_CM_BITS);
        else
            wf[k] = posting_wf(m, t, i, cm);
        k++;
    }
    return k;
}

/* One exact token: a view of its postings, or those in the columns of cm. */
static void phrase_term(idx_mem_eval *q, uint32_t t, unsigned cm, idx_mem_list *out)
{
    const idx_mem *m = q->m;
    uint64_t b = m->term_post[t];
    size_t n = (size_t)(m->term_post[t + 1] - b);
    if (cm == IDX_MEM_CM_ALL && !(m->term_flags[t] & IDX_MEM_TERM_BIG)) {
        *out = (idx_mem_list){m->post_doc + b, m->post_wfcm + b, NULL, n};
        return;
    }
    uint32_t *doc = idx_mem_sc_alloc(&q->sc, n * sizeof *doc);
    double *wf = idx_mem_sc_alloc(&q->sc, n * sizeof *wf);
    size_t k = postings_in_columns(m, t, cm, doc, wf);
    *out = (idx_mem_list){doc, NULL, wf, k};
}

/* One prefix token: every term in sorted[lo..hi), merged. */
static void phrase_prefix(idx_mem_eval *q, size_t lo, size_t hi, unsigned cm, idx_mem_list *out)
{
    const idx_mem *m = q->m;
    if (hi - lo == 1) {
        phrase_term(q, m->sorted[lo], cm, out);
        return;
    }
    size_t total = 0;
    for (size_t e = lo; e < hi; e++) {
        uint32_t t = m->sorted[e];
        total += (size_t)(m->term_post[t + 1] - m->term_post[t]);
    }
    uint32_t *doc = idx_mem_sc_alloc(&q->sc, total * sizeof *doc);
    double *wf = idx_mem_sc_alloc(&q->sc, total * sizeof *wf);
    size_t k = 0;
    for (size_t e = lo; e < hi; e++)
        k += postings_in_columns(m, m->sorted[e], cm, doc + k, wf + k);
    sort_pairs(q, doc, wf, k);
    k = merge_pairs(doc, wf, k);
    *out = (idx_mem_list){doc, NULL, wf, k};
}

/* A reader of one posting's positions in one column. */
typedef struct pcur {
    const uint8_t *p;
    uint32_t left; /* positions after pos */
    uint32_t pos;
} pcur;

/* The postings of one fixed phrase token. */
typedef struct tokl {
    const uint32_t *doc, *wfcm, *off;
    const uint8_t *pos;
    size_t n;
} tokl;

/* Whether term t is frequent enough to be part of common grams. */
static inline bool is_frequent(const idx_mem *m, uint32_t t)
{
    return m->term_post[t + 1] - m->term_post[t] >= m->gram_min;
}

static void tokl_of(const idx_mem *m, uint32_t t, tokl *l)
{
    uint64_t b = m->term_post[t];
    l->doc = m->post_doc + b;
    l->wfcm = m->post_wfcm + b;
    l->off = m->post_off + b;
    l->pos = m->pos + m->term_pos[t];
    l->n = (size_t)(m->term_post[t + 1] - b);
}

/* Opens the positions in column c of the posting with colmask-word wfcm
 * and block p; false when it has none there. */
static inline bool pcur_open(uint32_t wfcm, const uint8_t *p, int c, pcur *k)
{
    unsigned cm = wfcm & IDX_MEM_CM_ALL;
    if (!(cm & (1u << c))) return false;
    uint32_t skip = 0, tf = 0;
    for (unsigned bits = cm; bits; bits &= bits - 1) {
        int col = __builtin_ctz(bits);
        uint32_t v = varint_fast(&p);
        if (col < c)
            skip += v;
        else if (col == c)
            tf = v;
    }
    while (skip)
        skip -= !(*p++ & 0x80);
    k->pos = varint_fast(&p);
    k->p = p;
    k->left = tf - 1;
    return true;
}

static inline bool pcur_next(pcur *k)
{
    if (!k->left) return false;
    k->left--;
    k->pos += varint_fast(&k->p);
    return true;
}

/* The starts s, in column c, where fixed token j (its posting idx[j]) is at
 * s + j for every j, ascending; appended to starts when not NULL. Returns
 * how many. */
static size_t phrase_starts(idx_mem_eval *q, const tokl *tl, const size_t *idx, size_t nfix, int c,
                            idx_mem_u32buf *starts)
{
    pcur local[8];
    pcur *cur = nfix <= 8 ? local : idx_mem_sc_alloc(&q->sc, nfix * sizeof *cur);
    for (size_t j = 0; j < nfix; j++)
        if (!pcur_open(tl[j].wfcm[idx[j]], tl[j].pos + tl[j].off[idx[j]], c, &cur[j])) return 0;
    size_t found = 0;
    uint64_t s = cur[0].pos;
    for (;;) {
        size_t j = 1;
        for (; j < nfix; j++) {
            uint64_t want = s + j;
            while (cur[j].pos < want)
                if (!pcur_next(&cur[j])) return found;
            if (cur[j].pos > want) break;
        }
        uint64_t next = s + 1;
        if (j == nfix) {
            if (starts) u32buf_need(starts, found + 1)[found] = (uint32_t)s;
            found++;
        } else {
            /* Token j is first at cur[j].pos: no start before pos - j. */
            next = cur[j].pos - j;
        }
        while (cur[0].pos < next)
            if (!pcur_next(&cur[0])) return found;
        s = cur[0].pos;
    }
}

/* Counts the positions of need[0..n) (column, position pairs, by column
 * then position) that posting i of expansion t continues; adds their
 * weights to *wf. Returns how many. */
static size_t prefix_hits(idx_mem_eval *q, uint32_t t, uint64_t i, const uint32_t *need, size_t n,
                          double *wf)
{
    const idx_mem *m = q->m;
    unsigned pcm = m->post_wfcm[i] & IDX_MEM_CM_ALL;
    idx_mem_u32buf *pb = pos_bufs(q, 1);
    size_t hits = 0;
    for (size_t a = 0; a < n;) {
        uint32_t c = need[2 * a];
        size_t b = a;
        while (b < n && need[2 * b] == c)
            b++;
        if (pcm & (1u << c)) {
            size_t len = posting_col(m, t, i, (int)c, &pb[0]), k = 0, cnt = 0;
            for (size_t x = a; x < b && k < len; x++) {
                while (k < len && pb[0].p[k] < need[2 * x + 1])
                    k++;
                if (k < len && pb[0].p[k] == need[2 * x + 1]) cnt++;
            }
            *wf += (double)m->weight[c] * (double)cnt;
            hits += cnt;
        }
        a = b;
    }
    return hits;
}

/* Candidate state of phrase_multi. */
typedef struct mstate {
    const tokl *tl;
    size_t nfix;
    unsigned cm;
    bool prefix;
    uint32_t *cdoc;
    double *cwf;
    uint32_t *need_off;
    size_t nc, nneed;
    idx_mem_u32buf starts;
} mstate;

/* Checks document d, whose fixed tokens are at postings idx[]: keeps it
 * with its weighted frequency (or, with a prefix, the positions the last
 * token must fill) when the fixed part occurs in a column of cm. */
static inline void cand_check(idx_mem_eval *q, mstate *st, const size_t *idx, uint32_t d)
{
    const idx_mem *m = q->m;
    unsigned cols = st->cm;
    for (size_t j = 0; j < st->nfix; j++)
        cols &= st->tl[j].wfcm[idx[j]];
    cols &= IDX_MEM_CM_ALL;
    if (!cols) return;
    double wf = 0;
    size_t hits = 0, need0 = st->nneed;
    for (unsigned bits = cols; bits; bits &= bits - 1) {
        int c = __builtin_ctz(bits);
        size_t found = phrase_starts(q, st->tl, idx, st->nfix, c, st->prefix ? &st->starts : NULL);
        if (!st->prefix) {
            wf += (double)m->weight[c] * (double)found;
            hits += found;
            continue;
        }
        uint32_t *need = u32buf_need(&q->need, 2 * (st->nneed + found));
        for (size_t k = 0; k < found; k++) {
            need[2 * st->nneed] = (uint32_t)c;
            need[2 * st->nneed + 1] = st->starts.p[k] + (uint32_t)st->nfix;
            st->nneed++;
        }
    }
    if (st->prefix ? st->nneed > need0 : hits > 0) {
        st->cdoc[st->nc] = d;
        st->cwf[st->nc] = wf;
        st->nc++;
        if (st->prefix) st->need_off[st->nc] = (uint32_t)st->nneed;
    }
}

/* A phrase of two or more tokens, the last one maybe a prefix. */
static void phrase_multi(idx_mem_eval *q, const idx_qnode *t, unsigned cm, idx_mem_list *out)
{
    const idx_mem *m = q->m;
    size_t nfix = t->prefix ? t->ntoks - 1 : t->ntoks;
    tokl *tl = idx_mem_sc_alloc(&q->sc, nfix * sizeof *tl);
    uint32_t *fix = idx_mem_sc_alloc(&q->sc, nfix * sizeof *fix);
    size_t elo = 0, ehi = 0;
    *out = (idx_mem_list){0};
    for (size_t j = 0; j < nfix; j++) {
        int64_t id = idx_mem_term_find(m, t->toks[j], strlen(t->toks[j]));
        if (id < 0) return;
        fix[j] = (uint32_t)id;
        tokl_of(m, fix[j], &tl[j]);
    }
    if (t->prefix) {
        const char *last = t->toks[t->ntoks - 1];
        prefix_range(m, last, strlen(last), &elo, &ehi);
        if (elo == ehi) return;
    }

    /* Lists to intersect: every fixed token; the gram of each adjacent
     * pair of frequent ones (none: the phrase never occurs); with a
     * prefix, the union of its expansions too when that is the rarest. */
    size_t nl = nfix, drv = 0;
    const uint32_t **ld = idx_mem_sc_alloc(&q->sc, 2 * nfix * sizeof *ld);
    size_t *ln = idx_mem_sc_alloc(&q->sc, 2 * nfix * sizeof *ln);
    size_t *cur = idx_mem_sc_calloc(&q->sc, 2 * nfix, sizeof *cur);
    for (size_t j = 0; j < nfix; j++) {
        ld[j] = tl[j].doc;
        ln[j] = tl[j].n;
        if (ln[j] < ln[drv]) drv = j;
    }
    for (size_t j = 0; j + 1 < nfix; j++) {
        if (!is_frequent(m, fix[j]) || !is_frequent(m, fix[j + 1])) continue;
        int64_t g = idx_mem_gram_find(&m->gram2, &fix[j]);
        if (g < 0) return;
        ld[nl] = m->gram2.doc + m->gram2.post[g];
        ln[nl] = (size_t)(m->gram2.post[g + 1] - m->gram2.post[g]);
        if (ln[nl] < ln[drv]) drv = nl;
        nl++;
    }
    if (t->prefix) {
        size_t total = 0;
        for (size_t e = elo; e < ehi; e++) {
            uint32_t x = m->sorted[e];
            total += (size_t)(m->term_post[x + 1] - m->term_post[x]);
        }
        if (total < ln[drv]) {
            idx_mem_list u;
            phrase_prefix(q, elo, ehi, cm, &u);
            ld[nl] = u.doc;
            ln[nl] = u.n;
            drv = nl++;
        }
    }

    /* Candidates: documents in every list whose fixed part checks out. */
    mstate st = {.tl = tl, .nfix = nfix, .cm = cm, .prefix = t->prefix};
    size_t cap = ln[drv];
    st.cdoc = idx_mem_sc_alloc(&q->sc, cap * sizeof *st.cdoc);
    st.cwf = idx_mem_sc_calloc(&q->sc, cap, sizeof *st.cwf);
    if (t->prefix) {
        st.need_off = u32buf_need(&q->need_off, cap + 1);
        st.need_off[0] = 0;
    }
    if (nl == 2 && ln[0] / 8 <= ln[1] && ln[1] / 8 <= ln[0]) {
        /* Two lists of similar length: a branch-free merge. */
        const uint32_t *a = ld[0], *b = ld[1];
        size_t i = 0, k = 0, na = ln[0], nb = ln[1];
        while (i < na && k < nb) {
            uint32_t x = a[i], y = b[k];
            if (x == y) {
                cur[0] = i;
                cur[1] = k;
                cand_check(q, &st, cur, x);
            }
            i += x <= y;
            k += y <= x;
        }
    } else {
        for (size_t i = 0; i < ln[drv]; i++) {
            uint32_t d = ld[drv][i];
            bool ok = true;
            for (size_t j = 0; j < nl && ok; j++) {
                if (j == drv) {
                    cur[j] = i;
                    continue;
                }
                cur[j] = idx_mem_gallop(ld[j], cur[j], ln[j], d);
                if (cur[j] == ln[j]) goto candidates_done;
                ok = ld[j][cur[j]] == d;
            }
            if (ok) cand_check(q, &st, cur, d);
        }
    }
candidates_done:
    free(st.starts.p);
    if (!t->prefix) {
        *out = (idx_mem_list){st.cdoc, NULL, st.cwf, st.nc};
        return;
    }

    /* The prefix token: each expansion against the candidates, walking the
     * shorter of the two lists. */
    size_t nc = st.nc;
    uint32_t *cdoc = st.cdoc;
    double *cwf = st.cwf;
    bool *hit = idx_mem_sc_calloc(&q->sc, nc, sizeof *hit);
    const uint32_t *need = q->need.p;
    const uint32_t *need_off = q->need_off.p;
    for (size_t e = elo; e < ehi; e++) {
        uint32_t x = m->sorted[e];
        uint64_t b = m->term_post[x];
        const uint32_t *pd = m->post_doc + b;
        size_t pn = (size_t)(m->term_post[x + 1] - b), i = 0, k = 0;
        while (i < pn && k < nc) {
            if (pn < nc) {
                k = idx_mem_gallop(cdoc, k, nc, pd[i]);
                if (k == nc) break;
            } else {
                i = idx_mem_gallop(pd, i, pn, cdoc[k]);
                if (i == pn) break;
            }
            if (pd[i] == cdoc[k]) {
                if (prefix_hits(q, x, b + i, need + 2 * (size_t)need_off[k],
                                need_off[k + 1] - need_off[k], &cwf[k]))
                    hit[k] = true;
                i++;
                k++;
            } else if (pn < nc) {
                i++;
            } else {
                k++;
            }
        }
    }
    size_t n = 0;
    for (size_t k = 0; k < nc; k++) {
        if (hit[k]) {
            cdoc[n] = cdoc[k];
            cwf[n] = cwf[k];
            n++;
        }
    }
    *out = (idx_mem_list){cdoc, NULL, cwf, n};
}

/* A phrase of the nt frequent terms tt[] (2 or 3, with no prefix): the
 * postings of its gram in table G, in the columns of cm; false when G has
 * no such gram (for a pair: the phrase never occurs). A posting with
 * instances both inside and outside cm (or too big a weight to pack) is
 * counted from positions. */
static bool phrase_ngram(idx_mem_eval *q, const idx_mem_grams *G, const uint32_t *tt, size_t nt,
                         unsigned cm, idx_mem_list *out)
{
    const idx_mem *m = q->m;
    int64_t g = idx_mem_gram_find(G, tt);
    *out = (idx_mem_list){0};
    if (g < 0) return false;
    uint64_t base = G->post[g];
    size_t n = (size_t)(G->post[g + 1] - base);
    const uint32_t *gd = G->doc + base, *gw = G->wfcm + base;
    if (cm == IDX_MEM_CM_ALL && !(G->flags[g] & IDX_MEM_TERM_BIG)) {
        *out = (idx_mem_list){gd, gw, NULL, n};
        return true;
    }
    tokl tl[3];
    size_t idx[3] = {0, 0, 0};
    for (size_t j = 0; j < nt; j++)
        tokl_of(m, tt[j], &tl[j]);
    uint32_t *doc = idx_mem_sc_alloc(&q->sc, n * sizeof *doc);
    double *wf = idx_mem_sc_alloc(&q->sc, n * sizeof *wf);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned pcm = gw[i] & IDX_MEM_CM_ALL;
        if (!(pcm & cm)) continue;
        double w = (double)(gw[i] >> IDX_MEM_CM_BITS);
        if ((pcm & ~cm) || (gw[i] >> IDX_MEM_CM_BITS) == IDX_MEM_WF_BIG) {
            for (size_t j = 0; j < nt; j++)
                idx[j] = idx_mem_gallop(tl[j].doc, idx[j], tl[j].n, gd[i]);
            w = 0;
            for (unsigned bits = pcm & cm; bits; bits &= bits - 1) {
                int c = __builtin_ctz(bits);
                w += (double)m->weight[c] * (double)phrase_starts(q, tl, idx, nt, c, NULL);
            }
        }
        doc[k] = gd[i];
        wf[k] = w;
        k++;
    }
    *out = (idx_mem_list){doc, NULL, wf, k};
    return true;
}

void idx_mem_phrase_eval(idx_mem_eval *q, const idx_qnode *t, idx_mem_list *out)
{
    const idx_mem *m = q->m;
    unsigned cm = t->colmask & IDX_MEM_CM_ALL;
    if (!cm) cm = IDX_MEM_CM_ALL;
    *out = (idx_mem_list){0};
    if (t->ntoks == 0) return;
    if (t->ntoks == 1) {
        const char *s = t->toks[0];
        size_t n = strlen(s);
        if (t->prefix) {
            size_t lo, hi;
            prefix_range(m, s, n, &lo, &hi);
            if (lo < hi) phrase_prefix(q, lo, hi, cm, out);
        } else {
            int64_t id = idx_mem_term_find(m, s, n);
            if (id >= 0) phrase_term(q, (uint32_t)id, cm, out);
        }
        return;
    }
    if (!t->prefix && t->ntoks <= 3) {
        /* Two or three frequent terms: their gram, when they have one. */
        uint32_t tt[3];
        bool all_frequent = true;
        for (size_t j = 0; j < t->ntoks; j++) {
            int64_t id = idx_mem_term_find(m, t->toks[j], strlen(t->toks[j]));
            if (id < 0) return;
            tt[j] = (uint32_t)id;
            all_frequent = all_frequent && is_frequent(m, tt[j]);
        }
        if (all_frequent && t->ntoks == 2) {
            (void)phrase_ngram(q, &m->gram2, tt, 2, cm, out);
            return;
        }
        if (all_frequent && phrase_ngram(q, &m->gram3, tt, 3, cm, out)) return;
    }
    phrase_multi(q, t, cm, out);
}
