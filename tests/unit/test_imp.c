/* The importer: whole files into a real temporary database (idempotency,
 * dry runs, rejected records, a full or locked database). Encodings, .xls
 * and the arena hooks are in test_imp_formats.c; the readers and the
 * validator alone in test_imp_read.c. Run from the repository root
 * (tests/run.sh). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../common/tm_alloc.h"
#include "../../common/tm_buf.h"
#include "../../common/tm_utf8.h"
#include "../../import/imp.h"
#include "../../import/imp_csv.h"
#include "../../import/imp_json.h"
#include "../../import/imp_rec.h"
#include "../../index/idx_db.h"
#include "../../index/idx_enum.h"
#include "../../index/idx_inst.h"
#include "../../index/idx_tech.h"
#include "../tm_test.h"
#include "../tm_testdb.h"
#include "../tm_testimp.h"

#define DEMO_TECH "data/demo/technologies.jsonl"
#define DEMO_INST "data/demo/institutions.jsonl"
#define DATA "tests/data/"

#define db_path tm_testdb_path

static idx_db *fresh_db(void)
{
    return tm_testdb_open("imp");
}

static void drop_db(idx_db *db)
{
    tm_testdb_drop(db);
}

static int64_t tech_count(idx_db *db)
{
    int64_t n = -1;
    tm_err err = {0};
    CHECK(idx_tech_count(db, &n, &err) == TM_OK);
    return n;
}

static size_t inst_count(idx_db *db)
{
    idx_inst *v = NULL;
    size_t n = 0;
    tm_err err = {0};
    CHECK(idx_inst_list(db, &v, &n, &err) == TM_OK);
    for (size_t i = 0; i < n; i++)
        idx_inst_clear(&v[i]);
    free(v);
    return n;
}

/* The stored technology with this external id (t is then the caller's). */
static bool get_by_ext(idx_db *db, const char *ext, idx_tech *t)
{
    sqlite3_stmt *s = NULL;
    int64_t id = 0;
    tm_err err = {0};
    sqlite3_prepare_v2(db->h, "SELECT id FROM technology WHERE external_id = ?1", -1, &s, NULL);
    sqlite3_bind_text(s, 1, ext, -1, SQLITE_STATIC);
    if (sqlite3_step(s) == SQLITE_ROW) id = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    idx_tech_init(t);
    return id && idx_tech_get(db, id, t, &err) == TM_OK;
}

/* The issue of a rejected record on line, or NULL. */
static const imp_issue *issue_at(const imp_report *rep, size_t line)
{
    for (size_t i = 0; i < rep->nissues; i++)
        if (rep->issues[i].line == line && !rep->issues[i].warning) return &rep->issues[i];
    return NULL;
}

/* ---- the CSV reader alone ---- */

TM_TEST(format_is_chosen_by_extension)
{
    imp_format fmt;
    tm_err err = {0};
    CHECK(imp_format_of("a/b.jsonl", &fmt, &err) == TM_OK && fmt == IMP_FMT_JSONL);
    CHECK(imp_format_of("b.ndjson", &fmt, &err) == TM_OK && fmt == IMP_FMT_JSONL);
    CHECK(imp_format_of("b.json", &fmt, &err) == TM_OK && fmt == IMP_FMT_JSON);
    CHECK(imp_format_of("B.CSV", &fmt, &err) == TM_OK && fmt == IMP_FMT_CSV);
    CHECK(imp_format_of("dir.csv/b.txt", &fmt, &err) == TM_EINVAL);
    CHECK_STR(err.field, "file");
    CHECK(imp_format_of("noext", &fmt, &err) == TM_EINVAL);
}

/* Lines and distinct external ids of a JSON Lines file, read apart from the
 * importer (the demo catalogue repeats some records verbatim). */
static void count_ids(const char *path, size_t *lines, size_t *distinct)
{
    FILE *f = fopen(path, "rb");
    json_t *seen = json_object();
    char *line = NULL;
    size_t cap = 0;
    *lines = 0;
    CHECK(f != NULL);
    while (f && getline(&line, &cap, f) > 0) {
        json_t *o = json_loads(line, 0, NULL);
        const char *id = json_string_value(json_object_get(o, "external_id"));
        CHECK(id != NULL);
        if (id) json_object_set_new(seen, id, json_true());
        json_decref(o);
        (*lines)++;
    }
    *distinct = json_object_size(seen);
    free(line);
    json_decref(seen);
    if (f) fclose(f);
}

