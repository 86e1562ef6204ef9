#include "imp_rec.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/tm_alloc.h"
#include "../common/tm_buf.h"
#include "../common/tm_utf8.h"
#include "../index/idx_enum.h"
#include "imp_clean.h"
#include "imp_keys.h"
#include "imp_norm.h"

/* The keys of the canonical record, in the order they are checked. */
/* clang-format off */
enum {
    T_EXTERNAL_ID, T_TITLE, T_TITLE_EN, T_SUMMARY, T_DESCRIPTION, T_KEYWORDS, T_FIELD, T_IPC,
    T_TRL, T_LICENCE, T_ASKING, T_STATUS, T_INSTITUTION, T_INVENTORS, T_CONTACT, T_PATENTS,
    T__COUNT
};
static const char *const tech_keys[T__COUNT + 1] = {
    [T_EXTERNAL_ID] = "external_id", [T_TITLE] = "title", [T_TITLE_EN] = "title_en",
    [T_SUMMARY] = "summary", [T_DESCRIPTION] = "description", [T_KEYWORDS] = "keywords",
    [T_FIELD] = "field", [T_IPC] = "ipc", [T_TRL] = "trl", [T_LICENCE] = "licence",
    [T_ASKING] = "asking", [T_STATUS] = "status", [T_INSTITUTION] = "institution",
    [T_INVENTORS] = "inventors", [T_CONTACT] = "contact", [T_PATENTS] = "patents"};
/* clang-format on */
/* A patent's keys. */
enum { P_NUMBER, P_COUNTRY, P_KIND, P_STATUS, P_FILED, P_REGISTERED, P_REGNUM, P__COUNT };
static const char *const patent_keys[P__COUNT + 1] = {
    "number", "country", "kind", "status", "filed", "registered", "registration_number"};
enum { I_NAME, I_NAME_EN, I_KIND, I_GROUPS, I__COUNT };
static const char *const inst_keys[I__COUNT + 1] = {
    [I_NAME] = "name", [I_NAME_EN] = "name_en", [I_KIND] = "kind", [I_GROUPS] = "groups"};

/* ---- values in messages ---- */

/* The start of a dump: what fits in p[0..cap), len bytes of it. */
typedef struct quote_buf {
    char *p;
    size_t cap, len;
    bool full; /* cap was reached: the dump stops, the rest is not shown */
} quote_buf;

static int quote_put(const char *s, size_t n, void *arg)
{
    quote_buf *q = arg;
    size_t room = q->cap - q->len;
    memcpy(q->p + q->len, s, n < room ? n : room);
    q->len += n < room ? n : room;
    if (n < room) return 0;
    q->full = true;
    return -1;
}

/* v as compact JSON, cut on a character boundary when long. Dumped into
 * out itself, not by json_dumps(): its text would come from Jansson's
 * allocator, which is the producer's arena (tm_arena.h), not free()'s. */
static void quote(const json_t *v, char out[64])
{
    quote_buf q = {out, 63, 0, false};
    if (json_dump_callback(v, quote_put, &q, JSON_ENCODE_ANY | JSON_COMPACT) != 0 && !q.full) {
        (void)snprintf(out, 64, "the value");
    } else if (q.len < 48) {
        out[q.len] = '\0';
    } else {
        size_t k = 40;
        while (k > 0 && ((unsigned char)out[k] & 0xC0) == 0x80)
            k--;
        memcpy(out + k, "...", 4);
    }
}

/* "<value> <what>" for field, e.g. `123 is not a string`. */
static int value_error(tm_err *err, const char *field, const json_t *v, const char *what)
{
    char q[64];
    quote(v, q);
    return tm_err_set(err, TM_EINVAL, field, "%s %s", q, what);
}

/* A string value cleaned into tmp (empty when absent). */
static int clean_value(const json_t *v, const char *field, size_t max, bool multiline, tm_buf *tmp,
                       tm_err *err)
{
    tm_buf_reset(tmp);
    if (!v || json_is_null(v)) return TM_OK;
    if (!json_is_string(v)) return value_error(err, field, v, "is not a string");
    size_t chars = imp_clean(json_string_value(v), json_string_length(v), multiline, tmp);
    if (chars > max)
        return tm_err_set(err, TM_EINVAL, field, "is %zu characters long; the limit is %zu", chars,
                          max);
    return TM_OK;
}

