/* The export writers (import/exp.h): CSV quoting per RFC 4180, the BOM,
 * lists with ';' in an entry, newlines in text, and every format read back
 * by the importer's own readers and validator into the same record. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/tm_alloc.h"
#include "../../common/tm_buf.h"
#include "../../import/exp.h"
#include "../../import/imp_csv.h"
#include "../../import/imp_rec.h"
#include "../../index/idx_enum.h"
#include "../../index/idx_tech.h"
#include "../tm_test.h"

static const char *cell(const char *s, tm_buf *b)
{
    tm_buf_reset(b);
    exp_csv_cell(s, strlen(s), b);
    return tm_buf_cstr(b);
}

TM_TEST(csv_cells_are_quoted_only_when_they_must_be)
{
    tm_buf b = {0};
    CHECK_STR(cell("plain text", &b), "plain text");
    CHECK_STR(cell("", &b), "");
    CHECK_STR(cell("a,b", &b), "\"a,b\"");
    CHECK_STR(cell("say \"hi\"", &b), "\"say \"\"hi\"\"\"");
    CHECK_STR(cell("\"", &b), "\"\"\"\"");
    CHECK_STR(cell("line one\nline two", &b), "\"line one\nline two\"");
    CHECK_STR(cell("cr\rhere", &b), "\"cr\rhere\"");
    CHECK_STR(cell(" padded", &b), "\" padded\"");
    CHECK_STR(cell("a;b", &b), "a;b");
    CHECK_STR(cell("의료기기, 센서", &b), "\"의료기기, 센서\"");
    tm_buf_free(&b);
}

/* A record with every field set, and the awkward values. */
static void edge_tech(idx_tech *t)
{
    idx_tech_init(t);
    t->external_id = tm_xstrdup("EDGE-1");
    t->title = tm_xstrdup("심박 \"측정\", 장치");
    t->title_en = tm_xstrdup("Heart-rate sensor");
    t->summary = tm_xstrdup("첫 줄\n둘째 줄, 쉼표\n\t\"인용\"");
    t->description = tm_xstrdup("desc; with semicolon");
    idx_strv_push(&t->keywords, "의료기기");
    idx_strv_push(&t->keywords, "a;b");
    idx_strv_push(&t->keywords, "[bracket]");
    t->field = IDX_FIELD_BIO_MEDICAL;
    idx_strv_push(&t->ipc, "A61B 5/00");
    idx_strv_push(&t->ipc, "G06F 17/00");
    t->trl = 7;
    t->licence = (1u << IDX_LICENCE_EXCLUSIVE) | (1u << IDX_LICENCE_JOINT_RESEARCH);
    t->asking = tm_xstrdup("1억원, 협의");
    t->status = IDX_STATUS_WITHDRAWN;
    t->institution = tm_xstrdup("연세대학교 산학협력단, 건국대학교");
    idx_strv_push(&t->inventors, "김철수");
    idx_strv_push(&t->inventors, "Lee, Young");
    t->contact = tm_xstrdup("tto@example.ac.kr");
    t->npatents = 2;
    t->patents = tm_xcalloc(2, sizeof *t->patents);
    t->patents[0].number = tm_xstrdup("10-2019-0012345");
    t->patents[0].country = tm_xstrdup("KR");
    t->patents[0].filed = tm_xstrdup("2019-01-23");
    t->patents[0].registered = tm_xstrdup("2020-05-01");
    t->patents[0].registration_number = tm_xstrdup("10-1846363");
    t->patents[1].number = tm_xstrdup("10-2020-0054321");
    t->patents[1].country = tm_xstrdup("US");
    t->patents[1].kind = tm_xstrdup("patent");
    t->patents[1].status = tm_xstrdup("filed");
}

static bool str_eq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static bool strv_eq(const idx_strv *a, const idx_strv *b)
{
    if (a->n != b->n) return false;
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->v[i], b->v[i]) != 0) return false;
    return true;
}

/* Every field of the canonical record, compared. */
static void check_same(const idx_tech *a, const idx_tech *b)
{
    CHECK(str_eq(a->external_id, b->external_id));
    CHECK(str_eq(a->title, b->title));
    CHECK(str_eq(a->title_en, b->title_en));
    CHECK(str_eq(a->summary, b->summary));
    CHECK(str_eq(a->description, b->description));
    CHECK(strv_eq(&a->keywords, &b->keywords));
    CHECK(a->field == b->field);
    CHECK(strv_eq(&a->ipc, &b->ipc));
    CHECK(a->trl == b->trl);
    CHECK(a->licence == b->licence);
    CHECK(str_eq(a->asking, b->asking));
    CHECK(a->status == b->status);
    CHECK(str_eq(a->institution, b->institution));
    CHECK(strv_eq(&a->inventors, &b->inventors));
    CHECK(str_eq(a->contact, b->contact));
    CHECK(a->npatents == b->npatents);
    for (size_t i = 0; i < a->npatents && i < b->npatents; i++) {
        const idx_patent *p = &a->patents[i], *q = &b->patents[i];
        CHECK(str_eq(p->number, q->number));
        CHECK(str_eq(p->country, q->country));
        CHECK(str_eq(p->kind, q->kind));
        CHECK(str_eq(p->status, q->status));
        CHECK(str_eq(p->filed, q->filed));
        CHECK(str_eq(p->registered, q->registered));
        CHECK(str_eq(p->registration_number, q->registration_number));
    }
}

