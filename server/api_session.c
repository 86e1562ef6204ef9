/* Logging in and out: POST and DELETE /api/v1/session, GET /api/v1/me.
 *
 * A session is 32 random bytes in the cookie techmart_session (base64url),
 * stored only as its BLAKE2b-256 hash; the CSRF token given at login is
 * stored the same way. srv_auth finds the session of a request and checks
 * the CSRF token and access before these handlers run. The password is
 * verified on the worker pool; an unknown email, a disabled user and a
 * wrong password all verify a hash (a dummy one for the first two) and get
 * the same 401. Failed logins are limited per email and per client address
 * (in memory). No token, cookie or password is logged. */
#include <event2/buffer.h>
#include <event2/http.h>
#include <jansson.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/tm_alloc.h"
#include "../common/tm_log.h"
#include "../index/idx_session.h"
#include "../index/idx_user.h"
#include "api.h"
#include "srv_auth.h"
#include "srv_conn.h"
#include "srv_pass.h"
#include "srv_reply.h"

#define RL_WINDOW_S (15 * 60) /* failed logins are counted over this */
#define RL_PER_EMAIL 5        /* failures per email per window */
#define RL_PER_ADDR 20        /* failures per client address per window */
#define RL_SLOTS 4096         /* tracked emails and addresses */
#define RL_PROBE 8

/* ---- failed-login limits: a fixed table of windows, keyed by a hash */

typedef struct rl_slot {
    uint8_t key[16];
    int64_t start; /* monotonic seconds; 0: free */
    int count;
} rl_slot;

static rl_slot rl_table[RL_SLOTS];
static pthread_mutex_t rl_mu = PTHREAD_MUTEX_INITIALIZER;

static int64_t mono_s(void)
{
    return srv_now_us() / 1000000 + 1; /* never 0 */
}

static void rl_key(char kind, const char *name, uint8_t key[16])
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, 16);
    crypto_generichash_update(&st, (const unsigned char *)&kind, 1);
    crypto_generichash_update(&st, (const unsigned char *)name, strlen(name));
    crypto_generichash_final(&st, key, 16);
}

/* The slot of key (rl_mu held), or with create a new one in place of a free
 * or expired slot, else of the oldest in its probe run. */
static rl_slot *rl_find(const uint8_t key[16], int64_t now, bool create)
{
    size_t home;
    memcpy(&home, key, sizeof home);
    rl_slot *victim = NULL;
    bool victim_live = true;
    for (size_t i = 0; i < RL_PROBE; i++) {
        rl_slot *s = &rl_table[(home + i) % RL_SLOTS];
        bool live = s->start && now - s->start < RL_WINDOW_S;
        if (live && !memcmp(s->key, key, 16)) return s;
        if (!live && victim_live) { /* a free slot beats any live one */
            victim = s;
            victim_live = false;
        } else if (live && victim_live && (!victim || s->start < victim->start)) {
            victim = s;
        }
    }
    if (!create) return NULL;
    memcpy(victim->key, key, 16);
    victim->start = now;
    victim->count = 0;
    return victim;
}

/* Seconds until name may try again (0: now). */
static int64_t rl_wait(char kind, const char *name, int limit, int64_t now)
{
    uint8_t key[16];
    rl_key(kind, name, key);
    pthread_mutex_lock(&rl_mu);
    const rl_slot *s = rl_find(key, now, false);
    int64_t wait = s && s->count >= limit ? s->start + RL_WINDOW_S - now : 0;
    pthread_mutex_unlock(&rl_mu);
    return wait > 0 ? wait : 0;
}

static void rl_fail(char kind, const char *name, int64_t now)
{
    uint8_t key[16];
    rl_key(kind, name, key);
    pthread_mutex_lock(&rl_mu);
    rl_find(key, now, true)->count++;
    pthread_mutex_unlock(&rl_mu);
}

static void rl_clear(char kind, const char *name, int64_t now)
{
    uint8_t key[16];
    rl_key(kind, name, key);
    pthread_mutex_lock(&rl_mu);
    rl_slot *s = rl_find(key, now, false);
    if (s) s->start = 0;
    pthread_mutex_unlock(&rl_mu);
}

/* ---- helpers */

static void reply_unauthenticated(srv_req *r, const char *msg)
{
    srv_reply_problem(r, 401, tm_code_name(TM_EAUTH), NULL, msg);
}

static json_t *user_json(int64_t id, const char *email, const char *role, int64_t inst)
{
    json_t *u = json_object();
    json_object_set_new(u, "id", json_integer(id));
    json_object_set_new(u, "email", json_string(email));
    json_object_set_new(u, "role", json_string(role));
    json_object_set_new(u, "institution_id", inst ? json_integer(inst) : json_null());
    return u;
}

/* ---- POST /api/v1/session */

