/* imp_fuzz.h: what fuzz_csv.c and fuzz_json.c share. Each target first runs
 * its reader alone (and a reference reader) and writes down what an import of
 * the input must report (fz_expect); then fz_import() imports the input with
 * imp_stream() into a real database and checks the report, the database and
 * SQLite's error log against it.
 *
 * The database lives under /tmp, one file per process, is reused across
 * inputs (opening one per input is too slow) with synchronous=OFF (it is
 * scratch), checked with PRAGMA integrity_check, foreign_key_check and
 * FTS5's integrity-check every FZ_CHECK_EVERY inputs, and recreated every
 * FZ_DB_INPUTS inputs. A fuzz input can make records invalid but never make
 * the database fail (no other connection, no size limit), so any error in
 * SQLite's log aborts.
 *
 * Imports force the encoding to UTF-8 (imp_enc passes the bytes through, so
 * the readers' reference models hold), but imp_enc still removes a leading
 * UTF-8 BOM (the targets write their expectations for the input without it:
 * fz_enc_skip) and refuses what looks like UTF-16 or UTF-32 (fz_import then
 * expects the file to fail on "encoding"; tests/fuzz/fuzz_enc.c checks that
 * guess against its own model).
 *
 * Header of static functions, included by the fuzz targets only. */
#ifndef IMP_FUZZ_H
#define IMP_FUZZ_H

#include <jansson.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../common/tm_alloc.h"
#include "../../common/tm_arena.h"
#include "../../common/tm_err.h"
#include "../../common/tm_utf8.h"
#include "../../import/imp.h"
#include "../../import/imp_enc.h"
#include "../../import/imp_rec.h"
#include "../../index/idx_db.h"
#include "../../index/idx_enum.h"
#include "../../index/idx_inst.h"
#include "../../index/idx_tech.h"

#define FZ_DB_INPUTS 1000
#define FZ_CHECK_EVERY 100
/* The institution of imports with opts.institution_id (seeds name it). */
#define FZ_FORCED_NAME "Fuzz Institute"

/* Says what broke, removes the database and aborts (libFuzzer keeps the input). */
#define FZ_FAIL(...)                                                                               \
    do {                                                                                           \
        fprintf(stderr, "%s: ", fz.tag);                                                           \
        fprintf(stderr, __VA_ARGS__);                                                              \
        fputc('\n', stderr);                                                                       \
        fz_unlink_db();                                                                            \
        abort();                                                                                   \
    } while (0)
