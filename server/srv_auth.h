/* srv_auth: who is asking (authentication) and whether they may (the one
 * authorization function).
 *
 * A request authenticates with the session cookie techmart_session or with
 * `Authorization: Bearer TOKEN` (an API token). Both secrets are 32 random
 * bytes in base64url, stored only as their BLAKE2b-256 hash; the lookup is
 * by hash, then compared again with sodium_memcmp. A missing, malformed,
 * unknown, revoked or expired credential, or one of a disabled user, makes
 * the request anonymous. When an Authorization header is present, the
 * cookie is not looked at.
 *
 * Dispatch calls srv_auth_route() for every routed request before the
 * handler: it sets r->actor, requires X-CSRF-Token on a state-changing
 * request (POST, PUT, PATCH, DELETE) made with the cookie (403, field
 * X-CSRF-Token; a bearer request needs none), then asks srv_auth_allow()
 * about the route's action: 401 when anonymous and refused, 403 when
 * signed in and refused. Handlers that act on one object ask
 * srv_auth_allow() again with that object. No handler decides access
 * itself. */
#ifndef SRV_AUTH_H
#define SRV_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/tm_err.h"
#include "../index/idx_audit.h"

#define SRV_AUTH_COOKIE "techmart_session"
#define SRV_AUTH_HASH 32      /* bytes of a secret's hash */
#define SRV_AUTH_TOKEN_B64 44 /* base64url of 32 bytes, no padding, + NUL */

struct srv_req;

typedef enum srv_role {
    SRV_ROLE_NONE, /* anonymous */
    SRV_ROLE_COMPANY,
    SRV_ROLE_TTO,
    SRV_ROLE_STAFF,
    SRV_ROLE_ADMIN
} srv_role;

typedef enum srv_via { SRV_VIA_NONE, SRV_VIA_COOKIE, SRV_VIA_BEARER } srv_via;

/* The acting user of a request; user_id 0 (role NONE) is anonymous. */
typedef struct srv_actor {
    int64_t user_id;
    srv_role role;
    int64_t institution_id; /* 0: none */
    char email[256];
    char role_name[16];
    srv_via via;
    int64_t session_id;               /* via the cookie */
    uint8_t csrf_hash[SRV_AUTH_HASH]; /* via the cookie */
    int64_t token_id;                 /* via a bearer token */
} srv_actor;

/* What a route does. A new route adds its action here and a rule to
 * srv_auth_allow(). */
typedef enum srv_action {
    SRV_ACT_HEALTH,
    SRV_ACT_SEARCH,
    SRV_ACT_TECH_READ,
    SRV_ACT_INST_LIST,
    SRV_ACT_LOGIN, /* ignores any credential sent with it */
    SRV_ACT_LOGOUT,
    SRV_ACT_ME,
    SRV_ACT_TOKEN_CREATE,
    SRV_ACT_TOKEN_LIST,
    SRV_ACT_TOKEN_REVOKE,
    SRV_ACT_TECH_CREATE,   /* obj: the institution the new technology is for */
    SRV_ACT_TECH_EDIT,     /* PATCH, re-listing included */
    SRV_ACT_TECH_WITHDRAW, /* DELETE */
    SRV_ACT_TECH_IMPORT,   /* POST /api/v1/imports; obj: the institution forced, if any */
    SRV_ACT_TECH_EXPORT,   /* GET /api/v1/technologies/export; obj: the institution (0: all) */
    SRV_ACT_USER_CREATE,   /* POST /api/v1/users: anonymous registers a company, admin any */
    SRV_ACT_AUDIT_READ,    /* GET /api/v1/audit: staff and admins */
    SRV_ACT_PASSWORD,      /* POST /api/v1/me/password: one's own */
    SRV_ACT_INST_CREATE,   /* POST /api/v1/institutions: admins */
    SRV_ACT__COUNT
} srv_action;

typedef enum srv_object_kind { SRV_OBJ_TOKEN = 1, SRV_OBJ_TECH } srv_object_kind;

/* The object of an action: its kind, the user who owns it and the
 * institution it belongs to (0: none); withdrawn for a withdrawn technology
 * (hidden from all but its institution's TTOs, staff and admins). */
typedef struct srv_object {
    srv_object_kind kind;
    int64_t owner_user_id;
    int64_t institution_id;
    bool withdrawn;
} srv_object;

/* The role named (company, tto, staff, admin); SRV_ROLE_NONE otherwise. */
srv_role srv_role_of(const char *name);

/* Whether who may perform act on obj. obj NULL asks whether who may perform
 * act at all (on some object): the route-level question dispatch asks. */
bool srv_auth_allow(const srv_actor *who, srv_action act, const srv_object *obj);

/* Sets *who from r's credentials (anonymous when it has none valid).
 * Refreshes a session's last_seen or a token's last_used (at most once a
 * minute). Fails only when the database does. */
int srv_auth_identify(struct srv_req *r, srv_actor *who, tm_err *err) TM_MUST_CHECK;

/* Dispatch's check before a route's handler (see above): true when the
 * handler may run; otherwise it has replied (401, 403 or 500). */
bool srv_auth_route(struct srv_req *r, srv_action act);

/* A new random secret: its base64url text and its hash. */
void srv_auth_secret_new(char text[SRV_AUTH_TOKEN_B64], uint8_t hash[SRV_AUTH_HASH]);

/* The hash of a base64url secret; false (and a hash of nothing) when b64 is
 * NULL or not 32 bytes of base64url. */
bool srv_auth_secret_hash(const char *b64, uint8_t hash[SRV_AUTH_HASH]);

/* The peer address of r ("-" when unknown), for the audit log. */
void srv_auth_address(struct srv_req *r, char *out, size_t cap);

/* Who r's audit rows name: its acting user and its peer address, written
 * into addr (cap bytes; the result points into it, so addr must outlive it). */
idx_actor srv_auth_idx_actor(struct srv_req *r, char *addr, size_t cap);

#endif
