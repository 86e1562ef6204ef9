#include "srv_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/listener.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../common/tm_alloc.h"
#include "../common/tm_buf.h"
#include "../common/tm_log.h"
#include "../index/idx_mem.h"
#include "api.h"
#include "srv_conn.h"
#include "srv_pool.h"
#include "srv_reply.h"
#include "srv_route.h"
#include "srv_uri.h"

/* In-flight requests get this long to finish after SIGINT/SIGTERM. */
#define SRV_DRAIN_US (5 * 1000000)
/* Longest request target (path and query). evhttp's own limit covers the
 * request line and the header fields together; it is set to max_header plus
 * this, and dispatch checks each part, so that a long search URL or a big
 * header block gets a JSON 414 or 431 rather than evhttp's HTML 400. Only a
 * request past both limits together meets evhttp's. */
#define SRV_TARGET_MAX 16384
/* evhttp's own body cap is the largest route's plus this, so that a body a
 * little over a route's limit gets a JSON 413 from dispatch; only one past
 * both meets evhttp's HTML 413. */
#define SRV_BODY_SLACK 65536
/* How often a draining loop looks at its connections. */
#define SRV_TICK_MS 50

void srv_conf_init(srv_conf *c)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    *c = (srv_conf){
        .db_path = "techmart.db",
        .bind = "127.0.0.1",
        .port = 8080,
        .threads = cores > 0 && cores <= 256 ? (int)cores : 1,
        .web_root = "web",
        .max_conns = 1024,
        .max_header = 8192,
        .deadline_ms = 10000,
        .idle_s = 30,
        .policy = {.secure_cookies = false,
                   .session_idle_s = 2 * 3600,
                   .session_max_s = 7 * 24 * 3600,
                   .registrations_per_hour = 10},
        .pool_threads = srv_pool_default_threads(cores),
    };
}

/* ---- signals: a self-pipe, so any thread may take the signal */

static int sig_pipe[2] = {-1, -1};

static void on_signal(int signo)
{
    int saved = errno;
    unsigned char b = (unsigned char)signo;
    (void)!write(sig_pipe[1], &b, 1);
    errno = saved;
}

/* Wakes srv_run with byte b: a signal number, or 0 for a loop that died. */
static void wake_main(unsigned char b)
{
    if (sig_pipe[1] >= 0) (void)!write(sig_pipe[1], &b, 1);
}

typedef struct sig_saved {
    struct sigaction intr, term;
    bool set;
} sig_saved;

static int sig_install(sig_saved *old, tm_err *err)
{
    if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
        return tm_err_set(err, TM_EINTERNAL, NULL, "pipe: %s", strerror(errno));
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigfillset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    if (sigaction(SIGINT, &sa, &old->intr) != 0 || sigaction(SIGTERM, &sa, &old->term) != 0)
        return tm_err_set(err, TM_EINTERNAL, NULL, "sigaction: %s", strerror(errno));
    old->set = true;
    /* A client that goes away mid-reply must not kill the server. */
    signal(SIGPIPE, SIG_IGN);
    return TM_OK;
}

static void sig_restore(sig_saved *old)
{
    if (old->set) {
        (void)sigaction(SIGINT, &old->intr, NULL);
        (void)sigaction(SIGTERM, &old->term, NULL);
    }
    for (int i = 0; i < 2; i++) {
        if (sig_pipe[i] >= 0) close(sig_pipe[i]);
        sig_pipe[i] = -1;
    }
}

/* Blocks until a signal or a dead loop; returns the byte read. */
static unsigned char wait_for_stop(void)
{
    for (;;) {
        struct pollfd p = {.fd = sig_pipe[0], .events = POLLIN};
        if (poll(&p, 1, -1) < 0 && errno != EINTR) return 0;
        unsigned char b;
        if (read(sig_pipe[0], &b, 1) == 1) return b;
    }
}

/* ---- listening sockets */

