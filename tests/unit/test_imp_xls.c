/* Tests of import/imp_xls (with imp_cfb and imp_xlsfmt): the .xls row reader.
 *
 * tests/data/small*.xls, encrypted.xls, biff5.xls and difat.xls are written
 * by tests/data/make_xls.py (BIFF8 by hand: Korean text, RK, MULRK, NUMBER,
 * LABEL, formulas with cached results, booleans, errors, date formats, an
 * SST split by CONTINUE, empty strings, rich text). The real files come from
 * ../shared/data/raw/ (TM_SHARED_DATA overrides ../shared/data); the NTIS
 * workbook is checked against ../shared/data/clean/, which python xlrd made
 * from it. Crafted damage is patched into copies in memory. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../common/tm_utf8.h"
#include "../../import/imp_cfb.h"
#include "../../import/imp_xls.h"
#include "../tm_test.h"

#define DATA "tests/data/"
#define NTIS "ntis_rnd_patent_outcomes_2013.xls"
#define NTIS_CLEAN "kr_ntis_rnd_patents_2013.jsonl"

static const char *shared(const char *dir, const char *name)
{
    static char path[512];
    const char *env = getenv("TM_SHARED_DATA");
    (void)snprintf(path, sizeof path, "%s/%s/%s", env ? env : "../shared/data", dir, name);
    return path;
}

/* The whole file at path (free() it); *n its size. */
static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    *n = 0;
    CHECK(f != NULL);
    if (!f) return calloc(1, 1);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    rewind(f);
    unsigned char *p = malloc(size > 0 ? (size_t)size : 1);
    *n = fread(p, 1, size > 0 ? (size_t)size : 0, f);
    CHECK(*n == (size_t)size);
    fclose(f);
    return p;
}

static void put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> 8 * i);
}

/* Opens p[0..n), which must fail; returns the code, *err the reason. */
static int mem_fails(const void *p, size_t n, tm_err *err)
{
    imp_xls *x = (imp_xls *)1;
    int rc = imp_xls_open_mem(p, n, NULL, NULL, &x, err);
    CHECK(rc != TM_OK);
    CHECK(x == NULL);
    if (rc == TM_OK) imp_xls_free(x);
    CHECK(rc != TM_OK || strcmp(err->field, "file") == 0);
    CHECK(err->msg[0] != '\0' && tm_utf8_valid(err->msg, strlen(err->msg)));
    return rc;
}

static int path_fails(const char *path, tm_err *err)
{
    imp_xls *x = (imp_xls *)1;
    int rc = imp_xls_open(path, NULL, NULL, &x, err);
    CHECK(rc != TM_OK);
    CHECK(x == NULL);
    if (rc == TM_OK) imp_xls_free(x);
    return rc;
}

static void check_row(imp_xls *x, size_t line, const char *const *want, size_t n)
{
    tm_err err = {0};
    CHECK(imp_xls_next(x, &err) == IMP_XLS_ROW);
    CHECK(imp_xls_line(x) == line);
    CHECK(imp_xls_nfields(x) == n);
    for (size_t i = 0; i < n && i < imp_xls_nfields(x); i++) {
        tm_str s = imp_xls_field(x, i);
        CHECK(s.p[s.len] == '\0' && strlen(s.p) == s.len);
        CHECK_STR(s.p, want[i]);
    }
}

