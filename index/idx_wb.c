/* idx_wb: a thread that asks the kernel to write a database file's dirty
 * pages back, each time the load that writes them says so. */
#include "idx_wb.h"

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>

#include "../common/tm_alloc.h"

#ifdef __linux__
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

struct idx_wb {
    int fd; /* SQLite's own descriptor of the file: see find_fd */
    dev_t dev;
    ino_t ino;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool kicked, stop;
};

/* SQLite's descriptor of the file at path, found by its inode among the
 * process's descriptors. We may not open one of our own: closing any
 * descriptor of a file drops all of the process's POSIX locks on it,
 * SQLite's included. Which of several SQLite holds does not matter: the
 * kernel writes back the file, not the descriptor. */
static int find_fd(const char *path, dev_t *dev, ino_t *ino)
{
    struct stat want, got;
    if (!path || !*path || stat(path, &want) != 0) return -1;
    DIR *d = opendir("/proc/self/fd");
    if (!d) return -1;
    int found = -1;
    struct dirent *e;
    while (found < 0 && (e = readdir(d))) {
        char *end;
        long fd = strtol(e->d_name, &end, 10);
        if (*end || end == e->d_name || fd < 0 || fd == dirfd(d)) continue;
        if (fstat((int)fd, &got) == 0 && S_ISREG(got.st_mode) && got.st_dev == want.st_dev &&
            got.st_ino == want.st_ino)
            found = (int)fd;
    }
    closedir(d);
    *dev = want.st_dev;
    *ino = want.st_ino;
    return found;
}

/* Whether w->fd is still the file: SQLite keeps it while the connection is
 * open, but a closed number could be reused for another file. */
static bool same_file(const idx_wb *w)
{
    struct stat st;
    return fstat(w->fd, &st) == 0 && st.st_dev == w->dev && st.st_ino == w->ino;
}

static void *wb_main(void *arg)
{
    idx_wb *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->kicked && !w->stop)
            pthread_cond_wait(&w->cv, &w->mu);
        if (w->stop) break;
        w->kicked = false;
        pthread_mutex_unlock(&w->mu);
        /* Starts writeback of what is dirty and returns; it may wait for
         * room in the device's queue, which is why it has a thread. An
         * error only means the commit's fsync does the work. */
        if (same_file(w)) (void)sync_file_range(w->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
        pthread_mutex_lock(&w->mu);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

idx_wb *idx_wb_start(sqlite3 *h)
{
    dev_t dev;
    ino_t ino;
    int fd = find_fd(sqlite3_db_filename(h, "main"), &dev, &ino);
    if (fd < 0) return NULL;
    idx_wb *w = tm_xcalloc(1, sizeof *w);
    w->fd = fd;
    w->dev = dev;
    w->ino = ino;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    /* Signals stay with the caller's threads. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&w->thread, NULL, wb_main, w);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        pthread_cond_destroy(&w->cv);
        pthread_mutex_destroy(&w->mu);
        free(w);
        return NULL;
    }
    return w;
}

void idx_wb_kick(idx_wb *w)
{
    if (!w) return;
    pthread_mutex_lock(&w->mu);
    w->kicked = true;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

void idx_wb_stop(idx_wb *w)
{
    if (!w) return;
    pthread_mutex_lock(&w->mu);
    w->stop = true;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    free(w);
}

#else

idx_wb *idx_wb_start(sqlite3 *h)
{
    (void)h;
    return NULL;
}

void idx_wb_kick(idx_wb *w)
{
    (void)w;
}

void idx_wb_stop(idx_wb *w)
{
    (void)w;
}

#endif
