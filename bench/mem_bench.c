/* mem_bench: builds an in-memory snapshot of a techmart database and times
 * searches on it in-process, for profiling (perf, callgrind) without HTTP.
 *
 *   mem_bench DB QUERIES [N] [--fts] [--check] [--repeat R] [--threads T] [--slow S]
 *   mem_bench DB --load TECHNOLOGIES.jsonl [--institutions INSTITUTIONS.jsonl]
 *
 * QUERIES has one search a line: either what a user types, or a request
 * path as bench/gen_queries.py writes them (/api/v1/technologies?q=...&
 * field=...&sort=...), whose q, filters, sort and paging are used. The
 * first N lines (all by default) are parsed up front, then run R times
 * (default 1) on the snapshot; it prints searches/s and latency
 * percentiles. --threads T runs them once more on T threads sharing the
 * snapshot; --slow S lists the S slowest searches of the first round;
 * --fts times the FTS5 path instead; --check also runs the FTS5 path and
 * counts searches that disagree (total, ids, scores). --load fills a new
 * database from JSONL in the import format (bench/gen_catalogue.py writes
 * it) through idx_tech_upsert, 1,000 records a transaction.
 *
 * Build: make build/techmart (which compiles build/obj), then from the
 * repository root: cc -O2 -g -D_GNU_SOURCE bench/mem_bench.c, every object
 * under build/obj/index and build/obj/common, -ljansson -lsqlite3 -lsodium
 * -lpthread -lm -o build/mem_bench. */
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/tm_alloc.h"
#include "../index/idx_db.h"
#include "../index/idx_enum.h"
#include "../index/idx_inst.h"
#include "../index/idx_mem.h"
#include "../index/idx_query.h"
#include "../index/idx_search.h"
#include "../index/idx_tech.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* ---- Loading ------------------------------------------------------------ */

static char *jdup(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? tm_xstrdup(s) : NULL;
}

static void jstrv(json_t *o, const char *k, idx_strv *v)
{
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(o, k), i, x)
    {
        if (json_is_string(x)) idx_strv_push(v, json_string_value(x));
    }
}

static int load_institutions(idx_db *db, const char *path)
{
    FILE *f = fopen(path, "r");
    char line[16384];
    tm_err err = {0};
    int code;
    if (!f) {
        fprintf(stderr, "mem_bench: cannot open %s\n", path);
        return TM_EINVAL;
    }
    code = idx_db_begin_write(db, &err);
    while (code == TM_OK && fgets(line, sizeof line, f)) {
        json_t *o = json_loads(line, 0, NULL);
        idx_inst in = {0};
        int64_t id;
        int created;
        if (!o) continue;
        in.name = jdup(o, "name");
        in.name_en = jdup(o, "name_en");
        in.kind = idx_kind_parse(json_string_value(json_object_get(o, "kind")));
        if (in.kind < 0) in.kind = IDX_KIND_OTHER;
        jstrv(o, "groups", &in.groups);
        code = idx_inst_upsert(db, &in, &id, &created, &err);
        idx_inst_clear(&in);
        json_decref(o);
    }
    fclose(f);
    if (code == TM_OK) code = idx_db_commit(db, &err);
    if (code != TM_OK) fprintf(stderr, "mem_bench: institutions: %s\n", err.msg);
    return code;
}

static void tech_of(json_t *o, idx_tech *t)
{
    idx_tech_init(t);
    t->external_id = jdup(o, "external_id");
    t->title = jdup(o, "title");
    t->title_en = jdup(o, "title_en");
    t->summary = jdup(o, "summary");
    t->description = jdup(o, "description");
    t->institution = jdup(o, "institution");
    t->field = idx_field_parse(json_string_value(json_object_get(o, "field")));
    int st = idx_status_parse(json_string_value(json_object_get(o, "status")));
    t->status = st >= 0 ? st : IDX_STATUS_AVAILABLE;
    t->trl = (int)json_integer_value(json_object_get(o, "trl"));
    t->asking = jdup(o, "asking");
    jstrv(o, "keywords", &t->keywords);
    jstrv(o, "ipc", &t->ipc);
    jstrv(o, "inventors", &t->inventors);
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(o, "licence"), i, x)
    {
        int l = idx_licence_parse(json_string_value(x));
        if (l >= 0) t->licence |= 1u << l;
    }
    json_t *pats = json_object_get(o, "patents");
    size_t n = json_array_size(pats);
    if (n) {
        t->patents = tm_xcalloc(n, sizeof *t->patents);
        for (size_t k = 0; k < n; k++) {
            json_t *p = json_array_get(pats, k);
            t->patents[k].number = jdup(p, "number");
            t->patents[k].country = jdup(p, "country");
            t->patents[k].kind = jdup(p, "kind");
            t->patents[k].status = jdup(p, "status");
            t->patents[k].filed = jdup(p, "filed");
            t->patents[k].registered = jdup(p, "registered");
            t->patents[k].registration_number = jdup(p, "registration_number");
        }
        t->npatents = n;
    }
}

