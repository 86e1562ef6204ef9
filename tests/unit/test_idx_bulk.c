/* Bulk writes as an import makes them: the stored content hash keeps its
 * format, FTS5's settings are back to normal after a bulk write, the index
 * built beside an import (new rows and changed ones) joins the store's
 * exactly (or the slow path runs, to the same index, when it cannot), the per-record savepoints
 * keep or undo exactly one record however often they run, and the tokenizer's fast paths for Hangul
 * and ASCII keep the rules. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/tm_alloc.h"
#include "../../common/tm_buf.h"
#include "../../index/idx_bulk.h"
#include "../../index/idx_db.h"
#include "../../index/idx_enum.h"
#include "../../index/idx_inst.h"
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

/* The record's serialization as the format "v1" defines it, written out
 * here on its own so that a change to the stored format is caught. */
static void put(tm_buf *b, const char *s)
{
    tm_buf_printf(b, "%zu:", s ? strlen(s) : (size_t)-1);
    if (s) tm_buf_puts(b, s);
}

/* One record with field and trl as given (-1 and 0: absent) */
static void check_hash_v1(int field, int trl)
{
    idx_db *db = tm_testdb_open("bulk_hash");
    idx_tech t;
    idx_upsert_res res;
    tm_err err = {0};
    make_tech(&t, "EXT-1", "웨어러블 심박 센서", 2);
    t.field = field;
    t.trl = trl;
    t.contact = tm_xstrdup("tto@example.com"); /* title_en, description, asking stay NULL */
    CHECK(idx_db_begin_write(db, &err) == TM_OK);
    CHECK(idx_tech_upsert(db, &t, &res, &err) == TM_OK);
    CHECK(idx_db_commit(db, &err) == TM_OK);

    tm_buf b = {0};
    tm_buf_printf(&b, "v1|%lld|%d|%d|%u|%d|",
                  (long long)tm_testdb_int(db, "SELECT institution_id FROM technology"), t.field,
                  t.trl, t.licence, t.status);
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

TM_TEST(the_stored_content_hash_keeps_format_v1)
{
    check_hash_v1(IDX_FIELD_BIO_MEDICAL, 4);
    check_hash_v1(-1, 0);
}

TM_TEST(a_bulk_write_leaves_fts5_settings_as_they_were_and_its_index_exact)
{
    idx_db *db = tm_testdb_open("bulk_cfg");
    tm_err err = {0};
    idx_upsert_res res;
    CHECK(idx_db_begin_write(db, &err) == TM_OK);
    CHECK(idx_bulk_begin(db, false, &err) == TM_OK);
    for (int i = 0; i < 300; i++) {
        idx_tech t;
        char ext[32], title[96];
        (void)snprintf(ext, sizeof ext, "B-%d", i);
        (void)snprintf(title, sizeof title, "측정 장치 %d qqbulk%d", i, i % 7);
        make_tech(&t, ext, title, i % 3);
        CHECK(idx_tech_upsert(db, &t, &res, &err) == TM_OK);
        idx_tech_clear(&t);
    }
    CHECK(idx_bulk_end(db, NULL, &err) == TM_OK);
    CHECK(idx_db_commit(db, &err) == TM_OK);
    /* FTS5's default pending-terms limit is 1 MiB: a stored value must say so. */
    CHECK(tm_testdb_int(db, "SELECT count(*) FROM technology_fts_config WHERE k = 'hashsize'"
                            " AND v <> 1048576") == 0);
    CHECK(tm_testdb_int(
              db, "SELECT count(*) FROM technology_fts WHERE technology_fts MATCH 'qqbulk3'") ==
          43);
    CHECK(sqlite3_exec(db->h,
                       "INSERT INTO technology_fts (technology_fts, rank)"
                       " VALUES ('integrity-check', 1)",
                       NULL, NULL, NULL) == SQLITE_OK);
    tm_testdb_drop(db);
}

static int64_t matches(idx_db *db, const char *word)
{
    char sql[160];
    (void)snprintf(sql, sizeof sql,
                   "SELECT count(*) FROM technology_fts WHERE technology_fts MATCH '%s'", word);
    return tm_testdb_int(db, sql);
}

static bool fts_intact(idx_db *db)
{
    return sqlite3_exec(db->h,
                        "INSERT INTO technology_fts (technology_fts, rank)"
                        " VALUES ('integrity-check', 1)",
                        NULL, NULL, NULL) == SQLITE_OK;
}

static void add_plain(idx_db *db, const char *ext, const char *title)
{
    idx_tech t;
    idx_upsert_res res;
    tm_err err = {0};
    make_tech(&t, ext, title, 1);
    CHECK(idx_db_begin_write(db, &err) == TM_OK);
    CHECK(idx_tech_upsert(db, &t, &res, &err) == TM_OK);
    CHECK(idx_db_commit(db, &err) == TM_OK);
    idx_tech_clear(&t);
}

/* One import of n records "<tag>-i" titled with tag, as imp.c writes them:
 * a savepoint each, every 5th rolled back, every 7th written twice (the
 * second time changed to "<tag>again"). Returns the records kept. */
static int bulk_import(idx_db *db, const char *tag, int n, int *merged)
{
    tm_err err = {0};
    idx_upsert_res res;
    int kept = 0;
    CHECK(idx_db_begin_write(db, &err) == TM_OK);
    CHECK(idx_bulk_begin(db, false, &err) == TM_OK);
    for (int i = 0; i < n; i++) {
        idx_tech t;
        char ext[32], title[96];
        (void)snprintf(ext, sizeof ext, "%s-%d", tag, i);
        (void)snprintf(title, sizeof title, "가져온 기술 %s 측정", tag);
        make_tech(&t, ext, title, i % 3);
        CHECK(idx_db_savepoint(db, &err) == TM_OK);
        CHECK(idx_tech_upsert(db, &t, &res, &err) == TM_OK && res.kind == IDX_UPSERT_ADDED);
        if (i % 5 == 4) {
            idx_db_rollback_to(db);
        } else {
            CHECK(idx_db_release(db, &err) == TM_OK);
            kept++;
        }
        if (i % 7 == 0) {
            free(t.title);
            (void)snprintf(title, sizeof title, "다시 온 기술 %sagain", tag);
            t.title = tm_xstrdup(title);
            CHECK(idx_db_savepoint(db, &err) == TM_OK);
            CHECK(idx_tech_upsert(db, &t, &res, &err) == TM_OK);
            CHECK(idx_db_release(db, &err) == TM_OK);
            if (i % 5 == 4) kept++; /* rolled back the first time: added now */
        }
        idx_tech_clear(&t);
    }
    /* A search inside the transaction makes FTS5 cache the index's layout
     * from before the merge. */
    CHECK(matches(db, "qqold") >= 0);
    CHECK(idx_bulk_end(db, merged, &err) == TM_OK);
    CHECK(idx_db_commit(db, &err) == TM_OK);
    return kept;
}

TM_TEST(an_index_built_beside_the_import_joins_a_filled_index_exactly)
{
    idx_db *db = tm_testdb_open("bulk_merge");
    int merged = -1;
    for (int i = 0; i < 40; i++) { /* an index of several segments already */
        char ext[32];
        (void)snprintf(ext, sizeof ext, "OLD-%d", i);
        add_plain(db, ext, "예전 기술 qqold");
    }
    /* FTS5 caches the index's layout on this connection: a search first
     * makes it hold the one from before the merge. */
    CHECK(matches(db, "qqold") == 40);
    int a = bulk_import(db, "qqa", 300, &merged);
    CHECK(merged >= 0);
    int again = 300 / 7 + 1;
    CHECK(fts_intact(db));
    CHECK(matches(db, "qqa") == a - again);
    CHECK(matches(db, "qqaagain") == again);
    CHECK(matches(db, "qqold") == 40);
    CHECK(matches(db, "측정") == 40 + a); /* every summary says 측정 */
    /* A plain write on the same connection writes its own segment next to
     * the merged ones, under an id of its own. */
    add_plain(db, "LATER-1", "나중 기술 qqlater");
    CHECK(matches(db, "qqlater") == 1 && fts_intact(db));
    int b = bulk_import(db, "qqb", 120, &merged);
    CHECK(merged >= 0);
    CHECK(fts_intact(db));
    CHECK(matches(db, "qqb") == b - (120 / 7 + 1));
    CHECK(matches(db, "qqa") == a - again);
    CHECK(tm_testdb_int(db, "SELECT count(*) FROM technology") == 40 + a + 1 + b);
    /* Another connection sees the same index. */
    idx_db *other = NULL;
    tm_err err = {0};
    CHECK(idx_db_open(tm_testdb_path, &other, &err) == TM_OK);
    CHECK(matches(other, "qqb") == b - (120 / 7 + 1));
    CHECK(matches(other, "qqaagain") == again);
    idx_db_close(other);
    tm_testdb_drop(db);
}

/* One import of n records under a page limit: 0 when it committed, else
 * the step that failed (1 a record, 2 the merge, 3 the commit). */
static int import_limited(idx_db *db, const char *tag, int n)
{
    tm_err err = {0};
    idx_upsert_res res;
    if (idx_db_begin_write(db, &err) != TM_OK || idx_bulk_begin(db, false, &err) != TM_OK) {
        idx_db_rollback(db);
        return 1;
    }
    for (int i = 0; i < n; i++) {
        idx_tech t;
        char ext[32];
        (void)snprintf(ext, sizeof ext, "%s-%d", tag, i);
        make_tech(&t, ext, "공간 모자란 기술 qqfull", 1);
        int code = idx_tech_upsert(db, &t, &res, &err);
        idx_tech_clear(&t);
        if (code != TM_OK) {
            idx_db_rollback(db);
            return 1;
        }
    }
    if (idx_bulk_end(db, NULL, &err) != TM_OK) {
        CHECK(err.code == TM_EBUSY); /* "the database is full": 503, try later */
        idx_db_rollback(db);
        return 2;
    }
    return idx_db_commit(db, &err) == TM_OK ? 0 : 3;
}

TM_TEST(an_import_that_runs_out_of_space_anywhere_leaves_the_store_as_it_was)
{
    idx_db *db = tm_testdb_open("bulk_full");
    add_plain(db, "KEEP-1", "남을 기술 qqkeep");
    int64_t pages = tm_testdb_int(db, "PRAGMA page_count");
    int failed_merging = 0, step = 0;
    /* Limits from just above the file's size up to enough: the import
     * fails while writing records, while merging its index, or commits. */
    for (int64_t extra = 1; step != 0 || extra == 1; extra += 3) {
        char sql[64];
        (void)snprintf(sql, sizeof sql, "PRAGMA max_page_count = %lld", (long long)(pages + extra));
        CHECK(sqlite3_exec(db->h, sql, NULL, NULL, NULL) == SQLITE_OK);
        step = import_limited(db, "F", 150);
        if (step == 2) failed_merging++;
        if (step != 0) {
            CHECK(tm_testdb_int(db, "SELECT count(*) FROM technology") == 1);
            CHECK(matches(db, "qqfull") == 0 && matches(db, "qqkeep") == 1);
            CHECK(tm_testdb_int(db, "SELECT value FROM meta WHERE key = 'fts_deferred'") == 0);
            CHECK(fts_intact(db));
        }
        if (extra > 4000) break;
    }
    CHECK(step == 0);
    CHECK(failed_merging > 0); /* the merge itself was made to fail, and undone */
    CHECK(tm_testdb_int(db, "SELECT count(*) FROM technology") == 151);
    CHECK(matches(db, "qqfull") == 150 && fts_intact(db));
    tm_testdb_drop(db);
}

/* 30 stored technologies; an import changes 20 of them (the 6th change
 * rolled back) and adds 10. odd: the store's structure record is made one
 * the merge does not know, so the slow path runs. */
static void change_stored(const char *tag, bool odd, bool want_merged)
{
    idx_db *db = tm_testdb_open(tag);
    tm_err err = {0};
    idx_upsert_res res;
    int merged = -1;
    for (int i = 0; i < 30; i++) {
        char ext[32];
        (void)snprintf(ext, sizeof ext, "UPD-%d", i);
        add_plain(db, ext, "이전 제목 qqbefore");
    }
    if (odd)
        CHECK(sqlite3_exec(db->h,
                           "UPDATE technology_fts_data SET block = block || x'00' WHERE id = 10",
                           NULL, NULL, NULL) == SQLITE_OK);
    CHECK(matches(db, "qqbefore") == 30);
    CHECK(idx_db_begin_write(db, &err) == TM_OK);
    CHECK(idx_bulk_begin(db, false, &err) == TM_OK);
    for (int i = 0; i < 30; i++) {
        idx_tech t;
        char ext[32];
        (void)snprintf(ext, sizeof ext, i < 20 ? "UPD-%d" : "NEW-%d", i);
        make_tech(&t, ext, i < 20 ? "바뀐 제목 qqafter" : "새 제목 qqnew", 1);
        CHECK(idx_db_savepoint(db, &err) == TM_OK);
        CHECK(idx_tech_upsert(db, &t, &res, &err) == TM_OK);
        CHECK(res.kind == (i < 20 ? IDX_UPSERT_UPDATED : IDX_UPSERT_ADDED));
        if (i == 5)
            idx_db_rollback_to(db);
        else
            CHECK(idx_db_release(db, &err) == TM_OK);
        idx_tech_clear(&t);
    }
    CHECK(matches(db, "qqbefore") >= 0); /* FTS5 caches inside the transaction */
    CHECK(idx_bulk_end(db, &merged, &err) == TM_OK);
    CHECK(idx_db_commit(db, &err) == TM_OK);
    CHECK((merged >= 0) == want_merged);
    CHECK(matches(db, "qqbefore") == 11);
    CHECK(matches(db, "qqafter") == 19);
    CHECK(matches(db, "qqnew") == 10);
    CHECK(tm_testdb_int(db, "SELECT count(*) FROM technology_fts_docsize") == 40);
    CHECK(fts_intact(db));
    /* and plain writes go on as before */
    add_plain(db, "UPD-0", "다시 바뀐 제목 qqlast");
    CHECK(matches(db, "qqafter") == 18 && matches(db, "qqlast") == 1 && fts_intact(db));
    tm_testdb_drop(db);
}

TM_TEST(an_import_that_changes_stored_technologies_replaces_their_entries)
{
    change_stored("bulk_upd", false, true);
}

TM_TEST(changes_to_stored_technologies_survive_the_slow_path_too)
{
    change_stored("bulk_upd_odd", true, false);
}

TM_TEST(many_imports_keep_the_index_to_a_few_segments)
{
    idx_db *db = tm_testdb_open("bulk_many");
    tm_err err = {0};
    idx_upsert_res res;
    int64_t most = 0;
    for (int k = 0; k < 40; k++) {
        int merged = -1;
        CHECK(idx_db_begin_write(db, &err) == TM_OK);
        CHECK(idx_bulk_begin(db, false, &err) == TM_OK);
        for (int i = 0; i < 10; i++) {
            idx_tech t;
            char ext[32];
            (void)snprintf(ext, sizeof ext, "M-%d-%d", k, i);
            make_tech(&t, ext, "여러 번 가져온 기술 qqmany", 1);
            CHECK(idx_tech_upsert(db, &t, &res, &err) == TM_OK);
            idx_tech_clear(&t);
        }
        if (k > 0) { /* and one record of the import before changes */
            idx_tech t;
            char ext[32];
            (void)snprintf(ext, sizeof ext, "M-%d-0", k - 1);
            make_tech(&t, ext, "바뀐 기술 qqchanged", 1);
            CHECK(idx_tech_upsert(db, &t, &res, &err) == TM_OK && res.kind == IDX_UPSERT_UPDATED);
            idx_tech_clear(&t);
        }
        CHECK(idx_bulk_end(db, &merged, &err) == TM_OK);
        CHECK(idx_db_commit(db, &err) == TM_OK);
        CHECK(merged >= 0);
        int64_t segs =
            tm_testdb_int(db, "SELECT tm_testdb_int(DISTINCT segid) FROM technology_fts_idx");
        if (segs > most) most = segs;
        if (k % 10 == 9) add_plain(db, "PLAIN", "가끔 쓰는 기술"); /* FTS5's own flushes */
    }
    /* Each import adds a segment; they are merged before FTS5's limit of
     * 16 on a level would make a later write merge them all. */
    CHECK(most < 16);
    CHECK(matches(db, "qqmany") == 40 * 10 - 39);
    CHECK(matches(db, "qqchanged") == 39);
    CHECK(fts_intact(db));
    tm_testdb_drop(db);
}

TM_TEST(words_an_update_takes_out_stay_out_however_many_segments_the_import_writes)
{
    /* A merge FTS5 believes takes in an index's oldest data drops its
     * delete entries: the private index must never merge its own segments,
     * since its delete entries are for postings in the store's index. A
     * small pending-terms size makes this import write dozens of them. */
    idx_db *db = tm_testdb_open("bulk_segs");
    tm_err err = {0};
    idx_upsert_res res;
    int merged = -1;
    for (int i = 0; i < 150; i++) {
        char ext[32];
        (void)snprintf(ext, sizeof ext, "W-%d", i);
        add_plain(db, ext, "지워질 낱말 qqgoing");
    }
    idx_bulk_test_hashsize(4096);
    CHECK(idx_db_begin_write(db, &err) == TM_OK);
    CHECK(idx_bulk_begin(db, false, &err) == TM_OK);
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < 150; i++) {
            idx_tech t;
            char ext[32], title[64];
            (void)snprintf(ext, sizeof ext, "W-%d", i);
            (void)snprintf(title, sizeof title, "새 낱말 qqround%d qqword%d", round, i);
            make_tech(&t, ext, title, 1);
            CHECK(idx_tech_upsert(db, &t, &res, &err) == TM_OK && res.kind == IDX_UPSERT_UPDATED);
            idx_tech_clear(&t);
        }
    }
    CHECK(idx_bulk_end(db, &merged, &err) == TM_OK);
    CHECK(idx_db_commit(db, &err) == TM_OK);
    idx_bulk_test_hashsize(0);
    CHECK(merged > 16); /* past FTS5's default crisismerge: the private index did not merge */
    CHECK(matches(db, "qqgoing") == 0);
    CHECK(matches(db, "qqround0") == 0);
    CHECK(matches(db, "qqround1") == 150);
    CHECK(fts_intact(db));
    tm_testdb_drop(db);
}