TM_TEST(demo_catalogue_imports_with_nothing_rejected_and_reimports_unchanged)
{
    idx_db *db = fresh_db();
    imp_report rep = {0};
    tm_err err = {0};
    size_t lines = 0, distinct = 0;
    count_ids(DEMO_TECH, &lines, &distinct);
    CHECK(lines == 3027);
    CHECK(imp_file(db, DEMO_TECH, NULL, &rep, &err) == TM_OK);
    CHECK(rep.rejected == 0 && rep.updated == 0 && rep.nissues == 0);
    /* A record repeated verbatim later in the file is unchanged the second time. */
    CHECK(rep.added == distinct && rep.unchanged == lines - distinct);
    if (rep.nissues) imp_report_print(&rep, NULL, stderr);
    CHECK(tech_count(db) == (int64_t)distinct);
    imp_report_free(&rep);
    CHECK(imp_file(db, DEMO_TECH, NULL, &rep, &err) == TM_OK);
    CHECK(rep.unchanged == lines && rep.added == 0 && rep.updated == 0 && rep.rejected == 0);
    CHECK(rep.nnew_institutions == 0);
    CHECK(tech_count(db) == (int64_t)distinct);
    imp_report_free(&rep);

    /* The same records as CSV (patent_* columns, CRLF, quoted text) are the
     * same records: nothing changes. */
    CHECK(imp_file(db, DATA "demo_sample.csv", NULL, &rep, &err) == TM_OK);
    CHECK(rep.unchanged == 4 && rep.added == 0 && rep.updated == 0 && rep.rejected == 0);
    if (rep.nissues) imp_report_print(&rep, NULL, stderr);
    imp_report_free(&rep);
    drop_db(db);
}

TM_TEST(demo_institutions_import_then_reimport_unchanged_and_a_change_updates)
{
    idx_db *db = fresh_db();
    imp_report rep = {0};
    tm_err err = {0};
    FILE *f = fopen(DEMO_INST, "rb");
    CHECK(f && imp_institutions(db, f, DEMO_INST, &rep, &err) == TM_OK);
    CHECK(rep.added == 281 && rep.rejected == 0 && rep.nissues == 0);
    CHECK(inst_count(db) == 281);
    imp_report_free(&rep);
    rewind(f);
    CHECK(imp_institutions(db, f, DEMO_INST, &rep, &err) == TM_OK);
    CHECK(rep.unchanged == 281 && rep.added == 0 && rep.updated == 0);
    imp_report_free(&rep);
    fclose(f);

    const char *text = "{\"name\": \"고려대학교\", \"name_en\": \"Korea University\","
                       " \"kind\": \"university\", \"groups\": [\"forum\"]}\n"
                       "{\"name\": \"새연구소\", \"kind\": \"lab\"}\n"
                       "{\"name\": \"새연구소\", \"kind\": \"research-institute\", \"www\": 1}\n";
    f = fmemopen((void *)text, strlen(text), "rb");
    CHECK(imp_institutions(db, f, "inst.jsonl", &rep, &err) == TM_OK);
    fclose(f);
    CHECK(rep.updated == 1 && rep.added == 1 && rep.rejected == 1 && rep.warnings == 1);
    char *out = tm_testimp_report(&rep);
    CHECK(tm_testimp_has_line(out, "inst.jsonl:2: kind: \"lab\" is not one of: university, "
                                   "research-institute, company, agency, other"));
    CHECK(tm_testimp_has_line(out, "warning: inst.jsonl:3: www: unknown field; ignored"));
    free(out);
    imp_report_free(&rep);

    idx_inst *v = NULL;
    size_t n = 0;
    CHECK(idx_inst_list(db, &v, &n, &err) == TM_OK);
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(v[i].name, "고려대학교"))
            CHECK(v[i].groups.n == 1 && !strcmp(v[i].groups.v[0], "forum"));
        if (!strcmp(v[i].name, "새연구소")) CHECK(v[i].kind == IDX_KIND_RESEARCH_INSTITUTE);
        idx_inst_clear(&v[i]);
    }
    free(v);
    drop_db(db);
}

TM_TEST(good_jsonl_stores_every_field)
{
    idx_db *db = fresh_db();
    imp_report rep = {0};
    tm_err err = {0};
    idx_tech t;
    CHECK(imp_file(db, DATA "good.jsonl", NULL, &rep, &err) == TM_OK);
    CHECK(rep.added == 3 && rep.rejected == 0 && rep.nissues == 0);
    CHECK(rep.nnew_institutions == 2);
    char *out = tm_testimp_report(&rep);
    CHECK(tm_testimp_has_line(out,
                              "3 added, 0 updated, 0 unchanged, 0 rejected; 2 new institutions: "
                              "테스트대학교 | Test Institute of Technology"));
    free(out);
    imp_report_free(&rep);

    CHECK(get_by_ext(db, "good-1", &t));
    CHECK_STR(t.title, "스프레이 분사를 이용한 그래핀 전극의 제조방법");
    CHECK_STR(t.title_en, "Graphene electrode by spray");
    CHECK_STR(t.summary, "첫 줄\n둘째 줄\t탭");
    CHECK(t.keywords.n == 2 && !strcmp(t.keywords.v[1], "슈퍼커패시터"));
    CHECK(t.field == IDX_FIELD_ENERGY && t.trl == 4 && t.status == IDX_STATUS_AVAILABLE);
    CHECK(t.licence == ((1u << IDX_LICENCE_EXCLUSIVE) | (1u << IDX_LICENCE_JOINT_RESEARCH)));
    CHECK(t.ipc.n == 1 && !strcmp(t.ipc.v[0], "H01G 11/86"));
    CHECK_STR(t.asking, "협의");
    CHECK_STR(t.contact, "tto@example.ac.kr");
    CHECK_STR(t.institution, "테스트대학교");
    CHECK(t.inventors.n == 2 && !strcmp(t.inventors.v[0], "안호선"));
    CHECK(t.npatents == 1);
    if (t.npatents == 1) {
        CHECK_STR(t.patents[0].number, "10-2016-0138184");
        CHECK_STR(t.patents[0].filed, "2016-10-24");
        CHECK_STR(t.patents[0].registered, "2018-04-02");
        CHECK_STR(t.patents[0].registration_number, "10-1846363");
        CHECK_STR(t.patents[0].status, "registered");
    }
    idx_tech_clear(&t);
    CHECK(get_by_ext(db, "good-2", &t));
    CHECK(t.trl == 0 && t.status == IDX_STATUS_NEGOTIATING && t.field == IDX_FIELD_ICT);
    CHECK(t.summary == NULL && t.npatents == 0);
    idx_tech_clear(&t);
    CHECK(get_by_ext(db, "good-3", &t));
    CHECK(t.npatents == 2 && t.status == IDX_STATUS_LICENSED);
    idx_tech_clear(&t);
    drop_db(db);
}

