#include "idx_tech.h"

#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/tm_alloc.h"
#include "../common/tm_buf.h"
#include "../common/tm_log.h"
#include "idx_bulk.h"
#include "idx_enum.h"
#include "idx_inst.h"

void idx_strv_push(idx_strv *v, const char *s)
{
    v->v = tm_xreallocarray(v->v, v->n + 1, sizeof *v->v);
    v->v[v->n++] = tm_xstrdup(s);
}

void idx_strv_clear(idx_strv *v)
{
    for (size_t i = 0; i < v->n; i++)
        free(v->v[i]);
    free(v->v);
    v->v = NULL;
    v->n = 0;
}

void idx_tech_init(idx_tech *t)
{
    memset(t, 0, sizeof *t);
    t->field = -1;
    t->status = IDX_STATUS_AVAILABLE;
}

static void patent_clear(idx_patent *p)
{
    free(p->number);
    free(p->country);
    free(p->kind);
    free(p->status);
    free(p->filed);
    free(p->registered);
    free(p->registration_number);
}

void idx_tech_clear(idx_tech *t)
{
    if (!t) return;
    free(t->external_id);
    free(t->title);
    free(t->title_en);
    free(t->summary);
    free(t->description);
    idx_strv_clear(&t->keywords);
    idx_strv_clear(&t->ipc);
    free(t->asking);
    free(t->institution);
    idx_strv_clear(&t->inventors);
    free(t->contact);
    for (size_t i = 0; i < t->npatents; i++)
        patent_clear(&t->patents[i]);
    free(t->patents);
    free(t->created_at);
    free(t->updated_at);
    idx_tech_init(t);
}

/* Lists are stored as their entries joined by newlines (entries never hold
 * one), which FTS5 indexes as plain text and snippets show readably. */
static void strv_join(const idx_strv *v, tm_buf *out)
{
    tm_buf_reset(out);
    for (size_t i = 0; i < v->n; i++) {
        if (i) tm_buf_putc(out, '\n');
        tm_buf_puts(out, v->v[i]);
    }
}

static void strv_split(const char *s, idx_strv *v)
{
    while (s && *s) {
        const char *nl = strchr(s, '\n');
        size_t n = nl ? (size_t)(nl - s) : strlen(s);
        char *e = tm_xstrndup(s, n);
        v->v = tm_xreallocarray(v->v, v->n + 1, sizeof *v->v);
        v->v[v->n++] = e;
        s = nl ? nl + 1 : s + n;
    }
}

static void licence_join(unsigned mask, tm_buf *out)
{
    tm_buf_reset(out);
    for (int i = 0; i < IDX_LICENCE__COUNT; i++) {
        if (!(mask & (1u << i))) continue;
        if (out->len) tm_buf_putc(out, '\n');
        tm_buf_puts(out, idx_licence_name(i));
    }
}

static unsigned licence_parse_list(const char *s)
{
    unsigned mask = 0;
    idx_strv v = {0};
    strv_split(s, &v);
    for (size_t i = 0; i < v.n; i++) {
        int l = idx_licence_parse(v.v[i]);
        if (l >= 0) mask |= 1u << l;
    }
    idx_strv_clear(&v);
    return mask;
}

/* The digits of a patent number: its identity whatever the punctuation. */
static void number_key(const char *number, tm_buf *out)
{
    tm_buf_reset(out);
    for (const char *p = number; p && *p; p++)
        if (isdigit((unsigned char)*p)) tm_buf_putc(out, *p);
}

/* Hash of everything a record says, to tell an unchanged re-import from an
 * update without comparing field by field. Fields are length-prefixed so no
 * two records serialize alike. The serialization goes to a sink as it is
 * made: BLAKE2b for the stored hash (byte for byte what it always was:
 * stored hashes must keep matching), a cheap 64-bit hash for callers that
 * only compare records within one run (idx_tech_body_hash64). */
typedef struct ser_sink {
    void (*put)(struct ser_sink *k, const void *p, size_t n);
} ser_sink;

typedef struct {
    ser_sink k;
    crypto_generichash_state st;
} blake_sink;

static void blake_put(ser_sink *k, const void *p, size_t n)
{
    crypto_generichash_update(&((blake_sink *)k)->st, (const unsigned char *)p, n);
}

