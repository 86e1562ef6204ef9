/* srv_conn: what techmart adds to evhttp 2.1 per connection: a cap on open
 * connections across all loops, a whole-request deadline (2.1 has only
 * inactivity timeouts, so a client sending a byte a second is never cut
 * off) and the state a graceful shutdown needs. Also srv_loop, one event
 * loop, shared by srv_http.c (which runs it) and this file.
 *
 * Lifetime of a connection, all on its loop's thread:
 *  - accept: evhttp calls the bufferevent callback (srv_conn_accept, the
 *    only hook 2.1 runs at accept). It makes the bufferevent (keeping a
 *    reference, so the srv_conn can always look at it), counts the
 *    connection and activates the srv_conn's timer at once.
 *  - attach: that first timer run, before any byte is read, finds the
 *    evhttp_connection (the bufferevent's callback argument, as evhttp 2.1
 *    sets it) and sets its close callback. Over the cap, it writes a canned
 *    503 and frees the connection. Otherwise the deadline starts.
 *  - the deadline runs from accept, and then from the first byte of each
 *    later request (a callback on the input buffer), to the moment evhttp
 *    hands over the complete request (srv_conn_request_begin). If it fires
 *    first, the connection is freed.
 *  - close: evhttp calls the close callback from evhttp_connection_free(),
 *    the one way every server-side connection ends (even from evhttp_free),
 *    and it frees the srv_conn there. Nothing else frees it after attach,
 *    so no pointer to it outlives the connection. */
#ifndef SRV_CONN_H
#define SRV_CONN_H

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "srv_http.h"

typedef struct srv_conn srv_conn;

/* What all loops share. */
typedef struct srv_shared {
    atomic_int nconns; /* open connections, all loops, refused ones included until closed */
    int max_conns;
    int deadline_ms;
    size_t max_header; /* bytes of header fields */
    srv_policy policy;
    struct srv_pool *pool;    /* password hashing off the loops (niced) */
    struct srv_pool *writers; /* uploads: long write transactions, one at a time */
} srv_shared;

/* One event loop: its own event_base, evhttp and SQLite connection. */
typedef struct srv_loop {
    srv_shared *shared;
    struct event_base *base;
    struct evhttp *http;
    struct evhttp_bound_socket *bound; /* NULL once it stops accepting */
    idx_db *db;
    idx_engine *engine;
    const char *web_root;
    struct event *wake;  /* wake_fd[0] readable: start draining */
    struct event *tick;  /* drain progress */
    struct event *retry; /* re-enables accepting after EMFILE */
    int wake_fd[2];
    struct event *done; /* done_fd[0] readable: offloaded jobs finished */
    int done_fd[2];     /* the pool writes finished jobs' pointers to [1] */
    int pending;        /* offloaded requests not yet done; the loop waits for them */
    int64_t drain_until_us;
    srv_conn **conns; /* attached connections: open addressing by evhttp_connection */
    size_t conns_cap; /* power of two, at least twice max_conns */
    size_t nconns;
    pthread_t thread;
    bool started;
} srv_loop;

/* Monotonic clock in microseconds. */
int64_t srv_now_us(void);

/* Shutting down: every reply says "Connection: close". Any thread. */
bool srv_conn_draining(void);
void srv_conn_set_draining(bool on);

/* Sizes lp's connection table for max_conns. */
void srv_conn_table_init(srv_loop *lp, int max_conns);
/* Frees the table; its connections must be gone (evhttp_free closes them). */
void srv_conn_table_free(srv_loop *lp);

/* evhttp_set_bevcb callback; arg is the srv_loop. NULL (evhttp then makes
 * its own bufferevent, untracked) only when memory runs out. */
struct bufferevent *srv_conn_accept(struct event_base *base, void *arg);

/* The srv_conn of evcon, or NULL. */
srv_conn *srv_conn_find(const srv_loop *lp, const struct evhttp_connection *evcon);

/* evhttp handed over req, read in full: stops the deadline until the reply
 * is written. Returns the monotonic time (us) of the request's first byte. */
int64_t srv_conn_request_begin(srv_conn *c, struct evhttp_request *req);

/* Frees every connection of lp that is between requests or has sent
 * nothing yet (for draining). */
void srv_conn_close_idle(srv_loop *lp);

#endif
