#include "idx_audit.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/tm_alloc.h"
#include "../common/tm_log.h"

static void json_escaped(tm_buf *b, const char *s)
{
    tm_buf_putc(b, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            tm_buf_putc(b, '\\');
            tm_buf_putc(b, (char)*p);
        } else if (*p < 0x20 || *p == 0x7f) {
            tm_buf_printf(b, "\\u%04x", (unsigned)*p);
        } else {
            tm_buf_putc(b, (char)*p);
        }
    }
    tm_buf_putc(b, '"');
}

static void json_key(idx_audit_json *j, const char *key)
{
    if (j->members.len) tm_buf_puts(&j->members, ", ");
    json_escaped(&j->members, key);
    tm_buf_puts(&j->members, ": ");
}

void idx_audit_json_str(idx_audit_json *j, const char *key, const char *s)
{
    json_key(j, key);
    if (s)
        json_escaped(&j->members, s);
    else
        tm_buf_puts(&j->members, "null");
}

void idx_audit_json_int(idx_audit_json *j, const char *key, int64_t v)
{
    json_key(j, key);
    tm_buf_printf(&j->members, "%lld", (long long)v);
}

void idx_audit_json_bool(idx_audit_json *j, const char *key, bool v)
{
    json_key(j, key);
    tm_buf_puts(&j->members, v ? "true" : "false");
}

void idx_audit_json_null(idx_audit_json *j, const char *key)
{
    json_key(j, key);
    tm_buf_puts(&j->members, "null");
}

const char *idx_audit_json_cstr(idx_audit_json *j)
{
    if (!j->members.len) return NULL;
    tm_buf_reset(&j->out);
    tm_buf_putc(&j->out, '{');
    tm_buf_append(&j->out, j->members.p, j->members.len);
    tm_buf_putc(&j->out, '}');
    return tm_buf_cstr(&j->out);
}

void idx_audit_json_free(idx_audit_json *j)
{
    tm_buf_free(&j->members);
    tm_buf_free(&j->out);
}

int idx_audit_add(idx_db *db, const idx_actor *who, const char *action, const char *object,
                  int64_t object_id, const char *before, const char *after, tm_err *err)
{
    char now[21];
    sqlite3_stmt *s = idx_db_stmt(db, IDX_STMT_AUDIT_INSERT, err);
    if (!s) return err ? err->code : TM_EINTERNAL;
    tm_time_iso(now);
    sqlite3_bind_text(s, 1, now, -1, SQLITE_STATIC);
    if (who && who->user_id) sqlite3_bind_int64(s, 2, who->user_id);
    if (who && who->address) sqlite3_bind_text(s, 3, who->address, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, action, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, object, -1, SQLITE_STATIC);
    if (object_id) sqlite3_bind_int64(s, 6, object_id);
    if (before) sqlite3_bind_text(s, 7, before, -1, SQLITE_STATIC);
    if (after) sqlite3_bind_text(s, 8, after, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    int code = rc == SQLITE_DONE ? TM_OK : idx_db_fail(db, rc, err);
    idx_db_stmt_done(s);
    return code;
}

/* A text column copied, or NULL when the column is NULL. */
static char *col_dup(sqlite3_stmt *s, int col)
{
    const unsigned char *t = sqlite3_column_text(s, col);
    return t ? tm_xstrdup((const char *)t) : NULL;
}

static void audit_row(sqlite3_stmt *s, idx_audit_row *row)
{
    const unsigned char *at = sqlite3_column_text(s, 1);
    row->id = sqlite3_column_int64(s, 0);
    (void)snprintf(row->at, sizeof row->at, "%s", at ? (const char *)at : "");
    row->user_id = sqlite3_column_int64(s, 2);
    row->user_email = col_dup(s, 3);
    row->address = col_dup(s, 4);
    row->action = col_dup(s, 5);
    row->object = col_dup(s, 6);
    row->object_id = sqlite3_column_int64(s, 7);
    row->before = col_dup(s, 8);
    row->after = col_dup(s, 9);
}

void idx_audit_rows_free(idx_audit_row *rows, size_t n)
{
    for (size_t i = 0; rows && i < n; i++) {
        free(rows[i].user_email);
        free(rows[i].address);
        free(rows[i].action);
        free(rows[i].object);
        free(rows[i].before);
        free(rows[i].after);
    }
    free(rows);
}

int idx_audit_list(idx_db *db, const idx_audit_filter *f, idx_audit_row **rows, size_t *n,
                   bool *more, tm_err *err)
{
    idx_audit_row *v = NULL;
    size_t len = 0;
    int code = TM_OK, rc;
    sqlite3_stmt *s = NULL;

    *rows = NULL;
    *n = 0;
    *more = false;
    if (f->limit < 1 || f->limit > IDX_AUDIT_LIMIT_MAX)
        return tm_err_set(err, TM_EINVAL, "limit", "must be an integer from 1 to %d",
                          IDX_AUDIT_LIMIT_MAX);
    if (!(s = idx_db_stmt(db, IDX_STMT_AUDIT_LIST, err))) return err ? err->code : TM_EINTERNAL;
    if (f->object) sqlite3_bind_text(s, 1, f->object, -1, SQLITE_STATIC);
    if (f->object_id) sqlite3_bind_int64(s, 2, f->object_id);
    if (f->user_id) sqlite3_bind_int64(s, 3, f->user_id);
    if (f->action) sqlite3_bind_text(s, 4, f->action, -1, SQLITE_STATIC);
    if (f->since) sqlite3_bind_text(s, 5, f->since, -1, SQLITE_STATIC);
    if (f->until) sqlite3_bind_text(s, 6, f->until, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 7, f->before_id > 0 ? f->before_id : INT64_MAX);
    /* One row past the page tells whether there is a next page. */
    sqlite3_bind_int64(s, 8, (sqlite3_int64)f->limit + 1);
    v = tm_xcalloc(f->limit, sizeof *v);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (len == f->limit) {
            *more = true;
            continue;
        }
        audit_row(s, &v[len++]);
    }
    if (rc != SQLITE_DONE) code = idx_db_fail(db, rc, err);
    idx_db_stmt_done(s);
    if (code != TM_OK) {
        idx_audit_rows_free(v, len);
        *more = false;
        return code;
    }
    *rows = v;
    *n = len;
    return TM_OK;
}
