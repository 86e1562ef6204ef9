/* The value rules of imp_map (imp_map.h, "Strict and lenient records"): list
 * cells, applicants, patent numbers, status and titles, for imp_map.c's record
 * builder. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../common/tm_alloc.h"
#include "../common/tm_buf.h"
#include "imp_map_int.h"
#include "imp_norm.h"

/* ---- values ---- */

static bool has_hangul(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    /* U+1100-U+11FF, U+3130-U+318F, U+AC00-U+D7A3: lead bytes E1 84-87, E3 84-86, EA-ED. */
    for (size_t i = 0; i + 2 < len + 2 && i < len; i++) {
        if (u[i] >= 0xEA && u[i] <= 0xED) return true;
        if (u[i] == 0xE1 && i + 1 < len && u[i + 1] >= 0x84 && u[i + 1] <= 0x87) return true;
        if (u[i] == 0xE3 && i + 1 < len && u[i + 1] >= 0x84 && u[i + 1] <= 0x86) return true;
    }
    return false;
}

/* A run of Hangul syllables only (3 bytes each, EA-ED lead). */
static bool hangul_word(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    if (len == 0 || len % 3) return false;
    for (size_t i = 0; i < len; i += 3)
        if (u[i] < 0xEA || u[i] > 0xED) return false;
    return true;
}

static void arr_add(json_t *a, const char *s, size_t len)
{
    size_t b, e;
    trim(s, len, &b, &e);
    if (e > b) json_array_append_new(a, json_stringn(s + b, e - b));
}

/* A list cell: split at ';' and '|', else at ','; an inventors cell of
 * Korean names alone at spaces. */
static json_t *split_cell(const char *s, size_t len, bool names)
{
    json_t *a = json_array();
    bool semi = memchr(s, ';', len) || memchr(s, '|', len);
    bool comma = !semi && memchr(s, ',', len);
    if (semi || comma) {
        size_t i = 0;
        for (size_t k = 0; k <= len; k++)
            if (k == len || (semi ? s[k] == ';' || s[k] == '|' : s[k] == ',')) {
                arr_add(a, s + i, k - i);
                i = k + 1;
            }
        return a;
    }
    if (names) {
        /* 안호선 김지훈 이길원: words of 2-5 syllables, at least two. */
        size_t words = 0, i = 0;
        bool ok = true;
        while (ok && i < len) {
            while (i < len && s[i] == ' ')
                i++;
            size_t j = i;
            while (j < len && s[j] != ' ')
                j++;
            if (j > i) {
                ok = hangul_word(s + i, j - i) && j - i >= 6 && j - i <= 15;
                words++;
            }
            i = j;
        }
        if (ok && words >= 2) {
            i = 0;
            for (size_t k = 0; k <= len; k++)
                if (k == len || s[k] == ' ') {
                    arr_add(a, s + i, k - i);
                    i = k + 1;
                }
            return a;
        }
    }
    arr_add(a, s, len);
    return a;
}

static bool looks_institution(const char *s, size_t len)
{
    static const char *const ko[] = {"대학", "산학협력단", "연구원", "연구소", "기술원", NULL};
    static const char *const en[] = {"university", "institute", "college", NULL};
    char *one = tm_xstrndup(s, len);
    bool hit = false;
    for (size_t i = 0; !hit && ko[i]; i++)
        hit = strstr(one, ko[i]) != NULL;
    for (size_t i = 0; !hit && en[i]; i++)
        hit = strcasestr(one, en[i]) != NULL;
    free(one);
    return hit;
}

/* Whether the comma at p[k] ends a name: not before "Ltd", "Inc", ... */
static bool name_comma(const char *p, size_t n, size_t k)
{
    static const char *const tails[] = {"ltd",  "inc", "llc", "co.", "corp",
                                        "gmbh", "s.a", "plc", NULL};
    size_t i = k + 1;
    while (i < n && space(p[i]))
        i++;
    for (size_t t = 0; tails[t]; t++) {
        size_t m = strlen(tails[t]);
        if (n - i >= m && strncasecmp(p + i, tails[t], m) == 0) return false;
    }
    return true;
}

/* 주식회사, 유한회사, 재단법인, ...: a word of a company's name, not a person's. */
static bool company_word(const char *s, size_t len)
{
    static const char *const words[] = {"주식회사", "유한회사", "합자회사", "재단법인",
                                        "사단법인", "학교법인", NULL};
    for (size_t i = 0; words[i]; i++)
        if (strlen(words[i]) == len && memcmp(words[i], s, len) == 0) return true;
    return false;
}