#define FZ_ASSERT(cond, ...)                                                                       \
    do {                                                                                           \
        if (!(cond)) FZ_FAIL("check failed: " #cond ": " __VA_ARGS__);                             \
    } while (0)

static struct {
    const char *tag;
    char path[96];
    idx_db *db;
    int64_t forced_id;
    unsigned long inputs; /* imported into this database */
} fz;

static void fz_unlink_db(void);

/* What importing one input must report, from the readers alone. */
typedef struct fz_expect {
    bool fails;             /* the file fails as a whole ... */
    const char *fail_field; /* ... with this err->field */
    size_t records;         /* records met, rejected ones included */
    size_t stored;          /* of them, those that must be stored */
    size_t *lines;          /* where each record starts */
    size_t nlines;
    size_t header_line; /* CSV: the header's line (warnings may name it), else 0 */
} fz_expect;

static void fz_expect_record(fz_expect *e, size_t line, bool stored)
{
    if ((e->nlines & (e->nlines - 1)) == 0)
        e->lines = tm_xreallocarray(e->lines, e->nlines ? e->nlines * 2 : 8, sizeof *e->lines);
    e->lines[e->nlines++] = line;
    e->records++;
    e->stored += stored;
}

static void fz_expect_free(fz_expect *e)
{
    free(e->lines);
    memset(e, 0, sizeof *e);
}

/* Whether the importer must store this record: imp_rec_tech accepts it and,
 * with the forced institution, it names none or that one. */
static bool fz_would_store(const json_t *obj, bool forced)
{
    imp_rec_opts ro = {.institution_optional = forced};
    idx_tech t;
    tm_err err = {0};
    if (imp_rec_tech(obj, &ro, &t, &err) != TM_OK) {
        FZ_ASSERT(err.code == TM_EINVAL && err.msg[0], "a rejection without a message");
        return false;
    }
    bool ok = !forced || !t.institution || strcmp(t.institution, FZ_FORCED_NAME) == 0;
    idx_tech_clear(&t);
    return ok;
}

/* ---- the database ---- */

static void fz_sqlite_log(void *arg, int code, const char *msg)
{
    (void)arg;
    int prim = code & 0xff;
    if (prim == SQLITE_NOTICE || prim == SQLITE_WARNING || prim == SQLITE_SCHEMA) return;
    FZ_FAIL("SQLite error %d: %s", code, msg);
}

static void fz_unlink_db(void)
{
    char p[128];
    unlink(fz.path);
    (void)snprintf(p, sizeof p, "%s-wal", fz.path);
    unlink(p);
    (void)snprintf(p, sizeof p, "%s-shm", fz.path);
    unlink(p);
}

static void fz_close_db(void)
{
    if (!fz.db) return;
    idx_db_close(fz.db);
    fz.db = NULL;
    fz_unlink_db();
}

static void fz_open_db(void)
{
    tm_err err = {0};
    int64_t id = 0;
    int created = 0;
    idx_inst in = {.name = (char *)FZ_FORCED_NAME, .kind = IDX_KIND_OTHER};

    fz_unlink_db();
    if (idx_db_open(fz.path, &fz.db, &err) != TM_OK) FZ_FAIL("idx_db_open: %s", err.msg);
    if (sqlite3_exec(fz.db->h, "PRAGMA synchronous = OFF", NULL, NULL, NULL) != SQLITE_OK)
        FZ_FAIL("synchronous: %s", sqlite3_errmsg(fz.db->h));
    if (idx_db_begin_write(fz.db, &err) != TM_OK ||
        idx_inst_upsert(fz.db, &in, &id, &created, &err) != TM_OK ||
        idx_db_commit(fz.db, &err) != TM_OK)
        FZ_FAIL("the forced institution: %s", err.msg);
    fz.forced_id = id;
    fz.inputs = 0;
}

/* Runs sql, which must return one row whose first column is expect (or no
 * row when expect is NULL), as the only row. */
static void fz_expect_sql(const char *sql, const char *expect)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(fz.db->h, sql, -1, &s, NULL) != SQLITE_OK)
        FZ_FAIL("%s: %s", sql, sqlite3_errmsg(fz.db->h));
    int rc = sqlite3_step(s);
    if (expect) {
        const char *got = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(s, 0) : NULL;
        if (!got || strcmp(got, expect) != 0) FZ_FAIL("%s: got [%s]", sql, got ? got : "(none)");
        rc = sqlite3_step(s);
    }
    if (rc != SQLITE_DONE) FZ_FAIL("%s: rc %d, %s", sql, rc, sqlite3_errmsg(fz.db->h));
    sqlite3_finalize(s);
}

static void fz_check_db(void)
{
    fz_expect_sql("PRAGMA integrity_check", "ok");
    fz_expect_sql("PRAGMA foreign_key_check", NULL);
    fz_expect_sql("INSERT INTO technology_fts (technology_fts) VALUES ('integrity-check')", NULL);
}

static void fz_at_exit(void)
{
    if (fz.db) fz_check_db();
    fz_close_db();
}

static void fz_setup(const char *tag)
{
    if (fz.db) return;
    fz.tag = tag;
    (void)snprintf(fz.path, sizeof fz.path, "/tmp/tm_%s_%ld.db", tag, (long)getpid());
    if (sqlite3_config(SQLITE_CONFIG_LOG, fz_sqlite_log, NULL) != SQLITE_OK)
        FZ_FAIL("SQLite was initialized before the error log could be hooked");
    /* Jansson allocates as in techmart (server/main.c): imports' producer
     * threads from their arena, this thread with malloc. */
    json_set_alloc_funcs(tm_arena_malloc, tm_arena_free);
    fz_open_db();
    atexit(fz_at_exit);
}

static int64_t fz_tech_count(void)
{
    int64_t n = -1;
    tm_err err = {0};
    if (idx_tech_count(fz.db, &n, &err) != TM_OK) FZ_FAIL("idx_tech_count: %s", err.msg);
    return n;
}

