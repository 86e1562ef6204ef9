#include "exp.h"

#include <jansson.h>
#include <string.h>

#include "../index/idx_enum.h"

/* The canonical record's keys, in the importer's order: the CSV header. */
static const char *const cols[] = {"external_id", "title",     "title_en", "summary",
                                   "description", "keywords",  "field",    "ipc",
                                   "trl",         "licence",   "asking",   "status",
                                   "institution", "inventors", "contact",  "patents"};
#define NCOLS (sizeof cols / sizeof cols[0])

int exp_format_parse(const char *s, exp_format *fmt, tm_err *err)
{
    static const exp_format all[] = {EXP_FMT_CSV, EXP_FMT_JSONL, EXP_FMT_JSON};
    for (size_t i = 0; s && i < sizeof all / sizeof all[0]; i++)
        if (strcmp(s, exp_format_name(all[i])) == 0) {
            *fmt = all[i];
            return TM_OK;
        }
    return tm_err_set(err, TM_EINVAL, "format", "must be csv, jsonl or json");
}

const char *exp_format_name(exp_format fmt)
{
    switch (fmt) {
    case EXP_FMT_CSV:
        return "csv";
    case EXP_FMT_JSONL:
        return "jsonl";
    case EXP_FMT_JSON:
        return "json";
    }
    return "csv";
}

const char *exp_content_type(exp_format fmt)
{
    switch (fmt) {
    case EXP_FMT_CSV:
        return "text/csv; charset=utf-8";
    case EXP_FMT_JSONL:
        return "application/x-ndjson";
    case EXP_FMT_JSON:
        return "application/json; charset=utf-8";
    }
    return "application/octet-stream";
}

/* ---- JSON */

static int dump_to_buf(const char *p, size_t n, void *data)
{
    tm_buf_append(data, p, n);
    return 0;
}

/* Appends v (reference stolen) as compact JSON. The values come from
 * stored, validated UTF-8, so encoding cannot fail; an impossible failure
 * writes null rather than nothing, keeping the file well-formed. */
static void dump(json_t *v, tm_buf *out)
{
    if (!v || json_dump_callback(v, dump_to_buf, out, JSON_COMPACT | JSON_ENCODE_ANY) != 0)
        tm_buf_puts(out, "null");
    json_decref(v);
}

static void set_str(json_t *o, const char *key, const char *s)
{
    if (s && *s) json_object_set_new(o, key, json_string(s));
}

static json_t *strv_json(const idx_strv *v)
{
    json_t *a = json_array();
    for (size_t i = 0; i < v->n; i++)
        json_array_append_new(a, json_string(v->v[i]));
    return a;
}

static void set_strv(json_t *o, const char *key, const idx_strv *v)
{
    if (v->n) json_object_set_new(o, key, strv_json(v));
}

static json_t *licence_json(unsigned mask)
{
    json_t *a = json_array();
    for (int i = 0; i < IDX_LICENCE__COUNT; i++)
        if (mask & (1u << i)) json_array_append_new(a, json_string(idx_licence_name(i)));
    return a;
}

static json_t *patents_json(const idx_tech *t)
{
    json_t *a = json_array();
    for (size_t i = 0; i < t->npatents; i++) {
        const idx_patent *p = &t->patents[i];
        json_t *o = json_object();
        set_str(o, "number", p->number);
        set_str(o, "country", p->country);
        set_str(o, "kind", p->kind);
        set_str(o, "status", p->status);
        set_str(o, "filed", p->filed);
        set_str(o, "registered", p->registered);
        set_str(o, "registration_number", p->registration_number);
        json_array_append_new(a, o);
    }
    return a;
}

static json_t *tech_json(const idx_tech *t)
{
    json_t *o = json_object();
    set_str(o, "external_id", t->external_id);
    set_str(o, "title", t->title);
    set_str(o, "title_en", t->title_en);
    set_str(o, "summary", t->summary);
    set_str(o, "description", t->description);
    set_strv(o, "keywords", &t->keywords);
    if (t->field >= 0 && t->field < IDX_FIELD__COUNT)
        json_object_set_new(o, "field", json_string(idx_field_name(t->field)));
    set_strv(o, "ipc", &t->ipc);
    if (t->trl >= 1 && t->trl <= 9) json_object_set_new(o, "trl", json_integer(t->trl));
    if (t->licence) json_object_set_new(o, "licence", licence_json(t->licence));
    set_str(o, "asking", t->asking);
    if (t->status >= 0 && t->status < IDX_STATUS__COUNT)
        json_object_set_new(o, "status", json_string(idx_status_name(t->status)));
    set_str(o, "institution", t->institution);
    set_strv(o, "inventors", &t->inventors);
    set_str(o, "contact", t->contact);
    if (t->npatents) json_object_set_new(o, "patents", patents_json(t));
    return o;
}

/* ---- CSV */

