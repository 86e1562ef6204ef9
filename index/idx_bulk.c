/* idx_bulk: an import's full-text entries, built beside it (idx_bulk.h).
 *
 * The writer's thread notes each kept row in a batch and hands full
 * batches to the indexing thread through a bounded queue (it waits when the
 * queue is full, so memory stays bounded whatever the file's size). The
 * indexing thread owns the private connection until it is joined; after
 * that, idx_bulk_end reads it from the writer's thread. */
#include "idx_bulk.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../common/tm_alloc.h"
#include "../common/tm_buf.h"
#include "../common/tm_log.h"
#include "idx_fts5.h"

#define BATCH_ROWS 256
#define QUEUE_MAX 16 /* batches waiting for the indexing thread */
/* Loading alone, the store's written pages are handed to the kernel's
 * writeback every this many batches (~10 MB of pages at 100k records). */
#define WRITEBACK_BATCHES 16
/* The private index writes a segment each time its pending terms pass
 * this many bytes. Measured at 100k: 16 MiB wrote 7 segments, and was
 * faster than 64 MiB (2 segments; FTS5's hash table then lives out of the
 * CPU's caches) and than 8 MiB (15), for 51 MB of peak memory instead of
 * 120. */
#define PRIVATE_HASHSIZE (16 * 1024 * 1024)
/* The private index never merges its segments ("crisismerge" at FTS5's
 * largest value; automerge off): a merge that FTS5 believes takes in the
 * oldest data of an index drops its delete entries, and the private index's
 * delete entries are for rows whose postings are in the store's index.
 * Its segments all join the store's level 0, where FTS5's merges see
 * everything (idx_fts5_merge). */
#define PRIVATE_CRISISMERGE 1999

static _Atomic int private_hashsize; /* idx_bulk_test_hashsize; 0: PRIVATE_HASHSIZE */

void idx_bulk_test_hashsize(int bytes)
{
    private_hashsize = bytes;
}
#define NO_VALUE UINT32_MAX

typedef struct {
    bool del;
    int64_t id;
    char *text; /* the values, one after another */
    uint32_t len[IDX_BULK_NCOL];
} bulk_row;

typedef struct batch {
    struct batch *next;
    size_t n;
    bulk_row row[BATCH_ROWS];
} batch;

typedef struct idx_bulk {
    idx_db *db;
    int64_t mark;
    tm_buf totals; /* the store's FTS5 totals the private index started from */
    /* the writer's thread only */
    bulk_row *pend; /* noted since the record's savepoint */
    size_t npend, cap;
    batch *fill;
    size_t kept;   /* entries handed to the private index */
    size_t handed; /* batches handed over */
    bool old_rows; /* an entry of a row below the mark, which the store's index has */
    bool tainted;
    /* the indexing thread, and what it shares under mu */
    idx_db *priv;
    pthread_t thread;
    bool started;
    bool dry; /* nothing is built: the transaction is rolled back */
    pthread_mutex_t mu;
    pthread_cond_t more, room;
    batch *head, *tail;
    size_t queued;
    bool closed; /* no more batches will come */
    bool failed; /* the private index is unusable: terr says why */
    tm_err terr;
} idx_bulk;

static void row_free(bulk_row *r)
{
    free(r->text);
}

static void batch_free(batch *b)
{
    if (!b) return;
    for (size_t i = 0; i < b->n; i++)
        row_free(&b->row[i]);
    free(b);
}

/* ---- the indexing thread ---- */

static int index_row(idx_db *priv, const bulk_row *r, tm_err *err)
{
    sqlite3_stmt *s = idx_db_stmt(priv, r->del ? IDX_STMT_FTS_DELETE : IDX_STMT_FTS_INSERT, err);
    if (!s) return err->code;
    sqlite3_bind_int64(s, 1, r->id);
    const char *p = r->text;
    for (int i = 0; i < IDX_BULK_NCOL; i++) {
        if (r->len[i] == NO_VALUE) {
            sqlite3_bind_null(s, i + 2);
        } else {
            sqlite3_bind_text(s, i + 2, p, (int)r->len[i], SQLITE_STATIC);
            p += r->len[i];
        }
    }
    int rc = sqlite3_step(s);
    int code = rc == SQLITE_DONE ? TM_OK : idx_db_fail(priv, rc, err);
    idx_db_stmt_done(s);
    return code;
}