/* The rows make_xls.py writes, with dates in the 1900 (or 1904) system. */
static void check_small(imp_xls *x, const char *date, const char *datetime)
{
    static const char *const r1[] = {"성과연도", "기술명", "출원번호", "값", "날짜"};
    const char *const r2[] = {"2013", "의료용 영상 장치", "1020190012345", "0.1", date};
    const char *const r3[] = {"-7", "Ünïcode ✓", "10-2013-0061895", "1.5e+300", datetime};
    static const char *const r5[] = {"3.25", "", "", "18:00:00", ""};
    static const char *const r6[] = {"42", "합계", "TRUE", "123.45", "7"};
    static const char *const r7[] = {"라벨", "", "", "", ""};
    static const char *const r9[] = {"", "리치", "#DIV/0!", "", "#N/A"};
    tm_err err = {0};
    check_row(x, 1, r1, 5);
    check_row(x, 2, r2, 5);
    check_row(x, 3, r3, 5);
    check_row(x, 5, r5, 5); /* row 4 is empty: skipped; trailing empty cells kept */
    check_row(x, 6, r6, 5);
    check_row(x, 7, r7, 5);
    check_row(x, 9, r9, 5); /* row 8 holds only an empty string and a blank */
    CHECK(imp_xls_next(x, &err) == IMP_XLS_END);
    CHECK(imp_xls_next(x, &err) == IMP_XLS_END);
    CHECK(imp_xls_field(x, 99).len == 0);
}

TM_TEST(small_workbook_reads_text_numbers_dates_formulas_row_by_row)
{
    imp_xls *x = NULL;
    tm_err err = {0};
    CHECK(imp_xls_open(DATA "small.xls", NULL, NULL, &x, &err) == TM_OK);
    if (!x) return;
    CHECK(imp_xls_nfields(x) == 5);
    CHECK(imp_xls_field(x, 0).len == 0); /* no row read yet */
    check_small(x, "2019-01-23", "2019-01-23T12:00:00");
    imp_xls_free(x);
    imp_xls_free(NULL);
}

TM_TEST(mini_stream_difat_and_1904_workbooks_read)
{
    imp_xls *x = NULL;
    tm_err err = {0};
    CHECK(imp_xls_open(DATA "small_mini.xls", NULL, NULL, &x, &err) == TM_OK);
    if (x) check_small(x, "2019-01-23", "2019-01-23T12:00:00");
    imp_xls_free(x);
    x = NULL;
    CHECK(imp_xls_open(DATA "difat.xls", NULL, NULL, &x, &err) == TM_OK);
    if (x) check_small(x, "2019-01-23", "2019-01-23T12:00:00");
    imp_xls_free(x);
    x = NULL;
    /* Serial 43488 is 1462 days later in the 1904 system. */
    CHECK(imp_xls_open(DATA "small_1904.xls", NULL, NULL, &x, &err) == TM_OK);
    if (x) check_small(x, "2023-01-24", "2023-01-24T12:00:00");
    imp_xls_free(x);
}

TM_TEST(sheet_is_chosen_by_name)
{
    imp_xls *x = NULL;
    tm_err err = {0};
    CHECK(imp_xls_open(DATA "small.xls", "국가연구개발성과", NULL, &x, &err) == TM_OK);
    CHECK(x != NULL);
    imp_xls_free(x);
    x = (imp_xls *)1;
    CHECK(imp_xls_open(DATA "small.xls", "Sheet9", NULL, &x, &err) == TM_EINVAL);
    CHECK(x == NULL);
    CHECK(strstr(err.msg, "no worksheet named \"Sheet9\"") != NULL);
}

