#include "imp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* New institution names printed in a report before "and N more". */
#define IMP_NAMES_SHOWN 20

#include "../common/tm_alloc.h"
#include "../common/tm_str.h"
#include "../common/tm_utf8.h"
#include "../index/idx_enum.h"
#include "../index/idx_inst.h"
#include "../index/idx_tech.h"
#include "imp_csv.h"
#include "imp_json.h"
#include "imp_rec.h"

/* Distinct unknown names warned about per file; past it, no more warnings. */
#define UNKNOWN_MAX 64

/* One file being imported. */
typedef struct imp_run {
    idx_db *db;
    const imp_opts *opts;
    imp_report *rep;
    const char *file; /* base name, for issues */
    size_t line;      /* where the current record starts */
    size_t records;   /* records met, rejected ones included */
    /* opts->institution_id's stored name, and the last name compared to it */
    char *forced_name;
    char *last_name;
    int64_t last_id;
    char **unknown; /* names already warned about */
    size_t nunknown;
    idx_inst *insts; /* imp_institutions: the stored ones, by name */
    size_t ninsts;
} imp_run;

typedef int (*imp_rec_fn)(imp_run *r, const json_t *obj, tm_err *err);

/* ---- the report ---- */

/* Copies s into out[cap] with control characters and invalid UTF-8 shown as
 * '?', so that no input can put escape sequences on a terminal. */
static void safe_copy(char *out, size_t cap, const char *s)
{
    size_t o = 0, n = s ? strlen(s) : 0, i = 0;
    while (i < n) {
        const unsigned char *u = (const unsigned char *)s + i;
        uint32_t cp = *u;
        size_t k = *u < 0x80 ? 1 : tm_utf8_decode(u, n - i, &cp);
        bool bad = k == 0 || cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f);
        size_t w = bad ? 1 : k;
        if (o + w >= cap) break;
        if (bad)
            out[o++] = '?';
        else
            memcpy(out + o, u, k);
        o += bad ? 0 : k;
        i += k ? k : 1;
    }
    out[o] = '\0';
}

/* Grows an array of elem-sized items holding n to room for n + 1, doubling
 * at powers of two (no capacity field needed). */
static void *grow(void *p, size_t n, size_t elem)
{
    if (n == 0) return tm_xreallocarray(p, 8, elem);
    if (n >= 8 && (n & (n - 1)) == 0) return tm_xreallocarray(p, n * 2, elem);
    return p;
}

static void add_issue(imp_report *rep, const char *file, size_t line, bool warning,
                      const char *field, const char *msg)
{
    if (rep->nissues >= IMP_MAX_ISSUES) return;
    rep->issues = grow(rep->issues, rep->nissues, sizeof *rep->issues);
    imp_issue *is = &rep->issues[rep->nissues++];
    memset(is, 0, sizeof *is);
    is->file = tm_xstrdup(file);
    is->line = line;
    is->warning = warning;
    safe_copy(is->field, sizeof is->field, field);
    safe_copy(is->msg, sizeof is->msg, msg);
}

static void reject(imp_run *r, const tm_err *e)
{
    r->rep->rejected++;
    add_issue(r->rep, r->file, r->line, false, e->field, e->msg);
}

static void warn(imp_run *r, size_t line, const char *field, const char *msg)
{
    r->rep->warnings++;
    add_issue(r->rep, r->file, line, true, field, msg);
}

static void add_new_institution(imp_report *rep, const char *name)
{
    for (size_t i = 0; i < rep->nnew_institutions; i++)
        if (strcmp(rep->new_institutions[i], name) == 0) return;
    rep->new_institutions =
        grow(rep->new_institutions, rep->nnew_institutions, sizeof *rep->new_institutions);
    rep->new_institutions[rep->nnew_institutions++] = tm_xstrdup(name);
}

/* What a report held before a file, to take the file back out of it when the
 * file fails as a whole (nothing of it is stored). */
