#include <stdlib.h>
#include <string.h>

#include "../common/tm_alloc.h"
#include "../common/tm_arena.h"
#include "../common/tm_buf.h"
#include "../common/tm_log.h"
#include "../common/tm_str.h"
#include "imp_csv.h"
#include "imp_int.h"
#include "imp_json.h"
#include "imp_rec.h"
#include "imp_report.h"
#include "imp_xls.h"

/* The producer of the pipeline (imp_int.h): reads a file, maps and validates
 * each record and sends it, or its issue, to the writer in line order. */

/* Distinct unknown names warned about per file; past it, no more warnings. */
#define UNKNOWN_MAX 64

/* Sends *it (moved: the writer frees it, or it is freed here). */
static void prod_put(imp_prod *p, imp_item *it)
{
    if (p->stopped) {
        imp_item_clear(it);
        return;
    }
    if (!p->cur) {
        p->cur = tm_xmalloc(sizeof *p->cur);
        p->cur->n = 0;
    }
    p->cur->items[p->cur->n++] = *it;
    if (p->cur->n == BATCH_ITEMS) imp_prod_flush(p);
}

static void prod_reject(imp_prod *p, const tm_err *e)
{
    imp_item it = {.kind = ITEM_REJECT, .line = p->line};
    it.u.issue = *e;
    prod_put(p, &it);
}

static void prod_warn(imp_prod *p, size_t line, const char *field, const char *msg)
{
    imp_item it = {.kind = ITEM_WARN, .line = line};
    /* As imp_report_add_issue() will show them (it copies them unchanged again). */
    imp_report_safe_copy(it.u.issue.field, sizeof it.u.issue.field, field);
    imp_report_safe_copy(it.u.issue.msg, sizeof it.u.issue.msg, msg);
    prod_put(p, &it);
}

static void on_unknown(void *arg, const char *name)
{
    imp_prod *p = arg;
    for (size_t i = 0; i < p->nunknown; i++)
        if (strcmp(p->unknown[i], name) == 0) return;
    if (p->nunknown >= UNKNOWN_MAX) return;
    p->unknown = imp_report_grow(p->unknown, p->nunknown, sizeof *p->unknown);
    p->unknown[p->nunknown++] = tm_xstrdup(name);
    prod_warn(p, p->line, name, "unknown field; ignored");
}

/* A mapped table's issues name its own column (TRL, 출원일자), not the field. */
static const char *source_field(const imp_prod *p, const char *field)
{
    const char *col = p->cols && p->cols->lenient ? imp_rec_cols_column(p->cols, field) : NULL;
    return col ? col : field;
}

static void on_warn(void *arg, const char *field, const char *msg)
{
    imp_prod *p = arg;
    prod_warn(p, p->line, source_field(p, field), msg);
}

/* A warning of imp_map's value rules: once per key and file (at most
 * UNKNOWN_MAX keys), every time when key is NULL. */
static void on_note(void *arg, const char *key, const char *field, const char *msg)
{
    imp_prod *p = arg;
    if (key) {
        for (size_t i = 0; i < p->nnoted; i++)
            if (strcmp(p->noted[i], key) == 0) return;
        if (p->nnoted >= UNKNOWN_MAX) return;
        p->noted = imp_report_grow(p->noted, p->nnoted, sizeof *p->noted);
        p->noted[p->nnoted++] = tm_xstrdup(key);
    }
    prod_warn(p, p->line, field, msg);
}

/* ---- a repeated external_id ----
 *
 * A file that holds one external_id twice with different content stores the
 * last (each record updates the same technology), so the second gets a
 * warning. Ids are kept as 64-bit hashes with the line and a hash of the
 * record: 16 bytes an id, for at most SEEN_MAX ids a file (4 MiB of table:
 * memory must not grow with the file); later new ids are not tracked, and
 * the report says so once. A collision of two ids could only add a wrong
 * warning; one of two records' 32-bit content hashes could hide one. */
