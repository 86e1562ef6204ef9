/* techmart: the command line. Each subcommand parses its flags (each with a
 * TECHMART_* environment twin where it configures the server), opens the
 * database (created and migrated on first open) and reports errors once, as
 * "techmart CMD: message" or, for records, "file:line: field: message". */
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <sodium.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/tm_alloc.h"
#include "../common/tm_arena.h"
#include "../import/imp.h"
#include "../index/idx_db.h"
#include "../index/idx_tech.h"
#include "cli_demo.h"
#include "cli_export.h"
#include "cli_import.h"
#include "cli_opt.h"
#include "cli_user.h"
#include "srv_http.h"

#define EXIT_USAGE CLI_EXIT_USAGE

static const char usage_main[] =
    "usage: techmart COMMAND [options]\n"
    "\n"
    "A technology-transfer marketplace: a searchable catalogue of university patents.\n"
    "\n"
    "commands:\n"
    "  serve     serve the API and web page over HTTP\n"
    "  import    import technologies from .jsonl, .json or .csv files\n"
    "  export    write the catalogue as .csv, .jsonl or .json (the import format)\n"
    "  demo      load the bundled demo catalogue (3,027 technologies, 281 institutions)\n"
    "  reindex   rebuild the full-text index\n"
    "  user      manage accounts: add, passwd, disable, list\n"
    "  institution  manage institutions: add, list\n"
    "\n"
    "`techmart COMMAND --help` describes each. Every command creates and migrates\n"
    "the database on first open.\n";

static const char usage_serve[] =
    "usage: techmart serve [--db FILE] [--port N] [--bind ADDR] [--threads N]\n"
    "                      [--web DIR] [--max-conns N] [--deadline-ms N] [--idle-timeout S]\n"
    "                      [--secure-cookies] [--session-idle S] [--session-max S]\n"
    "                      [--hash-threads N] [--registrations-per-hour N]\n"
    "\n"
    "Serves the API (/api/v1/...), /healthz and the web page on http://ADDR:PORT.\n"
    "\n"
    "  --db FILE          database (TECHMART_DB; default techmart.db)\n"
    "  --port N           TCP port, 0 for any free one (TECHMART_PORT; default 8080)\n"
    "  --bind ADDR        address to listen on (TECHMART_BIND; default 127.0.0.1)\n"
    "  --threads N        event loops (TECHMART_THREADS; default: number of cores)\n"
    "  --web DIR          static files (TECHMART_WEB; default: web/ beside the binary's\n"
    "                     build/ directory, else ./web)\n"
    "  --max-conns N      open connections at most (TECHMART_MAX_CONNS; default 1024)\n"
    "  --deadline-ms N    whole-request deadline (TECHMART_DEADLINE_MS; default 10000)\n"
    "  --idle-timeout S   keep-alive idle timeout in seconds (TECHMART_IDLE_TIMEOUT; default 30)\n"
    "  --secure-cookies   session cookies carry Secure: set it behind HTTPS\n"
    "                     (TECHMART_SECURE_COOKIES=1; default off)\n"
    "  --session-idle S   a login session unused this many seconds ends\n"
    "                     (TECHMART_SESSION_IDLE; default 7200, 2 hours)\n"
    "  --session-max S    a login session ends this many seconds after login\n"
    "                     (TECHMART_SESSION_MAX; default 604800, 7 days)\n"
    "  --hash-threads N   password-hashing threads, at low CPU priority; each hash\n"
    "                     takes 64 MiB (TECHMART_HASH_THREADS; default 1 up to 2\n"
    "                     cores, then one per 2 more cores, at most 4)\n"
    "  --registrations-per-hour N  company sign-ups per client address per hour\n"
    "                     (TECHMART_REGISTRATIONS_PER_HOUR; default 10; 0 turns sign-up off)\n"
    "\n"
    "SIGINT or SIGTERM stops it cleanly. Access lines go to stdout, errors to stderr.\n";