/* The word of p[0..n) (a run without spaces) at or after *at into [*b, *e),
 * and *at past it; false when only spaces are left. */
static bool next_word(const char *p, size_t n, size_t *at, size_t *b, size_t *e)
{
    size_t i = *at;
    while (i < n && p[i] == ' ')
        i++;
    size_t j = i;
    while (j < n && p[j] != ' ')
        j++;
    *b = i;
    *e = j;
    *at = j;
    return j > i;
}

/* A space-joined list (KIPRIS "인천대학교 산학협력단 에이치씨테크(주)"): the
 * "<X대학교> 산학협력단" in it, else its first word naming a university or
 * institute, else its first word when every word is a Korean personal name
 * (2-4 syllables), else all of it. */
static void pick_spaced(const char *p, size_t n, tm_buf *out)
{
    static const char *const ends[] = {"대학교", "대학", "연구원", "연구소", "기술원", NULL};
    static const char coop[] = "산학협력단";
    size_t words = 0, names = 0;
    size_t first_b = 0, first_e = 0, i, j;
    for (size_t at = 0; next_word(p, n, &at, &i, &j);) {
        if (!words) {
            first_b = i;
            first_e = j;
        }
        words++;
        names +=
            hangul_word(p + i, j - i) && j - i >= 6 && j - i <= 12 && !company_word(p + i, j - i);
        size_t k = j;
        while (k < n && p[k] == ' ')
            k++;
        bool univ = false;
        for (size_t e = 0; ends[e] && !univ; e++) {
            size_t m = strlen(ends[e]);
            univ = j - i >= m && memcmp(p + j - m, ends[e], m) == 0;
        }
        if (univ && n - k >= sizeof coop - 1 && memcmp(p + k, coop, sizeof coop - 1) == 0) {
            tm_buf_append(out, p + i, k + sizeof coop - 1 - i);
            return;
        }
        size_t m = sizeof coop - 1;
        if (j - i > m && memcmp(p + j - m, coop, m) == 0) {
            tm_buf_append(out, p + i, j - i); /* 서울대학교산학협력단 */
            return;
        }
    }
    for (size_t at = 0; next_word(p, n, &at, &i, &j);) {
        for (size_t e = 0; ends[e]; e++) {
            size_t m = strlen(ends[e]);
            if (j - i > m && memcmp(p + j - m, ends[e], m) == 0) {
                tm_buf_append(out, p + i, j - i);
                return;
            }
        }
    }
    if (words > 1 && names == words)
        tm_buf_append(out, p + first_b, first_e - first_b);
    else
        tm_buf_append(out, p, n);
}

void imp_map_applicant(const char *s, size_t len, tm_buf *out)
{
    tm_buf fixed = {0};
    /* "Research amp; Business": an HTML entity lost its '&'. */
    for (size_t i = 0; i < len; i++) {
        if (len - i >= 5 && memcmp(s + i, "&amp;", 5) == 0) {
            tm_buf_putc(&fixed, '&');
            i += 4;
        } else if (len - i >= 4 && memcmp(s + i, "amp;", 4) == 0 && (i == 0 || s[i - 1] == ' ')) {
            tm_buf_putc(&fixed, '&');
            i += 3;
        } else {
            tm_buf_putc(&fixed, s[i]);
        }
    }
    const char *p = tm_buf_cstr(&fixed);
    size_t n = fixed.len;
    size_t pieces = 0, first_b = 0, first_e = 0, inst_b = 0, inst_e = 0;
    bool inst = false;
    bool lists = memchr(p, ';', n) || memchr(p, '|', n) || memchr(p, ',', n);
    tm_buf_reset(out);
    for (size_t i = 0, k = 0; lists && k <= n; k++) {
        if (k < n && p[k] != ';' && p[k] != '|' && (p[k] != ',' || !name_comma(p, n, k))) continue;
        size_t b, e;
        trim(p + i, k - i, &b, &e);
        b += i;
        e += i;
        i = k + 1;
        if (e == b) continue;
        if (!pieces++) {
            first_b = b;
            first_e = e;
        }
        if (!inst && looks_institution(p + b, e - b)) {
            inst = true;
            inst_b = b;
            inst_e = e;
        }
    }
    if (inst)
        tm_buf_append(out, p + inst_b, inst_e - inst_b);
    else if (pieces > 1 || (pieces == 1 && memchr(p + first_b, ' ', first_e - first_b) == NULL))
        tm_buf_append(out, p + first_b, first_e - first_b);
    else if (!lists || pieces == 1) {
        size_t b, e;
        if (pieces == 1) {
            b = first_b;
            e = first_e;
        } else {
            trim(p, n, &b, &e);
        }
        if (e > b) pick_spaced(p + b, e - b, out);
    }
    (void)tm_buf_cstr(out);
    tm_buf_free(&fixed);
}