TM_TEST(good_json_array_is_read_element_by_element)
{
    idx_db *db = fresh_db();
    imp_report rep = {0};
    tm_err err = {0};
    idx_tech t;
    CHECK(imp_file(db, DATA "good.json", NULL, &rep, &err) == TM_OK);
    CHECK(rep.added == 3 && rep.rejected == 0 && rep.nissues == 0);
    imp_report_free(&rep);
    CHECK(get_by_ext(db, "arr-1", &t));
    CHECK_STR(t.title, "배열 첫 기술, with a ] and a } in a string");
    CHECK(t.keywords.n == 3 && !strcmp(t.keywords.v[2], "\"quoted\""));
    CHECK(t.field == IDX_FIELD_MATERIALS && t.trl == 3);
    idx_tech_clear(&t);
    CHECK(get_by_ext(db, "arr-2", &t));
    CHECK_STR(t.title, "Second \\ element");
    idx_tech_clear(&t);
    drop_db(db);
}

TM_TEST(good_csv_keeps_quoted_commas_newlines_quotes_and_splits_lists)
{
    idx_db *db = fresh_db();
    imp_report rep = {0};
    tm_err err = {0};
    idx_tech t;
    CHECK(imp_file(db, DATA "good.csv", NULL, &rep, &err) == TM_OK);
    CHECK(rep.added == 3 && rep.rejected == 0 && rep.nissues == 0);
    if (rep.nissues) imp_report_print(&rep, NULL, stderr);
    imp_report_free(&rep);
    CHECK(get_by_ext(db, "csv-1", &t));
    CHECK_STR(t.title, "Sensor, low-power");
    CHECK_STR(t.summary, "Line one\nLine two, with a comma and \"quotes\"");
    CHECK(t.keywords.n == 3);
    if (t.keywords.n == 3) {
        CHECK_STR(t.keywords.v[0], "센서");
        CHECK_STR(t.keywords.v[1], "저전력");
        CHECK_STR(t.keywords.v[2], "IoT");
    }
    CHECK(t.trl == 4 && t.field == IDX_FIELD_ELECTRONICS);
    CHECK(t.licence == ((1u << IDX_LICENCE_EXCLUSIVE) | (1u << IDX_LICENCE_NON_EXCLUSIVE)));
    CHECK(t.inventors.n == 2 && !strcmp(t.inventors.v[1], "김철수"));
    CHECK(t.npatents == 1 && !strcmp(t.patents[0].number, "10-2020-0000001"));
    idx_tech_clear(&t);
    CHECK(get_by_ext(db, "csv-2", &t));
    CHECK(t.summary == NULL && t.keywords.n == 0 && t.trl == 0 && t.licence == 0);
    idx_tech_clear(&t);
    CHECK(get_by_ext(db, "csv-3", &t));
    CHECK_STR(t.title, "The \"best\" method");
    CHECK(t.trl == 9);
    CHECK_STR(t.institution, "Test Institute of Technology");
    idx_tech_clear(&t);
    drop_db(db);
}

TM_TEST(csv_with_bom_and_crlf_imports_with_crlf_inside_quotes_as_a_newline)
{
    idx_db *db = fresh_db();
    imp_report rep = {0};
    tm_err err = {0};
    CHECK(imp_file(db, DATA "crlf_bom.csv", NULL, &rep, &err) == TM_OK);
    CHECK(rep.added == 2 && rep.rejected == 0 && rep.nissues == 0);
    imp_report_free(&rep);
    sqlite3_stmt *s = NULL;
    sqlite3_prepare_v2(db->h, "SELECT title, summary, trl FROM technology ORDER BY id", -1, &s,
                       NULL);
    CHECK(sqlite3_step(s) == SQLITE_ROW);
    CHECK_STR((const char *)sqlite3_column_text(s, 0), "CRLF one");
    CHECK_STR((const char *)sqlite3_column_text(s, 1), "two\nlines");
    CHECK(sqlite3_column_int(s, 2) == 5);
    CHECK(sqlite3_step(s) == SQLITE_ROW);
    CHECK_STR((const char *)sqlite3_column_text(s, 0), "CRLF two");
    sqlite3_finalize(s);
    drop_db(db);
}

