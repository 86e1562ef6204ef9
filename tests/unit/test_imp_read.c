/* The importer's readers and validator on their own: the streaming CSV and
 * JSON readers (quotes, line ends, limits, truncation) and imp_rec's rules
 * (types, values, lengths in characters, control characters, unknown keys,
 * header names). Whole imports are in test_imp.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/tm_alloc.h"
#include "../../common/tm_buf.h"
#include "../../common/tm_utf8.h"
#include "../../import/imp_csv.h"
#include "../../import/imp_json.h"
#include "../../import/imp_rec.h"
#include "../../index/idx_tech.h"
#include "../tm_test.h"

static imp_csv *csv_of(const char *text, FILE **f, const imp_csv_limits *lim)
{
    *f = fmemopen((void *)text, strlen(text), "rb");
    return imp_csv_open(*f, lim);
}

TM_TEST(csv_reader_handles_quotes_commas_newlines_and_doubled_quotes)
{
    FILE *f;
    tm_err err = {0};
    imp_csv *c = csv_of("a,\"b,1\",\"line\nbreak\",\"say \"\"hi\"\"\"\nx,,\"\"\n", &f, NULL);
    CHECK(imp_csv_next(c, &err) == IMP_CSV_ROW);
    CHECK(imp_csv_line(c) == 1 && imp_csv_nfields(c) == 4);
    CHECK_STR(imp_csv_field(c, 0).p, "a");
    CHECK_STR(imp_csv_field(c, 1).p, "b,1");
    CHECK_STR(imp_csv_field(c, 2).p, "line\nbreak");
    CHECK_STR(imp_csv_field(c, 3).p, "say \"hi\"");
    CHECK(imp_csv_next(c, &err) == IMP_CSV_ROW);
    CHECK(imp_csv_line(c) == 3 && imp_csv_nfields(c) == 3);
    CHECK(imp_csv_field(c, 1).len == 0 && imp_csv_field(c, 2).len == 0);
    CHECK(imp_csv_next(c, &err) == IMP_CSV_END);
    CHECK(imp_csv_next(c, &err) == IMP_CSV_END);
    imp_csv_free(c);
    fclose(f);
}

TM_TEST(csv_reader_skips_a_bom_and_blank_lines_and_accepts_crlf_lf_and_cr)
{
    FILE *f;
    tm_err err = {0};
    imp_csv *c = csv_of("\xEF\xBB\xBFh1,h2\r\n\r\n1,\"a\r\nb\"\r\n2,x\r3,y\n\n4,z", &f, NULL);
    const char *first[] = {"h1", "1", "2", "3", "4"};
    const size_t lines[] = {1, 3, 5, 6, 8};
    for (size_t i = 0; i < 5; i++) {
        CHECK(imp_csv_next(c, &err) == IMP_CSV_ROW);
        CHECK_STR(imp_csv_field(c, 0).p, first[i]);
        CHECK(imp_csv_line(c) == lines[i]);
        CHECK(imp_csv_nfields(c) == 2);
        if (i == 1) CHECK_STR(imp_csv_field(c, 1).p, "a\r\nb");
    }
    CHECK(imp_csv_next(c, &err) == IMP_CSV_END);
    imp_csv_free(c);
    fclose(f);
}

TM_TEST(csv_reader_reports_an_unclosed_quote_at_eof_for_that_record_only)
{
    FILE *f;
    tm_err err = {0};
    imp_csv *c = csv_of("ok,1\nbad,\"open\nstill open\n", &f, NULL);
    CHECK(imp_csv_next(c, &err) == IMP_CSV_ROW);
    CHECK(imp_csv_next(c, &err) == IMP_CSV_BAD);
    CHECK(imp_csv_line(c) == 2 && imp_csv_bad_column(c) == 1);
    CHECK(strstr(err.msg, "not closed") != NULL);
    CHECK(imp_csv_next(c, &err) == IMP_CSV_END);
    imp_csv_free(c);
    fclose(f);
}

TM_TEST(csv_reader_limits_field_size_and_column_count_and_goes_on)
{
    FILE *f;
    tm_err err = {0};
    imp_csv_limits lim = {.field_max = 8, .cols_max = 3};
    imp_csv *c = csv_of("a,123456789,c\n\"x\ny\",b,c\n1,2,3,4\n\"q\"z,b\nfine,1,2\n", &f, &lim);
    CHECK(imp_csv_next(c, &err) == IMP_CSV_BAD);
    CHECK(imp_csv_line(c) == 1 && imp_csv_bad_column(c) == 1);
    CHECK(strstr(err.msg, "longer than 8 bytes") != NULL);
    CHECK(imp_csv_next(c, &err) == IMP_CSV_ROW);
    CHECK(imp_csv_line(c) == 2);
    CHECK(imp_csv_next(c, &err) == IMP_CSV_BAD);
    CHECK(imp_csv_line(c) == 4 && strstr(err.msg, "more than 3 columns") != NULL);
    CHECK(imp_csv_next(c, &err) == IMP_CSV_BAD);
    CHECK(imp_csv_line(c) == 5 && strstr(err.msg, "after its closing quote") != NULL);
    CHECK(imp_csv_next(c, &err) == IMP_CSV_ROW);
    CHECK(imp_csv_line(c) == 6);
    CHECK_STR(imp_csv_field(c, 0).p, "fine");
    CHECK(imp_csv_next(c, &err) == IMP_CSV_END);
    imp_csv_free(c);
    fclose(f);
}

TM_TEST(csv_reader_counts_a_lone_cr_inside_quotes_as_a_line_and_crlf_as_one)
{
    FILE *f;
    tm_err err = {0};
    /* A CR-only file (as old Mac spreadsheets write) with a two-line cell. */
    imp_csv *c = csv_of("h1,h2\r1,\"a\rb\"\r2,\"c\r\nd\"\r3,x\r", &f, NULL);
    const size_t lines[] = {1, 2, 4, 6};
    for (size_t i = 0; i < 4; i++) {
        CHECK(imp_csv_next(c, &err) == IMP_CSV_ROW);
        CHECK(imp_csv_line(c) == lines[i]);
    }
    CHECK(imp_csv_next(c, &err) == IMP_CSV_END);
    imp_csv_free(c);
    fclose(f);

    /* A CRLF inside quotes split between two reads of the file is one line. */
    tm_buf b = {0};
    tm_buf_puts(&b, "h\n\"");
    while (b.len < 64 * 1024 - 1)
        tm_buf_putc(&b, 'x');
    tm_buf_puts(&b, "\r\ny\"\nnext\n");
    f = fmemopen(b.p, b.len, "rb");
    c = imp_csv_open(f, NULL);
    CHECK(imp_csv_next(c, &err) == IMP_CSV_ROW);
    CHECK(imp_csv_next(c, &err) == IMP_CSV_ROW);
    CHECK(imp_csv_line(c) == 2 && imp_csv_field(c, 0).len == 64 * 1024 - 1);
    CHECK(imp_csv_next(c, &err) == IMP_CSV_ROW);
    CHECK(imp_csv_line(c) == 4);
    CHECK_STR(imp_csv_field(c, 0).p, "next");
    CHECK(imp_csv_next(c, &err) == IMP_CSV_END);
    imp_csv_free(c);
    fclose(f);
    tm_buf_free(&b);
}