static void note(const imp_map_rec *r, const char *key, const char *field, const char *msg)
{
    if (r->notes && r->notes->warn) r->notes->warn(r->notes->arg, key, field, msg);
}

/* A JSON string or number as text in *b; false for other values. */
static bool as_text(const json_t *v, tm_buf *b)
{
    tm_buf_reset(b);
    if (json_is_string(v)) {
        tm_buf_append(b, json_string_value(v), json_string_length(v));
    } else if (json_is_integer(v)) {
        tm_buf_printf(b, "%lld", (long long)json_integer_value(v));
    } else {
        return false;
    }
    (void)tm_buf_cstr(b);
    return true;
}

static bool all_zero(const char *s, size_t len)
{
    size_t b, e;
    trim(s, len, &b, &e);
    if (b == e) return false;
    for (size_t i = b; i < e; i++)
        if (s[i] != '0') return false;
    return true;
}

/* The lenient rules of one value (see the header). */
int imp_map_put_lenient(imp_map_rec *r, const char *target, const json_t *v, tm_err *err)
{
    tm_buf t = {0};
    int code = TM_OK;
    bool text = as_text(v, &t);

    if (json_is_string(v) && imp_norm_is_blank(tm_buf_cstr(&t))) goto out;
    if (json_is_array(v) && json_array_size(v) == 0) goto out;
    if (strcmp(target, "keywords") == 0 || strcmp(target, "inventors") == 0 ||
        strcmp(target, "licence") == 0) {
        if (json_is_string(v))
            json_object_set_new(r->obj, target,
                                split_cell(t.p, t.len, strcmp(target, "inventors") == 0));
        else
            json_object_set(r->obj, target, (json_t *)v);
    } else if (strcmp(target, "ipc") == 0) {
        if (json_is_string(v)) {
            idx_strv codes = {0};
            code = imp_norm_ipc(tm_buf_cstr(&t), &codes, err);
            if (code == TM_OK) {
                json_t *a = json_array();
                for (size_t i = 0; i < codes.n; i++)
                    json_array_append_new(a, json_string(codes.v[i]));
                json_object_set_new(r->obj, target, a);
            }
            idx_strv_clear(&codes);
        } else {
            json_object_set(r->obj, target, (json_t *)v);
        }
    } else if (strcmp(target, "applicants") == 0 ||
               (strcmp(target, "institution") == 0 && json_is_array(v))) {
        tm_buf joined = {0}, pick = {0};
        if (json_is_array(v)) {
            for (size_t i = 0; i < json_array_size(v); i++) {
                const json_t *e = json_array_get(v, i);
                if (!json_is_string(e)) continue;
                tm_buf_append(&joined, json_string_value(e), json_string_length(e));
                tm_buf_putc(&joined, '|');
            }
        } else if (text) {
            tm_buf_append(&joined, t.p, t.len);
        }
        if (json_is_array(v) || text) {
            imp_map_applicant(joined.p ? joined.p : "", joined.len, &pick);
            if (pick.len)
                json_object_set_new(r->obj, "institution", json_stringn(pick.p, pick.len));
        } else {
            json_object_set(r->obj, "institution", (json_t *)v);
        }
        tm_buf_free(&joined);
        tm_buf_free(&pick);
    } else if (strcmp(target, "status") == 0) {
        if (json_is_string(v))
            r->status = tm_xstrndup(t.p, t.len);
        else
            json_object_set(r->obj, target, (json_t *)v);
    } else if (strcmp(target, "field") == 0) {
        if (!json_is_string(v)) {
            json_object_set(r->obj, target, (json_t *)v);
            goto out;
        }
        size_t b, e;
        trim(t.p, t.len, &b, &e);
        char *val = tm_xstrndup(t.p + b, e - b);
        const char *f = imp_map_field_value(val);
        if (f) {
            json_object_set_new(r->obj, target, json_string(f));
        } else {
            if (!r->extra_kw) r->extra_kw = json_array();
            json_array_append_new(r->extra_kw, json_string(val));
            char msg[160];
            (void)snprintf(msg, sizeof msg, "\"%.60s\" is not a known field; kept as a keyword",
                           val);
            tm_buf key = {0};
            tm_buf_printf(&key, "field=%s", val);
            note(r, tm_buf_cstr(&key), "field", msg);
            tm_buf_free(&key);
        }
        free(val);
    } else if (strncmp(target, "patent_", 7) == 0) {
        if (!text) {
            if (!r->pat) r->pat = json_object();
            json_object_set(r->pat, target + 7, (json_t *)v);
            goto out;
        }
        bool number = strcmp(target, "patent_number") == 0 ||
                      strcmp(target, "patent_registration_number") == 0;
        if (number && all_zero(t.p, t.len)) goto out;
        if (!r->pat) r->pat = json_object();
        json_object_set_new(r->pat, target + 7, json_stringn(t.p, t.len));
    } else if (strcmp(target, "external_id") == 0 && json_is_integer(v)) {
        json_object_set_new(r->obj, target, json_stringn(t.p, t.len));
    } else {
        json_object_set(r->obj, target, (json_t *)v);
    }
out:
    tm_buf_free(&t);
    return code;
}

