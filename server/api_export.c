/* GET /api/v1/technologies/export?format=csv|jsonl&...: the technologies a
 * search's filters match (q, field, institution, group, status, trl_min,
 * trl_max, licence; parsed as the search route parses them), in id order,
 * as a file in the import format (import/exp.h), streamed.
 *
 * Who: staff and admins export anything; a TTO its own institution's
 * technologies (without ?institution, those; naming another is 403);
 * companies 403, anonymous 401 (srv_auth_allow, SRV_ACT_TECH_EXPORT).
 * Status: without ?status, every status but withdrawn (as search);
 * status=withdrawn those only; status=all every one.
 *
 * Streaming: the first page (HTTP_PAGE technologies) is read before
 * anything is sent, so a bad query or a busy database is a proper 4xx/5xx;
 * then the reply starts (chunked) and each later page is read, in its own
 * short read transaction, only once the previous chunk has been written to
 * the socket (evhttp_send_reply_chunk_with_cb): memory holds one page
 * whatever the catalogue's size, and a slow client slows the export, not
 * the loop. A timer (every WATCHDOG_MS) notices a client that went away
 * (evhttp then detaches the request and leaves it to us) and a shutdown
 * past its drain deadline; the stream counts as one of the loop's pending
 * requests so the loop does not stop under it. A failure after the reply
 * has started cannot change the status any more: the connection is closed
 * without the final chunk, so the client sees a truncated transfer, never
 * a short file that looks whole. While the reply streams, reading from the
 * client is off (evhttp's read timeout would otherwise cut an export longer
 * than the idle timeout); a vanished client shows as a write error. */
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/tm_alloc.h"
#include "../common/tm_buf.h"
#include "../common/tm_log.h"
#include "../import/exp.h"
#include "../index/idx_export.h"
#include "../index/idx_tech.h"
#include "api.h"
#include "api_json.h"
#include "srv_auth.h"
#include "srv_conn.h"
#include "srv_reply.h"

#define WATCHDOG_MS 250
/* Technologies per page: each page is read on the event loop (a few
 * milliseconds for 100), so other requests on the loop wait at most that. */
#define HTTP_PAGE 100

typedef struct export_stream {
    struct evhttp_request *ev;
    srv_loop *loop;
    idx_db *db; /* the loop's connection */
    idx_export *x;
    exp_writer w;
    tm_buf out;
    struct evbuffer *chunk;
    struct event *tick;
    bool writing; /* a chunk is on its way: wait until it is written */
    bool at_end;  /* every page read, the file's tail in out */
    int64_t ids[HTTP_PAGE];
} export_stream;

static void stream_free(export_stream *s)
{
    if (!s) return;
    if (s->tick) event_free(s->tick);
    if (s->chunk) evbuffer_free(s->chunk);
    idx_export_free(s->x);
    tm_buf_free(&s->out);
    if (s->loop) s->loop->pending--;
    free(s);
}

/* Reads the next page into s->out (and, after the last, the tail). */
static int fill(export_stream *s, tm_err *err)
{
    size_t n = 0;
    int code = idx_db_begin_read(s->db, err);
    if (code != TM_OK) return code;
    code = idx_export_next(s->x, s->ids, HTTP_PAGE, &n, err);
    for (size_t i = 0; code == TM_OK && i < n; i++) {
        idx_tech t;
        int c = idx_tech_get(s->db, s->ids[i], &t, err);
        if (c == TM_ENOTFOUND) continue;
        if (c != TM_OK) {
            code = c;
            break;
        }
        exp_tech(&s->w, &t, &s->out);
        idx_tech_clear(&t);
    }
    idx_db_rollback(s->db);
    if (code == TM_OK && n < HTTP_PAGE) {
        exp_end(&s->w, &s->out);
        s->at_end = true;
    }
    return code;
}

static void arm(export_stream *s)
{
    struct timeval tv = {0, WATCHDOG_MS * 1000};
    event_add(s->tick, &tv);
}

/* evhttp wrote the last chunk out: read the next page now. */
static void written(struct evhttp_connection *evcon, void *arg)
{
    (void)evcon;
    export_stream *s = arg;
    s->writing = false;
    event_active(s->tick, EV_TIMEOUT, 1);
}

/* Sends what s->out holds; ends the reply after the last page. */
static void push(export_stream *s, struct evhttp_connection *evcon)
{
    if (s->out.len) {
        if (evbuffer_add(s->chunk, s->out.p, s->out.len) != 0) {
            tm_log_error("export: out of memory for a chunk");
            evhttp_connection_free(evcon); /* frees s->ev */
            stream_free(s);
            return;
        }
        tm_buf_reset(&s->out);
        s->writing = !s->at_end;
        evhttp_send_reply_chunk_with_cb(s->ev, s->chunk, s->at_end ? NULL : written, s);
        /* evhttp enabled reading to notice a close; its read timeout would
         * cut a long export: a close shows as a write error instead. */
        bufferevent_disable(evhttp_connection_get_bufferevent(evcon), EV_READ);
    }
    if (s->at_end) {
        evhttp_send_reply_end(s->ev);
        stream_free(s);
        return;
    }
    arm(s);
}

