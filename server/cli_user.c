#include "cli_user.h"

#include <getopt.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../index/idx_db.h"
#include "../index/idx_enum.h"
#include "../index/idx_inst.h"
#include "../index/idx_user.h"
#include "cli_opt.h"
#include "srv_pass.h"

#define EXIT_USAGE CLI_EXIT_USAGE

const char cli_user_usage[] =
    "usage: techmart user SUBCOMMAND [options]\n"
    "\n"
    "Manages accounts. Roles: company and tto users belong to an institution;\n"
    "staff and admin users may. Every change is written to the audit log.\n"
    "\n"
    "subcommands:\n"
    "  add       add a user (prints a generated password once, unless --password-stdin)\n"
    "  passwd    set a user's password\n"
    "  disable   disable a user (users are never deleted)\n"
    "  list      list users (email, role, institution, disabled, created_at)\n"
    "\n"
    "`techmart user SUBCOMMAND --help` describes each.\n";

static const char usage_add[] =
    "usage: techmart user add [--db FILE] --email E --role company|tto|staff|admin\n"
    "                         [--institution NAME_OR_ID] [--password-stdin]\n"
    "\n"
    "Adds a user. company and tto users need --institution (its Korean or English\n"
    "name, or its id); staff and admin users may have one. Without --password-stdin a\n"
    "strong password is generated and printed once, on stdout.\n"
    "\n"
    "  --db FILE          database (TECHMART_DB; default techmart.db)\n"
    "  --email E          the user's email address (stored lower-cased, unique)\n"
    "  --role ROLE        company, tto, staff or admin\n"
    "  --institution I    the user's institution, by name or id\n"
    "  --password-stdin   read the password from the first line of stdin (12 to 1024\n"
    "                     bytes of UTF-8, not a common password)\n";

static const char usage_passwd[] =
    "usage: techmart user passwd [--db FILE] --email E [--password-stdin]\n"
    "\n"
    "Sets a user's password. Without --password-stdin a strong password is generated\n"
    "and printed once, on stdout.\n"
    "\n"
    "  --db FILE          database (TECHMART_DB; default techmart.db)\n"
    "  --email E          the user's email address\n"
    "  --password-stdin   read the password from the first line of stdin\n";

static const char usage_disable[] =
    "usage: techmart user disable [--db FILE] --email E\n"
    "\n"
    "Disables a user: the account stays (the audit log names it) but cannot be used.\n"
    "\n"
    "  --db FILE          database (TECHMART_DB; default techmart.db)\n"
    "  --email E          the user's email address\n";

const char cli_inst_usage[] =
    "usage: techmart institution SUBCOMMAND [options]\n"
    "\n"
    "Manages institutions (universities, research institutes, companies, agencies).\n"
    "Every change is written to the audit log.\n"
    "\n"
    "subcommands:\n"
    "  add       add an institution\n"
    "  list      list institutions (id, name, name_en, kind, groups, technologies)\n"
    "\n"
    "`techmart institution SUBCOMMAND --help` describes each.\n";

static const char usage_inst_add[] =
    "usage: techmart institution add [--db FILE] --name NAME [--name-en NAME]\n"
    "                                [--kind KIND] [--group G]...\n"
    "\n"
    "Adds an institution; prints its id. A name or English name already taken by\n"
    "another institution is refused.\n"
    "\n"
    "  --db FILE          database (TECHMART_DB; default techmart.db)\n"
    "  --name NAME        the Korean (or only) name\n"
    "  --name-en NAME     the English name\n"
    "  --kind KIND        university, research-institute, company, agency or other\n"
    "                     (default other)\n"
    "  --group G          a group it belongs to (forum, dongbuk4, hongneung, ...);\n"
    "                     repeat for several\n";

static const char usage_inst_list[] =
    "usage: techmart institution list [--db FILE]\n"
    "\n"
    "Lists institutions, one a line, tab-separated: id, name, name_en, kind, groups\n"
    "(comma-separated), listed technologies.\n"
    "\n"
    "  --db FILE          database (TECHMART_DB; default techmart.db)\n";

static const char usage_list[] =
    "usage: techmart user list [--db FILE]\n"
    "\n"
    "Lists users, one a line, tab-separated: email, role, institution, disabled,\n"
    "created_at. Password hashes are never shown.\n"
    "\n"
    "  --db FILE          database (TECHMART_DB; default techmart.db)\n";