/* Reads a CSV file text with the importer: header, then its records. */
static size_t read_csv(const char *text, size_t len, idx_tech *out, size_t cap)
{
    FILE *f = fmemopen((void *)text, len, "rb");
    imp_csv *c = imp_csv_open(f, NULL);
    imp_rec_cols cols = {0};
    tm_err err = {0};
    size_t n = 0;
    bool header = true;
    imp_csv_kind k;
    while ((k = imp_csv_next(c, &err)) == IMP_CSV_ROW) {
        size_t nf = imp_csv_nfields(c);
        tm_str *cells = tm_xcalloc(nf ? nf : 1, sizeof *cells);
        for (size_t i = 0; i < nf; i++)
            cells[i] = imp_csv_field(c, i);
        if (header) {
            CHECK(imp_rec_cols_init(&cols, cells, nf, false, &err) == TM_OK);
            header = false;
        } else if (n < cap) {
            json_t *obj = NULL;
            CHECK(imp_rec_from_row(&cols, cells, nf, &obj, &err) == TM_OK);
            CHECK(imp_rec_tech(obj, NULL, &out[n], &err) == TM_OK);
            if (err.msg[0]) fprintf(stderr, "  %s: %s\n", err.field, err.msg);
            json_decref(obj);
            n++;
        }
        free(cells);
    }
    CHECK(k == IMP_CSV_END);
    imp_rec_cols_free(&cols);
    imp_csv_free(c);
    fclose(f);
    return n;
}

TM_TEST(csv_export_reads_back_as_the_same_record)
{
    idx_tech t, plain, back[3];
    tm_buf out = {0};
    exp_writer w;
    edge_tech(&t);
    idx_tech_init(&plain);
    plain.title = tm_xstrdup("only a title");
    plain.institution = tm_xstrdup("고려대학교");
    exp_begin(&w, EXP_FMT_CSV, false, &out);
    exp_tech(&w, &t, &out);
    exp_tech(&w, &plain, &out);
    exp_end(&w, &out);
    /* The header is the importer's canonical names; lines end in CRLF. */
    static const char hdr[] = "external_id,title,title_en,summary,description,keywords,field,ipc,"
                              "trl,licence,asking,status,institution,inventors,contact,patents\r\n";
    CHECK(out.len > sizeof hdr && memcmp(out.p, hdr, sizeof hdr - 1) == 0);
    /* The list with a ';' entry is a JSON array; the others are joined. */
    CHECK(strstr(out.p, "\"[\"\"의료기기\"\",\"\"a;b\"\",\"\"[bracket]\"\"]\"") != NULL);
    CHECK(strstr(out.p, ",A61B 5/00; G06F 17/00,7,exclusive; joint-research,") != NULL);
    CHECK(strstr(out.p, "\"첫 줄\n둘째 줄, 쉼표\n\t\"\"인용\"\"\"") != NULL);
    CHECK(strstr(out.p, ",withdrawn,") != NULL);
    size_t n = read_csv(out.p, out.len, back, 3);
    CHECK(n == 2);
    if (n == 2) {
        check_same(&t, &back[0]);
        check_same(&plain, &back[1]);
        CHECK(back[1].status == IDX_STATUS_AVAILABLE && back[1].keywords.n == 0);
    }
    for (size_t i = 0; i < n; i++)
        idx_tech_clear(&back[i]);
    idx_tech_clear(&t);
    idx_tech_clear(&plain);
    tm_buf_free(&out);
}

/* The importer's side: a list cell is a JSON array of strings, or text split
 * at ';' (also when it only looks like JSON). */
TM_TEST(list_cells_are_json_arrays_or_split_at_semicolons)
{
    static const char *const cases[][2] = {
        {"[\"a;b\", \"c\"]", "[\"a;b\",\"c\"]"},      {" [\"x\"]", "[\"x\"]"},
        {"[broken; json", "[\"[broken\",\" json\"]"}, {"[1, 2]", "[\"[1, 2]\"]"},
        {"a; b;c", "[\"a\",\" b\",\"c\"]"},
    };
    tm_str names[] = {TM_STR_LIT("title"), TM_STR_LIT("institution"), TM_STR_LIT("keywords")};
    imp_rec_cols cols = {0};
    tm_err err = {0};
    CHECK(imp_rec_cols_init(&cols, names, 3, false, &err) == TM_OK);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tm_str cells[] = {TM_STR_LIT("t"), TM_STR_LIT("i"), tm_str_from(cases[i][0])};
        json_t *obj = NULL;
        CHECK(imp_rec_from_row(&cols, cells, 3, &obj, &err) == TM_OK);
        char *got = json_dumps(json_object_get(obj, "keywords"), JSON_COMPACT);
        CHECK_STR(got ? got : "(null)", cases[i][1]);
        free(got);
        json_decref(obj);
    }
    imp_rec_cols_free(&cols);
}

