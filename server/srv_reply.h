/* srv_reply: the parts of sending a reply that srv_http.c and srv_static.c
 * share beyond the public srv_reply_* of srv_http.h. Every reply goes out
 * through srv_reply_send(), which adds the headers every reply carries
 * (X-Content-Type-Options: nosniff; Connection: close while shutting down),
 * answers HEAD with headers only and records status and bytes for the
 * access log. Called on the request's loop thread. */
#ifndef SRV_REPLY_H
#define SRV_REPLY_H

#include "srv_http.h"

/* Sends the request's output buffer (evhttp_request_get_output_buffer) as
 * the body with status and Content-Type type (NULL: none). For HEAD, and
 * for 1xx, 204 and 304, the body is dropped; HEAD keeps its Content-Length.
 * A second reply to one request is logged and dropped. */
void srv_reply_send(srv_req *r, int status, const char *type);

/* Sends {"error": {"code": code, "message": msg, "field": field}} (field
 * left out when NULL or empty) with status; for statuses no tm_code names
 * (405). msg need not be valid UTF-8: it is cut at the first invalid byte. */
void srv_reply_problem(srv_req *r, int status, const char *code, const char *field,
                       const char *msg);

/* 429 rate_limited with Retry-After: wait_s and msg. */
void srv_reply_limited(srv_req *r, int64_t wait_s, const char *msg);

/* "GET", "POST", ... for an enum evhttp_cmd_type; "-" when unknown. */
const char *srv_method_name(int cmd);

#endif
