/* The reply functions, through a real evhttp on a loopback port: a loop
 * thread serves, the test thread speaks raw HTTP to it. */
#include <arpa/inet.h>
#include <event2/event.h>
#include <event2/http.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../index/idx_db.h"
#include "../../server/srv_http.h"
#include "../../server/srv_reply.h"
#include "../tm_test.h"

static struct event_base *base;
static int port;
static pthread_t thread;

static void quit_after(struct evhttp_request *req, void *arg)
{
    (void)req;
    (void)arg;
    event_base_loopexit(base, NULL);
}

static void handle(struct evhttp_request *req, void *arg)
{
    (void)arg;
    srv_req r = {.ev = req, .path = evhttp_request_get_uri(req)};
    TAILQ_INIT(&r.query);
    const char *p = r.path;
    if (strcmp(p, "/json") == 0) {
        json_t *o = json_object();
        json_object_set_new(o, "name", json_string("기술"));
        json_object_set_new(o, "n", json_integer(3));
        srv_reply_json(&r, 201, o);
    } else if (strcmp(p, "/invalid") == 0) {
        srv_reply_errorf(&r, TM_EINVAL, "trl", "trl must be %d-%d", 1, 9);
    } else if (strcmp(p, "/notfound") == 0) {
        srv_reply_errorf(&r, TM_ENOTFOUND, NULL, "no technology %d", 7);
    } else if (strcmp(p, "/busy") == 0) {
        srv_reply_errorf(&r, TM_EBUSY, NULL, "database is locked");
    } else if (strcmp(p, "/full") == 0) {
        tm_err e = {0}; /* a write that met a full disk, as index/ reports it */
        (void)idx_db_fail(NULL, SQLITE_FULL, &e);
        srv_reply_error(&r, &e);
    } else if (strcmp(p, "/internal") == 0) {
        srv_reply_errorf(&r, TM_EINTERNAL, NULL, "SQLITE_CORRUPT in /var/secret/path");
    } else if (strcmp(p, "/cututf8") == 0) {
        srv_reply_errorf(&r, TM_EINVAL, NULL, "%s", "ab\xea\xb8");
    } else if (strcmp(p, "/bytes") == 0) {
        srv_reply_bytes(&r, 200, "text/plain; charset=utf-8", "hello", 5);
    } else if (strcmp(p, "/twice") == 0) {
        srv_reply_bytes(&r, 200, "text/plain", "one", 3);
        srv_reply_bytes(&r, 500, "text/plain", "two", 3);
    } else if (strcmp(p, "/null") == 0) {
        srv_reply_json(&r, 200, NULL);
    } else if (strcmp(p, "/quit") == 0) {
        /* Stop once "bye" is written, not before. */
        evhttp_request_set_on_complete_cb(req, quit_after, NULL);
        srv_reply_bytes(&r, 200, "text/plain", "bye", 3);
    } else {
        srv_reply_errorf(&r, TM_ENOTFOUND, NULL, "no test handler");
    }
}

static void *serve(void *arg)
{
    (void)arg;
    event_base_dispatch(base);
    return NULL;
}

static struct evhttp *http;

static void start(void)
{
    if (base) return;
    base = event_base_new();
    http = evhttp_new(base);
    evhttp_set_gencb(http, handle, NULL);
    struct evhttp_bound_socket *b = evhttp_bind_socket_with_handle(http, "127.0.0.1", 0);
    if (!b) abort();
    struct sockaddr_in sa;
    socklen_t len = sizeof sa;
    getsockname(evhttp_bound_socket_get_fd(b), (struct sockaddr *)&sa, &len);
    port = ntohs(sa.sin_port);
    pthread_create(&thread, NULL, serve, NULL);
}

/* The whole response to "METHOD path" (Connection: close), malloc'd. */
static char *fetch(const char *method, const char *path)
{
    start();
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) abort();
    char req[256];
    int n = snprintf(req, sizeof req, "%s %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
                     method, path);
    if (write(fd, req, (size_t)n) != n) abort();
    size_t cap = 4096, len = 0;
    char *out = malloc(cap);
    ssize_t k;
    while ((k = read(fd, out + len, cap - len - 1)) > 0) {
        len += (size_t)k;
        if (cap - len < 2) out = realloc(out, cap *= 2);
    }
    out[len] = '\0';
    close(fd);
    return out;
}

static const char *body_of(const char *resp)
{
    const char *b = strstr(resp, "\r\n\r\n");
    return b ? b + 4 : "";
}

static int has_header(const char *resp, const char *line)
{
    const char *end = strstr(resp, "\r\n\r\n");
    const char *h = strstr(resp, line);
    return h && (!end || h < end);
}

TM_TEST(status_table_maps_every_code)
{
    CHECK(srv_status_of(TM_OK) == 200);
    CHECK(srv_status_of(TM_EINVAL) == 400);
    CHECK(srv_status_of(TM_EAUTH) == 401);
    CHECK(srv_status_of(TM_EFORBID) == 403);
    CHECK(srv_status_of(TM_ENOTFOUND) == 404);
    CHECK(srv_status_of(TM_ECONFLICT) == 409);
    CHECK(srv_status_of(TM_ESTALE) == 412);
    CHECK(srv_status_of(TM_ETOOBIG) == 413);
    CHECK(srv_status_of(TM_EBUSY) == 503);
    CHECK(srv_status_of(TM_EINTERNAL) == 500);
}

