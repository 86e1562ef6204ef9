/* idx_mem_int: the private layout of an idx_mem snapshot, shared by
 * idx_mem_build.c and idx_mem_gram.c (which fill it), idx_mem_eval.c and
 * idx_mem.c (which search it) and idx_engine.c (which counts its readers).
 * Nothing else includes this header.
 *
 * Everything is a flat array; a snapshot never changes after it is built,
 * so any number of threads may read it at once.
 *
 * Documents are numbered 0..ndocs-1 in id order. Terms are numbered in the
 * order they were first seen. The postings of term t are the entries
 * term_post[t] .. term_post[t+1]-1 of post_doc / post_wfcm / post_off, in
 * doc order:
 *   post_doc   the document number;
 *   post_wfcm  (wf << IDX_MEM_CM_BITS) | colmask: colmask has bit c when the
 *              term is in column c; wf is the bm25 weighted frequency
 *              sum(idx_col_weight[c] * tf[c]) over every column, or
 *              IDX_MEM_WF_BIG when it does not fit (then the term has
 *              IDX_MEM_TERM_BIG set and wf is recomputed from the block);
 *   post_off   the offset of its position block in pos, from term_pos[t].
 * A position block holds, for each column c in colmask in ascending order,
 * varint tf[c]; then for each such column its tf[c] token positions as
 * varints (the first absolute, the others as deltas). Positions count
 * tokens within a column from 0, as FTS5 does. */
#ifndef IDX_MEM_INT_H
#define IDX_MEM_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/tm_alloc.h"
#include "idx_enum.h"
#include "idx_query.h"

#define IDX_MEM_CM_BITS 9
#define IDX_MEM_CM_ALL ((1u << IDX_COL__COUNT) - 1)
#define IDX_MEM_WF_BIG ((1u << (32 - IDX_MEM_CM_BITS)) - 1)
#define IDX_MEM_TERM_BIG 1u
/* Attribute values that stand for "not one of the enum" (NULL or unknown
 * text in the database). */
#define IDX_MEM_FIELD_NONE IDX_FIELD__COUNT
#define IDX_MEM_STATUS_NONE IDX_STATUS__COUNT

/* Stored fields of a document, in store order (idx_mem_doc_get). */
enum {
    IDX_MEM_S_EXTERNAL_ID,
    IDX_MEM_S_TITLE,
    IDX_MEM_S_TITLE_EN,
    IDX_MEM_S_SUMMARY,
    IDX_MEM_S_DESCRIPTION,
    IDX_MEM_S_KEYWORDS,
    IDX_MEM_S_INSTITUTION,
    IDX_MEM_NSTORE
};

/* bm25 constants, as in FTS5's fts5Bm25Function. */
#define IDX_MEM_K1 1.2
#define IDX_MEM_B 0.75

/* The facet attributes of one technology. */
typedef struct idx_mem_attr {
    uint8_t field;   /* idx_field or IDX_MEM_FIELD_NONE */
    uint8_t status;  /* idx_status or IDX_MEM_STATUS_NONE */
    uint8_t trl;     /* 1-9, 0 unknown */
    uint8_t licence; /* mask of 1u << idx_licence */
    uint32_t inst;   /* index into inst_id */
} idx_mem_attr;

/* Facet counts by attribute value, before they become an idx_facets. */
typedef struct idx_mem_counts {
    uint32_t field[IDX_FIELD__COUNT + 1];
    uint32_t status[IDX_STATUS__COUNT + 1];
    uint32_t trl[10];
    uint32_t licence[1u << IDX_LICENCE__COUNT]; /* by mask */
    uint32_t *inst;                             /* ninst counters */
    int64_t total;
} idx_mem_counts;

/* Common grams of one length: for a run of frequent terms (df >= the
 * snapshot's gram_min) standing next to each other in a column, the
 * postings of that phrase: doc, and wf << IDX_MEM_CM_BITS | colmask counted
 * over its instances, like a term's (IDX_MEM_TERM_BIG in flags when a wf
 * does not fit). Every pair of frequent terms that occurs has a gram, so a
 * pair without one never occurs; a triple has one only when it occurs in
 * gram_min documents or more. */