TM_TEST(mixed_jsonl_rejects_bad_lines_with_file_line_field_and_message)
{
    idx_db *db = fresh_db();
    imp_report rep = {0};
    tm_err err = {0};
    CHECK(imp_file(db, DATA "mixed.jsonl", NULL, &rep, &err) == TM_OK);
    CHECK(rep.added == 4 && rep.rejected == 8 && rep.warnings == 1);
    CHECK(tech_count(db) == 4);
    char *out = tm_testimp_report(&rep);
    CHECK(tm_testimp_has_line(out, "mixed.jsonl:4: trl: \"ten\" is not an integer 1-9"));
    CHECK(tm_testimp_has_line(out, "mixed.jsonl:5: title: is required"));
    CHECK(strstr(out, "\nmixed.jsonl:6: field: \"biology\" is not one of: bio-medical, ict,"));
    CHECK(strstr(out, "\nmixed.jsonl:7: invalid JSON at column "));
    CHECK(tm_testimp_has_line(out, "mixed.jsonl:8: expected a JSON object, found an array"));
    CHECK(tm_testimp_has_line(
        out, "mixed.jsonl:10: status: \"sold\" is not one of: available, negotiating, "
             "licensed, withdrawn"));
    CHECK(
        tm_testimp_has_line(out, "mixed.jsonl:11: patents[0].filed: \"2019/13/02\" is not a date"));
    CHECK(tm_testimp_has_line(out, "mixed.jsonl:12: external_id: 12 is not a string"));
    /* One warning per unknown name per file, at its first line. */
    CHECK(tm_testimp_has_line(out, "warning: mixed.jsonl:2: colour: unknown field; ignored"));
    CHECK(strstr(out, "mixed.jsonl:9: colour") == NULL);
    CHECK(tm_testimp_has_line(out,
                              "4 added, 0 updated, 0 unchanged, 8 rejected; 1 new institution: "
                              "테스트대학교"));
    const imp_issue *is = issue_at(&rep, 7);
    CHECK(is && is->field[0] == '\0' && !is->warning);
    free(out);
    imp_report_free(&rep);
    idx_tech t;
    CHECK(get_by_ext(db, "mx-13", &t));
    CHECK_STR(t.title, "Thirteenth, CRLF");
    idx_tech_clear(&t);
    drop_db(db);
}

TM_TEST(bad_csv_rejects_each_bad_row_by_the_line_it_starts_on)
{
    idx_db *db = fresh_db();
    imp_report rep = {0};
    tm_err err = {0};
    CHECK(imp_file(db, DATA "bad.csv", NULL, &rep, &err) == TM_OK);
    CHECK(rep.added == 2 && rep.rejected == 8);
    char *out = tm_testimp_report(&rep);
    CHECK(tm_testimp_has_line(out, "bad.csv:3: trl: \"ten\" is not an integer 1-9"));
    CHECK(tm_testimp_has_line(out, "bad.csv:4: trl: \"4.5\" is not an integer 1-9"));
    CHECK(tm_testimp_has_line(out, "bad.csv:5: trl: \"0\" is not an integer 1-9"));
    CHECK(tm_testimp_has_line(out, "bad.csv:6: trl: \"10\" is not an integer 1-9"));
    CHECK(tm_testimp_has_line(out, "bad.csv:7: title: is required"));
    CHECK(strstr(out, "\nbad.csv:8: field: \"biology\" is not one of:"));
    CHECK(tm_testimp_has_line(out, "bad.csv:9: the row has 6 fields; the header has 5"));
    CHECK(tm_testimp_has_line(
        out, "bad.csv:12: summary: the quoted field opened on line 12 is not closed "
             "at the end of the file"));
    free(out);
    imp_report_free(&rep);
    sqlite3_stmt *s = NULL;
    sqlite3_prepare_v2(db->h, "SELECT summary FROM technology WHERE title = 'Another good'", -1, &s,
                       NULL);
    CHECK(sqlite3_step(s) == SQLITE_ROW);
    CHECK_STR((const char *)sqlite3_column_text(s, 0), "multi\nline");
    sqlite3_finalize(s);
    drop_db(db);
}

TM_TEST(csv_cells_must_be_utf8_and_unknown_columns_warn_once)
{
    idx_db *db = fresh_db();
    imp_report rep = {0};
    tm_err err = {0};
    const char *text = "title,institution,colour,,trl\n"
                       "Good,I,red,,1\n"
                       "Bad \xff byte,I,,,2\n"
                       "Also good,I,blue,,3\n";
    CHECK(tm_testimp_text(db, "u.csv", IMP_FMT_CSV, text, NULL, &rep, &err) == TM_OK);
    CHECK(rep.added == 2 && rep.rejected == 1 && rep.warnings == 2);
    char *out = tm_testimp_report(&rep);
    CHECK(tm_testimp_has_line(
        out, "u.csv:3: title: is not valid UTF-8 (if the file is CP949/EUC-KR, name its "
             "encoding: --encoding cp949)"));
    CHECK(tm_testimp_has_line(out, "warning: u.csv:1: column 4: has no name; ignored"));
    CHECK(tm_testimp_has_line(out, "warning: u.csv:2: colour: unknown field; ignored"));
    free(out);
    imp_report_free(&rep);
    drop_db(db);
}