static bool in_ci(const char *const *list, const char *s)
{
    for (size_t i = 0; list[i]; i++)
        if (strcasecmp(list[i], s) == 0) return true;
    return false;
}

/* The status value: the listing's or the patent's (see the header). */
void imp_map_decide_status(imp_map_rec *r)
{
    static const char *const listing[] = {"available", "negotiating", "licensed", NULL};
    static const char *const patent[] = {
        "등록",    "공개",      "거절",     "취하",   "소멸",        "포기",
        "출원",    "심사중",    "무효",     "issued", "application", "registered",
        "filed",   "published", "rejected", "lapsed", "abandoned",   "expired",
        "granted", "pending",   "grant",    NULL};
    size_t b, e;
    trim(r->status, strlen(r->status), &b, &e);
    char *s = tm_xstrndup(r->status + b, e - b);
    bool has_patent = r->pat && (json_object_get(r->pat, "number") ||
                                 json_object_get(r->pat, "registration_number"));
    if (in_ci(listing, s) || (strcasecmp(s, "withdrawn") == 0 && !has_patent)) {
        json_object_set_new(r->obj, "status", json_string(s));
    } else {
        if (!in_ci(patent, s) && strcasecmp(s, "withdrawn") != 0) {
            char msg[192];
            (void)snprintf(msg, sizeof msg,
                           "\"%.40s\" is neither a listing status (available, negotiating, "
                           "licensed, withdrawn) nor a known patent status; kept as the patent's",
                           s);
            tm_buf key = {0};
            tm_buf_printf(&key, "status=%s", s);
            note(r, tm_buf_cstr(&key), "status", msg);
            tm_buf_free(&key);
        }
        if (!r->pat) r->pat = json_object();
        if (!json_object_get(r->pat, "status"))
            json_object_set_new(r->pat, "status", json_string(s));
    }
    free(s);
}

/* "한국어 제목(ENGLISH TITLE)" (see the header). */
void imp_map_split_title(json_t *obj)
{
    const json_t *tv = json_object_get(obj, "title");
    if (!json_is_string(tv)) return;
    const char *s = json_string_value(tv);
    size_t b, e;
    trim(s, json_string_length(tv), &b, &e);
    if (e - b < 4 || s[e - 1] != ')') return;
    size_t depth = 0, open = e;
    for (size_t i = e; i-- > b;) {
        if (s[i] == ')') depth++;
        if (s[i] == '(' && --depth == 0) {
            open = i;
            break;
        }
    }
    if (open == e || open == b) return;
    const char *in = s + open + 1;
    size_t inlen = e - 1 - (open + 1);
    size_t letters = 0;
    bool spaced = false;
    if (has_hangul(in, inlen)) return;
    for (size_t i = 0; i < inlen; i++) {
        letters += ascii_alpha(in[i]);
        spaced |= in[i] == ' ';
    }
    size_t pb, pe;
    trim(s + b, open - b, &pb, &pe);
    if (pe == pb || !has_hangul(s + b + pb, pe - pb)) return;
    const json_t *en = json_object_get(obj, "title_en");
    size_t ib, ie;
    trim(in, inlen, &ib, &ie);
    if (json_is_string(en)) {
        /* The tail repeats title_en (KIPRIS): any tail, even "(door)". */
        const char *x = json_string_value(en);
        size_t xb, xe;
        trim(x, json_string_length(en), &xb, &xe);
        if (ie == ib || xe - xb != ie - ib || strncasecmp(x + xb, in + ib, ie - ib) != 0) return;
    } else if (en && !json_is_null(en)) {
        return;
    } else {
        if (letters < 4 || !spaced) return;
        json_object_set_new(obj, "title_en", json_stringn(in + ib, ie - ib));
    }
    json_object_set_new(obj, "title", json_stringn(s + b + pb, pe - pb));
}
