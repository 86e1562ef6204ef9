/* idx_token: API tokens for bearer authentication (table api_token,
 * migration 5).
 *
 * A token is found by the hash of its secret (BLAKE2b-256 of 32 random
 * bytes, computed by the caller): the secret itself is never stored. Times
 * are Unix seconds given by the caller. Tokens are revoked, never deleted;
 * a revoked token is found by none of these functions.
 *
 * Creating and revoking write an audit_log row ("token.create",
 * "token.revoke") in the same transaction: their own (BEGIN IMMEDIATE)
 * unless the caller holds one. One thread per connection. */
#ifndef IDX_TOKEN_H
#define IDX_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/tm_err.h"
#include "idx_audit.h"
#include "idx_db.h"

#define IDX_TOKEN_HASH 32      /* bytes of token_hash */
#define IDX_TOKEN_NAME_MAX 100 /* bytes of a token's name */

/* A token as its owner sees it (never its hash). */
typedef struct idx_token {
    int64_t id;
    int64_t user_id;
    char name[IDX_TOKEN_NAME_MAX + 1];
    int64_t created_at;
    int64_t last_used; /* 0: never */
} idx_token;

/* A token found by its hash, with its user. */
typedef struct idx_token_auth {
    int64_t id;
    int64_t last_used; /* 0: never */
    int64_t user_id;
    char email[256];
    char role[16];
    int64_t institution_id; /* 0: none */
    bool user_disabled;
} idx_token_auth;

/* Stores a new token of user_id named name (1 to IDX_TOKEN_NAME_MAX bytes,
 * else TM_EINVAL field "name"), created at now; *id gets its id.
 * TM_ENOTFOUND (field "user") for an unknown user. Audit: "token.create" by
 * who, with the user id and the name. */
int idx_token_create(idx_db *db, const idx_actor *who, int64_t user_id,
                     const uint8_t token_hash[IDX_TOKEN_HASH], const char *name, int64_t now,
                     int64_t *id, tm_err *err) TM_MUST_CHECK;

/* The unrevoked token whose secret hashes to token_hash, with its user.
 * TM_ENOTFOUND when there is none. The stored hash is compared again in
 * constant time. Whether a disabled user may act is the caller's to check. */
int idx_token_find(idx_db *db, const uint8_t token_hash[IDX_TOKEN_HASH], idx_token_auth *t,
                   tm_err *err) TM_MUST_CHECK;

/* The unrevoked token id (of any user). TM_ENOTFOUND when there is none. */
int idx_token_get(idx_db *db, int64_t id, idx_token *t, tm_err *err) TM_MUST_CHECK;

/* The unrevoked tokens of user_id, by id; free() *out. */
int idx_token_list(idx_db *db, int64_t user_id, idx_token **out, size_t *n,
                   tm_err *err) TM_MUST_CHECK;

/* Sets last_used of token id to now (no audit). TM_ENOTFOUND when it is
 * unknown or revoked. */
int idx_token_touch(idx_db *db, int64_t id, int64_t now, tm_err *err) TM_MUST_CHECK;

/* Revokes token id at now. TM_ENOTFOUND when unknown or already revoked.
 * Audit: "token.revoke" by who. */
int idx_token_revoke(idx_db *db, const idx_actor *who, int64_t id, int64_t now,
                     tm_err *err) TM_MUST_CHECK;

#endif