TM_TEST(rows_over_the_limits_are_bad_and_reading_goes_on)
{
    imp_xls_limits lim = {8, 3}; /* "성과연도" is 12 bytes; 5 columns */
    imp_xls *x = NULL;
    tm_err err = {0};
    CHECK(imp_xls_open(DATA "small.xls", NULL, &lim, &x, &err) == TM_OK);
    if (!x) return;
    CHECK(imp_xls_nfields(x) == 3);
    CHECK(imp_xls_next(x, &err) == IMP_XLS_BAD);
    CHECK(imp_xls_line(x) == 1 && imp_xls_bad_column(x) == 0);
    CHECK(strstr(err.msg, "cell A1 is longer than 8 bytes") != NULL);
    CHECK(imp_xls_next(x, &err) == IMP_XLS_BAD); /* "의료용 영상 장치" in B2 */
    CHECK(imp_xls_line(x) == 2 && imp_xls_bad_column(x) == 1);
    imp_xls_free(x);

    lim = (imp_xls_limits){64, 3};
    CHECK(imp_xls_open(DATA "small.xls", NULL, &lim, &x, &err) == TM_OK);
    if (!x) return;
    static const char *const r7[] = {"라벨", "", ""};
    for (size_t line = 1; line <= 6; line += 1 + (line == 3)) {
        CHECK(imp_xls_next(x, &err) == IMP_XLS_BAD);
        CHECK(imp_xls_line(x) == line);
        CHECK(strstr(err.msg, "more than 3 columns") != NULL);
    }
    check_row(x, 7, r7, 3); /* only blanks past column C */
    CHECK(imp_xls_next(x, &err) == IMP_XLS_BAD);
    CHECK(imp_xls_line(x) == 9 && strstr(err.msg, "cell E9") != NULL);
    CHECK(imp_xls_next(x, &err) == IMP_XLS_END);
    imp_xls_free(x);
}

/* Collapses runs of spaces, as the cleaner did, and trims. */
static void squeeze(const char *s, char *out, size_t cap)
{
    size_t k = 0;
    for (; *s && k + 1 < cap; s++)
        if (*s != ' ' || (k > 0 && out[k - 1] != ' ')) out[k++] = *s;
    while (k > 0 && out[k - 1] == ' ')
        k--;
    out[k] = '\0';
}

/* The NTIS export: all 2,576 records of the cleaned file, whose text came
 * from this workbook through xlrd, are rows here, cell for cell. */
TM_TEST(ntis_workbook_reads_every_row_as_xlrd_did)
{
    static const char *const head[] = {"성과연도", "성과고유번호", "성과구분", "성과명",
                                       "전담기관 등록(기탁)번호"};
    imp_xls *x = NULL;
    tm_err err = {0};
    CHECK(imp_xls_open(shared("raw", NTIS), NULL, NULL, &x, &err) == TM_OK);
    if (!x) return;
    CHECK(imp_xls_nfields(x) == 19);
    CHECK(imp_xls_next(x, &err) == IMP_XLS_ROW && imp_xls_line(x) == 1);
    for (size_t i = 0; i < 5; i++)
        CHECK_STR(imp_xls_field(x, i).p, head[i]);
    CHECK_STR(imp_xls_field(x, 13).p, "과제고유번호");
    CHECK_STR(imp_xls_field(x, 18).p, "과학기술표준분류");

    /* Rows: id, year, title, number, project id. */
    size_t nrows = 0, cap = 4096;
    char **rows = calloc(cap * 5, sizeof *rows);
    imp_xls_kind k;
    while ((k = imp_xls_next(x, &err)) == IMP_XLS_ROW && nrows < cap) {
        static const size_t cols[] = {1, 0, 3, 4, 13};
        CHECK(imp_xls_line(x) == nrows + 2);
        for (size_t i = 0; i < 5; i++)
            rows[nrows * 5 + i] = strdup(imp_xls_field(x, cols[i]).p);
        nrows++;
    }
    CHECK(k == IMP_XLS_END);
    CHECK(nrows == 2576);
    CHECK_STR(rows[0], "PTO-2013-0025654097");
    CHECK_STR(rows[2],
              "광활성 메티오닌 모사체 표지 단백질 생합성을 위한 메티오닐 tRNA 합성효소 변이체");
    CHECK_STR(rows[1], "2013"); /* not 2013.0 */
    imp_xls_free(x);

    FILE *f = fopen(shared("clean", NTIS_CLEAN), "r");
    CHECK(f != NULL);
    char line[65536], a[4096], b[4096];
    size_t nrec = 0, matched = 0;
    while (f && fgets(line, sizeof line, f)) {
        json_t *o = json_loads(line, 0, NULL);
        CHECK(o != NULL);
        const char *id = json_string_value(json_object_get(o, "outcome_id"));
        nrec++;
        for (size_t r = 0; id && r < nrows; r++) {
            if (strcmp(rows[r * 5], id) != 0) continue;
            char year[16];
            (void)snprintf(year, sizeof year, "%lld",
                           (long long)json_integer_value(json_object_get(o, "year")));
            CHECK_STR(rows[r * 5 + 1], year);
            squeeze(rows[r * 5 + 2], a, sizeof a);
            squeeze(json_string_value(json_object_get(o, "title")), b, sizeof b);
            CHECK_STR(a, b);
            CHECK_STR(rows[r * 5 + 3], json_string_value(json_object_get(o, "number_raw")));
            CHECK_STR(rows[r * 5 + 4], json_string_value(json_object_get(o, "project_id")));
            matched++;
            break;
        }
        json_decref(o);
    }
    if (f) fclose(f);
    CHECK(nrec == 2576 && matched == nrec);
    for (size_t i = 0; i < nrows * 5; i++)
        free(rows[i]);
    free(rows);
}

