/* srv_pool: a small fixed pool of worker threads for slow work that must not
 * run on an event loop (argon2id: ~100 ms and 64 MiB a call, so the number
 * of threads caps the memory too), with a bounded queue.
 *
 * srv_pool_submit() runs on any thread and never blocks: a full queue is
 * refused at once (the caller answers 503). A worker runs work(arg), then
 * writes the pointer arg (8 bytes, atomic on a pipe) to notify_fd; the
 * submitting event loop reads it from the pipe's other end and finishes the
 * job on its own thread. The pool never touches arg after that write.
 *
 * A pool's workers may run at a lower CPU priority (niceness): the hashing
 * pool does (SRV_POOL_NICE), so on a machine with few cores hashing takes
 * the CPU the event loops leave and searches keep their latency while logins
 * run (make bench, phase e2). The writers' pool (uploads) does not: a job
 * holding SQLite's write lock must not be slowed, or the loops' own short
 * writes wait on it.
 *
 * srv_pool_stop() lets the workers finish every queued job (each one still
 * notifies), then joins them: call it once no loop will submit again and
 * while the notify pipes are still open. */
#ifndef SRV_POOL_H
#define SRV_POOL_H

#include <stdbool.h>
#include <stddef.h>

#include "../common/tm_err.h"

#define SRV_POOL_QUEUE 16 /* default pending jobs at most */
#define SRV_POOL_NICE 10  /* workers' niceness */

/* Default worker threads for cores: one per two cores beyond the first two
 * (the event loops' share), at least 1, at most 4 (each hash takes 64 MiB). */
int srv_pool_default_threads(long cores);

typedef struct srv_pool srv_pool;

/* Starts nthreads workers (>= 1) at niceness nice (0: the process's) with
 * room for max_queue waiting jobs (>= 1). */
int srv_pool_start(int nthreads, int max_queue, int nice, srv_pool **out,
                   tm_err *err) TM_MUST_CHECK;

/* Queues work(arg); false (nothing queued) when the queue is full or the
 * pool is stopping. notify_fd: a pipe's write end (blocking). */
bool srv_pool_submit(srv_pool *p, void (*work)(void *arg), void *arg, int notify_fd);

/* Finishes the queued jobs, joins the workers and frees p; NULL is a no-op. */
void srv_pool_stop(srv_pool *p);

#endif