TM_TEST(csv_header_without_title_or_with_a_duplicate_fails_the_file)
{
    idx_db *db = fresh_db();
    imp_report rep = {0};
    tm_err err = {0};
    CHECK(tm_testimp_text(db, "h.csv", IMP_FMT_CSV, "name,institution\nX,I\n", NULL, &rep, &err) ==
          TM_EINVAL);
    CHECK_STR(err.field, "header");
    CHECK_STR(err.msg, "there is no \"title\" column: none of name, institution is a title "
                       "(title, 기술명, 발명의명칭, 특허명, 성과명, ...)");
    CHECK(tm_testimp_text(db, "h.csv", IMP_FMT_CSV, "title,institution,title\nX,I,Y\n", NULL, &rep,
                          &err) == TM_EINVAL);
    CHECK_STR(err.msg, "column \"title\" appears twice");
    CHECK(rep.added == 0 && rep.rejected == 0 && tech_count(db) == 0);
    imp_report_free(&rep);
    drop_db(db);
}

TM_TEST(empty_files_and_a_header_alone_import_nothing_with_a_warning)
{
    idx_db *db = fresh_db();
    imp_report rep = {0};
    tm_err err = {0};
    CHECK(imp_file(db, DATA "empty.jsonl", NULL, &rep, &err) == TM_OK);
    CHECK(imp_file(db, DATA "header_only.csv", NULL, &rep, &err) == TM_OK);
    CHECK(tm_testimp_text(db, "blank.jsonl", IMP_FMT_JSONL, "\n  \n\r\n", NULL, &rep, &err) ==
          TM_OK);
    CHECK(tm_testimp_text(db, "e.json", IMP_FMT_JSON, " [ ] ", NULL, &rep, &err) == TM_OK);
    CHECK(tm_testimp_text(db, "e.csv", IMP_FMT_CSV, "\n", NULL, &rep, &err) == TM_OK);
    CHECK(rep.added == 0 && rep.rejected == 0 && rep.warnings == 5);
    char *out = tm_testimp_report(&rep);
    CHECK(tm_testimp_has_line(out, "warning: empty.jsonl: no records"));
    CHECK(tm_testimp_has_line(out, "warning: header_only.csv: no records"));
    CHECK(tm_testimp_has_line(out, "0 added, 0 updated, 0 unchanged, 0 rejected"));
    free(out);
    imp_report_free(&rep);
    CHECK(tech_count(db) == 0);
    drop_db(db);
}

TM_TEST(json_file_that_is_not_an_array_fails_and_a_broken_array_keeps_what_came_before)
{
    idx_db *db = fresh_db();
    imp_report rep = {0};
    tm_err err = {0};
    CHECK(tm_testimp_text(db, "o.json", IMP_FMT_JSON, "{\"title\": \"T\", \"institution\": \"I\"}",
                          NULL, &rep, &err) == TM_EINVAL);
    CHECK(strstr(err.msg, "expected '['") != NULL);
    CHECK(tech_count(db) == 0 && rep.nissues == 0);
    const char *text = "[{\"title\": \"A\", \"institution\": \"I\"},\n"
                       " {\"title\": \"B\", \"institution\": \"I\"}\n"
                       " {\"title\": \"C\", \"institution\": \"I\"}]";
    CHECK(tm_testimp_text(db, "b.json", IMP_FMT_JSON, text, NULL, &rep, &err) == TM_OK);
    CHECK(rep.added == 2 && rep.rejected == 1);
    const imp_issue *is = issue_at(&rep, 3);
    CHECK(is && strstr(is->msg, "expected ',' or ']'") != NULL);
    imp_report_free(&rep);
    CHECK(tm_testimp_text(db, "t.json", IMP_FMT_JSON,
                          "[{\"title\": \"D\", \"institution\": \"I\"}, {\"title\": \"E\", \"inst",
                          NULL, &rep, &err) == TM_OK);
    CHECK(rep.added == 1 && rep.rejected == 1);
    imp_report_free(&rep);
    CHECK(tech_count(db) == 3);
    drop_db(db);
}

TM_TEST(same_file_twice_is_unchanged_and_a_changed_title_updates_and_bumps_the_version)
{
    idx_db *db = fresh_db();
    imp_report rep = {0};
    tm_err err = {0};
    idx_tech t;
    CHECK(imp_file(db, DATA "good.jsonl", NULL, &rep, &err) == TM_OK && rep.added == 3);
    imp_report_free(&rep);
    CHECK(imp_file(db, DATA "good.jsonl", NULL, &rep, &err) == TM_OK);
    CHECK(rep.unchanged == 3 && rep.added == 0 && rep.updated == 0);
    imp_report_free(&rep);
    CHECK(get_by_ext(db, "good-2", &t) && t.version == 1);
    idx_tech_clear(&t);
    const char *text = "{\"external_id\": \"good-2\", \"title\": \"A better title\", \"field\": "
                       "\"ict\", \"status\": \"negotiating\", \"institution\": "
                       "\"Test Institute of Technology\", \"licence\": [\"non-exclusive\"]}\n";
    CHECK(tm_testimp_text(db, "change.jsonl", IMP_FMT_JSONL, text, NULL, &rep, &err) == TM_OK);
    CHECK(rep.updated == 1 && rep.added == 0 && rep.unchanged == 0);
    imp_report_free(&rep);
    CHECK(get_by_ext(db, "good-2", &t));
    CHECK_STR(t.title, "A better title");
    CHECK(t.version == 2);
    idx_tech_clear(&t);
    CHECK(tech_count(db) == 3);
    drop_db(db);
}

