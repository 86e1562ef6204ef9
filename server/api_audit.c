/* GET /api/v1/audit: the audit log, for staff and admins (srv_auth decides).
 *
 * Filters (each optional, all combined): object (and object_id, which needs
 * object: ids are per kind of object), user_id, action, since and until
 * (inclusive; "YYYY-MM-DDTHH:MM:SSZ" or a UTC date, which for until means
 * the whole day). Rows come newest first, limit (1-200, default 50) at a
 * time; the page after is asked for with before_id, the keyset cursor the
 * answer gives as "next" (null on the last page). A bad parameter is a 400
 * naming it; unknown parameters are ignored, as search does. */
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../index/idx_audit.h"
#include "api.h"
#include "api_json.h"

#define NAME_MAX_LEN 64 /* bytes of an object or action filter */

/* Query parameter name as an id (1 to INT64_MAX, digits only) into *out;
 * *out keeps 0 when the parameter is absent or empty. */
static int param_id(srv_req *r, const char *name, int64_t *out, tm_err *err)
{
    const char *v = api_param(r, name);
    if (!v) return TM_OK;
    char *end = NULL;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (*v < '0' || *v > '9' || errno || *end || n < 1)
        return tm_err_set(err, TM_EINVAL, name, "must be an integer from 1 to %lld",
                          (long long)INT64_MAX);
    *out = n;
    return TM_OK;
}

/* Query parameter name as an object or action name: 1 to NAME_MAX_LEN of
 * a-z, 0-9, '_' and '.', as the names the server writes are. */
static int param_name(srv_req *r, const char *name, const char **out, tm_err *err)
{
    const char *v = api_param(r, name);
    if (!v) return TM_OK;
    size_t len = strlen(v);
    if (len > NAME_MAX_LEN || strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789_.") != len)
        return tm_err_set(err, TM_EINVAL, name,
                          "must be 1 to %d characters of a-z, 0-9, '_' and '.'", NAME_MAX_LEN);
    *out = v;
    return TM_OK;
}

/* Exactly n decimal digits at s, as a number in [min, max]. */
static bool digits(const char *s, int n, int min, int max, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return v >= min && v <= max;
}

static int days_in(int year, int month)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : days[month - 1];
}

/* Query parameter name as a time in audit_log.at's form into out: a UTC
 * date-time "YYYY-MM-DDTHH:MM:SSZ" as is, or a date "YYYY-MM-DD" as its
 * first second (end_of_day false) or its last (true). *set tells whether
 * the parameter was there. */
static int param_time(srv_req *r, const char *name, bool end_of_day, char out[21], bool *set,
                      tm_err *err)
{
    const char *v = api_param(r, name);
    int y, mo, d, h = 0, mi = 0, s = 0;
    *set = false;
    if (!v) return TM_OK;
    size_t len = strlen(v);
    bool date_ok = (len == 10 || len == 20) && digits(v, 4, 1, 9999, &y) && v[4] == '-' &&
                   digits(v + 5, 2, 1, 12, &mo) && v[7] == '-' && digits(v + 8, 2, 1, 31, &d) &&
                   d <= days_in(y, mo);
    bool time_ok = len == 10 || (date_ok && v[10] == 'T' && digits(v + 11, 2, 0, 23, &h) &&
                                 v[13] == ':' && digits(v + 14, 2, 0, 59, &mi) && v[16] == ':' &&
                                 digits(v + 17, 2, 0, 59, &s) && v[19] == 'Z');
    if (!date_ok || !time_ok)
        return tm_err_set(err, TM_EINVAL, name,
                          "must be a UTC time YYYY-MM-DDTHH:MM:SSZ or a date YYYY-MM-DD");
    if (len == 10 && end_of_day) {
        h = 23;
        mi = 59;
        s = 59;
    }
    (void)snprintf(out, 21, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, mo, d, h, mi, s);
    *set = true;
    return TM_OK;
}

