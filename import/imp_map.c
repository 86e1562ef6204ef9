#include "imp_map.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../common/tm_alloc.h"
#include "imp_keys.h"
#include "imp_map_int.h"

/* ---- names ---- */

/* The canonical record's keys (as imp_rec's tech_keys) and the one-patent
 * CSV columns. */
static const char *const canon_keys[] = {
    "external_id", "title",     "title_en", "summary", "description", "keywords",
    "field",       "ipc",       "trl",      "licence", "asking",      "status",
    "institution", "inventors", "contact",  "patents", NULL};
static const char *const patent_cols[] = {"patent_number",
                                          "patent_country",
                                          "patent_kind",
                                          "patent_status",
                                          "patent_filed",
                                          "patent_registered",
                                          "patent_registration_number",
                                          NULL};

static bool in_list(const char *const *list, const char *s)
{
    for (size_t i = 0; list[i]; i++)
        if (strcmp(list[i], s) == 0) return true;
    return false;
}

#define NCANON (sizeof canon_keys / sizeof canon_keys[0] - 1)

/* The canonical key name[0..len) is, as written, or NULL (imp_keys.h). */
static const char *canon_as_written(const char *name, size_t len, size_t *hint)
{
    size_t i = imp_keys_find(canon_keys, NCANON, name, len, hint);
    return i < NCANON ? canon_keys[i] : NULL;
}

void imp_map_norm(const char *name, size_t len, tm_buf *out)
{
    static const char *const types[] = {"TEXT",    "NGRAM",  "NUMERIC", "DATETIME",
                                        "KEYWORD", "STORED", NULL};
    size_t b = 0, e = len;
    while (b < e && space(name[b]))
        b++;
    while (e > b && space(name[e - 1]))
        e--;
    for (size_t t = 0; types[t]; t++) {
        size_t k = strlen(types[t]);
        if (e - b < k || memcmp(name + e - k, types[t], k) != 0) continue;
        if (e - b == k) {
            /* The word alone: STORED is Whoosh's storage flag, never a name. */
            if (strcmp(types[t], "STORED") == 0) e = b;
        } else if (!ascii_alpha(name[e - k - 1])) {
            e -= k;
        }
        break;
    }
    tm_buf_reset(out);
    for (size_t i = b; i < e; i++) {
        char c = name[i];
        if (space(c) || c == '_' || c == '-') continue;
        tm_buf_putc(out, ascii_upper(c) ? (char)(c - 'A' + 'a') : c);
    }
    (void)tm_buf_cstr(out);
}

bool imp_map_is_canonical(const char *field)
{
    return in_list(canon_keys, field) || in_list(patent_cols, field);
}

bool imp_map_is_target(const char *field)
{
    return strcmp(field, "ignore") == 0 || strcmp(field, "applicants") == 0 ||
           in_list(canon_keys, field) || in_list(patent_cols, field);
}

/* The static spelling of a target (rules hold their own copies). */
static const char *target_static(const char *field)
{
    for (size_t i = 0; canon_keys[i]; i++)
        if (strcmp(canon_keys[i], field) == 0) return canon_keys[i];
    for (size_t i = 0; patent_cols[i]; i++)
        if (strcmp(patent_cols[i], field) == 0) return patent_cols[i];
    if (strcmp(field, "applicants") == 0) return "applicants";
    return strcmp(field, "ignore") == 0 ? "ignore" : NULL;
}

