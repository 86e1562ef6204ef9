/* A TTO's own listings: POST /api/v1/technologies, PATCH and DELETE
 * /api/v1/technologies/{id}.
 *
 * The body is the import record format, checked by imp_rec_tech() (the
 * importer's validator), so a field error reads as it does in an import
 * report. A client never sets id, institution_id, version, created_at or
 * updated_at (400 naming the field), nor a key the record format lacks. The
 * institution is the TTO's own unless the body names one; whether the actor
 * may list a technology there is asked of srv_auth_allow() (refused: 400,
 * field institution). A PATCH sends `If-Match: "<version>"` (428 without,
 * 412 when not current) and a partial record: its members replace the stored
 * ones (null clears), and the result is validated whole. DELETE withdraws
 * (status withdrawn); a PATCH of status lists it again.
 *
 * Access to one technology is decided by srv_auth_allow(): refused to
 * someone who may see it (a TTO of another institution, a visible listing)
 * is 403; to someone who may not (a withdrawn listing) 404, as for one that
 * does not exist. Every change is one write transaction: the read, the
 * version check (again in the UPDATE's WHERE), the write and its audit row
 * (technology.create/update/withdraw, before/after of the changed fields). */
#include <errno.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/tm_buf.h"
#include "../import/imp_rec.h"
#include "../index/idx_audit.h"
#include "../index/idx_enum.h"
#include "../index/idx_inst.h"
#include "../index/idx_tech.h"
#include "api.h"
#include "api_json.h"
#include "srv_auth.h"
#include "srv_reply.h"

/* Members a client may never set: the server owns them. */
static const char *const server_fields[] = {"id",         "institution_id", "version",
                                            "created_at", "updated_at",     NULL};

void api_tech_etag(srv_req *r, int64_t version)
{
    char v[32];
    (void)snprintf(v, sizeof v, "\"%" PRId64 "\"", version);
    evhttp_add_header(evhttp_request_get_output_headers(r->ev), "ETag", v);
}

/* Reads technology id again and replies with it and its ETag. */
static void reply_tech(srv_req *r, int status, int64_t id)
{
    idx_tech t;
    tm_err err = {0};
    if (idx_tech_get(r->db, id, &t, &err) != TM_OK) {
        srv_reply_error(r, &err);
        return;
    }
    tm_buf body = {0};
    srv_jw w;
    srv_jw_init(&w, &body);
    api_jw_tech(&w, &t);
    api_tech_etag(r, t.version);
    idx_tech_clear(&t);
    srv_reply_json_text(r, status, &body);
    tm_buf_free(&body);
}

/* The body as a JSON object without server-owned members, or NULL with *err
 * set (TM_EINVAL). */
static json_t *body_object(srv_req *r, tm_err *err)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(r->ev);
    size_t n = evbuffer_get_length(in);
    const char *data = n ? (const char *)evbuffer_pullup(in, (ev_ssize_t)n) : "";
    json_error_t jerr;
    json_t *root = json_loadb(data, n, JSON_REJECT_DUPLICATES, &jerr);
    if (!root || !json_is_object(root)) {
        json_decref(root);
        (void)tm_err_set(err, TM_EINVAL, NULL, "the body must be a JSON object of record fields");
        return NULL;
    }
    for (size_t i = 0; server_fields[i]; i++)
        if (json_object_get(root, server_fields[i])) {
            json_decref(root);
            (void)tm_err_set(err, TM_EINVAL, server_fields[i], "is set by the server, not by you");
            return NULL;
        }
    return root;
}

static void first_unknown(void *arg, const char *name)
{
    char *out = arg;
    if (!*out) (void)snprintf(out, 64, "%s", name);
}

/* Validates rec into *t (as imp_rec_tech; institution optional). A key the
 * record format lacks is a 400 naming it. */
static int record_check(const json_t *rec, idx_tech *t, tm_err *err)
{
    char unknown[64] = "";
    imp_rec_opts o = {.institution_optional = true, .unknown = first_unknown, .arg = unknown};
    int code = imp_rec_tech(rec, &o, t, err);
    if (unknown[0]) {
        if (code == TM_OK) idx_tech_clear(t);
        return tm_err_set(err, TM_EINVAL, unknown, "is not a field of a technology");
    }
    return code;
}

