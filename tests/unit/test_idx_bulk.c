/* Bulk writes as an import makes them: the stored content hash keeps its
 * format, FTS5's settings are back to normal after a bulk write, the
 * per-record savepoints keep or undo exactly one record however often they
 * run, and the tokenizer's fast paths for Hangul and ASCII keep the rules. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/tm_alloc.h"
#include "../../common/tm_buf.h"
#include "../../index/idx_db.h"
#include "../../index/idx_enum.h"
#include "../../index/idx_tech.h"
#include "../../index/idx_tok.h"
#include "../tm_test.h"
#include "../tm_testdb.h"

static void make_tech(idx_tech *t, const char *ext, const char *title, int npatents)
{
    idx_tech_init(t);
    t->external_id = ext ? tm_xstrdup(ext) : NULL;
    t->title = tm_xstrdup(title);
    t->summary = tm_xstrdup("피부 부착형 센서로 심박을 측정하는 기술");
    t->institution = tm_xstrdup("서울대학교");
    t->field = IDX_FIELD_BIO_MEDICAL;
    t->trl = 4;
    t->licence = 1u << IDX_LICENCE_NON_EXCLUSIVE;
    idx_strv_push(&t->keywords, "의료기기");
    idx_strv_push(&t->keywords, "wearable sensor");
    idx_strv_push(&t->inventors, "김철수");
    if (npatents > 0) {
        t->patents = tm_xcalloc((size_t)npatents, sizeof *t->patents);
        t->npatents = (size_t)npatents;
        for (int i = 0; i < npatents; i++) {
            char num[32];
            (void)snprintf(num, sizeof num, "10-2020-%07d", i + 1);
            t->patents[i].number = tm_xstrdup(num);
            t->patents[i].country = tm_xstrdup("KR");
        }
    }
}

static int64_t count(idx_db *db, const char *sql)
{
    sqlite3_stmt *s = NULL;
    int64_t n = -1;
    if (sqlite3_prepare_v2(db->h, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
        n = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return n;
}

/* The record's serialization as the format "v1" defines it, written out
 * here on its own so that a change to the stored format is caught. */
static void put(tm_buf *b, const char *s)
{
    tm_buf_printf(b, "%zu:", s ? strlen(s) : (size_t)-1);
    if (s) tm_buf_puts(b, s);
}

TM_TEST(the_stored_content_hash_keeps_format_v1)
{
    idx_db *db = tm_testdb_open("bulk_hash");
    idx_tech t;
    idx_upsert_res res;
    tm_err err = {0};
    make_tech(&t, "EXT-1", "웨어러블 심박 센서", 2);
    t.contact = tm_xstrdup("tto@example.com"); /* title_en, description, asking stay NULL */
    CHECK(idx_db_begin_write(db, &err) == TM_OK);
    CHECK(idx_tech_upsert(db, &t, &res, &err) == TM_OK);
    CHECK(idx_db_commit(db, &err) == TM_OK);

    tm_buf b = {0};
    tm_buf_printf(&b, "v1|%lld|%d|%d|%u|%d|",
                  (long long)count(db, "SELECT institution_id FROM technology"), t.field, t.trl,
                  t.licence, t.status);
    put(&b, t.external_id);
    put(&b, t.title);
    put(&b, t.title_en);
    put(&b, t.summary);
    put(&b, t.description);
    tm_buf_printf(&b, "[%zu", t.keywords.n);
    for (size_t i = 0; i < t.keywords.n; i++)
        put(&b, t.keywords.v[i]);
    tm_buf_printf(&b, "[%zu", t.ipc.n);
    put(&b, t.asking);
    tm_buf_printf(&b, "[%zu", t.inventors.n);
    put(&b, t.inventors.v[0]);
    put(&b, t.contact);
    tm_buf_printf(&b, "p%zu", t.npatents);
    for (size_t i = 0; i < t.npatents; i++) {
        put(&b, t.patents[i].number);
        put(&b, t.patents[i].country);
        for (int k = 0; k < 5; k++) /* kind, status, filed, registered, registration_number */
            put(&b, NULL);
    }
    unsigned char want[16];
    crypto_generichash(want, sizeof want, (const unsigned char *)b.p, b.len, NULL, 0);

    sqlite3_stmt *s = NULL;
    CHECK(sqlite3_prepare_v2(db->h, "SELECT content_hash FROM technology", -1, &s, NULL) ==
          SQLITE_OK);
    CHECK(sqlite3_step(s) == SQLITE_ROW);
    CHECK(sqlite3_column_bytes(s, 0) == 16);
    CHECK(memcmp(sqlite3_column_blob(s, 0), want, 16) == 0);
    sqlite3_finalize(s);
    tm_buf_free(&b);
    idx_tech_clear(&t);
    tm_testdb_drop(db);
}