/* A socket of the SO_REUSEPORT group, bound to sa and listening. */
static int listen_one(const struct sockaddr *sa, socklen_t len, tm_err *err)
{
    int one = 1;
    int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return tm_err_set(err, TM_EINTERNAL, NULL, "socket: %s", strerror(errno)), -1;
    /* SO_REUSEPORT must be set before bind() on every socket of the group. */
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0 || bind(fd, sa, len) != 0 ||
        listen(fd, SOMAXCONN) != 0) {
        tm_err_set(err, TM_EINTERNAL, "bind", "cannot listen: %s", strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

/* Fails when something already listens on sa: SO_REUSEPORT would let a
 * second server (of the same user) share the port silently. */
static int check_port_free(const struct sockaddr *sa, socklen_t len, tm_err *err)
{
    int one = 1, rc = TM_OK;
    int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return tm_err_set(err, TM_EINTERNAL, NULL, "socket: %s", strerror(errno));
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 || bind(fd, sa, len) != 0)
        rc = tm_err_set(err, TM_EINTERNAL, "port", "cannot listen: %s", strerror(errno));
    close(fd);
    return rc;
}

/* Binds n sockets to conf's address and port; with port 0 the first one
 * picks a free port and the others take it. Fills the printable url. */
static int listen_all(const srv_conf *conf, int n, int *fds, char *url, size_t urlcap, tm_err *err)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *ai = NULL;
    char portstr[16];
    (void)snprintf(portstr, sizeof portstr, "%d", conf->port);
    int g = getaddrinfo(conf->bind, portstr, &hints, &ai);
    if (g != 0)
        return tm_err_set(err, TM_EINVAL, "bind", "cannot resolve %s: %s", conf->bind,
                          gai_strerror(g));
    struct sockaddr_storage ss;
    socklen_t len = (socklen_t)ai->ai_addrlen;
    memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
    freeaddrinfo(ai);

    int rc = conf->port ? check_port_free((struct sockaddr *)&ss, len, err) : TM_OK;
    for (int i = 0; rc == TM_OK && i < n; i++) {
        if ((fds[i] = listen_one((struct sockaddr *)&ss, len, err)) < 0) {
            rc = err ? (int)err->code : TM_EINTERNAL;
            break;
        }
        if (i == 0) {
            struct sockaddr_storage got;
            socklen_t glen = sizeof got;
            if (getsockname(fds[0], (struct sockaddr *)&got, &glen) != 0) {
                rc = tm_err_set(err, TM_EINTERNAL, NULL, "getsockname: %s", strerror(errno));
                break;
            }
            memcpy(&ss, &got, glen);
            len = glen;
        }
    }
    if (rc != TM_OK) return rc;

    char host[INET6_ADDRSTRLEN] = "?";
    int port;
    if (ss.ss_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&ss;
        (void)inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof host);
        port = ntohs(s6->sin6_port);
        (void)snprintf(url, urlcap, "http://[%s]:%d", host, port);
    } else {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)&ss;
        (void)inet_ntop(AF_INET, &s4->sin_addr, host, sizeof host);
        port = ntohs(s4->sin_port);
        (void)snprintf(url, urlcap, "http://%s:%d", host, port);
    }
    return TM_OK;
}

/* Every connection holds a descriptor: make room for max_conns of them
 * (and the databases, listeners and pipes) if the hard limit allows. */
static void raise_fd_limit(const srv_conf *conf)
{
    struct rlimit rl;
    rlim_t want = (rlim_t)conf->max_conns + 64 + 16 * (rlim_t)conf->threads;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want) return;
    rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= want ? want : rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < want)
        tm_log_info("open file limit %llu is below --max-conns %d plus room for the rest; "
                    "connections past it wait in the listen queue",
                    (unsigned long long)rl.rlim_cur, conf->max_conns);
}

/* ---- dispatch */