/* Keeps r for the end (bulk_later), in the order noted. */
static int later_add(idx_db *priv, const bulk_row *r, tm_err *err)
{
    sqlite3_stmt *s = idx_db_stmt(priv, IDX_STMT_BULK_LATER_ADD, err);
    if (!s) return err->code;
    sqlite3_bind_int64(s, 1, r->id);
    sqlite3_bind_int(s, 2, r->del);
    const char *p = r->text;
    for (int i = 0; i < IDX_BULK_NCOL; i++) {
        if (r->len[i] == NO_VALUE) {
            sqlite3_bind_null(s, i + 3);
        } else {
            sqlite3_bind_text(s, i + 3, p, (int)r->len[i], SQLITE_STATIC);
            p += r->len[i];
        }
    }
    int rc = sqlite3_step(s);
    int code = rc == SQLITE_DONE ? TM_OK : idx_db_fail(priv, rc, err);
    idx_db_stmt_done(s);
    return code;
}

/* Indexes the rows kept for the end, by id (each row's in the order noted,
 * an insert and the delete right after it left out: they cancel). */
static int later_apply(idx_db *priv, tm_err *err)
{
    sqlite3_stmt *q = idx_db_stmt(priv, IDX_STMT_BULK_LATER_ALL, err);
    if (!q) return err->code;
    int code = TM_OK, rc;
    while (code == TM_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        idx_stmt which = sqlite3_column_int(q, 1) ? IDX_STMT_FTS_DELETE : IDX_STMT_FTS_INSERT;
        sqlite3_stmt *s = idx_db_stmt(priv, which, err);
        if (!s) {
            code = err->code;
            break;
        }
        sqlite3_bind_int64(s, 1, sqlite3_column_int64(q, 0));
        for (int i = 0; i < IDX_BULK_NCOL; i++)
            sqlite3_bind_value(s, i + 2, sqlite3_column_value(q, i + 2));
        rc = sqlite3_step(s);
        idx_db_stmt_done(s);
        if (rc != SQLITE_DONE) code = idx_db_fail(priv, rc, err);
    }
    if (code == TM_OK && rc != SQLITE_DONE) code = idx_db_fail(priv, rc, err);
    idx_db_stmt_done(q);
    return code;
}

/* FTS5 writes its pending terms out as a segment whenever a row id comes
 * that is not above the last one (but for a row's insert right after its
 * delete): an update of an older row after newer ones would cost a segment
 * each. Such rows wait in bulk_later and are indexed at the end, by id.
 * Once one of a row's changes waits, so do its later ones: a row's changes
 * stay in order (a delete and its insert are noted one after the other). */
typedef struct {
    int64_t last; /* the last row id indexed */
    bool last_del;
    bool prev_now; /* the previous change was indexed, not kept for later */
} index_order;

static int index_or_keep(idx_db *priv, const bulk_row *r, index_order *o, tm_err *err)
{
    bool now = r->id > o->last || (r->id == o->last && o->last_del && !r->del && o->prev_now);
    o->prev_now = now;
    if (!now) return later_add(priv, r, err);
    o->last = r->id;
    o->last_del = r->del;
    return index_row(priv, r, err);
}

static void *index_main(void *arg)
{
    idx_bulk *b = arg;
    tm_err err = {0};
    bool failed = false;
    index_order order = {.last = INT64_MIN};
    for (;;) {
        pthread_mutex_lock(&b->mu);
        while (!b->head && !b->closed)
            pthread_cond_wait(&b->more, &b->mu);
        batch *q = b->head;
        if (q) {
            b->head = q->next;
            if (!b->head) b->tail = NULL;
            b->queued--;
            pthread_cond_signal(&b->room);
        }
        failed = b->failed;
        pthread_mutex_unlock(&b->mu);
        if (!q) break;
        int code = TM_OK;
        for (size_t i = 0; i < q->n && !failed && code == TM_OK; i++)
            code = index_or_keep(b->priv, &q->row[i], &order, &err);
        batch_free(q);
        if (code != TM_OK) {
            pthread_mutex_lock(&b->mu);
            b->failed = true;
            b->terr = err;
            pthread_cond_signal(&b->room);
            pthread_mutex_unlock(&b->mu);
        }
    }
    pthread_mutex_lock(&b->mu);
    failed = b->failed;
    pthread_mutex_unlock(&b->mu);
    /* The commit writes the last pending terms out as segments. */
    if (!failed && (later_apply(b->priv, &err) != TM_OK || idx_db_commit(b->priv, &err) != TM_OK)) {
        pthread_mutex_lock(&b->mu);
        b->failed = true;
        b->terr = err;
        pthread_mutex_unlock(&b->mu);
    }
    return NULL;
}

/* The private index: no merges (PRIVATE_CRISISMERGE), and so none half
 * done when its segments are copied. */
