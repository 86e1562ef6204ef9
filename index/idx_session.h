/* idx_session: login sessions (table session, migration 4).
 *
 * A session is found by the hash of its cookie token (BLAKE2b-256 of 32
 * random bytes, computed by the caller): the token itself is never stored,
 * nor the CSRF token, of which only csrf_hash is kept. Times are Unix
 * seconds given by the caller; this module stores and returns them and
 * leaves expiry policy (idle and absolute limits) to the caller.
 *
 * Opening and revoking write an audit_log row ("session.open",
 * "session.close") in the same transaction: their own (BEGIN IMMEDIATE)
 * unless the caller holds one. One thread per connection. */
#ifndef IDX_SESSION_H
#define IDX_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "../common/tm_err.h"
#include "idx_audit.h"
#include "idx_db.h"

#define IDX_SESSION_HASH 32 /* bytes of token_hash and csrf_hash */

typedef struct idx_session {
    int64_t id;
    uint8_t token_hash[IDX_SESSION_HASH];
    uint8_t csrf_hash[IDX_SESSION_HASH];
    int64_t created_at, last_seen, expires_at;
    /* The session's user. */
    int64_t user_id;
    char email[256];
    char role[16];
    int64_t institution_id; /* 0: none */
    bool user_disabled;
} idx_session;

/* Stores a new session of user_id opened at now, ending at expires_at; *id
 * gets its id. TM_ENOTFOUND (field "user") for an unknown user. Audit:
 * "session.open" by who, with the user id and expiry. */
int idx_session_create(idx_db *db, const idx_actor *who, int64_t user_id,
                       const uint8_t token_hash[IDX_SESSION_HASH],
                       const uint8_t csrf_hash[IDX_SESSION_HASH], int64_t now, int64_t expires_at,
                       int64_t *id, tm_err *err) TM_MUST_CHECK;

/* The unrevoked session whose token hashes to token_hash, with its user.
 * TM_ENOTFOUND when there is none (or it was revoked). The stored hash is
 * compared again in constant time. Expiry is the caller's to check. */
int idx_session_find(idx_db *db, const uint8_t token_hash[IDX_SESSION_HASH], idx_session *s,
                     tm_err *err) TM_MUST_CHECK;

/* Sets last_seen of session id to now (no audit: it is not a change a user
 * made). TM_ENOTFOUND when it is unknown or revoked. */
int idx_session_touch(idx_db *db, int64_t id, int64_t now, tm_err *err) TM_MUST_CHECK;

/* Revokes session id at now. TM_ENOTFOUND when unknown or already revoked.
 * Audit: "session.close" by who, with reason (e.g. "logout"). */
int idx_session_revoke(idx_db *db, const idx_actor *who, int64_t id, int64_t now,
                       const char *reason, tm_err *err) TM_MUST_CHECK;

/* Revokes every open session of user_id except keep (0: none) at now; *n
 * (may be NULL) gets how many. Audit, when any was open: one
 * "session.close_all" row on the user with reason and count. */
int idx_session_revoke_user(idx_db *db, const idx_actor *who, int64_t user_id, int64_t keep,
                            int64_t now, const char *reason, int *n, tm_err *err) TM_MUST_CHECK;

#endif
