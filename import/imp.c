#include "imp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../common/tm_alloc.h"
#include "../common/tm_buf.h"
#include "../common/tm_utf8.h"
#include "../index/idx_bulk.h"
#include "../index/idx_enum.h"
#include "../index/idx_inst.h"
#include "../index/idx_tech.h"
#include "imp_enc.h"
#include "imp_int.h"
#include "imp_rec.h"
#include "imp_report.h"
#include "imp_xls.h"

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
    code = imp_pipe_start(&q, &p, &tid, f, fmt, inst, r->forced_name != NULL, r->opts->map, err);
    if (code != TM_OK) goto out;
    started = true;
    if ((code = idx_db_begin_write(r->db, err)) != TM_OK) goto out;
    in_tx = true;
    if ((code = idx_bulk_begin(r->db, r->opts->dry_run, err)) != TM_OK) goto out;
    for (;;) {
        imp_batch *b = imp_queue_pop(&q);
        if (!b) break;
        for (size_t i = 0; i < b->n && code == TM_OK; i++)
            code = write_item(r, &b->items[i], err);
        imp_batch_free(b);
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
    if (!r->opts->dry_run) code = idx_bulk_end(r->db, NULL, err);
    if (code == TM_OK && !r->opts->dry_run && r->opts->before_commit)
        code = r->opts->before_commit(r->opts->commit_arg, r->db, r->rep, err);
    if (code == TM_OK && !r->opts->dry_run) {
        in_tx = false;
        code = idx_db_commit(r->db, err);
    }
out:
    if (started) imp_pipe_stop(&q, tid);
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
