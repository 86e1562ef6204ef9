/* idx_mem_build: reads the catalogue in one read transaction and builds an
 * idx_mem snapshot (layout in idx_mem_int.h).
 *
 * One pass over the technologies tokenizes every column with the same
 * tokenizer as FTS5 and appends each document's postings (term, column
 * mask, weighted frequency, position block) to a compact byte stream while
 * counting every term's documents and block bytes. A second pass scatters
 * the stream into the final flat arrays, each term's postings in doc order.
 * Peak memory is about the final snapshot plus the stream. */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "../common/tm_alloc.h"
#include "idx_mem.h"
#include "idx_mem_int.h"

/* A column holds at most this many tokens (positions are packed with the
 * column in 32 bits while building). */
#define POS_LIMIT (1u << 28)

typedef struct builder {
    idx_mem *m;
    /* dictionary */
    idx_mem_bbuf text;
    uint32_t *text_off;
    size_t nterms, tcap, hcap;
    uint32_t *hash;
    uint32_t *df;
    uint64_t *blockbytes;
    uint32_t *last_doc; /* doc + 1 that last used the term */
    uint32_t *slot;     /* its slot in that doc */
    /* the current document: slots (one per distinct term), occurrences */
    uint32_t *slot_term, *slot_first, *slot_last;
    size_t nslots, scap;
    uint32_t *occ_next, *occ_cp; /* cp: column << 28 | position */
    size_t nocc, ocap;
    int col;
    uint32_t pos;
    bool too_long;
    /* all documents */
    size_t ndocs, dcap;
    char **created;
    uint32_t *doc_slots;
    int64_t *inst_of; /* institution id, before institutions are numbered */
    idx_mem_bbuf stream;
    idx_mem_bbuf block;
    idx_mem_bbuf store; /* stored fields, becoming m->store */
    uint64_t *store_off;
    uint8_t *store_null;
} builder;

static void dict_rehash(builder *b, size_t hcap)
{
    free(b->hash);
    b->hash = tm_xcalloc(hcap, sizeof *b->hash);
    b->hcap = hcap;
    for (size_t t = 0; t < b->nterms; t++) {
        const char *s = (const char *)b->text.p + b->text_off[t];
        size_t n = b->text_off[t + 1] - b->text_off[t];
        size_t h = (size_t)idx_mem_hash(s, n) & (hcap - 1);
        while (b->hash[h])
            h = (h + 1) & (hcap - 1);
        b->hash[h] = (uint32_t)t + 1;
    }
}

/* The term number of s[0..n), added when new. */
static uint32_t dict_intern(builder *b, const char *s, size_t n)
{
    size_t h = (size_t)idx_mem_hash(s, n) & (b->hcap - 1);
    for (;; h = (h + 1) & (b->hcap - 1)) {
        uint32_t e = b->hash[h];
        if (!e) break;
        uint32_t t = e - 1;
        if (b->text_off[t + 1] - b->text_off[t] == n &&
            memcmp(b->text.p + b->text_off[t], s, n) == 0)
            return t;
    }
    uint32_t t = (uint32_t)b->nterms;
    size_t old = b->tcap;
    if (b->nterms + 2 > b->tcap) {
        size_t cap = b->tcap;
        b->text_off = idx_mem_grow(b->text_off, &cap, b->nterms + 2, sizeof *b->text_off);
        b->df = tm_xreallocarray(b->df, cap, sizeof *b->df);
        b->blockbytes = tm_xreallocarray(b->blockbytes, cap, sizeof *b->blockbytes);
        b->last_doc = tm_xreallocarray(b->last_doc, cap, sizeof *b->last_doc);
        b->slot = tm_xreallocarray(b->slot, cap, sizeof *b->slot);
        memset(b->df + old, 0, (cap - old) * sizeof *b->df);
        memset(b->blockbytes + old, 0, (cap - old) * sizeof *b->blockbytes);
        memset(b->last_doc + old, 0, (cap - old) * sizeof *b->last_doc);
        b->tcap = cap;
    }
    if (b->nterms == 0) b->text_off[0] = 0;
    idx_mem_bbuf_reserve(&b->text, n);
    memcpy(b->text.p + b->text.len, s, n);
    b->text.len += n;
    b->text_off[t + 1] = (uint32_t)b->text.len;
    b->nterms++;
    b->hash[h] = t + 1;
    if (b->nterms * 2 > b->hcap) dict_rehash(b, b->hcap * 2);
    return t;
}