/* ---- the JSON readers alone ---- */

TM_TEST(json_array_reader_reads_elements_with_brackets_inside_strings)
{
    const char *text = "\xEF\xBB\xBF [ {\"a\": \"]}\\\"\"},\n  {\"b\": [1, {\"c\": 2}]} , 7 ]\n";
    FILE *f = fmemopen((void *)text, strlen(text), "rb");
    imp_json *r = imp_json_open(f, true, 0);
    json_t *o = NULL;
    tm_err err = {0};
    CHECK(imp_json_next(r, &o, &err) == IMP_JSON_RECORD);
    CHECK_STR(json_string_value(json_object_get(o, "a")), "]}\"");
    json_decref(o);
    CHECK(imp_json_next(r, &o, &err) == IMP_JSON_RECORD);
    CHECK(imp_json_line(r) == 2);
    CHECK(json_array_size(json_object_get(o, "b")) == 2);
    json_decref(o);
    CHECK(imp_json_next(r, &o, &err) == IMP_JSON_BAD);
    CHECK_STR(err.msg, "expected a JSON object, found a number");
    CHECK(imp_json_next(r, &o, &err) == IMP_JSON_END);
    imp_json_free(r);
    fclose(f);
}

TM_TEST(json_array_reader_keeps_elements_before_a_truncation)
{
    const char *text = "[{\"a\": 1},\n{\"a\": 2},\n{\"a\": \"cut";
    FILE *f = fmemopen((void *)text, strlen(text), "rb");
    imp_json *r = imp_json_open(f, true, 0);
    json_t *o = NULL;
    tm_err err = {0};
    CHECK(imp_json_next(r, &o, &err) == IMP_JSON_RECORD);
    json_decref(o);
    CHECK(imp_json_next(r, &o, &err) == IMP_JSON_RECORD);
    json_decref(o);
    CHECK(imp_json_next(r, &o, &err) == IMP_JSON_BAD);
    CHECK(imp_json_line(r) == 3 && strstr(err.msg, "ends inside") != NULL);
    CHECK(imp_json_next(r, &o, &err) == IMP_JSON_END);
    imp_json_free(r);
    fclose(f);
}