TM_TEST(dry_run_counts_as_usual_and_leaves_the_database_unchanged)
{
    idx_db *db = fresh_db();
    imp_report rep = {0};
    tm_err err = {0};
    imp_opts opts = {.dry_run = true};
    int64_t gen0 = 0, gen1 = 0;
    CHECK(idx_db_catalogue_gen(db, &gen0, &err) == TM_OK);
    CHECK(imp_file(db, DATA "mixed.jsonl", &opts, &rep, &err) == TM_OK);
    CHECK(rep.added == 4 && rep.rejected == 8 && rep.nnew_institutions == 1);
    imp_report_free(&rep);
    CHECK(tech_count(db) == 0 && inst_count(db) == 0);
    CHECK(idx_db_catalogue_gen(db, &gen1, &err) == TM_OK && gen1 == gen0);
    /* A real import afterwards still adds them. */
    CHECK(imp_file(db, DATA "mixed.jsonl", NULL, &rep, &err) == TM_OK && rep.added == 4);
    imp_report_free(&rep);
    drop_db(db);
}

TM_TEST(a_record_failing_in_the_database_is_rolled_back_alone)
{
    idx_db *db = fresh_db();
    imp_report rep = {0};
    tm_err err = {0};
    CHECK(sqlite3_exec(db->h,
                       "CREATE TEMP TRIGGER boom BEFORE INSERT ON technology"
                       " WHEN new.title = 'boom' BEGIN SELECT RAISE(ABORT, 'boom'); END",
                       NULL, NULL, NULL) == SQLITE_OK);
    const char *text = "{\"title\": \"first\", \"institution\": \"I\", \"patents\": [{\"number\": "
                       "\"1\"}]}\n"
                       "{\"title\": \"boom\", \"institution\": \"New Place\", \"patents\": "
                       "[{\"number\": \"2\"}]}\n"
                       "{\"title\": \"third\", \"institution\": \"I\"}\n";
    CHECK(tm_testimp_text(db, "db.jsonl", IMP_FMT_JSONL, text, NULL, &rep, &err) == TM_OK);
    CHECK(rep.added == 2 && rep.rejected == 1);
    const imp_issue *is = issue_at(&rep, 2);
    CHECK(is && is->msg[0] != '\0');
    /* Its institution, created inside the failed savepoint, is gone too. */
    CHECK(rep.nnew_institutions == 1 && !strcmp(rep.new_institutions[0], "I"));
    imp_report_free(&rep);
    CHECK(tech_count(db) == 2 && inst_count(db) == 1);
    sqlite3_stmt *s = NULL;
    sqlite3_prepare_v2(db->h, "SELECT count(*) FROM patent", -1, &s, NULL);
    CHECK(sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int(s, 0) == 1);
    sqlite3_finalize(s);
    drop_db(db);
}

/* Records that fail in the database among thousands of good ones, invalid
 * ones and ones with unknown fields: the file is read by one thread and
 * written by another, through a queue that fills many times over, and the
 * report is still the one issue per record in line order (a record's
 * warnings before its rejection), the database exactly the good records. */
