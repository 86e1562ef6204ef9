#include "cli_export.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/tm_buf.h"
#include "../import/exp.h"
#include "../index/idx_db.h"
#include "../index/idx_enum.h"
#include "../index/idx_export.h"
#include "../index/idx_tech.h"
#include "cli_opt.h"

const char cli_export_usage[] =
    "usage: techmart export [--db FILE] [--format csv|jsonl|json] [--bom] [--output FILE]\n"
    "                       [--q QUERY] [--institution NAME_OR_ID] [--status S]\n"
    "\n"
    "Writes the catalogue in the import format: `techmart import` of the file into\n"
    "an empty database gives the same technologies back (institutions by name).\n"
    "UTF-8; CSV has the canonical header row, lists joined by \"; \" (a JSON array\n"
    "when an entry holds ';'), patents as a JSON array.\n"
    "\n"
    "  --db FILE            database (TECHMART_DB; default techmart.db)\n"
    "  --format F           csv, jsonl or json (default: from --output's extension)\n"
    "  --bom                begin with a UTF-8 byte order mark (for spreadsheets)\n"
    "  --output FILE        write FILE (whole or not at all); default: stdout\n"
    "  --q QUERY            only technologies matching the search query (every word)\n"
    "  --institution I      only this institution's (its name or id)\n"
    "  --status S           available, negotiating, licensed, withdrawn, or all;\n"
    "                       default: every status but withdrawn (the public catalogue)\n";

enum { OPT_DB = 1000, OPT_FORMAT, OPT_BOM, OPT_OUTPUT, OPT_Q, OPT_INST, OPT_STATUS, OPT_HELP };

static const struct option export_opts[] = {
    {"db", required_argument, NULL, OPT_DB},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"bom", no_argument, NULL, OPT_BOM},
    {"output", required_argument, NULL, OPT_OUTPUT},
    {"q", required_argument, NULL, OPT_Q},
    {"institution", required_argument, NULL, OPT_INST},
    {"status", required_argument, NULL, OPT_STATUS},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

typedef struct export_args {
    const char *db, *format, *output, *q, *institution, *status;
    bool bom;
} export_args;

/* Prints "techmart export: <what><arg><rest>" and the usage. */
static int usage_error(const char *what, const char *arg, const char *rest)
{
    fprintf(stderr, "techmart export: %s%s%s\n%s", what, arg, rest, cli_export_usage);
    return CLI_EXIT_USAGE;
}

static int parse(int argc, char **argv, export_args *a)
{
    int ch;
    bool help = false;
    memset(a, 0, sizeof *a);
    a->db = cli_opt_begin();
    while ((ch = getopt_long(argc, argv, "h", export_opts, NULL)) != -1) {
        switch (ch) {
        case OPT_DB:
            a->db = optarg;
            break;
        case OPT_FORMAT:
            a->format = optarg;
            break;
        case OPT_BOM:
            a->bom = true;
            break;
        case OPT_OUTPUT:
            a->output = optarg;
            break;
        case OPT_Q:
            a->q = optarg;
            break;
        case OPT_INST:
            a->institution = optarg;
            break;
        case OPT_STATUS:
            a->status = optarg;
            break;
        case 'h':
        case OPT_HELP:
            help = true;
            break;
        default:
            return usage_error("unknown or misplaced option '", argv[optind - 1], "'");
        }
    }
    if (help) {
        fputs(cli_export_usage, stdout);
        return 0;
    }
    if (optind < argc) return usage_error("unexpected argument '", argv[optind], "'");
    return CLI_RUN;
}

/* The format from --format, else from --output's extension. */
static int pick_format(const export_args *a, exp_format *fmt)
{
    tm_err err = {0};
    const char *f = a->format;
    if (!f && a->output) {
        const char *dot = strrchr(a->output, '.');
        const char *slash = strrchr(a->output, '/');
        if (dot && (!slash || dot > slash)) f = dot + 1;
    }
    if (!f) return usage_error("give --format csv|jsonl|json (or an --output FILE.csv)", "", "");
    if (exp_format_parse(f, fmt, &err) != TM_OK)
        return usage_error("--format: \"", f, "\" is not csv, jsonl or json");
    return CLI_RUN;
}

static int pick_status(const char *s, int *status)
{
    *status = -1;
    if (!s) return CLI_RUN;
    if (strcmp(s, "all") == 0) {
        *status = IDX_EXPORT_ALL_STATUSES;
        return CLI_RUN;
    }
    if ((*status = idx_status_parse(s)) < 0)
        return usage_error("--status: \"", s,
                           "\" is not available, negotiating, licensed, withdrawn or all");
    return CLI_RUN;
}

static int write_all(FILE *f, tm_buf *b, const char *name, tm_err *err)
{
    if (b->len && fwrite(b->p, 1, b->len, f) != b->len)
        return tm_err_set(err, TM_EINTERNAL, "output", "cannot write %s: %s", name,
                          strerror(errno));
    tm_buf_reset(b);
    return TM_OK;
}