static bool is_api_path(const char *path)
{
    return strncmp(path, "/api", 4) == 0 && (path[4] == '\0' || path[4] == '/');
}

static void reply_not_allowed(srv_req *r, int method)
{
    static const int methods[] = {EVHTTP_REQ_GET, EVHTTP_REQ_POST, EVHTTP_REQ_PUT, EVHTTP_REQ_PATCH,
                                  EVHTTP_REQ_DELETE};
    tm_buf allow = {0};
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
        const char *param;
        bool other;
        if (!srv_route_find(methods[i], r->path, &param, &other)) continue;
        tm_buf_puts(&allow, allow.len ? ", " : "");
        tm_buf_puts(&allow, srv_method_name(methods[i]));
        if (methods[i] == EVHTTP_REQ_GET) tm_buf_puts(&allow, ", HEAD");
    }
    if (!allow.len) tm_buf_puts(&allow, "GET, HEAD"); /* a static file */
    evhttp_add_header(evhttp_request_get_output_headers(r->ev), "Allow", tm_buf_cstr(&allow));
    char msg[96];
    (void)snprintf(msg, sizeof msg, "%s is not allowed here (allowed: %s)", srv_method_name(method),
                   tm_buf_cstr(&allow));
    tm_buf_free(&allow);
    srv_reply_problem(r, 405, "method_not_allowed", NULL, msg);
}

/* Decodes the target into r (path into *path, to free) and calls the
 * route's handler, the static files, or replies with an error itself. */
/* Replies 414 or 431 when the request target or the header fields are
 * longer than allowed; returns whether it did. */
static bool reply_if_too_long(srv_req *r, size_t max_header)
{
    const char *target = evhttp_request_get_uri(r->ev);
    if (target && strlen(target) > SRV_TARGET_MAX) {
        char msg[80];
        (void)snprintf(msg, sizeof msg, "the URL is longer than %d bytes", SRV_TARGET_MAX);
        srv_reply_problem(r, 414, tm_code_name(TM_ETOOBIG), NULL, msg);
        return true;
    }
    size_t n = 0;
    const struct evkeyval *kv;
    TAILQ_FOREACH(kv, evhttp_request_get_input_headers(r->ev), next)
    {
        n += strlen(kv->key) + strlen(kv->value) + 4; /* ": " and CRLF */
    }
    if (n > max_header) {
        char msg[80];
        (void)snprintf(msg, sizeof msg, "the header fields are longer than %zu bytes", max_header);
        srv_reply_problem(r, 431, tm_code_name(TM_ETOOBIG), NULL, msg);
        return true;
    }
    return false;
}

static void route_request(srv_req *r, size_t max_header, char **path)
{
    tm_err err = {0};
    int method = evhttp_request_get_command(r->ev);
    if (reply_if_too_long(r, max_header)) return;
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(r->ev);
    if (!uri) {
        srv_reply_errorf(r, TM_EINVAL, NULL, "malformed request target");
        return;
    }
    if (srv_uri_path_decode(evhttp_uri_get_path(uri), path, &err) != TM_OK) {
        srv_reply_error(r, &err);
        return;
    }
    r->path = *path;
    const char *q = evhttp_uri_get_query(uri);
    if (q && srv_uri_query_check(q, &err) != TM_OK) {
        srv_reply_error(r, &err);
        return;
    }
    if (q && evhttp_parse_query_str(q, &r->query) != 0) {
        srv_reply_errorf(r, TM_EINVAL, NULL, "malformed query string (want name=value&...)");
        return;
    }

    const char *param = NULL;
    bool other = false;
    const srv_route *rt = srv_route_find(method, r->path, &param, &other);
    if (!rt) {
        if (other)
            reply_not_allowed(r, method);
        else if (is_api_path(r->path))
            srv_reply_errorf(r, TM_ENOTFOUND, NULL, "no such endpoint");
        else if (method == EVHTTP_REQ_GET || method == EVHTTP_REQ_HEAD)
            srv_static_serve(r);
        else
            reply_not_allowed(r, method);
        return;
    }
    size_t body = evbuffer_get_length(evhttp_request_get_input_buffer(r->ev));
    if (body > rt->max_body) {
        srv_reply_errorf(r, TM_ETOOBIG, NULL, "request body too large (at most %zu bytes here)",
                         rt->max_body);
        return;
    }
    r->param = param;
    if (!srv_auth_route(r, rt->action)) return;
    rt->fn(r);
}

