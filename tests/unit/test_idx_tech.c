/* The store: migrations, technologies and institutions, idempotent upsert,
 * the FTS5 search path with filters, facets and sorting. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../common/tm_alloc.h"
#include "../../index/idx_bulk.h"
#include "../../index/idx_db.h"
#include "../../index/idx_enum.h"
#include "../../index/idx_inst.h"
#include "../../index/idx_mem.h"
#include "../../index/idx_search.h"
#include "../../index/idx_tech.h"
#include "../tm_test.h"
#include "../tm_testdb.h"

#define db_path tm_testdb_path

static idx_db *fresh_db(void)
{
    return tm_testdb_open("tech");
}

static void drop_db(idx_db *db)
{
    tm_testdb_drop(db);
}

/* A record like the demo's, with optional overrides. */
static void make_tech(idx_tech *t, const char *ext, const char *title, const char *inst,
                      const char *number)
{
    idx_tech_init(t);
    t->external_id = ext ? tm_xstrdup(ext) : NULL;
    t->title = tm_xstrdup(title);
    t->institution = tm_xstrdup(inst);
    t->field = IDX_FIELD_BIO_MEDICAL;
    t->trl = 4;
    t->licence = 1u << IDX_LICENCE_NON_EXCLUSIVE;
    idx_strv_push(&t->keywords, "의료기기");
    idx_strv_push(&t->ipc, "A61B 5/00");
    if (number) {
        t->patents = tm_xcalloc(1, sizeof *t->patents);
        t->npatents = 1;
        t->patents[0].number = tm_xstrdup(number);
        t->patents[0].country = tm_xstrdup("KR");
    }
}

static int upsert(idx_db *db, idx_tech *t, idx_upsert_res *res)
{
    tm_err err = {0};
    int code = idx_db_begin_write(db, &err);
    if (code == TM_OK) code = idx_tech_upsert(db, t, res, &err);
    if (code == TM_OK)
        code = idx_db_commit(db, &err);
    else
        idx_db_rollback(db);
    if (code != TM_OK) fprintf(stderr, "  upsert: %s\n", err.msg);
    return code;
}

static int64_t search_total(idx_db *db, const char *q, idx_search_req *base)
{
    idx_search_req req;
    idx_search_res res = {0};
    tm_err err = {0};
    if (base)
        req = *base;
    else
        idx_search_req_init(&req);
    req.q = q;
    req.qlen = q ? strlen(q) : 0;
    int code = idx_search(db, NULL, &req, &res, &err);
    int64_t total = code == TM_OK ? res.total : -1 - code;
    if (code != TM_OK && code != TM_EINVAL)
        fprintf(stderr, "  search %s: %s\n", q ? q : "(none)", err.msg);
    idx_search_res_free(&res);
    return total;
}

TM_TEST(opening_twice_keeps_the_schema_and_data)
{
    idx_db *db = fresh_db();
    idx_tech t;
    idx_upsert_res res;
    make_tech(&t, "X-1", "심박 측정 장치", "고려대학교", "10-2019-0012345");
    CHECK(upsert(db, &t, &res) == TM_OK);
    idx_tech_clear(&t);
    idx_db_close(db);
    tm_err err = {0};
    CHECK(idx_db_open(db_path, &db, &err) == TM_OK);
    int64_t n = 0;
    CHECK(idx_tech_count(db, &n, &err) == TM_OK && n == 1);
    drop_db(db);
}

TM_TEST(upsert_adds_then_reports_unchanged_then_updates_with_a_new_version)
{
    idx_db *db = fresh_db();
    idx_tech t, got;
    idx_upsert_res res;
    tm_err err = {0};

    make_tech(&t, "KU-2019-017", "심박 측정 장치", "고려대학교", "10-2019-0012345");
    CHECK(upsert(db, &t, &res) == TM_OK && res.kind == IDX_UPSERT_ADDED);
    CHECK(res.institution_created);
    int64_t id = res.id;
    CHECK(upsert(db, &t, &res) == TM_OK && res.kind == IDX_UPSERT_UNCHANGED && res.id == id);
    free(t.title);
    t.title = tm_xstrdup("심박 측정 장치 및 방법");
    CHECK(upsert(db, &t, &res) == TM_OK && res.kind == IDX_UPSERT_UPDATED && res.id == id);
    CHECK(!res.institution_created);
    CHECK(idx_tech_get(db, id, &got, &err) == TM_OK);
    CHECK_STR(got.title, "심박 측정 장치 및 방법");
    CHECK(got.version == 2);
    CHECK(got.npatents == 1 && !strcmp(got.patents[0].number, "10-2019-0012345"));
    CHECK(got.keywords.n == 1 && !strcmp(got.keywords.v[0], "의료기기"));
    CHECK(got.licence == 1u << IDX_LICENCE_NON_EXCLUSIVE);
    CHECK(got.trl == 4 && got.field == IDX_FIELD_BIO_MEDICAL);
    CHECK_STR(got.institution, "고려대학교");
    idx_tech_clear(&got);
    idx_tech_clear(&t);
    drop_db(db);
}