typedef struct login_job {
    char *pw; /* wiped and freed by the worker's caller */
    size_t pwlen;
    char hash[SRV_PASS_HASH_CAP];
    bool known; /* an enabled user with that email */
    bool ok;    /* set by the worker */
    int64_t user_id, institution_id;
    char email[IDX_EMAIL_MAX + 1];
    char role[16];
    char addr[64];
} login_job;

static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;
static char dummy_hash[SRV_PASS_HASH_CAP];

/* A hash of a random password nobody knows, verified for unknown emails so
 * that they cost what a known one does. */
static void dummy_init(void)
{
    char pw[SRV_PASS_GEN_LEN + 1];
    tm_err err = {0};
    srv_pass_generate(pw);
    if (srv_pass_hash(pw, strlen(pw), dummy_hash, &err) != TM_OK) dummy_hash[0] = '\0';
    sodium_memzero(pw, sizeof pw);
}

static void login_free(login_job *j)
{
    if (!j) return;
    if (j->pw) {
        sodium_memzero(j->pw, j->pwlen);
        free(j->pw);
    }
    sodium_memzero(j, sizeof *j);
    free(j);
}

static void login_work(void *arg)
{
    login_job *j = arg;
    pthread_once(&dummy_once, dummy_init);
    bool match = srv_pass_verify(j->known ? j->hash : dummy_hash, j->pw, j->pwlen);
    j->ok = match && j->known;
    sodium_memzero(j->pw, j->pwlen);
}

static void login_done(srv_req *r, void *arg)
{
    login_job *j = arg;
    if (!r) {
        login_free(j);
        return;
    }
    int64_t mono = mono_s();
    if (!j->ok) {
        rl_fail('e', j->email, mono);
        rl_fail('a', j->addr, mono);
        login_free(j);
        reply_unauthenticated(r, "wrong email or password");
        return;
    }
    rl_clear('e', j->email, mono);
    char tok[SRV_AUTH_TOKEN_B64], csrf[SRV_AUTH_TOKEN_B64];
    uint8_t th[IDX_SESSION_HASH], ch[IDX_SESSION_HASH];
    srv_auth_secret_new(tok, th);
    srv_auth_secret_new(csrf, ch);
    int64_t now = (int64_t)time(NULL), id = 0;
    idx_actor who = {.user_id = j->user_id, .address = j->addr};
    tm_err err = {0};
    if (idx_session_create(r->db, &who, j->user_id, th, ch, now, now + SRV_AUTH_SESSION_ABS_S, &id,
                           &err) != TM_OK) {
        sodium_memzero(tok, sizeof tok);
        sodium_memzero(csrf, sizeof csrf);
        login_free(j);
        srv_reply_error(r, &err);
        return;
    }
    char cookie[160];
    (void)snprintf(cookie, sizeof cookie,
                   SRV_AUTH_COOKIE "=%s; Path=/; Max-Age=%d; HttpOnly; SameSite=Strict%s", tok,
                   SRV_AUTH_SESSION_ABS_S, r->secure_cookies ? "; Secure" : "");
    evhttp_add_header(evhttp_request_get_output_headers(r->ev), "Set-Cookie", cookie);
    json_t *body = json_object();
    json_object_set_new(body, "user", user_json(j->user_id, j->email, j->role, j->institution_id));
    json_object_set_new(body, "csrf_token", json_string(csrf));
    sodium_memzero(cookie, sizeof cookie);
    sodium_memzero(tok, sizeof tok);
    sodium_memzero(csrf, sizeof csrf);
    login_free(j);
    srv_reply_json(r, 201, body);
}

/* Reads {"email","password"} into j (email lower-cased when it is an
 * address, else as sent); replies 400 itself and returns false when the
 * body is not that object. */
