/* tm_err: the error value every fallible function fills and returns.
 *
 * Lower layers (index/, import/) set an error and return its code; they never
 * log. Only the edges print or map it: server/ to an HTTP status (one table in
 * srv_http), the CLI to "file:line: field: message". A tm_err is plain data on
 * the caller's stack; nothing in it is owned. */
#ifndef TM_ERR_H
#define TM_ERR_H

#include <stddef.h>

#if defined(__GNUC__)
#define TM_MUST_CHECK __attribute__((warn_unused_result))
#define TM_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define TM_MUST_CHECK
#define TM_PRINTF(f, a)
#endif

typedef enum {
    TM_OK = 0,
    TM_EINVAL,    /* the caller's input is wrong: 400 */
    TM_EAUTH,     /* not logged in: 401 */
    TM_EFORBID,   /* logged in, not allowed: 403 */
    TM_ENOTFOUND, /* 404 */
    TM_ECONFLICT, /* 409 */
    TM_ESTALE,    /* stale If-Match: 412 */
    TM_ETOOBIG,   /* 413 */
    TM_EBUSY,     /* overloaded or locked: 503 */
    TM_EINTERNAL  /* a real fault: 500, logged with detail */
} tm_code;

typedef struct tm_err {
    tm_code code;
    char field[64]; /* JSON field, query parameter or CSV column; "" if none */
    char msg[192];  /* safe to show the user */
} tm_err;

/* Fills *e (when e is not NULL) and returns code, so callers can write
 * `return tm_err_set(err, TM_EINVAL, "trl", "...")`. field may be NULL. */
int tm_err_set(tm_err *e, tm_code code, const char *field, const char *fmt, ...) TM_PRINTF(4, 5);

/* Resets *e to TM_OK with empty field and message. */
void tm_err_clear(tm_err *e);

/* A short stable name for code ("invalid", "not_found", ...), used as the
 * "code" of JSON error bodies. */
const char *tm_code_name(tm_code code);

#endif
