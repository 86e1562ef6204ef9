#include "srv_conn.h"

#include <errno.h>
#include <event2/buffer.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "../common/tm_alloc.h"
#include "../common/tm_log.h"

typedef enum {
    CONN_FRESH,    /* accepted, no byte yet; the deadline runs from accept */
    CONN_READING,  /* a request has begun; the deadline runs */
    CONN_HANDLING, /* evhttp has the whole request; its reply is being sent */
    CONN_IDLE      /* between requests: only evhttp's idle timeout applies */
} conn_state;

struct srv_conn {
    srv_loop *lp;
    struct bufferevent *bev;         /* referenced until the srv_conn is freed */
    struct evhttp_connection *evcon; /* NULL until attached */
    struct event *timer;             /* first the attach step, then the deadline */
    struct evbuffer_cb_entry *watch; /* on bev's input: a request's first byte */
    int64_t first_byte_us;           /* of the request being read; 0 if none */
    conn_state state;
    bool over_cap;
};

static atomic_bool conn_draining;

/* The canned answer to a connection over the cap. */
#define BUSY_BODY "{\"error\":{\"code\":\"busy\",\"message\":\"too many open connections\"}}"
static const char busy_reply[] = "HTTP/1.1 503 Service Unavailable\r\n"
                                 "Content-Type: application/json; charset=utf-8\r\n"
                                 "X-Content-Type-Options: nosniff\r\n"
                                 "Retry-After: 1\r\n"
                                 "Connection: close\r\n"
                                 "Content-Length: %zu\r\n"
                                 "\r\n" BUSY_BODY;

int64_t srv_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

bool srv_conn_draining(void)
{
    return atomic_load_explicit(&conn_draining, memory_order_relaxed);
}

void srv_conn_set_draining(bool on)
{
    atomic_store(&conn_draining, on);
}

/* ---- the table of attached connections (open addressing, linear probing) */

static size_t slot_of(const srv_loop *lp, const void *key)
{
    uint64_t h = (uint64_t)(uintptr_t)key * 0x9E3779B97F4A7C15u;
    return (size_t)(h >> 32) & (lp->conns_cap - 1);
}

void srv_conn_table_init(srv_loop *lp, int max_conns)
{
    size_t want = max_conns > 0 ? (size_t)max_conns * 2 : 2;
    size_t cap = 64;
    while (cap < want)
        cap *= 2;
    lp->conns = tm_xcalloc(cap, sizeof *lp->conns);
    lp->conns_cap = cap;
    lp->nconns = 0;
}

void srv_conn_table_free(srv_loop *lp)
{
    free(lp->conns);
    lp->conns = NULL;
    lp->conns_cap = lp->nconns = 0;
}

/* False when the table is full (it is sized so that it never is). */
static bool table_add(srv_loop *lp, srv_conn *c)
{
    if (lp->nconns + 1 > lp->conns_cap / 2) return false;
    size_t i = slot_of(lp, c->evcon);
    while (lp->conns[i])
        i = (i + 1) & (lp->conns_cap - 1);
    lp->conns[i] = c;
    lp->nconns++;
    return true;
}

static void table_del(srv_loop *lp, const srv_conn *c)
{
    size_t mask = lp->conns_cap - 1, i = slot_of(lp, c->evcon);
    while (lp->conns[i] && lp->conns[i] != c)
        i = (i + 1) & mask;
    if (!lp->conns[i]) return;
    lp->conns[i] = NULL;
    lp->nconns--;
    /* Backward-shift: move up every entry whose probe run crossed the hole. */
    for (size_t j = (i + 1) & mask; lp->conns[j]; j = (j + 1) & mask) {
        size_t home = slot_of(lp, lp->conns[j]->evcon);
        if (((j - home) & mask) >= ((j - i) & mask)) {
            lp->conns[i] = lp->conns[j];
            lp->conns[j] = NULL;
            i = j;
        }
    }
}

srv_conn *srv_conn_find(const srv_loop *lp, const struct evhttp_connection *evcon)
{
    if (!evcon || !lp->conns) return NULL;
    size_t i = slot_of(lp, evcon);
    while (lp->conns[i]) {
        if (lp->conns[i]->evcon == evcon) return lp->conns[i];
        i = (i + 1) & (lp->conns_cap - 1);
    }
    return NULL;
}

/* ---- lifetime */

static void conn_free(srv_conn *c)
{
    if (c->evcon) table_del(c->lp, c);
    if (c->watch) (void)evbuffer_remove_cb_entry(bufferevent_get_input(c->bev), c->watch);
    event_free(c->timer); /* safe from inside its own callback */
    bufferevent_decref(c->bev);
    atomic_fetch_sub(&c->lp->shared->nconns, 1);
    free(c);
}

static void conn_closed(struct evhttp_connection *evcon, void *arg)
{
    (void)evcon;
    conn_free(arg);
}

static void conn_arm(srv_conn *c)
{
    int ms = c->lp->shared->deadline_ms;
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    event_add(c->timer, &tv);
}

/* At most one "over the cap" line every ten seconds: a flood must not
 * become a flood of log lines. */
static void log_over_cap(int max)
{
    static atomic_llong last;
    int64_t now = srv_now_us();
    long long prev = atomic_load(&last);
    if (now - prev >= 10 * 1000000 && atomic_compare_exchange_strong(&last, &prev, now))
        tm_log_info("connection cap (%d) reached: refusing new connections with 503", max);
}