/* Each chunk folded in eight bytes at a time: chunk boundaries follow the
 * fields, so equal records give equal chunk sequences. */
typedef struct {
    ser_sink k;
    uint64_t h;
} fast_sink;

#define FAST_MUL 0x9e3779b97f4a7c15u

static uint64_t fast_mix(uint64_t h, uint64_t w)
{
    h = (h ^ w) * FAST_MUL;
    return h ^ (h >> 29);
}

static void fast_put(ser_sink *k, const void *data, size_t n)
{
    fast_sink *f = (fast_sink *)k;
    const unsigned char *p = data;
    uint64_t h = fast_mix(f->h, n);
    for (; n >= 8; p += 8, n -= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = fast_mix(h, w);
    }
    if (n) {
        uint64_t w = 0;
        memcpy(&w, p, n);
        h = fast_mix(h, w);
    }
    f->h = h;
}

/* lead (unless 0), n in decimal, tail (unless 0): "%c%zu%c" without printf. */
static void ser_num(ser_sink *k, char lead, size_t n, char tail)
{
    char d[24];
    size_t i = sizeof d;
    if (tail) d[--i] = tail;
    do {
        d[--i] = (char)('0' + n % 10);
        n /= 10;
    } while (n);
    if (lead) d[--i] = lead;
    k->put(k, d + i, sizeof d - i);
}

static void ser_str(ser_sink *k, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    ser_num(k, 0, s ? n : (size_t)-1, ':');
    if (s) k->put(k, s, n);
}

static void ser_strv(ser_sink *k, const idx_strv *v)
{
    ser_num(k, '[', v->n, 0);
    for (size_t i = 0; i < v->n; i++)
        ser_str(k, v->v[i]);
}

/* v in decimal ("%lld") and a '|' at p; returns the bytes written (<= 21). */
static size_t put_field(char *p, long long v)
{
    char d[20];
    size_t i = sizeof d, n = 0;
    unsigned long long m = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do {
        d[--i] = (char)('0' + m % 10);
        m /= 10;
    } while (m);
    if (v < 0) p[n++] = '-';
    memcpy(p + n, d + i, sizeof d - i);
    n += sizeof d - i;
    p[n++] = '|';
    return n;
}

static void serialize(const idx_tech *t, int64_t inst_id, ser_sink *k)
{
    char head[3 + 5 * 21]; /* "v1|%lld|%d|%d|%u|%d|", without printf's cost */
    size_t n = 3;
    memcpy(head, "v1|", 3);
    n += put_field(head + n, (long long)inst_id);
    n += put_field(head + n, t->field);
    n += put_field(head + n, t->trl);
    n += put_field(head + n, (long long)t->licence);
    n += put_field(head + n, t->status);
    k->put(k, head, n);
    ser_str(k, t->external_id);
    ser_str(k, t->title);
    ser_str(k, t->title_en);
    ser_str(k, t->summary);
    ser_str(k, t->description);
    ser_strv(k, &t->keywords);
    ser_strv(k, &t->ipc);
    ser_str(k, t->asking);
    ser_strv(k, &t->inventors);
    ser_str(k, t->contact);
    ser_num(k, 'p', t->npatents, 0);
    for (size_t i = 0; i < t->npatents; i++) {
        const idx_patent *p = &t->patents[i];
        ser_str(k, p->number);
        ser_str(k, p->country);
        ser_str(k, p->kind);
        ser_str(k, p->status);
        ser_str(k, p->filed);
        ser_str(k, p->registered);
        ser_str(k, p->registration_number);
    }
}

void idx_tech_content_hash(const idx_tech *t, int64_t inst_id, unsigned char out[16])
{
    blake_sink b = {.k.put = blake_put};
    crypto_generichash_init(&b.st, NULL, 0, 16);
    serialize(t, inst_id, &b.k);
    crypto_generichash_final(&b.st, out, 16);
}

uint64_t idx_tech_body_hash64(const idx_tech *t)
{
    fast_sink f = {.k.put = fast_put, .h = 0x243f6a8885a308d3u};
    serialize(t, 0, &f.k);
    return f.h ^ (f.h >> 32);
}

static int bind_text(sqlite3_stmt *s, int i, const char *v)
{
    return v ? sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC) : sqlite3_bind_null(s, i);
}