static int on_token(void *ctx, const char *tok, int ntok, int start, int end)
{
    builder *b = ctx;
    (void)start;
    (void)end;
    size_t n = ntok > 0 ? (size_t)ntok : 0;
    if (b->pos >= POS_LIMIT - 1 || n > UINT32_MAX - 1 - b->text.len) {
        b->too_long = true;
        return SQLITE_TOOBIG;
    }
    uint32_t t = dict_intern(b, tok, n);
    uint32_t doc1 = (uint32_t)b->ndocs + 1;
    if (b->nocc == b->ocap) {
        b->occ_next = idx_mem_grow(b->occ_next, &b->ocap, b->nocc + 1, sizeof *b->occ_next);
        b->occ_cp = tm_xreallocarray(b->occ_cp, b->ocap, sizeof *b->occ_cp);
    }
    uint32_t o = (uint32_t)b->nocc++;
    b->occ_cp[o] = (uint32_t)b->col << 28 | b->pos++;
    b->occ_next[o] = UINT32_MAX;
    if (b->last_doc[t] != doc1) {
        size_t cap = b->scap;
        b->slot_term = idx_mem_grow(b->slot_term, &cap, b->nslots + 1, sizeof *b->slot_term);
        if (cap != b->scap) {
            b->slot_first = tm_xreallocarray(b->slot_first, cap, sizeof *b->slot_first);
            b->slot_last = tm_xreallocarray(b->slot_last, cap, sizeof *b->slot_last);
            b->scap = cap;
        }
        b->last_doc[t] = doc1;
        b->slot[t] = (uint32_t)b->nslots;
        b->slot_term[b->nslots] = t;
        b->slot_first[b->nslots] = o;
        b->slot_last[b->nslots] = o;
        b->nslots++;
    } else {
        uint32_t s = b->slot[t];
        b->occ_next[b->slot_last[s]] = o;
        b->slot_last[s] = o;
    }
    return SQLITE_OK;
}

/* Appends the current document's postings to the stream and resets it. */
static void doc_flush(builder *b)
{
    for (size_t s = 0; s < b->nslots; s++) {
        uint32_t tf[IDX_COL__COUNT] = {0};
        unsigned cm = 0;
        for (uint32_t o = b->slot_first[s]; o != UINT32_MAX; o = b->occ_next[o]) {
            unsigned c = b->occ_cp[o] >> 28;
            tf[c]++;
            cm |= 1u << c;
        }
        uint64_t wf = 0;
        b->block.len = 0;
        for (int c = 0; c < IDX_COL__COUNT; c++) {
            if (!(cm & (1u << c))) continue;
            wf += (uint64_t)b->m->weight[c] * tf[c];
            idx_mem_put_varint(&b->block, tf[c]);
        }
        /* Occurrences are in (column, position) order: one delta run per column. */
        unsigned prev_c = IDX_COL__COUNT;
        uint32_t prev = 0;
        for (uint32_t o = b->slot_first[s]; o != UINT32_MAX; o = b->occ_next[o]) {
            unsigned c = b->occ_cp[o] >> 28;
            uint32_t p = b->occ_cp[o] & (POS_LIMIT - 1);
            idx_mem_put_varint(&b->block, c != prev_c ? p : p - prev);
            prev_c = c;
            prev = p;
        }
        uint32_t t = b->slot_term[s];
        idx_mem_put_varint(&b->stream, t);
        idx_mem_put_varint(&b->stream, cm);
        idx_mem_put_varint(&b->stream, wf);
        idx_mem_put_varint(&b->stream, b->block.len);
        idx_mem_bbuf_reserve(&b->stream, b->block.len);
        memcpy(b->stream.p + b->stream.len, b->block.p, b->block.len);
        b->stream.len += b->block.len;
        b->df[t]++;
        b->blockbytes[t] += b->block.len;
        /* post_off holds a block's offset within its term in 32 bits. */
        if (b->blockbytes[t] > UINT32_MAX) b->too_long = true;
    }
    b->doc_slots[b->ndocs] = (uint32_t)b->nslots;
    b->nslots = 0;
    b->nocc = 0;
}

