#include "cli_import.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../common/tm_buf.h"
#include "../import/imp.h"
#include "../import/imp_report.h"
#include "../index/idx_tech.h"
#include "api_report.h"
#include "cli_opt.h"
#include "srv_jw.h"

/* Changes a dry run lists per file before "... and N more". */
#define CHANGES_SHOWN 1000
/* Least time between two progress bar updates. */
#define PROGRESS_NS 100000000LL

const char cli_import_usage[] =
    "usage: techmart import [--db FILE] [--dry-run] [--map COLUMN=FIELD]... [--encoding NAME]\n"
    "                       [--institution NAME_OR_ID] [--strict] [--quiet | --json] PATH...\n"
    "\n"
    "Imports technologies. The format comes from each file's extension: .csv or .tsv\n"
    "(a header row of field names, Korean or English; lists separated by ';'),\n"
    ".jsonl (one record a line), .json (an array of records). A record with the\n"
    "external_id (or, without one, the institution and first patent number) of a\n"
    "stored technology updates it. Bad records are reported as file:line: field:\n"
    "message and skipped; each file is one transaction. Exit status 0 when all went\n"
    "in, 1 when any record was rejected or a file could not be read, 2 on a usage\n"
    "error. On a terminal, a progress bar is drawn on stderr.\n"
    "\n"
    "  --db FILE    database (TECHMART_DB; default techmart.db)\n"
    "  --dry-run    check everything, list what would be added or updated (which\n"
    "               fields), store nothing\n"
    "  --map COLUMN=FIELD  read the column COLUMN (a header name or JSON key) as\n"
    "               FIELD (title, institution, applicants, summary, patent_number, ...),\n"
    "               or drop it with FIELD ignore; repeatable; overrides the built-in\n"
    "               Korean and English header names\n"
    "  --encoding NAME  text files are in NAME: utf-8 or cp949 (also euc-kr);\n"
    "               default: detected (UTF-8 with or without BOM, else CP949)\n"
    "  --institution NAME_OR_ID  every record belongs to this stored institution\n"
    "               (its name or id); a record naming another one is rejected\n"
    "  --strict     a file with any rejected record is not stored at all\n"
    "  --quiet      print nothing but file-level errors (the exit status tells)\n"
    "  --json       print the whole run's report as one JSON object on stdout\n";

enum {
    OPT_DB = 1000,
    OPT_DRY,
    OPT_MAP,
    OPT_ENCODING,
    OPT_INST,
    OPT_STRICT,
    OPT_QUIET,
    OPT_JSON,
    OPT_HELP
};

