#include "imp_map.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../common/tm_alloc.h"
#include "../index/idx_enum.h"
#include "imp_norm.h"

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

typedef struct syn {
    const char *name; /* normalised */
    const char *target;
} syn;

/* Header names of real files (data/README.md) and their usual variants,
 * normalised (lower case, no spaces, '_' or '-'). */
/* clang-format off */
static const syn synonyms[] = {
    {"기술명", "title"}, {"발명의명칭", "title"}, {"특허명", "title"}, {"성과명", "title"}, {"명칭", "title"},
    {"제목", "title"}, {"기술제목", "title"}, {"발명명칭", "title"}, {"inventiontitle", "title"},
    {"영문명", "title_en"}, {"발명의명칭(영문)", "title_en"}, {"영문제목", "title_en"}, {"영문기술명", "title_en"},
    {"성과명(영문)", "title_en"}, {"저널명or성과명(영문)등", "title_en"}, {"englishtitle", "title_en"},
    {"titleen", "title_en"},
    {"요약", "summary"}, {"초록", "summary"}, {"기술요약", "summary"}, {"설명", "summary"},
    {"초록(국문)", "summary"}, {"요약문", "summary"}, {"기술개요", "summary"}, {"abstract", "summary"},
    {"summary", "summary"},
    {"초록(영문)", "description"}, {"상세설명", "description"}, {"청구항", "description"},
    {"claims", "description"},
    {"키워드", "keywords"}, {"주요키워드", "keywords"}, {"keyword", "keywords"},
    {"기술분야", "field"}, {"분야", "field"}, {"기술분류", "field"}, {"과학기술표준분류", "field"},
    {"ipc", "ipc"}, {"ipc분류", "ipc"}, {"ipc넘버", "ipc"}, {"ipc코드", "ipc"}, {"ipccode", "ipc"},
    {"ipcor등록기관등", "ipc"},
    {"발명자", "inventors"}, {"발명가", "inventors"}, {"발명자명", "inventors"},
    {"inventor", "inventors"},
    {"기관명", "institution"}, {"보유기관", "institution"}, {"기관", "institution"},
    {"소유기관", "institution"}, {"center", "institution"},
    {"출원인", "applicants"}, {"출원인명", "applicants"}, {"특허권자", "applicants"},
    {"권리자", "applicants"}, {"applicant", "applicants"}, {"applicants", "applicants"},
    {"assignee", "applicants"}, {"저자or저작자등", "applicants"}, {"applicantsraw", "applicants"},
    {"출원번호", "patent_number"}, {"applicationnumber", "patent_number"},
    {"applicationno", "patent_number"}, {"applicationsn", "patent_number"},
    {"전담기관등록(기탁)번호", "patent_number"},
    {"출원일", "patent_filed"}, {"출원일자", "patent_filed"}, {"출원날짜", "patent_filed"},
    {"applicationdate", "patent_filed"}, {"filingdate", "patent_filed"},
    {"등록번호", "patent_registration_number"}, {"특허번호", "patent_registration_number"},
    {"registrationnumber", "patent_registration_number"},
    {"patentnumber", "patent_registration_number"},
    {"등록일", "patent_registered"}, {"등록일자", "patent_registered"}, {"등록날짜", "patent_registered"},
    {"registrationdate", "patent_registered"}, {"issuedate", "patent_registered"},
    {"상태", "status"},
    {"특허상태", "patent_status"}, {"법적상태", "patent_status"}, {"patentstatus", "patent_status"},
    {"legalstatus", "patent_status"},
    {"국내외구분", "patent_country"}, {"국내외구분or제조사등", "patent_country"}, {"국가", "patent_country"},
    {"출원국", "patent_country"}, {"country", "patent_country"},
    {"kind", "patent_kind"}, {"권리구분", "patent_kind"}, {"특허종류", "patent_kind"},
    {"id", "external_id"}, {"성과고유번호", "external_id"}, {"casenumber", "external_id"},
    {"관리번호", "external_id"}, {"기술번호", "external_id"},
    {"기술성숙도", "trl"},
    {"license", "licence"}, {"라이선스", "licence"}, {"이전유형", "licence"}, {"기술이전유형", "licence"},
    {"희망가격", "asking"}, {"기술료", "asking"},
    {"담당자", "contact"}, {"연락처", "contact"}, {"문의처", "contact"},
};
/* clang-format on */