TM_TEST(database_failures_deep_in_a_long_file_are_reported_in_line_order)
{
    enum { N = 3000 };
    idx_db *db = fresh_db();
    imp_report rep = {0};
    tm_err err = {0};
    tm_buf b = {0};
    CHECK(sqlite3_exec(db->h,
                       "CREATE TEMP TRIGGER boom BEFORE INSERT ON technology"
                       " WHEN new.title = 'boom' BEGIN SELECT RAISE(ABORT, 'boom'); END",
                       NULL, NULL, NULL) == SQLITE_OK);
    for (int i = 1; i <= N; i++) {
        char rec[200];
        bool boom = i % 101 == 0, bad = i % 157 == 0, note = i % 500 == 0;
        (void)snprintf(
            rec, sizeof rec,
            "{\"external_id\": \"e-%d\", \"title\": \"%s\", \"institution\": \"I\"%s%s}\n", i,
            boom ? "boom" : "fine", bad ? ", \"trl\": 0, \"x\": 1" : "",
            note ? ", \"note\": \"n\"" : "");
        tm_buf_puts(&b, rec);
    }
    for (int pass = 0; pass < 2; pass++) {
        imp_opts opts = {.dry_run = pass == 0};
        CHECK(tm_testimp_text(db, "long.jsonl", IMP_FMT_JSONL, b.p, &opts, &rep, &err) == TM_OK);
        /* What the file says, line by line. */
        size_t added = 0, rejected = 0, k = 0;
        bool order_ok = true, saw_x = false, saw_note = false;
        for (int i = 1; i <= N; i++) {
            bool boom = i % 101 == 0, bad = i % 157 == 0, note = i % 500 == 0;
            const char *expect[3][2];
            size_t ne = 0;
            if (bad && !saw_x) {
                expect[ne][0] = "x";
                expect[ne++][1] = "w";
                saw_x = true;
            }
            if (note && !saw_note) {
                expect[ne][0] = "note";
                expect[ne++][1] = "w";
                saw_note = true;
            }
            if (bad) {
                expect[ne][0] = "trl";
                expect[ne++][1] = "r";
            } else if (boom) {
                expect[ne][0] = NULL;
                expect[ne++][1] = "r";
            }
            if (!bad && !boom) added++;
            rejected += bad || boom;
            for (size_t e = 0; e < ne; e++, k++) {
                const imp_issue *is = k < rep.nissues ? &rep.issues[k] : NULL;
                bool ok = is && is->line == (size_t)i && is->warning == (expect[e][1][0] == 'w') &&
                          is->msg[0] && (!expect[e][0] || !strcmp(is->field, expect[e][0]));
                if (!ok && order_ok) {
                    fprintf(stderr, "pass %d: issue %zu: expected line %d (%s %s)\n", pass, k, i,
                            expect[e][1], expect[e][0] ? expect[e][0] : "db");
                    order_ok = false;
                }
            }
        }
        CHECK(order_ok);
        CHECK(k == rep.nissues);
        CHECK(rep.added == added && rep.rejected == rejected && rep.warnings == 2);
        CHECK(rep.updated == 0 && rep.unchanged == 0);
        /* Only the good records are stored, and only by the real import. */
        CHECK(tech_count(db) == (pass == 0 ? 0 : (int64_t)added));
        imp_report_free(&rep);
    }
    idx_tech t;
    CHECK(get_by_ext(db, "e-100", &t) && !strcmp(t.title, "fine"));
    idx_tech_clear(&t);
    CHECK(!get_by_ext(db, "e-101", &t));
    idx_tech_clear(&t);
    CHECK(!get_by_ext(db, "e-157", &t));
    idx_tech_clear(&t);
    CHECK(get_by_ext(db, "e-3000", &t));
    idx_tech_clear(&t);
    tm_buf_free(&b);
    drop_db(db);
}

TM_TEST(a_forced_institution_owns_every_record_and_rejects_another)
{
    idx_db *db = fresh_db();
    imp_report rep = {0};
    tm_err err = {0};
    idx_inst in = {
        .name = "테스트대학교", .name_en = "Test University", .kind = IDX_KIND_UNIVERSITY};
    int64_t id = 0, other = 0;
    int created = 0;
    CHECK(idx_db_begin_write(db, &err) == TM_OK);
    CHECK(idx_inst_upsert(db, &in, &id, &created, &err) == TM_OK && created);
    in.name = "다른대학교";
    in.name_en = NULL;
    CHECK(idx_inst_upsert(db, &in, &other, &created, &err) == TM_OK);
    CHECK(idx_db_commit(db, &err) == TM_OK);

    imp_opts opts = {.institution_id = id};
    const char *text =
        "{\"external_id\": \"f-1\", \"title\": \"mine\", \"institution\": \"테스트대학교\"}\n"
        "{\"external_id\": \"f-2\", \"title\": \"no name\"}\n"
        "{\"external_id\": \"f-3\", \"title\": \"english\", \"institution\": "
        "\"test university\"}\n"
        "{\"external_id\": \"f-4\", \"title\": \"theirs\", \"institution\": "
        "\"다른대학교\"}\n"
        "{\"external_id\": \"f-5\", \"title\": \"unknown\", \"institution\": "
        "\"Nowhere\"}\n";
    CHECK(tm_testimp_text(db, "f.jsonl", IMP_FMT_JSONL, text, &opts, &rep, &err) == TM_OK);
    CHECK(rep.added == 3 && rep.rejected == 2 && rep.nnew_institutions == 0);
    char *out = tm_testimp_report(&rep);
    CHECK(tm_testimp_has_line(out, "f.jsonl:4: institution: records must belong to 테스트대학교"));
    CHECK(tm_testimp_has_line(out, "f.jsonl:5: institution: records must belong to 테스트대학교"));
    free(out);
    imp_report_free(&rep);
    idx_tech t;
    CHECK(get_by_ext(db, "f-2", &t) && t.institution_id == id);
    CHECK_STR(t.institution, "테스트대학교");
    idx_tech_clear(&t);
    CHECK(get_by_ext(db, "f-3", &t) && t.institution_id == id);
    idx_tech_clear(&t);
    CHECK(inst_count(db) == 2);

    /* A CSV without an institution column is fine when one is forced. */
    CHECK(tm_testimp_text(db, "f.csv", IMP_FMT_CSV, "title,external_id\nCSV one,f-6\n", &opts, &rep,
                          &err) == TM_OK);
    CHECK(rep.added == 1);
    imp_report_free(&rep);
    opts.institution_id = 999;
    CHECK(tm_testimp_text(db, "f.jsonl", IMP_FMT_JSONL, text, &opts, &rep, &err) == TM_EINVAL);
    CHECK_STR(err.field, "institution");
    imp_report_free(&rep);
    drop_db(db);
}