/* Sets t->institution_id: the institution t names, else current, else the
 * actor's own; the actor must be allowed act there (400 naming institution
 * otherwise, as for an unknown one). */
static int record_institution(srv_req *r, srv_action act, int64_t current, idx_tech *t, tm_err *err)
{
    int64_t inst = current ? current : r->actor.institution_id;
    if (t->institution) {
        int code = idx_inst_find(r->db, t->institution, &inst, err);
        if (code != TM_OK) return code;
        if (!inst) return tm_err_set(err, TM_EINVAL, "institution", "is not a known institution");
    }
    if (!inst) return tm_err_set(err, TM_EINVAL, "institution", "is required");
    srv_object obj = {.kind = SRV_OBJ_TECH, .institution_id = inst};
    if (!srv_auth_allow(&r->actor, act, &obj))
        return tm_err_set(err, TM_EINVAL, "institution",
                          "you may not list technologies of this institution");
    t->institution_id = inst;
    return TM_OK;
}

/* ---- audit: the fields that differ between a (NULL: none) and b */

static void join_strv(const idx_strv *v, tm_buf *out)
{
    tm_buf_reset(out);
    for (size_t i = 0; i < v->n; i++) {
        if (i) tm_buf_puts(out, "; ");
        tm_buf_puts(out, v->v[i]);
    }
}

static void join_licence(unsigned mask, tm_buf *out)
{
    tm_buf_reset(out);
    for (int l = 0; l < IDX_LICENCE__COUNT; l++)
        if (mask & (1u << l)) {
            if (out->len) tm_buf_puts(out, "; ");
            tm_buf_puts(out, idx_licence_name(l));
        }
}

static void join_patents(const idx_tech *t, tm_buf *out)
{
    tm_buf_reset(out);
    for (size_t i = 0; i < t->npatents; i++) {
        const idx_patent *p = &t->patents[i];
        if (i) tm_buf_puts(out, "; ");
        tm_buf_printf(out, "%s %s %s %s %s %s %s", p->number ? p->number : "",
                      p->country ? p->country : "", p->kind ? p->kind : "",
                      p->status ? p->status : "", p->filed ? p->filed : "",
                      p->registered ? p->registered : "",
                      p->registration_number ? p->registration_number : "");
    }
}

static void diff_str(idx_audit_json *before, idx_audit_json *after, const char *key, const char *a,
                     const char *b)
{
    if (a && !*a) a = NULL;
    if (b && !*b) b = NULL;
    if ((!a && !b) || (a && b && !strcmp(a, b))) return;
    idx_audit_json_str(before, key, a);
    idx_audit_json_str(after, key, b);
}

static void diff_buf(idx_audit_json *before, idx_audit_json *after, const char *key, tm_buf *a,
                     tm_buf *b)
{
    diff_str(before, after, key, a->len ? tm_buf_cstr(a) : NULL, b->len ? tm_buf_cstr(b) : NULL);
}

static void tech_diff(const idx_tech *a, const idx_tech *b, idx_audit_json *before,
                      idx_audit_json *after)
{
    idx_tech none;
    idx_tech_init(&none);
    none.status = -1;
    if (!a) a = &none;
    tm_buf x = {0}, y = {0};
    if (a->institution_id != b->institution_id) {
        if (a->institution_id)
            idx_audit_json_int(before, "institution_id", a->institution_id);
        else
            idx_audit_json_null(before, "institution_id");
        idx_audit_json_int(after, "institution_id", b->institution_id);
    }
    diff_str(before, after, "external_id", a->external_id, b->external_id);
    diff_str(before, after, "title", a->title, b->title);
    diff_str(before, after, "title_en", a->title_en, b->title_en);
    diff_str(before, after, "summary", a->summary, b->summary);
    diff_str(before, after, "description", a->description, b->description);
    join_strv(&a->keywords, &x), join_strv(&b->keywords, &y);
    diff_buf(before, after, "keywords", &x, &y);
    diff_str(before, after, "field", idx_field_name(a->field), idx_field_name(b->field));
    join_strv(&a->ipc, &x), join_strv(&b->ipc, &y);
    diff_buf(before, after, "ipc", &x, &y);
    if (a->trl != b->trl) {
        if (a->trl)
            idx_audit_json_int(before, "trl", a->trl);
        else
            idx_audit_json_null(before, "trl");
        if (b->trl)
            idx_audit_json_int(after, "trl", b->trl);
        else
            idx_audit_json_null(after, "trl");
    }
    join_licence(a->licence, &x), join_licence(b->licence, &y);
    diff_buf(before, after, "licence", &x, &y);
    diff_str(before, after, "asking", a->asking, b->asking);
    diff_str(before, after, "status", idx_status_name(a->status), idx_status_name(b->status));
    join_strv(&a->inventors, &x), join_strv(&b->inventors, &y);
    diff_buf(before, after, "inventors", &x, &y);
    diff_str(before, after, "contact", a->contact, b->contact);
    join_patents(a, &x), join_patents(b, &y);
    diff_buf(before, after, "patents", &x, &y);
    tm_buf_free(&x);
    tm_buf_free(&y);
}