/* Known columns dropped on purpose (reported once per file as ignored). */
/* clang-format off */
static const char *const ignored[] = {
    "대표도면", "대리인", "공개번호", "공개일자", "공개일", "성과연도", "성과구분", "과제고유번호", "부처명", "과제수행기관", "연구수행주체",
    "6t분류", "유발과제명", "연구개발단계", "정부연구비", "총연구비", "당해연구시작일", "당해연구종료일", "피인용특허수", "키워드(영문)",
    "patentexpirationdate", "expirationdate", "expirationdateraw", "source", "agent",
    "publicationnumber", "publicationdate", "statusko", "institutiontype", "performinginstitution",
    "projecttitle", "projectid", "ministry", "year", "rndstage", "govfundingkrw", "totalfundingkrw",
    "citedbypatents", "numberraw", "outcomeid", "field6t", NULL};
/* clang-format on */

static bool in_list(const char *const *list, const char *s)
{
    for (size_t i = 0; list[i]; i++)
        if (strcmp(list[i], s) == 0) return true;
    return false;
}

static bool ascii_upper(char c)
{
    return c >= 'A' && c <= 'Z';
}

static bool ascii_alpha(char c)
{
    return ascii_upper(c) || (c >= 'a' && c <= 'z');
}

static bool space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
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

static void trim(const char *s, size_t len, size_t *b, size_t *e);

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
    if (!m || m->n == 0)
        for (size_t i = 0; canon_keys[i]; i++)
            if (strlen(canon_keys[i]) == len && memcmp(canon_keys[i], name, len) == 0)
                return canon_keys[i];
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
    for (size_t i = 0; !t && i < sizeof synonyms / sizeof synonyms[0]; i++)
        if (strcmp(synonyms[i].name, n) == 0) t = synonyms[i].target;
    if (!t && n[0] && in_list(ignored, n)) t = "ignore";
    tm_buf_free(&nb);
    return t;
}

/* ---- values ---- */

/* s[0..len) trimmed in *b, *e. */
static void trim(const char *s, size_t len, size_t *b, size_t *e)
{
    *b = 0;
    *e = len;
    while (*b < *e && space(s[*b]))
        (*b)++;
    while (*e > *b && space(s[*e - 1]))
        (*e)--;
}

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

/* A space-joined list (KIPRIS "인천대학교 산학협력단 에이치씨테크(주)"): the
 * "<X대학교> 산학협력단" in it, else its first word naming a university or
 * institute, else its first word when every word is a Korean personal name
 * (2-4 syllables), else all of it. */