typedef struct rep_mark {
    size_t added, updated, unchanged, rejected, warnings, nissues, nnew;
} rep_mark;

static rep_mark rep_mark_take(const imp_report *rep)
{
    return (rep_mark){rep->added,    rep->updated, rep->unchanged,        rep->rejected,
                      rep->warnings, rep->nissues, rep->nnew_institutions};
}

static void rep_mark_restore(imp_report *rep, const rep_mark *m)
{
    for (size_t i = m->nissues; i < rep->nissues; i++)
        free(rep->issues[i].file);
    for (size_t i = m->nnew; i < rep->nnew_institutions; i++)
        free(rep->new_institutions[i]);
    rep->added = m->added;
    rep->updated = m->updated;
    rep->unchanged = m->unchanged;
    rep->rejected = m->rejected;
    rep->warnings = m->warnings;
    rep->nissues = m->nissues;
    rep->nnew_institutions = m->nnew;
}

void imp_report_print(const imp_report *rep, const char *label, FILE *out)
{
    for (size_t i = 0; i < rep->nissues; i++) {
        const imp_issue *is = &rep->issues[i];
        fprintf(out, "%s%s", is->warning ? "warning: " : "", is->file);
        if (is->line) fprintf(out, ":%zu", is->line);
        fprintf(out, ": %s%s%s\n", is->field, is->field[0] ? ": " : "", is->msg);
    }
    size_t total = rep->rejected + rep->warnings;
    if (total > rep->nissues) fprintf(out, "(%zu more issues not shown)\n", total - rep->nissues);
    if (label) fprintf(out, "%s: ", label);
    fprintf(out, "%zu added, %zu updated, %zu unchanged, %zu rejected", rep->added, rep->updated,
            rep->unchanged, rep->rejected);
    /* Names, then a count: a file from a new source may name hundreds. */
    size_t shown =
        rep->nnew_institutions < IMP_NAMES_SHOWN ? rep->nnew_institutions : IMP_NAMES_SHOWN;
    if (rep->nnew_institutions)
        fprintf(out, "; %zu new institution%s: ", rep->nnew_institutions,
                rep->nnew_institutions == 1 ? "" : "s");
    for (size_t i = 0; i < shown; i++)
        fprintf(out, "%s%s", i ? " | " : "", rep->new_institutions[i]);
    if (shown < rep->nnew_institutions)
        fprintf(out, " | and %zu more", rep->nnew_institutions - shown);
    fputc('\n', out);
}

void imp_report_free(imp_report *rep)
{
    if (!rep) return;
    for (size_t i = 0; i < rep->nissues; i++)
        free(rep->issues[i].file);
    free(rep->issues);
    for (size_t i = 0; i < rep->nnew_institutions; i++)
        free(rep->new_institutions[i]);
    free(rep->new_institutions);
    memset(rep, 0, sizeof *rep);
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
    else
        return tm_err_set(err, TM_EINVAL, "file",
                          "%.80s: unknown format; name the file .jsonl, .json or .csv", base);
    return TM_OK;
}

/* ---- records ---- */

static void on_unknown(void *arg, const char *name)
{
    imp_run *r = arg;
    for (size_t i = 0; i < r->nunknown; i++)
        if (strcmp(r->unknown[i], name) == 0) return;
    if (r->nunknown >= UNKNOWN_MAX) return;
    r->unknown = grow(r->unknown, r->nunknown, sizeof *r->unknown);
    r->unknown[r->nunknown++] = tm_xstrdup(name);
    warn(r, r->line, name, "unknown field; ignored");
}

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

