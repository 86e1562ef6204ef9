#include "imp_rec.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/tm_alloc.h"
#include "../common/tm_buf.h"
#include "../common/tm_utf8.h"
#include "../index/idx_enum.h"

/* The keys of the canonical record, in the order they are checked. */
static const char *const tech_keys[] = {
    "external_id", "title",     "title_en", "summary", "description", "keywords",
    "field",       "ipc",       "trl",      "licence", "asking",      "status",
    "institution", "inventors", "contact",  "patents", NULL};
static const char *const patent_keys[] = {
    "number", "country", "kind", "status", "filed", "registered", "registration_number", NULL};
static const char *const inst_keys[] = {"name", "name_en", "kind", "groups", NULL};

/* ---- values in messages ---- */

/* v as compact JSON, cut on a character boundary when long. */
static void quote(const json_t *v, char out[64])
{
    char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    size_t n = s ? strlen(s) : 0;
    if (!s) {
        (void)snprintf(out, 64, "the value");
    } else if (n < 48) {
        memcpy(out, s, n + 1);
    } else {
        size_t k = 40;
        while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80)
            k--;
        memcpy(out, s, k);
        memcpy(out + k, "...", 4);
    }
    free(s);
}

/* "<value> <what>" for field, e.g. `123 is not a string`. */
static int value_error(tm_err *err, const char *field, const json_t *v, const char *what)
{
    char q[64];
    quote(v, q);
    return tm_err_set(err, TM_EINVAL, field, "%s %s", q, what);
}

/* ---- text ---- */

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Copies s[0..n) (valid UTF-8) into out without control characters (C0,
 * DEL, C1) and without leading and trailing white space. multiline keeps
 * '\n' and '\t'; otherwise they become a space. '\r' goes (CRLF -> LF).
 * Returns the length in characters. */
static size_t clean(const char *s, size_t n, bool multiline, tm_buf *out)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;

    tm_buf_reset(out);
    tm_buf_reserve(out, n);
    while (i < n) {
        size_t j = i;
        while (j < n && u[j] >= 0x20 && u[j] != 0x7f && u[j] != 0xC2)
            j++;
        if (j > i) {
            tm_buf_append(out, s + i, j - i);
            i = j;
            continue;
        }
        unsigned char c = u[i];
        if (c == 0xC2) {
            bool c1 = i + 1 < n && u[i + 1] >= 0x80 && u[i + 1] <= 0x9F;
            if (!c1) tm_buf_append(out, s + i, i + 1 < n ? 2 : 1);
            i += i + 1 < n ? 2 : 1;
            continue;
        }
        if (c == '\n' || c == '\t') tm_buf_putc(out, multiline ? (char)c : ' ');
        i++;
    }
    size_t b = 0, e = out->len;
    while (b < e && is_space(out->p[b]))
        b++;
    while (e > b && is_space(out->p[e - 1]))
        e--;
    if (b) memmove(out->p, out->p + b, e - b);
    out->len = e - b;
    if (out->p) out->p[out->len] = '\0';
    size_t chars = 0;
    for (size_t k = 0; k < out->len; k++)
        chars += ((unsigned char)out->p[k] & 0xC0) != 0x80;
    return chars;
}

/* A string value: *dst is a cleaned copy, NULL when absent or empty. */
static int str_value(const json_t *v, const char *field, size_t max, bool multiline, tm_buf *tmp,
                     char **dst, tm_err *err)
{
    *dst = NULL;
    if (!v || json_is_null(v)) return TM_OK;
    if (!json_is_string(v)) return value_error(err, field, v, "is not a string");
    size_t chars = clean(json_string_value(v), json_string_length(v), multiline, tmp);
    if (chars > max)
        return tm_err_set(err, TM_EINVAL, field, "is %zu characters long; the limit is %zu", chars,
                          max);
    if (tmp->len) *dst = tm_xstrndup(tmp->p, tmp->len);
    return TM_OK;
}

static int get_str(const json_t *obj, const char *key, size_t max, bool multiline, bool required,
                   tm_buf *tmp, char **dst, tm_err *err)
{
    int code = str_value(json_object_get(obj, key), key, max, multiline, tmp, dst, err);
    if (code == TM_OK && required && !*dst) code = tm_err_set(err, TM_EINVAL, key, "is required");
    return code;
}

