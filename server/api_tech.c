/* GET /api/v1/technologies (search) and GET /api/v1/technologies/{id}. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../common/tm_buf.h"
#include "../index/idx_enum.h"
#include "../index/idx_search.h"
#include "../index/idx_snip.h"
#include "../index/idx_tech.h"
#include "api.h"
#include "api_json.h"
#include "srv_auth.h"

int api_tech_search_parse(srv_req *r, idx_search_req *req, tm_err *err)
{
    int code, inst = 0;
    idx_search_req_init(req);
    const char *q = evhttp_find_header(&r->query, "q");
    if (q) {
        req->q = q;
        req->qlen = strlen(q);
    }
    if ((code = api_param_enum(r, "field", idx_field_parse, idx_field_name, IDX_FIELD__COUNT,
                               &req->field, err)) != TM_OK ||
        (code = api_param_int(r, "institution", 1, INT32_MAX, &inst, err)) != TM_OK ||
        (code = api_param_enum(r, "status", idx_status_parse, idx_status_name, IDX_STATUS__COUNT,
                               &req->status, err)) != TM_OK ||
        (code = api_param_int(r, "trl_min", 1, 9, &req->trl_min, err)) != TM_OK ||
        (code = api_param_int(r, "trl_max", 1, 9, &req->trl_max, err)) != TM_OK ||
        (code = api_param_enum(r, "licence", idx_licence_parse, idx_licence_name,
                               IDX_LICENCE__COUNT, &req->licence, err)) != TM_OK ||
        (code = api_param_enum(r, "sort", idx_sort_parse, idx_sort_name, IDX_SORT__COUNT,
                               &req->sort, err)) != TM_OK ||
        (code = api_param_int(r, "page", 1, IDX_RESULT_WINDOW, &req->page, err)) != TM_OK ||
        (code = api_param_int(r, "per_page", 1, IDX_PER_PAGE_MAX, &req->per_page, err)) != TM_OK)
        return code;
    req->institution_id = inst;
    if (req->trl_min && req->trl_max && req->trl_min > req->trl_max)
        return tm_err_set(err, TM_EINVAL, "trl_min", "must not be greater than trl_max");
    req->group = api_param(r, "group");
    if (req->group && strlen(req->group) > 64)
        return tm_err_set(err, TM_EINVAL, "group", "is longer than 64 bytes");
    return TM_OK;
}

static void jw_count(srv_jw *w, const char *key, uint32_t n)
{
    srv_jw_key(w, key);
    srv_jw_int(w, n);
}

static void facets_write(srv_jw *w, const idx_facets *f)
{
    srv_jw_obj(w);
    srv_jw_key(w, "field");
    srv_jw_obj(w);
    for (int i = 0; i < IDX_FIELD__COUNT; i++)
        if (f->field[i]) jw_count(w, idx_field_name(i), f->field[i]);
    srv_jw_obj_end(w);
    srv_jw_key(w, "institution");
    srv_jw_obj(w);
    for (size_t i = 0; i < f->ninstitution; i++) {
        srv_jw_key_int(w, f->institution[i].id);
        srv_jw_int(w, f->institution[i].n);
    }
    srv_jw_obj_end(w);
    srv_jw_key(w, "group");
    srv_jw_obj(w);
    for (size_t i = 0; i < f->ngroup; i++)
        jw_count(w, f->group[i].name, f->group[i].n);
    srv_jw_obj_end(w);
    srv_jw_key(w, "status");
    srv_jw_obj(w);
    for (int i = 0; i < IDX_STATUS__COUNT; i++)
        if (f->status[i]) jw_count(w, idx_status_name(i), f->status[i]);
    srv_jw_obj_end(w);
    srv_jw_key(w, "trl");
    srv_jw_obj(w);
    for (int i = 1; i <= 9; i++)
        if (f->trl[i]) {
            srv_jw_key_int(w, i);
            srv_jw_int(w, f->trl[i]);
        }
    srv_jw_obj_end(w);
    srv_jw_key(w, "licence");
    srv_jw_obj(w);
    for (int i = 0; i < IDX_LICENCE__COUNT; i++)
        if (f->licence[i]) jw_count(w, idx_licence_name(i), f->licence[i]);
    srv_jw_obj_end(w);
    srv_jw_obj_end(w);
}

/* One search item: the brief record plus its highlighted snippet. Nothing
 * is written when the technology vanished between search and read. */
