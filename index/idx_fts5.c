/* idx_fts5: deferred rows and segment copies of technology_fts.
 *
 * FTS5 keeps an index in three tables: %_data (blocks by rowid: the
 * averages record at 1, the structure record at 10, segment pages at rowids
 * that carry their segment id in bits 37 to 52), %_idx (segid, term, pgno:
 * each segment's first term per page) and %_docsize (each row's token
 * counts per column). The records' layouts are those documented in
 * SQLite's fts5_index.c: the structure record is a 4-byte big-endian
 * configuration cookie, then varints: levels, segments, write counter, and
 * per level (newest first) the segments under merge, the segments, and for
 * each segment (oldest first) its id, first and last page. The averages
 * record is varints: rows, then tokens per column. Varints are SQLite's.
 *
 * An import's private index starts from the store's averages record
 * (idx_fts5_copy_totals): FTS5 refuses to take out a row while its totals
 * would go below zero, and an update takes out the row's old entries. Its
 * averages record is then the store's as it will be, and replaces it. */
#include "idx_fts5.h"

#include <stdlib.h>
#include <string.h>

#include "../common/tm_alloc.h"
#include "../common/tm_buf.h"

#define AVERAGES_ROWID 1
#define STRUCTURE_ROWID 10
#define SEGID_SHIFT 37   /* FTS5_DATA_PAGE_B + FTS5_DATA_HEIGHT_B + FTS5_DATA_DLI_B */
#define MAX_SEGMENT 2000 /* FTS5_MAX_SEGMENT: segment ids are 1..2000 */
#define NCOL 9           /* technology_fts's columns */
#define CONSOLIDATE_AT 8 /* segments on level 0 that make an import merge them */
#define BULK_HASHSIZE (64 * 1024 * 1024)
#define FTS_HASHSIZE_DEFAULT (1024 * 1024) /* FTS5_DEFAULT_HASHSIZE */

/* ---- deferred rows ---- */

static int step_done(idx_db *db, sqlite3_stmt *s, tm_err *err)
{
    int rc = sqlite3_step(s);
    int code = rc == SQLITE_DONE ? TM_OK : idx_db_fail(db, rc, err);
    idx_db_stmt_done(s);
    return code;
}

int idx_fts5_config(idx_db *db, const char *name, int value, tm_err *err)
{
    sqlite3_stmt *s = idx_db_stmt(db, IDX_STMT_FTS_CONFIG, err);
    if (!s) return err->code;
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 2, value);
    return step_done(db, s, err);
}

int idx_fts5_defer(idx_db *db, int64_t *mark, tm_err *err)
{
    sqlite3_stmt *s = idx_db_stmt(db, IDX_STMT_BULK_BEGIN, err);
    if (!s) return err->code;
    int rc = sqlite3_step(s);
    int code = TM_OK;
    if (rc == SQLITE_ROW)
        *mark = sqlite3_column_int64(s, 0);
    else
        code = idx_db_fail(db, rc == SQLITE_DONE ? SQLITE_CORRUPT : rc, err);
    idx_db_stmt_done(s);
    return code;
}

/* FTS5 writes its pending terms out as a new segment whenever they pass
 * "hashsize" bytes (1 MiB by default), and merges segments as they pile up:
 * at 1 MiB a 100k import made 14 segments and merged them again and again.
 * The one statement runs with BULK_HASHSIZE instead (memory bounded by it,
 * a few segments), and the default is set back. The setting is stored in
 * technology_fts_config, so a rollback undoes it too. (The same holds for a rebuild.) */
int idx_fts5_index_deferred(idx_db *db, int64_t *n, tm_err *err)
{
    int code = idx_fts5_config(db, "hashsize", BULK_HASHSIZE, err);
    if (code != TM_OK) return code;
    sqlite3_stmt *s = idx_db_stmt(db, IDX_STMT_BULK_FTS, err);
    if (!s) return err->code;
    if ((code = step_done(db, s, err)) != TM_OK) return code;
    *n = sqlite3_changes(db->h);
    return idx_fts5_config(db, "hashsize", FTS_HASHSIZE_DEFAULT, err);
}

int idx_fts5_rebuild(idx_db *db, tm_err *err)
{
    int code = idx_fts5_config(db, "hashsize", BULK_HASHSIZE, err);
    if (code != TM_OK) return code;
    sqlite3_stmt *s = idx_db_stmt(db, IDX_STMT_FTS_REBUILD, err);
    if (!s) return err->code;
    if ((code = step_done(db, s, err)) != TM_OK) return code;
    return idx_fts5_config(db, "hashsize", FTS_HASHSIZE_DEFAULT, err);
}