/* A list of strings: entries cleaned to one line, empty ones dropped. */
static int get_list(const json_t *obj, const char *key, size_t entry_max, tm_buf *tmp,
                    idx_strv *dst, tm_err *err)
{
    const json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v)) return TM_OK;
    if (!json_is_array(v)) return value_error(err, key, v, "is not a list");
    size_t n = json_array_size(v);
    if (n > IMP_REC_LIST_MAX)
        return tm_err_set(err, TM_EINVAL, key, "has %zu entries; the limit is %d", n,
                          IMP_REC_LIST_MAX);
    if (n == 0) return TM_OK;
    dst->v = tm_xcalloc(n, sizeof *dst->v);
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_array_get(v, i);
        if (!json_is_string(e)) {
            char q[64];
            quote(e, q);
            return tm_err_set(err, TM_EINVAL, key, "entry %zu: %s is not a string", i + 1, q);
        }
        size_t chars = clean(json_string_value(e), json_string_length(e), false, tmp);
        if (chars > entry_max)
            return tm_err_set(err, TM_EINVAL, key,
                              "entry %zu is %zu characters long; the limit is %zu", i + 1, chars,
                              entry_max);
        if (tmp->len) dst->v[dst->n++] = tm_xstrndup(tmp->p, tmp->len);
    }
    if (dst->n == 0) {
        free(dst->v);
        dst->v = NULL;
    }
    return TM_OK;
}

/* "a, b, c": the wire names of an enum, for messages. */
static void names_of(const char *(*name)(int), int count, char *out, size_t cap)
{
    size_t len = 0;
    out[0] = '\0';
    for (int i = 0; i < count && len < cap; i++) {
        int k = snprintf(out + len, cap - len, "%s%s", i ? ", " : "", name(i));
        if (k < 0) break;
        len += (size_t)k;
    }
}

/* A value of a closed vocabulary, ASCII case ignored; *dst = dflt when
 * absent. */
static int enum_value(const json_t *v, const char *field, int (*parse)(const char *),
                      const char *(*name)(int), int count, tm_buf *tmp, int *dst, tm_err *err)
{
    if (!v || json_is_null(v)) return TM_OK;
    if (json_is_string(v)) {
        (void)clean(json_string_value(v), json_string_length(v), false, tmp);
        if (tmp->len == 0) return TM_OK;
        for (size_t i = 0; i < tmp->len; i++)
            if (tmp->p[i] >= 'A' && tmp->p[i] <= 'Z') tmp->p[i] = (char)(tmp->p[i] - 'A' + 'a');
        int x = parse(tmp->p);
        if (x >= 0) {
            *dst = x;
            return TM_OK;
        }
    }
    char list[160], q[64];
    names_of(name, count, list, sizeof list);
    quote(v, q);
    return tm_err_set(err, TM_EINVAL, field, "%s is not one of: %s", q, list);
}

/* trl: an integer 1-9, or text that is one ("4", as in a CSV cell). */
static int get_trl(const json_t *obj, tm_buf *tmp, int *dst, tm_err *err)
{
    const json_t *v = json_object_get(obj, "trl");
    if (!v || json_is_null(v)) return TM_OK;
    if (json_is_integer(v)) {
        json_int_t x = json_integer_value(v);
        if (x >= 1 && x <= 9) {
            *dst = (int)x;
            return TM_OK;
        }
    } else if (json_is_string(v)) {
        (void)clean(json_string_value(v), json_string_length(v), false, tmp);
        if (tmp->len == 0) return TM_OK;
        int x = 0;
        size_t i = 0;
        while (i < tmp->len && tmp->p[i] >= '0' && tmp->p[i] <= '9' && x <= 9)
            x = x * 10 + (tmp->p[i++] - '0');
        if (i == tmp->len && x >= 1 && x <= 9) {
            *dst = x;
            return TM_OK;
        }
    }
    return value_error(err, "trl", v, "is not an integer 1-9");
}

static int get_licence(const json_t *obj, tm_buf *tmp, unsigned *dst, tm_err *err)
{
    const json_t *v = json_object_get(obj, "licence");
    if (!v || json_is_null(v)) return TM_OK;
    if (!json_is_array(v)) return value_error(err, "licence", v, "is not a list");
    size_t n = json_array_size(v);
    if (n > IMP_REC_LIST_MAX)
        return tm_err_set(err, TM_EINVAL, "licence", "has %zu entries; the limit is %d", n,
                          IMP_REC_LIST_MAX);
    for (size_t i = 0; i < n; i++) {
        int x = -1;
        int code = enum_value(json_array_get(v, i), "licence", idx_licence_parse, idx_licence_name,
                              IDX_LICENCE__COUNT, tmp, &x, err);
        if (code != TM_OK) return code;
        if (x >= 0) *dst |= 1u << x;
    }
    return TM_OK;
}

