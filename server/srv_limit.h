/* srv_limit: in-memory rate limits over fixed windows, keyed by a kind and a
 * name (an email, an address, a user id).
 *
 * A key's window opens at its first counted event and lasts window_s; once
 * it holds limit events, srv_limit_wait() answers the seconds until the
 * window ends. The table is fixed (4096 keys, 8 probes): when it is full the
 * oldest live key of a probe run is forgotten, so a flood of new keys can
 * only make limits forget, never refuse an innocent key. Keys are BLAKE2b
 * hashes: no email or address is kept in memory by this module. Any thread. */
#ifndef SRV_LIMIT_H
#define SRV_LIMIT_H

#include <stdint.h>

/* One limit: events allowed per window. kind separates the uses. */
typedef struct srv_limit_rule {
    char kind;
    int limit;
    int window_s;
} srv_limit_rule;

/* Seconds until name may act again under rule (0: now). */
int64_t srv_limit_wait(const srv_limit_rule *rule, const char *name);

/* Counts one event of name under rule. */
void srv_limit_hit(const srv_limit_rule *rule, const char *name);

/* Forgets name's events under rule (after a success, for failure counts). */
void srv_limit_clear(const srv_limit_rule *rule, const char *name);

#endif
