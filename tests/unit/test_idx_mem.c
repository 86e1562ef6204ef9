/* The in-memory engine: it must answer exactly as the FTS5 path does (same
 * total, facets, ids in the same order, scores equal) for every kind of
 * query, filter, sort and page; and idx_engine must hand out current
 * snapshots, rebuild after writes and free old snapshots safely while
 * other threads search. The catalogue is a sample of the demo records. */
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../common/tm_alloc.h"
#include "../../index/idx_db.h"
#include "../../index/idx_enum.h"
#include "../../index/idx_inst.h"
#include "../../index/idx_mem.h"
#include "../../index/idx_query.h"
#include "../../index/idx_search.h"
#include "../../index/idx_tech.h"
#include "../tm_test.h"

#define DEMO "data/demo/"

static void db_path_of(char *buf, size_t n, const char *tag)
{
    (void)snprintf(buf, n, "/tmp/tm_test_mem_%s_%d.db", tag, (int)getpid());
}

static void db_remove(const char *path)
{
    char side[128];
    unlink(path);
    (void)snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    (void)snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
}

static char *json_strdup(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? tm_xstrdup(s) : NULL;
}

static void json_strv(json_t *o, const char *key, idx_strv *v)
{
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(o, key), i, x)
    {
        if (json_is_string(x)) idx_strv_push(v, json_string_value(x));
    }
}

static int load_institutions(idx_db *db)
{
    tm_err err = {0};
    FILE *f = fopen(DEMO "institutions.jsonl", "r");
    char line[8192];
    int code = f ? idx_db_begin_write(db, &err) : TM_EINVAL;
    while (code == TM_OK && fgets(line, sizeof line, f)) {
        json_t *o = json_loads(line, 0, NULL);
        idx_inst in = {0};
        int64_t id;
        int created;
        if (!o) continue;
        in.name = json_strdup(o, "name");
        in.name_en = json_strdup(o, "name_en");
        in.kind = idx_kind_parse(json_string_value(json_object_get(o, "kind")));
        if (in.kind < 0) in.kind = IDX_KIND_OTHER;
        json_strv(o, "groups", &in.groups);
        code = idx_inst_upsert(db, &in, &id, &created, &err);
        idx_inst_clear(&in);
        json_decref(o);
    }
    if (code == TM_OK)
        code = idx_db_commit(db, &err);
    else if (f)
        idx_db_rollback(db);
    if (f) fclose(f);
    if (code != TM_OK) fprintf(stderr, "  institutions: %s\n", err.msg);
    return code;
}

/* Record i of the demo file as a technology; trl, licence and status, which
 * the demo leaves out, vary with i so that every facet and filter has work. */
static void tech_from_json(json_t *o, size_t i, idx_tech *t)
{
    static const int statuses[] = {IDX_STATUS_AVAILABLE,   IDX_STATUS_AVAILABLE,
                                   IDX_STATUS_NEGOTIATING, IDX_STATUS_LICENSED,
                                   IDX_STATUS_AVAILABLE,   IDX_STATUS_WITHDRAWN};
    idx_tech_init(t);
    t->external_id = json_strdup(o, "external_id");
    t->title = json_strdup(o, "title");
    t->title_en = json_strdup(o, "title_en");
    t->summary = json_strdup(o, "summary");
    t->description = json_strdup(o, "description");
    t->institution = json_strdup(o, "institution");
    t->field = idx_field_parse(json_string_value(json_object_get(o, "field")));
    json_strv(o, "keywords", &t->keywords);
    json_strv(o, "ipc", &t->ipc);
    json_strv(o, "inventors", &t->inventors);
    t->trl = (int)(i % 10);
    t->licence = (unsigned)((i * 7) % 16);
    t->status = statuses[i % 6];
    if (i % 13 == 0) t->field = -1;
    json_t *pats = json_object_get(o, "patents");
    size_t n = json_array_size(pats);
    if (n) {
        t->patents = tm_xcalloc(n, sizeof *t->patents);
        for (size_t k = 0; k < n; k++) {
            json_t *p = json_array_get(pats, k);
            t->patents[k].number = json_strdup(p, "number");
            t->patents[k].country = json_strdup(p, "country");
            t->patents[k].kind = json_strdup(p, "kind");
            t->patents[k].status = json_strdup(p, "status");
            t->patents[k].filed = json_strdup(p, "filed");
            t->patents[k].registered = json_strdup(p, "registered");
            t->patents[k].registration_number = json_strdup(p, "registration_number");
        }
        t->npatents = n;
    }
}

