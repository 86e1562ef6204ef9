/* srv_pool: how many hashing threads a machine gets, and the priority its
 * workers run at (the hashing pool lowered, the writers' pool not). */
#include <stdint.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../../server/srv_pool.h"
#include "../tm_test.h"

TM_TEST(hashing_threads_are_one_up_to_two_cores_then_one_per_two_more_at_most_four)
{
    CHECK(srv_pool_default_threads(0) == 1); /* unknown */
    CHECK(srv_pool_default_threads(1) == 1);
    CHECK(srv_pool_default_threads(2) == 1);
    CHECK(srv_pool_default_threads(3) == 1);
    CHECK(srv_pool_default_threads(4) == 2);
    CHECK(srv_pool_default_threads(8) == 4);
    CHECK(srv_pool_default_threads(64) == 4);
}

static void record_nice(void *arg)
{
    int *out = arg;
    *out = getpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid));
}

/* The niceness a worker of a pool started with nice runs at. */
static int worker_nice(int nice)
{
    int fds[2], seen = -100;
    srv_pool *p = NULL;
    tm_err err = {0};
    if (pipe(fds) != 0) return -200;
    if (srv_pool_start(1, 1, nice, &p, &err) == TM_OK &&
        srv_pool_submit(p, record_nice, &seen, fds[1])) {
        void *done = NULL;
        if (read(fds[0], &done, sizeof done) != (ssize_t)sizeof done || done != &seen) seen = -300;
    }
    srv_pool_stop(p);
    close(fds[0]);
    close(fds[1]);
    return seen;
}

TM_TEST(a_pools_workers_run_at_its_niceness_and_a_pool_without_one_at_the_process_s)
{
    /* The niceness is set, not added: a process already nicer keeps its own. */
    int base = getpriority(PRIO_PROCESS, 0);
    if (base <= SRV_POOL_NICE) CHECK(worker_nice(SRV_POOL_NICE) == SRV_POOL_NICE);
    CHECK(worker_nice(0) == base);
}

TM_TEST_MAIN()
