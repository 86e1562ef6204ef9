/* imp_norm: dates, KIPO numbers, IPC codes and blank markers of real
 * spreadsheets (the forms come from ../shared/data/raw). */
#include <stdio.h>
#include <string.h>

#include "../../import/imp_norm.h"
#include "../tm_test.h"

/* The normalised date, or "ERR: message". */
static const char *date(const char *in)
{
    static char out[256];
    char d[11];
    tm_err err = {0};
    if (imp_norm_date(in, d, &err) != TM_OK) {
        CHECK(err.code == TM_EINVAL && d[0] == '\0');
        (void)snprintf(out, sizeof out, "ERR: %s", err.msg);
    } else {
        (void)snprintf(out, sizeof out, "%s", d);
    }
    return out;
}

/* "kind country text" of a patent number (kinds n a r o). */
static const char *pat(const char *in, imp_norm_pnum_kind prefer)
{
    static char out[512];
    imp_norm_pnum p;
    tm_err err = {0};
    if (imp_norm_patent_as(in, prefer, &p, &err) != TM_OK) {
        (void)snprintf(out, sizeof out, "ERR: %s", err.msg);
        return out;
    }
    (void)snprintf(out, sizeof out, "%c %s %s", "naro"[p.kind], p.country[0] ? p.country : "-",
                   p.text);
    return out;
}

#define PAT(in) pat(in, IMP_NORM_PNUM_NONE)

/* The codes of a cell joined by '|'. */
static const char *ipc(const char *in)
{
    static char out[1024];
    idx_strv v = {0};
    tm_err err = {0};
    size_t n = 0;
    CHECK(imp_norm_ipc(in, &v, &err) == TM_OK);
    out[0] = '\0';
    for (size_t i = 0; i < v.n; i++)
        n += (size_t)snprintf(out + n, sizeof out - n, "%s%s", i ? "|" : "", v.v[i]);
    idx_strv_clear(&v);
    return out;
}

/* The parts of a patent cell joined by '#'. */
static const char *split(const char *in)
{
    static char out[1024];
    tm_str parts[4];
    size_t n = imp_norm_split_patents(in, parts, 4), k = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && i < 4; i++)
        k += (size_t)snprintf(out + k, sizeof out - k, "%s%.*s", i ? "#" : "", (int)parts[i].len,
                              parts[i].p);
    if (n > 4) (void)snprintf(out + k, sizeof out - k, "#(%zu)", n);
    return out;
}

TM_TEST(blank_markers)
{
    const char *yes[] = {"",     "  ", "\t\n", "nan",   "NaN",      "None",      "null",
                         "NULL", "-",  "N/A",  " n/a ", "정보없음", "(정보없음)"};
    const char *no[] = {"0", "--", "nano", "A", "없음없음", "N/A/B"};
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
        CHECK(imp_norm_is_blank(yes[i]));
    for (size_t i = 0; i < sizeof no / sizeof *no; i++)
        CHECK(!imp_norm_is_blank(no[i]));
}