TM_TEST(json_reply_is_compact_utf8_json_with_nosniff)
{
    char *r = fetch("GET", "/json");
    CHECK(strncmp(r, "HTTP/1.1 201 ", 13) == 0);
    CHECK(has_header(r, "Content-Type: application/json; charset=utf-8\r\n"));
    CHECK(has_header(r, "X-Content-Type-Options: nosniff\r\n"));
    CHECK(has_header(r, "Cache-Control: no-store\r\n"));
    CHECK_STR(body_of(r), "{\"name\":\"기술\",\"n\":3}");
    free(r);
}

TM_TEST(error_reply_carries_code_message_and_field)
{
    char *r = fetch("GET", "/invalid");
    CHECK(strncmp(r, "HTTP/1.1 400 ", 13) == 0);
    CHECK_STR(
        body_of(r),
        "{\"error\":{\"code\":\"invalid\",\"message\":\"trl must be 1-9\",\"field\":\"trl\"}}");
    free(r);
}

TM_TEST(error_reply_leaves_out_an_empty_field)
{
    char *r = fetch("GET", "/notfound");
    CHECK(strncmp(r, "HTTP/1.1 404 ", 13) == 0);
    CHECK_STR(body_of(r), "{\"error\":{\"code\":\"not_found\",\"message\":\"no technology 7\"}}");
    free(r);
}

TM_TEST(busy_reply_is_503_with_retry_after)
{
    char *r = fetch("GET", "/busy");
    CHECK(strncmp(r, "HTTP/1.1 503 ", 13) == 0);
    CHECK(has_header(r, "Retry-After: 1\r\n"));
    CHECK(strstr(body_of(r), "\"code\":\"busy\"") != NULL);
    free(r);
}

TM_TEST(full_database_reply_is_503_with_retry_after_and_json_not_500)
{
    char *r = fetch("POST", "/full");
    CHECK(strncmp(r, "HTTP/1.1 503 ", 13) == 0);
    CHECK(has_header(r, "Retry-After: 1\r\n"));
    CHECK(has_header(r, "Content-Type: application/json; charset=utf-8\r\n"));
    CHECK_STR(body_of(r), "{\"error\":{\"code\":\"busy\",\"message\":\"the database is full\"}}");
    free(r);
}

TM_TEST(internal_error_hides_its_detail_from_the_client)
{
    char *r = fetch("GET", "/internal");
    CHECK(strncmp(r, "HTTP/1.1 500 ", 13) == 0);
    CHECK_STR(body_of(r), "{\"error\":{\"code\":\"internal\",\"message\":\"internal error\"}}");
    CHECK(strstr(r, "secret") == NULL);
    free(r);
}

TM_TEST(message_cut_inside_a_character_is_still_sent)
{
    char *r = fetch("GET", "/cututf8");
    CHECK(strncmp(r, "HTTP/1.1 400 ", 13) == 0);
    CHECK_STR(body_of(r), "{\"error\":{\"code\":\"invalid\",\"message\":\"ab\"}}");
    free(r);
}

TM_TEST(bytes_reply_has_the_given_type)
{
    char *r = fetch("GET", "/bytes");
    CHECK(strncmp(r, "HTTP/1.1 200 ", 13) == 0);
    CHECK(has_header(r, "Content-Type: text/plain; charset=utf-8\r\n"));
    CHECK(has_header(r, "Content-Length: 5\r\n"));
    CHECK_STR(body_of(r), "hello");
    free(r);
}

TM_TEST(head_reply_has_headers_and_length_but_no_body)
{
    char *r = fetch("HEAD", "/bytes");
    CHECK(strncmp(r, "HTTP/1.1 200 ", 13) == 0);
    CHECK(has_header(r, "Content-Length: 5\r\n"));
    CHECK(has_header(r, "X-Content-Type-Options: nosniff\r\n"));
    CHECK_STR(body_of(r), "");
    free(r);
}

TM_TEST(second_reply_to_one_request_is_dropped)
{
    char *r = fetch("GET", "/twice");
    CHECK(strncmp(r, "HTTP/1.1 200 ", 13) == 0);
    CHECK_STR(body_of(r), "one");
    free(r);
}

TM_TEST(json_reply_without_a_body_is_a_500)
{
    char *r = fetch("GET", "/null");
    CHECK(strncmp(r, "HTTP/1.1 500 ", 13) == 0);
    CHECK(strstr(body_of(r), "\"code\":\"internal\"") != NULL);
    free(r);
}

TM_TEST(stop_test_server)
{
    char *r = fetch("GET", "/quit");
    CHECK_STR(body_of(r), "bye");
    free(r);
    pthread_join(thread, NULL);
    evhttp_free(http);
    event_base_free(base);
}

TM_TEST_MAIN()