static bool login_parse(srv_req *r, login_job *j)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(r->ev);
    size_t n = evbuffer_get_length(in);
    const char *data = n ? (const char *)evbuffer_pullup(in, (ev_ssize_t)n) : "";
    json_error_t jerr;
    json_t *root = json_loadb(data, n, JSON_REJECT_DUPLICATES, &jerr);
    bool ok = false;
    const char *key;
    json_t *v;
    if (!root || !json_is_object(root)) {
        srv_reply_errorf(r, TM_EINVAL, NULL,
                         "the body must be a JSON object {\"email\", \"password\"}");
        goto out;
    }
    json_object_foreach(root, key, v)
    {
        if (strcmp(key, "email") != 0 && strcmp(key, "password") != 0) {
            srv_reply_errorf(r, TM_EINVAL, key, "unknown field");
            goto out;
        }
        if (!json_is_string(v)) {
            srv_reply_errorf(r, TM_EINVAL, key, "must be a string");
            goto out;
        }
    }
    json_t *email = json_object_get(root, "email"), *pw = json_object_get(root, "password");
    if (!email) {
        srv_reply_errorf(r, TM_EINVAL, "email", "email is required");
        goto out;
    }
    if (!pw) {
        srv_reply_errorf(r, TM_EINVAL, "password", "password is required");
        goto out;
    }
    size_t elen = json_string_length(email), plen = json_string_length(pw);
    if (elen == 0 || elen > IDX_EMAIL_MAX) {
        srv_reply_errorf(r, TM_EINVAL, "email", "an email address has 1 to %d bytes",
                         IDX_EMAIL_MAX);
        goto out;
    }
    if (plen == 0 || plen > SRV_PASS_MAX) {
        srv_reply_errorf(r, TM_EINVAL, "password", "a password has 1 to %d bytes", SRV_PASS_MAX);
        goto out;
    }
    tm_err err = {0};
    if (idx_user_email_normalize(json_string_value(email), j->email, sizeof j->email, &err) !=
        TM_OK)
        (void)snprintf(j->email, sizeof j->email, "%s", json_string_value(email));
    j->pw = tm_xmalloc(plen);
    memcpy(j->pw, json_string_value(pw), plen);
    j->pwlen = plen;
    ok = true;
out:
    if (root) {
        /* The parsed password lives in Jansson's string too. */
        json_t *p = json_is_object(root) ? json_object_get(root, "password") : NULL;
        if (p && json_is_string(p))
            sodium_memzero((void *)json_string_value(p), json_string_length(p));
        json_decref(root);
    }
    return ok;
}

void api_session_create(srv_req *r)
{
    login_job *j = tm_xcalloc(1, sizeof *j);
    tm_err err = {0};
    idx_user u = {0};
    char *hash = NULL;

    if (!login_parse(r, j)) goto fail;
    srv_auth_address(r, j->addr, sizeof j->addr);
    int64_t mono = mono_s();
    int64_t wait = rl_wait('e', j->email, RL_PER_EMAIL, mono);
    int64_t wait_a = rl_wait('a', j->addr, RL_PER_ADDR, mono);
    if (wait_a > wait) wait = wait_a;
    if (wait > 0) {
        char s[24];
        (void)snprintf(s, sizeof s, "%lld", (long long)wait);
        evhttp_add_header(evhttp_request_get_output_headers(r->ev), "Retry-After", s);
        srv_reply_problem(r, 429, "rate_limited", NULL, "too many failed logins; try again later");
        goto fail;
    }
    int code = idx_user_find(r->db, j->email, &u, &hash, &err);
    if (code == TM_OK && !u.disabled && hash && strlen(hash) < sizeof j->hash) {
        j->known = true;
        memcpy(j->hash, hash, strlen(hash) + 1);
        j->user_id = u.id;
        j->institution_id = u.institution_id;
        (void)snprintf(j->role, sizeof j->role, "%s", u.role ? u.role : "");
    } else if (code != TM_OK && code != TM_ENOTFOUND) {
        srv_reply_error(r, &err);
        goto fail;
    }
    if (hash) {
        sodium_memzero(hash, strlen(hash));
        free(hash);
        hash = NULL;
    }
    idx_user_clear(&u);
    if (!srv_req_offload(r, login_work, login_done, j)) {
        srv_reply_errorf(r, TM_EBUSY, NULL, "too many logins at once; try again");
        goto fail;
    }
    return;
fail:
    if (hash) {
        sodium_memzero(hash, strlen(hash));
        free(hash);
    }
    idx_user_clear(&u);
    login_free(j);
}

/* ---- DELETE /api/v1/session */

void api_session_delete(srv_req *r)
{
    tm_err err = {0};
    if (r->actor.via != SRV_VIA_COOKIE) {
        /* A bearer token is revoked with DELETE /api/v1/tokens/{id}. */
        reply_unauthenticated(r, "not logged in with a session cookie");
        return;
    }
    char addr[64];
    srv_auth_address(r, addr, sizeof addr);
    idx_actor who = {.user_id = r->actor.user_id, .address = addr};
    int code =
        idx_session_revoke(r->db, &who, r->actor.session_id, (int64_t)time(NULL), "logout", &err);
    if (code == TM_ENOTFOUND) {
        reply_unauthenticated(r, "not logged in");
        return;
    }
    if (code != TM_OK) {
        srv_reply_error(r, &err);
        return;
    }
    evhttp_add_header(evhttp_request_get_output_headers(r->ev), "Set-Cookie",
                      SRV_AUTH_COOKIE "=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict");
    srv_reply_bytes(r, 204, NULL, NULL, 0);
}

/* ---- GET /api/v1/me */

void api_me(srv_req *r)
{
    const srv_actor *a = &r->actor;
    srv_reply_json(r, 200, user_json(a->user_id, a->email, a->role_name, a->institution_id));
}