/* 200 stored rows; one import changes them all in the order given (0:
 * descending ids, 1: scattered), with a new record after every third. */
static void change_in_order(const char *tag, int mode)
{
    idx_db *db = tm_testdb_open(tag);
    tm_err err = {0};
    idx_upsert_res res;
    int merged = -1;
    const int n = 200;
    for (int i = 0; i < n; i++) {
        char ext[32];
        (void)snprintf(ext, sizeof ext, "O-%d", i);
        add_plain(db, ext, "alpha 센서 qqalpha");
    }
    CHECK(idx_db_begin_write(db, &err) == TM_OK);
    CHECK(idx_bulk_begin(db, false, &err) == TM_OK);
    for (int k = 0; k < n; k++) {
        int i = mode == 0 ? n - 1 - k : (k * 73) % n; /* 73 is prime to 200 */
        idx_tech t;
        char ext[32];
        (void)snprintf(ext, sizeof ext, "O-%d", i);
        make_tech(&t, ext, "beta 장치 qqbeta", 1);
        CHECK(idx_db_savepoint(db, &err) == TM_OK);
        CHECK(idx_tech_upsert(db, &t, &res, &err) == TM_OK && res.kind == IDX_UPSERT_UPDATED);
        CHECK(idx_db_release(db, &err) == TM_OK);
        idx_tech_clear(&t);
        if (k % 3 == 2) {
            (void)snprintf(ext, sizeof ext, "N-%d", k);
            make_tech(&t, ext, "gamma 새것 qqgamma", 1);
            CHECK(idx_db_savepoint(db, &err) == TM_OK);
            CHECK(idx_tech_upsert(db, &t, &res, &err) == TM_OK && res.kind == IDX_UPSERT_ADDED);
            CHECK(idx_db_release(db, &err) == TM_OK);
            idx_tech_clear(&t);
        }
    }
    CHECK(idx_bulk_end(db, &merged, &err) == TM_OK);
    CHECK(idx_db_commit(db, &err) == TM_OK);
    CHECK(merged >= 0 && merged <= 3); /* not a segment per change out of id order */
    CHECK(matches(db, "qqalpha") == 0);
    CHECK(matches(db, "qqbeta") == n);
    CHECK(matches(db, "qqgamma") == n / 3);
    CHECK(fts_intact(db));
    tm_testdb_drop(db);
}