TM_TEST(without_external_id_the_institution_and_first_patent_identify_a_technology)
{
    idx_db *db = fresh_db();
    idx_tech t;
    idx_upsert_res res;
    make_tech(&t, NULL, "배터리 음극재", "한양대학교", "10-2020-0000001");
    CHECK(upsert(db, &t, &res) == TM_OK && res.kind == IDX_UPSERT_ADDED);
    int64_t id = res.id;
    free(t.patents[0].number);
    t.patents[0].number = tm_xstrdup("1020200000001"); /* same number, no hyphens */
    free(t.title);
    t.title = tm_xstrdup("배터리 음극재 제조");
    CHECK(upsert(db, &t, &res) == TM_OK && res.kind == IDX_UPSERT_UPDATED && res.id == id);
    free(t.institution);
    t.institution = tm_xstrdup("연세대학교"); /* another owner: another technology */
    CHECK(upsert(db, &t, &res) == TM_OK && res.kind == IDX_UPSERT_ADDED && res.id != id);
    idx_tech_clear(&t);
    drop_db(db);
}

TM_TEST(an_institution_is_found_by_its_english_name_ignoring_case)
{
    idx_db *db = fresh_db();
    tm_err err = {0};
    idx_inst in = {
        .name = "고려대학교", .name_en = "Korea University", .kind = IDX_KIND_UNIVERSITY};
    int64_t id = 0, found = 0;
    int created = 0;
    idx_strv_push(&in.groups, "forum");
    idx_strv_push(&in.groups, "hongneung");
    CHECK(idx_db_begin_write(db, &err) == TM_OK);
    CHECK(idx_inst_upsert(db, &in, &id, &created, &err) == TM_OK && created);
    CHECK(idx_db_commit(db, &err) == TM_OK);
    idx_strv_clear(&in.groups);
    CHECK(idx_inst_find(db, "korea university", &found, &err) == TM_OK && found == id);
    CHECK(idx_inst_find(db, "고려대학교", &found, &err) == TM_OK && found == id);
    CHECK(idx_inst_find(db, "Korea", &found, &err) == TM_OK && found == 0);

    idx_tech t;
    idx_upsert_res res;
    make_tech(&t, "E-1", "영상 진단", "Korea University", NULL);
    CHECK(upsert(db, &t, &res) == TM_OK && !res.institution_created);
    idx_tech_clear(&t);

    idx_inst *list = NULL;
    size_t n = 0;
    CHECK(idx_inst_list(db, &list, &n, &err) == TM_OK && n == 1);
    if (n == 1) {
        CHECK(list[0].technologies == 1);
        CHECK(list[0].groups.n == 2);
        CHECK_STR(list[0].name_en, "Korea University");
    }
    for (size_t i = 0; i < n; i++)
        idx_inst_clear(&list[i]);
    free(list);
    /* The institution's English name is searchable. */
    CHECK(search_total(db, "institution:korea", NULL) == 1);
    drop_db(db);
}

TM_TEST(every_write_bumps_the_catalogue_generation)
{
    idx_db *db = fresh_db();
    tm_err err = {0};
    int64_t g0 = 0, g1 = 0, g2 = 0;
    idx_tech t;
    idx_upsert_res res;
    CHECK(idx_db_catalogue_gen(db, &g0, &err) == TM_OK);
    make_tech(&t, "G-1", "센서", "서울대학교", NULL);
    CHECK(upsert(db, &t, &res) == TM_OK);
    CHECK(idx_db_catalogue_gen(db, &g1, &err) == TM_OK && g1 > g0);
    CHECK(upsert(db, &t, &res) == TM_OK && res.kind == IDX_UPSERT_UNCHANGED);
    CHECK(idx_db_catalogue_gen(db, &g2, &err) == TM_OK && g2 == g1);
    idx_tech_clear(&t);
    drop_db(db);
}

