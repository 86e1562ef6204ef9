/* idx_user: accounts (table "user", migration 3).
 *
 * A user has an email (unique ignoring case; stored lower-cased), one role
 * (company, tto, staff, admin), an institution (required for company and
 * tto), a password hash (a libsodium crypto_pwhash_str string: this module
 * stores what it is given and never hashes), a disabled flag and a version.
 * Users are disabled, never deleted.
 *
 * Every mutation writes an audit_log row (idx_audit) in the same transaction,
 * with the changed fields' old and new values — never the hash. A mutation
 * called outside a transaction runs in its own (BEGIN IMMEDIATE ... COMMIT);
 * inside the caller's write transaction it joins it, and on failure the
 * caller rolls back. One thread per connection, as for every idx_ module. */
#ifndef IDX_USER_H
#define IDX_USER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/tm_err.h"
#include "idx_audit.h"
#include "idx_db.h"

/* Email length limit (RFC 5321 path). */
#define IDX_EMAIL_MAX 254

typedef struct idx_user {
    int64_t id;
    char *email;
    char *role;             /* "company", "tto", "staff" or "admin" */
    int64_t institution_id; /* 0: none */
    char *institution;      /* the institution's name; NULL when none */
    bool disabled;
    char *created_at, *updated_at;
    int64_t version;
} idx_user;

/* Frees the strings of u and zeroes it; NULL is a no-op. */
void idx_user_clear(idx_user *u);

/* True for the four role names. */
bool idx_user_role_valid(const char *role);
/* True when role needs an institution (company, tto). */
bool idx_user_role_needs_institution(const char *role);

/* Checks basic email syntax (one '@', a dotted domain of letters, digits and
 * hyphens, a local part of printable ASCII without quotes or spaces, at most
 * IDX_EMAIL_MAX bytes) and writes it lower-cased into out (cap >=
 * IDX_EMAIL_MAX + 1). TM_EINVAL with field "email" when it is not an
 * address. The message never repeats the input. */
int idx_user_email_normalize(const char *in, char *out, size_t cap, tm_err *err) TM_MUST_CHECK;

/* The id of an institution named by its Korean or English name (English
 * ignoring case), or by its id in decimal. TM_ENOTFOUND (field
 * "institution") when there is none. */
int idx_user_institution_resolve(idx_db *db, const char *name_or_id, int64_t *id,
                                 tm_err *err) TM_MUST_CHECK;

/* Adds a user; *id gets its id. TM_EINVAL for a bad email, role, or a
 * missing institution the role needs; TM_ECONFLICT (field "email") when the
 * email exists; TM_ENOTFOUND (field "institution") for an unknown
 * institution id. Audit: "user.add" with the new fields. */
int idx_user_add(idx_db *db, const idx_actor *who, const char *email, const char *role,
                 int64_t institution_id, const char *password_hash, int64_t *id,
                 tm_err *err) TM_MUST_CHECK;

/* Finds a user by email (any case). TM_ENOTFOUND when there is none. On
 * success fills *u (idx_user_clear() it) and, when password_hash is not
 * NULL, *password_hash (free() it). */
int idx_user_find(idx_db *db, const char *email, idx_user *u, char **password_hash,
                  tm_err *err) TM_MUST_CHECK;

/* Replaces the password hash of the user with email and, in the same
 * transaction, revokes every login session of the user (a stolen session
 * must not outlive the password it came from). TM_ENOTFOUND when there is no
 * such user. Bumps version. Audit: "user.passwd" (the fact, not the hash),
 * and "session.close_all" when sessions were open. API tokens stay: they
 * are revoked one by one. */
int idx_user_set_password(idx_db *db, const idx_actor *who, const char *email,
                          const char *password_hash, tm_err *err) TM_MUST_CHECK;

/* The same, keeping session keep_session (the one the user changes it
 * from; 0: none), and only while the user's version is still
 * expect_version (0: any): TM_ECONFLICT when the account changed since the
 * caller read it (two changes at once must not both win). */
int idx_user_change_password(idx_db *db, const idx_actor *who, const char *email,
                             const char *password_hash, int64_t keep_session,
                             int64_t expect_version, tm_err *err) TM_MUST_CHECK;

/* Sets the disabled flag. *changed (may be NULL) is false when it already
 * had that value: then nothing is written. TM_ENOTFOUND for an unknown
 * email. Audit: "user.disable" or "user.enable". */
int idx_user_set_disabled(idx_db *db, const idx_actor *who, const char *email, bool disabled,
                          bool *changed, tm_err *err) TM_MUST_CHECK;

/* Every user, by email, without hashes. The caller idx_user_clear()s each
 * and free()s the array. */
int idx_user_list(idx_db *db, idx_user **out, size_t *n, tm_err *err) TM_MUST_CHECK;

#endif
