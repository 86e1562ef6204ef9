/* POST /api/v1/imports: a CSV or JSONL file of technologies, imported with
 * the importer (import/imp.h) and answered with its report as JSON.
 *
 * The format is ?format=csv|tsv|jsonl|json|xls, else the Content-Type
 * (text/csv, text/tab-separated-values, application/x-ndjson,
 * application/jsonl or application/vnd.ms-excel); anything else is 415. A
 * text file's encoding is ?encoding=utf-8|cp949|euc-kr, else the
 * Content-Type's charset parameter, else detected (import/imp_enc.h); an
 * .xls body is Unicode and read from memory (imp_xls_open_mem). A TTO's
 * records are all forced to its own institution; staff and admins may force
 * one with ?institution=ID, else each record names its own. The import
 * holds SQLite's write lock for the whole file, so it runs on the writers'
 * pool (one at a time, normal priority, 4 waiting; more: 503) with a
 * connection of its own (opened there on the loop's database file, closed
 * when done), never the loop's. One audit row "technology.import" holds the counts, the actor and
 * the forced institution; it is written inside the import's transaction, so
 * it commits or rolls back with the records. */
#include <errno.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../common/tm_alloc.h"
#include "../import/imp.h"
#include "../index/idx_audit.h"
#include "api.h"
#include "api_report.h"
#include "srv_auth.h"
#include "srv_reply.h"

typedef struct import_job {
    char *db_path;
    char *body;
    size_t len;
    imp_format fmt;
    imp_opts opts;
    char encoding[32]; /* opts.encoding points here when set */
    int64_t user_id;
    char addr[64];
    imp_report rep;
    tm_err err;
    int code;
} import_job;

static void job_free(import_job *j)
{
    if (!j) return;
    free(j->db_path);
    free(j->body);
    imp_report_free(&j->rep);
    free(j);
}

/* The format asked for; replies 415 (or 400 for a bad ?format) and returns
 * false when there is none. */
static bool import_format(srv_req *r, imp_format *fmt)
{
    const char *q = evhttp_find_header(&r->query, "format");
    if (q) {
        if (strcmp(q, "csv") == 0)
            *fmt = IMP_FMT_CSV;
        else if (strcmp(q, "tsv") == 0)
            *fmt = IMP_FMT_TSV;
        else if (strcmp(q, "jsonl") == 0)
            *fmt = IMP_FMT_JSONL;
        else if (strcmp(q, "json") == 0)
            *fmt = IMP_FMT_JSON;
        else if (strcmp(q, "xls") == 0)
            *fmt = IMP_FMT_XLS;
        else {
            srv_reply_problem(r, 415, "unsupported_media_type", "format",
                              "format must be csv, tsv, jsonl, json or xls");
            return false;
        }
        return true;
    }
    const char *ct = evhttp_find_header(evhttp_request_get_input_headers(r->ev), "Content-Type");
    if (ct) {
        while (*ct == ' ' || *ct == '\t')
            ct++;
        size_t n = strcspn(ct, "; \t");
        if (n == 8 && strncasecmp(ct, "text/csv", n) == 0) {
            *fmt = IMP_FMT_CSV;
            return true;
        }
        if ((n == 20 && strncasecmp(ct, "application/x-ndjson", n) == 0) ||
            (n == 17 && strncasecmp(ct, "application/jsonl", n) == 0)) {
            *fmt = IMP_FMT_JSONL;
            return true;
        }
        if (n == 25 && strncasecmp(ct, "text/tab-separated-values", n) == 0) {
            *fmt = IMP_FMT_TSV;
            return true;
        }
        if (n == 24 && strncasecmp(ct, "application/vnd.ms-excel", n) == 0) {
            *fmt = IMP_FMT_XLS;
            return true;
        }
    }
    srv_reply_problem(r, 415, "unsupported_media_type", "Content-Type",
                      "send text/csv, text/tab-separated-values, application/x-ndjson or "
                      "application/vnd.ms-excel, or name ?format=csv|tsv|jsonl|json|xls");
    return false;
}

/* The charset parameter of the Content-Type (text/csv; charset=euc-kr) into
 * out[cap], unquoted; false when there is none. */
static bool content_charset(srv_req *r, char *out, size_t cap)
{
    const char *ct = evhttp_find_header(evhttp_request_get_input_headers(r->ev), "Content-Type");
    for (const char *semi = ct ? strchr(ct, ';') : NULL; semi; semi = strchr(semi + 1, ';')) {
        const char *v = semi + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        if (strncasecmp(v, "charset=", 8) != 0) continue;
        v += 8;
        bool quoted = *v == '"';
        v += quoted;
        size_t n = strcspn(v, quoted ? "\"" : "; \t");
        if (n == 0 || n >= cap) return false;
        memcpy(out, v, n);
        out[n] = '\0';
        /* Names browsers and mailers give Korean Windows text, and ASCII. */
        static const char *const cp949[] = {"ks_c_5601-1987", "windows-949", "x-windows-949",
                                            "ms949", "uhc"};
        for (size_t i = 0; i < sizeof cp949 / sizeof *cp949; i++)
            if (strcasecmp(out, cp949[i]) == 0) (void)snprintf(out, cap, "cp949");
        if (strcasecmp(out, "us-ascii") == 0) (void)snprintf(out, cap, "utf-8");
        return true;
    }
    return false;
}