TM_TEST(changes_in_descending_id_order_mixed_with_new_records_index_exactly)
{
    change_in_order("bulk_desc", 0);
}

TM_TEST(changes_in_scattered_order_mixed_with_new_records_index_exactly)
{
    change_in_order("bulk_scatter", 1);
}

TM_TEST(a_record_changed_three_times_after_newer_ones_costs_no_segment_of_its_own)
{
    /* Each change of a row below the last id indexed waits for the end;
     * there a row's insert and the delete right after it cancel, so the
     * row's changes come to one delete and one insert. */
    idx_db *db = tm_testdb_open("bulk_thrice");
    tm_err err = {0};
    idx_upsert_res res;
    int merged = -1;
    for (int i = 0; i < 50; i++) {
        char ext[32];
        (void)snprintf(ext, sizeof ext, "T3-%d", i);
        add_plain(db, ext, "첫 제목 qqv0");
    }
    CHECK(idx_db_begin_write(db, &err) == TM_OK);
    CHECK(idx_bulk_begin(db, false, &err) == TM_OK);
    for (int v = 1; v <= 3; v++) {
        for (int i = 0; i < 50; i++) {
            idx_tech t;
            char ext[32], title[64];
            (void)snprintf(ext, sizeof ext, "T3-%d", (i * 7) % 50);
            (void)snprintf(title, sizeof title, "고친 제목 qqv%d", v);
            make_tech(&t, ext, title, 1);
            CHECK(idx_tech_upsert(db, &t, &res, &err) == TM_OK && res.kind == IDX_UPSERT_UPDATED);
            idx_tech_clear(&t);
            (void)snprintf(ext, sizeof ext, "T3-new-%d-%d", v, i); /* a newer row in between */
            make_tech(&t, ext, "새 기술 qqfresh", 1);
            CHECK(idx_tech_upsert(db, &t, &res, &err) == TM_OK && res.kind == IDX_UPSERT_ADDED);
            idx_tech_clear(&t);
        }
    }
    CHECK(idx_bulk_end(db, &merged, &err) == TM_OK);
    CHECK(idx_db_commit(db, &err) == TM_OK);
    CHECK(merged >= 0 && merged <= 3);
    CHECK(matches(db, "qqv0") == 0 && matches(db, "qqv1") == 0 && matches(db, "qqv2") == 0);
    CHECK(matches(db, "qqv3") == 50 && matches(db, "qqfresh") == 150);
    CHECK(fts_intact(db));
    tm_testdb_drop(db);
}