typedef struct idx_mem_grams {
    unsigned len; /* terms in a gram: 2 or 3 */
    size_t n;
    uint64_t *key;  /* first terms: a << 32 | b */
    uint32_t *key3; /* third term (triples only) */
    uint32_t *hash; /* gram + 1, 0 empty; hash_mask + 1 slots */
    size_t hash_mask;
    uint8_t *flags;
    uint64_t *post; /* n + 1 */
    uint32_t *doc;
    uint32_t *wfcm;
} idx_mem_grams;

struct idx_mem {
    int64_t gen;

    /* Documents. */
    size_t ndocs;
    int64_t *doc_id; /* ascending */
    idx_mem_attr *attr;
    double *norm;          /* k1 * (1 - b + b * D / avgdl), D = the doc's tokens */
    uint32_t *collen;      /* ndocs * IDX_COL__COUNT token counts */
    uint32_t *newest;      /* doc numbers by created_at DESC, id DESC */
    uint32_t *newest_rank; /* doc -> its index in newest */
    uint32_t *by_trl;      /* doc numbers by trl DESC (unknown last), then newest */
    int64_t ntokens;       /* every token of every column of every doc */
    double avgdl;

    /* Stored fields, for search results without SQLite: field f of doc d
     * is store[store_off[d * IDX_MEM_NSTORE + f] .. the next offset);
     * store_null has bit f set when the field is NULL. */
    uint8_t *store;
    uint64_t *store_off; /* ndocs * IDX_MEM_NSTORE + 1 */
    uint8_t *store_null;

    /* Institutions that have technologies, and their groups. */
    size_t ninst;
    int64_t *inst_id;       /* ascending */
    uint32_t *inst_grp_off; /* ninst + 1: groups of inst i are inst_grp[off[i]..off[i+1]) */
    uint32_t *inst_grp;
    size_t ngroup;
    char **group; /* names, ascending by strcmp */

    /* Terms. */
    size_t nterms;
    char *text;         /* every term's bytes, back to back */
    uint32_t *text_off; /* nterms + 1 */
    uint32_t *hash;     /* open addressing: term + 1, 0 empty; hash_mask + 1 slots */
    size_t hash_mask;
    uint32_t *sorted; /* term numbers by their bytes (memcmp), for prefixes */
    uint8_t *term_flags;
    uint64_t *term_post; /* nterms + 1 */
    uint64_t *term_pos;  /* nterms + 1 */
    uint32_t *post_doc;
    uint32_t *post_wfcm;
    uint32_t *post_off;
    uint8_t *pos;

    /* Common grams (idx_mem_gram.c): phrases of 2 and 3 frequent terms. */
    uint32_t gram_min;
    idx_mem_grams gram2, gram3;

    /* Integer column weights (idx_col_weight, checked integral at build). */
    uint32_t weight[IDX_COL__COUNT];

    /* Counts for the plain catalogue listing (no query, no filter). */
    idx_mem_counts all;

    size_t bytes;
    unsigned refs; /* idx_engine's readers, under its mutex */
};

/* FNV-1a over s[0..n). */
static inline uint64_t idx_mem_hash(const char *s, size_t n)
{
    uint64_t h = 14695981039346656037u;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211u;
    }
    return h;
}

/* Reads a varint at *p, advancing it. */
static inline uint32_t idx_mem_varint(const uint8_t **p)
{
    const uint8_t *q = *p;
    uint32_t v = *q & 0x7f;
    unsigned shift = 7;
    while (*q++ & 0x80) {
        v |= (uint32_t)(*q & 0x7f) << shift;
        shift += 7;
    }
    *p = q;
    return v;
}

static inline uint64_t idx_mem_hash64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdu;
    x ^= x >> 33;
    return x;
}

/* The term number of s[0..n), or -1 when the snapshot has no such term. */
int64_t idx_mem_term_find(const idx_mem *m, const char *s, size_t n);

/* The gram of terms t[0], t[1] (and t[2] in a table of triples), or -1. */
int64_t idx_mem_gram_find(const idx_mem_grams *g, const uint32_t *t);
void idx_mem_grams_free(idx_mem_grams *g);
size_t idx_mem_grams_bytes(const idx_mem_grams *g);

/* ---- Building (idx_mem_build.c, idx_mem_gram.c) ------------------------ */

/* A growing byte buffer. */
typedef struct idx_mem_bbuf {
    uint8_t *p;
    size_t len, cap;
} idx_mem_bbuf;

static inline void idx_mem_bbuf_reserve(idx_mem_bbuf *b, size_t extra)
{
    if (extra <= b->cap - b->len) return;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap - b->len < extra)
        cap *= 2;
    b->p = tm_xrealloc(b->p, cap);
    b->cap = cap;
}