static bool fts_intact(idx_db *db)
{
    return sqlite3_exec(
               db->h,
               "INSERT INTO technology_fts (technology_fts, rank) VALUES ('integrity-check', 1)",
               NULL, NULL, NULL) == SQLITE_OK;
}

TM_TEST(a_bulk_write_indexes_its_new_rows_once_with_their_final_values)
{
    idx_db *db = fresh_db();
    tm_err err = {0};
    idx_tech old, a;
    idx_upsert_res res;
    int64_t g0 = 0, g1 = 0;
    make_tech(&old, "B-OLD", "오래된 센서", "서울대학교", NULL);
    CHECK(upsert(db, &old, &res) == TM_OK);
    CHECK(idx_db_catalogue_gen(db, &g0, &err) == TM_OK);

    CHECK(idx_db_begin_write(db, &err) == TM_OK);
    CHECK(idx_bulk_begin(db, false, &err) == TM_OK);
    make_tech(&a, "B-NEW", "첫번째 제목 qqfirst", "서울대학교", NULL);
    CHECK(idx_tech_upsert(db, &a, &res, &err) == TM_OK && res.kind == IDX_UPSERT_ADDED);
    free(a.title);
    a.title = tm_xstrdup("두번째 제목 qqsecond"); /* the same record again, changed */
    CHECK(idx_tech_upsert(db, &a, &res, &err) == TM_OK && res.kind == IDX_UPSERT_UPDATED);
    free(old.title);
    old.title = tm_xstrdup("새로운 센서 qqolder"); /* a row from before the bulk write */
    CHECK(idx_tech_upsert(db, &old, &res, &err) == TM_OK && res.kind == IDX_UPSERT_UPDATED);
    CHECK(idx_bulk_end(db, NULL, &err) == TM_OK);
    CHECK(idx_db_commit(db, &err) == TM_OK);

    CHECK(fts_intact(db));
    CHECK(search_total(db, "qqsecond", NULL) == 1);
    CHECK(search_total(db, "qqfirst", NULL) == 0);
    CHECK(search_total(db, "qqolder", NULL) == 1);
    CHECK(search_total(db, "오래된", NULL) == 0);
    CHECK(idx_db_catalogue_gen(db, &g1, &err) == TM_OK && g1 > g0);
    /* and the flag is off again: a plain write is indexed at once */
    idx_tech_clear(&a);
    make_tech(&a, "B-LATER", "나중에 qqlater", "서울대학교", NULL);
    CHECK(upsert(db, &a, &res) == TM_OK);
    CHECK(search_total(db, "qqlater", NULL) == 1 && fts_intact(db));
    idx_tech_clear(&a);
    idx_tech_clear(&old);
    drop_db(db);
}

TM_TEST(a_bulk_write_indexes_a_row_that_reuses_the_highest_id)
{
    idx_db *db = fresh_db();
    tm_err err = {0};
    idx_tech t;
    idx_upsert_res res;
    make_tech(&t, "R-1", "지울 기술 qqgone", "서울대학교", NULL);
    CHECK(upsert(db, &t, &res) == TM_OK);
    int64_t top = res.id;
    idx_tech_clear(&t);
    /* Without AUTOINCREMENT the next row takes the deleted highest id: the
     * store's index still holds the old row's entries and FTS5's delete
     * entries for them, and the import's must win over both. */
    CHECK(sqlite3_exec(db->h, "DELETE FROM patent; DELETE FROM technology", NULL, NULL, NULL) ==
          SQLITE_OK);
    CHECK(idx_db_begin_write(db, &err) == TM_OK);
    CHECK(idx_bulk_begin(db, false, &err) == TM_OK);
    make_tech(&t, "R-2", "새 기술 qqreused", "서울대학교", NULL);
    CHECK(idx_tech_upsert(db, &t, &res, &err) == TM_OK && res.id == top);
    CHECK(idx_bulk_end(db, NULL, &err) == TM_OK);
    CHECK(idx_db_commit(db, &err) == TM_OK);
    CHECK(fts_intact(db));
    CHECK(search_total(db, "qqreused", NULL) == 1 && search_total(db, "qqgone", NULL) == 0);
    idx_tech_clear(&t);
    drop_db(db);
}