static void access_log(const srv_req *r)
{
    char ts[21];
    tm_time_iso(ts);
    tm_buf target = {0};
    const char *uri = evhttp_request_get_uri(r->ev);
    srv_uri_log_target(uri ? uri : "-", SRV_URI_LOG_MAX, &target);
    tm_log_access("%s %s %s %d %zu %lld", ts, srv_method_name(evhttp_request_get_command(r->ev)),
                  tm_buf_cstr(&target), r->status, r->bytes, (long long)(srv_now_us() - r->t0));
    tm_buf_free(&target);
}

/* After the reply (which evhttp writes later, keeping the request until
 * then): a reply if the handler sent none, the access line, and r freed. */
static void req_finish(srv_req *r)
{
    if (!r->status) {
        tm_log_error("%s %s: the handler sent no reply",
                     srv_method_name(evhttp_request_get_command(r->ev)), r->path ? r->path : "?");
        srv_reply_errorf(r, TM_EINTERNAL, NULL, "no reply");
    }
    access_log(r);
    evhttp_clear_headers(&r->query);
    free(r->path_buf);
    free(r);
}

/* evhttp's callback for every complete request. A handler replies before
 * returning, or offloads the request (srv_req_offload), which then finishes
 * in offload_done. */
static void http_dispatch(struct evhttp_request *req, void *arg)
{
    srv_loop *lp = arg;
    srv_req *r = tm_xcalloc(1, sizeof *r);
    *r = (srv_req){.ev = req,
                   .db = lp->db,
                   .engine = lp->engine,
                   .web_root = lp->web_root,
                   .policy = &lp->shared->policy,
                   .loop = lp};
    TAILQ_INIT(&r->query);
    srv_conn *c = srv_conn_find(lp, evhttp_request_get_connection(req));
    r->t0 = c ? srv_conn_request_begin(c, req) : srv_now_us();

    route_request(r, lp->shared->max_header, &r->path_buf);
    if (!r->deferred) req_finish(r);
}

/* ---- offloaded requests */

typedef struct offload {
    srv_req *r;
    void (*work)(void *arg);
    void (*done)(srv_req *r, void *arg);
    void *arg;
} offload;

static void offload_work(void *p)
{
    offload *o = p;
    o->work(o->arg);
}

static bool offload_to(srv_req *r, bool writers, void (*work)(void *arg),
                       void (*done)(srv_req *r, void *arg), void *arg)
{
    srv_loop *lp = r->loop;
    srv_pool *pool = !lp ? NULL : writers ? lp->shared->writers : lp->shared->pool;
    if (!pool || r->deferred || r->status) return false;
    offload *o = tm_xmalloc(sizeof *o);
    *o = (offload){.r = r, .work = work, .done = done, .arg = arg};
    if (!srv_pool_submit(pool, offload_work, o, lp->done_fd[1])) {
        free(o);
        return false;
    }
    r->deferred = true;
    lp->pending++;
    return true;
}

bool srv_req_offload(srv_req *r, void (*work)(void *arg), void (*done)(srv_req *r, void *arg),
                     void *arg)
{
    return offload_to(r, false, work, done, arg);
}

bool srv_req_offload_write(srv_req *r, void (*work)(void *arg), void (*done)(srv_req *r, void *arg),
                           void *arg)
{
    return offload_to(r, true, work, done, arg);
}