int idx_fts5_end_deferred(idx_db *db, int64_t n, tm_err *err)
{
    sqlite3_stmt *s = idx_db_stmt(db, IDX_STMT_BULK_END, err);
    if (!s) return err->code;
    sqlite3_bind_int64(s, 1, n); /* the insert trigger's generation bump, once */
    return step_done(db, s, err);
}

/* ---- records ---- */

typedef struct {
    uint32_t segid, first, last;
} fts_seg;

typedef struct {
    uint32_t nmerge;
    size_t nseg;
    fts_seg *seg;
} fts_level;

typedef struct {
    uint32_t cookie;
    uint64_t writes;
    size_t nlevel, nseg;
    fts_level *lv; /* lv[0] is the newest level */
} fts_struct;

/* SQLite's varint: big-endian 7-bit groups, the 9th byte whole. */
static bool get_varint(const unsigned char **p, const unsigned char *end, uint64_t *v)
{
    uint64_t x = 0;
    for (int i = 0; i < 8; i++) {
        if (*p >= end) return false;
        unsigned char c = *(*p)++;
        x = (x << 7) | (c & 0x7f);
        if (!(c & 0x80)) {
            *v = x;
            return true;
        }
    }
    if (*p >= end) return false;
    *v = (x << 8) | *(*p)++;
    return true;
}

static bool get_u32(const unsigned char **p, const unsigned char *end, uint32_t *v)
{
    uint64_t x;
    if (!get_varint(p, end, &x) || x > INT32_MAX) return false;
    *v = (uint32_t)x;
    return true;
}

static void put_varint(tm_buf *b, uint64_t v)
{
    unsigned char out[9];
    if (v > UINT64_C(0x00ffffffffffffff)) {
        out[8] = (unsigned char)v;
        v >>= 8;
        for (int i = 7; i >= 0; i--, v >>= 7)
            out[i] = (unsigned char)((v & 0x7f) | 0x80);
        tm_buf_append(b, out, 9);
        return;
    }
    unsigned char rev[9];
    int n = 0;
    do {
        rev[n++] = (unsigned char)((v & 0x7f) | 0x80);
        v >>= 7;
    } while (v);
    rev[0] &= 0x7f; /* the last byte out has no continuation bit */
    for (int i = 0; i < n; i++)
        out[i] = rev[n - 1 - i];
    tm_buf_append(b, out, (size_t)n);
}

static void struct_free(fts_struct *s)
{
    for (size_t i = 0; i < s->nlevel; i++)
        free(s->lv[i].seg);
    free(s->lv);
    memset(s, 0, sizeof *s);
}

/* Decodes the whole record or fails: nothing may be left over. */
static bool struct_parse(const unsigned char *p, size_t n, fts_struct *s)
{
    const unsigned char *end = p + n;
    uint32_t nlevel, nseg;
    memset(s, 0, sizeof *s);
    if (n < 4) return false;
    s->cookie = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    p += 4;
    if (!get_u32(&p, end, &nlevel) || !get_u32(&p, end, &nseg) ||
        !get_varint(&p, end, &s->writes) || nlevel > MAX_SEGMENT || nseg > MAX_SEGMENT)
        return false;
    s->lv = tm_xcalloc(nlevel ? nlevel : 1, sizeof *s->lv);
    s->nlevel = nlevel;
    size_t total = 0;
    for (size_t l = 0; l < nlevel; l++) {
        fts_level *lv = &s->lv[l];
        uint32_t k;
        if (!get_u32(&p, end, &lv->nmerge) || !get_u32(&p, end, &k) || lv->nmerge > k ||
            k > nseg - total)
            goto bad;
        lv->seg = tm_xcalloc(k ? k : 1, sizeof *lv->seg);
        lv->nseg = k;
        total += k;
        for (size_t i = 0; i < k; i++) {
            fts_seg *g = &lv->seg[i];
            if (!get_u32(&p, end, &g->segid) || !get_u32(&p, end, &g->first) ||
                !get_u32(&p, end, &g->last) || g->segid < 1 || g->segid > MAX_SEGMENT ||
                g->last < g->first)
                goto bad;
        }
    }
    s->nseg = total;
    if (total == nseg && p == end) return true;
bad:
    struct_free(s);
    return false;
}