TM_TEST(a_renamed_institution_takes_the_slow_path_to_the_same_index)
{
    idx_db *db = tm_testdb_open("bulk_taint");
    tm_err err = {0};
    idx_upsert_res res;
    int merged = -1;
    CHECK(idx_db_begin_write(db, &err) == TM_OK);
    CHECK(idx_bulk_begin(db, false, &err) == TM_OK);
    for (int i = 0; i < 30; i++) {
        idx_tech t;
        char ext[32];
        (void)snprintf(ext, sizeof ext, "T-%d", i);
        make_tech(&t, ext, "이름 바뀐 기관의 기술", 1);
        CHECK(idx_tech_upsert(db, &t, &res, &err) == TM_OK);
        idx_tech_clear(&t);
    }
    /* The English name reaches the rows' inst_names by a trigger. */
    idx_inst in = {.name = "서울대학교", .name_en = "Qqrenamed University", .kind = IDX_KIND_OTHER};
    int64_t id = 0;
    int created = 0;
    CHECK(idx_inst_upsert(db, &in, &id, &created, &err) == TM_OK && !created);
    CHECK(idx_bulk_end(db, &merged, &err) == TM_OK);
    CHECK(idx_db_commit(db, &err) == TM_OK);
    CHECK(merged < 0);
    CHECK(matches(db, "qqrenamed") == 30 && fts_intact(db));
    tm_testdb_drop(db);
}