static int upsert(idx_db *db, idx_tech *t)
{
    tm_err err = {0};
    idx_upsert_res res;
    int code = idx_db_begin_write(db, &err);
    if (code == TM_OK) code = idx_tech_upsert(db, t, &res, &err);
    if (code == TM_OK)
        code = idx_db_commit(db, &err);
    else
        idx_db_rollback(db);
    if (code != TM_OK)
        fprintf(stderr, "  upsert %s: %s\n", t->external_id ? t->external_id : "", err.msg);
    return code;
}

/* A few records written for the queries below: repeated tokens, stems,
 * phrases that only hold within one column. */
static int load_extras(idx_db *db)
{
    static const char *const extra[][4] = {
        {"X-1", "기기기기 반복 측정", "Battery batteries BATTERY charging", "기기"},
        {"X-2", "리튬 배터리 충전 방법", "lithium battery charger and charging method", "배터리"},
        {"X-3", "의료 기기", "medical device", "의료기기"},
        {"X-4", "방법", "method", "방법 방법 방법"},
    };
    int code = TM_OK;
    for (size_t i = 0; code == TM_OK && i < sizeof extra / sizeof extra[0]; i++) {
        idx_tech t;
        idx_tech_init(&t);
        t.external_id = tm_xstrdup(extra[i][0]);
        t.title = tm_xstrdup(extra[i][1]);
        t.title_en = tm_xstrdup(extra[i][2]);
        t.summary = tm_xstrdup(extra[i][2]);
        idx_strv_push(&t.keywords, extra[i][3]);
        t.institution = tm_xstrdup("서울대학교");
        t.field = (int)i % IDX_FIELD__COUNT;
        t.trl = (int)i + 3;
        code = upsert(db, &t);
        idx_tech_clear(&t);
    }
    /* A four-syllable word common enough (in 24 records, in one column or
     * two) to get a gram of three bigrams, the case of 제조방법 in a large
     * catalogue. */
    static const char *const lead[] = {"신규", "개선된", "휴대용", "저비용"};
    for (int i = 0; code == TM_OK && i < 24; i++) {
        idx_tech t;
        char ext[16], title[128];
        idx_tech_init(&t);
        (void)snprintf(ext, sizeof ext, "Y-%d", i);
        (void)snprintf(title, sizeof title, "%s 의료기기 제조방법 %d", lead[i % 4], i);
        t.external_id = tm_xstrdup(ext);
        t.title = tm_xstrdup(title);
        t.summary = tm_xstrdup(i % 3 ? "의료기기의 제조방법 및 제조방법에 의한 의료기기"
                                     : "의료 기기를 만드는 방법");
        t.institution = tm_xstrdup(i % 2 ? "고려대학교" : "서울대학교");
        t.field = i % IDX_FIELD__COUNT;
        t.trl = i % 10;
        t.licence = (unsigned)i % 16;
        code = upsert(db, &t);
        idx_tech_clear(&t);
    }
    return code;
}

/* Every step-th demo record, and the extras. created_at is then spread
 * over a few days so that "newest" has both order and ties. */