/* Second pass: the stream into per-term postings. */
static void scatter(builder *b)
{
    idx_mem *m = b->m;
    size_t nt = b->nterms;
    m->nterms = nt;
    m->term_post = tm_xmalloc((nt + 1) * sizeof *m->term_post);
    m->term_pos = tm_xmalloc((nt + 1) * sizeof *m->term_pos);
    m->term_flags = tm_xcalloc(nt ? nt : 1, 1);
    uint64_t np = 0, nb = 0;
    for (size_t t = 0; t < nt; t++) {
        m->term_post[t] = np;
        m->term_pos[t] = nb;
        np += b->df[t];
        nb += b->blockbytes[t];
    }
    m->term_post[nt] = np;
    m->term_pos[nt] = nb;
    m->post_doc = tm_xmalloc(np ? np * sizeof *m->post_doc : 1);
    m->post_wfcm = tm_xmalloc(np ? np * sizeof *m->post_wfcm : 1);
    m->post_off = tm_xmalloc(np ? np * sizeof *m->post_off : 1);
    m->pos = tm_xmalloc(nb ? nb : 1);
    /* Reused as running cursors: postings so far, block bytes so far. */
    if (nt) {
        memset(b->df, 0, nt * sizeof *b->df);
        memset(b->blockbytes, 0, nt * sizeof *b->blockbytes);
    }
    const uint8_t *p = b->stream.p;
    for (size_t d = 0; d < b->ndocs; d++) {
        for (uint32_t s = 0; s < b->doc_slots[d]; s++) {
            uint32_t t = (uint32_t)idx_mem_varint64(&p);
            uint32_t cm = (uint32_t)idx_mem_varint64(&p);
            uint64_t wf = idx_mem_varint64(&p);
            size_t len = (size_t)idx_mem_varint64(&p);
            uint64_t i = m->term_post[t] + b->df[t]++;
            m->post_doc[i] = (uint32_t)d;
            if (wf >= IDX_MEM_WF_BIG) {
                wf = IDX_MEM_WF_BIG;
                m->term_flags[t] |= IDX_MEM_TERM_BIG;
            }
            m->post_wfcm[i] = (uint32_t)wf << IDX_MEM_CM_BITS | cm;
            m->post_off[i] = (uint32_t)b->blockbytes[t];
            memcpy(m->pos + m->term_pos[t] + b->blockbytes[t], p, len);
            b->blockbytes[t] += len;
            p += len;
        }
    }
}

static int by_term_bytes(const void *x, const void *y, void *ctx)
{
    const idx_mem *m = ctx;
    uint32_t a = *(const uint32_t *)x, c = *(const uint32_t *)y;
    size_t na = m->text_off[a + 1] - m->text_off[a], nc = m->text_off[c + 1] - m->text_off[c];
    int r = memcmp(m->text + m->text_off[a], m->text + m->text_off[c], na < nc ? na : nc);
    if (r) return r;
    return na < nc ? -1 : na > nc;
}

int64_t idx_mem_term_find(const idx_mem *m, const char *s, size_t n)
{
    if (!m->nterms) return -1;
    size_t h = (size_t)idx_mem_hash(s, n) & m->hash_mask;
    for (;; h = (h + 1) & m->hash_mask) {
        uint32_t e = m->hash[h];
        if (!e) return -1;
        uint32_t t = e - 1;
        if (m->text_off[t + 1] - m->text_off[t] == n && memcmp(m->text + m->text_off[t], s, n) == 0)
            return t;
    }
}

typedef struct newest_key {
    const char *created;
    int64_t id;
    uint32_t doc;
} newest_key;

static int by_newest(const void *x, const void *y)
{
    const newest_key *a = x, *c = y;
    int r = strcmp(c->created, a->created);
    if (r) return r;
    return a->id < c->id ? 1 : a->id > c->id ? -1 : 0;
}

static int by_int64(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, c = *(const int64_t *)y;
    return a < c ? -1 : a > c;
}