static int bind_buf(sqlite3_stmt *s, int i, const tm_buf *b)
{
    return b->len ? sqlite3_bind_text(s, i, b->p, (int)b->len, SQLITE_STATIC)
                  : sqlite3_bind_null(s, i);
}

/* Runs a statement expected to return no row. */
static int step_done(idx_db *db, sqlite3_stmt *s, tm_err *err)
{
    int rc = sqlite3_step(s);
    int code = rc == SQLITE_DONE ? TM_OK : idx_db_fail(db, rc, err);
    idx_db_stmt_done(s);
    return code;
}

/* Finds the stored technology t is a new version of: *id 0 when none. */
static int find_existing(idx_db *db, const idx_tech *t, int64_t inst_id, int64_t *id,
                         unsigned char hash[16], int *has_hash, tm_err *err)
{
    sqlite3_stmt *s;
    tm_buf key = {0};
    *id = 0;
    *has_hash = 0;
    if (t->external_id) {
        if (!(s = idx_db_stmt(db, IDX_STMT_TECH_BY_EXT, err))) return err->code;
        sqlite3_bind_text(s, 1, t->external_id, -1, SQLITE_STATIC);
    } else if (t->npatents && t->patents[0].number) {
        number_key(t->patents[0].number, &key);
        if (!key.len) {
            tm_buf_free(&key);
            return TM_OK;
        }
        if (!(s = idx_db_stmt(db, IDX_STMT_TECH_BY_PATENT, err))) {
            tm_buf_free(&key);
            return err->code;
        }
        sqlite3_bind_int64(s, 1, inst_id);
        sqlite3_bind_text(s, 2, key.p, (int)key.len, SQLITE_STATIC);
    } else {
        return TM_OK;
    }
    int rc = sqlite3_step(s);
    int code = TM_OK;
    if (rc == SQLITE_ROW) {
        *id = sqlite3_column_int64(s, 0);
        if (sqlite3_column_bytes(s, 1) == 16) {
            memcpy(hash, sqlite3_column_blob(s, 1), 16);
            *has_hash = 1;
        }
    } else if (rc != SQLITE_DONE) {
        code = idx_db_fail(db, rc, err);
    }
    idx_db_stmt_done(s);
    tm_buf_free(&key);
    return code;
}

/* "name\nname_en" of an institution: the index's institution column. */
static int inst_names(idx_db *db, int64_t inst_id, tm_buf *out, tm_err *err)
{
    sqlite3_stmt *s = idx_db_stmt(db, IDX_STMT_INST_GET, err);
    if (!s) return err->code;
    sqlite3_bind_int64(s, 1, inst_id);
    int rc = sqlite3_step(s);
    int code = TM_OK;
    tm_buf_reset(out);
    if (rc == SQLITE_ROW) {
        tm_buf_puts(out, (const char *)sqlite3_column_text(s, 1));
        if (sqlite3_column_type(s, 2) != SQLITE_NULL) {
            tm_buf_putc(out, '\n');
            tm_buf_puts(out, (const char *)sqlite3_column_text(s, 2));
        }
    } else if (rc == SQLITE_DONE) {
        code = tm_err_set(err, TM_EINVAL, "institution", "unknown institution id %lld",
                          (long long)inst_id);
    } else {
        code = idx_db_fail(db, rc, err);
    }
    idx_db_stmt_done(s);
    return code;
}

static int resolve_institution(idx_db *db, const idx_tech *t, int64_t *inst_id, bool *created,
                               tm_err *err)
{
    *created = false;
    *inst_id = t->institution_id;
    if (*inst_id) return TM_OK;
    if (!t->institution || !*t->institution)
        return tm_err_set(err, TM_EINVAL, "institution", "is required");
    int code = idx_inst_find(db, t->institution, inst_id, err);
    if (code != TM_OK || *inst_id) return code;
    idx_inst in = {.name = t->institution, .kind = IDX_KIND_OTHER};
    int was_created = 0;
    code = idx_inst_upsert(db, &in, inst_id, &was_created, err);
    *created = was_created != 0;
    return code;
}

/* Writes t's patents as technology id's; a new row has none to clear
 * (deleting a technology deletes its patents: ON DELETE CASCADE). */