static int fill_catalogue(idx_db *db, size_t step)
{
    FILE *f = fopen(DEMO "technologies.jsonl", "r");
    size_t cap = 1 << 20, i = 0;
    char *line = tm_xmalloc(cap);
    int code = f ? load_institutions(db) : TM_EINVAL;
    while (code == TM_OK && fgets(line, (int)cap, f)) {
        if (i++ % step) continue;
        json_t *o = json_loads(line, 0, NULL);
        if (!o) continue;
        idx_tech t;
        tech_from_json(o, i, &t);
        code = upsert(db, &t);
        idx_tech_clear(&t);
        json_decref(o);
    }
    free(line);
    if (f) fclose(f);
    if (code == TM_OK) code = load_extras(db);
    if (code == TM_OK)
        code = sqlite3_exec(db->h,
                            "UPDATE technology SET created_at ="
                            " printf('2025-01-%02dT00:00:00Z', (id * 7) % 5 + 1)",
                            NULL, NULL, NULL) == SQLITE_OK
                   ? TM_OK
                   : TM_EINTERNAL;
    return code;
}

/* The shared catalogue, built once. */
static idx_db *cat_db;
static char cat_path[96];

/* Closes and removes the shared catalogue at exit, whichever tests ran. */
static void catalogue_drop(void)
{
    if (cat_db) {
        idx_db_close(cat_db);
        cat_db = NULL;
        db_remove(cat_path);
    }
}

static idx_db *catalogue(void)
{
    if (!cat_db) {
        tm_err err = {0};
        db_path_of(cat_path, sizeof cat_path, "cat");
        db_remove(cat_path);
        atexit(catalogue_drop);
        if (idx_db_open(cat_path, &cat_db, &err) != TM_OK) {
            fprintf(stderr, "  open: %s\n", err.msg);
            return NULL;
        }
        if (fill_catalogue(cat_db, 7) != TM_OK) {
            idx_db_close(cat_db);
            cat_db = NULL;
        }
    }
    return cat_db;
}

static bool relax_queries; /* agree() relaxes each query as idx_search may */

static idx_query *parse(idx_db *db, const char *qs)
{
    idx_query *q = NULL;
    tm_err err = {0};
    if (!qs) return NULL;
    if (idx_query_parse(qs, strlen(qs), &q, &err) != TM_OK ||
        idx_query_tokenize(q, db->tok, &err) != TM_OK) {
        fprintf(stderr, "  query %s: %s\n", qs, err.msg);
        idx_query_free(q);
        return NULL;
    }
    if (relax_queries) (void)idx_query_relax(q); /* false leaves q as it was: compared as is */
    return q;
}

static bool facets_equal(const idx_facets *a, const idx_facets *b)
{
    if (memcmp(a->field, b->field, sizeof a->field) != 0 ||
        memcmp(a->status, b->status, sizeof a->status) != 0 ||
        memcmp(a->trl, b->trl, sizeof a->trl) != 0 ||
        memcmp(a->licence, b->licence, sizeof a->licence) != 0 || a->ngroup != b->ngroup ||
        a->ninstitution != b->ninstitution)
        return false;
    for (size_t i = 0; i < a->ngroup; i++)
        if (strcmp(a->group[i].name, b->group[i].name) != 0 || a->group[i].n != b->group[i].n)
            return false;
    for (size_t i = 0; i < a->ninstitution; i++)
        if (a->institution[i].id != b->institution[i].id ||
            a->institution[i].n != b->institution[i].n)
            return false;
    return true;
}

static bool score_equal(double a, double b)
{
    return a == b || fabs(a - b) <= 1e-9 * fmax(fabs(a), fabs(b));
}

typedef struct cmp_stats {
    int searches, nonempty, bitexact_scores, scores;
} cmp_stats;