/* ---- dates and patents ---- */

static bool valid_date(const char *s)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    for (int i = 0; i < 10; i++) {
        bool dash = i == 4 || i == 7;
        if (dash ? s[i] != '-' : (s[i] < '0' || s[i] > '9')) return false;
    }
    if (s[10] != '\0') return false;
    int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    int m = (s[5] - '0') * 10 + (s[6] - '0');
    int d = (s[8] - '0') * 10 + (s[9] - '0');
    if (y < 1 || m < 1 || m > 12 || d < 1) return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d <= mdays[m - 1] + (m == 2 && leap);
}

/* Calls o->unknown for each key of obj not in known, as prefix + key. */
static void report_unknown(const json_t *obj, const char *const *known, const char *prefix,
                           const imp_rec_opts *o, tm_buf *tmp)
{
    const char *key;
    json_t *v;
    if (!o || !o->unknown) return;
    /* json_object_foreach wants a non-const object; it only reads it. */
    json_object_foreach((json_t *)obj, key, v)
    {
        size_t k = 0;
        while (known[k] && strcmp(known[k], key) != 0)
            k++;
        if (known[k]) continue;
        tm_buf_reset(tmp);
        tm_buf_puts(tmp, prefix);
        tm_buf_puts(tmp, key);
        o->unknown(o->arg, tm_buf_cstr(tmp));
    }
}

static int get_patent(const json_t *v, size_t i, const imp_rec_opts *o, tm_buf *tmp, idx_patent *p,
                      tm_err *err)
{
    char f[64];
    int code = TM_OK;
    if (!json_is_object(v)) {
        (void)snprintf(f, sizeof f, "patents[%zu]", i);
        return value_error(err, f, v, "is not an object");
    }
    report_unknown(v, patent_keys, "patents.", o, tmp);
    char **dst[] = {&p->number,
                    &p->country,
                    &p->kind,
                    &p->status,
                    &p->filed,
                    &p->registered,
                    &p->registration_number};
    for (size_t k = 0; code == TM_OK && k < sizeof dst / sizeof dst[0]; k++) {
        (void)snprintf(f, sizeof f, "patents[%zu].%s", i, patent_keys[k]);
        const json_t *x = json_object_get(v, patent_keys[k]);
        code = str_value(x, f, IMP_REC_PATENT_STR_MAX, false, tmp, dst[k], err);
        if (code == TM_OK && k == 0 && !p->number)
            code = tm_err_set(err, TM_EINVAL, f, "is required");
        if (code == TM_OK && *dst[k] && (dst[k] == &p->filed || dst[k] == &p->registered) &&
            !valid_date(*dst[k]))
            code = value_error(err, f, x, "is not a date YYYY-MM-DD");
    }
    return code;
}

static int get_patents(const json_t *obj, const imp_rec_opts *o, tm_buf *tmp, idx_tech *t,
                       tm_err *err)
{
    const json_t *v = json_object_get(obj, "patents");
    if (!v || json_is_null(v)) return TM_OK;
    if (!json_is_array(v)) return value_error(err, "patents", v, "is not a list");
    size_t n = json_array_size(v);
    if (n > IMP_REC_PATENTS_MAX)
        return tm_err_set(err, TM_EINVAL, "patents", "has %zu entries; the limit is %d", n,
                          IMP_REC_PATENTS_MAX);
    if (n == 0) return TM_OK;
    t->patents = tm_xcalloc(n, sizeof *t->patents);
    int code = TM_OK;
    for (size_t i = 0; code == TM_OK && i < n; i++) {
        /* Counted first, so idx_tech_clear() frees a half-filled one. */
        t->npatents++;
        code = get_patent(json_array_get(v, i), i, o, tmp, &t->patents[i], err);
    }
    return code;
}

/* ---- records ---- */