TM_TEST(a_rolled_back_bulk_write_leaves_plain_writes_indexed)
{
    idx_db *db = fresh_db();
    tm_err err = {0};
    idx_tech t;
    idx_upsert_res res;
    CHECK(idx_db_begin_write(db, &err) == TM_OK);
    CHECK(idx_bulk_begin(db, false, &err) == TM_OK);
    make_tech(&t, "RB-1", "버린 기술 qqdropped", "서울대학교", NULL);
    CHECK(idx_tech_upsert(db, &t, &res, &err) == TM_OK);
    idx_db_rollback(db); /* as a failed or dry-run import */
    idx_tech_clear(&t);
    make_tech(&t, "RB-2", "남은 기술 qqkept", "서울대학교", NULL);
    CHECK(upsert(db, &t, &res) == TM_OK);
    CHECK(fts_intact(db));
    CHECK(search_total(db, "qqkept", NULL) == 1 && search_total(db, "qqdropped", NULL) == 0);
    idx_tech_clear(&t);
    drop_db(db);
}

static void seed(idx_db *db)
{
    static const struct {
        const char *ext, *title, *inst;
        int field, trl, status;
        unsigned licence;
    } rows[] = {
        {"S-1", "의료기기용 심박 센서", "고려대학교", IDX_FIELD_BIO_MEDICAL, 3,
         IDX_STATUS_AVAILABLE, 1},
        {"S-2", "의료 영상 진단 AI 기술을 이용한 방법", "서울대학교", IDX_FIELD_ICT, 6,
         IDX_STATUS_AVAILABLE, 2},
        {"S-3", "리튬 batteries with graphene electrodes", "한양대학교", IDX_FIELD_ENERGY, 7,
         IDX_STATUS_NEGOTIATING, 3},
        {"S-4", "특허 관리 시스템", "고려대학교", IDX_FIELD_ICT, 0, IDX_STATUS_WITHDRAWN, 0},
        {"S-5", "battery pack cooling", "서울대학교", IDX_FIELD_ENERGY, 5, IDX_STATUS_LICENSED, 4},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        idx_tech t;
        idx_upsert_res res;
        make_tech(&t, rows[i].ext, rows[i].title, rows[i].inst, NULL);
        t.field = rows[i].field;
        t.trl = rows[i].trl;
        t.status = rows[i].status;
        t.licence = rows[i].licence;
        idx_strv_clear(&t.keywords);
        if (i == 1) {
            t.summary = tm_xstrdup("영상 진단 요약");
            t.title_en = tm_xstrdup("Medical imaging AI");
            idx_strv_push(&t.keywords, "영상");
            idx_strv_push(&t.keywords, "AI");
        }
        CHECK(upsert(db, &t, &res) == TM_OK);
        idx_tech_clear(&t);
    }
}

TM_TEST(fts_search_finds_korean_by_parts_and_particles_and_english_by_stem)
{
    idx_db *db = fresh_db();
    seed(db);
    CHECK(search_total(db, "의료", NULL) == 2); /* 의료기기용, 의료 영상 */
    CHECK(search_total(db, "의료기기", NULL) == 1);
    CHECK(search_total(db, "기술", NULL) == 1);    /* 기술을 */
    CHECK(search_total(db, "battery", NULL) == 2); /* batteries, battery */
    CHECK(search_total(db, "AI 진단", NULL) == 1);
    CHECK(search_total(db, "특허", NULL) == 0); /* withdrawn: not public */
    CHECK(search_total(db, "battery -cooling", NULL) == 1);
    CHECK(search_total(db, "심박 OR graphene", NULL) == 2);
    CHECK(search_total(db, "title:batter*", NULL) == 2);
    CHECK(search_total(db, NULL, NULL) == 4);
    drop_db(db);
}