static inline void idx_mem_put_varint(idx_mem_bbuf *b, uint64_t v)
{
    idx_mem_bbuf_reserve(b, 10);
    while (v >= 0x80) {
        b->p[b->len++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    b->p[b->len++] = (uint8_t)v;
}

/* Grows an array of n elements of size sz to hold at least need. */
static inline void *idx_mem_grow(void *p, size_t *cap, size_t need, size_t sz)
{
    if (need <= *cap) return p;
    size_t c = *cap ? *cap : 1024;
    while (c < need)
        c *= 2;
    *cap = c;
    return tm_xreallocarray(p, c, sz);
}

/* Reads a varint of up to 64 bits at *p, advancing it. */
static inline uint64_t idx_mem_varint64(const uint8_t **p)
{
    const uint8_t *q = *p;
    uint64_t v = 0;
    unsigned shift = 0;
    do {
        v |= (uint64_t)(*q & 0x7f) << shift;
        shift += 7;
    } while (*q++ & 0x80);
    *p = q;
    return v;
}

/* Builds m's common grams (gram_min, gram2, gram3) from its finished term
 * postings. */
void idx_mem_build_grams(idx_mem *m);

/* ---- Query evaluation (idx_mem_eval.c) ---------------------------------- */

/* Per-search allocations, freed together. */
typedef struct idx_mem_scratch {
    void **blk;
    size_t n, cap;
} idx_mem_scratch;

/* A growing u32 buffer reused across documents. */
typedef struct idx_mem_u32buf {
    uint32_t *p;
    size_t cap;
} idx_mem_u32buf;

/* Sorted document numbers, with weighted frequencies for phrase lists:
 * wfv[i] >> IDX_MEM_CM_BITS for a view of a term's postings, wfd[i] for a
 * computed list, none for a combined set. */
typedef struct idx_mem_list {
    const uint32_t *doc;
    const uint32_t *wfv;
    const double *wfd;
    size_t n;
} idx_mem_list;

static inline double idx_mem_list_wf(const idx_mem_list *l, size_t i)
{
    return l->wfv ? (double)(l->wfv[i] >> IDX_MEM_CM_BITS) : l->wfd[i];
}

/* First i in [lo, n) with a[i] >= x, or n. */
static inline size_t idx_mem_gallop(const uint32_t *a, size_t lo, size_t n, uint32_t x)
{
    if (lo >= n || a[lo] >= x) return lo;
    size_t step = 1, hi = lo + 1;
    while (hi < n && a[hi] < x) {
        lo = hi;
        step <<= 1;
        hi = lo + step;
    }
    if (hi > n) hi = n;
    lo++;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (a[mid] < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

typedef struct idx_mem_phrase {
    idx_mem_list l;
    double idf;
    size_t cur;
    /* When the query's root is an AND with this phrase as a kid: for each
     * match k, the phrase's entry for it is l[ix[k]]. Else NULL. */
    const uint32_t *ix;
} idx_mem_phrase;

typedef struct idx_mem_eval {
    const idx_mem *m;
    idx_mem_scratch sc;
    idx_mem_phrase *ph; /* positive phrases, in query order */
    size_t nph;
    idx_mem_u32buf *pb; /* position buffers, one per phrase token */
    size_t npb;
    idx_mem_u32buf need, need_off;
    const idx_qnode **seen; /* every TERM evaluated, with its list */
    idx_mem_list *seen_l;
    size_t nseen;
    const idx_qnode *root;
} idx_mem_eval;

/* Evaluates the query tree at root: *out gets its matching documents
 * (sorted), q->ph its positive phrases in query order with their idf. */
void idx_mem_eval_query(idx_mem_eval *q, const idx_qnode *root, idx_mem_list *out);
/* The phrase list of TERM t (idx_mem_phrase.c). */
void idx_mem_phrase_eval(idx_mem_eval *q, const idx_qnode *t, idx_mem_list *out);
/* Frees everything q allocated, lists included. */
void idx_mem_eval_free(idx_mem_eval *q);
void *idx_mem_sc_alloc(idx_mem_scratch *sc, size_t bytes);
void *idx_mem_sc_calloc(idx_mem_scratch *sc, size_t count, size_t size);
void idx_mem_sc_free(idx_mem_scratch *sc);

#endif
