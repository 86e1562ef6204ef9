#include "imp.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../common/tm_alloc.h"
#include "../common/tm_buf.h"
#include "../common/tm_str.h"
#include "../common/tm_utf8.h"
#include "../index/idx_enum.h"
#include "../index/idx_inst.h"
#include "../index/idx_tech.h"
#include "imp_csv.h"
#include "imp_enc.h"
#include "imp_json.h"
#include "imp_rec.h"
#include "imp_report.h"
#include "imp_xls.h"

/* Distinct unknown names warned about per file; past it, no more warnings. */
#define UNKNOWN_MAX 64

/* One file being imported: the writer's side (see "the pipeline"). */
typedef struct imp_run {
    idx_db *db;
    const imp_opts *opts;
    imp_report *rep;
    const char *file; /* base name, for issues */
    size_t line;      /* where the record being written starts */
    /* opts->institution_id's stored name, and the last name compared to it */
    char *forced_name;
    char *last_name;
    int64_t last_id;
    idx_inst *insts; /* the stored ones, by name (imp_institutions, forced) */
    size_t ninsts;
    FILE *src; /* the file as the caller gave it, for progress's bytes; NULL: unknown */
} imp_run;

/* ---- issues ---- */

static void reject(imp_run *r, const tm_err *e)
{
    r->rep->rejected++;
    imp_report_add_issue(r->rep, r->file, r->line, false, e->field, e->msg);
}

static void warn(imp_run *r, size_t line, const char *field, const char *msg)
{
    r->rep->warnings++;
    imp_report_add_issue(r->rep, r->file, line, true, field, msg);
}

/* ---- formats ---- */

static const char *base_name(const char *path)
{
    if (!path || !*path) return "(input)";
    const char *slash = strrchr(path, '/');
    return slash && slash[1] ? slash + 1 : path;
}

int imp_format_of(const char *path, imp_format *fmt, tm_err *err)
{
    const char *base = base_name(path);
    const char *dot = strrchr(base, '.');
    if (dot && (strcasecmp(dot, ".jsonl") == 0 || strcasecmp(dot, ".ndjson") == 0))
        *fmt = IMP_FMT_JSONL;
    else if (dot && strcasecmp(dot, ".json") == 0)
        *fmt = IMP_FMT_JSON;
    else if (dot && strcasecmp(dot, ".csv") == 0)
        *fmt = IMP_FMT_CSV;
    else if (dot && (strcasecmp(dot, ".tsv") == 0 || strcasecmp(dot, ".tab") == 0))
        *fmt = IMP_FMT_TSV;
    else if (dot && (strcasecmp(dot, ".xls") == 0 || strcasecmp(dot, ".xlsx") == 0))
        *fmt = IMP_FMT_XLS; /* the reader refuses an .xlsx with its own message */
    else
        return tm_err_set(err, TM_EINVAL, "file",
                          "%.80s: unknown format; name the file .jsonl, .json, .csv, .tsv or .xls",
                          base);
    return TM_OK;
}

/* ---- the pipeline ----
 *
 * A file is read by two threads. The producer reads the file, parses each
 * record and validates it (imp_rec: pure, any thread); the writer (the
 * caller's thread) does everything that touches the database or the report.
 * The producer sends, in line order, items that are either a validated
 * record or a ready issue (a rejection or a warning), in batches through a
 * bounded queue, so memory does not grow with the file and the writer meets
 * the issues in the order a single thread would. */

/* Items a batch holds, batches the queue holds: at most (QUEUE_BATCHES + 2)
 * * BATCH_ITEMS records are in flight (queued, being filled, being written). */
#define BATCH_ITEMS 64
#define QUEUE_BATCHES 8

typedef enum { ITEM_TECH, ITEM_INST, ITEM_REJECT, ITEM_WARN } item_kind;