TM_TEST(a_full_database_fails_the_file_and_stores_none_of_it)
{
    idx_db *db = fresh_db();
    imp_report rep = {0};
    tm_err err = {0};
    sqlite3_stmt *s = NULL;
    int pages = 0;
    sqlite3_prepare_v2(db->h, "PRAGMA page_count", -1, &s, NULL);
    if (sqlite3_step(s) == SQLITE_ROW) pages = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    char sql[64];
    (void)snprintf(sql, sizeof sql, "PRAGMA max_page_count = %d", pages + 20);
    CHECK(sqlite3_exec(db->h, sql, NULL, NULL, NULL) == SQLITE_OK);
    CHECK(imp_file(db, DEMO_TECH, NULL, &rep, &err) != TM_OK);
    CHECK(strstr(err.msg, "full") != NULL);
    CHECK(rep.added == 0 && rep.rejected == 0 && rep.nissues == 0);
    imp_report_free(&rep);
    CHECK(tech_count(db) == 0 && inst_count(db) == 0);
    /* Room again: the same file goes in. */
    CHECK(sqlite3_exec(db->h, "PRAGMA max_page_count = 1073741823", NULL, NULL, NULL) == SQLITE_OK);
    CHECK(imp_file(db, DATA "good.jsonl", NULL, &rep, &err) == TM_OK && rep.added == 3);
    imp_report_free(&rep);
    drop_db(db);
}

TM_TEST(a_locked_database_fails_the_file_with_busy)
{
    idx_db *db = fresh_db();
    imp_report rep = {0};
    tm_err err = {0};
    sqlite3 *other = NULL;
    CHECK(sqlite3_open(db_path, &other) == SQLITE_OK);
    CHECK(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_busy_timeout(db->h, 20);
    CHECK(imp_file(db, DATA "good.jsonl", NULL, &rep, &err) == TM_EBUSY);
    CHECK(rep.added == 0 && rep.nissues == 0);
    sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(other);
    CHECK(tech_count(db) == 0);
    imp_report_free(&rep);
    drop_db(db);
}

TM_TEST(a_missing_file_is_an_error)
{
    idx_db *db = fresh_db();
    imp_report rep = {0};
    tm_err err = {0};
    CHECK(imp_file(db, "/nonexistent/x.jsonl", NULL, &rep, &err) == TM_EINVAL);
    CHECK_STR(err.field, "file");
    CHECK(strstr(err.msg, "cannot open") != NULL);
    CHECK(imp_file(db, DATA "good.txt", NULL, &rep, &err) == TM_EINVAL);
    imp_report_free(&rep);
    drop_db(db);
}

TM_TEST(a_report_keeps_the_first_issues_and_says_how_many_more)
{
    idx_db *db = fresh_db();
    imp_report rep = {0};
    tm_err err = {0};
    tm_buf b = {0};
    /* Input never reaches a terminal raw: an ESC in a key is shown as '?'. */
    tm_buf_puts(&b, "{\"title\": \"\\u001b[31mred\", \"institution\": \"I\", \"\\u001bkey\": 1}\n");
    for (int i = 0; i < IMP_MAX_ISSUES + 200; i++)
        tm_buf_puts(&b, "{\"title\": \"x\", \"institution\": \"I\", \"trl\": 0}\n");
    CHECK(tm_testimp_text(db, "many.jsonl", IMP_FMT_JSONL, b.p, NULL, &rep, &err) == TM_OK);
    CHECK(rep.rejected == IMP_MAX_ISSUES + 200 && rep.added == 1);
    CHECK(rep.nissues == IMP_MAX_ISSUES);
    char *out = tm_testimp_report(&rep);
    CHECK(tm_testimp_has_line(out, "(201 more issues not shown)"));
    CHECK(strchr(out, 0x1b) == NULL);
    CHECK(tm_testimp_has_line(out, "warning: many.jsonl:1: ?key: unknown field; ignored"));
    free(out);
    imp_report_free(&rep);
    tm_buf_free(&b);
    drop_db(db);
}

TM_TEST(a_repeated_external_id_with_other_content_is_warned_about)
{
    idx_db *db = fresh_db();
    imp_report rep = {0};
    tm_err err = {0};
    const char *text = "title,external_id,institution\n"
                       "A,r1,I\n"
                       "B,r2,I\n"
                       "A,r1,I\n"   /* the same again: no warning */
                       "A2,r1,I\n"; /* other content: replaces line 4 */
    CHECK(tm_testimp_text(db, "r.csv", IMP_FMT_CSV, text, NULL, &rep, &err) == TM_OK);
    CHECK(rep.added == 2 && rep.updated == 1 && rep.unchanged == 1 && rep.warnings == 1);
    char *out = tm_testimp_report(&rep);
    CHECK(tm_testimp_has_line(
        out, "warning: r.csv:5: external_id: external_id r1 also on line 4; this record "
             "replaces it"));
    free(out);
    imp_report_free(&rep);
    CHECK(tech_count(db) == 2);
    drop_db(db);
}

TM_TEST_MAIN()