/* On the loop thread: one offloaded job is done. */
static void offload_done(offload *o)
{
    srv_req *r = o->r;
    srv_loop *lp = r->loop;
    lp->pending--;
    if (!evhttp_request_get_connection(r->ev)) {
        /* The client went away: evhttp detached the request and freed the
         * connection, leaving the request to us. */
        o->done(NULL, o->arg);
        r->status = 499; /* for the access line: closed by the client */
        access_log(r);
        evhttp_request_free(r->ev);
        evhttp_clear_headers(&r->query);
        free(r->path_buf);
        free(r);
    } else {
        o->done(r, o->arg);
        req_finish(r);
    }
    free(o);
}

static void loop_done(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    (void)arg;
    offload *batch[64];
    ssize_t n;
    /* The pool writes whole pointers atomically, so reads are multiples. */
    while ((n = read(fd, batch, sizeof batch)) > 0)
        for (size_t i = 0; i < (size_t)n / sizeof batch[0]; i++)
            offload_done(batch[i]);
}

/* ---- the loops */

static srv_loop *all_loops;
static int all_nloops;

/* accept() failed for want of descriptors (EMFILE and the like): stop
 * accepting on this loop for a moment instead of spinning on it. */
static void loop_accept_error(struct evconnlistener *lis, void *arg)
{
    (void)arg;
    int e = EVUTIL_SOCKET_ERROR();
    for (int i = 0; i < all_nloops; i++) {
        srv_loop *lp = &all_loops[i];
        if (lp->bound && evhttp_bound_socket_get_listener(lp->bound) == lis) {
            tm_log_error("accept: %s; pausing for 100 ms", evutil_socket_error_to_string(e));
            evconnlistener_disable(lis);
            struct timeval tv = {0, 100000};
            event_add(lp->retry, &tv);
            return;
        }
    }
}

static void loop_retry(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    srv_loop *lp = arg;
    if (lp->bound) evconnlistener_enable(evhttp_bound_socket_get_listener(lp->bound));
}

static void loop_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    srv_loop *lp = arg;
    srv_conn_close_idle(lp);
    /* An offloaded request holds its evhttp_request (and the pool will
     * write to done_fd): wait for it, whatever the drain deadline. */
    if ((lp->nconns == 0 || srv_now_us() >= lp->drain_until_us) && lp->pending == 0) {
        event_base_loopexit(lp->base, NULL);
        return;
    }
    struct timeval tv = {0, SRV_TICK_MS * 1000};
    event_add(lp->tick, &tv);
}

/* srv_run asked this loop to stop: stop accepting, let requests in flight
 * finish (replies now say Connection: close), close idle connections. */
static void loop_wake(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    srv_loop *lp = arg;
    char b[16];
    while (read(fd, b, sizeof b) > 0)
        ;
    if (lp->bound) {
        evhttp_del_accept_socket(lp->http, lp->bound);
        lp->bound = NULL;
    }
    lp->drain_until_us = srv_now_us() + SRV_DRAIN_US;
    loop_tick(-1, 0, lp);
}

static void *loop_main(void *arg)
{
    srv_loop *lp = arg;
    int rc = event_base_dispatch(lp->base);
    if (!srv_conn_draining()) {
        tm_log_error("an event loop stopped unexpectedly (%d)", rc);
        wake_main(0);
    }
    return NULL;
}

/* Sets up lp to serve on the listening socket fd (taken over even on
 * failure). */
