/* The importer over encodings and formats: CP949 detected and decoded,
 * UTF-16 refused, .xls sheets through the table rules, and every format the
 * same behind the Jansson allocation hooks main() installs (tm_arena). The
 * rest of the importer is in test_imp.c. Run from the repository root
 * (tests/run.sh). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/tm_alloc.h"
#include "../../common/tm_arena.h"
#include "../../common/tm_buf.h"
#include "../../import/imp.h"
#include "../../index/idx_db.h"
#include "../../index/idx_inst.h"
#include "../../index/idx_tech.h"
#include "../tm_test.h"
#include "../tm_testdb.h"
#include "../tm_testimp.h"

#define DEMO_TECH "data/demo/technologies.jsonl"
#define DATA "tests/data/"

static idx_db *fresh_db(void)
{
    return tm_testdb_open("imp_formats");
}

static void drop_db(idx_db *db)
{
    tm_testdb_drop(db);
}

static int64_t tech_count(idx_db *db)
{
    return tm_testdb_int(db, "SELECT count(*) FROM technology");
}

TM_TEST(xls_and_xlsx_are_chosen_by_extension)
{
    imp_format fmt = IMP_FMT_CSV;
    tm_err err = {0};
    CHECK(imp_format_of("a/NTIS.XLS", &fmt, &err) == TM_OK && fmt == IMP_FMT_XLS);
    fmt = IMP_FMT_CSV;
    CHECK(imp_format_of("b.xlsx", &fmt, &err) == TM_OK && fmt == IMP_FMT_XLS);
    CHECK(imp_format_of("b.ods", &fmt, &err) == TM_EINVAL);
    CHECK(strstr(err.msg, ".xls") != NULL);
}

TM_TEST(cp949_text_is_detected_decoded_and_reported)
{
    idx_db *db = fresh_db();
    imp_report rep = {0};
    tm_err err = {0};
    /* title,institution / 기술,기관 in CP949 */
    const char *text = "title,institution\n\xB1\xE2\xBC\xFA,\xB1\xE2\xB0\xFC\n";
    CHECK(tm_testimp_text(db, "k.csv", IMP_FMT_CSV, text, NULL, &rep, &err) == TM_OK);
    CHECK(rep.added == 1 && rep.rejected == 0);
    CHECK_STR(rep.encoding, "cp949");
    CHECK(rep.encoding_detected);
    char *out = tm_testimp_report(&rep);
    CHECK(tm_testimp_has_line(out, "encoding: cp949 (detected)"));
    free(out);
    imp_report_free(&rep);
    /* Forced to UTF-8, the row is not text: rejected, and no encoding line. */
    imp_opts opts = {.encoding = "utf-8"};
    CHECK(tm_testimp_text(db, "k.csv", IMP_FMT_CSV, text, &opts, &rep, &err) == TM_OK);
    CHECK(rep.added == 0 && rep.rejected == 1 && rep.encoding[0] == '\0');
    imp_report_free(&rep);
    opts.encoding = "euc-kr";
    CHECK(tm_testimp_text(
              db, "k.jsonl", IMP_FMT_JSONL,
              "{\"title\": \"\xB1\xE2\xBC\xFA 2\", \"institution\": \"\xB1\xE2\xB0\xFC\"}\n", &opts,
              &rep, &err) == TM_OK);
    CHECK(rep.added == 1 && !rep.encoding_detected);
    out = tm_testimp_report(&rep);
    CHECK(tm_testimp_has_line(out, "encoding: cp949 (forced)"));
    free(out);
    imp_report_free(&rep);
    opts.encoding = "latin-1";
    CHECK(tm_testimp_text(db, "k.csv", IMP_FMT_CSV, "title\nx\n", &opts, &rep, &err) == TM_EINVAL);
    CHECK_STR(err.field, "encoding");
    CHECK(tech_count(db) == 2);
    drop_db(db);
}

TM_TEST(a_utf16_file_fails_on_encoding_and_stores_nothing)
{
    idx_db *db = fresh_db();
    imp_report rep = {0};
    tm_err err = {0};
    /* "title\nA\n" in UTF-16LE with its BOM */
    static const char u16[] = "\xFF\xFEt\0i\0t\0l\0e\0\n\0A\0\n\0";
    FILE *f = fmemopen((void *)u16, sizeof u16 - 1, "rb");
    CHECK(f != NULL);
    if (f) {
        CHECK(imp_stream(db, f, "u.csv", IMP_FMT_CSV, NULL, &rep, &err) == TM_EINVAL);
        fclose(f);
    }
    CHECK_STR(err.field, "encoding");
    CHECK(strstr(err.msg, "UTF-16") != NULL);
    CHECK(rep.added + rep.rejected + rep.warnings + rep.nissues == 0 && tech_count(db) == 0);
    imp_report_free(&rep);
    drop_db(db);
}