/* Runs q with req on both paths; true when they agree. */
static bool agree(idx_db *db, const idx_mem *m, const char *qs, const idx_search_req *req,
                  cmp_stats *st)
{
    idx_query *q = parse(db, qs);
    idx_search_res a = {0}, b = {0};
    tm_err err = {0};
    bool ok = true;
    int ca = idx_search_fts(db, q, req, &a, &err);
    int cb = idx_mem_search(m, q, req, &b, &err);
    if (ca != TM_OK || cb != TM_OK) {
        fprintf(stderr, "  %s: fts %d mem %d %s\n", qs ? qs : "(none)", ca, cb, err.msg);
        ok = false;
        goto out;
    }
    st->searches++;
    st->nonempty += a.total > 0;
    if (a.total != b.total || a.nhits != b.nhits || !facets_equal(&a.facets, &b.facets)) ok = false;
    for (size_t i = 0; ok && i < a.nhits; i++) {
        ok = a.hits[i].id == b.hits[i].id && score_equal(a.hits[i].score, b.hits[i].score);
        st->scores++;
        st->bitexact_scores += a.hits[i].score == b.hits[i].score;
    }
    if (!ok) {
        fprintf(stderr,
                "  MISMATCH q=%s sort=%d page=%d/%d field=%d status=%d trl=%d-%d lic=%d"
                " group=%s inst=%lld: total %lld/%lld hits %zu/%zu facets %s\n",
                qs ? qs : "(none)", req->sort, req->page, req->per_page, req->field, req->status,
                req->trl_min, req->trl_max, req->licence, req->group ? req->group : "-",
                (long long)req->institution_id, (long long)a.total, (long long)b.total, a.nhits,
                b.nhits, facets_equal(&a.facets, &b.facets) ? "same" : "differ");
        for (size_t i = 0; i < a.nhits || i < b.nhits; i++)
            fprintf(
                stderr, "    %zu: fts %lld %.17g  mem %lld %.17g\n", i,
                i < a.nhits ? (long long)a.hits[i].id : -1LL, i < a.nhits ? a.hits[i].score : 0.0,
                i < b.nhits ? (long long)b.hits[i].id : -1LL, i < b.nhits ? b.hits[i].score : 0.0);
    }
out:
    idx_search_res_free(&a);
    idx_search_res_free(&b);
    idx_query_free(q);
    return ok;
}

static idx_mem *build(idx_db *db)
{
    idx_mem *m = NULL;
    tm_err err = {0};
    if (idx_mem_build(db, &m, &err) != TM_OK) fprintf(stderr, "  build: %s\n", err.msg);
    return m;
}

/* Filters to combine with every query: none, each alone, some together. */
static void filter_variant(idx_db *db, int v, idx_search_req *req)
{
    static int64_t some_inst;
    if (!some_inst) {
        sqlite3_stmt *s = NULL;
        if (sqlite3_prepare_v2(db->h,
                               "SELECT institution_id FROM technology GROUP BY institution_id"
                               " ORDER BY count(*) DESC LIMIT 1",
                               -1, &s, NULL) == SQLITE_OK &&
            sqlite3_step(s) == SQLITE_ROW)
            some_inst = sqlite3_column_int64(s, 0);
        sqlite3_finalize(s);
    }
    switch (v) {
    case 1:
        req->field = IDX_FIELD_ENERGY;
        break;
    case 2:
        req->trl_min = 4;
        req->trl_max = 7;
        req->licence = IDX_LICENCE_NON_EXCLUSIVE;
        break;
    case 3:
        req->group = "forum";
        req->status = IDX_STATUS_AVAILABLE;
        break;
    case 4:
        req->institution_id = some_inst;
        break;
    case 5:
        req->status = IDX_STATUS_WITHDRAWN;
        req->trl_max = 3;
        break;
    case 6:
        req->group = "no-such-group";
        break;
    default:
        break;
    }
}
#define NVARIANTS 7