static int write_patents(idx_db *db, int64_t id, bool is_new, const idx_tech *t, tm_err *err)
{
    sqlite3_stmt *s;
    int code = TM_OK;
    if (!is_new) {
        if (!(s = idx_db_stmt(db, IDX_STMT_PATENT_CLEAR, err))) return err->code;
        sqlite3_bind_int64(s, 1, id);
        code = step_done(db, s, err);
    }
    tm_buf key = {0};
    for (size_t i = 0; code == TM_OK && i < t->npatents; i++) {
        const idx_patent *p = &t->patents[i];
        if (!(s = idx_db_stmt(db, IDX_STMT_PATENT_INSERT, err))) {
            code = err->code;
            break;
        }
        number_key(p->number, &key);
        sqlite3_bind_int64(s, 1, id);
        sqlite3_bind_int64(s, 2, (sqlite3_int64)i);
        bind_text(s, 3, p->number);
        bind_buf(s, 4, &key);
        bind_text(s, 5, p->country);
        bind_text(s, 6, p->kind);
        bind_text(s, 7, p->status);
        bind_text(s, 8, p->filed);
        bind_text(s, 9, p->registered);
        bind_text(s, 10, p->registration_number);
        code = step_done(db, s, err);
    }
    tm_buf_free(&key);
    return code;
}

/* Writes t as technology id of institution inst_id: a new row when id is 0,
 * else an update, only at version expect when expect is not 0 (TM_ESTALE
 * otherwise); then its patents. *out_id is the row's id. */
static int tech_write(idx_db *db, const idx_tech *t, int64_t inst_id, int64_t id, int64_t expect,
                      const unsigned char hash[16], int64_t *out_id, tm_err *err)
{
    tm_buf kw = {0}, ipc = {0}, lic = {0}, inv = {0}, names = {0}, nums = {0};
    char now[21];
    int code;
    idx_stmt which =
        !id ? IDX_STMT_TECH_INSERT : (expect ? IDX_STMT_TECH_UPDATE_IF : IDX_STMT_TECH_UPDATE);

    if ((code = inst_names(db, inst_id, &names, err)) != TM_OK) goto out;
    strv_join(&t->keywords, &kw);
    strv_join(&t->ipc, &ipc);
    strv_join(&t->inventors, &inv);
    licence_join(t->licence, &lic);
    for (size_t i = 0; i < t->npatents; i++) {
        const char *pn[2] = {t->patents[i].number, t->patents[i].registration_number};
        for (int k = 0; k < 2; k++) {
            if (!pn[k] || !*pn[k]) continue;
            if (nums.len) tm_buf_putc(&nums, '\n');
            tm_buf_puts(&nums, pn[k]);
        }
    }
    tm_time_iso(now);

    sqlite3_stmt *s = idx_db_stmt(db, which, err);
    if (!s) {
        code = err->code;
        goto out;
    }
    /* In bulk mode the row's old entries go out through idx_bulk. */
    if (id && idx_bulk_on(db) && (code = idx_bulk_forget(db, id, err)) != TM_OK) {
        idx_db_stmt_done(s);
        goto out;
    }
    sqlite3_bind_int64(s, 1, inst_id);
    bind_text(s, 2, t->external_id);
    bind_text(s, 3, t->title);
    bind_text(s, 4, t->title_en);
    bind_text(s, 5, t->summary);
    bind_text(s, 6, t->description);
    bind_buf(s, 7, &kw);
    bind_text(s, 8, idx_field_name(t->field));
    bind_buf(s, 9, &ipc);
    if (t->trl >= 1 && t->trl <= 9)
        sqlite3_bind_int(s, 10, t->trl);
    else
        sqlite3_bind_null(s, 10);
    bind_buf(s, 11, &lic);
    bind_text(s, 12, t->asking);
    bind_text(s, 13, idx_status_name(t->status) ? idx_status_name(t->status) : "available");
    bind_buf(s, 14, &inv);
    bind_text(s, 15, t->contact);
    bind_buf(s, 16, &names);
    bind_buf(s, 17, &nums);
    sqlite3_bind_blob(s, 18, hash, 16, SQLITE_STATIC);
    sqlite3_bind_text(s, 19, now, -1, SQLITE_STATIC);
    if (id) sqlite3_bind_int64(s, 20, id);
    if (expect) sqlite3_bind_int64(s, 21, expect);
    if ((code = step_done(db, s, err)) != TM_OK) goto out;
    if (!id) {
        id = sqlite3_last_insert_rowid(db->h);
    } else if (expect && sqlite3_changes(db->h) == 0) {
        code = tm_err_set(err, TM_ESTALE, "If-Match", "technology %lld is not at version %lld",
                          (long long)id, (long long)expect);
        goto out;
    }
    *out_id = id;
    if (idx_bulk_on(db)) {
        /* The values just bound, in technology_fts's column order. */
        const char *v[IDX_BULK_NCOL] = {t->title, t->title_en, kw.p,  t->summary, t->description,
                                        names.p,  inv.p,       ipc.p, nums.p};
        size_t n[IDX_BULK_NCOL] = {0, 0, kw.len, 0, 0, names.len, inv.len, ipc.len, nums.len};
        for (int i = 0; i < IDX_BULK_NCOL; i++) {
            if (i == 0 || i == 1 || i == 3 || i == 4)
                n[i] = v[i] ? strlen(v[i]) : 0;
            else if (!n[i])
                v[i] = NULL; /* bind_buf binds an empty list as NULL */
        }
        idx_bulk_row(db, id, v, n);
    }
    code = write_patents(db, id, which == IDX_STMT_TECH_INSERT, t, err);
out:
    tm_buf_free(&kw);
    tm_buf_free(&ipc);
    tm_buf_free(&lic);
    tm_buf_free(&inv);
    tm_buf_free(&names);
    tm_buf_free(&nums);
    return code;
}

