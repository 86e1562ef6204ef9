/* Account administration over HTTP: POST /api/v1/institutions (admins) and
 * POST /api/v1/me/password (anyone signed in, for themselves).
 *
 * An institution body is checked by the importer's validator (imp_rec_inst:
 * name required, name_en, kind, groups), so a rule is the same whether the
 * institution comes from a file or from here; any other member (id,
 * created_at, ...) is a 400 naming it. A taken name is 409.
 *
 * A password change needs the current password (verified, like the new one
 * hashed, on the worker pool); a wrong one is 403 naming current_password
 * and counts towards a per-user limit (5 per 15 minutes, then 429). The new
 * hash and the revocation of the user's other login sessions are one
 * transaction; the session the change is made from stays, API tokens stay. */
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/tm_alloc.h"
#include "../import/imp_rec.h"
#include "../index/idx_inst.h"
#include "../index/idx_user.h"
#include "api.h"
#include "api_json.h"
#include "srv_auth.h"
#include "srv_limit.h"
#include "srv_pass.h"
#include "srv_reply.h"

/* ---- POST /api/v1/institutions */

static void first_unknown(void *arg, const char *name)
{
    char *out = arg;
    if (!out[0]) (void)snprintf(out, 64, "%s", name);
}

void api_inst_create(srv_req *r)
{
    tm_err err = {0};
    idx_inst in = {0};
    char unknown[64] = "", addr[64];
    json_t *body = api_body_object(r, &err);
    if (!body) goto fail;
    imp_rec_opts ro = {.unknown = first_unknown, .arg = unknown};
    if (imp_rec_inst(body, &ro, &in, &err) != TM_OK) goto fail;
    if (unknown[0]) {
        tm_err_set(&err, TM_EINVAL, unknown, "unknown field, or one the server sets");
        goto fail;
    }
    if (in.kind < 0) in.kind = IDX_KIND_OTHER;
    idx_actor who = srv_auth_idx_actor(r, addr, sizeof addr);
    if (idx_inst_add(r->db, &who, &in, &in.id, &err) != TM_OK) goto fail;
    json_decref(body);
    srv_reply_json(r, 201, api_json_inst(&in));
    idx_inst_clear(&in);
    return;
fail:
    json_decref(body);
    idx_inst_clear(&in);
    srv_reply_error(r, &err);
}

/* ---- POST /api/v1/me/password */

/* Wrong current passwords, per user. */
static const srv_limit_rule wrong_current = {'c', 5, 15 * 60};

typedef struct pw_job {
    char *current, *next; /* wiped and freed by job_free */
    size_t current_len, next_len;
    char hash[SRV_PASS_HASH_CAP]; /* the stored one, then the new one */
    bool verified;
    int hash_code;
    char email[256];
    int64_t user_id, keep_session, version;
    char addr[64];
} pw_job;

static void job_free(pw_job *j)
{
    if (!j) return;
    if (j->current) sodium_memzero(j->current, j->current_len);
    if (j->next) sodium_memzero(j->next, j->next_len);
    free(j->current);
    free(j->next);
    sodium_memzero(j, sizeof *j);
    free(j);
}

static void pw_work(void *arg)
{
    pw_job *j = arg;
    tm_err err = {0};
    j->verified = srv_pass_verify(j->hash, j->current, j->current_len);
    sodium_memzero(j->hash, sizeof j->hash);
    if (j->verified) j->hash_code = srv_pass_hash(j->next, j->next_len, j->hash, &err);
}

static void pw_done(srv_req *r, void *arg)
{
    pw_job *j = arg;
    tm_err err = {0};
    if (!r) goto out;
    if (!j->verified) { /* counted when submitted */
        srv_reply_errorf(r, TM_EFORBID, "current_password", "the current password is wrong");
        goto out;
    }
    srv_limit_clear(&wrong_current, j->email);
    if (j->hash_code != TM_OK) {
        srv_reply_errorf(r, TM_EBUSY, NULL, "too many password changes at once; try again");
        goto out;
    }
    idx_actor who = {.user_id = j->user_id, .address = j->addr};
    if (idx_user_change_password(r->db, &who, j->email, j->hash, j->keep_session, j->version,
                                 &err) != TM_OK) {
        srv_reply_error(r, &err);
        goto out;
    }
    srv_reply_bytes(r, 204, NULL, NULL, 0);
out:
    job_free(j);
}