static const struct option import_opts[] = {
    {"db", required_argument, NULL, OPT_DB},
    {"dry-run", no_argument, NULL, OPT_DRY},
    {"map", required_argument, NULL, OPT_MAP},
    {"encoding", required_argument, NULL, OPT_ENCODING},
    {"institution", required_argument, NULL, OPT_INST},
    {"strict", no_argument, NULL, OPT_STRICT},
    {"quiet", no_argument, NULL, OPT_QUIET},
    {"json", no_argument, NULL, OPT_JSON},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

typedef struct import_args {
    const char *db, *encoding, *institution;
    bool dry_run, strict, quiet, json;
    imp_map map; /* imp_map_free() */
} import_args;

static int usage_error(const char *what, const char *arg)
{
    fprintf(stderr, "techmart import: %s%s\n%s", what, arg, cli_import_usage);
    return CLI_EXIT_USAGE;
}

/* The names imp_enc accepts (import/imp_enc.h), checked before any file is
 * read so that a typo is a usage error. */
static bool encoding_known(const char *s)
{
    static const char *const names[] = {"utf-8", "utf8", "cp949", "euc-kr", "euckr"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcasecmp(s, names[i]) == 0) return true;
    return false;
}

static int parse(int argc, char **argv, import_args *a)
{
    int ch;
    bool help = false;
    a->db = cli_opt_begin();
    while ((ch = getopt_long(argc, argv, "h", import_opts, NULL)) != -1) {
        tm_err merr = {0};
        switch (ch) {
        case OPT_DB:
            a->db = optarg;
            break;
        case OPT_DRY:
            a->dry_run = true;
            break;
        case OPT_MAP:
            if (imp_map_rule_add(&a->map, optarg, &merr) != TM_OK)
                return usage_error("--map: ", merr.msg);
            break;
        case OPT_ENCODING:
            if (!encoding_known(optarg))
                return usage_error("--encoding: use utf-8 or cp949 (euc-kr), not ", optarg);
            a->encoding = optarg;
            break;
        case OPT_INST:
            if (!*optarg) return usage_error("--institution: ", "give a name or an id");
            a->institution = optarg;
            break;
        case OPT_STRICT:
            a->strict = true;
            break;
        case OPT_QUIET:
            a->quiet = true;
            break;
        case OPT_JSON:
            a->json = true;
            break;
        case 'h':
        case OPT_HELP:
            help = true;
            break;
        default:
            return usage_error("unknown or misplaced option ", argv[optind - 1]);
        }
    }
    if (help) {
        fputs(cli_import_usage, stdout);
        return 0;
    }
    if (a->quiet && a->json) return usage_error("--quiet and --json: ", "choose one");
    if (optind >= argc) return usage_error("no file given", "");
    return CLI_RUN;
}

/* ---- the progress bar (stderr, a terminal only) ---- */

typedef struct progress {
    bool on;
    char name[64]; /* the file's base name, made safe to print */
    int64_t size;  /* bytes, or -1 */
    int64_t start, last;
    /* The reader runs ahead of the writer by its buffers (imp_enc reads a
     * 1 MiB detection prefix at once), so the byte rate for the ETA is
     * measured from the first time the position moves after that. */
    int64_t first_t, first_bytes;
    int moves; /* times the position was seen to change, up to 2 */
    bool drawn;
} progress;

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void progress_begin(progress *p, const char *path)
{
    struct stat st;
    const char *slash = strrchr(path, '/');
    imp_report_safe_copy(p->name, sizeof p->name, slash && slash[1] ? slash + 1 : path);
    p->size = stat(path, &st) == 0 && S_ISREG(st.st_mode) ? (int64_t)st.st_size : -1;
    p->start = now_ns();
    p->last = 0;
    p->first_t = 0;
    p->first_bytes = -1;
    p->moves = 0;
    p->drawn = false;
}

/* imp_opts.progress: at most one line each PROGRESS_NS, redrawn in place. */
static void progress_draw(void *arg, size_t records, int64_t bytes)
{
    progress *p = arg;
    int64_t t = now_ns();
    if (!p->on) return;
    if (p->moves < 2 && bytes != p->first_bytes) {
        p->first_t = t;
        p->first_bytes = bytes;
        p->moves++;
    }
    if (t - p->last < PROGRESS_NS) return;
    p->last = t;
    double secs = (double)(t - p->start) / 1e9;
    char bar[21] = "....................", eta[32] = "";
    if (p->size > 0 && bytes >= 0) {
        double frac = bytes > p->size ? 1.0 : (double)bytes / (double)p->size;
        for (int i = 0; i < (int)(frac * 20); i++)
            bar[i] = '#';
        if (p->moves == 2 && bytes > p->first_bytes && bytes <= p->size) {
            double per_byte = (double)(t - p->first_t) / 1e9 / (double)(bytes - p->first_bytes);
            long left = (long)(per_byte * (double)(p->size - bytes) + 0.5);
            (void)snprintf(eta, sizeof eta, "  ETA %ld:%02ld", left / 60, left % 60);
        }
    }
    fprintf(stderr, "\r\033[K%s [%s] %zu rows  %.0f rows/s%s", p->name, bar, records,
            secs > 0 ? (double)records / secs : 0.0, eta);
    fflush(stderr);
    p->drawn = true;
}

static void progress_clear(progress *p)
{
    if (!p->drawn) return;
    fputs("\r\033[K", stderr);
    fflush(stderr);
    p->drawn = false;
}

/* ---- a dry run's listing ---- */

typedef struct listing {
    progress *bar;
    size_t shown, more;
} listing;

/* imp_opts.on_change: "file:line: would add \"title\"" or "would update #id
 * (title): fields a, b". */
static void change_print(void *arg, const imp_change *c)
{
    listing *l = arg;
    char title[256], file[256];
    if (l->shown >= CHANGES_SHOWN) {
        l->more++;
        return;
    }
    l->shown++;
    progress_clear(l->bar);
    imp_report_safe_copy(title, sizeof title, c->title);
    imp_report_safe_copy(file, sizeof file, c->file);
    if (c->added) {
        printf("%s:%zu: would add \"%s\"\n", file, c->line, title);
        return;
    }
    printf("%s:%zu: would update #%lld (%s): fields ", file, c->line, (long long)c->id, title);
    const char *sep = "";
    for (int f = 0; f < IDX_TECH_F__COUNT; f++)
        if (c->fields & (1u << f)) {
            printf("%s%s", sep, idx_tech_f_name(f));
            sep = ", ";
        }
    fputs(*sep ? "\n" : "(none read back differently)\n", stdout);
}

/* The hooks share one argument: the listing, which knows the bar. */
static void progress_hook(void *arg, size_t records, int64_t bytes)
{
    progress_draw(((listing *)arg)->bar, records, bytes);
}

/* ---- the run ---- */

typedef struct file_result {
    const char *path;
    imp_report rep;
    tm_err err;
    bool failed; /* could not be read or written at all */
} file_result;

static void json_file(srv_jw *w, const file_result *fr)
{
    char buf[512];
    srv_jw_obj(w);
    srv_jw_key(w, "file");
    imp_report_safe_copy(buf, sizeof buf, fr->path);
    srv_jw_str(w, buf);
    api_report_members(w, &fr->rep);
    srv_jw_key(w, "aborted");
    srv_jw_bool(w, fr->rep.aborted != 0);
    srv_jw_key(w, "error");
    if (fr->failed) {
        srv_jw_obj(w);
        srv_jw_key(w, "field");
        if (fr->err.field[0]) {
            imp_report_safe_copy(buf, sizeof buf, fr->err.field);
            srv_jw_str(w, buf);
        } else {
            srv_jw_null(w);
        }
        srv_jw_key(w, "message");
        imp_report_safe_copy(buf, sizeof buf, fr->err.msg);
        srv_jw_str(w, buf);
        srv_jw_obj_end(w);
    } else {
        srv_jw_null(w);
    }
    srv_jw_obj_end(w);
}

/* {"dry_run", "strict", "added", "updated", "unchanged", "rejected",
 *  "failed_files", "files": [per-file reports]} on stdout. */
static void json_print(const import_args *a, const file_result *res, size_t n)
{
    tm_buf out = {0};
    srv_jw w;
    size_t sum[4] = {0}, failed = 0;
    for (size_t i = 0; i < n; i++) {
        sum[0] += res[i].rep.added;
        sum[1] += res[i].rep.updated;
        sum[2] += res[i].rep.unchanged;
        sum[3] += res[i].rep.rejected;
        failed += res[i].failed;
    }
    srv_jw_init(&w, &out);
    srv_jw_obj(&w);
    srv_jw_key(&w, "dry_run");
    srv_jw_bool(&w, a->dry_run);
    srv_jw_key(&w, "strict");
    srv_jw_bool(&w, a->strict);
    static const char *const keys[4] = {"added", "updated", "unchanged", "rejected"};
    for (int k = 0; k < 4; k++) {
        srv_jw_key(&w, keys[k]);
        srv_jw_int(&w, (int64_t)sum[k]);
    }
    srv_jw_key(&w, "failed_files");
    srv_jw_int(&w, (int64_t)failed);
    srv_jw_key(&w, "files");
    srv_jw_arr(&w);
    for (size_t i = 0; i < n; i++)
        json_file(&w, &res[i]);
    srv_jw_arr_end(&w);
    srv_jw_obj_end(&w);
    tm_buf_putc(&out, '\n');
    fwrite(out.p, 1, out.len, stdout);
    tm_buf_free(&out);
}

/* One file's lines (not with --json): errors on stderr, the report on
 * stdout unless --quiet. */
static void text_print(const import_args *a, const file_result *fr, const listing *l)
{
    char path[512];
    imp_report_safe_copy(path, sizeof path, fr->path);
    if (fr->failed) {
        fprintf(stderr, "%s: %s%s%s\n", path, fr->err.field, fr->err.field[0] ? ": " : "",
                fr->err.msg);
        return;
    }
    if (fr->rep.aborted)
        fprintf(stderr, "%s: --strict: %zu record%s rejected, so nothing of this file was stored\n",
                path, fr->rep.rejected, fr->rep.rejected == 1 ? "" : "s");
    if (a->quiet) return;
    if (l->more) printf("... and %zu more changes not listed\n", l->more);
    char label[600];
    (void)snprintf(label, sizeof label, "%s%s", path, a->dry_run ? " (dry run)" : "");
    imp_report_print(&fr->rep, label, stdout);
}

int cli_import_main(int argc, char **argv)
{
    import_args a = {0};
    idx_db *db = NULL;
    bool solo = false;
    tm_err serr = {0};
    file_result *res = NULL;
    size_t n = 0;
    int status = parse(argc, argv, &a);
    if (status != CLI_RUN) goto out;
    status = 0;
    if (cli_opt_open_db("import", a.db, &db)) {
        status = 1;
        goto out;
    }
    /* Alone with the database, the load writes each page once (idx_db.h). */
    if (!a.dry_run && idx_db_solo_begin(db, &solo, &serr) != TM_OK)
        fprintf(stderr, "techmart import: %s (going on with the write-ahead log)\n", serr.msg);
    int64_t inst = 0;
    if (a.institution) {
        int code = cli_opt_institution("import", db, a.institution, &inst);
        if (code != TM_OK) {
            status = code == TM_ENOTFOUND ? CLI_EXIT_USAGE : 1;
            goto out;
        }
    }
    progress bar = {.on = !a.quiet && !a.json && isatty(STDERR_FILENO)};
    n = (size_t)(argc - optind);
    res = calloc(n, sizeof *res);
    if (!res) {
        fprintf(stderr, "techmart import: out of memory\n");
        status = 1;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        file_result *fr = &res[i];
        listing l = {.bar = &bar};
        imp_opts io = {.dry_run = a.dry_run,
                       .institution_id = inst,
                       .map = &a.map,
                       .encoding = a.encoding,
                       .strict = a.strict,
                       .on_change = a.dry_run && !a.quiet && !a.json ? change_print : NULL,
                       .progress = bar.on ? progress_hook : NULL,
                       .hook_arg = &l};
        fr->path = argv[optind + (int)i];
        if (bar.on) progress_begin(&bar, fr->path);
        fr->failed = imp_file(db, fr->path, &io, &fr->rep, &fr->err) != TM_OK;
        progress_clear(&bar);
        if (fr->failed || fr->rep.rejected) status = 1;
        if (!a.json) text_print(&a, fr, &l);
    }
    if (a.json) json_print(&a, res, n);
out:
    for (size_t i = 0; i < n; i++)
        imp_report_free(&res[i].rep);
    free(res);
    if (solo && idx_db_solo_end(db, &serr) != TM_OK)
        fprintf(stderr,
                "techmart import: %s; the write-ahead log comes back when the database is next "
                "opened\n",
                serr.msg);
    if (db) idx_db_close(db);
    imp_map_free(&a.map);
    return status;
}
