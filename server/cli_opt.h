/* cli_opt: what the commands' parsers (server/main.c, cli_import.c,
 * cli_export.c) share: getopt's set-up, flag defaults from TECHMART_*
 * variables, integer flags, and opening the database and resolving
 * --institution with the error said once as "techmart CMD: message". */
#ifndef CLI_OPT_H
#define CLI_OPT_H

#include <stdint.h>

#include "../index/idx_db.h"

/* Exit status of a usage error (1 is a failure, 0 success). */
#define CLI_EXIT_USAGE 2
/* A parser's return when the command is to run (else it is the exit status). */
#define CLI_RUN (-1)

/* Readies getopt_long() for a new argv (optind back to 1: a process may parse
 * several) with its own messages off (the command says what is wrong), and
 * returns the --db default: TECHMART_DB when set and not empty, else
 * "techmart.db". */
const char *cli_opt_begin(void);

/* The environment variable name when set and not empty, else dflt. */
const char *cli_opt_env(const char *name, const char *dflt);

/* A decimal integer in [min, max] from a flag or environment value into
 * *out; else prints "techmart CMD: WHAT: ..." on stderr and returns -1. */
int cli_opt_parse_int(const char *cmd, const char *what, const char *s, int min, int max, int *out);

/* Opens (creating and migrating) the database at path; on error prints
 * "techmart CMD: message" on stderr and returns 1, else 0. */
int cli_opt_open_db(const char *cmd, const char *path, idx_db **db);

/* The id of the stored institution named (or numbered) name into *id; on
 * error prints "techmart CMD: --institution: message" on stderr and
 * returns its code (TM_ENOTFOUND when there is no such institution). */
int cli_opt_institution(const char *cmd, idx_db *db, const char *name, int64_t *id);

#endif
