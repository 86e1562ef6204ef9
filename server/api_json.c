#include "api_json.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdlib.h>
#include <string.h>

#include "../common/tm_buf.h"
#include "../index/idx_enum.h"

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *strv_json(const idx_strv *v)
{
    json_t *a = json_array();
    for (size_t i = 0; i < v->n; i++)
        json_array_append_new(a, json_string(v->v[i]));
    return a;
}

static void jw_strv(srv_jw *w, const char *key, const idx_strv *v)
{
    srv_jw_key(w, key);
    srv_jw_arr(w);
    for (size_t i = 0; i < v->n; i++)
        srv_jw_str(w, v->v[i]);
    srv_jw_arr_end(w);
}

static void jw_member(srv_jw *w, const char *key, const char *value)
{
    srv_jw_key(w, key);
    srv_jw_str(w, value);
}

void api_jw_tech_brief(srv_jw *w, const idx_tech *t)
{
    srv_jw_key(w, "id");
    srv_jw_int(w, t->id);
    jw_member(w, "external_id", t->external_id);
    jw_member(w, "title", t->title);
    jw_member(w, "title_en", t->title_en);
    jw_member(w, "institution", t->institution);
    srv_jw_key(w, "institution_id");
    srv_jw_int(w, t->institution_id);
    jw_member(w, "field", idx_field_name(t->field));
    srv_jw_key(w, "trl");
    if (t->trl)
        srv_jw_int(w, t->trl);
    else
        srv_jw_null(w);
    jw_member(w, "status", idx_status_name(t->status));
    srv_jw_key(w, "licence");
    srv_jw_arr(w);
    for (int l = 0; l < IDX_LICENCE__COUNT; l++)
        if (t->licence & (1u << l)) srv_jw_str(w, idx_licence_name(l));
    srv_jw_arr_end(w);
}

void api_jw_tech(srv_jw *w, const idx_tech *t)
{
    srv_jw_obj(w);
    api_jw_tech_brief(w, t);
    jw_member(w, "summary", t->summary);
    jw_member(w, "description", t->description);
    jw_strv(w, "keywords", &t->keywords);
    jw_strv(w, "ipc", &t->ipc);
    jw_member(w, "asking", t->asking);
    jw_strv(w, "inventors", &t->inventors);
    jw_member(w, "contact", t->contact);
    srv_jw_key(w, "patents");
    srv_jw_arr(w);
    for (size_t i = 0; i < t->npatents; i++) {
        const idx_patent *p = &t->patents[i];
        srv_jw_obj(w);
        jw_member(w, "number", p->number);
        jw_member(w, "country", p->country);
        jw_member(w, "kind", p->kind);
        jw_member(w, "status", p->status);
        jw_member(w, "filed", p->filed);
        jw_member(w, "registered", p->registered);
        jw_member(w, "registration_number", p->registration_number);
        srv_jw_obj_end(w);
    }
    srv_jw_arr_end(w);
    jw_member(w, "created_at", t->created_at);
    jw_member(w, "updated_at", t->updated_at);
    srv_jw_key(w, "version");
    srv_jw_int(w, t->version);
    srv_jw_obj_end(w);
}

json_t *api_json_inst(const idx_inst *in)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(in->id));
    json_object_set_new(o, "name", json_string(in->name));
    json_object_set_new(o, "name_en", str_or_null(in->name_en));
    json_object_set_new(o, "kind", str_or_null(idx_kind_name(in->kind)));
    json_object_set_new(o, "groups", strv_json(&in->groups));
    json_object_set_new(o, "technologies", json_integer(in->technologies));
    return o;
}

const char *api_param(srv_req *r, const char *name)
{
    const char *v = evhttp_find_header(&r->query, name);
    return v && *v ? v : NULL;
}

int api_param_int(srv_req *r, const char *name, int min, int max, int *out, tm_err *err)
{
    const char *v = api_param(r, name);
    if (!v) return TM_OK;
    char *end = NULL;
    errno = 0;
    long n = strtol(v, &end, 10);
    /* Digits only: no sign games, spaces, hex or trailing junk. */
    bool digits = *v >= '0' && *v <= '9';
    if (!digits || errno || *end || n < min || n > max)
        return tm_err_set(err, TM_EINVAL, name, "must be an integer from %d to %d", min, max);
    *out = (int)n;
    return TM_OK;
}

int api_param_enum(srv_req *r, const char *name, int (*parse)(const char *),
                   const char *(*name_of)(int), int count, int *out, tm_err *err)
{
    const char *v = api_param(r, name);
    if (!v) return TM_OK;
    int e = parse(v);
    if (e >= 0) {
        *out = e;
        return TM_OK;
    }
    tm_buf names = {0};
    for (int i = 0; i < count; i++) {
        if (i) tm_buf_puts(&names, ", ");
        tm_buf_puts(&names, name_of(i));
    }
    int code = tm_err_set(err, TM_EINVAL, name, "must be one of %s", tm_buf_cstr(&names));
    tm_buf_free(&names);
    return code;
}

json_t *api_body_object(srv_req *r, tm_err *err)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(r->ev);
    size_t n = evbuffer_get_length(in);
    const char *data = n ? (const char *)evbuffer_pullup(in, (ev_ssize_t)n) : "";
    json_error_t jerr;
    json_t *root = json_loadb(data, n, JSON_REJECT_DUPLICATES, &jerr);
    if (root && json_is_object(root)) return root;
    json_decref(root);
    if (!root && n)
        tm_err_set(err, TM_EINVAL, NULL, "the body is not JSON: %s (line %d, column %d)", jerr.text,
                   jerr.line, jerr.column);
    else
        tm_err_set(err, TM_EINVAL, NULL, "the body must be a JSON object");
    return NULL;
}