TM_TEST(an_xls_sheet_imports_through_the_table_rules)
{
    idx_db *db = fresh_db();
    imp_report rep = {0};
    tm_err err = {0};
    int64_t inst = 0;
    CHECK(tm_testimp_text(db, "i.csv", IMP_FMT_CSV, "title,institution\nX,Sheet Owner\n", NULL,
                          &rep, &err) == TM_OK);
    CHECK(idx_inst_find(db, "Sheet Owner", &inst, &err) == TM_OK && inst > 0);
    imp_report_free(&rep);
    /* small.xls has no institution column: the file fails unless one is forced. */
    CHECK(imp_file(db, DATA "small.xls", NULL, &rep, &err) == TM_EINVAL);
    CHECK_STR(err.field, "header");
    imp_opts opts = {.institution_id = inst};
    CHECK(imp_file(db, DATA "small.xls", &opts, &rep, &err) == TM_OK);
    CHECK(rep.added == 4 && rep.rejected == 2 && rep.encoding[0] == '\0');
    char *out = tm_testimp_report(&rep);
    CHECK(tm_testimp_has_line(out, "small.xls:5: 기술명: is required"));
    CHECK(tm_testimp_has_line(out, "small.xls:7: 기술명: is required"));
    CHECK(tm_testimp_has_line(out, "warning: small.xls:1: ignored columns: 성과연도"));
    free(out);
    imp_report_free(&rep);
    CHECK(tech_count(db) == 5);
    /* A CSV named .xls is refused as a whole, by the reader. */
    char path[] = "/tmp/tm_test_imp_XXXXXX.xls";
    int fd = mkstemps(path, 4);
    CHECK(fd >= 0);
    if (fd >= 0) {
        CHECK(write(fd, "title\nx\n", 8) == 8);
        close(fd);
        CHECK(imp_file(db, path, &opts, &rep, &err) == TM_EINVAL);
        CHECK_STR(err.field, "file");
        CHECK(strstr(err.msg, "not an Excel 97-2003 .xls file") != NULL);
        unlink(path);
    }
    CHECK(rep.added + rep.rejected + rep.nissues == 0);
    imp_report_free(&rep);
    drop_db(db);
}

/* The stored records of db, as text: each technology's external id and
 * content hash, and each patent's number, in id order. Free the result. */
static char *stored_text(idx_db *db)
{
    sqlite3_stmt *s = NULL;
    tm_buf b = {0};
    sqlite3_prepare_v2(db->h,
                       "SELECT coalesce(external_id, ''), hex(content_hash) FROM technology "
                       "UNION ALL SELECT number, technology_id FROM patent",
                       -1, &s, NULL);
    while (sqlite3_step(s) == SQLITE_ROW) {
        tm_buf_puts(&b, (const char *)sqlite3_column_text(s, 0));
        tm_buf_putc(&b, ' ');
        tm_buf_puts(&b, (const char *)sqlite3_column_text(s, 1));
        tm_buf_putc(&b, '\n');
    }
    sqlite3_finalize(s);
    tm_buf_putc(&b, '\0');
    return tm_buf_steal(&b);
}

/* Imports path into a fresh database; *report (the file's error first) and
 * *stored as text. */
static void import_as_text(const char *path, char **report, char **stored)
{
    idx_db *db = fresh_db();
    imp_report rep = {0};
    tm_err err = {0};
    int code = imp_file(db, path, NULL, &rep, &err);
    char *text = tm_testimp_report(&rep);
    tm_buf b = {0};
    tm_buf_printf(&b, "%d %s\n%s", code, err.msg, text ? text : "");
    free(text);
    *report = tm_buf_steal(&b);
    *stored = stored_text(db);
    imp_report_free(&rep);
    drop_db(db);
}

TM_TEST(behind_the_arena_hooks_every_format_imports_the_same)
{
    /* main() installs these hooks: the producer's Jansson trees then come
     * from its arena (tm_arena.h). Rejections quote values; CSV rows build
     * their own records; mixed.jsonl and bad.csv have both. */
    static const char *const files[] = {DEMO_TECH,       DATA "mixed.jsonl", DATA "good.json",
                                        DATA "good.csv", DATA "bad.csv",     DATA "crlf_bom.csv",
                                        DATA "small.xls"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char *rep_plain, *rep_arena, *st_plain, *st_arena;
        import_as_text(files[i], &rep_plain, &st_plain);
        json_set_alloc_funcs(tm_arena_malloc, tm_arena_free);
        import_as_text(files[i], &rep_arena, &st_arena);
        json_set_alloc_funcs(malloc, free);
        CHECK_STR(rep_arena, rep_plain);
        CHECK_STR(st_arena, st_plain);
        CHECK(strlen(st_plain) > 0 || i == 6);
        free(rep_plain);
        free(rep_arena);
        free(st_plain);
        free(st_arena);
    }
}

TM_TEST_MAIN()