TM_TEST(words_that_match_too_little_together_are_relaxed_to_any_of_them)
{
    idx_db *db = fresh_db();
    seed(db);
    idx_search_req req;
    idx_search_res res = {0};
    tm_err err = {0};
    idx_search_req_init(&req);
    req.q = "심박 graphene -cooling";
    req.qlen = strlen(req.q);
    CHECK(idx_search(db, NULL, &req, &res, &err) == TM_OK);
    CHECK(res.relaxed && res.strict_total == 0 && res.total == 2);
    idx_search_res_free(&res);
    /* one word, or a phrase, is never loosened */
    req.q = "\"심박 graphene\"";
    req.qlen = strlen(req.q);
    CHECK(idx_search(db, NULL, &req, &res, &err) == TM_OK);
    CHECK(!res.relaxed && res.total == 0);
    idx_search_res_free(&res);
    /* exclusions still hold when relaxed */
    req.q = "battery 심박 -cooling";
    req.qlen = strlen(req.q);
    CHECK(idx_search(db, NULL, &req, &res, &err) == TM_OK);
    CHECK(res.relaxed && res.total == 2);
    for (size_t i = 0; i < res.nhits; i++)
        CHECK(res.hits[i].id != 5);
    idx_search_res_free(&res);
    drop_db(db);
}

TM_TEST(a_relaxed_answer_ranks_technologies_with_all_the_words_first_on_every_page)
{
    idx_db *db = fresh_db();
    /* Technology 1 holds both words, but only in a long description; the
     * others hold one word each in their titles, which bm25 weighs far
     * higher. Twenty others make both words rare. */
    static const char *const titles[] = {"일반 문서", "qqbeta qqbeta", "qqbeta", "qqalpha"};
    for (size_t i = 0; i < 24; i++) {
        char ext[16], title[32];
        idx_tech t;
        idx_upsert_res res;
        (void)snprintf(ext, sizeof ext, "T-%zu", i);
        (void)snprintf(title, sizeof title, "filler %zu", i);
        make_tech(&t, ext, i < 4 ? titles[i] : title, "서울대학교", NULL);
        idx_strv_clear(&t.keywords);
        if (i == 0)
            t.description =
                tm_xstrdup("qqalpha words words words words words words words words words "
                           "words words words words words words words words words words "
                           "words words words words words words words words qqbeta");
        CHECK(upsert(db, &t, &res) == TM_OK);
        idx_tech_clear(&t);
    }
    idx_search_req req;
    idx_search_res res = {0};
    tm_err err = {0};
    int64_t seen[4];
    idx_search_req_init(&req);
    req.q = "qqalpha qqbeta";
    req.qlen = strlen(req.q);
    req.per_page = 1;
    for (int page = 1; page <= 4; page++) {
        req.page = page;
        CHECK(idx_search(db, NULL, &req, &res, &err) == TM_OK);
        CHECK(res.relaxed && res.strict_total == 1 && res.total == 4 && res.nhits == 1);
        seen[page - 1] = res.nhits ? res.hits[0].id : -1;
        idx_search_res_free(&res);
    }
    CHECK(seen[0] == 1); /* the only one with both words, whatever bm25 says */
    for (int a = 0; a < 4; a++)
        for (int b = a + 1; b < 4; b++)
            CHECK(seen[a] != seen[b]);
    req.page = 5;
    CHECK(idx_search(db, NULL, &req, &res, &err) == TM_OK && res.nhits == 0 && res.total == 4);
    idx_search_res_free(&res);
    drop_db(db);
}

TM_TEST(fts_search_filters_and_counts_facets_over_all_matches)
{
    idx_db *db = fresh_db();
    seed(db);
    idx_search_req req;
    idx_search_res res = {0};
    tm_err err = {0};

    idx_search_req_init(&req);
    req.per_page = 1;
    CHECK(idx_search(db, NULL, &req, &res, &err) == TM_OK);
    CHECK(res.total == 4 && res.nhits == 1);
    CHECK(res.facets.field[IDX_FIELD_ENERGY] == 2 && res.facets.field[IDX_FIELD_ICT] == 1);
    CHECK(res.facets.status[IDX_STATUS_WITHDRAWN] == 0);
    CHECK(res.facets.trl[7] == 1 && res.facets.trl[3] == 1);
    CHECK(res.facets.licence[IDX_LICENCE_EXCLUSIVE] == 2);
    CHECK(res.facets.ninstitution == 3);
    /* newest first without a query */
    CHECK(res.nhits == 1 && res.hits[0].id == 5);
    idx_search_res_free(&res);

    idx_search_req_init(&req);
    req.field = IDX_FIELD_ENERGY;
    CHECK(search_total(db, NULL, &req) == 2);
    req.trl_min = 6;
    CHECK(search_total(db, NULL, &req) == 1);
    idx_search_req_init(&req);
    req.status = IDX_STATUS_WITHDRAWN;
    CHECK(search_total(db, NULL, &req) == 1);
    idx_search_req_init(&req);
    req.licence = IDX_LICENCE_ASSIGNMENT;
    CHECK(search_total(db, NULL, &req) == 1);
    idx_search_req_init(&req);
    req.sort = IDX_SORT_TRL;
    CHECK(idx_search(db, NULL, &req, &res, &err) == TM_OK);
    CHECK(res.nhits == 4 && res.hits[0].id == 3 && res.hits[3].id == 1);
    idx_search_res_free(&res);
    drop_db(db);
}