static const char usage_demo[] =
    "usage: techmart demo [--db FILE] [--accounts]\n"
    "\n"
    "Loads the bundled demo catalogue: 281 institutions and 3,027 real Korean\n"
    "university and research-institute patents (TRL and licence terms are\n"
    "illustrative: no public source has them). Running it again changes nothing.\n"
    "\n"
    "  --db FILE    database (TECHMART_DB; default techmart.db)\n"
    "  --accounts   also create one account per role (admin, staff, a TTO of\n"
    "               서울대학교, a company) under @demo.techmart.example, printing\n"
    "               their generated passwords once; existing ones are left alone\n";

static const char usage_reindex[] = "usage: techmart reindex [--db FILE]\n"
                                    "\n"
                                    "Rebuilds the full-text index from the stored technologies.\n"
                                    "\n"
                                    "  --db FILE    database (TECHMART_DB; default techmart.db)\n";

enum {
    OPT_DB = 1000,
    OPT_PORT,
    OPT_BIND,
    OPT_THREADS,
    OPT_WEB,
    OPT_MAXCONN,
    OPT_DEADLINE,
    OPT_IDLE,
    OPT_SECURE,
    OPT_ACCOUNTS,
    OPT_SESSION_IDLE,
    OPT_SESSION_MAX,
    OPT_REGISTRATIONS,
    OPT_HASH_THREADS,
    OPT_HELP
};

static const struct option long_opts[] = {
    {"db", required_argument, NULL, OPT_DB},
    {"port", required_argument, NULL, OPT_PORT},
    {"bind", required_argument, NULL, OPT_BIND},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"web", required_argument, NULL, OPT_WEB},
    {"max-conns", required_argument, NULL, OPT_MAXCONN},
    {"deadline-ms", required_argument, NULL, OPT_DEADLINE},
    {"idle-timeout", required_argument, NULL, OPT_IDLE},
    {"secure-cookies", no_argument, NULL, OPT_SECURE},
    {"accounts", no_argument, NULL, OPT_ACCOUNTS},
    {"session-idle", required_argument, NULL, OPT_SESSION_IDLE},
    {"session-max", required_argument, NULL, OPT_SESSION_MAX},
    {"registrations-per-hour", required_argument, NULL, OPT_REGISTRATIONS},
    {"hash-threads", required_argument, NULL, OPT_HASH_THREADS},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

/* What a command accepts besides --db and --help. */
typedef struct cli_cmd {
    const char *name;
    const char *usage;
    bool serve;    /* the server's flags */
    bool accounts; /* --accounts */
    bool paths;    /* one or more file arguments */
} cli_cmd;

typedef struct cli_opts {
    const char *db;
    srv_conf srv;
    int accounts;
} cli_opts;

/* The server's integer flags, with their ranges and environment twins. */
typedef struct cli_int {
    int opt;
    const char *flag, *env;
    int min, max;
    size_t off; /* in srv_conf */
} cli_int;

static const cli_int cli_ints[] = {
    {OPT_PORT, "--port", "TECHMART_PORT", 0, 65535, offsetof(srv_conf, port)},
    {OPT_THREADS, "--threads", "TECHMART_THREADS", 1, 256, offsetof(srv_conf, threads)},
    {OPT_MAXCONN, "--max-conns", "TECHMART_MAX_CONNS", 1, 1000000, offsetof(srv_conf, max_conns)},
    {OPT_DEADLINE, "--deadline-ms", "TECHMART_DEADLINE_MS", 100, 3600000,
     offsetof(srv_conf, deadline_ms)},
    {OPT_IDLE, "--idle-timeout", "TECHMART_IDLE_TIMEOUT", 1, 86400, offsetof(srv_conf, idle_s)},
    {OPT_SESSION_IDLE, "--session-idle", "TECHMART_SESSION_IDLE", 1, 365 * 86400,
     offsetof(srv_conf, policy.session_idle_s)},
    {OPT_SESSION_MAX, "--session-max", "TECHMART_SESSION_MAX", 1, 365 * 86400,
     offsetof(srv_conf, policy.session_max_s)},
    {OPT_REGISTRATIONS, "--registrations-per-hour", "TECHMART_REGISTRATIONS_PER_HOUR", 0, 1000000,
     offsetof(srv_conf, policy.registrations_per_hour)},
    {OPT_HASH_THREADS, "--hash-threads", "TECHMART_HASH_THREADS", 1, 64,
     offsetof(srv_conf, pool_threads)},
};

