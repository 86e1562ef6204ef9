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
#include "srv_limit.h"
#include "srv_pass.h"
#include "srv_reply.h"

/* Failed logins, counted per email and per client address. */
static const srv_limit_rule fail_email = {'e', 5, 15 * 60};
static const srv_limit_rule fail_addr = {'a', 20, 15 * 60};

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
    if (!j->ok) { /* counted when submitted */
        login_free(j);
        reply_unauthenticated(r, "wrong email or password");
        return;
    }
    srv_limit_clear(&fail_email, j->email);
    srv_limit_undo(&fail_addr, j->addr); /* only failures count */
    char tok[SRV_AUTH_TOKEN_B64], csrf[SRV_AUTH_TOKEN_B64];
    uint8_t th[IDX_SESSION_HASH], ch[IDX_SESSION_HASH];
    srv_auth_secret_new(tok, th);
    srv_auth_secret_new(csrf, ch);
    int64_t now = (int64_t)time(NULL), id = 0;
    idx_actor who = {.user_id = j->user_id, .address = j->addr};
    tm_err err = {0};
    if (idx_session_create(r->db, &who, j->user_id, th, ch, now, now + r->policy->session_max_s,
                           &id, &err) != TM_OK) {
        sodium_memzero(tok, sizeof tok);
        sodium_memzero(csrf, sizeof csrf);
        login_free(j);
        srv_reply_error(r, &err);
        return;
    }
    char cookie[160];
    (void)snprintf(cookie, sizeof cookie,
                   SRV_AUTH_COOKIE "=%s; Path=/; Max-Age=%d; HttpOnly; SameSite=Strict%s", tok,
                   r->policy->session_max_s, r->policy->secure_cookies ? "; Secure" : "");
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
    int64_t wait = srv_limit_wait(&fail_email, j->email);
    int64_t wait_a = srv_limit_wait(&fail_addr, j->addr);
    if (wait_a > wait) wait = wait_a;
    if (wait > 0) {
        srv_reply_limited(r, wait, "too many failed logins; try again later");
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
    /* Counted as a failure now, taken back on success: logins in flight at
     * once must not each pass the check above. */
    wait = srv_limit_hit(&fail_email, j->email);
    wait_a = srv_limit_hit(&fail_addr, j->addr);
    if (wait > 0 || wait_a > 0) {
        if (!wait) srv_limit_undo(&fail_email, j->email);
        if (!wait_a) srv_limit_undo(&fail_addr, j->addr);
        srv_reply_limited(r, wait > wait_a ? wait : wait_a,
                          "too many failed logins; try again later");
        goto fail;
    }
    if (!srv_req_offload(r, login_work, login_done, j)) {
        srv_limit_undo(&fail_email, j->email);
        srv_limit_undo(&fail_addr, j->addr);
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
    idx_actor who = srv_auth_idx_actor(r, addr, sizeof addr);
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
