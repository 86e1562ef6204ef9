/* idx_engine: the current idx_mem snapshot, shared by every thread, and its
 * background rebuilds.
 *
 * The engine's mutex guards cur, every snapshot's refs and the rebuild
 * state. cur holds one reference of its own; each acquire adds one and each
 * release drops one, and the snapshot is freed by whoever drops the last,
 * so a snapshot swapped out mid-search lives until its last reader is done.
 * At most one rebuild thread runs; it uses the engine's own connection
 * (never touched by anyone else while it runs) and, when it finishes and a
 * newer generation was asked for meanwhile, builds again before it exits. */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "../common/tm_alloc.h"
#include "idx_mem.h"
#include "idx_mem_int.h"

/* After a failed rebuild, wait this long before trying again. */
#define RETRY_SECONDS 1

struct idx_engine {
    pthread_mutex_t mu;
    idx_db *db;
    idx_mem *cur;
    pthread_t thread;
    bool joinable; /* thread was started and not joined yet */
    bool busy;     /* a rebuild is running */
    bool stop;
    int64_t want; /* highest generation asked for */
    bool failed;  /* the last rebuild failed, at failed_at */
    time_t failed_at;
};

static time_t now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec;
}

/* Drops one reference of m; true when it was the last. Under e->mu. */
static bool unref_locked(idx_mem *m)
{
    return m && --m->refs == 0;
}

static void *rebuild_main(void *arg)
{
    idx_engine *e = arg;
    bool again = true;
    while (again) {
        idx_mem *m = NULL, *drop = NULL;
        tm_err err;
        int code = idx_mem_build(e->db, &m, &err);
        pthread_mutex_lock(&e->mu);
        again = false;
        if (code != TM_OK) {
            e->failed = true;
            e->failed_at = now_seconds();
        } else if (!e->cur || m->gen > e->cur->gen) {
            if (unref_locked(e->cur)) drop = e->cur;
            m->refs = 1;
            e->cur = m;
            e->failed = false;
            /* A write landed during the build: catch up before exiting. */
            again = e->want > m->gen && !e->stop;
        } else {
            drop = m;
        }
        if (!again) e->busy = false;
        pthread_mutex_unlock(&e->mu);
        idx_mem_free(drop);
    }
    return NULL;
}

int idx_engine_open(const char *path, idx_engine **out, tm_err *err)
{
    idx_engine *e = tm_xcalloc(1, sizeof *e);
    int code;

    *out = NULL;
    if (pthread_mutex_init(&e->mu, NULL) != 0) {
        free(e);
        return tm_err_set(err, TM_EINTERNAL, NULL, "cannot create the engine's mutex");
    }
    if ((code = idx_db_open(path, &e->db, err)) != TM_OK ||
        (code = idx_mem_build(e->db, &e->cur, err)) != TM_OK) {
        idx_engine_free(e);
        return code;
    }
    e->cur->refs = 1;
    e->want = e->cur->gen;
    *out = e;
    return TM_OK;
}

void idx_engine_free(idx_engine *e)
{
    if (!e) return;
    pthread_mutex_lock(&e->mu);
    e->stop = true;
    bool join = e->joinable;
    e->joinable = false;
    pthread_mutex_unlock(&e->mu);
    if (join) pthread_join(e->thread, NULL);
    if (e->cur && unref_locked(e->cur)) idx_mem_free(e->cur);
    idx_db_close(e->db);
    pthread_mutex_destroy(&e->mu);
    free(e);
}

idx_mem *idx_engine_acquire(idx_engine *e, int64_t gen)
{
    idx_mem *m = NULL;
    if (!e) return NULL;
    pthread_mutex_lock(&e->mu);
    if (e->cur && e->cur->gen >= gen) {
        m = e->cur;
        m->refs++;
        goto out;
    }
    if (gen > e->want) e->want = gen;
    if (e->busy || e->stop || (e->failed && now_seconds() - e->failed_at < RETRY_SECONDS)) goto out;
    if (e->joinable) {
        /* The last rebuild has finished (busy is false): reap it. */
        pthread_join(e->thread, NULL);
        e->joinable = false;
    }
    e->busy = true;
    if (pthread_create(&e->thread, NULL, rebuild_main, e) == 0) {
        e->joinable = true;
    } else {
        e->busy = false;
        e->failed = true;
        e->failed_at = now_seconds();
    }
out:
    pthread_mutex_unlock(&e->mu);
    return m;
}

void idx_engine_release(idx_engine *e, idx_mem *m)
{
    if (!e || !m) return;
    pthread_mutex_lock(&e->mu);
    bool last = unref_locked(m);
    pthread_mutex_unlock(&e->mu);
    if (last) idx_mem_free(m);
}