#define SEEN_MAX ((size_t)1 << 17)

typedef struct imp_seen {
    uint64_t id;   /* the id's hash; 0: a free slot */
    uint32_t body; /* the record's hash */
    uint32_t line; /* where it was last met (UINT32_MAX past that) */
} imp_seen;

static uint64_t hash_bytes(const void *data, size_t n)
{
    const unsigned char *b = data;
    uint64_t h = 0xcbf29ce484222325u; /* FNV-1a, then splitmix64's finalizer */
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3u;
    h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9u;
    h = (h ^ (h >> 27)) * 0x94d049bb133111ebu;
    h ^= h >> 31;
    return h ? h : 1;
}

/* Where id is in p->seen, or the free slot it would take (NULL when the
 * table is full). The table doubles at half load. */
static imp_seen *seen_slot(imp_prod *p, uint64_t id)
{
    if (2 * (p->nseen + 1) > p->seen_cap && p->nseen < SEEN_MAX) {
        size_t cap = p->seen_cap ? p->seen_cap * 2 : 1024;
        imp_seen *t = tm_xcalloc(cap, sizeof *t);
        for (size_t i = 0; i < p->seen_cap; i++) {
            if (!p->seen[i].id) continue;
            size_t j = p->seen[i].id & (cap - 1);
            while (t[j].id)
                j = (j + 1) & (cap - 1);
            t[j] = p->seen[i];
        }
        free(p->seen);
        p->seen = t;
        p->seen_cap = cap;
    }
    if (!p->seen_cap) return NULL;
    size_t j = id & (p->seen_cap - 1);
    while (p->seen[j].id && p->seen[j].id != id)
        j = (j + 1) & (p->seen_cap - 1);
    if (!p->seen[j].id && p->nseen >= SEEN_MAX) return NULL;
    return &p->seen[j];
}

/* Notes the external_id of the validated record t on p->line; warns when
 * an earlier record of the file had it with other content: a hash of the
 * fields it stores and of the institution named (cheaper than keeping the
 * record). */
static void note_external_id(imp_prod *p, const idx_tech *t)
{
    const char *xid = t->external_id;
    uint32_t body = (uint32_t)idx_tech_body_hash64(t);
    if (t->institution) body ^= (uint32_t)hash_bytes(t->institution, strlen(t->institution));
    uint64_t id = hash_bytes(xid, strlen(xid));
    imp_seen *s = seen_slot(p, id);
    if (!s) {
        if (!p->seen_full) {
            char msg[192];
            (void)snprintf(msg, sizeof msg,
                           "more than %zu external_ids in this file: from here on, a repeated "
                           "one is not reported",
                           SEEN_MAX);
            prod_warn(p, p->line, source_field(p, "external_id"), msg);
        }
        p->seen_full = true;
        return;
    }
    if (s->id && s->body != body) {
        char msg[192];
        (void)snprintf(msg, sizeof msg,
                       "external_id %.60s also on line %zu; this record replaces it", xid,
                       (size_t)s->line);
        prod_warn(p, p->line, source_field(p, "external_id"), msg);
    }
    if (!s->id) {
        s->id = id;
        p->nseen++;
    }
    s->body = body;
    s->line = p->line < UINT32_MAX ? (uint32_t)p->line : UINT32_MAX;
}

/* Validates one record (its unknown fields warned about first) and sends
 * it, or its rejection. */
static void prod_record(imp_prod *p, const json_t *obj)
{
    imp_rec_opts ro = {.institution_optional = p->institution_optional,
                       .unknown = on_unknown,
                       .warn = on_warn,
                       .arg = p,
                       .scratch = &p->scratch};
    imp_item it = {.line = p->line};
    tm_err rerr = {0};
    int code;

    p->records++;
    if (p->inst) {
        it.kind = ITEM_INST;
        code = imp_rec_inst(obj, &ro, &it.u.inst, &rerr);
    } else {
        it.kind = ITEM_TECH;
        code = imp_rec_tech(obj, &ro, &it.u.tech, &rerr);
    }
    if (code != TM_OK) {
        const char *col = source_field(p, rerr.field);
        if (col != rerr.field) imp_report_safe_copy(rerr.field, sizeof rerr.field, col);
        prod_reject(p, &rerr);
    } else {
        if (!p->inst && it.u.tech.external_id) note_external_id(p, &it.u.tech);
        prod_put(p, &it);
    }
}

