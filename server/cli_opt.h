/* cli_opt: what the commands' parsers (server/main.c, cli_import.c) share:
 * flag defaults from TECHMART_* variables, integer flags, and opening the
 * database with the error said once as "techmart CMD: message". */
#ifndef CLI_OPT_H
#define CLI_OPT_H

#include "../index/idx_db.h"

/* Exit status of a usage error (1 is a failure, 0 success). */
#define CLI_EXIT_USAGE 2

/* The environment variable name when set and not empty, else dflt. */
const char *cli_opt_env(const char *name, const char *dflt);

/* A decimal integer in [min, max] from a flag or environment value into
 * *out; else prints "techmart CMD: WHAT: ..." on stderr and returns -1. */
int cli_opt_parse_int(const char *cmd, const char *what, const char *s, int min, int max, int *out);

/* Opens (creating and migrating) the database at path; on error prints
 * "techmart CMD: message" on stderr and returns 1, else 0. */
int cli_opt_open_db(const char *cmd, const char *path, idx_db **db);

#endif