int imp_map_rule_add(imp_map *m, const char *rule, tm_err *err)
{
    const char *eq = strrchr(rule, '=');
    tm_buf col = {0}, fld = {0};
    int code = TM_OK;

    if (!eq || eq == rule || !eq[1]) {
        code = tm_err_set(err, TM_EINVAL, "map", "\"%.60s\" is not column=field", rule);
        goto out;
    }
    imp_map_norm(rule, (size_t)(eq - rule), &col);
    imp_map_norm(eq + 1, strlen(eq + 1), &fld);
    const char *target = target_static(tm_buf_cstr(&fld));
    if (!target) {
        code = tm_err_set(err, TM_EINVAL, "map",
                          "\"%.60s\" is not a field; use one of the record's fields "
                          "(title, institution, summary, ...), a patent_* column or ignore",
                          eq + 1);
        goto out;
    }
    if (col.len == 0) {
        code = tm_err_set(err, TM_EINVAL, "map", "\"%.60s\" names no column", rule);
        goto out;
    }
    m->cols = tm_xreallocarray(m->cols, m->n + 1, sizeof *m->cols);
    m->fields = tm_xreallocarray(m->fields, m->n + 1, sizeof *m->fields);
    m->cols[m->n] = tm_buf_steal(&col);
    m->fields[m->n] = tm_xstrdup(target);
    m->n++;
out:
    tm_buf_free(&col);
    tm_buf_free(&fld);
    return code;
}

void imp_map_free(imp_map *m)
{
    if (!m) return;
    for (size_t i = 0; i < m->n; i++) {
        free(m->cols[i]);
        free(m->fields[i]);
    }
    free(m->cols);
    free(m->fields);
    memset(m, 0, sizeof *m);
}

const char *imp_map_target(const imp_map *m, const char *name, size_t len)
{
    /* canon_keys as imp_map_norm() writes them. */
    static const char *const canon_norm[] = {
        "externalid",  "title",     "titleen", "summary", "description", "keywords",
        "field",       "ipc",       "trl",     "licence", "asking",      "status",
        "institution", "inventors", "contact", "patents", NULL};
    tm_buf nb = {0};
    const char *t = NULL;

    /* A canonical key as written, with no rules: every key of every
     * canonical record comes here, so no allocation. */
    size_t hint = 0;
    if ((!m || m->n == 0) && (t = canon_as_written(name, len, &hint))) return t;
    imp_map_norm(name, len, &nb);
    const char *n = tm_buf_cstr(&nb);
    /* Rules first: the last one given for a column wins. */
    for (size_t i = m ? m->n : 0; i-- > 0 && !t;)
        if (strcmp(m->cols[i], n) == 0) t = target_static(m->fields[i]);
    for (size_t i = 0; !t && canon_norm[i]; i++)
        if (strcmp(canon_norm[i], n) == 0) t = canon_keys[i];
    /* patent_* only as written ("Patent Number" is a registration number). */
    for (size_t i = 0; !t && patent_cols[i]; i++) {
        size_t b, e;
        trim(name, len, &b, &e);
        if (e - b == strlen(patent_cols[i]) && strncasecmp(name + b, patent_cols[i], e - b) == 0)
            t = patent_cols[i];
    }
    for (size_t i = 0; !t && i < imp_map_nsynonyms; i++)
        if (strcmp(imp_map_synonyms[i].name, n) == 0) t = imp_map_synonyms[i].target;
    if (!t && n[0] && in_list(imp_map_ignored, n)) t = "ignore";
    tm_buf_free(&nb);
    return t;
}

/* ---- records ---- */

void imp_map_rec_init(imp_map_rec *r, bool lenient, const imp_map_notes *notes)
{
    memset(r, 0, sizeof *r);
    r->obj = json_object();
    r->lenient = lenient;
    r->notes = notes;
}

void imp_map_rec_clear(imp_map_rec *r)
{
    json_decref(r->obj);
    json_decref(r->pat);
    json_decref(r->extra_kw);
    free(r->status);
    memset(r, 0, sizeof *r);
}

bool imp_map_rec_has(const imp_map_rec *r, const char *target)
{
    if (strncmp(target, "patent_", 7) == 0)
        return r->pat && json_object_get(r->pat, target + 7) != NULL;
    if (strcmp(target, "status") == 0 && r->status) return true;
    if (strcmp(target, "applicants") == 0) target = "institution";
    return json_object_get(r->obj, target) != NULL;
}