TM_TEST(json_lines_reader_skips_an_overlong_line_and_goes_on)
{
    tm_buf b = {0};
    tm_buf_puts(&b, "{\"a\": 1}\n{\"long\": \"");
    for (int i = 0; i < 300; i++)
        tm_buf_puts(&b, "0123456789");
    tm_buf_puts(&b, "\"}\n\n{\"a\": 3}");
    FILE *f = fmemopen(b.p, b.len, "rb");
    imp_json *r = imp_json_open(f, false, 1000);
    json_t *o = NULL;
    tm_err err = {0};
    CHECK(imp_json_next(r, &o, &err) == IMP_JSON_RECORD && imp_json_line(r) == 1);
    json_decref(o);
    CHECK(imp_json_next(r, &o, &err) == IMP_JSON_BAD && imp_json_line(r) == 2);
    CHECK_STR(err.msg, "the line is longer than 1000 bytes");
    CHECK(imp_json_next(r, &o, &err) == IMP_JSON_RECORD && imp_json_line(r) == 4);
    CHECK(json_integer_value(json_object_get(o, "a")) == 3);
    json_decref(o);
    CHECK(imp_json_next(r, &o, &err) == IMP_JSON_END);
    imp_json_free(r);
    fclose(f);
    tm_buf_free(&b);
}

/* ---- the validator alone ---- */

static int check_rec(const char *json, idx_tech *t, tm_err *err)
{
    json_error_t je;
    json_t *o = json_loads(json, 0, &je);
    CHECK(o != NULL);
    int code = imp_rec_tech(o, NULL, t, err);
    json_decref(o);
    return code;
}

/* The message for one bad record, "field: message". */
static const char *rec_error(const char *json)
{
    static char out[300];
    idx_tech t;
    tm_err err = {0};
    if (check_rec(json, &t, &err) == TM_OK) {
        idx_tech_clear(&t);
        return "(accepted)";
    }
    (void)snprintf(out, sizeof out, "%s: %s", err.field, err.msg);
    return out;
}

static char *repeat(const char *s, size_t n)
{
    tm_buf b = {0};
    for (size_t i = 0; i < n; i++)
        tm_buf_puts(&b, s);
    return tm_buf_steal(&b);
}

