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
    int count;
} slot;

static slot table[SLOTS];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static int64_t mono_s(void)
{
    return srv_now_us() / 1000000 + 1; /* never 0 */
}

static void key_of(const srv_limit_rule *rule, const char *name, uint8_t key[16])
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, 16);
    crypto_generichash_update(&st, (const unsigned char *)&rule->kind, 1);
    crypto_generichash_update(&st, (const unsigned char *)name, strlen(name));
    crypto_generichash_final(&st, key, 16);
}

static bool live(const slot *s, int64_t now)
{
    return s->start && now - s->start < s->window_s;
}

/* The slot of key (mu held), or with create a new one in place of a free or
 * expired slot, else of the oldest in its probe run. */
static slot *find(const uint8_t key[16], int window_s, int64_t now, bool create)
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
        } else if (l && victim_live && (!victim || s->start < victim->start)) {
            victim = s;
        }
    }
    if (!create) return NULL;
    memcpy(victim->key, key, 16);
    victim->start = now;
    victim->window_s = window_s;
    victim->count = 0;
    return victim;
}

int64_t srv_limit_wait(const srv_limit_rule *rule, const char *name)
{
    uint8_t key[16];
    int64_t now = mono_s();
    key_of(rule, name, key);
    pthread_mutex_lock(&mu);
    const slot *s = find(key, rule->window_s, now, false);
    int64_t wait = s && s->count >= rule->limit ? s->start + s->window_s - now : 0;
    pthread_mutex_unlock(&mu);
    return wait > 0 ? wait : 0;
}

void srv_limit_hit(const srv_limit_rule *rule, const char *name)
{
    uint8_t key[16];
    int64_t now = mono_s();
    key_of(rule, name, key);
    pthread_mutex_lock(&mu);
    find(key, rule->window_s, now, true)->count++;
    pthread_mutex_unlock(&mu);
}

void srv_limit_clear(const srv_limit_rule *rule, const char *name)
{
    uint8_t key[16];
    int64_t now = mono_s();
    key_of(rule, name, key);
    pthread_mutex_lock(&mu);
    slot *s = find(key, rule->window_s, now, false);
    if (s) s->start = 0;
    pthread_mutex_unlock(&mu);
}
