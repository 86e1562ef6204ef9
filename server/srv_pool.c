#include "srv_pool.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../common/tm_alloc.h"
#include "../common/tm_log.h"

typedef struct pool_job {
    void (*work)(void *arg);
    void *arg;
    int notify_fd;
} pool_job;

struct srv_pool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pool_job *ring; /* max_queue slots */
    size_t max_queue, head, n;
    bool stopping;
    pthread_t *threads;
    int nthreads; /* started */
    int nice;     /* the workers' niceness */
};

/* Writes the 8-byte pointer; the pipe is blocking and never near full (it
 * holds thousands of pointers, the pool at most max_queue + nthreads). */
static void notify(int fd, void *arg)
{
    const char *p = (const char *)&arg;
    size_t left = sizeof arg;
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            tm_log_error("worker pool: cannot notify the event loop: %s", strerror(errno));
            abort(); /* a lost completion would leave a request hanging forever */
        }
        p += w;
        left -= (size_t)w;
    }
}

int srv_pool_default_threads(long cores)
{
    long n = cores > 2 ? 1 + (cores - 2) / 2 : 1;
    return n > 4 ? 4 : (int)n;
}

static void *worker(void *arg)
{
    srv_pool *p = arg;
    /* On Linux a thread id given to setpriority() names that thread alone.
     * Raising one's niceness cannot fail for want of privilege. */
    if (p->nice && setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), p->nice) != 0)
        tm_log_error("worker priority: %s", strerror(errno));
    for (;;) {
        pthread_mutex_lock(&p->mu);
        while (p->n == 0 && !p->stopping)
            pthread_cond_wait(&p->cv, &p->mu);
        if (p->n == 0) { /* stopping and nothing left */
            pthread_mutex_unlock(&p->mu);
            return NULL;
        }
        pool_job job = p->ring[p->head];
        p->head = (p->head + 1) % p->max_queue;
        p->n--;
        pthread_mutex_unlock(&p->mu);
        job.work(job.arg);
        notify(job.notify_fd, job.arg);
    }
}

int srv_pool_start(int nthreads, int max_queue, int nice, srv_pool **out, tm_err *err)
{
    srv_pool *p = tm_xcalloc(1, sizeof *p);
    p->nice = nice;
    *out = NULL;
    if (nthreads < 1) nthreads = 1;
    if (max_queue < 1) max_queue = 1;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    p->max_queue = (size_t)max_queue;
    p->ring = tm_xcalloc(p->max_queue, sizeof *p->ring);
    p->threads = tm_xcalloc((size_t)nthreads, sizeof *p->threads);
    for (int i = 0; i < nthreads; i++) {
        int e = pthread_create(&p->threads[i], NULL, worker, p);
        if (e != 0) {
            srv_pool_stop(p);
            return tm_err_set(err, TM_EINTERNAL, NULL, "cannot start a worker thread: %s",
                              strerror(e));
        }
        p->nthreads++;
    }
    *out = p;
    return TM_OK;
}

bool srv_pool_submit(srv_pool *p, void (*work)(void *arg), void *arg, int notify_fd)
{
    bool ok = false;
    pthread_mutex_lock(&p->mu);
    if (!p->stopping && p->n < p->max_queue) {
        p->ring[(p->head + p->n) % p->max_queue] =
            (pool_job){.work = work, .arg = arg, .notify_fd = notify_fd};
        p->n++;
        ok = true;
        pthread_cond_signal(&p->cv);
    }
    pthread_mutex_unlock(&p->mu);
    return ok;
}

void srv_pool_stop(srv_pool *p)
{
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    p->stopping = true;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->nthreads; i++)
        pthread_join(p->threads[i], NULL);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    free(p->threads);
    free(p->ring);
    free(p);
}