static int tech_diff(idx_db *db, int64_t id, const idx_tech *t, int64_t inst_id, unsigned *changed,
                     tm_err *err);

/* idx_tech_upsert, and with diff its res->changed. */
static int upsert(idx_db *db, const idx_tech *t, bool diff, idx_upsert_res *res, tm_err *err)
{
    int64_t inst_id = 0, id = 0;
    unsigned char hash[16], old_hash[16];
    int has_old = 0;
    bool created = false;
    int code;

    memset(res, 0, sizeof *res);
    if ((code = resolve_institution(db, t, &inst_id, &created, err)) != TM_OK) return code;
    res->institution_created = created;
    if ((code = find_existing(db, t, inst_id, &id, old_hash, &has_old, err)) != TM_OK) return code;
    idx_tech_content_hash(t, inst_id, hash);
    if (id && has_old && memcmp(hash, old_hash, 16) == 0) {
        res->kind = IDX_UPSERT_UNCHANGED;
        res->id = id;
        return TM_OK;
    }
    res->kind = id ? IDX_UPSERT_UPDATED : IDX_UPSERT_ADDED;
    if (id && diff && (code = tech_diff(db, id, t, inst_id, &res->changed, err)) != TM_OK)
        return code;
    return tech_write(db, t, inst_id, id, 0, hash, &res->id, err);
}

int idx_tech_upsert(idx_db *db, const idx_tech *t, idx_upsert_res *res, tm_err *err)
{
    return upsert(db, t, false, res, err);
}

int idx_tech_upsert_diff(idx_db *db, const idx_tech *t, idx_upsert_res *res, tm_err *err)
{
    return upsert(db, t, true, res, err);
}

int idx_tech_insert(idx_db *db, const idx_tech *t, int64_t *id, tm_err *err)
{
    unsigned char hash[16];
    *id = 0;
    if (t->institution_id <= 0) return tm_err_set(err, TM_EINVAL, "institution", "is required");
    idx_tech_content_hash(t, t->institution_id, hash);
    int code = tech_write(db, t, t->institution_id, 0, 0, hash, id, err);
    if (code == TM_ECONFLICT)
        code =
            tm_err_set(err, TM_ECONFLICT, "external_id", "another technology has this external_id");
    return code;
}

int idx_tech_update_if(idx_db *db, int64_t id, int64_t version, const idx_tech *t, tm_err *err)
{
    unsigned char hash[16];
    int64_t got = 0;
    if (t->institution_id <= 0) return tm_err_set(err, TM_EINVAL, "institution", "is required");
    if (id <= 0 || version <= 0)
        return tm_err_set(err, TM_EINVAL, NULL, "a technology id and version are required");
    idx_tech_content_hash(t, t->institution_id, hash);
    int code = tech_write(db, t, t->institution_id, id, version, hash, &got, err);
    if (code == TM_ECONFLICT)
        code =
            tm_err_set(err, TM_ECONFLICT, "external_id", "another technology has this external_id");
    return code;
}

