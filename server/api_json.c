#include "api_json.h"

#include <errno.h>
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

static json_t *licence_json(unsigned mask)
{
    json_t *a = json_array();
    for (int l = 0; l < IDX_LICENCE__COUNT; l++)
        if (mask & (1u << l)) json_array_append_new(a, json_string(idx_licence_name(l)));
    return a;
}

json_t *api_json_tech_brief(const idx_tech *t)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(t->id));
    json_object_set_new(o, "external_id", str_or_null(t->external_id));
    json_object_set_new(o, "title", str_or_null(t->title));
    json_object_set_new(o, "title_en", str_or_null(t->title_en));
    json_object_set_new(o, "institution", str_or_null(t->institution));
    json_object_set_new(o, "institution_id", json_integer(t->institution_id));
    json_object_set_new(o, "field", str_or_null(idx_field_name(t->field)));
    json_object_set_new(o, "trl", t->trl ? json_integer(t->trl) : json_null());
    json_object_set_new(o, "status", str_or_null(idx_status_name(t->status)));
    json_object_set_new(o, "licence", licence_json(t->licence));
    return o;
}

json_t *api_json_tech(const idx_tech *t)
{
    json_t *o = api_json_tech_brief(t);
    json_object_set_new(o, "summary", str_or_null(t->summary));
    json_object_set_new(o, "description", str_or_null(t->description));
    json_object_set_new(o, "keywords", strv_json(&t->keywords));
    json_object_set_new(o, "ipc", strv_json(&t->ipc));
    json_object_set_new(o, "asking", str_or_null(t->asking));
    json_object_set_new(o, "inventors", strv_json(&t->inventors));
    json_object_set_new(o, "contact", str_or_null(t->contact));
    json_t *pats = json_array();
    for (size_t i = 0; i < t->npatents; i++) {
        const idx_patent *p = &t->patents[i];
        json_t *po = json_object();
        json_object_set_new(po, "number", str_or_null(p->number));
        json_object_set_new(po, "country", str_or_null(p->country));
        json_object_set_new(po, "kind", str_or_null(p->kind));
        json_object_set_new(po, "status", str_or_null(p->status));
        json_object_set_new(po, "filed", str_or_null(p->filed));
        json_object_set_new(po, "registered", str_or_null(p->registered));
        json_object_set_new(po, "registration_number", str_or_null(p->registration_number));
        json_array_append_new(pats, po);
    }
    json_object_set_new(o, "patents", pats);
    json_object_set_new(o, "created_at", str_or_null(t->created_at));
    json_object_set_new(o, "updated_at", str_or_null(t->updated_at));
    json_object_set_new(o, "version", json_integer(t->version));
    return o;
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