static int parse_filter(srv_req *r, idx_audit_filter *f, char since[21], char until[21],
                        tm_err *err)
{
    int code, limit = 50;
    bool has_since, has_until;
    memset(f, 0, sizeof *f);
    if ((code = param_name(r, "object", &f->object, err)) != TM_OK ||
        (code = param_id(r, "object_id", &f->object_id, err)) != TM_OK ||
        (code = param_id(r, "user_id", &f->user_id, err)) != TM_OK ||
        (code = param_name(r, "action", &f->action, err)) != TM_OK ||
        (code = param_time(r, "since", false, since, &has_since, err)) != TM_OK ||
        (code = param_time(r, "until", true, until, &has_until, err)) != TM_OK ||
        (code = param_id(r, "before_id", &f->before_id, err)) != TM_OK ||
        (code = api_param_int(r, "limit", 1, IDX_AUDIT_LIMIT_MAX, &limit, err)) != TM_OK)
        return code;
    if (f->object_id && !f->object)
        return tm_err_set(err, TM_EINVAL, "object_id", "needs object (ids are per object)");
    if (has_since && has_until && strcmp(since, until) > 0)
        return tm_err_set(err, TM_EINVAL, "since", "must not be after until");
    f->since = has_since ? since : NULL;
    f->until = has_until ? until : NULL;
    f->limit = (size_t)limit;
    return TM_OK;
}

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *id_or_null(int64_t id)
{
    return id ? json_integer(id) : json_null();
}

/* The stored JSON object text as an object (NULL text: null). A stored
 * value that is not an object is a fault of the writer: TM_EINTERNAL. */
static int values_json(const idx_audit_row *row, const char *text, json_t **out, tm_err *err)
{
    json_error_t jerr;
    *out = NULL;
    if (!text) {
        *out = json_null();
        return TM_OK;
    }
    json_t *v = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
    if (!v || !json_is_object(v)) {
        json_decref(v);
        return tm_err_set(err, TM_EINTERNAL, NULL, "audit_log row %lld holds invalid JSON",
                          (long long)row->id);
    }
    *out = v;
    return TM_OK;
}

static int row_json(const idx_audit_row *row, json_t **out, tm_err *err)
{
    json_t *before = NULL, *after = NULL;
    int code;
    *out = NULL;
    if ((code = values_json(row, row->before, &before, err)) != TM_OK ||
        (code = values_json(row, row->after, &after, err)) != TM_OK) {
        json_decref(before);
        return code;
    }
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(row->id));
    json_object_set_new(o, "at", json_string(row->at));
    json_object_set_new(o, "user_id", id_or_null(row->user_id));
    json_object_set_new(o, "user_email", str_or_null(row->user_email));
    json_object_set_new(o, "address", str_or_null(row->address));
    json_object_set_new(o, "action", str_or_null(row->action));
    json_object_set_new(o, "object", str_or_null(row->object));
    json_object_set_new(o, "object_id", id_or_null(row->object_id));
    json_object_set_new(o, "before", before);
    json_object_set_new(o, "after", after);
    *out = o;
    return TM_OK;
}

void api_audit_list(srv_req *r)
{
    idx_audit_filter f;
    idx_audit_row *rows = NULL;
    size_t n = 0;
    bool more = false;
    char since[21], until[21];
    tm_err err = {0};
    json_t *body = NULL, *items = NULL;
    int code;

    if ((code = parse_filter(r, &f, since, until, &err)) != TM_OK) goto fail;
    if ((code = idx_audit_list(r->db, &f, &rows, &n, &more, &err)) != TM_OK) goto fail;
    items = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *o;
        if ((code = row_json(&rows[i], &o, &err)) != TM_OK) goto fail;
        json_array_append_new(items, o);
    }
    body = json_object();
    json_object_set_new(body, "items", items);
    items = NULL;
    json_object_set_new(body, "next", more && n ? json_integer(rows[n - 1].id) : json_null());
    idx_audit_rows_free(rows, n);
    srv_reply_json(r, 200, body);
    return;
fail:
    json_decref(items);
    idx_audit_rows_free(rows, n);
    srv_reply_error(r, &err);
}
