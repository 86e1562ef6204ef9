/* The bounded batch queue of the import pipeline (imp_int.h) and the
 * producer thread's start and stop. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "../common/tm_alloc.h"
#include "imp_int.h"

/* ---- the queue ---- */

void imp_item_clear(imp_item *it)
{
    if (it->kind == ITEM_TECH)
        idx_tech_clear(&it->u.tech);
    else if (it->kind == ITEM_INST)
        idx_inst_clear(&it->u.inst);
}

void imp_batch_free(imp_batch *b)
{
    if (!b) return;
    for (size_t i = 0; i < b->n; i++)
        imp_item_clear(&b->items[i]);
    free(b);
}

/* Hands the batch being filled to the writer, waiting for room. */
void imp_prod_flush(imp_prod *p)
{
    imp_queue *q = p->q;
    if (!p->cur) return;
    pthread_mutex_lock(&q->mu);
    while (q->count == QUEUE_BATCHES && !q->stop)
        pthread_cond_wait(&q->nonfull, &q->mu);
    bool stop = q->stop;
    if (!stop) {
        q->slot[(q->head + q->count) % QUEUE_BATCHES] = p->cur;
        q->count++;
        pthread_cond_signal(&q->nonempty);
    }
    pthread_mutex_unlock(&q->mu);
    if (stop) {
        imp_batch_free(p->cur);
        p->stopped = true;
    }
    p->cur = NULL;
}

/* The next batch, or NULL when the producer has ended and all is taken. */
imp_batch *imp_queue_pop(imp_queue *q)
{
    imp_batch *b = NULL;
    pthread_mutex_lock(&q->mu);
    while (q->count == 0 && !q->done)
        pthread_cond_wait(&q->nonempty, &q->mu);
    if (q->count) {
        b = q->slot[q->head];
        q->head = (q->head + 1) % QUEUE_BATCHES;
        q->count--;
        pthread_cond_signal(&q->nonfull);
    }
    pthread_mutex_unlock(&q->mu);
    return b;
}

/* Starts a producer of f into q (both initialized here). */
int imp_pipe_start(imp_queue *q, imp_prod *p, pthread_t *tid, FILE *f, imp_format fmt, bool inst,
                   bool institution_optional, const imp_map *map, tm_err *err)
{
    memset(q, 0, sizeof *q);
    *p = (imp_prod){.q = q,
                    .f = f,
                    .fmt = fmt,
                    .inst = inst,
                    .institution_optional = institution_optional,
                    .map = map};
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->nonempty, NULL);
    pthread_cond_init(&q->nonfull, NULL);
    /* Signals stay with the caller's threads. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(tid, NULL, imp_prod_main, p);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        pthread_cond_destroy(&q->nonfull);
        pthread_cond_destroy(&q->nonempty);
        pthread_mutex_destroy(&q->mu);
        return tm_err_set(err, TM_EINTERNAL, "file", "cannot start a reader thread: %s",
                          strerror(rc));
    }
    return TM_OK;
}

/* Stops the producer (when it has not ended), waits for it, frees what it
 * sent that was not taken. */
void imp_pipe_stop(imp_queue *q, pthread_t tid)
{
    pthread_mutex_lock(&q->mu);
    q->stop = true;
    pthread_cond_broadcast(&q->nonfull);
    pthread_mutex_unlock(&q->mu);
    pthread_join(tid, NULL);
    for (; q->count; q->count--, q->head = (q->head + 1) % QUEUE_BATCHES)
        imp_batch_free(q->slot[q->head]);
    pthread_cond_destroy(&q->nonfull);
    pthread_cond_destroy(&q->nonempty);
    pthread_mutex_destroy(&q->mu);
}