enum {
    OPT_DB = 1000,
    OPT_EMAIL,
    OPT_ROLE,
    OPT_INST,
    OPT_STDIN,
    OPT_NAME,
    OPT_NAME_EN,
    OPT_KIND,
    OPT_GROUP,
    OPT_HELP
};

static const struct option user_opts[] = {
    {"db", required_argument, NULL, OPT_DB},
    {"email", required_argument, NULL, OPT_EMAIL},
    {"role", required_argument, NULL, OPT_ROLE},
    {"institution", required_argument, NULL, OPT_INST},
    {"password-stdin", no_argument, NULL, OPT_STDIN},
    {"name", required_argument, NULL, OPT_NAME},
    {"name-en", required_argument, NULL, OPT_NAME_EN},
    {"kind", required_argument, NULL, OPT_KIND},
    {"group", required_argument, NULL, OPT_GROUP},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

/* Which flags a subcommand takes besides --db and --help. */
enum { F_EMAIL = 1, F_ROLE = 2, F_INST = 4, F_STDIN = 8, F_INST_FIELDS = 16 };

#define GROUPS_MAX 16

typedef struct user_opts_val {
    const char *db, *email, *role, *institution;
    bool password_stdin;
    const char *name, *name_en, *kind; /* F_INST_FIELDS */
    char *groups[GROUPS_MAX];
    size_t ngroups;
} user_opts_val;

typedef struct user_cmd {
    const char *group; /* "user" or "institution" */
    const char *name;
    const char *usage;
    unsigned flags;
    int (*run)(const struct user_cmd *, const user_opts_val *);
} user_cmd;

static void fail(const user_cmd *c, const tm_err *err)
{
    fprintf(stderr, "techmart %s %s: %s%s%s\n", c->group, c->name, err->field,
            err->field[0] ? ": " : "", err->msg);
}

static int parse(const user_cmd *c, int argc, char **argv, user_opts_val *o)
{
    int ch, help = 0;
    o->db = cli_opt_begin();
    while ((ch = getopt_long(argc, argv, "h", user_opts, NULL)) != -1) {
        if (ch == OPT_DB)
            o->db = optarg;
        else if (ch == 'h' || ch == OPT_HELP)
            help = 1;
        else if (ch == OPT_EMAIL && (c->flags & F_EMAIL))
            o->email = optarg;
        else if (ch == OPT_ROLE && (c->flags & F_ROLE))
            o->role = optarg;
        else if (ch == OPT_INST && (c->flags & F_INST))
            o->institution = optarg;
        else if (ch == OPT_STDIN && (c->flags & F_STDIN))
            o->password_stdin = true;
        else if (ch == OPT_NAME && (c->flags & F_INST_FIELDS))
            o->name = optarg;
        else if (ch == OPT_NAME_EN && (c->flags & F_INST_FIELDS))
            o->name_en = optarg;
        else if (ch == OPT_KIND && (c->flags & F_INST_FIELDS))
            o->kind = optarg;
        else if (ch == OPT_GROUP && (c->flags & F_INST_FIELDS) && o->ngroups < GROUPS_MAX)
            o->groups[o->ngroups++] = optarg;
        else {
            /* A known option names itself (optind may be past its value). */
            const char *name = argv[optind - 1];
            for (const struct option *op = user_opts; op->name; op++)
                if (op->val == ch) name = op->name;
            fprintf(stderr, "techmart %s %s: unknown or misplaced option '%s%s'\n%s", c->group,
                    c->name, name == argv[optind - 1] ? "" : "--", name, c->usage);
            return EXIT_USAGE;
        }
    }
    if (help) {
        fputs(c->usage, stdout);
        return 0;
    }
    if (optind < argc) {
        fprintf(stderr, "techmart %s %s: unexpected argument '%s'\n", c->group, c->name,
                argv[optind]);
        return EXIT_USAGE;
    }
    if ((c->flags & F_EMAIL) && !o->email) {
        fprintf(stderr, "techmart user %s: --email is required\n%s", c->name, c->usage);
        return EXIT_USAGE;
    }
    if ((c->flags & F_ROLE) && !o->role) {
        fprintf(stderr, "techmart user %s: --role is required\n%s", c->name, c->usage);
        return EXIT_USAGE;
    }
    if ((c->flags & F_INST_FIELDS) && !o->name) {
        fprintf(stderr, "techmart %s %s: --name is required\n%s", c->group, c->name, c->usage);
        return EXIT_USAGE;
    }
    return CLI_RUN;
}

/* The password: the first line of stdin (without its line end) checked by
 * the policy, or a generated one (*generated set). pw holds SRV_PASS_MAX + 1
 * bytes; the caller wipes it. Returns 0, or the exit status. */
static int password_get(const user_cmd *c, bool from_stdin, char *pw, size_t *len, bool *generated)
{
    tm_err err = {0};
    *len = 0;
    *generated = !from_stdin;
    if (!from_stdin) {
        srv_pass_generate(pw);
        *len = SRV_PASS_GEN_LEN;
        return 0;
    }
    int ch;
    bool any = false, too_long = false;
    while ((ch = getchar()) != EOF && ch != '\n') {
        any = true;
        if (*len < SRV_PASS_MAX + 1)
            pw[(*len)++] = (char)ch;
        else
            too_long = true;
    }
    if (ferror(stdin) || (!any && ch == EOF)) {
        fprintf(stderr, "techmart %s %s: no password on stdin\n", c->group, c->name);
        return 1;
    }
    if (*len && pw[*len - 1] == '\r') (*len)--;
    if (too_long) *len = SRV_PASS_MAX + 1;
    if (srv_pass_check(pw, *len, &err) != TM_OK) {
        fail(c, &err);
        return 1;
    }
    return 0;
}

static int open_db(const user_cmd *c, const char *path, idx_db **db)
{
    tm_err err = {0};
    if (idx_db_open(path, db, &err) != TM_OK) {
        fail(c, &err);
        return 1;
    }
    return 0;
}

static int run_add(const user_cmd *c, const user_opts_val *o)
{
    char mail[IDX_EMAIL_MAX + 1], pw[SRV_PASS_MAX + 1], hash[SRV_PASS_HASH_CAP];
    size_t len = 0;
    bool generated = false;
    idx_db *db = NULL;
    idx_user u = {0};
    int64_t inst = 0, id = 0;
    tm_err err = {0};
    int status = 1;

    if (idx_user_email_normalize(o->email, mail, sizeof mail, &err) != TM_OK) {
        fail(c, &err);
        return EXIT_USAGE;
    }
    if (!idx_user_role_valid(o->role)) {
        fprintf(stderr, "techmart user add: --role must be company, tto, staff or admin\n");
        return EXIT_USAGE;
    }
    if (idx_user_role_needs_institution(o->role) && !o->institution) {
        fprintf(stderr, "techmart user add: a %s user needs --institution\n", o->role);
        return EXIT_USAGE;
    }
    if ((status = password_get(c, o->password_stdin, pw, &len, &generated)) != 0) goto out;
    status = 1;
    if (open_db(c, o->db, &db)) goto out;
    if (o->institution && idx_user_institution_resolve(db, o->institution, &inst, &err) != TM_OK) {
        fail(c, &err);
        goto out;
    }
    if (srv_pass_hash(pw, len, hash, &err) != TM_OK ||
        idx_user_add(db, NULL, mail, o->role, inst, hash, &id, &err) != TM_OK) {
        if (err.code == TM_ECONFLICT)
            fprintf(stderr, "techmart user add: %s: %s\n", mail, err.msg);
        else
            fail(c, &err);
        goto out;
    }
    if (idx_user_find(db, mail, &u, NULL, &err) != TM_OK) {
        fail(c, &err);
        goto out;
    }
    printf("added user %s (%s%s%s)\n", u.email, u.role, u.institution ? ", " : "",
           u.institution ? u.institution : "");
    if (generated) printf("password: %s\n", pw);
    status = 0;
out:
    sodium_memzero(pw, sizeof pw);
    sodium_memzero(hash, sizeof hash);
    idx_user_clear(&u);
    idx_db_close(db);
    return status;
}

static int run_passwd(const user_cmd *c, const user_opts_val *o)
{
    char pw[SRV_PASS_MAX + 1], hash[SRV_PASS_HASH_CAP];
    size_t len = 0;
    bool generated = false;
    idx_db *db = NULL;
    idx_user u = {0};
    tm_err err = {0};
    int status;

    if ((status = password_get(c, o->password_stdin, pw, &len, &generated)) != 0) goto out;
    status = 1;
    if (open_db(c, o->db, &db)) goto out;
    /* Look the user up first: an unknown email costs no hash. */
    if (idx_user_find(db, o->email, &u, NULL, &err) != TM_OK ||
        srv_pass_hash(pw, len, hash, &err) != TM_OK ||
        idx_user_set_password(db, NULL, o->email, hash, &err) != TM_OK) {
        if (err.code == TM_ENOTFOUND)
            fprintf(stderr, "techmart user passwd: no user with email %s\n", o->email);
        else
            fail(c, &err);
        goto out;
    }
    printf("changed the password of %s\n", u.email);
    if (generated) printf("password: %s\n", pw);
    status = 0;
out:
    sodium_memzero(pw, sizeof pw);
    sodium_memzero(hash, sizeof hash);
    idx_user_clear(&u);
    idx_db_close(db);
    return status;
}

static int run_disable(const user_cmd *c, const user_opts_val *o)
{
    idx_db *db = NULL;
    tm_err err = {0};
    bool changed = false;
    if (open_db(c, o->db, &db)) return 1;
    int code = idx_user_set_disabled(db, NULL, o->email, true, &changed, &err);
    idx_db_close(db);
    if (code == TM_ENOTFOUND) {
        fprintf(stderr, "techmart user disable: no user with email %s\n", o->email);
        return 1;
    }
    if (code != TM_OK) {
        fail(c, &err);
        return 1;
    }
    printf(changed ? "disabled %s\n" : "%s was already disabled\n", o->email);
    return 0;
}

static int run_list(const user_cmd *c, const user_opts_val *o)
{
    idx_db *db = NULL;
    idx_user *v = NULL;
    size_t n = 0;
    tm_err err = {0};
    if (open_db(c, o->db, &db)) return 1;
    int code = idx_user_list(db, &v, &n, &err);
    idx_db_close(db);
    if (code != TM_OK) {
        fail(c, &err);
        return 1;
    }
    printf("email\trole\tinstitution\tdisabled\tcreated_at\n");
    for (size_t i = 0; i < n; i++) {
        printf("%s\t%s\t%s\t%s\t%s\n", v[i].email, v[i].role,
               v[i].institution ? v[i].institution : "-", v[i].disabled ? "yes" : "no",
               v[i].created_at);
        idx_user_clear(&v[i]);
    }
    free(v);
    return 0;
}

static int run_inst_add(const user_cmd *c, const user_opts_val *o)
{
    idx_db *db = NULL;
    tm_err err = {0};
    int64_t id = 0;
    idx_inst in = {.name = (char *)o->name, .name_en = (char *)o->name_en, .kind = IDX_KIND_OTHER};
    in.groups = (idx_strv){.v = (char **)o->groups, .n = o->ngroups};
    if (o->kind && (in.kind = idx_kind_parse(o->kind)) < 0) {
        fprintf(stderr, "techmart institution add: --kind must be university, research-institute, "
                        "company, agency or other\n");
        return EXIT_USAGE;
    }
    if (open_db(c, o->db, &db)) return 1;
    int code = idx_inst_add(db, NULL, &in, &id, &err);
    idx_db_close(db);
    if (code != TM_OK) {
        fail(c, &err);
        return 1;
    }
    printf("added institution %lld %s\n", (long long)id, o->name);
    return 0;
}

static int run_inst_list(const user_cmd *c, const user_opts_val *o)
{
    idx_db *db = NULL;
    idx_inst *v = NULL;
    size_t n = 0;
    tm_err err = {0};
    if (open_db(c, o->db, &db)) return 1;
    int code = idx_inst_list(db, &v, &n, &err);
    idx_db_close(db);
    if (code != TM_OK) {
        fail(c, &err);
        return 1;
    }
    printf("id\tname\tname_en\tkind\tgroups\ttechnologies\n");
    for (size_t i = 0; i < n; i++) {
        printf("%lld\t%s\t%s\t%s\t", (long long)v[i].id, v[i].name,
               v[i].name_en ? v[i].name_en : "-", idx_kind_name(v[i].kind));
        for (size_t g = 0; g < v[i].groups.n; g++)
            printf("%s%s", g ? "," : "", v[i].groups.v[g]);
        printf("%s\t%lld\n", v[i].groups.n ? "" : "-", (long long)v[i].technologies);
        idx_inst_clear(&v[i]);
    }
    free(v);
    return 0;
}

static const user_cmd user_cmds[] = {
    {"user", "add", usage_add, F_EMAIL | F_ROLE | F_INST | F_STDIN, run_add},
    {"user", "passwd", usage_passwd, F_EMAIL | F_STDIN, run_passwd},
    {"user", "disable", usage_disable, F_EMAIL, run_disable},
    {"user", "list", usage_list, 0, run_list},
    {"institution", "add", usage_inst_add, F_INST_FIELDS, run_inst_add},
    {"institution", "list", usage_inst_list, 0, run_inst_list},
};

/* Runs `techmart GROUP SUBCOMMAND ...` (argv[0] == group). */
static int group_main(const char *group, const char *usage, int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "techmart %s: no subcommand given\n%s", group, usage);
        return EXIT_USAGE;
    }
    const char *sub = argv[1];
    if (!strcmp(sub, "--help") || !strcmp(sub, "-h") || !strcmp(sub, "help")) {
        fputs(usage, stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof user_cmds / sizeof user_cmds[0]; i++) {
        const user_cmd *c = &user_cmds[i];
        if (strcmp(group, c->group) || strcmp(sub, c->name)) continue;
        user_opts_val o = {0};
        int rc = parse(c, argc - 1, argv + 1, &o);
        return rc == CLI_RUN ? c->run(c, &o) : rc;
    }
    fprintf(stderr, "techmart %s: unknown subcommand '%s'\n\n%s", group, sub, usage);
    return EXIT_USAGE;
}

