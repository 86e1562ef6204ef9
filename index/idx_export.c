#include "idx_export.h"

#include <stdbool.h>
#include <stdlib.h>

#include "../common/tm_alloc.h"
#include "../common/tm_buf.h"
#include "idx_enum.h"
#include "idx_query.h"

struct idx_export {
    idx_db *db;
    tm_buf expr; /* the FTS5 expression; empty: no query */
    int field, status, trl_min, trl_max, licence;
    int64_t institution_id;
    char *group;
    int64_t last; /* the last id returned */
    bool done;
};

int idx_export_open(idx_db *db, const idx_search_req *req, idx_export **out, tm_err *err)
{
    idx_query *q = NULL;
    idx_export *x = NULL;
    int code = TM_OK;

    *out = NULL;
    if (req->trl_min && (req->trl_min < 1 || req->trl_min > 9)) {
        code = tm_err_set(err, TM_EINVAL, "trl_min", "must be an integer from 1 to 9");
        goto out;
    }
    if (req->trl_max && (req->trl_max < 1 || req->trl_max > 9)) {
        code = tm_err_set(err, TM_EINVAL, "trl_max", "must be an integer from 1 to 9");
        goto out;
    }
    if (req->status < IDX_EXPORT_ALL_STATUSES || req->status >= IDX_STATUS__COUNT) {
        code = tm_err_set(err, TM_EINVAL, "status", "is not a known status");
        goto out;
    }
    x = tm_xcalloc(1, sizeof *x);
    x->db = db;
    if (req->q && req->qlen) {
        if ((code = idx_query_parse(req->q, req->qlen, &q, err)) != TM_OK ||
            (code = idx_query_tokenize(q, db->tok, err)) != TM_OK)
            goto out;
        if (q->root) idx_query_to_fts(q, &x->expr);
    }
    x->field = req->field;
    x->status = req->status;
    x->trl_min = req->trl_min;
    x->trl_max = req->trl_max;
    x->licence = req->licence;
    x->institution_id = req->institution_id;
    x->group = req->group ? tm_xstrdup(req->group) : NULL;
    *out = x;
    x = NULL;
out:
    idx_query_free(q);
    idx_export_free(x);
    return code;
}

int idx_export_next(idx_export *x, int64_t *ids, size_t cap, size_t *n, tm_err *err)
{
    *n = 0;
    if (x->done || cap == 0) return TM_OK;
    idx_stmt which = x->expr.len ? IDX_STMT_EXPORT_MATCH : IDX_STMT_EXPORT_ALL;
    sqlite3_stmt *s = idx_db_stmt(x->db, which, err);
    if (!s) return err->code;
    if (x->expr.len) sqlite3_bind_text(s, 1, x->expr.p, (int)x->expr.len, SQLITE_STATIC);
    if (x->field >= 0) sqlite3_bind_text(s, 2, idx_field_name(x->field), -1, SQLITE_STATIC);
    if (x->institution_id) sqlite3_bind_int64(s, 3, x->institution_id);
    if (x->group) sqlite3_bind_text(s, 4, x->group, -1, SQLITE_STATIC);
    if (x->status == IDX_EXPORT_ALL_STATUSES)
        sqlite3_bind_text(s, 5, "*", 1, SQLITE_STATIC);
    else if (x->status >= 0)
        sqlite3_bind_text(s, 5, idx_status_name(x->status), -1, SQLITE_STATIC);
    if (x->trl_min) sqlite3_bind_int(s, 6, x->trl_min);
    if (x->trl_max) sqlite3_bind_int(s, 7, x->trl_max);
    if (x->licence >= 0) sqlite3_bind_text(s, 8, idx_licence_name(x->licence), -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 9, x->last);
    sqlite3_bind_int64(s, 10, (sqlite3_int64)cap);
    int rc = SQLITE_DONE;
    while (*n < cap && (rc = sqlite3_step(s)) == SQLITE_ROW)
        ids[(*n)++] = sqlite3_column_int64(s, 0);
    int code = TM_OK;
    if (*n < cap && rc != SQLITE_DONE) code = idx_db_fail(x->db, rc, err);
    idx_db_stmt_done(s);
    if (code != TM_OK) {
        *n = 0;
        return code;
    }
    if (*n) x->last = ids[*n - 1];
    if (*n < cap) x->done = true;
    return TM_OK;
}

void idx_export_free(idx_export *x)
{
    if (!x) return;
    tm_buf_free(&x->expr);
    free(x->group);
    free(x);
}
