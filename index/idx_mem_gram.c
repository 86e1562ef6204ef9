/* idx_mem_gram: the common grams of a snapshot (see idx_mem_grams in
 * idx_mem_int.h), built after its term postings, and their lookup.
 *
 * As Lucene's CommonGrams: a phrase of frequent terms (a Korean word of
 * three syllables is two bigrams, 시스템 = 시스 스템; of four, three) has as
 * many candidate documents as its rarest term, each needing a position
 * check, while its gram's postings are the answer itself. Pairs cover every
 * adjacent pair of frequent terms; triples only those in gram_min documents
 * or more, the common words. Both stay well under the size of the term
 * postings (at 100k generated technologies: pairs 11M postings, triples 3M,
 * terms 15M). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "../common/tm_alloc.h"
#include "idx_mem.h"
#include "idx_mem_int.h"

/* Tokens of this many documents are decoded back into sequences at once. */
#define GRAM_CHUNK_TOKENS (1u << 22)

/* A gram table being built: dictionary, the current document's grams and
 * a stream of (gram, colmask, wf) per document. */
typedef struct gbuild {
    unsigned len; /* 2 or 3 terms */
    uint64_t *key;
    uint32_t *key3;
    uint32_t *df;
    uint32_t *last_doc, *slot;
    size_t n, cap;
    uint32_t *hash;
    size_t hcap;
    uint32_t *slot_gram;
    uint32_t *slot_tf; /* IDX_COL__COUNT per slot */
    size_t nslots, scap;
    idx_mem_bbuf stream;
    uint32_t *doc_slots;
} gbuild;

static inline size_t gram_hash(uint64_t key, uint32_t key3)
{
    return (size_t)idx_mem_hash64(key ^ idx_mem_hash64((uint64_t)key3 + 1));
}

static void gbuild_init(gbuild *g, unsigned len, size_t ndocs)
{
    memset(g, 0, sizeof *g);
    g->len = len;
    g->hcap = 1024;
    g->hash = tm_xcalloc(g->hcap, sizeof *g->hash);
    g->doc_slots = tm_xcalloc(ndocs ? ndocs : 1, sizeof *g->doc_slots);
}

static void gbuild_free(gbuild *g)
{
    free(g->key);
    free(g->key3);
    free(g->df);
    free(g->last_doc);
    free(g->slot);
    free(g->hash);
    free(g->slot_gram);
    free(g->slot_tf);
    free(g->stream.p);
    free(g->doc_slots);
}

static void gram_rehash(gbuild *g, size_t hcap)
{
    free(g->hash);
    g->hash = tm_xcalloc(hcap, sizeof *g->hash);
    g->hcap = hcap;
    for (size_t i = 0; i < g->n; i++) {
        size_t h = gram_hash(g->key[i], g->key3[i]) & (hcap - 1);
        while (g->hash[h])
            h = (h + 1) & (hcap - 1);
        g->hash[h] = (uint32_t)i + 1;
    }
}

static uint32_t gram_intern(gbuild *g, uint64_t key, uint32_t key3)
{
    size_t h = gram_hash(key, key3) & (g->hcap - 1);
    for (; g->hash[h]; h = (h + 1) & (g->hcap - 1)) {
        uint32_t i = g->hash[h] - 1;
        if (g->key[i] == key && g->key3[i] == key3) return i;
    }
    if (g->n == g->cap) {
        size_t cap = g->cap;
        g->key = idx_mem_grow(g->key, &cap, g->n + 1, sizeof *g->key);
        g->key3 = tm_xreallocarray(g->key3, cap, sizeof *g->key3);
        g->df = tm_xreallocarray(g->df, cap, sizeof *g->df);
        g->last_doc = tm_xreallocarray(g->last_doc, cap, sizeof *g->last_doc);
        g->slot = tm_xreallocarray(g->slot, cap, sizeof *g->slot);
        g->cap = cap;
    }
    uint32_t id = (uint32_t)g->n++;
    g->key[id] = key;
    g->key3[id] = key3;
    g->df[id] = 0;
    g->last_doc[id] = 0;
    g->hash[h] = id + 1;
    if (g->n * 2 > g->hcap) gram_rehash(g, g->hcap * 2);
    return id;
}

/* Counts one instance of gram id in column c of document d. */
static void gram_add(gbuild *g, uint32_t id, unsigned c, uint32_t d)
{
    if (g->last_doc[id] != d + 1) {
        size_t cap = g->scap;
        g->slot_gram = idx_mem_grow(g->slot_gram, &cap, g->nslots + 1, sizeof *g->slot_gram);
        if (cap != g->scap) {
            g->slot_tf = tm_xreallocarray(g->slot_tf, cap, IDX_COL__COUNT * sizeof *g->slot_tf);
            g->scap = cap;
        }
        g->last_doc[id] = d + 1;
        g->slot[id] = (uint32_t)g->nslots;
        g->slot_gram[g->nslots] = id;
        memset(&g->slot_tf[g->nslots * IDX_COL__COUNT], 0, IDX_COL__COUNT * sizeof *g->slot_tf);
        g->nslots++;
    }
    g->slot_tf[g->slot[id] * IDX_COL__COUNT + c]++;
}

