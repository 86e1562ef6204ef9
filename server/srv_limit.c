#include "srv_limit.h"

#include <pthread.h>
#include <sodium.h>
#include <stdbool.h>
#include <string.h>

#include "srv_conn.h"

#define SLOTS 4096
#define PROBE 8

typedef struct slot {
    uint8_t key[16];
    int64_t start; /* monotonic seconds; 0: free */
    int window_s;
    int limit; /* the rule's, so a full slot is never given away */
    int count;
} slot;

static slot table[SLOTS];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

/* Keys are hashed with a secret made at start: nobody can compute which
 * names share a probe run, so nobody can push a chosen name's slot out. */
static uint8_t secret[crypto_generichash_KEYBYTES];
static pthread_once_t secret_once = PTHREAD_ONCE_INIT;

static void secret_init(void)
{
    randombytes_buf(secret, sizeof secret);
}

static int64_t mono_s(void)
{
    return srv_now_us() / 1000000 + 1; /* never 0 */
}

static void key_of(const srv_limit_rule *rule, const char *name, uint8_t key[16])
{
    crypto_generichash_state st;
    pthread_once(&secret_once, secret_init);
    crypto_generichash_init(&st, secret, sizeof secret, 16);
    crypto_generichash_update(&st, (const unsigned char *)&rule->kind, 1);
    crypto_generichash_update(&st, (const unsigned char *)name, strlen(name));
    crypto_generichash_final(&st, key, 16);
}

static bool live(const slot *s, int64_t now)
{
    return s->start && now - s->start < s->window_s;
}

/* The slot of key (mu held), or with create a new one in place of a free or
 * expired slot, else of the oldest live one still under its limit: a name
 * that reached its limit keeps its slot for its window. NULL when there is
 * none (or !create): that name is not tracked now. */
static slot *find(const uint8_t key[16], const srv_limit_rule *rule, int64_t now, bool create)
{
    size_t home;
    memcpy(&home, key, sizeof home);
    slot *victim = NULL;
    bool victim_live = true;
    for (size_t i = 0; i < PROBE; i++) {
        slot *s = &table[(home + i) % SLOTS];
        bool l = live(s, now);
        if (l && !memcmp(s->key, key, 16)) return s;
        if (!l && victim_live) { /* a free slot beats any live one */
            victim = s;
            victim_live = false;
        } else if (l && victim_live && s->count < s->limit &&
                   (!victim || s->start < victim->start)) {
            victim = s;
        }
    }
    if (!create || !victim) return NULL;
    memcpy(victim->key, key, 16);
    victim->start = now;
    victim->window_s = rule->window_s;
    victim->limit = rule->limit;
    victim->count = 0;
    return victim;
}

typedef enum { OP_WAIT, OP_HIT, OP_CLEAR, OP_UNDO } op;

/* Applies o to name's slot under rule; for OP_WAIT and OP_HIT, the seconds
 * to wait (OP_HIT counts only when that is 0: the check and the count are
 * one step under the mutex). */
static int64_t apply(const srv_limit_rule *rule, const char *name, op o)
{
    uint8_t key[16];
    int64_t now = mono_s(), wait = 0;
    key_of(rule, name, key);
    pthread_mutex_lock(&mu);
    slot *s = find(key, rule, now, o == OP_HIT);
    if (s && (o == OP_WAIT || o == OP_HIT) && s->count >= rule->limit)
        wait = s->start + s->window_s - now;
    else if (s && o == OP_HIT)
        s->count++;
    if (s && o == OP_CLEAR) s->start = 0;
    if (s && o == OP_UNDO && s->count > 0) s->count--;
    pthread_mutex_unlock(&mu);
    return wait > 0 ? wait : 0;
}

int64_t srv_limit_wait(const srv_limit_rule *rule, const char *name)
{
    return apply(rule, name, OP_WAIT);
}

int64_t srv_limit_hit(const srv_limit_rule *rule, const char *name)
{
    return apply(rule, name, OP_HIT);
}

void srv_limit_clear(const srv_limit_rule *rule, const char *name)
{
    (void)apply(rule, name, OP_CLEAR);
}

void srv_limit_undo(const srv_limit_rule *rule, const char *name)
{
    (void)apply(rule, name, OP_UNDO);
}