static int load(idx_db *db, const char *path)
{
    FILE *f = fopen(path, "r");
    size_t cap = 1 << 22, n = 0, bad = 0;
    char *line = tm_xmalloc(cap);
    tm_err err = {0};
    int code = TM_OK;
    double t0 = now_ms();
    if (!f) {
        fprintf(stderr, "mem_bench: cannot open %s\n", path);
        free(line);
        return TM_EINVAL;
    }
    bool open_tx = false;
    while (code == TM_OK && fgets(line, (int)cap, f)) {
        json_t *o = json_loads(line, 0, NULL);
        if (!o) continue;
        if (!open_tx) {
            if ((code = idx_db_begin_write(db, &err)) != TM_OK) break;
            open_tx = true;
        }
        idx_tech t;
        idx_upsert_res res;
        tech_of(o, &t);
        if (idx_db_savepoint(db, &err) == TM_OK) {
            if (idx_tech_upsert(db, &t, &res, &err) == TM_OK) {
                code = idx_db_release(db, &err);
            } else {
                idx_db_rollback_to(db);
                bad++;
            }
        }
        idx_tech_clear(&t);
        json_decref(o);
        if (++n % 1000 == 0) {
            code = idx_db_commit(db, &err);
            open_tx = false;
            fprintf(stderr, "\rloaded %zu", n);
        }
    }
    if (open_tx && code == TM_OK) code = idx_db_commit(db, &err);
    fclose(f);
    free(line);
    fprintf(stderr, "\rloaded %zu records (%zu rejected) in %.1f s\n", n, bad,
            (now_ms() - t0) / 1e3);
    if (code != TM_OK) fprintf(stderr, "mem_bench: %s\n", err.msg);
    return code;
}

/* ---- Queries ------------------------------------------------------------ */

typedef struct bq {
    char *q; /* decoded; NULL for none */
    idx_search_req req;
    char *group;
} bq;

static int hexval(int c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

static char *pct_decode(const char *s, size_t n)
{
    char *o = tm_xmalloc(n + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '+') {
            o[k++] = ' ';
        } else if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            o[k++] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        } else {
            o[k++] = s[i];
        }
    }
    o[k] = '\0';
    return o;
}

static void parse_line(const char *line, bq *b)
{
    memset(b, 0, sizeof *b);
    idx_search_req_init(&b->req);
    if (line[0] != '/') {
        b->q = tm_xstrdup(line);
        return;
    }
    const char *qs = strchr(line, '?');
    while (qs && *qs) {
        qs++;
        const char *amp = strchr(qs, '&');
        size_t n = amp ? (size_t)(amp - qs) : strlen(qs);
        const char *eq = memchr(qs, '=', n);
        if (eq) {
            size_t kn = (size_t)(eq - qs);
            char *v = pct_decode(eq + 1, n - kn - 1);
            if (kn == 1 && qs[0] == 'q') {
                free(b->q);
                b->q = v;
                v = NULL;
            } else if (kn == 5 && !memcmp(qs, "field", 5)) {
                b->req.field = idx_field_parse(v);
            } else if (kn == 6 && !memcmp(qs, "status", 6)) {
                b->req.status = idx_status_parse(v);
            } else if (kn == 7 && !memcmp(qs, "licence", 7)) {
                b->req.licence = idx_licence_parse(v);
            } else if (kn == 5 && !memcmp(qs, "group", 5)) {
                free(b->group);
                b->group = v;
                b->req.group = v;
                v = NULL;
            } else if (kn == 4 && !memcmp(qs, "sort", 4)) {
                b->req.sort = idx_sort_parse(v);
            } else if (kn == 7 && !memcmp(qs, "trl_min", 7)) {
                b->req.trl_min = atoi(v);
            } else if (kn == 7 && !memcmp(qs, "trl_max", 7)) {
                b->req.trl_max = atoi(v);
            } else if (kn == 4 && !memcmp(qs, "page", 4)) {
                b->req.page = atoi(v);
            } else if (kn == 8 && !memcmp(qs, "per_page", 8)) {
                b->req.per_page = atoi(v);
            }
            free(v);
        }
        qs = amp;
    }
    if (b->req.page < 1) b->req.page = 1;
    if (b->req.per_page < 1 || b->req.per_page > IDX_PER_PAGE_MAX) b->req.per_page = 20;
    if ((int64_t)b->req.page * b->req.per_page > IDX_RESULT_WINDOW) b->req.page = 1;
}

