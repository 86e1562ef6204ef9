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

static int parse_search(srv_req *r, idx_search_req *req, tm_err *err)
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

static json_t *facets_json(const idx_facets *f)
{
    json_t *o = json_object(), *m;
    char key[32];

    m = json_object();
    for (int i = 0; i < IDX_FIELD__COUNT; i++)
        if (f->field[i]) json_object_set_new(m, idx_field_name(i), json_integer(f->field[i]));
    json_object_set_new(o, "field", m);
    m = json_object();
    for (size_t i = 0; i < f->ninstitution; i++) {
        (void)snprintf(key, sizeof key, "%lld", (long long)f->institution[i].id);
        json_object_set_new(m, key, json_integer(f->institution[i].n));
    }
    json_object_set_new(o, "institution", m);
    m = json_object();
    for (size_t i = 0; i < f->ngroup; i++)
        json_object_set_new(m, f->group[i].name, json_integer(f->group[i].n));
    json_object_set_new(o, "group", m);
    m = json_object();
    for (int i = 0; i < IDX_STATUS__COUNT; i++)
        if (f->status[i]) json_object_set_new(m, idx_status_name(i), json_integer(f->status[i]));
    json_object_set_new(o, "status", m);
    m = json_object();
    for (int i = 1; i <= 9; i++)
        if (f->trl[i]) {
            (void)snprintf(key, sizeof key, "%d", i);
            json_object_set_new(m, key, json_integer(f->trl[i]));
        }
    json_object_set_new(o, "trl", m);
    m = json_object();
    for (int i = 0; i < IDX_LICENCE__COUNT; i++)
        if (f->licence[i]) json_object_set_new(m, idx_licence_name(i), json_integer(f->licence[i]));
    json_object_set_new(o, "licence", m);
    return o;
}

/* One search item: the brief record plus its highlighted snippet. *item is
 * NULL when the technology vanished between search and read. */
static int search_item(srv_req *r, const idx_search_res *res, const idx_hit *hit, tm_buf *snip,
                       json_t **item, tm_err *err)
{
    idx_tech t;
    *item = NULL;
    int code = idx_tech_get_brief(r->db, hit->id, &t, err);
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
    *item = api_json_tech_brief(&t);
    json_object_set_new(*item, "snippet", json_stringn(snip->p ? snip->p : "", snip->len));
    json_object_set_new(*item, "score", json_real(hit->score));
    idx_tech_clear(&t);
    return TM_OK;
}

void api_tech_search(srv_req *r)
{
    idx_search_req req;
    idx_search_res res = {0};
    tm_err err = {0};
    tm_buf snip = {0};
    json_t *body = NULL, *items = NULL;
    int code;

    if ((code = parse_search(r, &req, &err)) != TM_OK ||
        (code = idx_search(r->db, r->engine, &req, &res, &err)) != TM_OK)
        goto fail;
    items = json_array();
    for (size_t i = 0; i < res.nhits; i++) {
        json_t *item;
        if ((code = search_item(r, &res, &res.hits[i], &snip, &item, &err)) != TM_OK) goto fail;
        if (item) json_array_append_new(items, item);
    }
    body = json_object();
    json_object_set_new(body, "total", json_integer(res.total));
    json_object_set_new(body, "page", json_integer(req.page));
    json_object_set_new(body, "per_page", json_integer(req.per_page));
    json_object_set_new(body, "items", items);
    items = NULL;
    json_object_set_new(body, "relaxed", json_boolean(res.relaxed));
    if (res.relaxed) json_object_set_new(body, "strict_total", json_integer(res.strict_total));
    json_object_set_new(body, "facets", facets_json(&res.facets));
    idx_search_res_free(&res);
    tm_buf_free(&snip);
    srv_reply_json(r, 200, body);
    return;
fail:
    json_decref(items);
    idx_search_res_free(&res);
    tm_buf_free(&snip);
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
    if (code == TM_OK && t.status == IDX_STATUS_WITHDRAWN) {
        /* Withdrawn listings are gone for the public. */
        idx_tech_clear(&t);
        code = tm_err_set(&err, TM_ENOTFOUND, NULL, "no technology with id %lld", (long long)id);
    }
    if (code != TM_OK) {
        srv_reply_error(r, &err);
        return;
    }
    json_t *body = api_json_tech(&t);
    idx_tech_clear(&t);
    srv_reply_json(r, 200, body);
}