/* Queries of every kind the parser makes. */
static const char *const queries[] = {
    "기술",
    "시스템",
    "데이터",
    "title:시스템",
    "keywords:시스템",
    "시스템 -데이터",
    "의료기기",
    "제조방법",
    "title:제조방법",
    "summary:제조방법",
    "의료기기 제조방법",
    "\"의료기기 제조방법\"",
    "방법",
    "장치",
    "battery",
    "batteries",
    "BATTERY charging",
    "그래핀 battery",
    "그래핀 전극",
    "\"전극 제조\"",
    "\"제조 방법\"",
    "\"lithium battery\"",
    "\"기기 기기\"",
    "기기기기",
    "그래핀 OR 배터리",
    "센서 OR 의료 OR battery",
    "방법 -장치",
    "방법 -\"제조 방법\"",
    "방법 장치 -시스템 -센서",
    "방법 -title:장치",
    "방법 -그래*",
    "방법 -\"제조 방법\" -title:제조방법",
    "batt*",
    "charg*",
    "그래*",
    "기*",
    "\"lithium batt\"*",
    "title:\"lithium batt\"*",
    "의료기*",
    "\"제조 방*\"",
    "title:방법",
    "title:battery",
    "title:\"제조 방법\"",
    "keywords:센서",
    "keywords:의료기기",
    "institution:서울대학교",
    "institution:seoul",
    "inventor:김",
    "ipc:H01M",
    "ipc:a61b",
    "title:batt*",
    "방법 title:장치",
    "방법 OR title:장치",
    "method apparatus",
    "3d",
    "h01g",
    "10-2016-0138184",
    "1020160138184",
    "방법 방법",
    "the of and",
    "존재하지않는단어",
    "방법 존재하지않는단어",
    "존재하지않는단어 OR 그래핀",
    "방법 -존재하지않는단어",
};
#define NQUERIES (sizeof queries / sizeof queries[0])

TM_TEST(engine_answers_every_query_filter_and_sort_exactly_as_fts5)
{
    idx_db *db = catalogue();
    CHECK(db != NULL);
    if (!db) return;
    idx_mem *m = build(db);
    CHECK(m != NULL);
    if (!m) return;
    cmp_stats st = {0};
    int bad = 0;
    for (size_t i = 0; i < NQUERIES; i++) {
        for (int v = 0; v < NVARIANTS; v++) {
            for (int sort = 0; sort < IDX_SORT__COUNT; sort++) {
                idx_search_req req;
                idx_search_req_init(&req);
                filter_variant(db, v, &req);
                req.sort = sort;
                req.per_page = 10;
                if (!agree(db, m, queries[i], &req, &st)) bad++;
            }
        }
    }
    CHECK(bad == 0);
    /* The comparison means something only if most searches found things,
     * and scores agree to the last bit (same operations in the same order). */
    CHECK(st.searches == (int)(NQUERIES * NVARIANTS * IDX_SORT__COUNT));
    CHECK(st.nonempty > st.searches / 2);
    CHECK(st.bitexact_scores == st.scores);
    idx_mem_free(m);
}

TM_TEST(engine_answers_relaxed_queries_exactly_as_fts5)
{
    /* idx_search turns a multi-word search that finds too little into the
     * OR of its words (exclusions kept): both paths must agree on those. */
    idx_db *db = catalogue();
    idx_mem *m = db ? build(db) : NULL;
    CHECK(m != NULL);
    if (!m) return;
    cmp_stats st = {0};
    int bad = 0;
    relax_queries = true;
    for (size_t i = 0; i < NQUERIES; i++) {
        for (int v = 0; v < NVARIANTS; v += 3) {
            for (int sort = 0; sort < IDX_SORT__COUNT; sort++) {
                idx_search_req req;
                idx_search_req_init(&req);
                filter_variant(db, v, &req);
                req.sort = sort;
                if (!agree(db, m, queries[i], &req, &st)) bad++;
            }
        }
    }
    relax_queries = false;
    CHECK(bad == 0);
    CHECK(st.nonempty > st.searches / 2);
    CHECK(st.bitexact_scores == st.scores);
    idx_mem_free(m);
}