static int64_t fz_gen(void)
{
    int64_t g = -1;
    tm_err err = {0};
    if (idx_db_catalogue_gen(fz.db, &g, &err) != TM_OK) FZ_FAIL("catalogue_gen: %s", err.msg);
    return g;
}

/* ---- the report ---- */

/* Text a terminal shows as is: valid UTF-8 without control characters. */
static void fz_check_printable(const char *s, bool nonempty, const char *what)
{
    size_t n = strlen(s);
    FZ_ASSERT(!nonempty || n > 0, "%s is empty", what);
    FZ_ASSERT(tm_utf8_valid(s, n), "%s [%s] is not UTF-8", what, s);
    for (size_t i = 0; i < n;) {
        uint32_t cp = (unsigned char)s[i];
        size_t k = cp < 0x80 ? 1 : tm_utf8_decode((const unsigned char *)s + i, n - i, &cp);
        FZ_ASSERT(cp >= 0x20 && cp != 0x7f && !(cp >= 0x80 && cp <= 0x9f), "%s [%s] holds U+%04X",
                  what, s, (unsigned)cp);
        i += k;
    }
}

static bool fz_has_line(const fz_expect *e, size_t line)
{
    for (size_t i = 0; i < e->nlines; i++)
        if (e->lines[i] == line) return true;
    return false;
}

static void fz_check_report(const imp_report *rep, const fz_expect *e, const char *name)
{
    size_t issues = rep->rejected + rep->warnings;
    size_t kept_rejects = 0, kept_warnings = 0, prev_line = 0;
    FZ_ASSERT(rep->nissues == (issues < IMP_MAX_ISSUES ? issues : IMP_MAX_ISSUES),
              "%zu issues kept of %zu", rep->nissues, issues);
    for (size_t i = 0; i < rep->nissues; i++) {
        const imp_issue *is = &rep->issues[i];
        FZ_ASSERT(strcmp(is->file, name) == 0, "issue of file [%s]", is->file);
        fz_check_printable(is->field, false, "an issue's field");
        fz_check_printable(is->msg, true, "an issue's message");
        if (is->warning) {
            kept_warnings++;
            FZ_ASSERT(is->line == 0 || is->line == e->header_line || fz_has_line(e, is->line),
                      "a warning on line %zu, where no record starts", is->line);
        } else {
            kept_rejects++;
            FZ_ASSERT(fz_has_line(e, is->line), "a rejection on line %zu, where no record starts",
                      is->line);
        }
        /* Issues come in file order; the file's own warnings (line 0) last. */
        if (is->line) {
            FZ_ASSERT(is->line >= prev_line, "issue on line %zu after line %zu", is->line,
                      prev_line);
            prev_line = is->line;
        }
    }
    FZ_ASSERT(kept_rejects <= rep->rejected && kept_warnings <= rep->warnings, "issue counts");
    if (rep->nissues < IMP_MAX_ISSUES)
        FZ_ASSERT(kept_rejects == rep->rejected, "%zu rejected, %zu issues", rep->rejected,
                  kept_rejects);
    for (size_t i = 0; i < rep->nnew_institutions; i++) {
        fz_check_printable(rep->new_institutions[i], true, "a new institution");
        for (size_t j = 0; j < i; j++)
            FZ_ASSERT(strcmp(rep->new_institutions[i], rep->new_institutions[j]) != 0,
                      "new institution [%s] twice", rep->new_institutions[i]);
    }

    /* The printed report ends with the counts. */
    char *text = NULL, want[160];
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    FZ_ASSERT(out != NULL, "open_memstream");
    imp_report_print(rep, NULL, out);
    fclose(out);
    (void)snprintf(want, sizeof want, "%zu added, %zu updated, %zu unchanged, %zu rejected",
                   rep->added, rep->updated, rep->unchanged, rep->rejected);
    FZ_ASSERT(strstr(text, want) != NULL, "the printed report lacks [%s]", want);
    free(text);
}

/* The bytes imp_enc removes before the reader sees the input: a leading
 * UTF-8 BOM. */
static size_t fz_enc_skip(const uint8_t *data, size_t size)
{
    return size >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
}