typedef struct worker {
    const idx_mem *m;
    idx_query **parsed;
    const bq *qs;
    size_t nq, repeat, first, step;
    double *lat; /* indexed like the searches: run r, query i at r * nq + i */
} worker;

static void *worker_main(void *arg)
{
    worker *w = arg;
    for (size_t r = 0; r < w->repeat; r++) {
        for (size_t i = w->first; i < w->nq; i += w->step) {
            idx_search_res res = {0};
            tm_err err = {0};
            double a = now_ms();
            if (idx_mem_search(w->m, w->parsed[i], &w->qs[i].req, &res, &err) != TM_OK)
                fprintf(stderr, "mem_bench: %s\n", err.msg);
            w->lat[r * w->nq + i] = now_ms() - a;
            idx_search_res_free(&res);
        }
    }
    return NULL;
}

static int by_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static bool same(const idx_search_res *a, const idx_search_res *b)
{
    if (a->total != b->total || a->nhits != b->nhits) return false;
    for (size_t i = 0; i < a->nhits; i++)
        if (a->hits[i].id != b->hits[i].id ||
            fabs(a->hits[i].score - b->hits[i].score) >
                1e-9 * fmax(fabs(a->hits[i].score), fabs(b->hits[i].score)))
            return false;
    return true;
}