static void gram_doc_flush(const idx_mem *m, gbuild *g, uint32_t d)
{
    for (size_t s = 0; s < g->nslots; s++) {
        const uint32_t *tf = &g->slot_tf[s * IDX_COL__COUNT];
        unsigned cm = 0;
        uint64_t wf = 0;
        for (int c = 0; c < IDX_COL__COUNT; c++) {
            if (tf[c]) {
                cm |= 1u << c;
                wf += (uint64_t)m->weight[c] * tf[c];
            }
        }
        idx_mem_put_varint(&g->stream, g->slot_gram[s]);
        idx_mem_put_varint(&g->stream, cm);
        idx_mem_put_varint(&g->stream, wf);
        g->df[g->slot_gram[s]]++;
    }
    g->doc_slots[d] = (uint32_t)g->nslots;
    g->nslots = 0;
}

/* Moves the grams of g in min_df documents or more into out, postings in
 * document order. */
static void gram_finish(gbuild *g, uint32_t min_df, size_t ndocs, idx_mem_grams *out)
{
    uint32_t *id = tm_xmalloc((g->n ? g->n : 1) * sizeof *id);
    size_t n = 0, hcap = 1024;
    for (size_t i = 0; i < g->n; i++)
        id[i] = g->df[i] >= min_df ? (uint32_t)n++ : UINT32_MAX;
    while (hcap < 2 * n)
        hcap *= 2;
    memset(out, 0, sizeof *out);
    out->len = g->len;
    out->n = n;
    out->key = tm_xmalloc((n ? n : 1) * sizeof *out->key);
    out->key3 = tm_xmalloc((n ? n : 1) * sizeof *out->key3);
    out->hash = tm_xcalloc(hcap, sizeof *out->hash);
    out->hash_mask = hcap - 1;
    out->flags = tm_xcalloc(n ? n : 1, 1);
    out->post = tm_xmalloc((n + 1) * sizeof *out->post);
    uint64_t np = 0;
    for (size_t i = 0; i < g->n; i++) {
        if (id[i] == UINT32_MAX) continue;
        uint32_t k = id[i];
        out->key[k] = g->key[i];
        out->key3[k] = g->key3[i];
        size_t h = gram_hash(g->key[i], g->key3[i]) & out->hash_mask;
        while (out->hash[h])
            h = (h + 1) & out->hash_mask;
        out->hash[h] = k + 1;
        out->post[k] = np;
        np += g->df[i];
    }
    out->post[n] = np;
    out->doc = tm_xmalloc((np ? np : 1) * sizeof *out->doc);
    out->wfcm = tm_xmalloc((np ? np : 1) * sizeof *out->wfcm);
    /* df becomes the running count of postings placed. */
    for (size_t i = 0; i < g->n; i++)
        g->df[i] = 0;
    const uint8_t *p = g->stream.p;
    for (size_t d = 0; d < ndocs; d++) {
        for (uint32_t s = 0; s < g->doc_slots[d]; s++) {
            uint32_t gi = (uint32_t)idx_mem_varint64(&p);
            uint32_t cm = (uint32_t)idx_mem_varint64(&p);
            uint64_t wf = idx_mem_varint64(&p);
            uint32_t k = id[gi];
            if (k == UINT32_MAX) continue;
            uint64_t at = out->post[k] + g->df[gi]++;
            if (wf >= IDX_MEM_WF_BIG) {
                wf = IDX_MEM_WF_BIG;
                out->flags[k] |= IDX_MEM_TERM_BIG;
            }
            out->doc[at] = (uint32_t)d;
            out->wfcm[at] = (uint32_t)wf << IDX_MEM_CM_BITS | cm;
        }
    }
    free(id);
}

/* Builds the common grams from the finished term postings: the frequent
 * terms' positions are put back in document order a chunk of documents at
 * a time, and each run of two or three of them in a column is an instance. */
