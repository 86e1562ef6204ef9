/* srv_http: the HTTP server: N event loops (one event_base + evhttp + SQLite
 * connection each) accepting on SO_REUSEPORT sockets bound to one address,
 * with techmart's own limits on top of evhttp's: a cap on open connections,
 * an 8 KiB header limit, a body limit per route, a whole-request deadline and
 * an idle timeout, so a slow or hostile client costs one connection and never
 * blocks searches. One access line per request on stdout.
 *
 * Every handler is given an srv_req and must end by calling exactly one of
 * the srv_reply_* functions, either before it returns or, for slow work, by
 * handing the request to the worker pool with srv_req_offload().
 *
 * Lifetime of an offloaded request (all on the request's loop thread but
 * for work): the handler returns without replying; the srv_req and its
 * evhttp_request stay valid, and the loop counts it as pending and does not
 * stop (nor free its evhttp) until it is done. The connection cannot be cut
 * by techmart meanwhile: the whole-request deadline stopped when the request
 * was complete, and draining closes only idle connections. If the client
 * closes it (or evhttp's idle timeout fires), evhttp 2.1 detaches the
 * request from the connection (evhttp_request_get_connection() is NULL) and
 * frees the connection but not the request; done(NULL, arg) then runs
 * instead of a reply (only to free arg) and srv_http frees the request. */
#ifndef SRV_HTTP_H
#define SRV_HTTP_H

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/tm_buf.h"
#include "../common/tm_err.h"
#include "../index/idx_db.h"
#include "../index/idx_search.h"
#include "srv_auth.h"

/* What accounts may do: sessions and registration. */
typedef struct srv_policy {
    bool secure_cookies;        /* session cookies carry Secure (behind HTTPS) */
    int session_idle_s;         /* a session unused this long ends (2 h) */
    int session_max_s;          /* a session ends this long after login (7 days) */
    int registrations_per_hour; /* company sign-ups per client address (10) */
} srv_policy;

typedef struct srv_conf {
    const char *db_path;
    const char *bind;     /* "127.0.0.1" */
    int port;             /* 0: any free port (printed on start) */
    int threads;          /* event loops */
    const char *web_root; /* directory of static files */
    int max_conns;        /* open connections across all loops */
    size_t max_header;    /* bytes of request line + headers */
    int deadline_ms;      /* whole request, from first byte to last */
    int idle_s;           /* keep-alive idle timeout */
    srv_policy policy;
    int pool_threads; /* worker threads for password hashing */
} srv_conf;

/* Defaults (and their TECHMART_* environment twins applied by the CLI). */
void srv_conf_init(srv_conf *c);

/* Opens the database (migrating it), builds the search engine, binds and
 * serves until SIGINT or SIGTERM, then stops accepting, lets in-flight
 * requests finish (bounded), checkpoints the WAL and returns TM_OK. Prints
 * "techmart: listening on http://ADDR:PORT" on stderr once bound. */
int srv_run(const srv_conf *conf, tm_err *err) TM_MUST_CHECK;

/* One request as a handler sees it. */
typedef struct srv_req {
    struct evhttp_request *ev;
    idx_db *db;         /* this loop's connection */
    idx_engine *engine; /* shared search engine */
    const char *web_root;
    const char *path;       /* decoded path, no query */
    struct evkeyvalq query; /* decoded query parameters */
    const char *param;      /* the {id} part of a route pattern, or NULL */
    int status;             /* set by srv_reply_*: for the access log */
    size_t bytes;
    const srv_policy *policy; /* srv_conf.policy */
    srv_actor actor;          /* who is asking: set by srv_auth_route() before the handler */
    /* Private to srv_http.c. */
    struct srv_loop *loop;
    char *path_buf;
    int64_t t0;
    bool deferred;
} srv_req;

/* Runs work(arg) on the worker pool, then done(r, arg) on r's loop thread,
 * which replies like a handler (or done(NULL, arg) when the client has gone:
 * free arg, reply to nothing). The handler returns right after a true
 * answer without touching r again. False when the pool's queue is full:
 * nothing was queued and the handler still owns r and must reply (503). */
bool srv_req_offload(srv_req *r, void (*work)(void *arg), void (*done)(srv_req *r, void *arg),
                     void *arg);
/* The same on the writers' pool: for work that holds SQLite's write lock a
 * long time (an upload's import). One runs at a time, at normal priority
 * (the loops' own writes wait for it), with SRV_WRITERS_QUEUE waiting. */
#define SRV_WRITERS_QUEUE 4
bool srv_req_offload_write(srv_req *r, void (*work)(void *arg), void (*done)(srv_req *r, void *arg),
                           void *arg);

/* Sends body (reference stolen) as application/json with status. */
void srv_reply_json(srv_req *r, int status, json_t *body);
/* Sends text (JSON written by srv_jw) with status; takes text's memory and
 * leaves it empty. */
void srv_reply_json_text(srv_req *r, int status, tm_buf *text);
/* Sends {"error": {"code","message","field"}} with the status of err->code
 * (one table: EINVAL 400, EAUTH 401, EFORBID 403, ENOTFOUND 404, ECONFLICT
 * 409, ESTALE 412, ETOOBIG 413, EBUSY 503, EINTERNAL 500, logged). */
void srv_reply_error(srv_req *r, const tm_err *err);
void srv_reply_errorf(srv_req *r, tm_code code, const char *field, const char *fmt, ...)
    TM_PRINTF(4, 5);
/* Sends data[0..len) with the given content type. */
void srv_reply_bytes(srv_req *r, int status, const char *type, const void *data, size_t len);
/* HTTP status for a code. */
int srv_status_of(tm_code code);

#endif