TM_TEST(a_bulk_write_leaves_fts5_settings_as_they_were_and_its_index_exact)
{
    idx_db *db = tm_testdb_open("bulk_cfg");
    tm_err err = {0};
    idx_upsert_res res;
    CHECK(idx_db_begin_write(db, &err) == TM_OK);
    CHECK(idx_tech_bulk_begin(db, &err) == TM_OK);
    for (int i = 0; i < 300; i++) {
        idx_tech t;
        char ext[32], title[96];
        (void)snprintf(ext, sizeof ext, "B-%d", i);
        (void)snprintf(title, sizeof title, "측정 장치 %d qqbulk%d", i, i % 7);
        make_tech(&t, ext, title, i % 3);
        CHECK(idx_tech_upsert(db, &t, &res, &err) == TM_OK);
        idx_tech_clear(&t);
    }
    CHECK(idx_tech_bulk_end(db, &err) == TM_OK);
    CHECK(idx_db_commit(db, &err) == TM_OK);
    /* FTS5's default pending-terms limit is 1 MiB: a stored value must say so. */
    CHECK(count(db, "SELECT count(*) FROM technology_fts_config WHERE k = 'hashsize'"
                    " AND v <> 1048576") == 0);
    CHECK(count(db, "SELECT count(*) FROM technology_fts WHERE technology_fts MATCH 'qqbulk3'") ==
          43);
    CHECK(sqlite3_exec(db->h,
                       "INSERT INTO technology_fts (technology_fts, rank)"
                       " VALUES ('integrity-check', 1)",
                       NULL, NULL, NULL) == SQLITE_OK);
    tm_testdb_drop(db);
}

TM_TEST(a_bulk_write_in_steps_indexes_every_row_with_its_final_values)
{
    idx_db *db = tm_testdb_open("bulk_step");
    tm_err err = {0};
    idx_upsert_res res;
    int64_t gen0 = count(db, "SELECT value FROM meta WHERE key = 'catalogue_gen'");
    CHECK(idx_db_begin_write(db, &err) == TM_OK);
    CHECK(idx_tech_bulk_begin(db, &err) == TM_OK);
    for (int i = 0; i < 100; i++) {
        idx_tech t;
        char ext[32];
        (void)snprintf(ext, sizeof ext, "S-%d", i);
        make_tech(&t, ext, i < 50 ? "첫째 묶음 qqfirst" : "둘째 묶음 qqsecond", 1);
        CHECK(idx_tech_upsert(db, &t, &res, &err) == TM_OK);
        CHECK(res.kind == IDX_UPSERT_ADDED);
        idx_tech_clear(&t);
        if (i == 49) CHECK(idx_tech_bulk_step(db, &err) == TM_OK);
        if (i == 60) { /* a row indexed by the step changes: its entry follows */
            make_tech(&t, "S-7", "바뀐 제목 qqchanged", 1);
            CHECK(idx_tech_upsert(db, &t, &res, &err) == TM_OK);
            CHECK(res.kind == IDX_UPSERT_UPDATED);
            idx_tech_clear(&t);
        }
    }
    CHECK(idx_tech_bulk_end(db, &err) == TM_OK);
    CHECK(idx_db_commit(db, &err) == TM_OK);
    CHECK(count(db, "SELECT count(*) FROM technology_fts WHERE technology_fts MATCH 'qqfirst'") ==
          49);
    CHECK(count(db, "SELECT count(*) FROM technology_fts WHERE technology_fts MATCH 'qqsecond'") ==
          50);
    CHECK(count(db, "SELECT count(*) FROM technology_fts WHERE technology_fts MATCH 'qqchanged'") ==
          1);
    CHECK(count(db, "SELECT value FROM meta WHERE key = 'fts_deferred'") == 0);
    CHECK(count(db, "SELECT value FROM meta WHERE key = 'catalogue_gen'") > gen0);
    CHECK(sqlite3_exec(db->h,
                       "INSERT INTO technology_fts (technology_fts, rank)"
                       " VALUES ('integrity-check', 1)",
                       NULL, NULL, NULL) == SQLITE_OK);
    tm_testdb_drop(db);
}