TM_TEST(truncated_workbooks_fail_with_a_clear_message)
{
    size_t n, cuts[] = {4, 600, 1500, 3000, 5000};
    tm_err err = {0};
    unsigned char *p = slurp(DATA "small.xls", &n);
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        CHECK(mem_fails(p, cuts[i], &err) == TM_EINVAL);
        if (cuts[i] >= 600) CHECK(strstr(err.msg, "truncated") != NULL);
    }
    free(p);
    p = slurp(shared("raw", NTIS), &n);
    CHECK(n > 500000);
    CHECK(mem_fails(p, 500000, &err) == TM_EINVAL);
    CHECK(strstr(err.msg, "truncated") != NULL);
    free(p);
}

TM_TEST(xlsx_encrypted_and_biff5_files_are_refused_with_advice)
{
    tm_err err = {0};
    CHECK(path_fails(shared("raw", "nasa_patents.xlsx"), &err) == TM_EINVAL);
    CHECK(strstr(err.msg, ".xlsx is not supported") != NULL);
    CHECK(strstr(err.msg, "save it as .xls (Excel 97-2003) or CSV") != NULL);
    CHECK(path_fails(DATA "encrypted.xls", &err) == TM_EINVAL);
    CHECK(strstr(err.msg, "password-protected") != NULL);
    CHECK(path_fails(DATA "biff5.xls", &err) == TM_EINVAL);
    CHECK(strstr(err.msg, "Excel 95") != NULL);
}

TM_TEST(empty_missing_csv_and_random_files_fail)
{
    tm_err err = {0};
    CHECK(mem_fails("", 0, &err) == TM_EINVAL);
    CHECK(strstr(err.msg, "the file is empty") != NULL);

    unsigned char junk[4096];
    uint32_t s = 12345;
    for (size_t i = 0; i < sizeof junk; i++) {
        s = s * 1103515245u + 12345u;
        junk[i] = (unsigned char)(s >> 16);
    }
    CHECK(mem_fails(junk, sizeof junk, &err) == TM_EINVAL);
    CHECK(strstr(err.msg, "not an Excel 97-2003 .xls file") != NULL);
    /* Random bytes behind a valid signature. */
    memcpy(junk, IMP_CFB_MAGIC, 8);
    CHECK(mem_fails(junk, sizeof junk, &err) == TM_EINVAL);
    CHECK(strstr(err.msg, "damaged .xls file") != NULL);

    static const char html[] = "\xEF\xBB\xBF <html><table><tr><td>1</td></tr></table>";
    CHECK(mem_fails(html, sizeof html - 1, &err) == TM_EINVAL);
    CHECK(strstr(err.msg, "web page (HTML or XML)") != NULL);

    CHECK(mem_fails("title,year\nx,2013\n", 18, &err) == TM_EINVAL);
    CHECK(strstr(err.msg, "not an Excel 97-2003 .xls file") != NULL);

    CHECK(path_fails("/nonexistent/x.xls", &err) == TM_EINVAL);
    CHECK_STR(err.msg, "cannot open file");
}