typedef struct imp_item {
    item_kind kind;
    size_t line; /* where the record starts (0: the whole file) */
    union {
        idx_tech tech;
        idx_inst inst;
        tm_err issue; /* field and message of a rejection or warning */
    } u;
} imp_item;

typedef struct imp_batch {
    size_t n;
    imp_item items[BATCH_ITEMS];
} imp_batch;

/* Shared by the two threads: every field under mu. */
typedef struct imp_queue {
    pthread_mutex_t mu;
    pthread_cond_t nonempty, nonfull;
    imp_batch *slot[QUEUE_BATCHES];
    size_t head, count;
    bool stop; /* the writer wants no more */
    bool done; /* the producer has ended; then: */
    int end_code;
    tm_err end_err;
    size_t records; /* records met, rejected ones included */
} imp_queue;

/* The producer's own state: only its thread touches it while it runs. */
typedef struct imp_prod {
    imp_queue *q;
    FILE *f;
    imp_format fmt;
    bool inst;                 /* institutions rather than technologies */
    bool institution_optional; /* an institution is forced */
    size_t line;               /* where the current record starts */
    size_t records;
    char **unknown; /* names already warned about */
    size_t nunknown;
    const imp_map *map;       /* --map rules, or NULL */
    const imp_rec_cols *cols; /* a table's header while its rows are read, or NULL */
    char **noted;             /* imp_map warnings already given (by key) */
    size_t nnoted;
    imp_batch *cur; /* being filled */
    bool stopped;   /* the writer said stop: read no further */
    /* external ids met (open addressing), for repeats */
    struct imp_seen *seen;
    size_t nseen, seen_cap;
} imp_prod;

static void item_clear(imp_item *it)
{
    if (it->kind == ITEM_TECH)
        idx_tech_clear(&it->u.tech);
    else if (it->kind == ITEM_INST)
        idx_inst_clear(&it->u.inst);
}

static void batch_free(imp_batch *b)
{
    if (!b) return;
    for (size_t i = 0; i < b->n; i++)
        item_clear(&b->items[i]);
    free(b);
}

/* Hands the batch being filled to the writer, waiting for room. */
static void prod_flush(imp_prod *p)
{
    imp_queue *q = p->q;
    if (!p->cur) return;
    pthread_mutex_lock(&q->mu);
    while (q->count == QUEUE_BATCHES && !q->stop)
        pthread_cond_wait(&q->nonfull, &q->mu);
    bool stop = q->stop;
    if (!stop) {
        q->slot[(q->head + q->count) % QUEUE_BATCHES] = p->cur;
        q->count++;
        pthread_cond_signal(&q->nonempty);
    }
    pthread_mutex_unlock(&q->mu);
    if (stop) {
        batch_free(p->cur);
        p->stopped = true;
    }
    p->cur = NULL;
}

/* Sends *it (moved: the writer frees it, or it is freed here). */
static void prod_put(imp_prod *p, imp_item *it)
{
    if (p->stopped) {
        item_clear(it);
        return;
    }
    if (!p->cur) {
        p->cur = tm_xmalloc(sizeof *p->cur);
        p->cur->n = 0;
    }
    p->cur->items[p->cur->n++] = *it;
    if (p->cur->n == BATCH_ITEMS) prod_flush(p);
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
 * record: 16 bytes an id, for at most SEEN_MAX ids a file (later new ids are
 * not tracked). A hash collision could only add a wrong warning. */
#define SEEN_MAX ((size_t)1 << 20)

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

/* Notes the external_id xid of the record obj on p->line; warns when an
 * earlier record of the file had it with other content. */
static void note_external_id(imp_prod *p, const char *xid, const json_t *obj)
{
    char *text = json_dumps(obj, JSON_SORT_KEYS | JSON_COMPACT);
    uint32_t body = text ? (uint32_t)hash_bytes(text, strlen(text)) : 0;
    free(text);
    uint64_t id = hash_bytes(xid, strlen(xid));
    imp_seen *s = seen_slot(p, id);
    if (!s) return;
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
                       .arg = p};
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
        if (!p->inst && it.u.tech.external_id) note_external_id(p, it.u.tech.external_id, obj);
        prod_put(p, &it);
    }
}