/* ?institution=ID: a positive decimal integer. */
static bool parse_id(const char *s, int64_t *id)
{
    if (!s || *s < '1' || *s > '9') return false;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || v <= 0) return false;
    *id = v;
    return true;
}

/* imp_opts.before_commit: inside the import's write transaction. */
static int import_audit(void *arg, idx_db *db, const imp_report *rep, tm_err *err)
{
    const import_job *j = arg;
    idx_audit_json after = {0};
    idx_actor who = {.user_id = j->user_id, .address = j->addr};
    idx_audit_json_int(&after, "added", (int64_t)rep->added);
    idx_audit_json_int(&after, "updated", (int64_t)rep->updated);
    idx_audit_json_int(&after, "unchanged", (int64_t)rep->unchanged);
    idx_audit_json_int(&after, "rejected", (int64_t)rep->rejected);
    if (j->opts.institution_id)
        idx_audit_json_int(&after, "institution_id", j->opts.institution_id);
    int code = idx_audit_add(db, &who, "technology.import", "technology", 0, NULL,
                             idx_audit_json_cstr(&after), err);
    idx_audit_json_free(&after);
    return code;
}

/* On the pool: a connection of its own, the import, the audit row. */
static void import_work(void *arg)
{
    import_job *j = arg;
    idx_db *db = NULL;
    FILE *f = NULL;
    j->code = idx_db_open(j->db_path, &db, &j->err);
    if (j->code != TM_OK) goto out;
    if (!(f = fmemopen(j->body, j->len, "r"))) {
        j->code = tm_err_set(&j->err, TM_EINTERNAL, NULL, "fmemopen: %s", strerror(errno));
        goto out;
    }
    j->opts.before_commit = import_audit;
    j->opts.commit_arg = j;
    j->code = imp_stream(db, f, "upload", j->fmt, &j->opts, &j->rep, &j->err);
out:
    if (f) fclose(f);
    if (db) idx_db_close(db);
}

static void import_done(srv_req *r, void *arg)
{
    import_job *j = arg;
    if (r) {
        if (j->code == TM_OK) {
            tm_buf body = {0};
            srv_jw w;
            srv_jw_init(&w, &body);
            api_report_write(&w, &j->rep);
            srv_reply_json_text(r, 200, &body);
            tm_buf_free(&body);
        } else
            srv_reply_error(r, &j->err);
    }
    job_free(j);
}

void api_import(srv_req *r)
{
    imp_format fmt;
    int64_t inst = 0;
    if (!import_format(r, &fmt)) return;
    const char *qi = evhttp_find_header(&r->query, "institution");
    if (r->actor.role == SRV_ROLE_TTO) {
        if (qi && !(parse_id(qi, &inst) && inst == r->actor.institution_id)) {
            srv_reply_errorf(r, TM_EFORBID, "institution",
                             "a TTO imports only into its own institution");
            return;
        }
        inst = r->actor.institution_id;
    } else if (qi && !parse_id(qi, &inst)) {
        srv_reply_errorf(r, TM_EINVAL, "institution", "institution must be an institution id");
        return;
    }
    srv_object obj = {.kind = SRV_OBJ_TECH, .institution_id = inst};
    if (!srv_auth_allow(&r->actor, SRV_ACT_TECH_IMPORT, inst ? &obj : NULL)) {
        srv_reply_errorf(r, TM_EFORBID, NULL, "your role may not import here");
        return;
    }
    struct evbuffer *in = evhttp_request_get_input_buffer(r->ev);
    size_t len = evbuffer_get_length(in);
    if (len == 0) {
        srv_reply_errorf(r, TM_EINVAL, NULL, "the body is empty: send the file");
        return;
    }
    const char *path = sqlite3_db_filename(r->db->h, "main");
    if (!path || !*path) {
        srv_reply_errorf(r, TM_EINTERNAL, NULL, "the database has no file to import into");
        return;
    }
    import_job *j = tm_xcalloc(1, sizeof *j);
    j->db_path = tm_xstrdup(path);
    j->body = tm_xmalloc(len);
    (void)evbuffer_copyout(in, j->body, len);
    j->len = len;
    j->fmt = fmt;
    j->opts.institution_id = inst;
    /* The encoding: ?encoding=, else the charset; imp_enc checks the name
     * (400 on field "encoding"). A name longer than any it knows is cut and
     * so still refused. */
    const char *qe = evhttp_find_header(&r->query, "encoding");
    if (qe && *qe) {
        (void)snprintf(j->encoding, sizeof j->encoding, "%s", qe);
        j->opts.encoding = j->encoding;
    } else if (content_charset(r, j->encoding, sizeof j->encoding)) {
        j->opts.encoding = j->encoding;
    }
    j->user_id = r->actor.user_id;
    srv_auth_address(r, j->addr, sizeof j->addr);
    if (!srv_req_offload_write(r, import_work, import_done, j)) {
        job_free(j);
        srv_reply_errorf(r, TM_EBUSY, NULL, "too many uploads at once; try again");
    }
}