TM_TEST(engine_pages_like_fts5_deep_into_the_results)
{
    idx_db *db = catalogue();
    idx_mem *m = db ? build(db) : NULL;
    CHECK(m != NULL);
    if (!m) return;
    cmp_stats st = {0};
    static const char *const qs[] = {"방법", "기*", "그래핀 OR 배터리", NULL};
    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++) {
        for (int sort = 0; sort < IDX_SORT__COUNT; sort++) {
            for (int page = 1; page <= 12; page += 3) {
                idx_search_req req;
                idx_search_req_init(&req);
                req.sort = sort;
                req.page = page;
                req.per_page = 7;
                CHECK(agree(db, m, qs[i], &req, &st));
            }
            idx_search_req req;
            idx_search_req_init(&req);
            req.sort = sort;
            req.page = 1;
            req.per_page = IDX_PER_PAGE_MAX;
            CHECK(agree(db, m, qs[i], &req, &st));
        }
    }
    CHECK(st.nonempty == st.searches - 0 || st.nonempty > 0);
    idx_mem_free(m);
}

TM_TEST(engine_lists_the_catalogue_without_a_query_like_fts5)
{
    idx_db *db = catalogue();
    idx_mem *m = db ? build(db) : NULL;
    CHECK(m != NULL);
    if (!m) return;
    cmp_stats st = {0};
    for (int v = 0; v < NVARIANTS; v++) {
        for (int sort = IDX_SORT_NEWEST; sort < IDX_SORT__COUNT; sort++) {
            idx_search_req req;
            idx_search_req_init(&req);
            filter_variant(db, v, &req);
            req.sort = sort;
            req.per_page = 20;
            CHECK(agree(db, m, NULL, &req, &st));
            CHECK(agree(db, m, "", &req, &st));
            req.page = 3;
            CHECK(agree(db, m, NULL, &req, &st));
        }
    }
    idx_mem_free(m);
}

TM_TEST(snapshot_reports_its_generation_and_size)
{
    idx_db *db = catalogue();
    idx_mem *m = db ? build(db) : NULL;
    CHECK(m != NULL);
    if (!m) return;
    int64_t gen = 0, n = 0;
    tm_err err = {0};
    CHECK(idx_db_catalogue_gen(db, &gen, &err) == TM_OK);
    CHECK(idx_tech_count(db, &n, &err) == TM_OK);
    CHECK(idx_mem_gen(m) == gen);
    CHECK(idx_mem_ndocs(m) == (size_t)n);
    CHECK(n > 400);
    CHECK(idx_mem_bytes(m) > 0);
    idx_mem_free(m);
}

TM_TEST(an_empty_catalogue_finds_nothing)
{
    char path[96];
    idx_db *db = NULL;
    tm_err err = {0};
    db_path_of(path, sizeof path, "empty");
    db_remove(path);
    CHECK(idx_db_open(path, &db, &err) == TM_OK);
    if (!db) return;
    idx_mem *m = build(db);
    CHECK(m != NULL && idx_mem_ndocs(m) == 0);
    cmp_stats st = {0};
    idx_search_req req;
    idx_search_req_init(&req);
    if (m) {
        CHECK(agree(db, m, NULL, &req, &st));
        CHECK(agree(db, m, "방법", &req, &st));
        CHECK(agree(db, m, "기*", &req, &st));
    }
    idx_mem_free(m);
    idx_db_close(db);
    db_remove(path);
}

/* ---- idx_engine --------------------------------------------------------- */

static int retitle(idx_db *db, const char *ext, const char *title)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(db->h, "UPDATE technology SET title = ?2 WHERE external_id = ?1",
                                -1, &s, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(s, 1, ext, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, title, -1, SQLITE_STATIC);
        rc = sqlite3_step(s) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
    }
    sqlite3_finalize(s);
    return rc;
}

static int64_t current_gen(idx_db *db)
{
    int64_t gen = -1;
    tm_err err = {0};
    if (idx_db_catalogue_gen(db, &gen, &err) != TM_OK) return -1;
    return gen;
}

/* Polls acquire(gen) for up to 60 s (a rebuild of this catalogue takes
 * well under a second even under ASan on a busy machine). */