TM_TEST(validator_checks_types_values_and_dates_naming_the_field)
{
#define REC(extra) "{\"title\": \"T\", \"institution\": \"I\"" extra "}"
    CHECK_STR(rec_error(REC(", \"trl\": \"ten\"")), "trl: \"ten\" is not an integer 1-9");
    CHECK_STR(rec_error(REC(", \"trl\": \"4.5\"")), "trl: \"4.5\" is not an integer 1-9");
    CHECK_STR(rec_error(REC(", \"trl\": \"0\"")), "trl: \"0\" is not an integer 1-9");
    CHECK_STR(rec_error(REC(", \"trl\": 10")), "trl: 10 is not an integer 1-9");
    CHECK_STR(rec_error(REC(", \"trl\": 4.0")), "trl: 4.0 is not an integer 1-9");
    CHECK_STR(rec_error(REC(", \"trl\": \"4\"")), "(accepted)");
    CHECK_STR(rec_error("{\"institution\": \"I\"}"), "title: is required");
    CHECK_STR(rec_error("{\"title\": \"  \", \"institution\": \"I\"}"), "title: is required");
    CHECK_STR(rec_error("{\"title\": \"T\", \"institution\": null}"), "institution: is required");
    CHECK_STR(rec_error(REC(", \"external_id\": 123")), "external_id: 123 is not a string");
    CHECK_STR(rec_error(REC(", \"asking\": 5000000")), "asking: 5000000 is not a string");
    CHECK_STR(rec_error(REC(", \"keywords\": \"a;b\"")), "keywords: \"a;b\" is not a list");
    CHECK_STR(rec_error(REC(", \"ipc\": [\"A\", 5]")), "ipc: entry 2: 5 is not a string");
    CHECK_STR(rec_error(REC(", \"status\": \"sold\"")),
              "status: \"sold\" is not one of: available, negotiating, licensed, withdrawn");
    CHECK_STR(rec_error(REC(", \"licence\": [\"exclusive\", \"free\"]")),
              "licence: \"free\" is not one of: exclusive, non-exclusive, assignment, "
              "joint-research");
    CHECK(strncmp(rec_error(REC(", \"field\": \"bio\"")),
                  "field: \"bio\" is not one of: bio-medical,", 40) == 0);
    CHECK_STR(rec_error(REC(", \"patents\": [{\"number\": \"1\", \"filed\": \"2021-02-29\"}]")),
              "patents[0].filed: \"2021-02-29\" is not a date");
    CHECK_STR(
        rec_error(REC(", \"patents\": [{\"number\": \"1\", \"registered\": \"2020-13-01\"}]")),
        "patents[0].registered: \"2020-13-01\" is not a date");
    CHECK_STR(rec_error(REC(", \"patents\": [{\"number\": \"1\", \"filed\": \"2020-02-29\"}]")),
              "(accepted)");
    CHECK_STR(rec_error(REC(", \"patents\": [{\"number\": \"1\"}, {\"country\": \"KR\"}]")),
              "patents[1].number: is required");
    CHECK_STR(rec_error(REC(", \"patents\": [\"10-1\"]")), "patents[0]: \"10-1\" is not an object");
    CHECK_STR(rec_error(REC(", \"field\": \"ICT\", \"status\": null, \"trl\": null")),
              "(accepted)");
#undef REC
}