static char *col_dup(sqlite3_stmt *s, int i)
{
    const unsigned char *v = sqlite3_column_text(s, i);
    return v ? tm_xstrdup((const char *)v) : NULL;
}

static int tech_read(idx_db *db, int64_t id, bool with_patents, idx_tech *t, tm_err *err)
{
    idx_tech_init(t);
    sqlite3_stmt *s = idx_db_stmt(db, IDX_STMT_TECH_GET, err);
    if (!s) return err->code;
    sqlite3_bind_int64(s, 1, id);
    int rc = sqlite3_step(s);
    int code = TM_OK;
    if (rc == SQLITE_ROW) {
        t->id = sqlite3_column_int64(s, 0);
        t->institution_id = sqlite3_column_int64(s, 1);
        t->institution = col_dup(s, 2);
        t->external_id = col_dup(s, 3);
        t->title = col_dup(s, 4);
        t->title_en = col_dup(s, 5);
        t->summary = col_dup(s, 6);
        t->description = col_dup(s, 7);
        strv_split((const char *)sqlite3_column_text(s, 8), &t->keywords);
        t->field = idx_field_parse((const char *)sqlite3_column_text(s, 9));
        strv_split((const char *)sqlite3_column_text(s, 10), &t->ipc);
        t->trl = sqlite3_column_int(s, 11);
        t->licence = licence_parse_list((const char *)sqlite3_column_text(s, 12));
        t->asking = col_dup(s, 13);
        t->status = idx_status_parse((const char *)sqlite3_column_text(s, 14));
        strv_split((const char *)sqlite3_column_text(s, 15), &t->inventors);
        t->contact = col_dup(s, 16);
        t->created_at = col_dup(s, 17);
        t->updated_at = col_dup(s, 18);
        t->version = sqlite3_column_int64(s, 19);
    } else if (rc == SQLITE_DONE) {
        code = tm_err_set(err, TM_ENOTFOUND, NULL, "no technology with id %lld", (long long)id);
    } else {
        code = idx_db_fail(db, rc, err);
    }
    idx_db_stmt_done(s);
    if (code != TM_OK) {
        idx_tech_clear(t);
        return code;
    }
    if (!with_patents) return TM_OK;
    if (!(s = idx_db_stmt(db, IDX_STMT_PATENT_LIST, err))) {
        idx_tech_clear(t);
        return err->code;
    }
    sqlite3_bind_int64(s, 1, id);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        t->patents = tm_xreallocarray(t->patents, t->npatents + 1, sizeof *t->patents);
        idx_patent *p = &t->patents[t->npatents++];
        p->number = col_dup(s, 0);
        p->country = col_dup(s, 1);
        p->kind = col_dup(s, 2);
        p->status = col_dup(s, 3);
        p->filed = col_dup(s, 4);
        p->registered = col_dup(s, 5);
        p->registration_number = col_dup(s, 6);
    }
    if (rc != SQLITE_DONE) code = idx_db_fail(db, rc, err);
    idx_db_stmt_done(s);
    if (code != TM_OK) idx_tech_clear(t);
    return code;
}

static const char *const tech_f_names[IDX_TECH_F__COUNT] = {
    [IDX_TECH_F_INSTITUTION] = "institution",
    [IDX_TECH_F_EXTERNAL_ID] = "external_id",
    [IDX_TECH_F_TITLE] = "title",
    [IDX_TECH_F_TITLE_EN] = "title_en",
    [IDX_TECH_F_SUMMARY] = "summary",
    [IDX_TECH_F_DESCRIPTION] = "description",
    [IDX_TECH_F_KEYWORDS] = "keywords",
    [IDX_TECH_F_FIELD] = "field",
    [IDX_TECH_F_IPC] = "ipc",
    [IDX_TECH_F_TRL] = "trl",
    [IDX_TECH_F_LICENCE] = "licence",
    [IDX_TECH_F_ASKING] = "asking",
    [IDX_TECH_F_STATUS] = "status",
    [IDX_TECH_F_INVENTORS] = "inventors",
    [IDX_TECH_F_CONTACT] = "contact",
    [IDX_TECH_F_PATENTS] = "patents",
};