TM_TEST(an_index_layout_it_does_not_know_takes_the_slow_path)
{
    idx_db *db = tm_testdb_open("bulk_odd");
    int merged = -1;
    add_plain(db, "ODD-0", "처음 기술 qqfirst");
    /* A byte past the structure record's end: FTS5 reads past nothing, but
     * a record that is not exactly the layout known is not merged into. */
    CHECK(sqlite3_exec(db->h, "UPDATE technology_fts_data SET block = block || x'00' WHERE id = 10",
                       NULL, NULL, NULL) == SQLITE_OK);
    int kept = bulk_import(db, "qqodd", 50, &merged);
    CHECK(merged < 0);
    CHECK(matches(db, "qqodd") + matches(db, "qqoddagain") == kept);
    CHECK(matches(db, "qqfirst") == 1);
    tm_testdb_drop(db);
}

TM_TEST(a_dry_run_defers_without_building_and_leaves_nothing)
{
    idx_db *db = tm_testdb_open("bulk_dry");
    tm_err err = {0};
    idx_upsert_res res;
    idx_tech t;
    make_tech(&t, "DRY-1", "연습 기술 qqdry", 1);
    CHECK(idx_db_begin_write(db, &err) == TM_OK);
    CHECK(idx_bulk_begin(db, true, &err) == TM_OK);
    CHECK(idx_tech_upsert(db, &t, &res, &err) == TM_OK);
    idx_db_rollback(db);
    CHECK(db->bulk == NULL);
    add_plain(db, "DRY-2", "진짜 기술 qqreal");
    CHECK(matches(db, "qqdry") == 0 && matches(db, "qqreal") == 1 && fts_intact(db));
    idx_tech_clear(&t);
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
    CHECK(idx_bulk_begin(db, false, &err) == TM_OK);
    CHECK(idx_tech_upsert(db, &t, &res, &err) == TM_OK);
    CHECK(idx_bulk_end(db, NULL, &err) == TM_OK);
    idx_db_rollback(db);
    CHECK(tm_testdb_int(db, "SELECT count(*) FROM technology_fts_config WHERE k = 'hashsize'") ==
          0);
    CHECK(tm_testdb_int(db, "SELECT count(*) FROM technology") == 0);
    /* The connection goes on writing and indexing normally. */
    CHECK(idx_db_begin_write(db, &err) == TM_OK);
    CHECK(idx_tech_upsert(db, &t, &res, &err) == TM_OK);
    CHECK(idx_db_commit(db, &err) == TM_OK);
    CHECK(tm_testdb_int(
              db, "SELECT count(*) FROM technology_fts WHERE technology_fts MATCH '롤백'") == 1);
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
    CHECK(tm_testdb_int(db, "SELECT count(*) FROM technology") == kept);
    CHECK(tm_testdb_int(db, "SELECT count(*) FROM patent") == 2 * kept);
    CHECK(tm_testdb_int(db, "SELECT count(*) FROM technology WHERE CAST(substr(external_id, 4) AS"
                            " INTEGER) % 3 = 0") == 0);
    CHECK(tm_testdb_int(
              db, "SELECT count(*) FROM technology_fts WHERE technology_fts MATCH '세이브'") ==
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