static int audit(srv_req *r, const char *action, int64_t id, const idx_tech *a, const idx_tech *b,
                 tm_err *err)
{
    char addr[64];
    idx_audit_json before = {0}, after = {0};
    idx_actor who = srv_auth_idx_actor(r, addr, sizeof addr);
    tech_diff(a, b, &before, &after);
    int code =
        idx_audit_add(r->db, &who, action, "technology", id,
                      a ? idx_audit_json_cstr(&before) : NULL, idx_audit_json_cstr(&after), err);
    idx_audit_json_free(&before);
    idx_audit_json_free(&after);
    return code;
}

/* ---- handlers */

/* A path id: a positive decimal integer, nothing else. */
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

/* Reads technology id inside the open transaction into *cur and asks
 * whether the actor may act on it: TM_ENOTFOUND for one it may not see,
 * TM_EFORBID for one it sees but may not change. */
static int load_for(srv_req *r, srv_action act, int64_t id, idx_tech *cur, tm_err *err)
{
    int code = idx_tech_get(r->db, id, cur, err);
    if (code == TM_ENOTFOUND)
        return tm_err_set(err, TM_ENOTFOUND, NULL, "no technology with id %" PRId64, id);
    if (code != TM_OK) return code;
    srv_object obj = {.kind = SRV_OBJ_TECH,
                      .institution_id = cur->institution_id,
                      .withdrawn = cur->status == IDX_STATUS_WITHDRAWN};
    if (srv_auth_allow(&r->actor, act, &obj)) return TM_OK;
    idx_tech_clear(cur);
    if (!srv_auth_allow(&r->actor, SRV_ACT_TECH_READ, &obj))
        return tm_err_set(err, TM_ENOTFOUND, NULL, "no technology with id %" PRId64, id);
    return tm_err_set(err, TM_EFORBID, NULL, "only its institution's TTOs and staff may change it");
}

void api_tech_create(srv_req *r)
{
    tm_err err = {0};
    idx_tech t;
    int64_t id = 0;
    int code;
    json_t *rec = body_object(r, &err);

    idx_tech_init(&t);
    if (!rec) {
        srv_reply_error(r, &err);
        return;
    }
    code = record_check(rec, &t, &err);
    json_decref(rec);
    if (code != TM_OK) {
        srv_reply_error(r, &err);
        return;
    }
    if ((code = idx_db_begin_write(r->db, &err)) == TM_OK) {
        if ((code = record_institution(r, SRV_ACT_TECH_CREATE, 0, &t, &err)) == TM_OK &&
            (code = idx_tech_insert(r->db, &t, &id, &err)) == TM_OK &&
            (code = audit(r, "technology.create", id, NULL, &t, &err)) == TM_OK)
            code = idx_db_commit(r->db, &err);
        if (code != TM_OK) idx_db_rollback(r->db);
    }
    idx_tech_clear(&t);
    if (code != TM_OK) {
        srv_reply_error(r, &err);
        return;
    }
    reply_tech(r, 201, id);
}

/* The stored record in the record format (what imp_rec_tech reads), without
 * the server's members and the institution. New reference. */
static json_t *record_of(const idx_tech *t)
{
    tm_buf text = {0};
    srv_jw w;
    srv_jw_init(&w, &text);
    api_jw_tech(&w, t);
    json_t *o = json_loadb(text.p, text.len, 0, NULL);
    tm_buf_free(&text);
    if (!o) o = json_object();
    for (size_t i = 0; server_fields[i]; i++)
        json_object_del(o, server_fields[i]);
    json_object_del(o, "institution");
    return o;
}