const char *idx_tech_f_name(int f)
{
    return f >= 0 && f < IDX_TECH_F__COUNT ? tech_f_names[f] : NULL;
}

/* Text as stored: NULL and "" are both "nothing" once read back. */
static bool text_differs(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") != 0;
}

static bool strv_differs(const idx_strv *a, const idx_strv *b)
{
    if (a->n != b->n) return true;
    for (size_t i = 0; i < a->n; i++)
        if (text_differs(a->v[i], b->v[i])) return true;
    return false;
}

static bool patents_differ(const idx_tech *a, const idx_tech *b)
{
    if (a->npatents != b->npatents) return true;
    for (size_t i = 0; i < a->npatents; i++) {
        const idx_patent *p = &a->patents[i], *q = &b->patents[i];
        if (text_differs(p->number, q->number) || text_differs(p->country, q->country) ||
            text_differs(p->kind, q->kind) || text_differs(p->status, q->status) ||
            text_differs(p->filed, q->filed) || text_differs(p->registered, q->registered) ||
            text_differs(p->registration_number, q->registration_number))
            return true;
    }
    return false;
}

/* Which parts of stored technology id t (of institution inst_id) changes. */
static int tech_diff(idx_db *db, int64_t id, const idx_tech *t, int64_t inst_id, unsigned *changed,
                     tm_err *err)
{
    idx_tech old;
    unsigned m = 0;
    int code = tech_read(db, id, true, &old, err);
    if (code != TM_OK) return code;
    int status = idx_status_name(t->status) ? t->status : idx_status_parse("available");
    const bool differs[IDX_TECH_F__COUNT] = {
        [IDX_TECH_F_INSTITUTION] = old.institution_id != inst_id,
        [IDX_TECH_F_EXTERNAL_ID] = text_differs(old.external_id, t->external_id),
        [IDX_TECH_F_TITLE] = text_differs(old.title, t->title),
        [IDX_TECH_F_TITLE_EN] = text_differs(old.title_en, t->title_en),
        [IDX_TECH_F_SUMMARY] = text_differs(old.summary, t->summary),
        [IDX_TECH_F_DESCRIPTION] = text_differs(old.description, t->description),
        [IDX_TECH_F_KEYWORDS] = strv_differs(&old.keywords, &t->keywords),
        [IDX_TECH_F_FIELD] = old.field != t->field,
        [IDX_TECH_F_IPC] = strv_differs(&old.ipc, &t->ipc),
        [IDX_TECH_F_TRL] = old.trl != (t->trl >= 1 && t->trl <= 9 ? t->trl : 0),
        [IDX_TECH_F_LICENCE] = old.licence != t->licence,
        [IDX_TECH_F_ASKING] = text_differs(old.asking, t->asking),
        [IDX_TECH_F_STATUS] = old.status != status,
        [IDX_TECH_F_INVENTORS] = strv_differs(&old.inventors, &t->inventors),
        [IDX_TECH_F_CONTACT] = text_differs(old.contact, t->contact),
        [IDX_TECH_F_PATENTS] = patents_differ(&old, t),
    };
    for (int f = 0; f < IDX_TECH_F__COUNT; f++)
        if (differs[f]) m |= 1u << f;
    idx_tech_clear(&old);
    *changed = m;
    return TM_OK;
}

int idx_tech_get(idx_db *db, int64_t id, idx_tech *t, tm_err *err)
{
    return tech_read(db, id, true, t, err);
}

int idx_tech_get_brief(idx_db *db, int64_t id, idx_tech *t, tm_err *err)
{
    return tech_read(db, id, false, t, err);
}

int idx_tech_count(idx_db *db, int64_t *n, tm_err *err)
{
    sqlite3_stmt *s = idx_db_stmt(db, IDX_STMT_TECH_COUNT, err);
    if (!s) return err->code;
    int rc = sqlite3_step(s);
    int code = TM_OK;
    if (rc == SQLITE_ROW)
        *n = sqlite3_column_int64(s, 0);
    else
        code = idx_db_fail(db, rc, err);
    idx_db_stmt_done(s);
    return code;
}