TM_TEST(dates_in_every_accepted_form)
{
    CHECK_STR(date("2019-01-23"), "2019-01-23");
    CHECK_STR(date("2019.01.23"), "2019-01-23");
    CHECK_STR(date(" 2016.10.24"), "2016-10-24");
    CHECK_STR(date("2019. 1. 23."), "2019-01-23");
    CHECK_STR(date("20190123"), "2019-01-23");
    CHECK_STR(date("20190123.0"), "2019-01-23");
    CHECK_STR(date("2019/1/23"), "2019-01-23");
    CHECK_STR(date("2019-1-3"), "2019-01-03");
    CHECK_STR(date("2019년 1월 23일"), "2019-01-23");
    CHECK_STR(date("2019-01-23 00:00:00"), "2019-01-23");
    CHECK_STR(date("2019-01-23T23:59:59.123+09:00"), "2019-01-23");
    CHECK_STR(date("2019-01-23T10:00Z"), "2019-01-23");
    CHECK_STR(date("20190123 00:00:00"), "2019-01-23");
    CHECK_STR(date("  2019-01-23  "), "2019-01-23");
    CHECK_STR(date("10 March 2015"), "2015-03-10");
    CHECK_STR(date("March 10, 2015"), "2015-03-10");
    CHECK_STR(date("10-Mar-2015"), "2015-03-10");
    CHECK_STR(date("Sept. 3 2015"), "2015-09-03");
    CHECK_STR(date("02 april 2017"), "2017-04-02");
    /* One reading only: day > 12, or day == month. */
    CHECK_STR(date("12/13/2033"), "2033-12-13");
    CHECK_STR(date("13/12/2033"), "2033-12-13");
    CHECK_STR(date("05.05.2020"), "2020-05-05");
    /* Calendar and year boundaries. */
    CHECK_STR(date("2020-02-29"), "2020-02-29");
    CHECK_STR(date("2000-02-29"), "2000-02-29");
    CHECK_STR(date("1800-01-01"), "1800-01-01");
    CHECK_STR(date("2199-12-31"), "2199-12-31");
    CHECK_STR(date("1936-06-16"), "1936-06-16"); /* NASA's 1930s years are real dates */
}

TM_TEST(no_date_is_ok_and_empty)
{
    const char *none[] = {
        "", " ", "nan", "None", "0", "0000-00-00", "0000.00.00", "00000000", "0000-00-00 00:00:00",
        "-"};
    for (size_t i = 0; i < sizeof none / sizeof *none; i++)
        CHECK_STR(date(none[i]), "");
}

TM_TEST(dates_rejected_with_the_value_quoted)
{
    CHECK_STR(date("2019/13/01"), "ERR: \"2019/13/01\" is not a date");
    CHECK_STR(date("2021-02-29"), "ERR: \"2021-02-29\" is not a date");
    CHECK_STR(date("1900-02-29"), "ERR: \"1900-02-29\" is not a date");
    CHECK_STR(date("2019-04-31"), "ERR: \"2019-04-31\" is not a date");
    CHECK_STR(date("2019-01-00"), "ERR: \"2019-01-00\" is not a date");
    CHECK_STR(date("1799-12-31"), "ERR: \"1799-12-31\" is not a date");
    CHECK_STR(date("2200-01-01"), "ERR: \"2200-01-01\" is not a date");
    CHECK_STR(date("03/10/2015"),
              "ERR: \"03/10/2015\" is ambiguous (day/month or month/day?); write it as "
              "YYYY-MM-DD");
    CHECK_STR(date("13/13/2015"), "ERR: \"13/13/2015\" is not a date");
    CHECK_STR(date("2019"), "ERR: \"2019\" is not a date");
    CHECK_STR(date("2019-01"), "ERR: \"2019-01\" is not a date");
    CHECK_STR(date("19-01-23"), "ERR: \"19-01-23\" is not a date");
    CHECK_STR(date("2019-01-23-5"), "ERR: \"2019-01-23-5\" is not a date");
    CHECK_STR(date("2019-01-23 25"), "ERR: \"2019-01-23 25\" is not a date");
    CHECK_STR(date("2019-01-23 10:00 PST"), "ERR: \"2019-01-23 10:00 PST\" is not a date");
    CHECK_STR(date("Marchy 10 2015"), "ERR: \"Marchy 10 2015\" is not a date");
    CHECK_STR(date("10 March April"), "ERR: \"10 March April\" is not a date");
    CHECK_STR(date("201901234"), "ERR: \"201901234\" is not a date");
    CHECK_STR(date("43488"), "ERR: \"43488\" is not a date");
    CHECK_STR(date("a\"b\\"), "ERR: \"a\\\"b\\\\\" is not a date");
    CHECK_STR(date("1234567890123456789012345678901234567890123456789"),
              "ERR: \"123456789012345678901234567890123456789... is not a date");
}