int imp_map_rec_put(imp_map_rec *r, const char *target, const char *name, const json_t *v,
                    tm_err *err)
{
    if (!v || json_is_null(v)) return TM_OK;
    if (target && strcmp(target, "ignore") == 0) return TM_OK;
    if (!target) {
        /* Unknown: kept under its own name for imp_rec to warn about. */
        if (!json_object_get(r->obj, name)) json_object_set(r->obj, name, (json_t *)v);
        return TM_OK;
    }
    if (imp_map_rec_has(r, target)) return TM_OK;
    if (r->lenient) return imp_map_put_lenient(r, target, v, err);
    if (strncmp(target, "patent_", 7) == 0) {
        if (!r->pat) r->pat = json_object();
        json_object_set(r->pat, target + 7, (json_t *)v);
    } else {
        json_object_set(r->obj, target, (json_t *)v);
    }
    return TM_OK;
}

int imp_map_rec_finish(imp_map_rec *r, json_t **out, tm_err *err)
{
    int code = TM_OK;
    *out = NULL;
    if (r->status) imp_map_decide_status(r);
    if (r->pat && r->lenient && !json_object_get(r->pat, "number")) {
        json_t *reg = json_object_get(r->pat, "registration_number");
        if (reg)
            json_object_set(r->pat, "number", reg);
        else {
            json_decref(r->pat);
            r->pat = NULL;
        }
    }
    if (r->pat) {
        if (json_object_get(r->obj, "patents")) {
            code = tm_err_set(err, TM_EINVAL, "patents",
                              "give either the patents column or the patent_* columns");
            goto out;
        }
        json_t *a = json_array();
        json_array_append_new(a, r->pat);
        r->pat = NULL;
        json_object_set_new(r->obj, "patents", a);
    }
    if (r->extra_kw) {
        json_t *kw = json_object_get(r->obj, "keywords");
        if (json_is_array(kw))
            json_array_extend(kw, r->extra_kw);
        else if (!kw)
            json_object_set(r->obj, "keywords", r->extra_kw);
    }
    if (r->lenient) imp_map_split_title(r->obj);
    *out = r->obj;
    r->obj = NULL;
out:
    imp_map_rec_clear(r);
    return code;
}

int imp_map_json(const imp_map *m, const json_t *in, const imp_map_notes *notes, json_t **out,
                 tm_err *err)
{
    const char *key;
    size_t klen, hint = 0;
    json_t *v;
    bool mapped = false, rules = m && m->n;
    tm_buf ign = {0};
    imp_map_rec r;
    int code = TM_OK;

    *out = NULL;
    if (!json_is_object(in)) {
        *out = json_incref((json_t *)in);
        return TM_OK;
    }
    json_object_keylen_foreach((json_t *)in, key, klen, v)
    {
        if (!rules && canon_as_written(key, klen, &hint)) continue; /* the usual key */
        const char *t = imp_map_target(m, key, klen);
        if (t && (strcmp(t, key) != 0 || !in_list(canon_keys, t))) mapped = true;
    }
    if (!mapped) {
        *out = json_incref((json_t *)in);
        return TM_OK;
    }
    imp_map_rec_init(&r, true, notes);
    /* Keys named exactly as their target first, then the others in order. */
    for (int pass = 0; code == TM_OK && pass < 2; pass++)
        json_object_foreach((json_t *)in, key, v)
        {
            const char *t = imp_map_target(m, key, strlen(key));
            bool exact = t && strcmp(t, key) == 0 && in_list(canon_keys, t);
            if (exact != (pass == 0)) continue;
            if (pass == 1 && t && strcmp(t, "ignore") == 0) {
                tm_buf_puts(&ign, ign.len ? ", " : "ignored fields: ");
                tm_buf_puts(&ign, key);
            }
            if ((code = imp_map_rec_put(&r, t, key, v, err)) != TM_OK) break;
        }
    if (code == TM_OK && ign.len && notes && notes->warn)
        notes->warn(notes->arg, tm_buf_cstr(&ign), "", tm_buf_cstr(&ign));
    if (code == TM_OK)
        code = imp_map_rec_finish(&r, out, err);
    else
        imp_map_rec_clear(&r);
    tm_buf_free(&ign);
    return code;
}
