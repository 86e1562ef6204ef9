#include "cli_opt.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "../index/idx_user.h"

const char *cli_opt_env(const char *name, const char *dflt)
{
    const char *v = getenv(name);
    return v && *v ? v : dflt;
}

const char *cli_opt_begin(void)
{
    optind = 1;
    opterr = 0;
    return cli_opt_env("TECHMART_DB", "techmart.db");
}

int cli_opt_parse_int(const char *cmd, const char *what, const char *s, int min, int max, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < min || v > max) {
        fprintf(stderr, "techmart %s: %s: \"%s\" is not an integer from %d to %d\n", cmd, what, s,
                min, max);
        return -1;
    }
    *out = (int)v;
    return 0;
}

int cli_opt_open_db(const char *cmd, const char *path, idx_db **db)
{
    tm_err err = {0};
    if (idx_db_open(path, db, &err) != TM_OK) {
        fprintf(stderr, "techmart %s: %s\n", cmd, err.msg);
        return 1;
    }
    return 0;
}

int cli_opt_institution(const char *cmd, idx_db *db, const char *name, int64_t *id)
{
    tm_err err = {0};
    int code = idx_user_institution_resolve(db, name, id, &err);
    if (code != TM_OK) fprintf(stderr, "techmart %s: --institution: %s\n", cmd, err.msg);
    return code;
}