TM_TEST(kipo_applications_in_every_form)
{
    const char *in[] = {"1020190012345",       "10-2019-0012345", "KR10-2019-0012345",
                        "KR1020190012345",     "10 2019 0012345", "1020190012345.0",
                        " kr 10-2019-0012345 "};
    for (size_t i = 0; i < sizeof in / sizeof *in; i++)
        CHECK_STR(PAT(in[i]), "a KR 10-2019-0012345");
    CHECK_STR(PAT("2020190012345"), "a KR 20-2019-0012345");
    CHECK_STR(PAT("30-2019-0012345"), "a KR 30-2019-0012345");
    CHECK_STR(PAT("4020190012345"), "a KR 40-2019-0012345");
    CHECK_STR(PAT("1020217013544"), "a KR 10-2021-7013544"); /* PCT national phase */
    CHECK_STR(PAT("1019480000001"), "a KR 10-1948-0000001");
    /* Not KIPO: other type code, year, group shape. */
    CHECK_STR(PAT("5020190012345"), "o - 5020190012345");
    CHECK_STR(PAT("1019470012345"), "o - 1019470012345");
    CHECK_STR(PAT("1021000012345"), "o - 1021000012345");
    CHECK_STR(PAT("10-2019-001234"), "o - 10-2019-001234");
    CHECK_STR(PAT("10-20190-012345"), "o - 10-20190-012345");
    CHECK_STR(PAT("10--2019-0012345"), "o - 10--2019-0012345");
    CHECK_STR(PAT("10-2019-0012345-"), "o - 10-2019-0012345-");
    CHECK_STR(PAT("10-2019-0012345.0"), "o - 10-2019-0012345.0");
}

TM_TEST(kipo_registrations_in_every_form)
{
    const char *in[] = {"1012345670000", "10-1234567-0000", "10-1234567", "1012345670000.0",
                        "101234567",     "KR10-1234567",    "10 1234567"};
    for (size_t i = 0; i < sizeof in / sizeof *in; i++)
        CHECK_STR(PAT(in[i]), "r KR 10-1234567");
    CHECK_STR(PAT("1018463630000"), "r KR 10-1846363");
    CHECK_STR(PAT("10-1234567-0001"), "o - 10-1234567-0001");
    /* 13 digits ending 0000 with a plausible year: both readings exist. */
    CHECK_STR(PAT("1020200190000"), "r KR 10-2020019");
    CHECK_STR(pat("1020200190000", IMP_NORM_PNUM_APPLICATION), "a KR 10-2020-0190000");
    CHECK_STR(pat("1024582310000.0", IMP_NORM_PNUM_APPLICATION), "r KR 10-2458231");
    CHECK_STR(pat("1020190012345", IMP_NORM_PNUM_REGISTRATION), "a KR 10-2019-0012345");
}

TM_TEST(other_numbers_kept_trimmed_and_none)
{
    CHECK_STR(PAT("13/033,085"), "o - 13/033,085");
    CHECK_STR(PAT("  09/822470 "), "o - 09/822470");
    CHECK_STR(PAT("PCT/KR2013/008699"), "o - PCT/KR2013/008699");
    CHECK_STR(PAT("2013-246145"), "o - 2013-246145");
    CHECK_STR(PAT("US  8,123,456"), "o - US 8,123,456");
    CHECK_STR(PAT("14/\t 033725"), "o - 14/ 033725");
    CHECK_STR(PAT("5694939"), "o - 5694939");
    CHECK_STR(PAT("/"), "o - /");
    const char *none[] = {"", "  ", "0", "0.0", "00", "nan", "None", "-"};
    for (size_t i = 0; i < sizeof none / sizeof *none; i++)
        CHECK_STR(PAT(none[i]), "n - ");
    char big[128];
    memset(big, '7', 101);
    big[101] = '\0';
    CHECK_STR(PAT(big), "ERR: is 101 characters long; the limit is 100");
    big[100] = '\0';
    CHECK(PAT(big)[0] == 'o');
    CHECK_STR(PAT("10\x01"
                  "2"),
              "ERR: \"10\\u00012\" is not a patent number: it holds a control "
              "character");
}