TM_TEST(a_bom_is_written_only_when_asked)
{
    tm_buf out = {0};
    exp_writer w;
    exp_begin(&w, EXP_FMT_CSV, true, &out);
    CHECK(out.len > 3 && memcmp(out.p,
                                "\xEF\xBB\xBF"
                                "external_id,",
                                15) == 0);
    tm_buf_reset(&out);
    exp_begin(&w, EXP_FMT_CSV, false, &out);
    CHECK(out.len > 0 && memcmp(out.p, "external_id,", 12) == 0);
    tm_buf_reset(&out);
    exp_begin(&w, EXP_FMT_JSONL, true, &out);
    CHECK(out.len == 3 && memcmp(out.p, "\xEF\xBB\xBF", 3) == 0);
    tm_buf_free(&out);
}

TM_TEST(jsonl_and_json_read_back_as_the_same_record)
{
    idx_tech t, back;
    tm_buf out = {0};
    exp_writer w;
    json_error_t je;
    edge_tech(&t);

    exp_begin(&w, EXP_FMT_JSONL, false, &out);
    exp_tech(&w, &t, &out);
    exp_tech(&w, &t, &out);
    exp_end(&w, &out);
    /* One record a line: the newline in the summary is escaped. */
    size_t lines = 0;
    for (size_t i = 0; i < out.len; i++)
        lines += out.p[i] == '\n';
    CHECK(lines == 2 && out.p[out.len - 1] == '\n');
    const char *nl = memchr(out.p, '\n', out.len);
    json_t *obj = json_loadb(out.p, (size_t)(nl - out.p), 0, &je);
    CHECK(obj != NULL);
    tm_err err = {0};
    CHECK(imp_rec_tech(obj, NULL, &back, &err) == TM_OK);
    check_same(&t, &back);
    CHECK(json_integer_value(json_object_get(obj, "trl")) == 7);
    json_decref(obj);
    idx_tech_clear(&back);

    tm_buf_reset(&out);
    exp_begin(&w, EXP_FMT_JSON, false, &out);
    exp_tech(&w, &t, &out);
    exp_tech(&w, &t, &out);
    exp_end(&w, &out);
    json_t *arr = json_loadb(out.p, out.len, 0, &je);
    CHECK(json_is_array(arr) && json_array_size(arr) == 2);
    CHECK(imp_rec_tech(json_array_get(arr, 1), NULL, &back, &err) == TM_OK);
    check_same(&t, &back);
    json_decref(arr);
    idx_tech_clear(&back);

    /* An empty export is still a valid file. */
    tm_buf_reset(&out);
    exp_begin(&w, EXP_FMT_JSON, false, &out);
    exp_end(&w, &out);
    arr = json_loadb(out.p, out.len, 0, &je);
    CHECK(json_is_array(arr) && json_array_size(arr) == 0);
    json_decref(arr);
    idx_tech_clear(&t);
    tm_buf_free(&out);
}

TM_TEST(absent_fields_are_left_out_and_formats_are_named)
{
    idx_tech t;
    tm_buf out = {0};
    exp_writer w;
    idx_tech_init(&t);
    t.title = tm_xstrdup("t");
    t.institution = tm_xstrdup("i");
    exp_begin(&w, EXP_FMT_JSONL, false, &out);
    exp_tech(&w, &t, &out);
    CHECK_STR(tm_buf_cstr(&out),
              "{\"title\":\"t\",\"status\":\"available\",\"institution\":\"i\"}\n");
    tm_buf_reset(&out);
    exp_begin(&w, EXP_FMT_CSV, false, &out);
    tm_buf_reset(&out);
    exp_tech(&w, &t, &out);
    CHECK_STR(tm_buf_cstr(&out), ",t,,,,,,,,,,available,i,,,\r\n");
    idx_tech_clear(&t);
    tm_buf_free(&out);

    exp_format f = EXP_FMT_JSON;
    tm_err err = {0};
    CHECK(exp_format_parse("jsonl", &f, &err) == TM_OK && f == EXP_FMT_JSONL);
    CHECK(exp_format_parse("xlsx", &f, &err) == TM_EINVAL);
    CHECK_STR(err.field, "format");
    CHECK(exp_format_parse(NULL, &f, &err) == TM_EINVAL);
    CHECK_STR(exp_content_type(EXP_FMT_CSV), "text/csv; charset=utf-8");
    CHECK_STR(exp_content_type(EXP_FMT_JSONL), "application/x-ndjson");
}

TM_TEST_MAIN()