static int search_item(srv_req *r, const idx_search_res *res, size_t hit, tm_buf *snip, srv_jw *w,
                       tm_err *err)
{
    idx_tech t;
    int code = idx_search_hit(r->db, res, hit, &t, err);
    if (code == TM_ENOTFOUND) return TM_OK;
    if (code != TM_OK) return code;
    tm_buf kw = {0};
    for (size_t i = 0; i < t.keywords.n; i++) {
        if (i) tm_buf_puts(&kw, ", ");
        tm_buf_puts(&kw, t.keywords.v[i]);
    }
    /* Summary first: it reads best; the others when the hits are there. */
    tm_str cols[] = {tm_str_from(t.summary),
                     tm_str_from(t.description),
                     tm_str_from(t.title),
                     tm_str_from(t.title_en),
                     {kw.p, kw.len}};
    tm_buf_reset(snip);
    int rc = idx_snip_html(r->db->tok, res->query, cols, sizeof cols / sizeof cols[0], snip);
    tm_buf_free(&kw);
    if (rc != SQLITE_OK) {
        idx_tech_clear(&t);
        return tm_err_set(err, TM_EINTERNAL, NULL, "snippet: %s", sqlite3_errstr(rc));
    }
    srv_jw_obj(w);
    api_jw_tech_brief(w, &t);
    srv_jw_key(w, "snippet");
    srv_jw_strn(w, tm_buf_cstr(snip), snip->len);
    srv_jw_key(w, "score");
    srv_jw_real(w, res->hits[hit].score);
    srv_jw_obj_end(w);
    idx_tech_clear(&t);
    return TM_OK;
}

void api_tech_search(srv_req *r)
{
    idx_search_req req;
    idx_search_res res = {0};
    tm_err err = {0};
    tm_buf snip = {0}, body = {0};
    srv_jw w;
    int code;

    if ((code = api_tech_search_parse(r, &req, &err)) != TM_OK) goto fail;
    /* Search is public: withdrawn listings are never found, even when asked
     * for by status (their TTOs and staff read them by id). */
    if (req.status != IDX_STATUS_WITHDRAWN &&
        (code = idx_search(r->db, r->engine, &req, &res, &err)) != TM_OK)
        goto fail;
    srv_jw_init(&w, &body);
    srv_jw_obj(&w);
    srv_jw_key(&w, "total");
    srv_jw_int(&w, res.total);
    srv_jw_key(&w, "page");
    srv_jw_int(&w, req.page);
    srv_jw_key(&w, "per_page");
    srv_jw_int(&w, req.per_page);
    srv_jw_key(&w, "items");
    srv_jw_arr(&w);
    for (size_t i = 0; i < res.nhits; i++)
        if ((code = search_item(r, &res, i, &snip, &w, &err)) != TM_OK) goto fail;
    srv_jw_arr_end(&w);
    srv_jw_key(&w, "facets");
    facets_write(&w, &res.facets);
    srv_jw_key(&w, "relaxed");
    srv_jw_bool(&w, res.relaxed);
    if (res.relaxed) {
        srv_jw_key(&w, "strict_total");
        srv_jw_int(&w, res.strict_total);
    }
    srv_jw_obj_end(&w);
    idx_search_res_free(&res);
    tm_buf_free(&snip);
    srv_reply_json_text(r, 200, &body);
    tm_buf_free(&body);
    return;
fail:
    idx_search_res_free(&res);
    tm_buf_free(&snip);
    tm_buf_free(&body);
    srv_reply_error(r, &err);
}

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

void api_tech_get(srv_req *r)
{
    int64_t id;
    idx_tech t;
    tm_err err = {0};

    if (!parse_id(r->param, &id)) {
        srv_reply_errorf(r, TM_ENOTFOUND, NULL, "no technology with id %.40s", r->param);
        return;
    }
    int code = idx_tech_get(r->db, id, &t, &err);
    srv_object obj = {.kind = SRV_OBJ_TECH,
                      .institution_id = t.institution_id,
                      .withdrawn = t.status == IDX_STATUS_WITHDRAWN};
    if (code == TM_OK && !srv_auth_allow(&r->actor, SRV_ACT_TECH_READ, &obj)) {
        /* Withdrawn listings are gone for all but their TTOs and staff. */
        idx_tech_clear(&t);
        code = tm_err_set(&err, TM_ENOTFOUND, NULL, "no technology with id %lld", (long long)id);
    }
    if (code != TM_OK) {
        srv_reply_error(r, &err);
        return;
    }
    tm_buf body = {0};
    srv_jw w;
    srv_jw_init(&w, &body);
    api_jw_tech(&w, &t);
    api_tech_etag(r, t.version);
    idx_tech_clear(&t);
    srv_reply_json_text(r, 200, &body);
    tm_buf_free(&body);
}
