/* srv_limit: fixed windows per key, and a table that cannot be made to
 * forget a key that reached its limit. */
#include <stdio.h>

#include "../../server/srv_limit.h"
#include "../tm_test.h"

TM_TEST(a_name_waits_once_it_reached_its_limit_and_undo_and_clear_take_events_back)
{
    const srv_limit_rule r = {'t', 3, 600};
    CHECK(srv_limit_wait(&r, "a@example.org") == 0);
    for (int i = 0; i < 3; i++)
        CHECK(srv_limit_hit(&r, "a@example.org") == 0);
    int64_t w = srv_limit_wait(&r, "a@example.org");
    CHECK(w > 0 && w <= 600);
    CHECK(srv_limit_wait(&r, "b@example.org") == 0);
    srv_limit_undo(&r, "a@example.org");
    CHECK(srv_limit_wait(&r, "a@example.org") == 0);
    CHECK(srv_limit_hit(&r, "a@example.org") == 0);
    CHECK(srv_limit_wait(&r, "a@example.org") > 0);
    srv_limit_clear(&r, "a@example.org");
    CHECK(srv_limit_wait(&r, "a@example.org") == 0);
    srv_limit_undo(&r, "never seen"); /* harmless */
    CHECK(srv_limit_wait(&r, "never seen") == 0);
}

TM_TEST(a_hit_at_the_limit_is_refused_and_not_counted)
{
    /* Checking and counting are one step: of requests in flight at once,
     * exactly limit are counted and the rest told to wait. */
    const srv_limit_rule r = {'h', 2, 600};
    CHECK(srv_limit_hit(&r, "c@example.org") == 0);
    CHECK(srv_limit_hit(&r, "c@example.org") == 0);
    int64_t w = srv_limit_hit(&r, "c@example.org");
    CHECK(w > 0 && w <= 600);
    srv_limit_undo(&r, "c@example.org"); /* one of the two counted */
    CHECK(srv_limit_hit(&r, "c@example.org") == 0);
    CHECK(srv_limit_hit(&r, "c@example.org") > 0);
}

TM_TEST(kinds_are_separate_limits_for_the_same_name)
{
    const srv_limit_rule a = {'x', 1, 600}, b = {'y', 1, 600};
    CHECK(srv_limit_hit(&a, "shared") == 0);
    CHECK(srv_limit_wait(&a, "shared") > 0);
    CHECK(srv_limit_wait(&b, "shared") == 0);
}

TM_TEST(a_flood_of_new_names_never_frees_a_locked_one)
{
    /* The table holds 4096 keys; a flood of 200,000 names, each counted
     * once under a limit of 2, fills every probe run, yet a name at its
     * limit keeps its slot (failed logins spread over many emails must not
     * unlock a victim's account). */
    const srv_limit_rule lock = {'v', 1, 600}, noise = {'v', 2, 600};
    CHECK(srv_limit_hit(&lock, "victim@example.org") == 0);
    CHECK(srv_limit_wait(&lock, "victim@example.org") > 0);
    char name[64];
    for (int i = 0; i < 200000; i++) {
        (void)snprintf(name, sizeof name, "noise-%d@example.org", i);
        (void)srv_limit_hit(&noise, name);
    }
    CHECK(srv_limit_wait(&lock, "victim@example.org") > 0);
}

TM_TEST_MAIN()