static int by_str(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

static uint32_t inst_index(const idx_mem *m, int64_t id)
{
    size_t lo = 0, hi = m->ninst;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->inst_id[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (uint32_t)lo;
}

static unsigned licence_mask(const char *s)
{
    unsigned mask = 0;
    while (s && *s) {
        const char *nl = strchr(s, '\n');
        size_t n = nl ? (size_t)(nl - s) : strlen(s);
        for (int l = 0; l < IDX_LICENCE__COUNT; l++) {
            const char *name = idx_licence_name(l);
            if (strlen(name) == n && memcmp(name, s, n) == 0) mask |= 1u << l;
        }
        s += n + (nl ? 1 : 0);
    }
    return mask;
}

/* Copies the fields a search result shows into the store. The statement's
 * columns: 7 + IDX_COL_* for the text columns, 16 external_id; the
 * institution's name is the first line of inst_names. */
static void store_fields(builder *b, sqlite3_stmt *s, size_t d)
{
    static const int col[IDX_MEM_NSTORE] = {
        [IDX_MEM_S_EXTERNAL_ID] = 16,
        [IDX_MEM_S_TITLE] = 7 + IDX_COL_TITLE,
        [IDX_MEM_S_TITLE_EN] = 7 + IDX_COL_TITLE_EN,
        [IDX_MEM_S_SUMMARY] = 7 + IDX_COL_SUMMARY,
        [IDX_MEM_S_DESCRIPTION] = 7 + IDX_COL_DESCRIPTION,
        [IDX_MEM_S_KEYWORDS] = 7 + IDX_COL_KEYWORDS,
        [IDX_MEM_S_INSTITUTION] = 7 + IDX_COL_INSTITUTION,
    };
    uint8_t null = 0;
    for (int f = 0; f < IDX_MEM_NSTORE; f++) {
        const char *v = (const char *)sqlite3_column_text(s, col[f]);
        size_t n = (size_t)sqlite3_column_bytes(s, col[f]);
        b->store_off[d * IDX_MEM_NSTORE + (size_t)f] = b->store.len;
        if (!v) {
            null |= (uint8_t)(1u << f);
            continue;
        }
        if (f == IDX_MEM_S_INSTITUTION) {
            const char *nl = memchr(v, '\n', n);
            if (nl) n = (size_t)(nl - v);
        }
        idx_mem_bbuf_reserve(&b->store, n);
        memcpy(b->store.p + b->store.len, v, n);
        b->store.len += n;
    }
    b->store_null[d] = null;
}

static int read_techs(builder *b, idx_db *db, tm_err *err)
{
    idx_mem *m = b->m;
    sqlite3_stmt *s = idx_db_stmt(db, IDX_STMT_MEM_TECHS, err);
    int rc, code = TM_OK;
    if (!s) return err && err->code ? err->code : TM_EINTERNAL;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        size_t d = b->ndocs;
        if (d >= UINT32_MAX - 1) {
            code = tm_err_set(err, TM_ETOOBIG, NULL, "too many technologies for the index");
            goto out;
        }
        size_t cap = b->dcap;
        m->doc_id = idx_mem_grow(m->doc_id, &cap, d + 1, sizeof *m->doc_id);
        if (cap != b->dcap) {
            m->attr = tm_xreallocarray(m->attr, cap, sizeof *m->attr);
            m->collen = tm_xreallocarray(m->collen, cap, IDX_COL__COUNT * sizeof *m->collen);
            b->created = tm_xreallocarray(b->created, cap, sizeof *b->created);
            b->doc_slots = tm_xreallocarray(b->doc_slots, cap, sizeof *b->doc_slots);
            b->inst_of = tm_xreallocarray(b->inst_of, cap, sizeof *b->inst_of);
            b->store_off =
                tm_xreallocarray(b->store_off, cap, IDX_MEM_NSTORE * sizeof *b->store_off);
            b->store_null = tm_xreallocarray(b->store_null, cap, sizeof *b->store_null);
            b->dcap = cap;
        }
        m->doc_id[d] = sqlite3_column_int64(s, 0);
        b->inst_of[d] = sqlite3_column_int64(s, 1);
        int field = idx_field_parse((const char *)sqlite3_column_text(s, 2));
        int status = idx_status_parse((const char *)sqlite3_column_text(s, 3));
        int trl = sqlite3_column_int(s, 4);
        idx_mem_attr *a = &m->attr[d];
        a->field = (uint8_t)(field >= 0 ? field : IDX_MEM_FIELD_NONE);
        a->status = (uint8_t)(status >= 0 ? status : IDX_MEM_STATUS_NONE);
        a->trl = (uint8_t)(trl >= 1 && trl <= 9 ? trl : 0);
        a->licence = (uint8_t)licence_mask((const char *)sqlite3_column_text(s, 5));
        a->inst = 0;
        const char *created = (const char *)sqlite3_column_text(s, 6);
        b->created[d] = tm_xstrdup(created ? created : "");
        store_fields(b, s, d);
        for (int c = 0; c < IDX_COL__COUNT; c++) {
            const char *text = (const char *)sqlite3_column_text(s, 7 + c);
            size_t len = (size_t)sqlite3_column_bytes(s, 7 + c);
            b->col = c;
            b->pos = 0;
            if (text && len) {
                int trc = idx_tok_run(db->tok, 0, text, len, on_token, b);
                if (trc != SQLITE_OK) {
                    if (b->too_long)
                        code = tm_err_set(err, TM_ETOOBIG, NULL,
                                          "technology %lld has a column too long to index",
                                          (long long)m->doc_id[d]);
                    else
                        code = tm_err_set(err, TM_EINTERNAL, NULL, "tokenizer: %s",
                                          sqlite3_errstr(trc));
                    goto out;
                }
            }
            m->collen[d * IDX_COL__COUNT + c] = b->pos;
            m->ntokens += b->pos;
        }
        doc_flush(b);
        if (b->too_long) {
            code = tm_err_set(err, TM_ETOOBIG, NULL, "a term has too many positions to index");
            goto out;
        }
        b->ndocs++;
    }
    if (rc != SQLITE_DONE) code = idx_db_fail(db, rc, err);
out:
    idx_db_stmt_done(s);
    return code;
}

/* Numbers the institutions that have technologies and reads their groups. */
static int read_insts(builder *b, idx_db *db, tm_err *err)
{
    idx_mem *m = b->m;
    int rc, code = TM_OK;
    size_t n = 0;
    m->inst_id = tm_xmalloc((b->ndocs ? b->ndocs : 1) * sizeof *m->inst_id);
    if (b->ndocs) memcpy(m->inst_id, b->inst_of, b->ndocs * sizeof *m->inst_id);
    qsort(m->inst_id, b->ndocs, sizeof *m->inst_id, by_int64);
    for (size_t i = 0; i < b->ndocs; i++)
        if (n == 0 || m->inst_id[n - 1] != m->inst_id[i]) m->inst_id[n++] = m->inst_id[i];
    m->ninst = n;
    for (size_t d = 0; d < b->ndocs; d++)
        m->attr[d].inst = inst_index(m, b->inst_of[d]);

    /* (institution, group) rows, ordered by institution then group. */
    size_t npairs = 0, pcap = 0;
    uint32_t *pinst = NULL;
    char **pgrp = NULL;
    sqlite3_stmt *s = idx_db_stmt(db, IDX_STMT_INST_GROUPS, err);
    if (!s) return err && err->code ? err->code : TM_EINTERNAL;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(s, 0);
        uint32_t i = inst_index(m, id);
        const char *g = (const char *)sqlite3_column_text(s, 1);
        if (i >= m->ninst || m->inst_id[i] != id || !g) continue;
        size_t cap = pcap;
        pinst = idx_mem_grow(pinst, &cap, npairs + 1, sizeof *pinst);
        if (cap != pcap) {
            pgrp = tm_xreallocarray(pgrp, cap, sizeof *pgrp);
            pcap = cap;
        }
        pinst[npairs] = i;
        pgrp[npairs] = tm_xstrdup(g);
        npairs++;
    }
    idx_db_stmt_done(s);
    if (rc != SQLITE_DONE) {
        code = idx_db_fail(db, rc, err);
        goto out;
    }
    /* Distinct group names, sorted. */
    m->group = tm_xmalloc((npairs ? npairs : 1) * sizeof *m->group);
    for (size_t i = 0; i < npairs; i++)
        m->group[i] = pgrp[i];
    qsort(m->group, npairs, sizeof *m->group, by_str);
    size_t ng = 0;
    for (size_t i = 0; i < npairs; i++)
        if (ng == 0 || strcmp(m->group[ng - 1], m->group[i]) != 0)
            m->group[ng++] = tm_xstrdup(m->group[i]);
    m->ngroup = ng;
    m->inst_grp_off = tm_xcalloc(m->ninst + 1, sizeof *m->inst_grp_off);
    m->inst_grp = tm_xmalloc((npairs ? npairs : 1) * sizeof *m->inst_grp);
    for (size_t i = 0; i < npairs; i++)
        m->inst_grp_off[pinst[i] + 1]++;
    for (size_t i = 0; i < m->ninst; i++)
        m->inst_grp_off[i + 1] += m->inst_grp_off[i];
    /* Rows come ordered by institution, so filling in order keeps the CSR. */
    for (size_t i = 0; i < npairs; i++) {
        size_t lo = 0, hi = ng;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (strcmp(m->group[mid], pgrp[i]) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        m->inst_grp[i] = (uint32_t)lo;
    }
out:
    for (size_t i = 0; i < npairs; i++)
        free(pgrp[i]);
    free(pgrp);
    free(pinst);
    return code;
}

/* Orders, norms and the unfiltered listing counts. */
static void finish_docs(builder *b)
{
    idx_mem *m = b->m;
    size_t n = b->ndocs;
    m->ndocs = n;
    newest_key *keys = tm_xmalloc((n ? n : 1) * sizeof *keys);
    for (size_t d = 0; d < n; d++)
        keys[d] = (newest_key){b->created[d], m->doc_id[d], (uint32_t)d};
    qsort(keys, n, sizeof *keys, by_newest);
    m->newest = tm_xmalloc((n ? n : 1) * sizeof *m->newest);
    m->newest_rank = tm_xmalloc((n ? n : 1) * sizeof *m->newest_rank);
    for (size_t r = 0; r < n; r++) {
        m->newest[r] = keys[r].doc;
        m->newest_rank[keys[r].doc] = (uint32_t)r;
    }
    free(keys);
    m->by_trl = tm_xmalloc((n ? n : 1) * sizeof *m->by_trl);
    size_t k = 0;
    for (int trl = 9; trl >= 0; trl--)
        for (size_t r = 0; r < n; r++)
            if (m->attr[m->newest[r]].trl == trl) m->by_trl[k++] = m->newest[r];

    /* As FTS5's bm25: avgdl over every row, D over every column. */
    m->avgdl = n ? (double)m->ntokens / (double)n : 0.0;
    m->norm = tm_xmalloc((n ? n : 1) * sizeof *m->norm);
    const double k1 = IDX_MEM_K1, bb = IDX_MEM_B;
    for (size_t d = 0; d < n; d++) {
        int64_t dl = 0;
        for (int c = 0; c < IDX_COL__COUNT; c++)
            dl += m->collen[d * IDX_COL__COUNT + c];
        double D = (double)dl;
        m->norm[d] = m->avgdl > 0 ? k1 * (1 - bb + bb * D / m->avgdl) : k1;
    }

    m->all.inst = tm_xcalloc(m->ninst ? m->ninst : 1, sizeof *m->all.inst);
    for (size_t d = 0; d < n; d++) {
        const idx_mem_attr *a = &m->attr[d];
        if (a->status == IDX_STATUS_WITHDRAWN) continue;
        m->all.field[a->field]++;
        m->all.status[a->status]++;
        m->all.trl[a->trl]++;
        m->all.licence[a->licence]++;
        m->all.inst[a->inst]++;
        m->all.total++;
    }
}

static void finish_terms(builder *b)
{
    idx_mem *m = b->m;
    m->text = (char *)b->text.p;
    b->text.p = NULL;
    m->text_off = b->text_off;
    b->text_off = NULL;
    if (!m->text_off) m->text_off = tm_xcalloc(1, sizeof *m->text_off);
    m->hash = b->hash;
    b->hash = NULL;
    m->hash_mask = b->hcap - 1;
    m->sorted = tm_xmalloc((m->nterms ? m->nterms : 1) * sizeof *m->sorted);
    for (size_t t = 0; t < m->nterms; t++)
        m->sorted[t] = (uint32_t)t;
    qsort_r(m->sorted, m->nterms, sizeof *m->sorted, by_term_bytes, m);
}

static size_t mem_bytes(const idx_mem *m)
{
    size_t n = m->ndocs, t = m->nterms;
    size_t np = t ? (size_t)m->term_post[t] : 0, nb = t ? (size_t)m->term_pos[t] : 0;
    return sizeof *m +
           n * (sizeof *m->doc_id + sizeof *m->attr + sizeof *m->norm +
                IDX_COL__COUNT * sizeof *m->collen + 3 * sizeof(uint32_t)) +
           m->ninst * (sizeof *m->inst_id + 2 * sizeof(uint32_t)) +
           (m->text_off ? m->text_off[t] : 0) +
           t * (sizeof *m->text_off + 2 * sizeof(uint32_t) + 1 + 2 * sizeof(uint64_t)) +
           (m->hash_mask + 1) * sizeof *m->hash + np * 3 * sizeof(uint32_t) + nb +
           idx_mem_grams_bytes(&m->gram2) + idx_mem_grams_bytes(&m->gram3) +
           (m->store_off ? m->store_off[n * IDX_MEM_NSTORE] : 0) +
           (n * IDX_MEM_NSTORE + 1) * sizeof *m->store_off + n;
}

static void builder_free(builder *b)
{
    for (size_t d = 0; d < b->ndocs; d++)
        free(b->created[d]);
    free(b->created);
    free(b->doc_slots);
    free(b->inst_of);
    free(b->text.p);
    free(b->text_off);
    free(b->hash);
    free(b->df);
    free(b->blockbytes);
    free(b->last_doc);
    free(b->slot);
    free(b->slot_term);
    free(b->slot_first);
    free(b->slot_last);
    free(b->occ_next);
    free(b->occ_cp);
    free(b->stream.p);
    free(b->block.p);
    free(b->store.p);
    free(b->store_off);
    free(b->store_null);
}

static int check_weights(idx_mem *m, tm_err *err)
{
    for (int c = 0; c < IDX_COL__COUNT; c++) {
        double w = idx_col_weight[c];
        if (!(w >= 0 && w <= 1000 && floor(w) == w))
            return tm_err_set(err, TM_EINTERNAL, NULL,
                              "the in-memory index needs whole column weights from 0 to 1000");
        m->weight[c] = (uint32_t)w;
    }
    return TM_OK;
}

int idx_mem_build(idx_db *db, idx_mem **out, tm_err *err)
{
    builder b = {0};
    idx_mem *m = tm_xcalloc(1, sizeof *m);
    int code;
    bool in_tx = false;

    *out = NULL;
    b.m = m;
    b.hcap = 1024;
    b.hash = tm_xcalloc(b.hcap, sizeof *b.hash);
    if ((code = check_weights(m, err)) != TM_OK) goto out;
    if ((code = idx_db_begin_read(db, err)) != TM_OK) goto out;
    in_tx = true;
    if ((code = idx_db_catalogue_gen(db, &m->gen, err)) != TM_OK ||
        (code = read_techs(&b, db, err)) != TM_OK || (code = read_insts(&b, db, err)) != TM_OK)
        goto out;
    idx_db_rollback(db);
    in_tx = false;
    free(b.occ_next);
    free(b.occ_cp);
    b.occ_next = b.occ_cp = NULL;
    scatter(&b);
    free(b.stream.p);
    b.stream.p = NULL;
    finish_docs(&b);
    finish_terms(&b);
    /* The store moves into the snapshot, with its end as the last offset. */
    m->store = b.store.p;
    b.store.p = NULL;
    m->store_off =
        tm_xreallocarray(b.store_off, m->ndocs * IDX_MEM_NSTORE + 1, sizeof *m->store_off);
    m->store_off[m->ndocs * IDX_MEM_NSTORE] = b.store.len;
    b.store_off = NULL;
    m->store_null = b.store_null;
    b.store_null = NULL;
    idx_mem_build_grams(m);
    m->bytes = mem_bytes(m);
    *out = m;
    m = NULL;
out:
    if (in_tx) idx_db_rollback(db);
    idx_mem_free(m);
    builder_free(&b);
    return code;
}

void idx_mem_free(idx_mem *m)
{
    if (!m) return;
    free(m->doc_id);
    free(m->attr);
    free(m->store);
    free(m->store_off);
    free(m->store_null);
    free(m->norm);
    free(m->collen);
    free(m->newest);
    free(m->newest_rank);
    free(m->by_trl);
    free(m->inst_id);
    free(m->inst_grp_off);
    free(m->inst_grp);
    for (size_t g = 0; g < m->ngroup; g++)
        free(m->group[g]);
    free(m->group);
    free(m->text);
    free(m->text_off);
    free(m->hash);
    free(m->sorted);
    free(m->term_flags);
    free(m->term_post);
    free(m->term_pos);
    free(m->post_doc);
    free(m->post_wfcm);
    free(m->post_off);
    free(m->pos);
    free(m->all.inst);
    idx_mem_grams_free(&m->gram2);
    idx_mem_grams_free(&m->gram3);
    free(m);
}

int64_t idx_mem_gen(const idx_mem *m)
{
    return m->gen;
}

size_t idx_mem_ndocs(const idx_mem *m)
{
    return m->ndocs;
}

size_t idx_mem_bytes(const idx_mem *m)
{
    return m->bytes;
}
