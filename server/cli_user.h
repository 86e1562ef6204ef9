/* cli_user: `techmart user add|passwd|disable|list`, accounts from the
 * command line. Hashing (argon2id) runs here, on the caller's thread;
 * audit rows name no user (the command line is the operator). */
#ifndef CLI_USER_H
#define CLI_USER_H

/* The usage text of `techmart user`. */
extern const char cli_user_usage[];

/* Runs `techmart user ...` with argv[0] == "user". Returns the exit status:
 * 0 success, 1 failure, 2 usage error. Call after sodium_init(). */
int cli_user_main(int argc, char **argv);

#endif
