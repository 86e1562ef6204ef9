#include "srv_auth.h"

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <time.h>

#include "../common/tm_log.h"
#include "../index/idx_session.h"
#include "../index/idx_token.h"
#include "srv_http.h"
#include "srv_reply.h"

#define TOUCH_S 60 /* last_seen / last_used are written at most this often */
#define TOKEN_BYTES 32

_Static_assert(SRV_AUTH_TOKEN_B64 == sizeof "" + 43, "base64url of 32 bytes is 43 characters");
_Static_assert(SRV_AUTH_HASH == IDX_SESSION_HASH && SRV_AUTH_HASH == IDX_TOKEN_HASH,
               "one hash size");

srv_role srv_role_of(const char *name)
{
    static const struct {
        const char *name;
        srv_role role;
    } roles[] = {{"company", SRV_ROLE_COMPANY},
                 {"tto", SRV_ROLE_TTO},
                 {"staff", SRV_ROLE_STAFF},
                 {"admin", SRV_ROLE_ADMIN}};
    for (size_t i = 0; name && i < sizeof roles / sizeof roles[0]; i++)
        if (!strcmp(name, roles[i].name)) return roles[i].role;
    return SRV_ROLE_NONE;
}

/* ---- authorization: every rule is here */

bool srv_auth_allow(const srv_actor *who, srv_action act, const srv_object *obj)
{
    bool signed_in = who && who->user_id > 0 && who->role != SRV_ROLE_NONE;
    bool editor = signed_in && (who->role == SRV_ROLE_TTO || who->role == SRV_ROLE_STAFF ||
                                who->role == SRV_ROLE_ADMIN);
    /* Staff and admins act on every technology; a TTO on its institution's. */
    bool tech_owner = signed_in && obj && obj->kind == SRV_OBJ_TECH &&
                      (who->role == SRV_ROLE_STAFF || who->role == SRV_ROLE_ADMIN ||
                       (who->role == SRV_ROLE_TTO && who->institution_id > 0 &&
                        who->institution_id == obj->institution_id));
    switch (act) {
    case SRV_ACT_TECH_READ:
        /* A withdrawn technology is seen only by those who may edit it. */
        return !obj || (obj->kind == SRV_OBJ_TECH && (!obj->withdrawn || tech_owner));
    case SRV_ACT_TECH_CREATE:
    case SRV_ACT_TECH_EDIT:
    case SRV_ACT_TECH_WITHDRAW:
    case SRV_ACT_TECH_IMPORT:
        /* Companies and the public edit nothing in the catalogue. */
        return obj ? tech_owner : editor;
    case SRV_ACT_TECH_EXPORT:
        /* Withdrawn listings included: staff and admins export everything,
         * a TTO its own institution's only. */
        return obj ? tech_owner : editor;
    case SRV_ACT_HEALTH:
    case SRV_ACT_SEARCH:
    case SRV_ACT_INST_LIST:
    case SRV_ACT_LOGIN:
        return true; /* public */
    case SRV_ACT_LOGOUT:
    case SRV_ACT_ME:
    case SRV_ACT_PASSWORD:
    case SRV_ACT_TOKEN_CREATE:
    case SRV_ACT_TOKEN_LIST:
        return signed_in; /* about oneself */
    case SRV_ACT_USER_CREATE:
        /* Anonymous callers register a company; of the signed-in, admins only. */
        return !signed_in || who->role == SRV_ROLE_ADMIN;
    case SRV_ACT_INST_CREATE:
        return signed_in && who->role == SRV_ROLE_ADMIN;
    case SRV_ACT_AUDIT_READ:
        /* The log names every user and address: staff and admins only. */
        return signed_in && (who->role == SRV_ROLE_STAFF || who->role == SRV_ROLE_ADMIN);
    case SRV_ACT_TOKEN_REVOKE:
        /* Only the owner, whatever the role: a token is a user's own. */
        if (!signed_in) return false;
        return !obj || (obj->kind == SRV_OBJ_TOKEN && obj->owner_user_id == who->user_id);
    case SRV_ACT__COUNT:
        break;
    }
    return false;
}

/* ---- secrets */