static int open_private(idx_db **out, tm_err *err)
{
    idx_db *priv = NULL;
    int code = idx_db_open_scratch(&priv, err);
    if (code == TM_OK) code = idx_db_begin_write(priv, err);
    if (code == TM_OK) code = idx_fts5_config(priv, "automerge", 0, err);
    if (code == TM_OK) {
        sqlite3_stmt *s = idx_db_stmt(priv, IDX_STMT_BULK_LATER_CREATE, err);
        int rc = s ? sqlite3_step(s) : SQLITE_ERROR;
        if (!s)
            code = err->code;
        else if (rc != SQLITE_DONE)
            code = idx_db_fail(priv, rc, err);
        idx_db_stmt_done(s);
    }
    if (code == TM_OK) code = idx_fts5_config(priv, "crisismerge", PRIVATE_CRISISMERGE, err);
    if (code == TM_OK)
        code = idx_fts5_config(priv, "hashsize",
                               private_hashsize ? private_hashsize : PRIVATE_HASHSIZE, err);
    if (code != TM_OK) {
        idx_db_close(priv);
        priv = NULL;
    }
    *out = priv;
    return code;
}

/* ---- the writer's side ---- */

static void hand_over(idx_bulk *b)
{
    batch *q = b->fill;
    b->fill = NULL;
    if (!q || !q->n) {
        free(q);
        return;
    }
    pthread_mutex_lock(&b->mu);
    while (b->queued >= QUEUE_MAX && !b->failed)
        pthread_cond_wait(&b->room, &b->mu);
    if (b->failed) {
        pthread_mutex_unlock(&b->mu);
        batch_free(q);
        return;
    }
    if (b->tail)
        b->tail->next = q;
    else
        b->head = q;
    b->tail = q;
    b->queued++;
    pthread_cond_signal(&b->more);
    pthread_mutex_unlock(&b->mu);
}

/* Closes the queue and waits for the indexing thread. */
static void finish_thread(idx_bulk *b)
{
    if (!b->started) return;
    pthread_mutex_lock(&b->mu);
    b->closed = true;
    pthread_cond_signal(&b->more);
    pthread_mutex_unlock(&b->mu);
    pthread_join(b->thread, NULL);
    b->started = false;
}

static void bulk_free(idx_bulk *b)
{
    for (size_t i = 0; i < b->npend; i++)
        row_free(&b->pend[i]);
    free(b->pend);
    batch_free(b->fill);
    while (b->head) {
        batch *q = b->head;
        b->head = q->next;
        batch_free(q);
    }
    idx_db_close(b->priv);
    tm_buf_free(&b->totals);
    pthread_cond_destroy(&b->more);
    pthread_cond_destroy(&b->room);
    pthread_mutex_destroy(&b->mu);
    free(b);
}

bool idx_bulk_on(const idx_db *db)
{
    return db->bulk != NULL;
}

void idx_bulk_row(idx_db *db, int64_t id, const char *const v[IDX_BULK_NCOL],
                  const size_t n[IDX_BULK_NCOL])
{
    idx_bulk *b = db->bulk;
    if (!b) return;
    size_t total = 0;
    for (int i = 0; i < IDX_BULK_NCOL; i++)
        if (v[i]) total += n[i];
    if (b->npend == b->cap) {
        b->cap = b->cap ? 2 * b->cap : 4;
        b->pend = tm_xreallocarray(b->pend, b->cap, sizeof *b->pend);
    }
    bulk_row *r = &b->pend[b->npend++];
    r->del = false;
    r->id = id;
    r->text = tm_xmalloc(total ? total : 1);
    char *p = r->text;
    for (int i = 0; i < IDX_BULK_NCOL; i++) {
        if (!v[i] || n[i] >= NO_VALUE) {
            r->len[i] = NO_VALUE;
            continue;
        }
        memcpy(p, v[i], n[i]);
        p += n[i];
        r->len[i] = (uint32_t)n[i];
    }
}

int idx_bulk_forget(idx_db *db, int64_t id, tm_err *err)
{
    if (!db->bulk) return TM_OK;
    sqlite3_stmt *s = idx_db_stmt(db, IDX_STMT_TECH_FTS_COLS, err);
    if (!s) return err->code;
    sqlite3_bind_int64(s, 1, id);
    int rc = sqlite3_step(s);
    int code = TM_OK;
    if (rc == SQLITE_ROW) {
        const char *v[IDX_BULK_NCOL];
        size_t n[IDX_BULK_NCOL];
        for (int i = 0; i < IDX_BULK_NCOL; i++) {
            v[i] = (const char *)sqlite3_column_text(s, i);
            n[i] = (size_t)sqlite3_column_bytes(s, i);
        }
        idx_bulk_row(db, id, v, n);
        db->bulk->pend[db->bulk->npend - 1].del = true;
    } else if (rc != SQLITE_DONE) {
        code = idx_db_fail(db, rc, err);
    }
    idx_db_stmt_done(s);
    return code;
}