/* Writes the canned 503 and frees the connection (and so c). */
static void conn_refuse(srv_conn *c)
{
    char msg[sizeof busy_reply + 32];
    int n = snprintf(msg, sizeof msg, busy_reply, sizeof BUSY_BODY - 1);
    evutil_socket_t fd = bufferevent_getfd(c->bev);
    /* Best effort: the reply fits any socket buffer, and if it does not go
     * out the client still sees the close. */
    if (fd >= 0 && n > 0 && (size_t)n < sizeof msg)
        (void)!send(fd, msg, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
    log_over_cap(c->lp->shared->max_conns);
    evhttp_connection_free(c->evcon);
}

static void conn_attach(srv_conn *c)
{
    bufferevent_data_cb rd, wr;
    bufferevent_event_cb ev = NULL;
    void *arg = NULL;
    bufferevent_getcb(c->bev, &rd, &wr, &ev, &arg);
    /* evhttp_get_request() sets our bufferevent's callbacks with the new
     * evhttp_connection as argument; bufferevent_free() clears them, which
     * is what we see if evhttp gave the connection up (allocation failure)
     * before this first turn of the loop. */
    if (!ev || !arg || evhttp_connection_get_bufferevent(arg) != c->bev) {
        conn_free(c);
        return;
    }
    c->evcon = arg;
    evhttp_connection_set_closecb(c->evcon, conn_closed, c);
    /* A reply larger than one segment would otherwise wait for the client's
     * delayed ACK (Nagle): ~40 ms on a keep-alive connection. */
    int one = 1;
    evutil_socket_t fd = bufferevent_getfd(c->bev);
    if (fd >= 0) (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); /* best effort */
    /* table_del() in conn_free() tolerates a connection not in the table. */
    if (!c->over_cap && !table_add(c->lp, c)) {
        tm_log_error("connection table full");
        c->over_cap = true;
    }
    if (c->over_cap) {
        conn_refuse(c);
        return;
    }
    c->state = CONN_FRESH;
    conn_arm(c);
}

static void conn_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    srv_conn *c = arg;
    if (!c->evcon) {
        conn_attach(c);
        return;
    }
    /* The deadline passed before the request was complete. */
    if (c->state == CONN_FRESH || c->state == CONN_READING)
        evhttp_connection_free(c->evcon); /* calls conn_closed: c is gone */
}

static void conn_input(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
    (void)buf;
    srv_conn *c = arg;
    if (info->n_added == 0) return;
    if (c->state == CONN_FRESH) {
        c->state = CONN_READING; /* the deadline already runs from accept */
        c->first_byte_us = srv_now_us();
    } else if (c->state == CONN_IDLE) {
        c->state = CONN_READING;
        c->first_byte_us = srv_now_us();
        conn_arm(c);
    }
}

struct bufferevent *srv_conn_accept(struct event_base *base, void *arg)
{
    srv_loop *lp = arg;
    srv_conn *c = tm_xcalloc(1, sizeof *c);
    c->lp = lp;
    /* No BEV_OPT_CLOSE_ON_FREE, as evhttp's own: it closes the socket. */
    c->bev = bufferevent_socket_new(base, -1, 0);
    c->timer = event_new(base, -1, 0, conn_timer, c);
    if (c->bev) c->watch = evbuffer_add_cb(bufferevent_get_input(c->bev), conn_input, c);
    if (!c->bev || !c->timer || !c->watch) {
        tm_log_error("out of memory accepting a connection");
        if (c->bev) bufferevent_free(c->bev);
        if (c->timer) event_free(c->timer);
        free(c);
        return NULL;
    }
    bufferevent_incref(c->bev);
    int n = atomic_fetch_add(&lp->shared->nconns, 1) + 1;
    c->over_cap = n > lp->shared->max_conns;
    event_active(c->timer, EV_TIMEOUT, 1);
    return c->bev;
}

static void conn_request_done(struct evhttp_request *req, void *arg)
{
    (void)req;
    srv_conn *c = arg;
    c->state = CONN_IDLE;
    c->first_byte_us = 0;
    /* A pipelined request may already be waiting. */
    if (evbuffer_get_length(bufferevent_get_input(c->bev)) > 0) {
        c->state = CONN_READING;
        c->first_byte_us = srv_now_us();
        conn_arm(c);
    }
}

int64_t srv_conn_request_begin(srv_conn *c, struct evhttp_request *req)
{
    c->state = CONN_HANDLING;
    event_del(c->timer);
    /* Called from evhttp_send_done() once the reply is written, before
     * evhttp frees req or the connection; never after conn_closed(). */
    evhttp_request_set_on_complete_cb(req, conn_request_done, c);
    return c->first_byte_us ? c->first_byte_us : srv_now_us();
}

void srv_conn_close_idle(srv_loop *lp)
{
    if (!lp->nconns) return;
    struct evhttp_connection **victims = tm_xcalloc(lp->nconns, sizeof *victims);
    size_t n = 0;
    for (size_t i = 0; i < lp->conns_cap && n < lp->nconns; i++) {
        const srv_conn *c = lp->conns[i];
        if (c && (c->state == CONN_FRESH || c->state == CONN_IDLE)) victims[n++] = c->evcon;
    }
    /* Freeing changes the table, hence the list first. */
    for (size_t i = 0; i < n; i++)
        evhttp_connection_free(victims[i]);
    free(victims);
}