int main(int argc, char **argv)
{
    const char *dbpath = NULL, *qpath = NULL, *loadpath = NULL, *instpath = NULL;
    size_t limit = 0;
    int repeat = 1, threads = 1;
    bool fts = false, check = false;
    size_t slow = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--fts"))
            fts = true;
        else if (!strcmp(argv[i], "--check"))
            check = true;
        else if (!strcmp(argv[i], "--slow") && i + 1 < argc)
            slow = (size_t)atol(argv[++i]);
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--repeat") && i + 1 < argc)
            repeat = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--load") && i + 1 < argc)
            loadpath = argv[++i];
        else if (!strcmp(argv[i], "--institutions") && i + 1 < argc)
            instpath = argv[++i];
        else if (!dbpath)
            dbpath = argv[i];
        else if (!qpath)
            qpath = argv[i];
        else
            limit = (size_t)atol(argv[i]);
    }
    if (!dbpath || (!qpath && !loadpath)) {
        fprintf(stderr,
                "usage: mem_bench DB QUERIES [N] [--fts] [--check] [--repeat R] [--threads T]"
                " [--slow S]\n"
                "       mem_bench DB --load TECHS.jsonl [--institutions INSTS.jsonl]\n");
        return 2;
    }
    idx_db *db = NULL;
    tm_err err = {0};
    if (idx_db_open(dbpath, &db, &err) != TM_OK) {
        fprintf(stderr, "mem_bench: %s\n", err.msg);
        return 1;
    }
    if (loadpath) {
        int code = load_institutions(db, instpath ? instpath : "data/demo/institutions.jsonl");
        if (code == TM_OK) code = load(db, loadpath);
        idx_db_close(db);
        return code == TM_OK ? 0 : 1;
    }

    double t0 = now_ms();
    idx_mem *m = NULL;
    if (idx_mem_build(db, &m, &err) != TM_OK) {
        fprintf(stderr, "mem_bench: build: %s\n", err.msg);
        return 1;
    }
    fprintf(stderr, "snapshot: %zu docs, %.1f MB, built in %.0f ms\n", idx_mem_ndocs(m),
            (double)idx_mem_bytes(m) / 1e6, now_ms() - t0);

    FILE *f = fopen(qpath, "r");
    if (!f) {
        fprintf(stderr, "mem_bench: cannot open %s\n", qpath);
        return 1;
    }
    size_t nq = 0, cap = 0;
    bq *qs = NULL;
    char line[8192];
    while ((!limit || nq < limit) && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (nq == cap) {
            cap = cap ? cap * 2 : 1024;
            qs = tm_xreallocarray(qs, cap, sizeof *qs);
        }
        parse_line(line, &qs[nq++]);
    }
    fclose(f);

    /* Parse and tokenize up front: the engine's cost alone is timed. */
    idx_query **parsed = tm_xcalloc(nq ? nq : 1, sizeof *parsed);
    for (size_t i = 0; i < nq; i++) {
        idx_search_req *r = &qs[i].req;
        r->q = qs[i].q;
        r->qlen = qs[i].q ? strlen(qs[i].q) : 0;
        if (r->qlen && (idx_query_parse(r->q, r->qlen, &parsed[i], &err) != TM_OK ||
                        idx_query_tokenize(parsed[i], db->tok, &err) != TM_OK)) {
            idx_query_free(parsed[i]);
            parsed[i] = NULL;
        }
        bool match = parsed[i] && parsed[i]->root;
        if (r->sort < 0 || (r->sort == IDX_SORT_RELEVANCE && !match))
            r->sort = match ? IDX_SORT_RELEVANCE : IDX_SORT_NEWEST;
    }

    size_t nrun = nq * (size_t)(repeat > 0 ? repeat : 1), k = 0, mismatches = 0;
    double *lat = tm_xmalloc((nrun ? nrun : 1) * sizeof *lat);
    int64_t matches = 0;
    double start = now_ms();
    for (int r = 0; r < repeat; r++) {
        for (size_t i = 0; i < nq; i++) {
            idx_search_res res = {0}, other = {0};
            double a = now_ms();
            int code = fts ? idx_search_fts(db, parsed[i], &qs[i].req, &res, &err)
                           : idx_mem_search(m, parsed[i], &qs[i].req, &res, &err);
            lat[k++] = now_ms() - a;
            matches += res.total;
            if (code != TM_OK)
                fprintf(stderr, "mem_bench: %s: %s\n", qs[i].q ? qs[i].q : "", err.msg);
            if (check && r == 0) {
                if (idx_search_fts(db, parsed[i], &qs[i].req, &other, &err) != TM_OK ||
                    !same(&res, &other)) {
                    mismatches++;
                    fprintf(stderr, "mismatch: %s (total %lld vs %lld)\n",
                            qs[i].q ? qs[i].q : "(none)", (long long)res.total,
                            (long long)other.total);
                }
                idx_search_res_free(&other);
            }
            idx_search_res_free(&res);
        }
    }
    double elapsed = now_ms() - start;
    if (threads > 1 && !fts) {
        /* The same searches again, split over threads sharing the snapshot. */
        pthread_t *th = tm_xcalloc((size_t)threads, sizeof *th);
        worker *w = tm_xcalloc((size_t)threads, sizeof *w);
        double *tlat = tm_xmalloc((nrun ? nrun : 1) * sizeof *tlat);
        double t1 = now_ms();
        for (int i = 0; i < threads; i++) {
            w[i] = (worker){m, parsed, qs, nq, (size_t)repeat, (size_t)i, (size_t)threads, tlat};
            if (pthread_create(&th[i], NULL, worker_main, &w[i]) != 0) return 1;
        }
        for (int i = 0; i < threads; i++)
            pthread_join(th[i], NULL);
        double tel = now_ms() - t1;
        qsort(tlat, nrun, sizeof *tlat, by_double);
        printf("mem, %d threads: %zu searches in %.0f ms: %.0f searches/s; latency ms: p50 %.3f"
               " p99 %.3f max %.3f\n",
               threads, nrun, tel, (double)nrun / (tel / 1e3), tlat[nrun / 2],
               tlat[nrun * 99 / 100], tlat[nrun - 1]);
        free(th);
        free(w);
        free(tlat);
    }
    if (slow && nq) {
        /* The slowest searches of the first round, with what they matched. */
        size_t *ix = tm_xmalloc(nq * sizeof *ix);
        for (size_t i = 0; i < nq; i++)
            ix[i] = i;
        for (size_t a = 0; a < slow && a < nq; a++) {
            size_t w = a;
            for (size_t b = a + 1; b < nq; b++)
                if (lat[ix[b]] > lat[ix[w]]) w = b;
            size_t t = ix[a];
            ix[a] = ix[w];
            ix[w] = t;
            const bq *b = &qs[ix[a]];
            printf("%8.3f ms  sort=%d filters=%s  %s\n", lat[ix[a]], b->req.sort,
                   b->req.field >= 0 || b->req.status >= 0 || b->req.licence >= 0 || b->req.group ||
                           b->req.trl_min || b->req.trl_max
                       ? "yes"
                       : "no",
                   b->q ? b->q : "(none)");
        }
        free(ix);
    }
    qsort(lat, k, sizeof *lat, by_double);
    double sum = 0;
    for (size_t i = 0; i < k; i++)
        sum += lat[i];
    if (k)
        printf("%s: %zu searches in %.0f ms: %.0f searches/s; latency ms: mean %.3f p50 %.3f"
               " p90 %.3f p99 %.3f max %.3f; mean matches %.0f\n",
               fts ? "fts5" : "mem", k, elapsed, (double)k / (elapsed / 1e3), sum / (double)k,
               lat[k / 2], lat[k * 9 / 10], lat[k * 99 / 100], lat[k - 1],
               (double)matches / (double)k);
    if (check) printf("check: %zu of %zu searches disagree with FTS5\n", mismatches, nq);
    for (size_t i = 0; i < nq; i++) {
        idx_query_free(parsed[i]);
        free(qs[i].q);
        free(qs[i].group);
    }
    free(parsed);
    free(qs);
    free(lat);
    idx_mem_free(m);
    idx_db_close(db);
    return mismatches ? 1 : 0;
}