void exp_csv_cell(const char *s, size_t n, tm_buf *out)
{
    bool quote = n && (s[0] == ' ' || s[0] == '\t' || s[n - 1] == ' ' || s[n - 1] == '\t');
    for (size_t i = 0; i < n && !quote; i++)
        quote = s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
    if (!quote) {
        tm_buf_append(out, s, n);
        return;
    }
    tm_buf_putc(out, '"');
    size_t from = 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '"') {
            tm_buf_append(out, s + from, i + 1 - from);
            tm_buf_putc(out, '"');
            from = i + 1;
        }
    tm_buf_append(out, s + from, n - from);
    tm_buf_putc(out, '"');
}

static void csv_str(const char *s, tm_buf *out)
{
    if (s) exp_csv_cell(s, strlen(s), out);
}

/* A list cell: "a; b; c", or the JSON array when splitting at ';' would not
 * give the entries back (an entry holds ';') or the importer would read
 * the cell as JSON (it begins with '['). */
static void csv_list(const char *const *v, size_t n, tm_buf *tmp, tm_buf *out)
{
    bool as_json = n && v[0][0] == '[';
    for (size_t i = 0; i < n && !as_json; i++)
        as_json = strchr(v[i], ';') != NULL;
    tm_buf_reset(tmp);
    if (as_json) {
        json_t *a = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(a, json_string(v[i]));
        dump(a, tmp);
    } else {
        for (size_t i = 0; i < n; i++) {
            if (i) tm_buf_puts(tmp, "; ");
            tm_buf_puts(tmp, v[i]);
        }
    }
    exp_csv_cell(tmp->p, tmp->len, out);
}

static void csv_strv(const idx_strv *v, tm_buf *tmp, tm_buf *out)
{
    csv_list((const char *const *)v->v, v->n, tmp, out);
}

static void csv_tech(const idx_tech *t, tm_buf *out)
{
    tm_buf tmp = {0};
    const char *lic[IDX_LICENCE__COUNT];
    size_t nlic = 0;
    for (int i = 0; i < IDX_LICENCE__COUNT; i++)
        if (t->licence & (1u << i)) lic[nlic++] = idx_licence_name(i);

    csv_str(t->external_id, out);
    tm_buf_putc(out, ',');
    csv_str(t->title, out);
    tm_buf_putc(out, ',');
    csv_str(t->title_en, out);
    tm_buf_putc(out, ',');
    csv_str(t->summary, out);
    tm_buf_putc(out, ',');
    csv_str(t->description, out);
    tm_buf_putc(out, ',');
    csv_strv(&t->keywords, &tmp, out);
    tm_buf_putc(out, ',');
    if (t->field >= 0 && t->field < IDX_FIELD__COUNT) csv_str(idx_field_name(t->field), out);
    tm_buf_putc(out, ',');
    csv_strv(&t->ipc, &tmp, out);
    tm_buf_putc(out, ',');
    if (t->trl >= 1 && t->trl <= 9) tm_buf_putc(out, (char)('0' + t->trl));
    tm_buf_putc(out, ',');
    csv_list(lic, nlic, &tmp, out);
    tm_buf_putc(out, ',');
    csv_str(t->asking, out);
    tm_buf_putc(out, ',');
    if (t->status >= 0 && t->status < IDX_STATUS__COUNT) csv_str(idx_status_name(t->status), out);
    tm_buf_putc(out, ',');
    csv_str(t->institution, out);
    tm_buf_putc(out, ',');
    csv_strv(&t->inventors, &tmp, out);
    tm_buf_putc(out, ',');
    csv_str(t->contact, out);
    tm_buf_putc(out, ',');
    if (t->npatents) {
        tm_buf_reset(&tmp);
        dump(patents_json(t), &tmp);
        exp_csv_cell(tmp.p, tmp.len, out);
    }
    tm_buf_puts(out, "\r\n");
    tm_buf_free(&tmp);
}

/* ---- files */

void exp_begin(exp_writer *w, exp_format fmt, bool bom, tm_buf *out)
{
    w->fmt = fmt;
    w->n = 0;
    if (bom) tm_buf_puts(out, "\xEF\xBB\xBF");
    if (fmt == EXP_FMT_CSV) {
        for (size_t i = 0; i < NCOLS; i++) {
            if (i) tm_buf_putc(out, ',');
            tm_buf_puts(out, cols[i]);
        }
        tm_buf_puts(out, "\r\n");
    } else if (fmt == EXP_FMT_JSON) {
        tm_buf_putc(out, '[');
    }
}

void exp_tech(exp_writer *w, const idx_tech *t, tm_buf *out)
{
    switch (w->fmt) {
    case EXP_FMT_CSV:
        csv_tech(t, out);
        break;
    case EXP_FMT_JSONL:
        dump(tech_json(t), out);
        tm_buf_putc(out, '\n');
        break;
    case EXP_FMT_JSON:
        tm_buf_puts(out, w->n ? ",\n" : "\n");
        dump(tech_json(t), out);
        break;
    }
    w->n++;
}

void exp_end(exp_writer *w, tm_buf *out)
{
    if (w->fmt == EXP_FMT_JSON) tm_buf_puts(out, w->n ? "\n]\n" : "]\n");
}