static void struct_write(const fts_struct *s, tm_buf *b)
{
    unsigned char c[4] = {(unsigned char)(s->cookie >> 24), (unsigned char)(s->cookie >> 16),
                          (unsigned char)(s->cookie >> 8), (unsigned char)s->cookie};
    tm_buf_append(b, c, 4);
    put_varint(b, s->nlevel);
    put_varint(b, s->nseg);
    put_varint(b, s->writes);
    for (size_t l = 0; l < s->nlevel; l++) {
        put_varint(b, s->lv[l].nmerge);
        put_varint(b, s->lv[l].nseg);
        for (size_t i = 0; i < s->lv[l].nseg; i++) {
            put_varint(b, s->lv[l].seg[i].segid);
            put_varint(b, s->lv[l].seg[i].first);
            put_varint(b, s->lv[l].seg[i].last);
        }
    }
}

/* Rows, then tokens per column; an empty record (a new index) is zeros. */
static bool averages_parse(const unsigned char *p, size_t n, uint64_t v[1 + NCOL])
{
    const unsigned char *end = p + n;
    memset(v, 0, (1 + NCOL) * sizeof *v);
    if (!n) return true;
    for (int i = 0; i < 1 + NCOL; i++)
        if (!get_varint(&p, end, &v[i])) return false;
    return p == end;
}

/* Block rowid of db into *out (a copy); false when there is none. */
static int read_block(idx_db *db, int64_t rowid, tm_buf *out, bool *found, tm_err *err)
{
    sqlite3_stmt *s = idx_db_stmt(db, IDX_STMT_FTS_DATA_GET, err);
    if (!s) return err->code;
    sqlite3_bind_int64(s, 1, rowid);
    int rc = sqlite3_step(s);
    int code = TM_OK;
    tm_buf_reset(out);
    *found = rc == SQLITE_ROW;
    if (rc == SQLITE_ROW)
        tm_buf_append(out, sqlite3_column_blob(s, 0), (size_t)sqlite3_column_bytes(s, 0));
    else if (rc != SQLITE_DONE)
        code = idx_db_fail(db, rc, err);
    idx_db_stmt_done(s);
    return code;
}

static int write_block(idx_db *db, int64_t rowid, const tm_buf *b, bool *odd, tm_err *err)
{
    sqlite3_stmt *s = idx_db_stmt(db, IDX_STMT_FTS_DATA_SET, err);
    if (!s) return err->code;
    sqlite3_bind_int64(s, 1, rowid);
    sqlite3_bind_blob(s, 2, b->len ? b->p : "", (int)b->len, SQLITE_STATIC);
    int code = step_done(db, s, err);
    if (code == TM_OK && sqlite3_changes(db->h) != 1) *odd = true;
    return code;
}

/* The structure record of db, decoded, and its averages record as it is
 * (checked). */
static int read_records(idx_db *db, fts_struct *st, tm_buf *avg, bool *odd, tm_err *err)
{
    tm_buf b = {0};
    bool found = false;
    uint64_t v[1 + NCOL];
    int code = read_block(db, STRUCTURE_ROWID, &b, &found, err);
    if (code == TM_OK && (!found || !struct_parse((const unsigned char *)b.p, b.len, st)))
        *odd = true;
    if (code == TM_OK && !*odd) {
        code = read_block(db, AVERAGES_ROWID, avg, &found, err);
        if (code == TM_OK &&
            (!found || !averages_parse((const unsigned char *)avg->p, avg->len, v)))
            *odd = true;
    }
    tm_buf_free(&b);
    return code;
}

int idx_fts5_copy_totals(idx_db *from, idx_db *to, tm_buf *copy, tm_err *err)
{
    bool found = false, odd = false;
    int code = read_block(from, AVERAGES_ROWID, copy, &found, err);
    if (code == TM_OK && found) code = write_block(to, AVERAGES_ROWID, copy, &odd, err);
    if (code == TM_OK && (!found || odd))
        code = tm_err_set(err, TM_EINTERNAL, NULL, "technology_fts has no averages record");
    return code;
}

/* ---- the copy ---- */

typedef struct {
    size_t n;
    uint32_t from[MAX_SEGMENT], to[MAX_SEGMENT];
} seg_map;