void idx_bulk_keep(idx_db *db)
{
    idx_bulk *b = db->bulk;
    if (!b) return;
    for (size_t i = 0; i < b->npend; i++) {
        if (!b->fill) b->fill = tm_xcalloc(1, sizeof *b->fill);
        if (b->pend[i].id < b->mark) b->old_rows = true;
        b->kept++;
        b->fill->row[b->fill->n++] = b->pend[i];
        if (b->fill->n == BATCH_ROWS) {
            hand_over(b);
            if (++b->handed % WRITEBACK_BATCHES == 0) idx_db_writeback(db);
        }
    }
    b->npend = 0;
}

void idx_bulk_drop(idx_db *db)
{
    idx_bulk *b = db->bulk;
    if (!b) return;
    for (size_t i = 0; i < b->npend; i++)
        row_free(&b->pend[i]);
    b->npend = 0;
}

void idx_bulk_taint(idx_db *db)
{
    if (db->bulk) db->bulk->tainted = true;
}

int idx_bulk_inst_update(idx_db *db, int64_t inst_id, const char *name_en, tm_err *err)
{
    if (!db->bulk || db->bulk->tainted) return TM_OK;
    sqlite3_stmt *s = idx_db_stmt(db, IDX_STMT_INST_GET, err);
    if (!s) return err->code;
    sqlite3_bind_int64(s, 1, inst_id);
    int rc = sqlite3_step(s);
    int code = TM_OK;
    if (rc == SQLITE_ROW) {
        const char *old = (const char *)sqlite3_column_text(s, 2);
        if (!old != !name_en || (old && strcmp(old, name_en) != 0)) idx_bulk_taint(db);
    } else if (rc != SQLITE_DONE) {
        code = idx_db_fail(db, rc, err);
    }
    idx_db_stmt_done(s);
    return code;
}

int idx_bulk_begin(idx_db *db, bool dry, tm_err *err)
{
    if (db->bulk) return tm_err_set(err, TM_EINTERNAL, NULL, "bulk mode is already on");
    int64_t mark = 0;
    int code = idx_fts5_defer(db, &mark, err);
    if (code != TM_OK) return code;

    idx_bulk *b = tm_xcalloc(1, sizeof *b);
    b->db = db;
    b->mark = mark;
    pthread_mutex_init(&b->mu, NULL);
    pthread_cond_init(&b->more, NULL);
    pthread_cond_init(&b->room, NULL);
    db->bulk = b;
    /* Without a private index (no memory, no temporary file) the rows are
     * indexed in db at the end, as they would be anyway. */
    tm_err perr = {0};
    b->dry = dry;
    if (dry || open_private(&b->priv, &perr) != TM_OK ||
        idx_fts5_copy_totals(db, b->priv, &b->totals, &perr) != TM_OK ||
        pthread_create(&b->thread, NULL, index_main, b) != 0) {
        b->failed = true;
        b->terr = perr;
    } else {
        b->started = true;
    }
    return TM_OK;
}

void idx_bulk_abort(idx_db *db)
{
    idx_bulk *b = db ? db->bulk : NULL;
    if (!b) return;
    db->bulk = NULL;
    pthread_mutex_lock(&b->mu);
    b->failed = true; /* the thread skips what is left */
    pthread_mutex_unlock(&b->mu);
    finish_thread(b);
    bulk_free(b);
}

int idx_bulk_end(idx_db *db, int *merged_out, tm_err *err)
{
    idx_bulk *b = db->bulk;
    if (!b) return tm_err_set(err, TM_EINTERNAL, NULL, "bulk mode is not on");
    idx_bulk_keep(db);
    hand_over(b);
    idx_db_writeback(db); /* while the indexing thread finishes */
    finish_thread(b);
    db->bulk = NULL; /* from here on, writes to db are not noted */
    int merged = -1;
    int64_t changed = (int64_t)b->kept;
    int code = TM_OK;
    if (!b->failed && !b->tainted && b->kept > 0)
        code = idx_fts5_merge(db, b->priv, &b->totals, &merged, err);
    if (!b->dry && (b->failed || (code == TM_OK && merged < 0 && b->kept > 0)))
        tm_log_info("import: the full-text index is built in the database (slower): %s",
                    b->failed && b->terr.msg[0] ? b->terr.msg
                    : b->tainted                ? "an institution's English name changed"
                                                : "the private index could not be merged");
    if (code == TM_OK && merged < 0) {
        /* Only new rows: FTS5 indexes them from the table. Old rows' old
         * values are gone from it: FTS5 rebuilds its whole index. */
        if (b->old_rows || b->tainted)
            code = idx_fts5_rebuild(db, err);
        else
            code = idx_fts5_index_deferred(db, &changed, err);
    }
    if (code == TM_OK) code = idx_fts5_end_deferred(db, changed, err);
    if (merged_out) *merged_out = merged;
    bulk_free(b);
    return code;
}