static int prod_json(imp_prod *p, tm_err *err)
{
    imp_json *rd = imp_json_open(p->f, p->fmt == IMP_FMT_JSON, 0);
    int code = TM_OK;
    while (!p->stopped) {
        json_t *obj = NULL;
        tm_err rerr = {0};
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
static void *prod_main(void *arg)
{
    imp_prod *p = arg;
    imp_queue *q = p->q;
    tm_err err = {0};
    int code;
    if (p->fmt == IMP_FMT_CSV || p->fmt == IMP_FMT_TSV)
        code = prod_csv(p, &err);
    else if (p->fmt == IMP_FMT_XLS)
        code = prod_xls(p, &err);
    else
        code = prod_json(p, &err);
    prod_flush(p);
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

/* The next batch, or NULL when the producer has ended and all is taken. */
static imp_batch *queue_pop(imp_queue *q)
{
    imp_batch *b = NULL;
    pthread_mutex_lock(&q->mu);
    while (q->count == 0 && !q->done)
        pthread_cond_wait(&q->nonempty, &q->mu);
    if (q->count) {
        b = q->slot[q->head];
        q->head = (q->head + 1) % QUEUE_BATCHES;
        q->count--;
        pthread_cond_signal(&q->nonfull);
    }
    pthread_mutex_unlock(&q->mu);
    return b;
}

/* Starts a producer of f into q (both initialized here). */
static int pipe_start(imp_queue *q, imp_prod *p, pthread_t *tid, FILE *f, imp_format fmt, bool inst,
                      bool institution_optional, const imp_map *map, tm_err *err)
{
    memset(q, 0, sizeof *q);
    *p = (imp_prod){.q = q,
                    .f = f,
                    .fmt = fmt,
                    .inst = inst,
                    .institution_optional = institution_optional,
                    .map = map};
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->nonempty, NULL);
    pthread_cond_init(&q->nonfull, NULL);
    /* Signals stay with the caller's threads. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(tid, NULL, prod_main, p);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        pthread_cond_destroy(&q->nonfull);
        pthread_cond_destroy(&q->nonempty);
        pthread_mutex_destroy(&q->mu);
        return tm_err_set(err, TM_EINTERNAL, "file", "cannot start a reader thread: %s",
                          strerror(rc));
    }
    return TM_OK;
}

/* Stops the producer (when it has not ended), waits for it, frees what it
 * sent that was not taken. */
static void pipe_stop(imp_queue *q, pthread_t tid)
{
    pthread_mutex_lock(&q->mu);
    q->stop = true;
    pthread_cond_broadcast(&q->nonfull);
    pthread_mutex_unlock(&q->mu);
    pthread_join(tid, NULL);
    for (; q->count; q->count--, q->head = (q->head + 1) % QUEUE_BATCHES)
        batch_free(q->slot[q->head]);
    pthread_cond_destroy(&q->nonfull);
    pthread_cond_destroy(&q->nonempty);
    pthread_mutex_destroy(&q->mu);
}

/* ---- records (the writer) ---- */

/* With opts->institution_id: gives t that institution, or says the record
 * names another (*belongs false). Errors are the database's. */
static int force_institution(imp_run *r, idx_tech *t, bool *belongs, tm_err *err)
{
    int64_t forced = r->opts->institution_id;
    *belongs = true;
    if (t->institution && strcmp(t->institution, r->forced_name) != 0) {
        if (!r->last_name || strcmp(r->last_name, t->institution) != 0) {
            int64_t id = 0;
            int code = idx_inst_find(r->db, t->institution, &id, err);
            if (code != TM_OK) return code;
            free(r->last_name);
            r->last_name = tm_xstrdup(t->institution);
            r->last_id = id;
        }
        if (r->last_id != forced) {
            *belongs = false;
            return TM_OK;
        }
    }
    free(t->institution);
    t->institution = tm_xstrdup(r->forced_name);
    t->institution_id = forced;
    return TM_OK;
}

/* After a failed write of one record: TM_OK when the record alone is rolled
 * back (and rejected), else the error that ends the file: the database is
 * busy or full, or SQLite dropped the whole transaction. */
static int after_write_error(imp_run *r, int code, const tm_err *rerr, tm_err *err)
{
    if (code == TM_EBUSY || sqlite3_get_autocommit(r->db->h)) {
        if (err) *err = *rerr;
        return code;
    }
    idx_db_rollback_to(r->db);
    reject(r, rerr);
    return TM_OK;
}

/* Stores a validated technology (t stays the caller's). */
static int write_tech(imp_run *r, idx_tech *t, tm_err *err)
{
    idx_upsert_res res;
    tm_err rerr = {0};
    int code;

    if (r->forced_name) {
        bool belongs;
        if ((code = force_institution(r, t, &belongs, err)) != TM_OK) return code;
        if (!belongs) {
            tm_err_set(&rerr, TM_EINVAL, "institution", "records must belong to %s",
                       r->forced_name);
            reject(r, &rerr);
            return TM_OK;
        }
    }
    if ((code = idx_db_savepoint(r->db, err)) != TM_OK) return code;
    if (r->opts->on_change)
        code = idx_tech_upsert_diff(r->db, t, &res, &rerr);
    else
        code = idx_tech_upsert(r->db, t, &res, &rerr);
    if (code != TM_OK) return after_write_error(r, code, &rerr, err);
    if ((code = idx_db_release(r->db, err)) != TM_OK) return code;
    if (r->opts->on_change && res.kind != IDX_UPSERT_UNCHANGED) {
        imp_change c = {.file = r->file,
                        .line = r->line,
                        .added = res.kind == IDX_UPSERT_ADDED,
                        .id = res.id,
                        .title = t->title,
                        .fields = res.changed};
        r->opts->on_change(r->opts->hook_arg, &c);
    }
    if (res.kind == IDX_UPSERT_ADDED)
        r->rep->added++;
    else if (res.kind == IDX_UPSERT_UPDATED)
        r->rep->updated++;
    else
        r->rep->unchanged++;
    if (res.institution_created && t->institution)
        imp_report_add_institution(r->rep, t->institution);
    return TM_OK;
}

static bool strv_has(const idx_strv *v, const char *s)
{
    for (size_t i = 0; i < v->n; i++)
        if (strcmp(v->v[i], s) == 0) return true;
    return false;
}

static int inst_cmp(const void *a, const void *b)
{
    return strcmp(((const idx_inst *)a)->name, ((const idx_inst *)b)->name);
}

/* Whether the stored institution of the same name says what in says. */
static bool inst_unchanged(const imp_run *r, const idx_inst *in)
{
    idx_inst key = {.name = in->name};
    const idx_inst *old =
        r->ninsts ? bsearch(&key, r->insts, r->ninsts, sizeof key, inst_cmp) : NULL;
    int kind = in->kind >= 0 ? in->kind : IDX_KIND_OTHER;
    if (!old || old->kind != kind) return false;
    if ((old->name_en == NULL) != (in->name_en == NULL) ||
        (old->name_en && strcmp(old->name_en, in->name_en) != 0))
        return false;
    for (size_t i = 0; i < in->groups.n; i++)
        if (!strv_has(&old->groups, in->groups.v[i])) return false;
    for (size_t i = 0; i < old->groups.n; i++)
        if (!strv_has(&in->groups, old->groups.v[i])) return false;
    return true;
}

/* Stores a validated institution (in stays the caller's). */
static int write_inst(imp_run *r, const idx_inst *in, tm_err *err)
{
    tm_err rerr = {0};
    int64_t id = 0;
    int created = 0, code;

    bool same = inst_unchanged(r, in);
    if ((code = idx_db_savepoint(r->db, err)) != TM_OK) return code;
    code = idx_inst_upsert(r->db, in, &id, &created, &rerr);
    if (code != TM_OK) return after_write_error(r, code, &rerr, err);
    if ((code = idx_db_release(r->db, err)) != TM_OK) return code;
    if (created)
        r->rep->added++;
    else if (same)
        r->rep->unchanged++;
    else
        r->rep->updated++;
    return TM_OK;
}

/* One item from the producer, in the order it was sent. */
static int write_item(imp_run *r, imp_item *it, tm_err *err)
{
    r->line = it->line;
    switch (it->kind) {
    case ITEM_TECH:
        return write_tech(r, &it->u.tech, err);
    case ITEM_INST:
        return write_inst(r, &it->u.inst, err);
    case ITEM_REJECT:
        reject(r, &it->u.issue);
        return TM_OK;
    case ITEM_WARN:
        warn(r, it->line, it->u.issue.field, it->u.issue.msg);
        return TM_OK;
    }
    return TM_OK;
}

/* ---- files ---- */

static void run_free(imp_run *r)
{
    free(r->forced_name);
    free(r->last_name);
    for (size_t i = 0; i < r->ninsts; i++)
        idx_inst_clear(&r->insts[i]);
    free(r->insts);
}

/* Reads the stored institutions (outside any transaction: idx_inst_list
 * opens its own), sorted by name. */
static int load_institutions(imp_run *r, tm_err *err)
{
    int code = idx_inst_list(r->db, &r->insts, &r->ninsts, err);
    if (code == TM_OK && r->ninsts) qsort(r->insts, r->ninsts, sizeof *r->insts, inst_cmp);
    return code;
}

/* imp_opts.strict met a rejection: the file's records are rolled back, so
 * the report keeps its rejections and warnings but none of its stored ones. */
static void strict_abort(imp_report *rep, const imp_report_mark *m)
{
    imp_report_mark keep = imp_report_mark_take(rep);
    keep.added = m->added;
    keep.updated = m->updated;
    keep.unchanged = m->unchanged;
    keep.nnew = m->nnew;
    imp_report_mark_restore(rep, &keep);
    rep->aborted++;
}

/* One file in one write transaction: a producer thread reads and validates
 * the records of f (institutions when inst) while this thread writes them. */
static int run_file(imp_run *r, FILE *f, imp_format fmt, bool inst, tm_err *err)
{
    imp_report_mark mark = imp_report_mark_take(r->rep);
    imp_queue q;
    imp_prod p;
    pthread_t tid;
    bool in_tx = false, started = false;
    int code = TM_OK;

    if (r->opts->institution_id) {
        if ((code = load_institutions(r, err)) != TM_OK) goto out;
        for (size_t i = 0; i < r->ninsts && !r->forced_name; i++)
            if (r->insts[i].id == r->opts->institution_id)
                r->forced_name = tm_xstrdup(r->insts[i].name);
        if (!r->forced_name) {
            code = tm_err_set(err, TM_EINVAL, "institution", "no institution has id %lld",
                              (long long)r->opts->institution_id);
            goto out;
        }
    }
    /* The producer reads forced_name's presence only, and from here on
     * nothing it shares with this thread changes but through q. */
    code = pipe_start(&q, &p, &tid, f, fmt, inst, r->forced_name != NULL, r->opts->map, err);
    if (code != TM_OK) goto out;
    started = true;
    if ((code = idx_db_begin_write(r->db, err)) != TM_OK) goto out;
    in_tx = true;
    if ((code = idx_tech_bulk_begin(r->db, err)) != TM_OK) goto out;
    for (;;) {
        imp_batch *b = queue_pop(&q);
        if (!b) break;
        for (size_t i = 0; i < b->n && code == TM_OK; i++)
            code = write_item(r, &b->items[i], err);
        batch_free(b);
        if (code != TM_OK) goto out;
        if (r->opts->progress) {
            size_t done = r->rep->added + r->rep->updated + r->rep->unchanged + r->rep->rejected -
                          (mark.added + mark.updated + mark.unchanged + mark.rejected);
            r->opts->progress(r->opts->hook_arg, done, r->src ? (int64_t)ftello(r->src) : -1);
        }
    }
    /* The producer has ended (q.done): what it said is read under the lock
     * it was written under. */
    pthread_mutex_lock(&q.mu);
    size_t records = q.records;
    code = q.end_code;
    if (code != TM_OK && err) *err = q.end_err;
    pthread_mutex_unlock(&q.mu);
    if (code != TM_OK) goto out;
    if (code == TM_OK && records == 0) warn(r, 0, "", "no records");
    if (r->opts->strict && r->rep->rejected > mark.rejected) {
        strict_abort(r->rep, &mark); /* the rollback at out undoes the records */
        goto out;
    }
    /* A dry run rolls back: the deferred entries need not be written. */
    if (!r->opts->dry_run) code = idx_tech_bulk_end(r->db, err);
    if (code == TM_OK && !r->opts->dry_run && r->opts->before_commit)
        code = r->opts->before_commit(r->opts->commit_arg, r->db, r->rep, err);
    if (code == TM_OK && !r->opts->dry_run) {
        in_tx = false;
        code = idx_db_commit(r->db, err);
    }
out:
    if (started) pipe_stop(&q, tid);
    if (in_tx) idx_db_rollback(r->db);
    if (code != TM_OK) imp_report_mark_restore(r->rep, &mark);
    return code;
}

int imp_stream(idx_db *db, FILE *f, const char *name, imp_format fmt, const imp_opts *opts,
               imp_report *rep, tm_err *err)
{
    static const imp_opts defaults;
    imp_run r = {
        .db = db, .opts = opts ? opts : &defaults, .rep = rep, .file = base_name(name), .src = f};
    imp_enc_info info = {0};
    FILE *text = NULL;
    int code = TM_OK;

    /* Text formats are read as UTF-8 through imp_enc; a workbook is Unicode. */
    if (fmt != IMP_FMT_XLS) {
        tm_err eerr = {0};
        if (!(text = imp_enc_open(f, r.opts->encoding, &info, &eerr))) {
            code = eerr.code != TM_OK ? (int)eerr.code : TM_EINVAL;
            if (err) *err = eerr;
            goto out;
        }
    }
    code = run_file(&r, text ? text : f, fmt, false, err);
    if (code == TM_OK && text && info.kind != IMP_ENC_UTF8) {
        (void)snprintf(rep->encoding, sizeof rep->encoding, "%s", info.name);
        rep->encoding_detected = info.detected;
    }
out:
    if (text) fclose(text);
    run_free(&r);
    return code;
}

int imp_file(idx_db *db, const char *path, const imp_opts *opts, imp_report *rep, tm_err *err)
{
    imp_format fmt;
    int code = imp_format_of(path, &fmt, err);
    if (code != TM_OK) return code;
    FILE *f = fopen(path, "rb");
    if (!f)
        return tm_err_set(err, TM_EINVAL, "file", "cannot open %.120s: %s", path, strerror(errno));
    code = imp_stream(db, f, path, fmt, opts, rep, err);
    fclose(f);
    return code;
}

int imp_institutions(idx_db *db, FILE *f, const char *name, imp_report *rep, tm_err *err)
{
    static const imp_opts defaults;
    imp_run r = {.db = db, .opts = &defaults, .rep = rep, .file = base_name(name)};
    int code = load_institutions(&r, err);
    if (code == TM_OK) code = run_file(&r, f, IMP_FMT_JSONL, true, err);
    run_free(&r);
    return code;
}