static void step(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    export_stream *s = arg;
    tm_err err = {0};
    struct evhttp_connection *evcon = evhttp_request_get_connection(s->ev);
    if (!evcon) {
        /* The client went away: evhttp detached the request, ours to free. */
        evhttp_request_free(s->ev);
        stream_free(s);
        return;
    }
    if (srv_conn_draining() && srv_now_us() >= s->loop->drain_until_us) {
        tm_log_error("export: cut short by the shutdown");
        evhttp_connection_free(evcon); /* frees s->ev */
        stream_free(s);
        return;
    }
    if (s->writing) {
        arm(s);
        return;
    }
    if (fill(s, &err) != TM_OK) {
        tm_log_error("export: %s%s%s", err.field, err.field[0] ? ": " : "", err.msg);
        evhttp_connection_free(evcon); /* frees s->ev */
        stream_free(s);
        return;
    }
    push(s, evcon);
}

static void header_set(struct evkeyvalq *h, const char *key, const char *value)
{
    while (evhttp_remove_header(h, key) == 0)
        ;
    (void)evhttp_add_header(h, key, value);
}

void api_export(srv_req *r)
{
    idx_search_req req;
    tm_err err = {0};
    exp_format fmt = EXP_FMT_CSV;
    export_stream *s = NULL;
    bool all = false;
    int code;

    const char *f = api_param(r, "format");
    if (f && (exp_format_parse(f, &fmt, &err) != TM_OK || fmt == EXP_FMT_JSON)) {
        code = tm_err_set(&err, TM_EINVAL, "format", "must be csv or jsonl");
        goto fail;
    }
    const char *st = api_param(r, "status");
    if (st && strcmp(st, "all") == 0) {
        /* Not a status the search knows: taken out before its parser. */
        all = true;
        (void)evhttp_remove_header(&r->query, "status");
    }
    if ((code = api_tech_search_parse(r, &req, &err)) != TM_OK) goto fail;
    if (all) req.status = IDX_EXPORT_ALL_STATUSES;
    /* A TTO's export is of its own institution unless it names one. */
    if (r->actor.role == SRV_ROLE_TTO && !req.institution_id)
        req.institution_id = r->actor.institution_id;
    srv_object obj = {.kind = SRV_OBJ_TECH, .institution_id = req.institution_id};
    if (!srv_auth_allow(&r->actor, SRV_ACT_TECH_EXPORT, &obj)) {
        code = tm_err_set(&err, TM_EFORBID, "institution",
                          "you may export only your own institution's technologies");
        goto fail;
    }

    s = tm_xcalloc(1, sizeof *s);
    s->db = r->db;
    if ((code = idx_export_open(r->db, &req, &s->x, &err)) != TM_OK) goto fail;

    struct evkeyvalq *h = evhttp_request_get_output_headers(r->ev);
    char disp[80];
    (void)snprintf(disp, sizeof disp, "attachment; filename=\"techmart-technologies.%s\"",
                   exp_format_name(fmt));
    if (evhttp_request_get_command(r->ev) == EVHTTP_REQ_HEAD) {
        stream_free(s);
        header_set(h, "Content-Disposition", disp);
        header_set(h, "Cache-Control", "no-store");
        srv_reply_send(r, 200, exp_content_type(fmt));
        return;
    }
    exp_begin(&s->w, fmt, false, &s->out);
    if ((code = fill(s, &err)) != TM_OK) goto fail;

    struct evhttp_connection *evcon = evhttp_request_get_connection(r->ev);
    struct event_base *base = evcon ? evhttp_connection_get_base(evcon) : NULL;
    if (!base || !r->loop || !(s->chunk = evbuffer_new()) ||
        !(s->tick = evtimer_new(base, step, s))) {
        code = tm_err_set(&err, TM_EINTERNAL, NULL, "cannot start a streamed reply");
        goto fail;
    }
    header_set(h, "Content-Type", exp_content_type(fmt));
    header_set(h, "Content-Disposition", disp);
    header_set(h, "Cache-Control", "no-store");
    header_set(h, "X-Content-Type-Options", "nosniff");
    if (srv_conn_draining()) header_set(h, "Connection", "close");
    s->ev = r->ev;
    s->loop = r->loop;
    s->loop->pending++; /* the loop waits for the stream, as for offloaded work */
    evhttp_send_reply_start(r->ev, 200, "OK");
    /* For the access line; the request is the stream's from here on. */
    r->status = 200;
    r->bytes = s->out.len;
    push(s, evcon);
    return;
fail:
    stream_free(s);
    (void)code;
    srv_reply_error(r, &err);
}