bool srv_auth_secret_hash(const char *b64, uint8_t out[SRV_AUTH_HASH])
{
    uint8_t raw[TOKEN_BYTES];
    size_t n = 0;
    bool ok = b64 && strlen(b64) == SRV_AUTH_TOKEN_B64 - 1 &&
              sodium_base642bin(raw, sizeof raw, b64, SRV_AUTH_TOKEN_B64 - 1, NULL, &n, NULL,
                                sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0 &&
              n == TOKEN_BYTES;
    crypto_generichash(out, SRV_AUTH_HASH, raw, ok ? TOKEN_BYTES : 0, NULL, 0);
    sodium_memzero(raw, sizeof raw);
    return ok;
}

void srv_auth_secret_new(char text[SRV_AUTH_TOKEN_B64], uint8_t hash[SRV_AUTH_HASH])
{
    uint8_t raw[TOKEN_BYTES];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2base64(text, SRV_AUTH_TOKEN_B64, raw, sizeof raw,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    crypto_generichash(hash, SRV_AUTH_HASH, raw, sizeof raw, NULL, 0);
    sodium_memzero(raw, sizeof raw);
}

void srv_auth_address(srv_req *r, char *out, size_t cap)
{
    struct evhttp_connection *evcon = evhttp_request_get_connection(r->ev);
    char *addr = NULL;
    ev_uint16_t port = 0;
    if (evcon) evhttp_connection_get_peer(evcon, &addr, &port);
    (void)snprintf(out, cap, "%s", addr ? addr : "-");
}

idx_actor srv_auth_idx_actor(srv_req *r, char *addr, size_t cap)
{
    srv_auth_address(r, addr, cap);
    return (idx_actor){.user_id = r->actor.user_id, .address = addr};
}

/* ---- authentication */

/* The value of the session cookie in r's Cookie header(s), copied to out;
 * false when absent or not token-sized. */
static bool cookie_token(srv_req *r, char out[SRV_AUTH_TOKEN_B64])
{
    const struct evkeyvalq *h = evhttp_request_get_input_headers(r->ev);
    const struct evkeyval *kv;
    static const char name[] = SRV_AUTH_COOKIE "=";
    TAILQ_FOREACH(kv, h, next)
    {
        if (strcasecmp(kv->key, "Cookie") != 0) continue;
        for (const char *p = kv->value; p && *p;) {
            p += strspn(p, " \t;");
            size_t len = strcspn(p, ";");
            if (len > sizeof name - 1 && !strncmp(p, name, sizeof name - 1)) {
                size_t vlen = len - (sizeof name - 1);
                while (vlen > 0 && (p[sizeof name - 2 + vlen] == ' '))
                    vlen--;
                if (vlen != SRV_AUTH_TOKEN_B64 - 1) return false;
                memcpy(out, p + sizeof name - 1, vlen);
                out[vlen] = '\0';
                return true;
            }
            p += len;
        }
    }
    return false;
}

static void actor_user(srv_actor *who, int64_t user_id, const char *email, const char *role,
                       int64_t inst)
{
    who->user_id = user_id;
    who->role = srv_role_of(role);
    who->institution_id = inst;
    (void)snprintf(who->email, sizeof who->email, "%s", email);
    (void)snprintf(who->role_name, sizeof who->role_name, "%s", role);
}

static int by_session(srv_req *r, srv_actor *who, tm_err *err)
{
    char tok[SRV_AUTH_TOKEN_B64];
    uint8_t h[SRV_AUTH_HASH];
    idx_session s;
    if (!cookie_token(r, tok)) return TM_OK;
    bool ok = srv_auth_secret_hash(tok, h);
    sodium_memzero(tok, sizeof tok);
    if (!ok) return TM_OK;
    int code = idx_session_find(r->db, h, &s, err);
    if (code == TM_ENOTFOUND) return TM_OK;
    if (code != TM_OK) return code;
    int64_t now = (int64_t)time(NULL);
    if (now >= s.expires_at || now - s.last_seen >= r->policy->session_idle_s || s.user_disabled)
        return TM_OK;
    if (now - s.last_seen >= TOUCH_S) {
        /* Best effort, never waiting for a lock: a stamp missed now is
         * written by a later request (the idle limit is hours, TOUCH_S a
         * minute). */
        tm_err terr = {0};
        idx_db_busy_wait(r->db, 0);
        if (idx_session_touch(r->db, s.id, now, &terr) != TM_OK && terr.code != TM_EBUSY)
            tm_log_error("session touch: %s", terr.msg);
        idx_db_busy_wait(r->db, IDX_DB_BUSY_MS);
    }
    actor_user(who, s.user_id, s.email, s.role, s.institution_id);
    who->via = SRV_VIA_COOKIE;
    who->session_id = s.id;
    memcpy(who->csrf_hash, s.csrf_hash, SRV_AUTH_HASH);
    return TM_OK;
}

static int by_bearer(srv_req *r, const char *auth, srv_actor *who, tm_err *err)
{
    static const char scheme[] = "Bearer ";
    uint8_t h[SRV_AUTH_HASH];
    idx_token_auth t;
    if (strncasecmp(auth, scheme, sizeof scheme - 1) != 0) return TM_OK;
    const char *tok = auth + sizeof scheme - 1;
    tok += strspn(tok, " ");
    if (!srv_auth_secret_hash(tok, h)) return TM_OK;
    int code = idx_token_find(r->db, h, &t, err);
    if (code == TM_ENOTFOUND) return TM_OK;
    if (code != TM_OK) return code;
    if (t.user_disabled) return TM_OK;
    int64_t now = (int64_t)time(NULL);
    if (now - t.last_used >= TOUCH_S) {
        tm_err terr = {0};
        idx_db_busy_wait(r->db, 0); /* best effort, as for sessions */
        if (idx_token_touch(r->db, t.id, now, &terr) != TM_OK && terr.code != TM_EBUSY)
            tm_log_error("token touch: %s", terr.msg);
        idx_db_busy_wait(r->db, IDX_DB_BUSY_MS);
    }
    actor_user(who, t.user_id, t.email, t.role, t.institution_id);
    who->via = SRV_VIA_BEARER;
    who->token_id = t.id;
    return TM_OK;
}

int srv_auth_identify(srv_req *r, srv_actor *who, tm_err *err)
{
    memset(who, 0, sizeof *who);
    const char *auth = evhttp_find_header(evhttp_request_get_input_headers(r->ev), "Authorization");
    int code = auth ? by_bearer(r, auth, who, err) : by_session(r, who, err);
    if (code != TM_OK || who->role == SRV_ROLE_NONE) {
        sodium_memzero(who, sizeof *who); /* an unknown role acts as nobody */
    }
    return code;
}

static bool changes_state(int method)
{
    return method == EVHTTP_REQ_POST || method == EVHTTP_REQ_PUT || method == EVHTTP_REQ_PATCH ||
           method == EVHTTP_REQ_DELETE;
}

bool srv_auth_route(srv_req *r, srv_action act)
{
    tm_err err = {0};
    memset(&r->actor, 0, sizeof r->actor);
    if (act != SRV_ACT_LOGIN && srv_auth_identify(r, &r->actor, &err) != TM_OK) {
        srv_reply_error(r, &err);
        return false;
    }
    if (r->actor.via == SRV_VIA_COOKIE && changes_state(evhttp_request_get_command(r->ev))) {
        const char *csrf =
            evhttp_find_header(evhttp_request_get_input_headers(r->ev), "X-CSRF-Token");
        uint8_t h[SRV_AUTH_HASH];
        bool ok = srv_auth_secret_hash(csrf, h);
        if (!ok || sodium_memcmp(h, r->actor.csrf_hash, SRV_AUTH_HASH) != 0) {
            srv_reply_errorf(r, TM_EFORBID, "X-CSRF-Token",
                             "a request made with the session cookie needs its X-CSRF-Token");
            return false;
        }
    }
    if (srv_auth_allow(&r->actor, act, NULL)) return true;
    if (r->actor.user_id == 0)
        srv_reply_problem(r, 401, tm_code_name(TM_EAUTH), NULL, "not logged in");
    else
        srv_reply_errorf(r, TM_EFORBID, NULL, "your role may not do this");
    return false;
}