static void pick_spaced(const char *p, size_t n, tm_buf *out)
{
    static const char *const ends[] = {"대학교", "대학", "연구원", "연구소", "기술원", NULL};
    static const char coop[] = "산학협력단";
    size_t words = 0, names = 0;
    size_t first_b = 0, first_e = 0;
    for (size_t i = 0; i < n;) {
        while (i < n && p[i] == ' ')
            i++;
        size_t j = i;
        while (j < n && p[j] != ' ')
            j++;
        if (j == i) break;
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
        i = j;
    }
    for (size_t i = 0; i < n;) {
        while (i < n && p[i] == ' ')
            i++;
        size_t j = i;
        while (j < n && p[j] != ' ')
            j++;
        for (size_t e = 0; ends[e]; e++) {
            size_t m = strlen(ends[e]);
            if (j - i > m && memcmp(p + j - m, ends[e], m) == 0) {
                tm_buf_append(out, p + i, j - i);
                return;
            }
        }
        i = j;
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

typedef struct field_word {
    const char *word;
    int field;
} field_word;

const char *imp_map_field_value(const char *s)
{
    /* In order: the first row whose word the value contains decides. */
    /* clang-format off */
    static const field_word words[] = {
        {"의료", IDX_FIELD_BIO_MEDICAL}, {"의학", IDX_FIELD_BIO_MEDICAL},
        {"의생명", IDX_FIELD_BIO_MEDICAL}, {"생명", IDX_FIELD_BIO_MEDICAL},
        {"생물", IDX_FIELD_BIO_MEDICAL}, {"바이오", IDX_FIELD_BIO_MEDICAL},
        {"의약", IDX_FIELD_BIO_MEDICAL}, {"약학", IDX_FIELD_BIO_MEDICAL}, {"유전", IDX_FIELD_BIO_MEDICAL},
        {"세포", IDX_FIELD_BIO_MEDICAL}, {"보건", IDX_FIELD_BIO_MEDICAL}, {"진단", IDX_FIELD_BIO_MEDICAL},
        {"치료", IDX_FIELD_BIO_MEDICAL}, {"임상", IDX_FIELD_BIO_MEDICAL}, {"신약", IDX_FIELD_BIO_MEDICAL},
        {"생화학", IDX_FIELD_BIO_MEDICAL}, {"신호전달", IDX_FIELD_BIO_MEDICAL},
        {"대사", IDX_FIELD_BIO_MEDICAL}, {"면역", IDX_FIELD_BIO_MEDICAL}, {"신경", IDX_FIELD_BIO_MEDICAL},
        {"생리", IDX_FIELD_BIO_MEDICAL}, {"재활", IDX_FIELD_BIO_MEDICAL},
        {"식품", IDX_FIELD_AGRI_FOOD}, {"식량", IDX_FIELD_AGRI_FOOD}, {"농", IDX_FIELD_AGRI_FOOD},
        {"작물", IDX_FIELD_AGRI_FOOD}, {"수산", IDX_FIELD_AGRI_FOOD}, {"축산", IDX_FIELD_AGRI_FOOD},
        {"임업", IDX_FIELD_AGRI_FOOD},
        {"정보", IDX_FIELD_ICT}, {"통신", IDX_FIELD_ICT}, {"소프트웨어", IDX_FIELD_ICT},
        {"컴퓨", IDX_FIELD_ICT}, {"네트워크", IDX_FIELD_ICT}, {"방송", IDX_FIELD_ICT},
        {"보안", IDX_FIELD_ICT}, {"인공지능", IDX_FIELD_ICT}, {"통합망", IDX_FIELD_ICT},
        {"RFID", IDX_FIELD_ICT}, {"U-", IDX_FIELD_ICT},
        {"전자", IDX_FIELD_ELECTRONICS}, {"전기", IDX_FIELD_ELECTRONICS},
        {"반도체", IDX_FIELD_ELECTRONICS}, {"디스플레이", IDX_FIELD_ELECTRONICS},
        {"소자", IDX_FIELD_ELECTRONICS}, {"SoC", IDX_FIELD_ELECTRONICS},
        {"광학", IDX_FIELD_ELECTRONICS}, {"센서", IDX_FIELD_ELECTRONICS},
        {"에너지", IDX_FIELD_ENERGY}, {"태양", IDX_FIELD_ENERGY}, {"전지", IDX_FIELD_ENERGY},
        {"연료", IDX_FIELD_ENERGY}, {"원자력", IDX_FIELD_ENERGY}, {"핵", IDX_FIELD_ENERGY},
        {"발전", IDX_FIELD_ENERGY}, {"자원", IDX_FIELD_ENERGY},
        {"기계", IDX_FIELD_MECHANICAL}, {"로봇", IDX_FIELD_MECHANICAL}, {"자동차", IDX_FIELD_MECHANICAL},
        {"철도", IDX_FIELD_MECHANICAL}, {"조선", IDX_FIELD_MECHANICAL}, {"항공", IDX_FIELD_MECHANICAL},
        {"우주", IDX_FIELD_MECHANICAL}, {"위성", IDX_FIELD_MECHANICAL},
        {"재료", IDX_FIELD_MATERIALS}, {"소재", IDX_FIELD_MATERIALS}, {"금속", IDX_FIELD_MATERIALS},
        {"세라믹", IDX_FIELD_MATERIALS}, {"고분자", IDX_FIELD_MATERIALS}, {"나노", IDX_FIELD_MATERIALS},
        {"결정", IDX_FIELD_MATERIALS},
        {"화학", IDX_FIELD_CHEMICAL}, {"화공", IDX_FIELD_CHEMICAL}, {"촉매", IDX_FIELD_CHEMICAL},
        {"분리", IDX_FIELD_CHEMICAL}, {"공정", IDX_FIELD_CHEMICAL},
        {"섬유", IDX_FIELD_MATERIALS}, {"의류", IDX_FIELD_MATERIALS},
        {"방사선", IDX_FIELD_ENERGY},
        {"광응용", IDX_FIELD_ELECTRONICS},
        {"환경", IDX_FIELD_ENVIRONMENT}, {"물관리", IDX_FIELD_ENVIRONMENT},
        {"수질", IDX_FIELD_ENVIRONMENT}, {"정수", IDX_FIELD_ENVIRONMENT},
        {"폐기물", IDX_FIELD_ENVIRONMENT}, {"대기", IDX_FIELD_ENVIRONMENT},
        {"기후", IDX_FIELD_ENVIRONMENT}, {"지구", IDX_FIELD_ENVIRONMENT}, {"지질", IDX_FIELD_ENVIRONMENT},
        {"산사태", IDX_FIELD_ENVIRONMENT}, {"해양", IDX_FIELD_ENVIRONMENT},
        {"건설", IDX_FIELD_CONSTRUCTION}, {"건축", IDX_FIELD_CONSTRUCTION},
        {"토목", IDX_FIELD_CONSTRUCTION}, {"시설물", IDX_FIELD_CONSTRUCTION},
        {"교통", IDX_FIELD_CONSTRUCTION}, {"도시", IDX_FIELD_CONSTRUCTION},
    };
    /* clang-format on */
    /* English words, ASCII case ignored, also by containment. */
    static const field_word en[] = {
        {"biomedical", IDX_FIELD_BIO_MEDICAL},
        {"medic", IDX_FIELD_BIO_MEDICAL},
        {"pharma", IDX_FIELD_BIO_MEDICAL},
        {"biotech", IDX_FIELD_BIO_MEDICAL},
        {"health", IDX_FIELD_BIO_MEDICAL},
        {"food", IDX_FIELD_AGRI_FOOD},
        {"agricult", IDX_FIELD_AGRI_FOOD},
        {"software", IDX_FIELD_ICT},
        {"information", IDX_FIELD_ICT},
        {"communication", IDX_FIELD_ICT},
        {"computer", IDX_FIELD_ICT},
        {"electronic", IDX_FIELD_ELECTRONICS},
        {"semiconductor", IDX_FIELD_ELECTRONICS},
        {"energy", IDX_FIELD_ENERGY},
        {"mechanic", IDX_FIELD_MECHANICAL},
        {"robot", IDX_FIELD_MECHANICAL},
        {"material", IDX_FIELD_MATERIALS},
        {"chemi", IDX_FIELD_CHEMICAL},
        {"environment", IDX_FIELD_ENVIRONMENT},
        {"construction", IDX_FIELD_CONSTRUCTION},
    };
    size_t n = strlen(s);
    tm_buf low = {0};
    const char *hit = NULL;
    for (size_t i = 0; i < n; i++)
        tm_buf_putc(&low, ascii_upper(s[i]) ? (char)(s[i] - 'A' + 'a') : s[i]);
    const char *l = tm_buf_cstr(&low);
    int canon = idx_field_parse(l);
    if (canon >= 0) hit = idx_field_name(canon);
    if (!hit && (strcmp(l, "it") == 0 || strcmp(l, "ict") == 0 || strcmp(l, "bt") == 0))
        hit = idx_field_name(l[0] == 'b' ? IDX_FIELD_BIO_MEDICAL : IDX_FIELD_ICT);
    for (size_t i = 0; !hit && i < sizeof words / sizeof words[0]; i++)
        if (strstr(s, words[i].word)) hit = idx_field_name(words[i].field);
    for (size_t i = 0; !hit && i < sizeof en / sizeof en[0]; i++)
        if (strstr(l, en[i].word)) hit = idx_field_name(en[i].field);
    tm_buf_free(&low);
    return hit;
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

static void note(const imp_map_rec *r, const char *key, const char *field, const char *msg)
{
    if (r->notes && r->notes->warn) r->notes->warn(r->notes->arg, key, field, msg);
}

bool imp_map_rec_has(const imp_map_rec *r, const char *target)
{
    if (strncmp(target, "patent_", 7) == 0)
        return r->pat && json_object_get(r->pat, target + 7) != NULL;
    if (strcmp(target, "status") == 0 && r->status) return true;
    if (strcmp(target, "applicants") == 0) target = "institution";
    return json_object_get(r->obj, target) != NULL;
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
static int put_lenient(imp_map_rec *r, const char *target, const json_t *v, tm_err *err)
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
    if (r->lenient) return put_lenient(r, target, v, err);
    if (strncmp(target, "patent_", 7) == 0) {
        if (!r->pat) r->pat = json_object();
        json_object_set(r->pat, target + 7, (json_t *)v);
    } else {
        json_object_set(r->obj, target, (json_t *)v);
    }
    return TM_OK;
}

static bool in_ci(const char *const *list, const char *s)
{
    for (size_t i = 0; list[i]; i++)
        if (strcasecmp(list[i], s) == 0) return true;
    return false;
}

/* The status value: the listing's or the patent's (see the header). */
static void decide_status(imp_map_rec *r)
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
static void split_title(json_t *obj)
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

int imp_map_rec_finish(imp_map_rec *r, json_t **out, tm_err *err)
{
    int code = TM_OK;
    *out = NULL;
    if (r->status) decide_status(r);
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
    if (r->lenient) split_title(r->obj);
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
    json_t *v;
    bool mapped = false;
    tm_buf ign = {0};
    imp_map_rec r;
    int code = TM_OK;

    *out = NULL;
    if (!json_is_object(in)) {
        *out = json_incref((json_t *)in);
        return TM_OK;
    }
    json_object_foreach((json_t *)in, key, v)
    {
        const char *t = imp_map_target(m, key, strlen(key));
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