/* Before each record: the last one's Jansson blocks are all freed, so the
 * arena's memory is reused. If one outlived its record (a bug), memory
 * grows with the file from then on: said once, in the log. */
static void prod_rewind(imp_prod *p)
{
    if (tm_arena_rewind(p->arena) || p->arena_held) return;
    p->arena_held = true;
    tm_log_error("import: a JSON value outlived its record; the reader's memory now grows "
                 "with the file (a bug: please report it)");
}

static int prod_json(imp_prod *p, tm_err *err)
{
    imp_json *rd = imp_json_open(p->f, p->fmt == IMP_FMT_JSON, 0);
    int code = TM_OK;
    while (!p->stopped) {
        json_t *obj = NULL;
        tm_err rerr = {0};
        prod_rewind(p);
        imp_json_kind kind = imp_json_next(rd, &obj, &rerr);
        if (kind == IMP_JSON_END) break;
        if (kind == IMP_JSON_FAIL) {
            *err = rerr;
            code = rerr.code != TM_OK ? (int)rerr.code : TM_EINVAL;
            break;
        }
        p->line = imp_json_line(rd);
        if (kind == IMP_JSON_BAD) {
            p->records++;
            prod_reject(p, &rerr);
            continue;
        }
        json_t *rec = obj;
        if (!p->inst) {
            imp_map_notes notes = {.warn = on_note, .arg = p};
            if (imp_map_json(p->map, obj, &notes, &rec, &rerr) != TM_OK) {
                p->records++;
                prod_reject(p, &rerr);
                json_decref(obj);
                continue;
            }
            json_decref(obj);
        }
        prod_record(p, rec);
        json_decref(rec);
    }
    imp_json_free(rd);
    return code;
}

/* The name of column i for messages: its header name, or "column N". */
static const char *column_name(const imp_rec_cols *cols, size_t i, char buf[32])
{
    if (i < cols->n && cols->names[i][0]) return cols->names[i];
    if (i == (size_t)-1) return "";
    (void)snprintf(buf, 32, "column %zu", i + 1);
    return buf;
}

/* ---- tables: the rows of a CSV or TSV file or of an .xls sheet ---- */

typedef enum { ROWS_ROW, ROWS_BAD, ROWS_END, ROWS_FAIL } rows_kind;

/* A row reader (imp_csv or imp_xls, which have the same shape) for
 * prod_table(): the header mapping, width checks, spills and rejections are
 * the same whatever the file. */
typedef struct imp_rows {
    void *rd;
    rows_kind (*next)(void *rd, tm_err *err);
    size_t (*line)(const void *rd);
    size_t (*bad_column)(const void *rd);
    size_t (*nfields)(const void *rd);
    tm_str (*field)(const void *rd, size_t i);
} imp_rows;

static rows_kind csv_next(void *rd, tm_err *err)
{
    switch (imp_csv_next(rd, err)) {
    case IMP_CSV_ROW:
        return ROWS_ROW;
    case IMP_CSV_BAD:
        return ROWS_BAD;
    case IMP_CSV_END:
        return ROWS_END;
    case IMP_CSV_FAIL:
        break;
    }
    return ROWS_FAIL;
}

static size_t csv_line(const void *rd)
{
    return imp_csv_line(rd);
}

static size_t csv_bad_column(const void *rd)
{
    return imp_csv_bad_column(rd);
}

static size_t csv_nfields(const void *rd)
{
    return imp_csv_nfields(rd);
}

static tm_str csv_field(const void *rd, size_t i)
{
    return imp_csv_field(rd, i);
}