/* A string member of body copied into *out (wiped later); TM_EINVAL naming
 * it when absent or not a string. */
static int take_secret(json_t *body, const char *name, char **out, size_t *len, tm_err *err)
{
    json_t *v = json_object_get(body, name);
    if (!json_is_string(v))
        return tm_err_set(err, TM_EINVAL, name, v ? "must be a string" : "is required");
    *len = json_string_length(v);
    *out = tm_xmalloc(*len + 1);
    memcpy(*out, json_string_value(v), *len + 1);
    sodium_memzero((void *)json_string_value(v), *len);
    return TM_OK;
}

static int pw_parse(srv_req *r, pw_job *j, tm_err *err)
{
    json_t *body = api_body_object(r, err);
    const char *key;
    json_t *v;
    int code = body ? TM_OK : err->code;
    if (body) json_object_foreach(body, key, v)
        {
            if (code == TM_OK && strcmp(key, "current_password") != 0 &&
                strcmp(key, "new_password") != 0)
                code = tm_err_set(err, TM_EINVAL, key, "unknown field");
        }
    if (code == TM_OK)
        code = take_secret(body, "current_password", &j->current, &j->current_len, err);
    if (code == TM_OK) code = take_secret(body, "new_password", &j->next, &j->next_len, err);
    if (code == TM_OK && j->current_len > SRV_PASS_MAX)
        code = tm_err_set(err, TM_EINVAL, "current_password", "a password has at most %d bytes",
                          SRV_PASS_MAX);
    if (code == TM_OK && (code = srv_pass_check(j->next, j->next_len, err)) != TM_OK)
        (void)snprintf(err->field, sizeof err->field, "new_password");
    if (code == TM_OK && j->next_len == j->current_len &&
        sodium_memcmp(j->next, j->current, j->next_len) == 0)
        code = tm_err_set(err, TM_EINVAL, "new_password", "must differ from the current password");
    json_decref(body);
    return code;
}

void api_password_change(srv_req *r)
{
    pw_job *j = tm_xcalloc(1, sizeof *j);
    tm_err err = {0};
    idx_user u = {0};
    char *hash = NULL;
    int code = pw_parse(r, j, &err);
    if (code != TM_OK) goto fail;
    (void)snprintf(j->email, sizeof j->email, "%s", r->actor.email);
    int64_t wait = srv_limit_wait(&wrong_current, j->email);
    if (wait > 0) {
        srv_reply_limited(r, wait, "too many wrong passwords; try again later");
        goto done;
    }
    if ((code = idx_user_find(r->db, j->email, &u, &hash, &err)) != TM_OK) goto fail;
    if (!hash || strlen(hash) >= sizeof j->hash) {
        code = tm_err_set(&err, TM_EINTERNAL, NULL, "stored password hash unreadable");
        goto fail;
    }
    memcpy(j->hash, hash, strlen(hash) + 1);
    j->version = u.version; /* the hash verified is this version's */
    j->user_id = r->actor.user_id;
    j->keep_session = r->actor.via == SRV_VIA_COOKIE ? r->actor.session_id : 0;
    srv_auth_address(r, j->addr, sizeof j->addr);
    /* Counted now, taken back on success (see srv_limit.h). */
    if ((wait = srv_limit_hit(&wrong_current, j->email)) > 0) {
        srv_reply_limited(r, wait, "too many wrong passwords; try again later");
        goto done;
    }
    if (!srv_req_offload(r, pw_work, pw_done, j)) {
        srv_limit_undo(&wrong_current, j->email);
        code = tm_err_set(&err, TM_EBUSY, NULL, "too many password changes at once; try again");
        goto fail;
    }
    j = NULL; /* the pool's now */
    goto done;
fail:
    srv_reply_error(r, &err);
done:
    if (hash) {
        sodium_memzero(hash, strlen(hash));
        free(hash);
    }
    idx_user_clear(&u);
    job_free(j);
}