TM_TEST(a_rolled_back_bulk_write_stores_no_fts5_setting)
{
    idx_db *db = tm_testdb_open("bulk_rb");
    tm_err err = {0};
    idx_upsert_res res;
    idx_tech t;
    make_tech(&t, "RB-1", "롤백 센서", 1);
    CHECK(idx_db_begin_write(db, &err) == TM_OK);
    CHECK(idx_tech_bulk_begin(db, &err) == TM_OK);
    CHECK(idx_tech_upsert(db, &t, &res, &err) == TM_OK);
    CHECK(idx_tech_bulk_end(db, &err) == TM_OK);
    idx_db_rollback(db);
    CHECK(count(db, "SELECT count(*) FROM technology_fts_config WHERE k = 'hashsize'") == 0);
    CHECK(count(db, "SELECT count(*) FROM technology") == 0);
    /* The connection goes on writing and indexing normally. */
    CHECK(idx_db_begin_write(db, &err) == TM_OK);
    CHECK(idx_tech_upsert(db, &t, &res, &err) == TM_OK);
    CHECK(idx_db_commit(db, &err) == TM_OK);
    CHECK(count(db, "SELECT count(*) FROM technology_fts WHERE technology_fts MATCH '롤백'") == 1);
    idx_tech_clear(&t);
    tm_testdb_drop(db);
}

TM_TEST(savepoints_keep_or_undo_one_record_each_however_often)
{
    idx_db *db = tm_testdb_open("bulk_sp");
    tm_err err = {0};
    idx_upsert_res res;
    int kept = 0;
    CHECK(idx_db_begin_write(db, &err) == TM_OK);
    for (int i = 0; i < 200; i++) {
        idx_tech t;
        char ext[32];
        (void)snprintf(ext, sizeof ext, "SP-%d", i);
        make_tech(&t, ext, "세이브포인트 시험", 2);
        CHECK(idx_db_savepoint(db, &err) == TM_OK);
        CHECK(idx_tech_upsert(db, &t, &res, &err) == TM_OK);
        if (i % 3 == 0) {
            idx_db_rollback_to(db);
        } else {
            CHECK(idx_db_release(db, &err) == TM_OK);
            kept++;
        }
        idx_tech_clear(&t);
    }
    CHECK(idx_db_commit(db, &err) == TM_OK);
    CHECK(count(db, "SELECT count(*) FROM technology") == kept);
    CHECK(count(db, "SELECT count(*) FROM patent") == 2 * kept);
    CHECK(count(db, "SELECT count(*) FROM technology WHERE CAST(substr(external_id, 4) AS"
                    " INTEGER) % 3 = 0") == 0);
    CHECK(count(db, "SELECT count(*) FROM technology_fts WHERE technology_fts MATCH '세이브'") ==
          kept);
    tm_testdb_drop(db);
}

/* The tokens of s joined by spaces. */
static const char *toks(idx_tok *tok, const char *s)
{
    static char out[512];
    idx_tok_list l = {0};
    size_t o = 0;
    out[0] = '\0';
    if (idx_tok_collect(tok, 0, s, strlen(s), &l) != SQLITE_OK) return "ERROR";
    for (size_t i = 0; i < l.n && o + strlen(l.tok[i]) + 2 < sizeof out; i++)
        o += (size_t)snprintf(out + o, sizeof out - o, "%s%s", i ? " " : "", l.tok[i]);
    idx_tok_list_clear(&l);
    return out;
}

TM_TEST(hangul_and_ascii_edges_keep_their_classes)
{
    idx_db *db = tm_testdb_open("bulk_tok");
    /* U+AC00 and U+D7A3 are the first and last Hangul syllables (bigrams);
     * U+ABFF (Meetei Mayek) is a word character, U+D7A4 a separator. */
    CHECK_STR(toks(db->tok, "가힣"), "가힣");
    CHECK_STR(toks(db->tok, "\xea\xaf\xbf가나"), "\xea\xaf\xbf 가나");
    CHECK_STR(toks(db->tok, "힣\xed\x9e\xa4가"), "힣 가");
    CHECK_STR(toks(db->tok, "ABC-12 x9Z Zz"), "abc 12 x9z zz");
    CHECK_STR(toks(db->tok, "센서SENSORS 10-2020-0001"), "센서 sensor 1020200001");
    tm_testdb_drop(db);
}

TM_TEST_MAIN()