static rows_kind xls_next(void *rd, tm_err *err)
{
    switch (imp_xls_next(rd, err)) {
    case IMP_XLS_ROW:
        return ROWS_ROW;
    case IMP_XLS_BAD:
        return ROWS_BAD;
    case IMP_XLS_END:
        return ROWS_END;
    case IMP_XLS_FAIL:
        break;
    }
    return ROWS_FAIL;
}

static size_t xls_line(const void *rd)
{
    return imp_xls_line(rd);
}

static size_t xls_bad_column(const void *rd)
{
    return imp_xls_bad_column(rd);
}

static size_t xls_nfields(const void *rd)
{
    return imp_xls_nfields(rd);
}

static tm_str xls_field(const void *rd, size_t i)
{
    return imp_xls_field(rd, i);
}

/* A table's rows (the header first), mapped, checked and sent. */
static int prod_table(imp_prod *p, const imp_rows *rows, tm_err *err)
{
    imp_rec_cols cols = {0};
    tm_str *cells = NULL;
    size_t ncap = 0;
    tm_err rerr = {0};
    char colbuf[32];
    int code = TM_OK;

    rows_kind kind = rows->next(rows->rd, &rerr);
    if (kind == ROWS_END) goto out; /* an empty file */
    if (kind != ROWS_ROW) {
        code = tm_err_set(err, rerr.code != TM_OK ? rerr.code : TM_EINVAL, "header", "line %zu: %s",
                          rows->line(rows->rd), rerr.msg);
        goto out;
    }
    while (!p->stopped) {
        size_t n = rows->nfields(rows->rd);
        prod_rewind(p);
        if (n > ncap) {
            ncap = n;
            cells = tm_xreallocarray(cells, ncap, sizeof *cells);
        }
        for (size_t i = 0; i < n; i++)
            cells[i] = rows->field(rows->rd, i);
        p->line = rows->line(rows->rd);
        if (!cols.names) {
            code = imp_rec_cols_map(&cols, cells, n, p->map, p->institution_optional, err);
            if (code != TM_OK) goto out;
            cols.notes = (imp_map_notes){.warn = on_note, .arg = p};
            p->cols = &cols;
            if (cols.ignored) {
                char msg[192];
                (void)snprintf(msg, sizeof msg, "ignored columns: %s", cols.ignored);
                prod_warn(p, p->line, "", msg);
            }
            for (size_t i = 0; i < cols.n && i < cols.spill_from; i++)
                if (!cols.names[i][0] && n > 1)
                    prod_warn(p, p->line, column_name(&cols, i, colbuf), "has no name; ignored");
            if (cols.spill_from < cols.n) {
                char msg[192];
                (void)snprintf(msg, sizeof msg,
                               "columns %zu-%zu have no name: text in them is taken as the rest "
                               "of this column (its unquoted commas)",
                               cols.spill_from + 1, cols.n);
                prod_warn(p, p->line, cols.names[cols.spill_into], msg);
            }
        } else {
            bool empty = true;
            for (size_t i = 0; i < n && empty; i++)
                empty = cells[i].len == 0;
            if (!empty) {
                json_t *obj = NULL;
                if (!imp_rec_cols_width_ok(&cols, n)) {
                    p->records++;
                    tm_err_set(&rerr, TM_EINVAL, NULL, "the row has %zu fields; the header has %zu",
                               n, cols.n);
                    prod_reject(p, &rerr);
                } else if (imp_rec_from_row(&cols, cells, n, &obj, &rerr) != TM_OK) {
                    p->records++;
                    prod_reject(p, &rerr);
                } else {
                    prod_record(p, obj); /* counts the record */
                    json_decref(obj);
                }
            }
        }
        for (;;) {
            kind = rows->next(rows->rd, &rerr);
            if (kind != ROWS_BAD) break;
            p->line = rows->line(rows->rd);
            p->records++;
            tm_err e = rerr;
            (void)snprintf(e.field, sizeof e.field, "%s",
                           column_name(&cols, rows->bad_column(rows->rd), colbuf));
            prod_reject(p, &e);
        }
        if (kind == ROWS_END) break;
        if (kind == ROWS_FAIL) {
            *err = rerr;
            code = rerr.code != TM_OK ? (int)rerr.code : TM_EINVAL;
            goto out;
        }
    }
out:
    p->cols = NULL;
    free(cells);
    imp_rec_cols_free(&cols);
    return code;
}