static idx_mem *acquire_within(idx_engine *e, int64_t gen)
{
    for (int i = 0; i < 6000; i++) {
        idx_mem *m = idx_engine_acquire(e, gen);
        if (m) return m;
        nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
    }
    return NULL;
}

static int64_t total_of(const idx_mem *m, idx_db *db, const char *qs)
{
    idx_query *q = parse(db, qs);
    idx_search_req req;
    idx_search_res res = {0};
    tm_err err = {0};
    idx_search_req_init(&req);
    req.sort = IDX_SORT_RELEVANCE;
    int64_t total = idx_mem_search(m, q, &req, &res, &err) == TM_OK ? res.total : -1;
    idx_search_res_free(&res);
    idx_query_free(q);
    return total;
}

TM_TEST(engine_serves_the_current_generation_and_catches_up_after_a_write)
{
    char path[96];
    idx_db *db = NULL;
    idx_engine *e = NULL;
    tm_err err = {0};
    db_path_of(path, sizeof path, "eng");
    db_remove(path);
    CHECK(idx_db_open(path, &db, &err) == TM_OK);
    if (!db) return;
    CHECK(fill_catalogue(db, 60) == TM_OK);
    CHECK(idx_engine_open(path, &e, &err) == TM_OK);
    if (!e) goto out;
    int64_t gen = current_gen(db);
    idx_mem *m = idx_engine_acquire(e, gen);
    CHECK(m != NULL && idx_mem_gen(m) == gen);
    CHECK(m && total_of(m, db, "얼룩말기린") == 0);
    idx_engine_release(e, m);

    CHECK(retitle(db, "X-3", "얼룩말기린 의료 기기") == SQLITE_OK);
    int64_t gen2 = current_gen(db);
    CHECK(gen2 > gen);
    /* Not yet in the snapshot: the caller must use FTS5 meanwhile. */
    CHECK(idx_engine_acquire(e, gen2) == NULL);
    m = acquire_within(e, gen2);
    CHECK(m != NULL);
    if (m) {
        CHECK(idx_mem_gen(m) >= gen2);
        CHECK(total_of(m, db, "얼룩말기린") == 1);
        CHECK(agree(
            db, m, "의료 기기",
            &(idx_search_req){
                .field = -1, .status = -1, .licence = -1, .sort = 0, .page = 1, .per_page = 20},
            &(cmp_stats){0}));
        idx_engine_release(e, m);
    }
    /* An older generation is served by the newer snapshot. */
    m = idx_engine_acquire(e, gen);
    CHECK(m != NULL && idx_mem_gen(m) >= gen2);
    idx_engine_release(e, m);

    /* idx_search uses the engine when it is current, and agrees with FTS5. */
    idx_search_req req;
    idx_search_res a = {0}, b = {0};
    idx_search_req_init(&req);
    req.q = "의료 기기";
    req.qlen = strlen(req.q);
    CHECK(idx_search(db, e, &req, &a, &err) == TM_OK);
    CHECK(idx_search(db, NULL, &req, &b, &err) == TM_OK);
    CHECK(a.engine == 1 && b.engine == 0);
    CHECK(a.total == b.total && a.nhits == b.nhits && a.total > 0);
    for (size_t i = 0; i < a.nhits && i < b.nhits; i++)
        CHECK(a.hits[i].id == b.hits[i].id);
    idx_search_res_free(&a);
    idx_search_res_free(&b);
out:
    idx_engine_free(e);
    idx_db_close(db);
    db_remove(path);
}

typedef struct reader_arg {
    idx_engine *e;
    idx_db *db; /* for parsing only: each reader has its own connection */
    atomic_int *stop;
    atomic_llong *gen;
    int searches, errors;
} reader_arg;