static uint32_t map_segid(const seg_map *m, uint64_t segid)
{
    for (size_t i = 0; i < m->n; i++)
        if (m->from[i] == segid) return m->to[i];
    return 0;
}

/* Every row of src's statement `from` goes to db's `to`, its first column
 * (a segment id, or a page rowid when shift is SEGID_SHIFT) renumbered by
 * m, or kept when m is NULL; the other columns as they are. */
static int copy_rows(idx_db *db, idx_db *src, idx_stmt from, idx_stmt to, int ncols,
                     const seg_map *m, int shift, bool *odd, tm_err *err)
{
    sqlite3_stmt *r = idx_db_stmt(src, from, err);
    if (!r) return err->code;
    if (from == IDX_STMT_FTS_DATA_PAGES) sqlite3_bind_int64(r, 1, (int64_t)1 << SEGID_SHIFT);
    int code = TM_OK, rc = SQLITE_DONE;
    while (code == TM_OK && !*odd && (rc = sqlite3_step(r)) == SQLITE_ROW) {
        int64_t key = sqlite3_column_int64(r, 0);
        if (m) {
            uint64_t segid = (uint64_t)key >> shift;
            uint32_t to_id = map_segid(m, segid);
            if (key < 0 || !to_id) {
                *odd = true;
                break;
            }
            key += ((int64_t)to_id - (int64_t)segid) * ((int64_t)1 << shift);
        }
        sqlite3_stmt *w = idx_db_stmt(db, to, err);
        if (!w) {
            code = err->code;
            break;
        }
        sqlite3_bind_int64(w, 1, key);
        for (int i = 1; i < ncols; i++)
            sqlite3_bind_value(w, i + 1, sqlite3_column_value(r, i));
        rc = sqlite3_step(w);
        idx_db_stmt_done(w);
        if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE)
            *odd = true; /* a block or row already there: not an index this expects */
        else if (rc != SQLITE_DONE)
            code = idx_db_fail(db, rc, err);
    }
    if (code == TM_OK && !*odd && rc != SQLITE_DONE) code = idx_db_fail(src, rc, err);
    idx_db_stmt_done(r);
    return code;
}

/* Appends src's segments to dst's level 0, oldest first (src's deepest
 * level first), as FTS5's own flush adds a segment: newest of all, as FTS5
 * requires of entries written after the others (src's delete entries for an
 * updated row must win over the row's old entries in dst), and where FTS5's
 * merges will find them (it only merges segments of one level, so levels of
 * their own would never be merged again). src's segments take free ids,
 * recorded in m. */
static void append_segments(fts_struct *dst, const fts_struct *src, seg_map *m)
{
    bool used[MAX_SEGMENT + 1] = {false};
    for (size_t l = 0; l < dst->nlevel; l++)
        for (size_t i = 0; i < dst->lv[l].nseg; i++)
            used[dst->lv[l].seg[i].segid] = true;
    if (!dst->nlevel) { /* struct_parse left room for one level */
        memset(dst->lv, 0, sizeof *dst->lv);
        dst->nlevel = 1;
    }
    fts_level *l0 = &dst->lv[0];
    l0->seg = tm_xreallocarray(l0->seg, l0->nseg + src->nseg + 1, sizeof *l0->seg);
    uint32_t next = 1;
    m->n = 0;
    for (size_t l = src->nlevel; l-- > 0;) {
        for (size_t i = 0; i < src->lv[l].nseg; i++) {
            while (used[next])
                next++;
            used[next] = true;
            fts_seg g = src->lv[l].seg[i];
            m->from[m->n] = g.segid;
            m->to[m->n++] = next;
            g.segid = next;
            l0->seg[l0->nseg++] = g;
        }
    }
    dst->nseg += src->nseg;
    dst->writes += src->writes;
}

/* Makes db's FTS5 forget what it caches of its index (the structure
 * record, the totals): they are about to change under it. It caches them
 * per connection and reloads only when another connection commits; a
 * rollback to a savepoint drops them. Writing an option first makes FTS5 a
 * part of the transaction, so that the rollback reaches it. */
static int fts5_forget(idx_db *db, tm_err *err)
{
    int code = idx_fts5_config(db, "hashsize", FTS_HASHSIZE_DEFAULT, err);
    if (code != TM_OK) return code;
    if ((code = idx_db_savepoint(db, err)) != TM_OK) return code;
    idx_db_rollback_to(db);
    return TM_OK;
}