TM_TEST(validator_enforces_lengths_in_characters)
{
    char json[120000];
    char *s500 = repeat("가", 500), *s501 = repeat("가", 501), *kw = repeat("\"k\",", 50);
    char *e201 = repeat("x", 201), *s20k = repeat("a", 20001), *ext = repeat("e", 101);

    (void)snprintf(json, sizeof json, "{\"title\": \"%s\", \"institution\": \"I\"}", s500);
    CHECK_STR(rec_error(json), "(accepted)");
    (void)snprintf(json, sizeof json, "{\"title\": \"%s\", \"institution\": \"I\"}", s501);
    CHECK_STR(rec_error(json), "title: is 501 characters long; the limit is 500");
    (void)snprintf(json, sizeof json,
                   "{\"title\": \"T\", \"institution\": \"I\", \"keywords\": [%s\"k\"]}", kw);
    CHECK_STR(rec_error(json), "keywords: has 51 entries; the limit is 50");
    (void)snprintf(json, sizeof json,
                   "{\"title\": \"T\", \"institution\": \"I\", \"inventors\": [\"%s\"]}", e201);
    CHECK_STR(rec_error(json), "inventors: entry 1 is 201 characters long; the limit is 200");
    (void)snprintf(json, sizeof json,
                   "{\"title\": \"T\", \"institution\": \"I\", \"summary\": \"%s\"}", s20k);
    CHECK_STR(rec_error(json), "summary: is 20001 characters long; the limit is 20000");
    (void)snprintf(json, sizeof json,
                   "{\"title\": \"T\", \"institution\": \"I\", \"external_id\": \"%s\"}", ext);
    CHECK_STR(rec_error(json), "external_id: is 101 characters long; the limit is 100");
    /* A long bad value is quoted, cut short. */
    (void)snprintf(json, sizeof json,
                   "{\"title\": \"T\", \"institution\": \"I\", \"field\": \"%s\"}", s500);
    const char *m = rec_error(json);
    CHECK(strncmp(m, "field: \"가가가", 14) == 0 && strstr(m, "...") && strlen(m) < 200);
    tm_buf pat = {0};
    tm_buf_puts(&pat, "{\"title\": \"T\", \"institution\": \"I\", \"patents\": [");
    for (int i = 0; i < 51; i++)
        tm_buf_printf(&pat, "%s{\"number\": \"%d\"}", i ? "," : "", i);
    tm_buf_puts(&pat, "]}");
    CHECK_STR(rec_error(pat.p), "patents: has 51 entries; the limit is 50");
    tm_buf_free(&pat);
    free(s500);
    free(s501);
    free(kw);
    free(e201);
    free(s20k);
    free(ext);
}

TM_TEST(validator_strips_control_characters_and_trims)
{
    idx_tech t;
    tm_err err = {0};
    CHECK(check_rec("{\"title\": \"  a\\u0001b\\nc\\td\\u007f \", \"institution\": \" I \","
                    " \"summary\": \"one\\r\\ntwo\\tthree\\u0085\","
                    " \"keywords\": [\" k1 \", \"\", \"  \", \"k\\n2\"], \"trl\": \" 7 \"}",
                    &t, &err) == TM_OK);
    CHECK_STR(t.title, "ab c d");
    CHECK_STR(t.institution, "I");
    CHECK_STR(t.summary, "one\ntwo\tthree");
    CHECK(t.keywords.n == 2);
    CHECK_STR(t.keywords.v[0], "k1");
    CHECK_STR(t.keywords.v[1], "k 2");
    CHECK(t.trl == 7);
    idx_tech_clear(&t);
}

/* Long text goes through the validator eight bytes at a time: control
 * characters deep inside it and at the edges of those steps are removed
 * all the same, and lengths are counted in characters. */
TM_TEST(validator_cleans_and_counts_long_text)
{
    idx_tech t;
    tm_err err = {0};
    CHECK(check_rec("{\"title\": \"0123456789abcdef\\u0001ghijklm\\u007fnop\\u0085qrst"
                    "uvwxyz01234567\\u0002\", \"institution\": \"I\","
                    " \"summary\": \"기술을 개발하는 방법과 장치\\n\\u00a0é 연구\\u009f끝\"}",
                    &t, &err) == TM_OK);
    CHECK_STR(t.title, "0123456789abcdefghijklmnopqrstuvwxyz01234567");
    CHECK_STR(t.summary, "기술을 개발하는 방법과 장치\n\u00a0é 연구끝");

    /* 500 Hangul syllables (1,500 bytes) fit the title's 500 characters */
    tm_buf j = {0};
    tm_buf_puts(&j, "{\"institution\": \"I\", \"title\": \"");
    for (int i = 0; i < 500; i++)
        tm_buf_puts(&j, i % 7 ? "가" : "é");
    tm_buf_puts(&j, "\"}");
    idx_tech_clear(&t);
    CHECK(check_rec(j.p, &t, &err) == TM_OK);
    idx_tech_clear(&t);
    j.len -= 2; /* one more */
    tm_buf_puts(&j, "a\"}");
    CHECK(check_rec(j.p, &t, &err) == TM_EINVAL);
    CHECK_STR(err.field, "title");
    CHECK(strstr(err.msg, "is 501 characters long") != NULL);
    idx_tech_clear(&t);
    tm_buf_free(&j);
}