static void *reader_main(void *p)
{
    reader_arg *r = p;
    static const char *const qs[] = {"방법", "기*", "의료 기기", "battery OR 그래핀"};
    idx_query *q[4];
    for (int i = 0; i < 4; i++)
        q[i] = parse(r->db, qs[i]);
    for (int i = 0; !atomic_load(r->stop); i++) {
        idx_mem *m = idx_engine_acquire(r->e, atomic_load(r->gen));
        if (!m) {
            m = idx_engine_acquire(r->e, 0);
            if (!m) {
                r->errors++;
                continue;
            }
        }
        idx_search_req req;
        idx_search_res res = {0};
        tm_err err = {0};
        idx_search_req_init(&req);
        req.sort = i % IDX_SORT__COUNT;
        if (idx_mem_search(m, q[i % 4], &req, &res, &err) != TM_OK ||
            res.total > (int64_t)idx_mem_ndocs(m) || res.nhits > 20)
            r->errors++;
        r->searches++;
        idx_search_res_free(&res);
        idx_engine_release(r->e, m);
    }
    for (int i = 0; i < 4; i++)
        idx_query_free(q[i]);
    return NULL;
}

TM_TEST(threads_search_safely_while_rebuilds_swap_snapshots)
{
    char path[96];
    idx_db *db = NULL;
    idx_engine *e = NULL;
    tm_err err = {0};
    enum { NREADERS = 4, NWRITES = 5 };
    reader_arg ra[NREADERS];
    pthread_t th[NREADERS];
    idx_db *rdb[NREADERS] = {0};
    atomic_int stop = 0;
    atomic_llong gen;

    db_path_of(path, sizeof path, "swap");
    db_remove(path);
    CHECK(idx_db_open(path, &db, &err) == TM_OK);
    if (!db) return;
    CHECK(fill_catalogue(db, 30) == TM_OK);
    CHECK(idx_engine_open(path, &e, &err) == TM_OK);
    if (!e) goto out;
    atomic_init(&gen, current_gen(db));
    int started = 0;
    for (int i = 0; i < NREADERS; i++) {
        if (idx_db_open(path, &rdb[i], &err) != TM_OK) break;
        ra[i] = (reader_arg){e, rdb[i], &stop, &gen, 0, 0};
        if (pthread_create(&th[i], NULL, reader_main, &ra[i]) != 0) break;
        started++;
    }
    CHECK(started == NREADERS);
    int swaps = 0;
    for (int w = 0; w < NWRITES; w++) {
        char title[64];
        (void)snprintf(title, sizeof title, "방법 %d 번째 제목", w);
        CHECK(retitle(db, "X-4", title) == SQLITE_OK);
        int64_t g = current_gen(db);
        atomic_store(&gen, g);
        idx_mem *m = acquire_within(e, g);
        swaps += m != NULL;
        idx_engine_release(e, m);
    }
    atomic_store(&stop, 1);
    for (int i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    CHECK(swaps == NWRITES);
    for (int i = 0; i < started; i++) {
        CHECK(ra[i].errors == 0);
        CHECK(ra[i].searches > 0);
    }
out:
    for (int i = 0; i < NREADERS; i++)
        idx_db_close(rdb[i]);
    idx_engine_free(e);
    idx_db_close(db);
    db_remove(path);
}

TM_TEST(engine_free_waits_for_a_running_rebuild)
{
    char path[96];
    idx_db *db = NULL;
    idx_engine *e = NULL;
    tm_err err = {0};
    db_path_of(path, sizeof path, "free");
    db_remove(path);
    CHECK(idx_db_open(path, &db, &err) == TM_OK);
    if (!db) return;
    CHECK(fill_catalogue(db, 60) == TM_OK);
    CHECK(idx_engine_open(path, &e, &err) == TM_OK);
    CHECK(retitle(db, "X-1", "새 제목") == SQLITE_OK);
    /* Starts a rebuild and frees at once: no leak, no use after free. */
    CHECK(idx_engine_acquire(e, current_gen(db)) == NULL);
    idx_engine_free(e);
    idx_db_close(db);
    db_remove(path);
}

TM_TEST_MAIN()