int imp_rec_tech(const json_t *obj, const imp_rec_opts *o, idx_tech *t, tm_err *err)
{
    tm_buf tmp = {0};
    int code = TM_OK;

    idx_tech_init(t);
    if (!json_is_object(obj)) {
        code = value_error(err, NULL, obj, "is not an object");
        goto out;
    }
    report_unknown(obj, tech_keys, "", o, &tmp);
    code = get_str(obj, "external_id", IMP_REC_EXTERNAL_ID_MAX, false, false, &tmp, &t->external_id,
                   err);
    if (code == TM_OK)
        code = get_str(obj, "title", IMP_REC_TITLE_MAX, false, true, &tmp, &t->title, err);
    if (code == TM_OK)
        code = get_str(obj, "title_en", IMP_REC_OTHER_MAX, false, false, &tmp, &t->title_en, err);
    if (code == TM_OK)
        code = get_str(obj, "summary", IMP_REC_TEXT_MAX, true, false, &tmp, &t->summary, err);
    if (code == TM_OK)
        code =
            get_str(obj, "description", IMP_REC_TEXT_MAX, true, false, &tmp, &t->description, err);
    if (code == TM_OK) code = get_list(obj, "keywords", IMP_REC_ENTRY_MAX, &tmp, &t->keywords, err);
    if (code == TM_OK)
        code = enum_value(json_object_get(obj, "field"), "field", idx_field_parse, idx_field_name,
                          IDX_FIELD__COUNT, &tmp, &t->field, err);
    if (code == TM_OK) code = get_list(obj, "ipc", IMP_REC_ENTRY_MAX, &tmp, &t->ipc, err);
    if (code == TM_OK) code = get_trl(obj, &tmp, &t->trl, err);
    if (code == TM_OK) code = get_licence(obj, &tmp, &t->licence, err);
    if (code == TM_OK)
        code = get_str(obj, "asking", IMP_REC_NAME_MAX, false, false, &tmp, &t->asking, err);
    if (code == TM_OK)
        code = enum_value(json_object_get(obj, "status"), "status", idx_status_parse,
                          idx_status_name, IDX_STATUS__COUNT, &tmp, &t->status, err);
    if (code == TM_OK)
        code = get_str(obj, "institution", IMP_REC_NAME_MAX, false, !(o && o->institution_optional),
                       &tmp, &t->institution, err);
    if (code == TM_OK)
        code = get_list(obj, "inventors", IMP_REC_ENTRY_MAX, &tmp, &t->inventors, err);
    if (code == TM_OK)
        code = get_str(obj, "contact", IMP_REC_OTHER_MAX, false, false, &tmp, &t->contact, err);
    if (code == TM_OK) code = get_patents(obj, o, &tmp, t, err);
out:
    tm_buf_free(&tmp);
    if (code != TM_OK) idx_tech_clear(t);
    return code;
}

int imp_rec_inst(const json_t *obj, const imp_rec_opts *o, idx_inst *in, tm_err *err)
{
    tm_buf tmp = {0};
    int code = TM_OK;

    memset(in, 0, sizeof *in);
    in->kind = -1;
    if (!json_is_object(obj)) {
        code = value_error(err, NULL, obj, "is not an object");
        goto out;
    }
    report_unknown(obj, inst_keys, "", o, &tmp);
    code = get_str(obj, "name", IMP_REC_NAME_MAX, false, true, &tmp, &in->name, err);
    if (code == TM_OK)
        code = get_str(obj, "name_en", IMP_REC_NAME_MAX, false, false, &tmp, &in->name_en, err);
    if (code == TM_OK)
        code = enum_value(json_object_get(obj, "kind"), "kind", idx_kind_parse, idx_kind_name,
                          IDX_KIND__COUNT, &tmp, &in->kind, err);
    if (code == TM_OK) code = get_list(obj, "groups", IMP_REC_ENTRY_MAX, &tmp, &in->groups, err);
out:
    tm_buf_free(&tmp);
    if (code != TM_OK) {
        idx_inst_clear(in);
        in->kind = -1;
    }
    return code;
}

/* ---- CSV rows ---- */

enum {
    COL_SKIP,
    COL_STR,
    COL_LIST,
    COL_PATENTS,
    COL_PATENT_FIELD /* + index in patent_keys */
};

static unsigned char col_kind(const char *name)
{
    static const char *const lists[] = {"keywords", "ipc", "licence", "inventors"};
    if (!*name) return COL_SKIP;
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++)
        if (strcmp(name, lists[i]) == 0) return COL_LIST;
    if (strcmp(name, "patents") == 0) return COL_PATENTS;
    if (strncmp(name, "patent_", 7) == 0)
        for (unsigned char k = 0; patent_keys[k]; k++)
            if (strcmp(name + 7, patent_keys[k]) == 0) return (unsigned char)(COL_PATENT_FIELD + k);
    return COL_STR;
}

void imp_rec_cols_free(imp_rec_cols *cols)
{
    if (!cols) return;
    for (size_t i = 0; i < cols->n; i++)
        free(cols->names[i]);
    free(cols->names);
    free(cols->kind);
    memset(cols, 0, sizeof *cols);
}