void idx_mem_build_grams(idx_mem *m)
{
    size_t n = m->ndocs, nt = m->nterms;
    gbuild g2, g3;
    uint32_t *freq = NULL, nfreq = 0;
    uint64_t *cur = NULL;
    uint32_t *seq = NULL;
    uint64_t *docoff = NULL;

    m->gram_min = (uint32_t)(n / 128 > 16 ? n / 128 : 16);
    gbuild_init(&g2, 2, n);
    gbuild_init(&g3, 3, n);
    freq = tm_xmalloc((nt ? nt : 1) * sizeof *freq);
    for (size_t t = 0; t < nt; t++)
        if (m->term_post[t + 1] - m->term_post[t] >= m->gram_min) freq[nfreq++] = (uint32_t)t;
    cur = tm_xmalloc((nfreq ? nfreq : 1) * sizeof *cur);
    for (uint32_t f = 0; f < nfreq; f++)
        cur[f] = m->term_post[freq[f]];
    /* docoff[d - d0]: offset of document d's tokens within its chunk. */
    docoff = tm_xmalloc((n + 1) * sizeof *docoff);
    for (size_t d0 = 0; nfreq && d0 < n;) {
        size_t d1 = d0;
        uint64_t len = 0;
        while (d1 < n) {
            uint64_t dl = 0;
            for (int c = 0; c < IDX_COL__COUNT; c++)
                dl += m->collen[d1 * IDX_COL__COUNT + c];
            if (d1 > d0 && len + dl > GRAM_CHUNK_TOKENS) break;
            docoff[d1 - d0] = len;
            len += dl;
            d1++;
        }
        seq = tm_xreallocarray(seq, len ? len : 1, sizeof *seq);
        memset(seq, 0xff, len * sizeof *seq);
        for (uint32_t f = 0; f < nfreq; f++) {
            uint32_t t = freq[f];
            uint64_t end = m->term_post[t + 1];
            for (; cur[f] < end && m->post_doc[cur[f]] < d1; cur[f]++) {
                uint64_t i = cur[f];
                uint32_t d = m->post_doc[i];
                unsigned cm = m->post_wfcm[i] & IDX_MEM_CM_ALL;
                const uint8_t *p = m->pos + m->term_pos[t] + m->post_off[i];
                uint32_t tf[IDX_COL__COUNT];
                for (int c = 0; c < IDX_COL__COUNT; c++)
                    tf[c] = cm & (1u << c) ? idx_mem_varint(&p) : 0;
                uint64_t base = docoff[d - d0];
                for (int c = 0; c < IDX_COL__COUNT; c++) {
                    uint32_t pos = 0;
                    for (uint32_t k = 0; k < tf[c]; k++) {
                        pos += idx_mem_varint(&p);
                        seq[base + pos] = f;
                    }
                    base += m->collen[d * IDX_COL__COUNT + c];
                }
            }
        }
        for (size_t d = d0; d < d1; d++) {
            uint64_t base = docoff[d - d0];
            for (unsigned c = 0; c < IDX_COL__COUNT; c++) {
                uint32_t cl = m->collen[d * IDX_COL__COUNT + c];
                for (uint32_t k = 0; k + 1 < cl; k++) {
                    uint32_t a = seq[base + k], b = seq[base + k + 1];
                    if (a == UINT32_MAX || b == UINT32_MAX) continue;
                    uint64_t ab = (uint64_t)freq[a] << 32 | freq[b];
                    gram_add(&g2, gram_intern(&g2, ab, 0), c, (uint32_t)d);
                    uint32_t e = k + 2 < cl ? seq[base + k + 2] : UINT32_MAX;
                    if (e != UINT32_MAX)
                        gram_add(&g3, gram_intern(&g3, ab, freq[e]), c, (uint32_t)d);
                }
                base += cl;
            }
            gram_doc_flush(m, &g2, (uint32_t)d);
            gram_doc_flush(m, &g3, (uint32_t)d);
        }
        d0 = d1;
    }
    gram_finish(&g2, 0, n, &m->gram2);
    gram_finish(&g3, m->gram_min, n, &m->gram3);
    free(freq);
    free(cur);
    free(seq);
    free(docoff);
    gbuild_free(&g2);
    gbuild_free(&g3);
}

int64_t idx_mem_gram_find(const idx_mem_grams *g, const uint32_t *t)
{
    if (!g->n) return -1;
    uint64_t key = (uint64_t)t[0] << 32 | t[1];
    uint32_t key3 = g->len == 3 ? t[2] : 0;
    for (size_t h = gram_hash(key, key3) & g->hash_mask;; h = (h + 1) & g->hash_mask) {
        uint32_t e = g->hash[h];
        if (!e) return -1;
        if (g->key[e - 1] == key && g->key3[e - 1] == key3) return e - 1;
    }
}

void idx_mem_grams_free(idx_mem_grams *g)
{
    free(g->key);
    free(g->key3);
    free(g->hash);
    free(g->flags);
    free(g->post);
    free(g->doc);
    free(g->wfcm);
    memset(g, 0, sizeof *g);
}

size_t idx_mem_grams_bytes(const idx_mem_grams *g)
{
    if (!g->post) return 0;
    return g->n * (sizeof *g->key + sizeof *g->key3 + 1 + sizeof *g->post) +
           (g->hash_mask + 1) * sizeof *g->hash +
           (size_t)g->post[g->n] * (sizeof *g->doc + sizeof *g->wfcm);
}