static bool same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

TM_TEST(a_hit_read_from_the_snapshot_equals_the_stored_record)
{
    idx_db *db = fresh_db();
    seed(db);
    idx_engine *e = NULL;
    tm_err err = {0};
    CHECK(idx_engine_open(db_path, &e, &err) == TM_OK);
    idx_search_req req;
    idx_search_res res = {0};
    idx_search_req_init(&req);
    req.status = -1;
    CHECK(e && idx_search(db, e, &req, &res, &err) == TM_OK);
    CHECK(res.engine == 1 && res.mem != NULL && res.nhits == 4);
    for (size_t i = 0; i < res.nhits; i++) {
        idx_tech a, b;
        CHECK(idx_search_hit(db, &res, i, &a, &err) == TM_OK);
        CHECK(idx_tech_get_brief(db, res.hits[i].id, &b, &err) == TM_OK);
        CHECK(a.id == b.id && a.institution_id == b.institution_id);
        CHECK(same_str(a.external_id, b.external_id) && same_str(a.title, b.title));
        CHECK(same_str(a.title_en, b.title_en) && same_str(a.summary, b.summary));
        CHECK(same_str(a.description, b.description) && same_str(a.institution, b.institution));
        CHECK(a.field == b.field && a.status == b.status && a.trl == b.trl);
        CHECK(a.licence == b.licence && a.keywords.n == b.keywords.n);
        for (size_t k = 0; k < a.keywords.n && k < b.keywords.n; k++)
            CHECK_STR(a.keywords.v[k], b.keywords.v[k]);
        idx_tech_clear(&a);
        idx_tech_clear(&b);
    }
    idx_search_res_free(&res);
    idx_engine_free(e);
    drop_db(db);
}

TM_TEST(hostile_queries_give_results_or_a_400_never_an_internal_error)
{
    idx_db *db = fresh_db();
    seed(db);
    static const char *const qs[] = {
        "\"unbalanced", "-", "NEAR(", "*",    "^",   "\x01\x02", "\xff\xfe", "a\"b",           "OR",
        "title:",       ":", "-a -b", "\"\"", "(((", "a AND",    "col:umn",  "'; DROP TABLE x"};
    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++) {
        int64_t total = search_total(db, qs[i], NULL);
        CHECK(total >= 0 || total == -1 - TM_EINVAL);
    }
    char big[10240];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    CHECK(search_total(db, big, NULL) == -1 - TM_EINVAL);
    drop_db(db);
}

TM_TEST(bad_paging_is_an_error_naming_the_parameter)
{
    idx_db *db = fresh_db();
    idx_search_req req;
    idx_search_res res = {0};
    tm_err err = {0};
    idx_search_req_init(&req);
    req.per_page = 101;
    CHECK(idx_search(db, NULL, &req, &res, &err) == TM_EINVAL);
    CHECK_STR(err.field, "per_page");
    idx_search_req_init(&req);
    req.page = 0;
    CHECK(idx_search(db, NULL, &req, &res, &err) == TM_EINVAL);
    CHECK_STR(err.field, "page");
    drop_db(db);
}

TM_TEST(bm25_weights_in_sql_match_the_engine_table)
{
    /* idx_stmt.c spells the weights out in SQL; they must be idx_col_weight. */
    char want[256];
    int n = snprintf(want, sizeof want, "bm25(technology_fts");
    for (int c = 0; c < IDX_COL__COUNT; c++)
        n += snprintf(want + n, sizeof want - (size_t)n, ", %.1f", idx_col_weight[c]);
    (void)snprintf(want + n, sizeof want - (size_t)n, ")");
    CHECK(strstr(idx_stmt_sql(IDX_STMT_SEARCH_MATCH_RANK), want) != NULL);
}