static void collect_unknown(void *arg, const char *name)
{
    tm_buf *b = arg;
    tm_buf_printf(b, "%s%s", b->len ? "," : "", name);
}

TM_TEST(validator_passes_unknown_keys_to_the_callback_and_still_accepts)
{
    json_error_t je;
    json_t *o = json_loads("{\"title\": \"T\", \"colour\": 1, \"institution\": \"I\","
                           " \"patents\": [{\"number\": \"1\", \"office\": \"x\"}], \"z\": null}",
                           0, &je);
    idx_tech t;
    tm_err err = {0};
    tm_buf seen = {0};
    imp_rec_opts ro = {.unknown = collect_unknown, .arg = &seen};
    CHECK(imp_rec_tech(o, &ro, &t, &err) == TM_OK);
    CHECK_STR(tm_buf_cstr(&seen), "colour,z,patents.office");
    CHECK_STR(t.title, "T");
    idx_tech_clear(&t);
    tm_buf_free(&seen);
    json_decref(o);
}

TM_TEST(validator_reads_keys_in_any_order_with_or_without_callback_or_scratch)
{
    /* Reversed, an unknown key between known ones, a key like a known one. */
    const char *text = "{\"patents\": [{\"registered\": \"2020-01-02\", \"titl\": 1,"
                       " \"number\": \"10-2019-0000001\"}], \"contact\": \"c\", \"x\": 1,"
                       " \"trl\": \"4\", \"keywords\": [\"k1\", \"k2\"], \"title_e\": 2,"
                       " \"institution\": \"I\", \"title_en\": \"E\", \"title\": \"T\"}";
    json_error_t je;
    json_t *o = json_loads(text, 0, &je);
    tm_buf seen = {0}, scratch = {0};
    imp_rec_opts with = {.unknown = collect_unknown, .arg = &seen, .scratch = &scratch};
    const imp_rec_opts *opts[] = {&with, NULL, &with};
    for (size_t i = 0; i < 3; i++) {
        idx_tech t;
        tm_err err = {0};
        tm_buf_reset(&seen);
        CHECK(imp_rec_tech(o, opts[i], &t, &err) == TM_OK);
        CHECK_STR(t.title, "T");
        CHECK_STR(t.title_en, "E");
        CHECK_STR(t.institution, "I");
        CHECK_STR(t.contact, "c");
        CHECK(t.trl == 4 && t.keywords.n == 2 && t.npatents == 1);
        if (t.npatents == 1) CHECK_STR(t.patents[0].registered, "2020-01-02");
        /* The record's own keys first, in its order, then its patents'. */
        if (opts[i]) CHECK_STR(tm_buf_cstr(&seen), "x,title_e,patents.titl");
        idx_tech_clear(&t);
    }
    tm_buf_free(&seen);
    tm_buf_free(&scratch);
    json_decref(o);
}

/* ---- whole files ---- */

TM_TEST(a_long_duplicate_column_name_is_quoted_cut_between_characters)
{
    /* 20 Hangul syllables, 60 bytes: a 40-byte cut falls inside the 14th. */
    const char *name = "가나다라마바사아자차카타파하가나다라마바";
    tm_str names[] = {
        {"title", 5}, {"institution", 11}, {name, strlen(name)}, {name, strlen(name)}};
    imp_rec_cols cols;
    tm_err err = {0};
    CHECK(imp_rec_cols_init(&cols, names, 4, false, &err) == TM_EINVAL);
    CHECK_STR(err.field, "header");
    CHECK(tm_utf8_valid(err.msg, strlen(err.msg)));
    CHECK_STR(err.msg, "column \"가나다라마바사아자차카타파\" appears twice");
    CHECK(cols.n == 0);
}

TM_TEST_MAIN()