/* The If-Match version: 0 (and a 428 sent) when absent; -1 when it is not a
 * "<version>" (it cannot match). */
static int64_t if_match(srv_req *r)
{
    const char *v = evhttp_find_header(evhttp_request_get_input_headers(r->ev), "If-Match");
    if (!v) {
        srv_reply_problem(r, 428, "precondition_required", "If-Match",
                          "send If-Match with the technology's ETag");
        return 0;
    }
    int64_t version = 0;
    size_t len = strlen(v);
    if (len < 3 || len > 21 || v[0] != '"' || v[len - 1] != '"' || v[1] < '1' || v[1] > '9')
        return -1;
    for (size_t i = 1; i + 1 < len; i++) {
        if (v[i] < '0' || v[i] > '9') return -1;
        version = version * 10 + (v[i] - '0');
    }
    return version;
}

void api_tech_patch(srv_req *r)
{
    tm_err err = {0};
    idx_tech cur, t;
    int64_t id = 0, want;
    json_t *patch = NULL, *rec = NULL;
    int code;

    idx_tech_init(&cur);
    idx_tech_init(&t);
    if (!parse_id(r->param, &id)) {
        srv_reply_errorf(r, TM_ENOTFOUND, NULL, "no technology with id %.40s", r->param);
        return;
    }
    if (!(want = if_match(r))) return;
    if (!(patch = body_object(r, &err))) {
        srv_reply_error(r, &err);
        return;
    }
    if ((code = idx_db_begin_write(r->db, &err)) != TM_OK) goto out;
    if ((code = load_for(r, SRV_ACT_TECH_EDIT, id, &cur, &err)) != TM_OK) goto out;
    if (want != cur.version) {
        code = tm_err_set(&err, TM_ESTALE, "If-Match", "the technology is at version %" PRId64,
                          cur.version);
        goto out;
    }
    rec = record_of(&cur);
    if (json_object_update(rec, patch) != 0) {
        code = tm_err_set(&err, TM_EINTERNAL, NULL, "merging the patch failed");
        goto out;
    }
    if ((code = record_check(rec, &t, &err)) != TM_OK) goto out;
    if ((code = record_institution(r, SRV_ACT_TECH_EDIT, cur.institution_id, &t, &err)) != TM_OK)
        goto out;
    if ((code = idx_tech_update_if(r->db, id, want, &t, &err)) != TM_OK) goto out;
    if ((code = audit(r, "technology.update", id, &cur, &t, &err)) != TM_OK) goto out;
    code = idx_db_commit(r->db, &err);
out:
    if (code != TM_OK) idx_db_rollback(r->db);
    json_decref(patch);
    json_decref(rec);
    idx_tech_clear(&cur);
    idx_tech_clear(&t);
    if (code != TM_OK) {
        srv_reply_error(r, &err);
        return;
    }
    reply_tech(r, 200, id);
}

void api_tech_delete(srv_req *r)
{
    tm_err err = {0};
    idx_tech cur;
    int64_t id = 0;
    int code;

    idx_tech_init(&cur);
    if (!parse_id(r->param, &id)) {
        srv_reply_errorf(r, TM_ENOTFOUND, NULL, "no technology with id %.40s", r->param);
        return;
    }
    if ((code = idx_db_begin_write(r->db, &err)) != TM_OK) goto out;
    if ((code = load_for(r, SRV_ACT_TECH_WITHDRAW, id, &cur, &err)) != TM_OK) goto out;
    if (cur.status != IDX_STATUS_WITHDRAWN) { /* withdrawing twice changes nothing */
        int before = cur.status;
        cur.status = IDX_STATUS_WITHDRAWN;
        if ((code = idx_tech_update_if(r->db, id, cur.version, &cur, &err)) != TM_OK) goto out;
        idx_tech was = cur;
        was.status = before;
        if ((code = audit(r, "technology.withdraw", id, &was, &cur, &err)) != TM_OK) goto out;
    }
    code = idx_db_commit(r->db, &err);
out:
    if (code != TM_OK) idx_db_rollback(r->db);
    idx_tech_clear(&cur);
    if (code != TM_OK) {
        srv_reply_error(r, &err);
        return;
    }
    srv_reply_bytes(r, 204, NULL, NULL, 0);
}