static int *cli_int_field(srv_conf *c, const cli_int *ci)
{
    return (int *)(void *)((char *)c + ci->off);
}

/* Parses argv for cmd into *o. Returns CLI_RUN to run the command, else
 * the exit status (0 after --help, EXIT_USAGE for a usage error). Leaves
 * optind at the first file argument. */
static int cli_parse(const cli_cmd *cmd, int argc, char **argv, cli_opts *o)
{
    int c, help = 0;
    o->db = cli_opt_begin();
    while ((c = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
        const cli_int *ci = NULL;
        for (size_t i = 0; i < sizeof cli_ints / sizeof cli_ints[0]; i++)
            if (cli_ints[i].opt == c) ci = &cli_ints[i];
        bool ok = true;
        if (c == OPT_DB)
            o->db = optarg;
        else if (c == 'h' || c == OPT_HELP)
            help = 1;
        else if (c == OPT_ACCOUNTS && cmd->accounts)
            o->accounts = 1;
        else if (c == OPT_BIND && cmd->serve)
            o->srv.bind = optarg;
        else if (c == OPT_WEB && cmd->serve)
            o->srv.web_root = optarg;
        else if (c == OPT_SECURE && cmd->serve)
            o->srv.policy.secure_cookies = true;
        else if (ci && cmd->serve) {
            if (cli_opt_parse_int(cmd->name, ci->flag, optarg, ci->min, ci->max,
                                  cli_int_field(&o->srv, ci)))
                return EXIT_USAGE;
        } else
            ok = false;
        if (!ok) {
            fprintf(stderr, "techmart %s: unknown or misplaced option '%s'\n%s", cmd->name,
                    argv[optind - 1], cmd->usage);
            return EXIT_USAGE;
        }
    }
    if (help) {
        fputs(cmd->usage, stdout);
        return 0;
    }
    if (cmd->paths && optind >= argc) {
        fprintf(stderr, "techmart %s: no file given\n%s", cmd->name, cmd->usage);
        return EXIT_USAGE;
    }
    if (!cmd->paths && optind < argc) {
        fprintf(stderr, "techmart %s: unexpected argument '%s'\n", cmd->name, argv[optind]);
        return EXIT_USAGE;
    }
    return CLI_RUN;
}

/* Server flags default from the environment, then the command line wins. */
static int serve_env(srv_conf *c)
{
    for (size_t i = 0; i < sizeof cli_ints / sizeof cli_ints[0]; i++) {
        const char *v = getenv(cli_ints[i].env);
        if (v && *v &&
            cli_opt_parse_int("serve", cli_ints[i].env, v, cli_ints[i].min, cli_ints[i].max,
                              cli_int_field(c, &cli_ints[i])))
            return -1;
    }
    c->bind = cli_opt_env("TECHMART_BIND", c->bind);
    c->web_root = cli_opt_env("TECHMART_WEB", c->web_root);
    const char *sec = cli_opt_env("TECHMART_SECURE_COOKIES", "0");
    if (strcmp(sec, "0") != 0 && strcmp(sec, "1") != 0) {
        fprintf(stderr, "techmart serve: TECHMART_SECURE_COOKIES: \"%s\" is not 0 or 1\n", sec);
        return -1;
    }
    c->policy.secure_cookies = sec[0] == '1';
    return 0;
}

/* web/ beside the build/ directory holding the binary, when there is one. */
static const char *default_web_root(void)
{
    static char path[PATH_MAX];
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        for (int up = 0; up < 3; up++) {
            char *slash = strrchr(exe, '/');
            if (!slash) break;
            *slash = '\0';
            int k = snprintf(path, sizeof path, "%s/web/index.html", exe);
            if (k > 0 && (size_t)k < sizeof path && access(path, R_OK) == 0) {
                path[k - (int)strlen("/index.html")] = '\0';
                return path;
            }
        }
    }
    return "web";
}