int cli_user_main(int argc, char **argv)
{
    return group_main("user", cli_user_usage, argc, argv);
}

int cli_inst_main(int argc, char **argv)
{
    return group_main("institution", cli_inst_usage, argc, argv);
}

/* The demo's accounts: one per role. The company gets an institution of
 * its own; the TTO belongs to the first forum university of the demo. */
int cli_user_demo_accounts(idx_db *db, FILE *out, tm_err *err)
{
    static const struct {
        const char *email, *role;
    } accounts[] = {
        {"admin@demo.techmart.example", "admin"},
        {"staff@demo.techmart.example", "staff"},
        {"tto@demo.techmart.example", "tto"},
        {"company@demo.techmart.example", "company"},
    };
    static const char tto_inst[] = "서울대학교", company_inst[] = "데모 주식회사";
    int code = TM_OK;
    for (size_t i = 0; code == TM_OK && i < sizeof accounts / sizeof accounts[0]; i++) {
        idx_user u = {0};
        int64_t inst = 0, id = 0;
        char pw[SRV_PASS_GEN_LEN + 1], hash[SRV_PASS_HASH_CAP];
        code = idx_user_find(db, accounts[i].email, &u, NULL, err);
        idx_user_clear(&u);
        if (code == TM_OK) {
            fprintf(out, "%-8s %-32s exists; password unchanged\n", accounts[i].role,
                    accounts[i].email);
            continue;
        }
        if (code != TM_ENOTFOUND) break;
        code = TM_OK;
        if (!strcmp(accounts[i].role, "tto")) {
            code = idx_inst_find(db, tto_inst, &inst, err);
            if (code == TM_OK && !inst)
                code = tm_err_set(err, TM_ENOTFOUND, "institution", "no institution %s", tto_inst);
        } else if (!strcmp(accounts[i].role, "company")) {
            code = idx_inst_find(db, company_inst, &inst, err);
            idx_inst in = {.name = (char *)company_inst,
                           .name_en = "Demo Corporation",
                           .kind = IDX_KIND_COMPANY};
            if (code == TM_OK && !inst) code = idx_inst_add(db, NULL, &in, &inst, err);
        }
        srv_pass_generate(pw);
        if (code == TM_OK) code = srv_pass_hash(pw, SRV_PASS_GEN_LEN, hash, err);
        if (code == TM_OK)
            code =
                idx_user_add(db, NULL, accounts[i].email, accounts[i].role, inst, hash, &id, err);
        if (code == TM_OK)
            fprintf(out, "%-8s %-32s password: %s\n", accounts[i].role, accounts[i].email, pw);
        sodium_memzero(pw, sizeof pw);
        sodium_memzero(hash, sizeof hash);
    }
    return code;
}
