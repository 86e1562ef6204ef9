#include "srv_reply.h"

#include <event2/buffer.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/tm_buf.h"
#include "../common/tm_log.h"
#include "../common/tm_utf8.h"
#include "srv_conn.h"

#define JSON_TYPE "application/json; charset=utf-8"

int srv_status_of(tm_code code)
{
    switch (code) {
    case TM_OK:
        return 200;
    case TM_EINVAL:
        return 400;
    case TM_EAUTH:
        return 401;
    case TM_EFORBID:
        return 403;
    case TM_ENOTFOUND:
        return 404;
    case TM_ECONFLICT:
        return 409;
    case TM_ESTALE:
        return 412;
    case TM_ETOOBIG:
        return 413;
    case TM_EBUSY:
        return 503;
    case TM_EINTERNAL:
        return 500;
    }
    return 500;
}

const char *srv_method_name(int cmd)
{
    switch (cmd) {
    case EVHTTP_REQ_GET:
        return "GET";
    case EVHTTP_REQ_POST:
        return "POST";
    case EVHTTP_REQ_HEAD:
        return "HEAD";
    case EVHTTP_REQ_PUT:
        return "PUT";
    case EVHTTP_REQ_DELETE:
        return "DELETE";
    case EVHTTP_REQ_OPTIONS:
        return "OPTIONS";
    case EVHTTP_REQ_TRACE:
        return "TRACE";
    case EVHTTP_REQ_CONNECT:
        return "CONNECT";
    case EVHTTP_REQ_PATCH:
        return "PATCH";
    default:
        return "-";
    }
}

static void header_set(struct evkeyvalq *h, const char *key, const char *value)
{
    while (evhttp_remove_header(h, key) == 0)
        ;
    if (evhttp_add_header(h, key, value) != 0) tm_log_error("cannot set reply header %s", key);
}

void srv_reply_send(srv_req *r, int status, const char *type)
{
    if (r->status) {
        tm_log_error("%s %s: a second reply (%d after %d) was dropped",
                     srv_method_name(evhttp_request_get_command(r->ev)), r->path ? r->path : "?",
                     status, r->status);
        return;
    }
    struct evkeyvalq *h = evhttp_request_get_output_headers(r->ev);
    struct evbuffer *body = evhttp_request_get_output_buffer(r->ev);
    size_t len = evbuffer_get_length(body);
    bool bodyless = status < 200 || status == 204 || status == 304;
    bool head = evhttp_request_get_command(r->ev) == EVHTTP_REQ_HEAD;

    if (type && !bodyless) header_set(h, "Content-Type", type);
    header_set(h, "X-Content-Type-Options", "nosniff");
    if (srv_conn_draining()) header_set(h, "Connection", "close");
    if (head && !bodyless) {
        /* evhttp adds Content-Length only to replies that carry a body. */
        char n[24];
        (void)snprintf(n, sizeof n, "%zu", len);
        header_set(h, "Content-Length", n);
    }
    if (head || bodyless) {
        (void)evbuffer_drain(body, len);
        len = 0;
    }
    r->status = status;
    r->bytes = len;
    evhttp_send_reply(r->ev, status, NULL, NULL);
}

/* Jansson calls back once per token; gathering them in a tm_buf and handing
 * evbuffer one block costs far less than an evbuffer_add per token. */
static int dump_to_buf(const char *buf, size_t size, void *data)
{
    tm_buf_append(data, buf, size);
    return 0;
}

static void free_buf(const void *data, size_t len, void *arg)
{
    (void)len;
    (void)arg;
    free((void *)data);
}

void srv_reply_json(srv_req *r, int status, json_t *body)
{
    struct evbuffer *out = evhttp_request_get_output_buffer(r->ev);
    tm_buf text = {0};
    (void)evbuffer_drain(out, evbuffer_get_length(out));
    if (body && json_dump_callback(body, dump_to_buf, &text, JSON_COMPACT) == 0 && text.len &&
        evbuffer_add_reference(out, text.p, text.len, free_buf, NULL) == 0) {
        text.p = NULL; /* evbuffer owns it now */
    } else {
        tm_log_error("%s %s: the reply could not be encoded as JSON",
                     srv_method_name(evhttp_request_get_command(r->ev)), r->path ? r->path : "?");
        (void)evbuffer_drain(out, evbuffer_get_length(out));
        static const char fallback[] = "{\"error\":{\"code\":\"internal\",\"message\":\"internal "
                                       "error\"}}";
        (void)evbuffer_add(out, fallback, sizeof fallback - 1);
        status = 500;
    }
    tm_buf_free(&text);
    json_decref(body);
    struct evkeyvalq *h = evhttp_request_get_output_headers(r->ev);
    if (!evhttp_find_header(h, "Cache-Control")) header_set(h, "Cache-Control", "no-store");
    srv_reply_send(r, status, JSON_TYPE);
}