/* Merges src into db; *l0_pages is then the number of pages of db's level
 * 0 when it holds CONSOLIDATE_AT segments or more, else 0. */
static int merge_into(idx_db *db, idx_db *src, const fts_struct *sst, const tm_buf *savg,
                      const tm_buf *totals, int64_t *l0_pages, bool *odd, tm_err *err)
{
    fts_struct dst = {0};
    seg_map *m = tm_xcalloc(1, sizeof *m);
    tm_buf b = {0};
    int code = read_records(db, &dst, &b, odd, err);
    if (code != TM_OK || *odd) goto out;
    /* src's totals started from these: they must not have moved since. */
    if (b.len != totals->len || (b.len && memcmp(b.p, totals->p, b.len) != 0)) {
        *odd = true;
        goto out;
    }
    if (dst.nseg + sst->nseg > MAX_SEGMENT) {
        *odd = true;
        goto out;
    }
    append_segments(&dst, sst, m);
    *l0_pages = 0;
    if (dst.lv[0].nseg >= CONSOLIDATE_AT)
        for (size_t i = 0; i < dst.lv[0].nseg; i++)
            *l0_pages += (int64_t)dst.lv[0].seg[i].last - dst.lv[0].seg[i].first + 1;
    code = copy_rows(db, src, IDX_STMT_FTS_DATA_PAGES, IDX_STMT_FTS_DATA_ADD, 2, m, SEGID_SHIFT,
                     odd, err);
    if (code == TM_OK && !*odd)
        code = copy_rows(db, src, IDX_STMT_FTS_IDX_ALL, IDX_STMT_FTS_IDX_ADD, 3, m, 0, odd, err);
    if (code == TM_OK && !*odd)
        code = copy_rows(db, src, IDX_STMT_FTS_DOCSIZE_ALL, IDX_STMT_FTS_DOCSIZE_PUT, 2, NULL, 0,
                         odd, err);
    if (code != TM_OK || *odd) goto out;
    tm_buf_reset(&b);
    struct_write(&dst, &b);
    if ((code = write_block(db, STRUCTURE_ROWID, &b, odd, err)) != TM_OK || *odd) goto out;
    code = write_block(db, AVERAGES_ROWID, savg, odd, err);
out:
    tm_buf_free(&b);
    free(m);
    struct_free(&dst);
    return code;
}

int idx_fts5_merge(idx_db *db, idx_db *src, const tm_buf *totals, int *merged, tm_err *err)
{
    fts_struct sst = {0};
    tm_buf savg = {0};
    bool odd = false;
    *merged = -1;
    int code = read_records(src, &sst, &savg, &odd, err);
    /* src never merges (a merge FTS5 believes takes in the oldest data
     * drops delete entries, and src's are for db's rows): a level past 0
     * means one happened. */
    if (code == TM_OK && sst.nlevel > 1) odd = true;
    for (size_t l = 0; code == TM_OK && !odd && l < sst.nlevel; l++)
        if (sst.lv[l].nmerge) odd = true; /* a merge half done: its pages are in flux */
    if (code != TM_OK || odd) goto out;
    if ((code = fts5_forget(db, err)) != TM_OK) goto out;
    /* All of the copy or none of it. */
    if ((code = idx_db_savepoint(db, err)) != TM_OK) goto out;
    int64_t l0_pages = 0;
    code = merge_into(db, src, &sst, &savg, totals, &l0_pages, &odd, err);
    if (code != TM_OK || odd) {
        idx_db_rollback_to(db);
        goto out;
    }
    if ((code = idx_db_release(db, err)) != TM_OK) goto out;
    *merged = (int)sst.nseg;
    /* FTS5 merges a level all at once, inside whatever write adds a segment
     * to a level of 16 ("crisismerge"): a listing edit would wait for the
     * whole level. Before level 0 gets there, the import merges it itself
     * (FTS5's 'merge' command, as many pages as the level holds; it reads
     * the structure just written, its cache being dropped). */
    if (l0_pages > 0) {
        sqlite3_stmt *s = idx_db_stmt(db, IDX_STMT_FTS_MERGE, err);
        if (!s) {
            code = err->code;
            goto out;
        }
        sqlite3_bind_int64(s, 1, l0_pages);
        code = step_done(db, s, err);
    }
out:
    tm_buf_free(&savg);
    struct_free(&sst);
    return code;
}