TM_TEST(cells_with_several_numbers)
{
    CHECK_STR(split("1020190012345; 1020190012346"), "1020190012345#1020190012346");
    CHECK_STR(split("10-2019-0012345|10-1234567\n13/033,085"),
              "10-2019-0012345#10-1234567#13/033,085");
    CHECK_STR(split("1020190012345, 10-1234567"), "1020190012345#10-1234567");
    CHECK_STR(split("10-2019-0012345 / 10-2019-0012346"), "10-2019-0012345#10-2019-0012346");
    CHECK_STR(split("1020190012345 1020190012346"), "1020190012345#1020190012346");
    /* US serials keep their ',' and '/'; a mix stays whole. */
    CHECK_STR(split("13/033,085"), "13/033,085");
    CHECK_STR(split("09/822470"), "09/822470");
    CHECK_STR(split("10 2019 0012345"), "10 2019 0012345");
    CHECK_STR(split("1020190012345, 13/033"), "1020190012345, 13/033");
    CHECK_STR(split(" ; nan ;0; "), "");
    CHECK_STR(split("1;2;3;4;5;6"), "1#2#3#4#(6)");
}

TM_TEST(ipc_codes_in_every_form)
{
    CHECK_STR(ipc("A61B5/00"), "A61B 5/00");
    CHECK_STR(ipc("A61B 5/00"), "A61B 5/00");
    CHECK_STR(ipc("a61b  05/00"), "A61B 5/00");
    CHECK_STR(ipc("H01G 11/86 H01G 11/32"), "H01G 11/86|H01G 11/32");
    CHECK_STR(ipc("A61K 31/00(2006.01)"), "A61K 31/00");
    CHECK_STR(ipc("A61K 31/00 (2006.01), C12N 15/64"), "A61K 31/00|C12N 15/64");
    CHECK_STR(ipc("A|B61C 1/00;C12N 9/00,C12N 9/00\nD01F 8/18"), "A|B61C 1/00|C12N 9/00|D01F 8/18");
    CHECK_STR(ipc("['H01G 11/86 H01G 11/32  .... ', 'H01G 11/86|H01G 11/32|H01G 11/46']"),
              "H01G 11/86|H01G 11/32|H01G 11/46");
    CHECK_STR(ipc("['G06F 40/20']"), "G06F 40/20");
    CHECK_STR(ipc("A61K 8/9789|A61K"), "A61K 8/9789|A61K");
    CHECK_STR(ipc("A61B 5/00..."), "A61B 5/00");
    CHECK_STR(ipc("A61B 5/00\xE2\x80\xA6"), "A61B 5/00");
    CHECK_STR(ipc("nan"), "");
    CHECK_STR(ipc("(정보없음)"), "");
    CHECK_STR(ipc(" | ; ,"), "");
    /* Not IPC: kept as written, white space made one. */
    CHECK_STR(ipc("Y02E 10/50"), "Y02E 10/50");
    CHECK_STR(ipc("see  annex A61B 5/00 too"), "see annex|A61B 5/00|too");
    CHECK_STR(ipc("A61B5/00x"), "A61B5/00x");
    CHECK(imp_norm_ipc_is_code("A61B 5/00") && imp_norm_ipc_is_code("A61K"));
    CHECK(!imp_norm_ipc_is_code("A61B5/00") && !imp_norm_ipc_is_code("Y02E 10/50") &&
          !imp_norm_ipc_is_code("A61B 5/00 ") && !imp_norm_ipc_is_code(""));
}

TM_TEST(ipc_appends_without_duplicates)
{
    idx_strv v = {0};
    tm_err err = {0};
    CHECK(imp_norm_ipc("A61B 5/00|G06F 40/20", &v, &err) == TM_OK);
    CHECK(imp_norm_ipc("G06F40/20, H04L 9/00", &v, &err) == TM_OK);
    CHECK(v.n == 3 && !strcmp(v.v[2], "H04L 9/00"));
    idx_strv_clear(&v);
}

TM_TEST_MAIN()