/* Whether imp_enc refuses data forced to UTF-8 (UTF-16 or UTF-32 text). */
static bool fz_enc_refused(const uint8_t *data, size_t size)
{
    tm_err err = {0};
    FILE *f = fmemopen((void *)data, size, "rb");
    FZ_ASSERT(f != NULL, "fmemopen");
    FILE *u = imp_enc_open(f, "utf-8", NULL, &err);
    if (u) fclose(u);
    fclose(f);
    FZ_ASSERT(u || strcmp(err.field, "encoding") == 0, "imp_enc failed on [%s]: %s", err.field,
              err.msg);
    return u == NULL;
}

/* Imports data as a file called name, with the forced institution and as a
 * dry run as asked, and checks everything against e (or, when imp_enc
 * refuses the input, a failure on "encoding"). */
static void fz_import(const uint8_t *data, size_t size, const char *name, imp_format fmt,
                      bool dry_run, bool forced, const fz_expect *e)
{
    imp_opts opts = {
        .dry_run = dry_run, .institution_id = forced ? fz.forced_id : 0, .encoding = "utf-8"};
    imp_report rep = {0};
    tm_err err = {0};
    static const fz_expect refused = {.fails = true, .fail_field = "encoding"};
    if (fz_enc_refused(data, size)) e = &refused;

    if (fz.inputs >= FZ_DB_INPUTS) {
        fz_check_db();
        fz_close_db();
        fz_open_db();
    }
    fz.inputs++;
    int64_t count0 = fz_tech_count(), gen0 = fz_gen();
    FILE *f = fmemopen((void *)data, size, "rb");
    FZ_ASSERT(f != NULL, "fmemopen");
    int code = imp_stream(fz.db, f, name, fmt, &opts, &rep, &err);
    fclose(f);
    FZ_ASSERT(sqlite3_get_autocommit(fz.db->h), "imp_stream left a transaction open");
    int64_t count1 = fz_tech_count(), gen1 = fz_gen();

    if (e->fails) {
        FZ_ASSERT(code == TM_EINVAL && err.code == TM_EINVAL, "code %d [%s] [%s]", code, err.field,
                  err.msg);
        FZ_ASSERT(strcmp(err.field, e->fail_field) == 0, "failed on [%s], not [%s]: %s", err.field,
                  e->fail_field, err.msg);
        fz_check_printable(err.msg, true, "the file's error");
        FZ_ASSERT(rep.added + rep.updated + rep.unchanged + rep.rejected + rep.warnings +
                          rep.nissues + rep.nnew_institutions ==
                      0,
                  "a failed file left counts in the report");
        FZ_ASSERT(count1 == count0 && gen1 == gen0, "a failed file changed the catalogue");
    } else {
        FZ_ASSERT(code == TM_OK, "imp_stream failed: %d [%s] %s", code, err.field, err.msg);
        size_t kept = rep.added + rep.updated + rep.unchanged;
        FZ_ASSERT(kept + rep.rejected == e->records, "%zu kept + %zu rejected, %zu records", kept,
                  rep.rejected, e->records);
        FZ_ASSERT(kept == e->stored, "%zu kept, but %zu records are valid", kept, e->stored);
        FZ_ASSERT(e->records > 0 || rep.warnings > 0, "no records and no warning");
        fz_check_report(&rep, e, name);
        if (dry_run) {
            FZ_ASSERT(count1 == count0 && gen1 == gen0, "a dry run changed the catalogue");
        } else {
            FZ_ASSERT(count1 - count0 == (int64_t)rep.added, "%lld more rows, %zu added",
                      (long long)(count1 - count0), rep.added);
            FZ_ASSERT((gen1 != gen0) == (rep.added + rep.updated > 0),
                      "generation %lld -> %lld with %zu added, %zu updated", (long long)gen0,
                      (long long)gen1, rep.added, rep.updated);
            for (size_t i = 0; i < rep.nnew_institutions; i++) {
                int64_t id = 0;
                FZ_ASSERT(idx_inst_find(fz.db, rep.new_institutions[i], &id, &err) == TM_OK &&
                              id != 0,
                          "new institution [%s] is not stored", rep.new_institutions[i]);
            }
        }
    }
    imp_report_free(&rep);
    if (fz.inputs % FZ_CHECK_EVERY == 0) fz_check_db();
}

#endif