static int loop_init(srv_loop *lp, srv_shared *sh, const srv_conf *conf, int fd, tm_err *err)
{
    lp->shared = sh;
    srv_conn_table_init(lp, conf->max_conns);
    if (!(lp->base = event_base_new()) || !(lp->http = evhttp_new(lp->base))) {
        close(fd);
        return tm_err_set(err, TM_EINTERNAL, NULL, "cannot create an event loop");
    }
    evhttp_set_max_headers_size(lp->http, (ev_ssize_t)(conf->max_header + SRV_TARGET_MAX));
    evhttp_set_max_body_size(lp->http, (ev_ssize_t)(srv_route_max_body() + SRV_BODY_SLACK));
    evhttp_set_timeout(lp->http, conf->idle_s);
    /* Every method reaches dispatch, so an unsupported one gets a JSON 405
     * rather than evhttp's HTML 501. */
    evhttp_set_allowed_methods(lp->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
                                             EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
                                             EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE |
                                             EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
    /* Read an oversized body to its end before answering 413, so the
     * client sees the answer rather than a reset. The deadline bounds it. */
    (void)evhttp_set_flags(lp->http, EVHTTP_SERVER_LINGERING_CLOSE);
    evhttp_set_gencb(lp->http, http_dispatch, lp);
    evhttp_set_bevcb(lp->http, srv_conn_accept, lp);

    if (!(lp->bound = evhttp_accept_socket_with_handle(lp->http, fd))) {
        close(fd);
        return tm_err_set(err, TM_EINTERNAL, NULL, "cannot accept on the listening socket");
    }
    evconnlistener_set_error_cb(evhttp_bound_socket_get_listener(lp->bound), loop_accept_error);
    if (pipe2(lp->wake_fd, O_CLOEXEC | O_NONBLOCK) != 0)
        return tm_err_set(err, TM_EINTERNAL, NULL, "pipe: %s", strerror(errno));
    if (pipe2(lp->done_fd, O_CLOEXEC) != 0 ||
        fcntl(lp->done_fd[0], F_SETFL, fcntl(lp->done_fd[0], F_GETFL) | O_NONBLOCK) != 0)
        return tm_err_set(err, TM_EINTERNAL, NULL, "pipe: %s", strerror(errno));
    lp->done = event_new(lp->base, lp->done_fd[0], EV_READ | EV_PERSIST, loop_done, lp);
    lp->wake = event_new(lp->base, lp->wake_fd[0], EV_READ, loop_wake, lp);
    lp->tick = event_new(lp->base, -1, 0, loop_tick, lp);
    lp->retry = event_new(lp->base, -1, 0, loop_retry, lp);
    if (!lp->wake || !lp->tick || !lp->retry || !lp->done || event_add(lp->wake, NULL) != 0 ||
        event_add(lp->done, NULL) != 0)
        return tm_err_set(err, TM_EINTERNAL, NULL, "cannot create loop events");
    return TM_OK;
}

static void loop_free(srv_loop *lp)
{
    /* evhttp_free closes the listener and every connection (each one's
     * close callback frees its srv_conn) before the base goes. */
    if (lp->http) evhttp_free(lp->http);
    if (lp->wake) event_free(lp->wake);
    if (lp->tick) event_free(lp->tick);
    if (lp->retry) event_free(lp->retry);
    if (lp->done) event_free(lp->done);
    if (lp->base) event_base_free(lp->base);
    for (int i = 0; i < 2; i++) {
        if (lp->wake_fd[i] >= 0) close(lp->wake_fd[i]);
        if (lp->done_fd[i] >= 0) close(lp->done_fd[i]);
    }
    srv_conn_table_free(lp);
}

/* ---- srv_run */

int srv_run(const srv_conf *conf, tm_err *err)
{
    int n = conf->threads > 0 ? conf->threads : 1;
    int rc = TM_OK;
    sig_saved sigs = {0};
    srv_shared shared = {.max_conns = conf->max_conns,
                         .deadline_ms = conf->deadline_ms,
                         .max_header = conf->max_header,
                         .policy = conf->policy};
    atomic_init(&shared.nconns, 0);
    srv_loop *loops = tm_xcalloc((size_t)n, sizeof *loops);
    int *fds = tm_xcalloc((size_t)n, sizeof *fds);
    idx_engine *engine = NULL;
    char *web_root = NULL;
    char url[128];

    for (int i = 0; i < n; i++) {
        fds[i] = -1;
        loops[i].wake_fd[0] = loops[i].wake_fd[1] = -1;
        loops[i].done_fd[0] = loops[i].done_fd[1] = -1;
    }
    srv_conn_set_draining(false);
    /* Before any thread exists (the engine starts one), so none of them
     * runs with the default action for these signals. */
    if ((rc = sig_install(&sigs, err)) != TM_OK) goto out;
    raise_fd_limit(conf);

    /* The first connection migrates the schema; the engine reads it. */
    if ((rc = idx_db_open(conf->db_path, &loops[0].db, err)) != TM_OK) goto out;
    if ((rc = idx_engine_open(conf->db_path, &engine, err)) != TM_OK) goto out;
    for (int i = 1; i < n; i++)
        if ((rc = idx_db_open(conf->db_path, &loops[i].db, err)) != TM_OK) goto out;
    if (!(web_root = realpath(conf->web_root, NULL)))
        tm_log_error("web root %s: %s; static files will not be served", conf->web_root,
                     strerror(errno));

    if ((rc = srv_pool_start(conf->pool_threads, SRV_POOL_QUEUE, SRV_POOL_NICE, &shared.pool,
                             err)) != TM_OK ||
        (rc = srv_pool_start(1, SRV_WRITERS_QUEUE, 0, &shared.writers, err)) != TM_OK)
        goto out;
    if ((rc = listen_all(conf, n, fds, url, sizeof url, err)) != TM_OK) goto out;
    all_loops = loops;
    all_nloops = n;
    for (int i = 0; i < n; i++) {
        loops[i].engine = engine;
        loops[i].web_root = web_root;
        int fd = fds[i];
        fds[i] = -1;
        if ((rc = loop_init(&loops[i], &shared, conf, fd, err)) != TM_OK) goto out;
    }
    fprintf(stderr, "techmart: listening on %s\n", url);
    fflush(stderr);

    for (int i = 0; i < n; i++) {
        int e = pthread_create(&loops[i].thread, NULL, loop_main, &loops[i]);
        if (e != 0) {
            rc = tm_err_set(err, TM_EINTERNAL, NULL, "cannot start a thread: %s", strerror(e));
            break;
        }
        loops[i].started = true;
    }
    if (rc == TM_OK && wait_for_stop() == 0)
        rc = tm_err_set(err, TM_EINTERNAL, NULL, "an event loop stopped unexpectedly");
    srv_conn_set_draining(true);
    for (int i = 0; i < n; i++)
        if (loops[i].started && loops[i].wake_fd[1] >= 0) (void)!write(loops[i].wake_fd[1], "", 1);
    for (int i = 0; i < n; i++)
        if (loops[i].started) pthread_join(loops[i].thread, NULL);

out:
    srv_conn_set_draining(true);
    /* Every loop has stopped with no job pending (loop_tick waits for
     * them), so the workers are idle; their notify pipes are still open. */
    srv_pool_stop(shared.pool);
    srv_pool_stop(shared.writers);
    for (int i = 0; i < n; i++) {
        loop_free(&loops[i]);
        if (fds[i] >= 0) close(fds[i]);
    }
    all_loops = NULL;
    all_nloops = 0;
    idx_engine_free(engine);
    for (int i = 1; i < n; i++)
        idx_db_close(loops[i].db);
    if (loops[0].db && rc == TM_OK) {
        /* The last connection standing folds the WAL back into the database
         * file, so a stopped server leaves one file behind. */
        int cr =
            sqlite3_wal_checkpoint_v2(loops[0].db->h, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
        if (cr != SQLITE_OK) tm_log_error("WAL checkpoint: %s", sqlite3_errmsg(loops[0].db->h));
    }
    idx_db_close(loops[0].db);
    free(web_root);
    free(fds);
    free(loops);
    sig_restore(&sigs);
    srv_conn_set_draining(false);
    return rc;
}