/* A string value: *dst is a cleaned copy, NULL when absent or empty. */
static int str_value(const json_t *v, const char *field, size_t max, bool multiline, tm_buf *tmp,
                     char **dst, tm_err *err)
{
    int code = clean_value(v, field, max, multiline, tmp, err);
    *dst = code == TM_OK && tmp->len ? tm_xstrndup(tmp->p, tmp->len) : NULL;
    return code;
}

static int get_str(const json_t *v, const char *key, size_t max, bool multiline, bool required,
                   tm_buf *tmp, char **dst, tm_err *err)
{
    int code = str_value(v, key, max, multiline, tmp, dst, err);
    if (code == TM_OK && required && !*dst) code = tm_err_set(err, TM_EINVAL, key, "is required");
    return code;
}

/* A list of strings: entries cleaned to one line, empty ones dropped. */
static int get_list(const json_t *v, const char *key, size_t entry_max, tm_buf *tmp, idx_strv *dst,
                    tm_err *err)
{
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
        size_t chars = imp_clean(json_string_value(e), json_string_length(e), false, tmp);
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
        (void)imp_clean(json_string_value(v), json_string_length(v), false, tmp);
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
static int get_trl(const json_t *v, tm_buf *tmp, int *dst, tm_err *err)
{
    if (!v || json_is_null(v)) return TM_OK;
    if (json_is_integer(v)) {
        json_int_t x = json_integer_value(v);
        if (x >= 1 && x <= 9) {
            *dst = (int)x;
            return TM_OK;
        }
    } else if (json_is_string(v)) {
        (void)imp_clean(json_string_value(v), json_string_length(v), false, tmp);
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

static int get_licence(const json_t *v, tm_buf *tmp, unsigned *dst, tm_err *err)
{
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

/* Sets vals[k] to obj's value for known[k] (NULL when absent) and calls
 * o->unknown for each other key of obj, as prefix + key: one pass over the
 * object (imp_keys.h) instead of a hash lookup per field. */
static void find_keys(const json_t *obj, const char *const *known, const json_t **vals,
                      const char *prefix, const imp_rec_opts *o, tm_buf *tmp)
{
    const char *key;
    size_t len, nknown = 0, hint = 0;
    json_t *v;
    while (known[nknown])
        vals[nknown++] = NULL;
    /* json_object_keylen_foreach wants a non-const object; it only reads it. */
    json_object_keylen_foreach((json_t *)obj, key, len, v)
    {
        size_t k = imp_keys_find(known, nknown, key, len, &hint);
        if (k < nknown) {
            vals[k] = v;
            continue;
        }
        if (!o || !o->unknown) continue;
        tm_buf_reset(tmp);
        tm_buf_puts(tmp, prefix);
        tm_buf_puts(tmp, key);
        o->unknown(o->arg, tm_buf_cstr(tmp));
    }
}

/* A patent's cleaned value s (tmp's text, or NULL when empty) into *dst,
 * its numbers and dates normalised by imp_norm (so JSON and CSV alike):
 * "nan"/"0"/"0000-00-00" become absent; a KIPO number sets *kr. Copied
 * once, after the normalising. */
static int patent_field(const char *s, size_t k, const char *f, bool *kr, char **dst, tm_err *err)
{
    bool date = k == P_FILED || k == P_REGISTERED;
    bool number = k == P_NUMBER || k == P_REGNUM;
    int code = TM_OK;
    char d[11];
    imp_norm_pnum pn;

    *dst = NULL;
    if (!s) return TM_OK;
    if (date) {
        code = imp_norm_date(s, d, err);
    } else if (number) {
        code = imp_norm_patent_as(
            s, k == P_NUMBER ? IMP_NORM_PNUM_APPLICATION : IMP_NORM_PNUM_REGISTRATION, &pn, err);
        *kr |= code == TM_OK && pn.country[0];
    } else if (imp_norm_is_blank(s)) {
        d[0] = '\0';
    } else {
        *dst = tm_xstrdup(s);
        return TM_OK;
    }
    if (code != TM_OK) {
        if (err) (void)snprintf(err->field, sizeof err->field, "%s", f);
        return code;
    }
    const char *v = number ? pn.text : d;
    *dst = v[0] ? tm_xstrdup(v) : NULL;
    return TM_OK;
}

/* "patents[i]." into f, returning its length. By hand: snprintf() took a
 * tenth of a patent's validation. */
_Static_assert(IMP_REC_PATENTS_MAX <= 100, "i has at most two digits");
static size_t patent_prefix(char f[64], size_t i)
{
    size_t len = 8;
    memcpy(f, "patents[", len);
    if (i >= 10) f[len++] = (char)('0' + i / 10);
    f[len++] = (char)('0' + i % 10);
    memcpy(f + len, "].", 3);
    return len + 2;
}

/* Fills *p; a missing number is the caller's to judge (a patent with no
 * value at all is dropped, as a spreadsheet row of "nan"s). */
static int get_patent(const json_t *v, size_t i, const imp_rec_opts *o, tm_buf *tmp, idx_patent *p,
                      tm_err *err)
{
    char f[64];
    int code = TM_OK;
    bool kr = false;
    if (!json_is_object(v)) {
        (void)snprintf(f, sizeof f, "patents[%zu]", i);
        return value_error(err, f, v, "is not an object");
    }
    const json_t *vals[P__COUNT];
    find_keys(v, patent_keys, vals, "patents.", o, tmp);
    char **dst[P__COUNT] = {&p->number,
                            &p->country,
                            &p->kind,
                            &p->status,
                            &p->filed,
                            &p->registered,
                            &p->registration_number};
    /* "patents[i]." once, each key after it: at most 30 + 19 + 1 bytes */
    size_t pre = patent_prefix(f, i);
    for (size_t k = 0; code == TM_OK && k < sizeof dst / sizeof dst[0]; k++) {
        memcpy(f + pre, patent_keys[k], strlen(patent_keys[k]) + 1);
        code = clean_value(vals[k], f, IMP_REC_PATENT_STR_MAX, false, tmp, err);
        if (code == TM_OK)
            code = patent_field(tmp->len ? tm_buf_cstr(tmp) : NULL, k, f, &kr, dst[k], err);
    }
    if (code == TM_OK && kr && !p->country) p->country = tm_xstrdup("KR");
    return code;
}

static bool patent_empty(const idx_patent *p)
{
    return !p->number && !p->country && !p->kind && !p->status && !p->filed && !p->registered &&
           !p->registration_number;
}

static int get_patents(const json_t *v, const imp_rec_opts *o, tm_buf *tmp, idx_tech *t,
                       tm_err *err)
{
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
        idx_patent *p = &t->patents[t->npatents++];
        code = get_patent(json_array_get(v, i), i, o, tmp, p, err);
        if (code == TM_OK && patent_empty(p)) {
            t->npatents--;
        } else if (code == TM_OK && !p->number) {
            char f[64];
            (void)snprintf(f, sizeof f, "patents[%zu].number", i);
            code = tm_err_set(err, TM_EINVAL, f, "is required");
        }
    }
    return code;
}

/* ipc: a list of cells (or one cell), each with one code or several in any
 * form imp_norm_ipc() reads; stored normalised, duplicates dropped. Text
 * that is no IPC code is kept as written, with a warning. */
static int get_ipc(const json_t *v, const imp_rec_opts *o, tm_buf *tmp, idx_strv *dst, tm_err *err)
{
    int code = TM_OK;
    if (!v || json_is_null(v)) return TM_OK;
    if (!json_is_array(v) && !json_is_string(v)) return value_error(err, "ipc", v, "is not a list");
    size_t n = json_is_array(v) ? json_array_size(v) : 1;
    if (n > IMP_REC_LIST_MAX)
        return tm_err_set(err, TM_EINVAL, "ipc", "has %zu entries; the limit is %d", n,
                          IMP_REC_LIST_MAX);
    for (size_t i = 0; code == TM_OK && i < n; i++) {
        const json_t *e = json_is_array(v) ? json_array_get(v, i) : v;
        if (!json_is_string(e)) {
            char q[64];
            quote(e, q);
            return tm_err_set(err, TM_EINVAL, "ipc", "entry %zu: %s is not a string", i + 1, q);
        }
        size_t chars = imp_clean(json_string_value(e), json_string_length(e), false, tmp);
        if (chars > IMP_REC_TEXT_MAX)
            return tm_err_set(err, TM_EINVAL, "ipc",
                              "entry %zu is %zu characters long; the limit is %d", i + 1, chars,
                              IMP_REC_TEXT_MAX);
        code = imp_norm_ipc(tm_buf_cstr(tmp), dst, err);
    }
    if (code == TM_OK && dst->n > IMP_REC_LIST_MAX)
        return tm_err_set(err, TM_EINVAL, "ipc", "has %zu codes; the limit is %d", dst->n,
                          IMP_REC_LIST_MAX);
    for (size_t i = 0; code == TM_OK && i < dst->n; i++) {
        size_t chars = 0;
        for (const char *c = dst->v[i]; *c; c++)
            chars += ((unsigned char)*c & 0xC0) != 0x80;
        if (chars > IMP_REC_ENTRY_MAX)
            return tm_err_set(err, TM_EINVAL, "ipc",
                              "entry %zu is %zu characters long; the limit is %d", i + 1, chars,
                              IMP_REC_ENTRY_MAX);
        if (o && o->warn && !imp_norm_ipc_is_code(dst->v[i])) {
            char msg[160];
            int cut = (int)strnlen(dst->v[i], 61);
            while (cut > 60 || (cut > 0 && ((unsigned char)dst->v[i][cut] & 0xC0) == 0x80))
                cut--;
            (void)snprintf(msg, sizeof msg, "\"%.*s\" is not an IPC code; kept as written", cut,
                           dst->v[i]);
            o->warn(o->arg, "ipc", msg);
        }
    }
    return code;
}

/* ---- records ---- */

int imp_rec_tech(const json_t *obj, const imp_rec_opts *o, idx_tech *t, tm_err *err)
{
    tm_buf own = {0}, *tmp = o && o->scratch ? o->scratch : &own;
    const json_t *v[T__COUNT];
    int code = TM_OK;

    idx_tech_init(t);
    if (!json_is_object(obj)) {
        code = value_error(err, NULL, obj, "is not an object");
        goto out;
    }
    find_keys(obj, tech_keys, v, "", o, tmp);
    code = get_str(v[T_EXTERNAL_ID], "external_id", IMP_REC_EXTERNAL_ID_MAX, false, false, tmp,
                   &t->external_id, err);
    if (code == TM_OK)
        code = get_str(v[T_TITLE], "title", IMP_REC_TITLE_MAX, false, true, tmp, &t->title, err);
    if (code == TM_OK)
        code = get_str(v[T_TITLE_EN], "title_en", IMP_REC_OTHER_MAX, false, false, tmp,
                       &t->title_en, err);
    if (code == TM_OK)
        code =
            get_str(v[T_SUMMARY], "summary", IMP_REC_TEXT_MAX, true, false, tmp, &t->summary, err);
    if (code == TM_OK)
        code = get_str(v[T_DESCRIPTION], "description", IMP_REC_TEXT_MAX, true, false, tmp,
                       &t->description, err);
    if (code == TM_OK)
        code = get_list(v[T_KEYWORDS], "keywords", IMP_REC_ENTRY_MAX, tmp, &t->keywords, err);
    if (code == TM_OK)
        code = enum_value(v[T_FIELD], "field", idx_field_parse, idx_field_name, IDX_FIELD__COUNT,
                          tmp, &t->field, err);
    if (code == TM_OK) code = get_ipc(v[T_IPC], o, tmp, &t->ipc, err);
    if (code == TM_OK) code = get_trl(v[T_TRL], tmp, &t->trl, err);
    if (code == TM_OK) code = get_licence(v[T_LICENCE], tmp, &t->licence, err);
    if (code == TM_OK)
        code = get_str(v[T_ASKING], "asking", IMP_REC_NAME_MAX, false, false, tmp, &t->asking, err);
    if (code == TM_OK)
        code = enum_value(v[T_STATUS], "status", idx_status_parse, idx_status_name,
                          IDX_STATUS__COUNT, tmp, &t->status, err);
    if (code == TM_OK)
        code = get_str(v[T_INSTITUTION], "institution", IMP_REC_NAME_MAX, false,
                       !(o && o->institution_optional), tmp, &t->institution, err);
    if (code == TM_OK)
        code = get_list(v[T_INVENTORS], "inventors", IMP_REC_ENTRY_MAX, tmp, &t->inventors, err);
    if (code == TM_OK)
        code = get_str(v[T_CONTACT], "contact", IMP_REC_OTHER_MAX, false, false, tmp, &t->contact,
                       err);
    if (code == TM_OK) code = get_patents(v[T_PATENTS], o, tmp, t, err);
out:
    tm_buf_free(&own);
    if (code != TM_OK) idx_tech_clear(t);
    return code;
}

int imp_rec_inst(const json_t *obj, const imp_rec_opts *o, idx_inst *in, tm_err *err)
{
    tm_buf own = {0}, *tmp = o && o->scratch ? o->scratch : &own;
    const json_t *v[I__COUNT];
    int code = TM_OK;

    memset(in, 0, sizeof *in);
    in->kind = -1;
    if (!json_is_object(obj)) {
        code = value_error(err, NULL, obj, "is not an object");
        goto out;
    }
    find_keys(obj, inst_keys, v, "", o, tmp);
    code = get_str(v[I_NAME], "name", IMP_REC_NAME_MAX, false, true, tmp, &in->name, err);
    if (code == TM_OK)
        code = get_str(v[I_NAME_EN], "name_en", IMP_REC_NAME_MAX, false, false, tmp, &in->name_en,
                       err);
    if (code == TM_OK)
        code = enum_value(v[I_KIND], "kind", idx_kind_parse, idx_kind_name, IDX_KIND__COUNT, tmp,
                          &in->kind, err);
    if (code == TM_OK)
        code = get_list(v[I_GROUPS], "groups", IMP_REC_ENTRY_MAX, tmp, &in->groups, err);
out:
    tm_buf_free(&own);
    if (code != TM_OK) {
        idx_inst_clear(in);
        in->kind = -1;
    }
    return code;
}

/* ---- CSV rows ---- */

enum {
    COL_SKIP,        /* no name, or ignored on purpose */
    COL_VAL,         /* a text cell */
    COL_LIST,        /* keywords, ipc, licence, inventors */
    COL_PATENTS,     /* a JSON array */
    COL_EXACT = 0x40 /* flag: named exactly as its field (wins over synonyms) */
};

static unsigned char col_kind(const char *target)
{
    static const char *const lists[] = {"keywords", "ipc", "licence", "inventors"};
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++)
        if (strcmp(target, lists[i]) == 0) return COL_LIST;
    if (strcmp(target, "patents") == 0) return COL_PATENTS;
    return COL_VAL;
}

void imp_rec_cols_free(imp_rec_cols *cols)
{
    if (!cols) return;
    for (size_t i = 0; i < cols->n; i++)
        free(cols->names[i]);
    free(cols->names);
    free(cols->kind);
    free(cols->target);
    free(cols->ignored);
    memset(cols, 0, sizeof *cols);
}

int imp_rec_cols_init(imp_rec_cols *cols, const tm_str *names, size_t n, bool institution_optional,
                      tm_err *err)
{
    return imp_rec_cols_map(cols, names, n, NULL, institution_optional, err);
}

/* s cut to at most max bytes between characters, as a length. */
static int cut_len(const char *s, size_t max)
{
    size_t k = strnlen(s, max + 1);
    while (k > max || (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80))
        k--;
    return (int)k;
}

/* The header's names, "a, b, c", cut at about 60 bytes. */
static void header_list(const imp_rec_cols *cols, tm_buf *out)
{
    tm_buf_reset(out);
    for (size_t i = 0; i < cols->n; i++) {
        if (!cols->names[i][0]) continue;
        if (out->len + strlen(cols->names[i]) > 60) {
            tm_buf_puts(out, out->len ? ", ..." : "...");
            break;
        }
        tm_buf_puts(out, out->len ? ", " : "");
        tm_buf_puts(out, cols->names[i]);
    }
    (void)tm_buf_cstr(out);
}

int imp_rec_cols_map(imp_rec_cols *cols, const tm_str *names, size_t n, const imp_map *m,
                     bool institution_optional, tm_err *err)
{
    tm_buf tmp = {0}, norm = {0}, ign = {0};
    int code = TM_OK;
    bool title = false, inst = false;
    size_t last_named = (size_t)-1;

    memset(cols, 0, sizeof *cols);
    cols->names = tm_xcalloc(n ? n : 1, sizeof *cols->names);
    cols->kind = tm_xcalloc(n ? n : 1, 1);
    cols->target = tm_xcalloc(n ? n : 1, sizeof *cols->target);
    for (size_t i = 0; code == TM_OK && i < n; i++) {
        if (!tm_utf8_valid(names[i].p, names[i].len)) {
            code = tm_err_set(err, TM_EINVAL, "header", "the name of column %zu is not valid UTF-8",
                              i + 1);
            break;
        }
        if (memchr(names[i].p, '\0', names[i].len)) {
            code = tm_err_set(err, TM_EINVAL, "header",
                              "the name of column %zu holds a NUL byte: the file is not plain text",
                              i + 1);
            break;
        }
        (void)imp_clean(names[i].p, names[i].len, false, &tmp);
        const char *name = tm_buf_cstr(&tmp);
        cols->names[i] = tm_xstrdup(name);
        cols->n = i + 1;
        imp_map_norm(name, tmp.len, &norm);
        const char *t = norm.len ? imp_map_target(m, name, tmp.len) : NULL;
        if (norm.len == 0) {
            cols->kind[i] = COL_SKIP;
        } else if (t && strcmp(t, "ignore") == 0) {
            cols->kind[i] = COL_SKIP;
            cols->lenient = true;
            tm_buf_puts(&ign, ign.len ? ", " : "");
            tm_buf_puts(&ign, name);
        } else if (t) {
            cols->target[i] = t;
            cols->kind[i] = col_kind(t);
            if (strcmp(name, t) == 0 && imp_map_is_canonical(t))
                cols->kind[i] |= COL_EXACT;
            else
                cols->lenient = true;
        } else {
            cols->kind[i] = COL_VAL; /* unknown: imp_rec_tech warns about it */
        }
        if (norm.len) last_named = i;
        for (size_t j = 0; j < i; j++)
            if (cols->kind[i] != COL_SKIP && strcmp(cols->names[j], cols->names[i]) == 0) {
                /* At most 40 bytes, cut between characters. */
                code = tm_err_set(err, TM_EINVAL, "header", "column \"%.*s\" appears twice",
                                  cut_len(cols->names[i], 40), cols->names[i]);
                break;
            }
        title |= t && strcmp(t, "title") == 0;
        inst |= t && (strcmp(t, "institution") == 0 || strcmp(t, "applicants") == 0);
    }
    if (code == TM_OK && !title) {
        header_list(cols, &tmp);
        code = tm_err_set(err, TM_EINVAL, "header",
                          "there is no \"title\" column: none of %s is a title (title, 기술명, "
                          "발명의명칭, 특허명, 성과명, ...)",
                          tmp.len ? tm_buf_cstr(&tmp) : "the columns");
    }
    if (code == TM_OK && !inst && !institution_optional)
        code = tm_err_set(err, TM_EINVAL, "header",
                          "there is no \"institution\" column (institution, 기관명, 보유기관, "
                          "출원인, applicant, ...)");
    /* Unnamed columns after the last named one, when that is a text: the
     * text's unquoted commas spilled into them. */
    cols->spill_from = cols->spill_into = cols->n;
    if (code == TM_OK && last_named != (size_t)-1 && last_named + 1 < cols->n &&
        cols->target[last_named]) {
        const char *t = cols->target[last_named];
        if (strcmp(t, "summary") == 0 || strcmp(t, "description") == 0 || strcmp(t, "title") == 0 ||
            strcmp(t, "title_en") == 0) {
            cols->spill_into = last_named;
            cols->spill_from = last_named + 1;
        }
    }
    if (code == TM_OK && ign.len) cols->ignored = tm_buf_steal(&ign);
    tm_buf_free(&tmp);
    tm_buf_free(&norm);
    tm_buf_free(&ign);
    if (code != TM_OK) imp_rec_cols_free(cols);
    return code;
}

const char *imp_rec_cols_column(const imp_rec_cols *cols, const char *field)
{
    char want[64];
    const char *best = NULL;
    if (strncmp(field, "patents[0].", 11) == 0)
        (void)snprintf(want, sizeof want, "patent_%.40s", field + 11);
    else
        (void)snprintf(want, sizeof want, "%.60s", field);
    for (size_t i = 0; i < cols->n; i++) {
        const char *t = cols->target[i];
        if (!t || (strcmp(t, want) != 0 &&
                   !(strcmp(want, "institution") == 0 && strcmp(t, "applicants") == 0)))
            continue;
        if (cols->kind[i] & COL_EXACT) return cols->names[i];
        if (!best) best = cols->names[i];
    }
    return best;
}

bool imp_rec_cols_width_ok(const imp_rec_cols *cols, size_t n)
{
    return n == cols->n || (cols->spill_from < cols->n && n > cols->spill_into);
}

/* A cell holding a JSON array of strings is that list, so an entry may hold
 * a ';' (techmart export writes such lists this way); else NULL. */
static json_t *array_cell(const char *p, size_t len)
{
    size_t b = 0;
    while (b < len && (p[b] == ' ' || p[b] == '\t'))
        b++;
    if (b < len && p[b] == '[') {
        json_t *v = json_loadb(p + b, len - b, JSON_REJECT_DUPLICATES, NULL);
        bool strings = json_is_array(v);
        for (size_t k = 0; strings && k < json_array_size(v); k++)
            strings = json_is_string(json_array_get(v, k));
        if (strings) return v;
        json_decref(v);
    }
    return NULL;
}

static json_t *split_list(const char *p, size_t len)
{
    json_t *v = array_cell(p, len);
    if (v) return v;
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

/* The spilled text of a row into *out (the named cell, then every cell
 * after it up to the last non-empty one, joined by ','); false when the
 * unnamed cells are all empty. */
static bool spill_text(const imp_rec_cols *cols, const tm_str *cells, size_t n, tm_buf *out)
{
    size_t last = 0;
    for (size_t i = cols->spill_from; i < n; i++)
        if (cells[i].len) last = i + 1;
    if (!last) return false;
    tm_buf_reset(out);
    for (size_t i = cols->spill_into; i < last; i++) {
        if (i > cols->spill_into) tm_buf_putc(out, ',');
        tm_buf_append(out, cells[i].p, cells[i].len);
    }
    (void)tm_buf_cstr(out);
    return true;
}

int imp_rec_from_row(const imp_rec_cols *cols, const tm_str *cells, size_t n, json_t **out,
                     tm_err *err)
{
    imp_map_rec r;
    tm_buf spill = {0};
    bool spilled = false;
    int code = TM_OK;

    *out = NULL;
    imp_map_rec_init(&r, cols->lenient, &cols->notes);
    for (size_t i = 0; code == TM_OK && i < n; i++) {
        bool used = i < cols->n ? (cols->kind[i] & ~COL_EXACT) != COL_SKIP : false;
        if (i >= cols->spill_from) used = true;
        if (used && cells[i].len && !tm_utf8_valid(cells[i].p, cells[i].len))
            code = tm_err_set(err, TM_EINVAL, i < cols->n ? cols->names[i] : "",
                              "is not valid UTF-8 (if the file is CP949/EUC-KR, name its encoding: "
                              "--encoding cp949)");
        else if (used && cells[i].len && memchr(cells[i].p, '\0', cells[i].len))
            code = tm_err_set(err, TM_EINVAL, i < cols->n ? cols->names[i] : "",
                              "holds a NUL byte: the file is not plain text");
    }
    if (code == TM_OK && cols->spill_from < cols->n && n > cols->spill_into)
        spilled = spill_text(cols, cells, n, &spill);
    /* Columns named exactly as their field first, then the others. */
    for (int pass = 0; code == TM_OK && pass < 2; pass++)
        for (size_t i = 0; code == TM_OK && i < n && i < cols->n; i++) {
            const char *name = cols->names[i];
            unsigned char kind = cols->kind[i] & ~COL_EXACT;
            bool exact = (cols->kind[i] & COL_EXACT) != 0;
            tm_str c = spilled && i == cols->spill_into ? (tm_str){spill.p, spill.len} : cells[i];
            if (kind == COL_SKIP || c.len == 0 || exact != (pass == 0)) continue;
            json_t *v = NULL;
            if (kind == COL_PATENTS) {
                json_error_t je;
                v = json_loadb(c.p, c.len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
                if (!v)
                    code = tm_err_set(err, TM_EINVAL, name, "invalid JSON at column %d: %s",
                                      je.column, je.text);
            } else if (kind == COL_LIST) {
                v = cols->lenient ? array_cell(c.p, c.len) : split_list(c.p, c.len);
            }
            if (code == TM_OK && !v) v = json_stringn(c.p, c.len);
            if (code == TM_OK) code = imp_map_rec_put(&r, cols->target[i], name, v, err);
            json_decref(v);
        }
    if (code == TM_OK && spilled && cols->notes.warn) {
        char msg[160];
        (void)snprintf(msg, sizeof msg,
                       "the text ran on into the unnamed columns after it (unquoted commas); "
                       "joined back with ','");
        cols->notes.warn(cols->notes.arg, NULL, cols->names[cols->spill_into], msg);
    }
    tm_buf_free(&spill);
    if (code != TM_OK) {
        imp_map_rec_clear(&r);
        return code;
    }
    return imp_map_rec_finish(&r, out, err);
}
