/* srv_limit: in-memory rate limits over fixed windows, keyed by a kind and a
 * name (an email, an address, a user id).
 *
 * A key's window opens at its first counted event and lasts window_s; once
 * it holds limit events, srv_limit_wait() answers the seconds until the
 * window ends. The table is fixed (4096 keys, 8 probes): when a probe run is
 * full, the oldest key still under its limit is forgotten, never one that
 * reached it, so a flood of new keys can neither refuse an innocent name nor
 * free a locked one; keys are BLAKE2b hashes keyed with a secret made at
 * start, so nobody can aim names at a chosen run. No email or address is
 * kept in memory by this module. Any thread.
 *
 * Count an attempt before its slow work starts (srv_limit_hit), not after:
 * requests in flight at once must not each pass the check. Take the count
 * back (srv_limit_undo) when the attempt is not made after all, or did not
 * count (a success where only failures are limited). */
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

/* Counts one event of name under rule unless name is at its limit: 0 when
 * counted, else the seconds until it may act (nothing counted). Checking
 * with srv_limit_wait and then counting would let requests in flight at
 * once each pass the check. */
int64_t srv_limit_hit(const srv_limit_rule *rule, const char *name);

/* Takes one event of name back (never below 0). */
void srv_limit_undo(const srv_limit_rule *rule, const char *name);

/* Forgets name's events under rule (after a success, for failure counts). */
void srv_limit_clear(const srv_limit_rule *rule, const char *name);

#endif