int imp_rec_cols_init(imp_rec_cols *cols, const tm_str *names, size_t n, bool institution_optional,
                      tm_err *err)
{
    tm_buf tmp = {0};
    int code = TM_OK;
    bool title = false, inst = false;

    memset(cols, 0, sizeof *cols);
    cols->names = tm_xcalloc(n ? n : 1, sizeof *cols->names);
    cols->kind = tm_xcalloc(n ? n : 1, 1);
    for (size_t i = 0; code == TM_OK && i < n; i++) {
        if (!tm_utf8_valid(names[i].p, names[i].len)) {
            code = tm_err_set(err, TM_EINVAL, "header", "the name of column %zu is not valid UTF-8",
                              i + 1);
            break;
        }
        (void)clean(names[i].p, names[i].len, false, &tmp);
        cols->names[i] = tm_xstrdup(tm_buf_cstr(&tmp));
        cols->kind[i] = col_kind(cols->names[i]);
        cols->n = i + 1;
        for (size_t j = 0; j < i; j++)
            if (cols->kind[i] != COL_SKIP && strcmp(cols->names[j], cols->names[i]) == 0) {
                /* At most 40 bytes, cut between characters. */
                int k = (int)strnlen(cols->names[i], 41);
                while (k > 40 || (k > 0 && ((unsigned char)cols->names[i][k] & 0xC0) == 0x80))
                    k--;
                code = tm_err_set(err, TM_EINVAL, "header", "column \"%.*s\" appears twice", k,
                                  cols->names[i]);
                break;
            }
        title |= strcmp(cols->names[i], "title") == 0;
        inst |= strcmp(cols->names[i], "institution") == 0;
    }
    if (code == TM_OK && !title)
        code = tm_err_set(err, TM_EINVAL, "header", "there is no \"title\" column");
    if (code == TM_OK && !inst && !institution_optional)
        code = tm_err_set(err, TM_EINVAL, "header", "there is no \"institution\" column");
    tm_buf_free(&tmp);
    if (code != TM_OK) imp_rec_cols_free(cols);
    return code;
}

static json_t *split_list(const char *p, size_t len)
{
    json_t *a = json_array();
    size_t i = 0;
    for (;;) {
        const char *semi = memchr(p + i, ';', len - i);
        size_t stop = semi ? (size_t)(semi - p) : len;
        /* The cell is valid UTF-8 and ';' is ASCII, so each piece is too. */
        json_array_append_new(a, json_stringn(p + i, stop - i));
        if (!semi) break;
        i = stop + 1;
    }
    return a;
}

int imp_rec_from_row(const imp_rec_cols *cols, const tm_str *cells, size_t n, json_t **out,
                     tm_err *err)
{
    json_t *o = json_object(), *pat = NULL;
    int code = TM_OK;

    *out = NULL;
    for (size_t i = 0; code == TM_OK && i < n && i < cols->n; i++) {
        const char *name = cols->names[i];
        unsigned char kind = cols->kind[i];
        tm_str c = cells[i];
        if (kind == COL_SKIP || c.len == 0) continue;
        if (!tm_utf8_valid(c.p, c.len)) {
            code = tm_err_set(err, TM_EINVAL, name, "is not valid UTF-8");
            break;
        }
        if (kind == COL_STR) {
            json_object_set_new(o, name, json_stringn(c.p, c.len));
        } else if (kind == COL_LIST) {
            json_object_set_new(o, name, split_list(c.p, c.len));
        } else if (kind == COL_PATENTS) {
            json_error_t je;
            json_t *v = json_loadb(c.p, c.len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
            if (!v)
                code = tm_err_set(err, TM_EINVAL, name, "invalid JSON at column %d: %s", je.column,
                                  je.text);
            else
                json_object_set_new(o, name, v);
        } else {
            if (!pat) pat = json_object();
            json_object_set_new(pat, patent_keys[kind - COL_PATENT_FIELD],
                                json_stringn(c.p, c.len));
        }
    }
    if (code == TM_OK && pat) {
        if (json_object_get(o, "patents")) {
            code = tm_err_set(err, TM_EINVAL, "patents",
                              "give either the patents column or the patent_* columns");
        } else {
            json_t *a = json_array();
            json_array_append_new(a, pat);
            json_object_set_new(o, "patents", a);
            pat = NULL;
        }
    }
    json_decref(pat);
    if (code != TM_OK) {
        json_decref(o);
        return code;
    }
    *out = o;
    return TM_OK;
}