/* small.xls: header, FAT in sector 0 (file offset 512), the Workbook stream
 * from sector 1 on, in order. */
TM_TEST(crafted_containers_fail_cleanly)
{
    size_t n;
    tm_err err = {0};
    unsigned char *p = slurp(DATA "small.xls", &n), *q = malloc(n);
    CHECK(n == 6144);

    memcpy(q, p, n);
    put32(q + 512 + 4 * 2, 1); /* sector 2 links back to 1 */
    CHECK(mem_fails(q, n, &err) == TM_EINVAL);
    CHECK(strstr(err.msg, "loops") != NULL);

    memcpy(q, p, n);
    put32(q + 512 + 4 * 1, 0x00ABCDEF); /* sector 1 links out of the file */
    CHECK(mem_fails(q, n, &err) == TM_EINVAL);
    CHECK(strstr(err.msg, "out of range") != NULL);

    memcpy(q, p, n);
    put32(q + 48, 0x7FFFFFF0); /* the directory's first sector */
    CHECK(mem_fails(q, n, &err) == TM_EINVAL);
    CHECK(strstr(err.msg, "out of range") != NULL);

    memcpy(q, p, n);
    put32(q + 76, 4000); /* the first FAT sector, past the end */
    CHECK(mem_fails(q, n, &err) == TM_EINVAL);
    CHECK(strstr(err.msg, "FAT sector") != NULL && strstr(err.msg, "is out of range") != NULL);

    memcpy(q, p, n);
    put32(q + 44, 1000000); /* FAT sector count */
    CHECK(mem_fails(q, n, &err) == TM_EINVAL);

    /* The root's child is the root: a directory loop. */
    memcpy(q, p, n);
    put32(q + n - 512 + 76, 0);
    CHECK(mem_fails(q, n, &err) == TM_EINVAL);
    CHECK(strstr(err.msg, "directory tree is broken") != NULL);

    /* A stream larger than the file. */
    memcpy(q, p, n);
    put32(q + n - 512 + 128 + 120, 0x7FFFFFFF);
    CHECK(mem_fails(q, n, &err) == TM_EINVAL);

    /* A LABELSST cell pointing past the shared strings. */
    memcpy(q, p, n);
    unsigned char *r = memmem(q, n, "\xFD\x00\x0A\x00", 4);
    CHECK(r != NULL);
    if (r) put32(r + 4 + 6, 0xFFFF);
    CHECK(mem_fails(q, n, &err) == TM_EINVAL);
    CHECK(strstr(err.msg, "shared string 65535 of 10") != NULL);
    free(q);
    free(p);

    /* The mini FAT (sector 1) links mini sector 1 back to 0. */
    p = slurp(DATA "small_mini.xls", &n);
    put32(p + 1024 + 4, 0);
    CHECK(mem_fails(p, n, &err) == TM_EINVAL);
    CHECK(strstr(err.msg, "loops") != NULL);
    free(p);

    /* difat.xls: 110 FAT sectors, the last listed in a DIFAT sector. */
    p = slurp(DATA "difat.xls", &n);
    q = malloc(n);
    memcpy(q, p, n);
    put32(q + 72, 0); /* no DIFAT sectors, yet 110 FAT sectors */
    CHECK(mem_fails(q, n, &err) == TM_EINVAL);
    CHECK(strstr(err.msg, "DIFAT chain is broken") != NULL);
    memcpy(q, p, n);
    put32(q + 512 + 512 * 110, 0x00FFFFFF); /* the DIFAT's first slot */
    CHECK(mem_fails(q, n, &err) == TM_EINVAL);
    CHECK(strstr(err.msg, "FAT sector") != NULL && strstr(err.msg, "is out of range") != NULL);
    free(q);
    free(p);
}

TM_TEST_MAIN()