static int run_tech(imp_run *r, const json_t *obj, tm_err *err)
{
    imp_rec_opts ro = {
        .institution_optional = r->forced_name != NULL, .unknown = on_unknown, .arg = r};
    idx_tech t;
    idx_upsert_res res;
    tm_err rerr = {0};
    int code;

    r->records++;
    if (imp_rec_tech(obj, &ro, &t, &rerr) != TM_OK) {
        reject(r, &rerr);
        return TM_OK;
    }
    if (r->forced_name) {
        bool belongs;
        if ((code = force_institution(r, &t, &belongs, err)) != TM_OK) goto out;
        if (!belongs) {
            tm_err_set(&rerr, TM_EINVAL, "institution", "records must belong to %s",
                       r->forced_name);
            reject(r, &rerr);
            goto out;
        }
    }
    if ((code = idx_db_savepoint(r->db, err)) != TM_OK) goto out;
    code = idx_tech_upsert(r->db, &t, &res, &rerr);
    if (code != TM_OK) {
        code = after_write_error(r, code, &rerr, err);
        goto out;
    }
    if ((code = idx_db_release(r->db, err)) != TM_OK) goto out;
    if (res.kind == IDX_UPSERT_ADDED)
        r->rep->added++;
    else if (res.kind == IDX_UPSERT_UPDATED)
        r->rep->updated++;
    else
        r->rep->unchanged++;
    if (res.institution_created && t.institution) add_new_institution(r->rep, t.institution);
out:
    idx_tech_clear(&t);
    return code;
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

static int run_inst(imp_run *r, const json_t *obj, tm_err *err)
{
    imp_rec_opts ro = {.unknown = on_unknown, .arg = r};
    idx_inst in;
    tm_err rerr = {0};
    int64_t id = 0;
    int created = 0, code;

    r->records++;
    if (imp_rec_inst(obj, &ro, &in, &rerr) != TM_OK) {
        reject(r, &rerr);
        return TM_OK;
    }
    bool same = inst_unchanged(r, &in);
    if ((code = idx_db_savepoint(r->db, err)) != TM_OK) goto out;
    code = idx_inst_upsert(r->db, &in, &id, &created, &rerr);
    if (code != TM_OK) {
        code = after_write_error(r, code, &rerr, err);
        goto out;
    }
    if ((code = idx_db_release(r->db, err)) != TM_OK) goto out;
    if (created)
        r->rep->added++;
    else if (same)
        r->rep->unchanged++;
    else
        r->rep->updated++;
out:
    idx_inst_clear(&in);
    return code;
}

/* ---- readers ---- */

static int read_json(imp_run *r, FILE *f, bool array, imp_rec_fn fn, tm_err *err)
{
    imp_json *rd = imp_json_open(f, array, 0);
    int code = TM_OK;
    for (;;) {
        json_t *obj = NULL;
        tm_err rerr = {0};
        imp_json_kind kind = imp_json_next(rd, &obj, &rerr);
        if (kind == IMP_JSON_END) break;
        if (kind == IMP_JSON_FAIL) {
            *err = rerr;
            code = rerr.code != TM_OK ? (int)rerr.code : TM_EINVAL;
            break;
        }
        r->line = imp_json_line(rd);
        if (kind == IMP_JSON_BAD) {
            r->records++;
            reject(r, &rerr);
            continue;
        }
        code = fn(r, obj, err);
        json_decref(obj);
        if (code != TM_OK) break;
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

static int read_csv(imp_run *r, FILE *f, tm_err *err)
{
    imp_csv *c = imp_csv_open(f, NULL);
    imp_rec_cols cols = {0};
    tm_str *cells = NULL;
    size_t ncap = 0;
    tm_err rerr = {0};
    char colbuf[32];
    int code = TM_OK;

    imp_csv_kind kind = imp_csv_next(c, &rerr);
    if (kind == IMP_CSV_END) goto out; /* an empty file */
    if (kind != IMP_CSV_ROW) {
        code = tm_err_set(err, rerr.code != TM_OK ? rerr.code : TM_EINVAL, "header", "line %zu: %s",
                          imp_csv_line(c), rerr.msg);
        goto out;
    }
    for (;;) {
        size_t n = imp_csv_nfields(c);
        if (n > ncap) {
            ncap = n;
            cells = tm_xreallocarray(cells, ncap, sizeof *cells);
        }
        for (size_t i = 0; i < n; i++)
            cells[i] = imp_csv_field(c, i);
        r->line = imp_csv_line(c);
        if (!cols.names) {
            code = imp_rec_cols_init(&cols, cells, n, r->forced_name != NULL, err);
            if (code != TM_OK) goto out;
            for (size_t i = 0; i < cols.n; i++)
                if (!cols.names[i][0] && n > 1)
                    warn(r, r->line, column_name(&cols, i, colbuf), "has no name; ignored");
        } else {
            bool empty = true;
            for (size_t i = 0; i < n && empty; i++)
                empty = cells[i].len == 0;
            if (!empty) {
                json_t *obj = NULL;
                if (n != cols.n) {
                    r->records++;
                    tm_err_set(&rerr, TM_EINVAL, NULL, "the row has %zu fields; the header has %zu",
                               n, cols.n);
                    reject(r, &rerr);
                } else if (imp_rec_from_row(&cols, cells, n, &obj, &rerr) != TM_OK) {
                    r->records++;
                    reject(r, &rerr);
                } else {
                    code = run_tech(r, obj, err); /* counts the record */
                    json_decref(obj);
                    if (code != TM_OK) goto out;
                }
            }
        }
        for (;;) {
            kind = imp_csv_next(c, &rerr);
            if (kind != IMP_CSV_BAD) break;
            r->line = imp_csv_line(c);
            r->records++;
            tm_err e = rerr;
            (void)snprintf(e.field, sizeof e.field, "%s",
                           column_name(&cols, imp_csv_bad_column(c), colbuf));
            reject(r, &e);
        }
        if (kind == IMP_CSV_END) break;
        if (kind == IMP_CSV_FAIL) {
            *err = rerr;
            code = rerr.code != TM_OK ? (int)rerr.code : TM_EINVAL;
            goto out;
        }
    }
out:
    free(cells);
    imp_rec_cols_free(&cols);
    imp_csv_free(c);
    return code;
}

/* ---- files ---- */

static void run_free(imp_run *r)
{
    free(r->forced_name);
    free(r->last_name);
    for (size_t i = 0; i < r->nunknown; i++)
        free(r->unknown[i]);
    free(r->unknown);
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

/* One file in one write transaction: readers feed fn. */
static int run_file(imp_run *r, FILE *f, imp_format fmt, imp_rec_fn fn, tm_err *err)
{
    rep_mark mark = rep_mark_take(r->rep);
    bool in_tx = false;
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
    if ((code = idx_db_begin_write(r->db, err)) != TM_OK) goto out;
    in_tx = true;
    if ((code = idx_tech_bulk_begin(r->db, err)) != TM_OK) goto out;
    if (fmt == IMP_FMT_CSV)
        code = read_csv(r, f, err);
    else
        code = read_json(r, f, fmt == IMP_FMT_JSON, fn, err);
    /* A dry run rolls back: the deferred entries need not be written. */
    if (code == TM_OK && !r->opts->dry_run) code = idx_tech_bulk_end(r->db, err);
    if (code == TM_OK && r->records == 0) warn(r, 0, "", "no records");
    if (code == TM_OK && !r->opts->dry_run) {
        in_tx = false;
        code = idx_db_commit(r->db, err);
    }
out:
    if (in_tx) idx_db_rollback(r->db);
    if (code != TM_OK) rep_mark_restore(r->rep, &mark);
    return code;
}

int imp_stream(idx_db *db, FILE *f, const char *name, imp_format fmt, const imp_opts *opts,
               imp_report *rep, tm_err *err)
{
    static const imp_opts defaults;
    imp_run r = {.db = db, .opts = opts ? opts : &defaults, .rep = rep, .file = base_name(name)};
    int code = run_file(&r, f, fmt, run_tech, err);
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
    if (code == TM_OK) code = run_file(&r, f, IMP_FMT_JSONL, run_inst, err);
    run_free(&r);
    return code;
}
