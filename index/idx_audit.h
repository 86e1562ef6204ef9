/* idx_audit: the append-only audit log (table audit_log, migration 3).
 *
 * Every mutation writes one row in the same transaction as the change: when,
 * who (user id and address; none for the command line), the action
 * ("user.add"), the object ("user") and its id, and the old and new values of
 * the changed fields as JSON objects. Triggers refuse UPDATE and DELETE on
 * the table. Callers never put a secret (password, hash, token) in the
 * values. The JSON is built here without Jansson (index/ does not use it).
 * idx_audit_list() reads the log back, filtered and paged by id. */
#ifndef IDX_AUDIT_H
#define IDX_AUDIT_H

#include <stdbool.h>
#include <stdint.h>

#include "../common/tm_buf.h"
#include "../common/tm_err.h"
#include "idx_db.h"

/* Who made a change: user_id 0 and address NULL for the command line. */
typedef struct idx_actor {
    int64_t user_id;
    const char *address;
} idx_actor;

/* A JSON object under construction: {"k": v, ...}. Zero-initialise, add
 * members, read with idx_audit_json_cstr(), free with idx_audit_json_free(). */
typedef struct idx_audit_json {
    tm_buf members; /* "k": v, ... without the braces */
    tm_buf out;     /* the closed object, built by idx_audit_json_cstr() */
} idx_audit_json;

/* s is escaped as a JSON string (quotes, backslashes, control bytes); NULL
 * writes null. */
void idx_audit_json_str(idx_audit_json *j, const char *key, const char *s);
void idx_audit_json_int(idx_audit_json *j, const char *key, int64_t v);
void idx_audit_json_bool(idx_audit_json *j, const char *key, bool v);
void idx_audit_json_null(idx_audit_json *j, const char *key);
/* The closed object; NULL when no member was added. Valid until the next
 * call on j. */
const char *idx_audit_json_cstr(idx_audit_json *j);
void idx_audit_json_free(idx_audit_json *j);

/* Appends one row inside the caller's write transaction. who may be NULL
 * (the command line); object_id 0 is stored as NULL; before/after may be
 * NULL. */
int idx_audit_add(idx_db *db, const idx_actor *who, const char *action, const char *object,
                  int64_t object_id, const char *before, const char *after,
                  tm_err *err) TM_MUST_CHECK;

#define IDX_AUDIT_LIMIT_MAX 200 /* rows of one page */

/* Which rows idx_audit_list() reads: every member set narrows, every member
 * zero or NULL is no filter. since and until are in audit_log.at's form,
 * "YYYY-MM-DDTHH:MM:SSZ" (UTC), and both bounds are inclusive. before_id is
 * the keyset cursor: only rows with a smaller id (0: from the newest). */
typedef struct idx_audit_filter {
    const char *object; /* "technology", "user", ... */
    int64_t object_id;
    int64_t user_id;
    const char *action; /* "user.add", ... */
    const char *since;
    const char *until;
    int64_t before_id;
    size_t limit; /* 1 to IDX_AUDIT_LIMIT_MAX (else TM_EINVAL, field "limit") */
} idx_audit_filter;

/* One audit_log row. The strings are owned by the row (NULL when the
 * column is); before and after are the stored JSON object texts. */
typedef struct idx_audit_row {
    int64_t id;
    char at[32];
    int64_t user_id;  /* 0: the command line */
    char *user_email; /* NULL for the command line or a user no longer stored */
    char *address;
    char *action;
    char *object;
    int64_t object_id; /* 0: none */
    char *before;
    char *after;
} idx_audit_row;

/* The rows f selects, newest (highest id) first, at most f->limit of them,
 * into *rows (free with idx_audit_rows_free(*rows, *n)); *more tells
 * whether further rows match after the last one (then its id is the next
 * page's before_id). On error *rows is NULL and *n 0. */
int idx_audit_list(idx_db *db, const idx_audit_filter *f, idx_audit_row **rows, size_t *n,
                   bool *more, tm_err *err) TM_MUST_CHECK;
void idx_audit_rows_free(idx_audit_row *rows, size_t n);

#endif