static int cmd_serve(int argc, char **argv)
{
    cli_opts o = {0};
    srv_conf_init(&o.srv);
    o.srv.web_root = default_web_root();
    if (serve_env(&o.srv)) return EXIT_USAGE;
    static const cli_cmd cmd = {"serve", usage_serve, .serve = true};
    int rc = cli_parse(&cmd, argc, argv, &o);
    if (rc != CLI_RUN) return rc;
    o.srv.db_path = o.db;
    tm_err err = {0};
    if (srv_run(&o.srv, &err) != TM_OK) {
        fprintf(stderr, "techmart serve: %s%s%s\n", err.field, err.field[0] ? ": " : "", err.msg);
        return 1;
    }
    return 0;
}

static int cmd_demo(int argc, char **argv)
{
    cli_opts o = {0};
    static const cli_cmd cmd = {"demo", usage_demo, .accounts = true};
    int rc = cli_parse(&cmd, argc, argv, &o);
    if (rc != CLI_RUN) return rc;
    idx_db *db;
    if (cli_opt_open_db("demo", o.db, &db)) return 1;
    imp_report irep = {0}, trep = {0};
    tm_err err = {0};
    int status = 0;
    if (cli_demo_load(db, &irep, &trep, &err) != TM_OK) {
        fprintf(stderr, "techmart demo: %s\n", err.msg);
        status = 1;
    } else {
        imp_report_print(&irep, "institutions", stdout);
        imp_report_print(&trep, "technologies", stdout);
        status = irep.rejected || trep.rejected;
        if (o.accounts && cli_user_demo_accounts(db, stdout, &err) != TM_OK) {
            fprintf(stderr, "techmart demo: accounts: %s\n", err.msg);
            status = 1;
        }
    }
    imp_report_free(&irep);
    imp_report_free(&trep);
    idx_db_close(db);
    return status;
}

static int cmd_reindex(int argc, char **argv)
{
    cli_opts o = {0};
    static const cli_cmd cmd = {"reindex", usage_reindex, .serve = false};
    int rc = cli_parse(&cmd, argc, argv, &o);
    if (rc != CLI_RUN) return rc;
    idx_db *db;
    if (cli_opt_open_db("reindex", o.db, &db)) return 1;
    tm_err err = {0};
    int64_t n = 0;
    int code = idx_db_begin_write(db, &err);
    sqlite3_stmt *s = code == TM_OK ? idx_db_stmt(db, IDX_STMT_FTS_REBUILD, &err) : NULL;
    if (s) {
        int step = sqlite3_step(s);
        code = step == SQLITE_DONE ? TM_OK : idx_db_fail(db, step, &err);
        idx_db_stmt_done(s);
    } else if (code == TM_OK) {
        code = err.code;
    }
    if (code == TM_OK) code = idx_tech_count(db, &n, &err);
    if (code == TM_OK)
        code = idx_db_commit(db, &err);
    else
        idx_db_rollback(db);
    idx_db_close(db);
    if (code != TM_OK) {
        fprintf(stderr, "techmart reindex: %s\n", err.msg);
        return 1;
    }
    printf("reindexed %lld technologies\n", (long long)n);
    return 0;
}

int main(int argc, char **argv)
{
    if (sodium_init() < 0) {
        fprintf(stderr, "techmart: libsodium failed to initialise\n");
        return 1;
    }
    json_set_alloc_funcs(tm_arena_malloc, tm_arena_free);
    if (argc < 2) {
        fputs(usage_main, stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        fputs(usage_main, stdout);
        return 0;
    }
    static const struct {
        const char *name;
        int (*fn)(int, char **);
    } cmds[] = {
        {"serve", cmd_serve},        {"import", cli_import_main}, {"demo", cmd_demo},
        {"reindex", cmd_reindex},    {"user", cli_user_main},     {"institution", cli_inst_main},
        {"export", cli_export_main},
    };
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        if (!strcmp(cmd, cmds[i].name)) return cmds[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "techmart: unknown command '%s'\n\n%s", cmd, usage_main);
    return EXIT_USAGE;
}