/* idx_tech_upsert_diff's parts: each one changed alone is named alone. */
static unsigned diff_of(idx_db *db, idx_tech *t)
{
    tm_err err = {0};
    idx_upsert_res res;
    int code = idx_db_begin_write(db, &err);
    if (code == TM_OK) code = idx_tech_upsert_diff(db, t, &res, &err);
    idx_db_rollback(db); /* look, do not keep */
    return code == TM_OK && res.kind == IDX_UPSERT_UPDATED ? res.changed : 0xffffffffu;
}

TM_TEST(upsert_diff_names_exactly_the_parts_that_change)
{
    idx_db *db = fresh_db();
    idx_tech t;
    idx_upsert_res res;
    make_tech(&t, "D-1", "심박 측정 장치", "고려대학교", "10-2019-0012345");
    CHECK(upsert(db, &t, &res) == TM_OK && res.kind == IDX_UPSERT_ADDED);
    tm_err err = {0};
    CHECK(idx_db_begin_write(db, &err) == TM_OK);
    CHECK(idx_tech_upsert_diff(db, &t, &res, &err) == TM_OK);
    CHECK(res.kind == IDX_UPSERT_UNCHANGED && res.changed == 0);
    idx_db_rollback(db);

    t.trl = 7;
    CHECK(diff_of(db, &t) == 1u << IDX_TECH_F_TRL);
    t.trl = 4;
    free(t.title);
    t.title = tm_xstrdup("심박 측정 장치 개량");
    idx_strv_push(&t.keywords, "센서");
    CHECK(diff_of(db, &t) == ((1u << IDX_TECH_F_TITLE) | (1u << IDX_TECH_F_KEYWORDS)));
    idx_tech_clear(&t);
    make_tech(&t, "D-1", "심박 측정 장치", "고려대학교", "10-2019-0012345");
    free(t.patents[0].country);
    t.patents[0].country = tm_xstrdup("US");
    free(t.institution);
    t.institution = tm_xstrdup("서울대학교");
    CHECK(diff_of(db, &t) == ((1u << IDX_TECH_F_PATENTS) | (1u << IDX_TECH_F_INSTITUTION)));
    CHECK(strcmp(idx_tech_f_name(IDX_TECH_F_PATENTS), "patents") == 0);
    CHECK(idx_tech_f_name(IDX_TECH_F__COUNT) == NULL);
    /* the rolled-back looks left the stored record as it was */
    idx_tech_clear(&t);
    make_tech(&t, "D-1", "심박 측정 장치", "고려대학교", "10-2019-0012345");
    CHECK(upsert(db, &t, &res) == TM_OK && res.kind == IDX_UPSERT_UNCHANGED);
    idx_tech_clear(&t);
    drop_db(db);
}

/* The within-run hash tells apart what the stored hash tells apart; the
 * institution is not in it (its callers add what they name). */
TM_TEST(the_body_hash_is_equal_for_equal_records_and_differs_for_any_change)
{
    idx_tech a, b;
    make_tech(&a, "H-1", "심박 측정 장치", "고려대학교", "10-2019-0012345");
    make_tech(&b, "H-1", "심박 측정 장치", "서울대학교", "10-2019-0012345");
    uint64_t h = idx_tech_body_hash64(&a);
    CHECK(idx_tech_body_hash64(&b) == h);
    b.trl = 5;
    CHECK(idx_tech_body_hash64(&b) != h);
    b.trl = a.trl;
    b.title_en = tm_xstrdup(""); /* empty is not absent */
    CHECK(idx_tech_body_hash64(&b) != h);
    free(b.title_en);
    b.title_en = NULL;
    CHECK(idx_tech_body_hash64(&b) == h);
    /* the same bytes split otherwise between list entries */
    idx_strv_clear(&a.keywords);
    idx_strv_push(&a.keywords, "의료기기센서");
    idx_strv_clear(&b.keywords);
    idx_strv_push(&b.keywords, "의료기기");
    idx_strv_push(&b.keywords, "센서");
    CHECK(idx_tech_body_hash64(&a) != idx_tech_body_hash64(&b));
    idx_strv_clear(&b.keywords);
    idx_strv_push(&b.keywords, "의료기기센서");
    CHECK(idx_tech_body_hash64(&a) == idx_tech_body_hash64(&b));
    b.patents[0].filed = tm_xstrdup("2019-01-23");
    CHECK(idx_tech_body_hash64(&a) != idx_tech_body_hash64(&b));
    idx_tech_clear(&a);
    idx_tech_clear(&b);
}

TM_TEST_MAIN()