void srv_reply_json_text(srv_req *r, int status, tm_buf *text)
{
    struct evbuffer *out = evhttp_request_get_output_buffer(r->ev);
    (void)evbuffer_drain(out, evbuffer_get_length(out));
    if (text->len && evbuffer_add_reference(out, text->p, text->len, free_buf, NULL) == 0) {
        text->p = NULL; /* evbuffer owns it now */
        text->len = text->cap = 0;
    } else if (text->len) {
        tm_buf_free(text);
        srv_reply_errorf(r, TM_EINTERNAL, NULL, "out of memory for a reply");
        return;
    }
    struct evkeyvalq *h = evhttp_request_get_output_headers(r->ev);
    if (!evhttp_find_header(h, "Cache-Control")) header_set(h, "Cache-Control", "no-store");
    srv_reply_send(r, status, JSON_TYPE);
}

/* A JSON string of s cut at its first invalid UTF-8 byte (a message cut by
 * snprintf may end inside a character), never NULL unless memory runs out. */
static json_t *json_text(const char *s)
{
    size_t n = strlen(s);
    while (n > 0 && !tm_utf8_valid(s, n))
        n--;
    return json_stringn(s, n);
}

void srv_reply_problem(srv_req *r, int status, const char *code, const char *field, const char *msg)
{
    json_t *e = json_object();
    json_object_set_new(e, "code", json_string(code));
    json_object_set_new(e, "message", json_text(msg));
    if (field && *field) json_object_set_new(e, "field", json_text(field));
    json_t *body = json_object();
    json_object_set_new(body, "error", e);
    srv_reply_json(r, status, body);
}

void srv_reply_error(srv_req *r, const tm_err *err)
{
    tm_code code = err->code == TM_OK ? TM_EINTERNAL : err->code;
    int status = srv_status_of(code);
    if (status >= 500 && code != TM_EBUSY) {
        /* The detail is for the operator; the client learns nothing of it. */
        tm_log_error("%s %s: %s%s%s", srv_method_name(evhttp_request_get_command(r->ev)),
                     r->path ? r->path : "?", err->field, err->field[0] ? ": " : "",
                     err->code == TM_OK ? "error reply without an error" : err->msg);
        srv_reply_problem(r, status, tm_code_name(code), NULL, "internal error");
        return;
    }
    if (code == TM_EBUSY) header_set(evhttp_request_get_output_headers(r->ev), "Retry-After", "1");
    srv_reply_problem(r, status, tm_code_name(code), err->field, err->msg);
}

void srv_reply_limited(srv_req *r, int64_t wait_s, const char *msg)
{
    char s[24];
    (void)snprintf(s, sizeof s, "%lld", (long long)(wait_s > 0 ? wait_s : 1));
    header_set(evhttp_request_get_output_headers(r->ev), "Retry-After", s);
    srv_reply_problem(r, 429, "rate_limited", NULL, msg);
}

void srv_reply_errorf(srv_req *r, tm_code code, const char *field, const char *fmt, ...)
{
    tm_err e;
    e.code = code;
    (void)snprintf(e.field, sizeof e.field, "%s", field ? field : "");
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(e.msg, sizeof e.msg, fmt, ap);
    va_end(ap);
    srv_reply_error(r, &e);
}

void srv_reply_bytes(srv_req *r, int status, const char *type, const void *data, size_t len)
{
    struct evbuffer *out = evhttp_request_get_output_buffer(r->ev);
    (void)evbuffer_drain(out, evbuffer_get_length(out));
    if (len && evbuffer_add(out, data, len) != 0) {
        srv_reply_errorf(r, TM_EINTERNAL, NULL, "out of memory for a %zu-byte reply", len);
        return;
    }
    srv_reply_send(r, status, type);
}