static int prod_csv(imp_prod *p, tm_err *err)
{
    /* .tsv is tab-separated; a .csv's separator is sniffed from its header. */
    imp_csv_limits lim = {.sep = p->fmt == IMP_FMT_TSV ? '\t' : IMP_CSV_SEP_SNIFF};
    imp_csv *c = imp_csv_open(p->f, &lim);
    imp_rows rows = {c, csv_next, csv_line, csv_bad_column, csv_nfields, csv_field};
    int code = prod_table(p, &rows, err);
    imp_csv_free(c);
    return code;
}

/* An .xls file: read whole (a workbook is not a stream), then its first
 * worksheet's rows. */
static int prod_xls(imp_prod *p, tm_err *err)
{
    tm_buf b = {0};
    imp_xls *x = NULL;
    imp_rows rows = {0};
    int code = TM_OK;

    for (;;) {
        tm_buf_reserve(&b, (size_t)1 << 16);
        size_t got = fread(b.p + b.len, 1, b.cap - b.len - 1, p->f);
        b.len += got;
        if (b.len > IMP_XLS_FILE_MAX) {
            code = tm_err_set(err, TM_EINVAL, "file",
                              "the file is larger than %zu MiB, more than any .xls can hold",
                              IMP_XLS_FILE_MAX >> 20);
            goto out;
        }
        if (got == 0) break;
    }
    if (ferror(p->f)) {
        code = tm_err_set(err, TM_EINVAL, "file", "cannot read the file");
        goto out;
    }
    if ((code = imp_xls_open_mem(b.p ? b.p : "", b.len, NULL, NULL, &x, err)) != TM_OK) goto out;
    tm_buf_free(&b); /* the reader keeps its own table */
    rows = (imp_rows){x, xls_next, xls_line, xls_bad_column, xls_nfields, xls_field};
    code = prod_table(p, &rows, err);
out:
    imp_xls_free(x);
    tm_buf_free(&b);
    return code;
}

/* The producer thread: reads the whole file, then ends the queue with how
 * the reading ended. */
void *imp_prod_main(void *arg)
{
    imp_prod *p = arg;
    imp_queue *q = p->q;
    tm_err err = {0};
    tm_arena arena;
    int code;
    /* Jansson's blocks come from the arena when its hooks are installed
     * (main: json_set_alloc_funcs(tm_arena_malloc, tm_arena_free)); with
     * others set it is never asked for one. */
    tm_arena_init(&arena);
    tm_arena_enter(&arena);
    p->arena = &arena;
    if (p->fmt == IMP_FMT_CSV || p->fmt == IMP_FMT_TSV)
        code = prod_csv(p, &err);
    else if (p->fmt == IMP_FMT_XLS)
        code = prod_xls(p, &err);
    else
        code = prod_json(p, &err);
    tm_arena_leave();
    p->arena = NULL;
    tm_arena_destroy(&arena);
    imp_prod_flush(p);
    tm_buf_free(&p->scratch);
    free(p->seen);
    for (size_t i = 0; i < p->nnoted; i++)
        free(p->noted[i]);
    free(p->noted);
    for (size_t i = 0; i < p->nunknown; i++)
        free(p->unknown[i]);
    free(p->unknown);
    pthread_mutex_lock(&q->mu);
    q->done = true;
    q->end_code = code;
    q->end_err = err;
    q->records = p->records;
    pthread_cond_signal(&q->nonempty);
    pthread_mutex_unlock(&q->mu);
    return NULL;
}
