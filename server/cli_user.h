/* cli_user: `techmart user add|passwd|disable|list` and `techmart
 * institution add|list`, accounts from the command line. Hashing (argon2id) runs here, on the
 * caller's thread; audit rows name no user (the command line is the operator). */
#ifndef CLI_USER_H
#define CLI_USER_H

#include <stdio.h>

#include "../common/tm_err.h"
#include "../index/idx_db.h"

/* The usage text of `techmart user`. */
extern const char cli_user_usage[];

/* Runs `techmart user ...` with argv[0] == "user". Returns the exit status:
 * 0 success, 1 failure, 2 usage error. Call after sodium_init(). */
int cli_user_main(int argc, char **argv);

/* The usage text of `techmart institution`. */
extern const char cli_inst_usage[];

/* Runs `techmart institution add|list` (argv[0] == "institution"). */
int cli_inst_main(int argc, char **argv);

/* Creates the demo's accounts, one per role (admin, staff, a TTO of
 * 서울대학교, a company with an institution of its own), each with a
 * generated password printed once to out; an account that exists is left
 * as it is. Needs the demo institutions. */
int cli_user_demo_accounts(idx_db *db, FILE *out, tm_err *err) TM_MUST_CHECK;

#endif