/* Writes every matching technology to f, a page at a time, in one read
 * transaction. *n counts them. */
static int export_to(idx_db *db, const idx_search_req *req, exp_format fmt, bool bom, FILE *f,
                     const char *name, size_t *n, tm_err *err)
{
    idx_export *x = NULL;
    int64_t *ids = calloc(IDX_EXPORT_PAGE, sizeof *ids);
    tm_buf out = {0};
    exp_writer w;
    bool tx = false;
    size_t got = 0;
    int code;

    *n = 0;
    if (!ids) {
        code = tm_err_set(err, TM_EINTERNAL, NULL, "out of memory");
        goto out;
    }
    if ((code = idx_export_open(db, req, &x, err)) != TM_OK) goto out;
    if ((code = idx_db_begin_read(db, err)) != TM_OK) goto out;
    tx = true;
    exp_begin(&w, fmt, bom, &out);
    do {
        if ((code = idx_export_next(x, ids, IDX_EXPORT_PAGE, &got, err)) != TM_OK) goto out;
        for (size_t i = 0; i < got; i++) {
            idx_tech t;
            code = idx_tech_get(db, ids[i], &t, err);
            if (code == TM_ENOTFOUND) continue;
            if (code != TM_OK) goto out;
            exp_tech(&w, &t, &out);
            idx_tech_clear(&t);
            (*n)++;
        }
        if ((code = write_all(f, &out, name, err)) != TM_OK) goto out;
    } while (got > 0);
    exp_end(&w, &out);
    code = write_all(f, &out, name, err);
    if (code == TM_OK && fflush(f) != 0)
        code =
            tm_err_set(err, TM_EINTERNAL, "output", "cannot write %s: %s", name, strerror(errno));
out:
    if (tx) idx_db_rollback(db);
    idx_export_free(x);
    tm_buf_free(&out);
    free(ids);
    return code;
}

static int run(const export_args *a, exp_format fmt, const idx_search_req *base)
{
    idx_db *db = NULL;
    idx_search_req req = *base;
    tm_err err = {0};
    FILE *f = NULL;
    tm_buf tmp = {0};
    size_t n = 0;
    int code, status = 1;

    if (cli_opt_open_db("export", a->db, &db)) goto out;
    if (a->institution &&
        cli_opt_institution("export", db, a->institution, &req.institution_id) != TM_OK)
        goto out;
    if (a->output) {
        /* Written beside the target and renamed into place when whole, so
         * a failed export never leaves half a file under the name. */
        tm_buf_printf(&tmp, "%s.tmp-XXXXXX", a->output);
        int fd = mkstemp(tmp.p);
        mode_t mask = umask(0);
        umask(mask);
        /* mkstemp makes it 0600; the file is the user's, as any they write. */
        if (fd >= 0 && fchmod(fd, 0666 & ~mask) != 0) {
            close(fd);
            fd = -1;
        }
        if (fd < 0 || !(f = fdopen(fd, "wb"))) {
            if (fd >= 0) close(fd);
            fprintf(stderr, "techmart export: cannot write %s: %s\n", a->output, strerror(errno));
            goto out;
        }
    }
    code = export_to(db, &req, fmt, a->bom, f ? f : stdout, a->output ? a->output : "stdout", &n,
                     &err);
    if (f) {
        if (fclose(f) != 0 && code == TM_OK)
            code = tm_err_set(&err, TM_EINTERNAL, "output", "cannot write %s: %s", a->output,
                              strerror(errno));
        f = NULL;
        if (code == TM_OK && rename(tmp.p, a->output) != 0)
            code = tm_err_set(&err, TM_EINTERNAL, "output", "cannot write %s: %s", a->output,
                              strerror(errno));
        if (code != TM_OK) (void)unlink(tmp.p); /* nothing half-written stays */
    }
    if (code != TM_OK) {
        fprintf(stderr, "techmart export: %s%s%s%s\n", err.field[0] ? "--" : "", err.field,
                err.field[0] ? ": " : "", err.msg);
        goto out;
    }
    if (a->output)
        fprintf(stderr, "techmart export: %zu technologies written to %s\n", n, a->output);
    status = 0;
out:
    if (f) fclose(f);
    tm_buf_free(&tmp);
    idx_db_close(db);
    return status;
}

int cli_export_main(int argc, char **argv)
{
    export_args a;
    exp_format fmt;
    idx_search_req req;
    int rc;

    if ((rc = parse(argc, argv, &a)) != CLI_RUN) return rc;
    if ((rc = pick_format(&a, &fmt)) != CLI_RUN) return rc;
    idx_search_req_init(&req);
    if ((rc = pick_status(a.status, &req.status)) != CLI_RUN) return rc;
    if (a.q) {
        req.q = a.q;
        req.qlen = strlen(a.q);
    }
    return run(&a, fmt, &req);
}
