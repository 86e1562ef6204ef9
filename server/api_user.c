/* Accounts over HTTP: POST /api/v1/users.
 *
 * Anonymous callers register a company: {"email", "password", "institution":
 * {"name", "name_en"?}} makes a new institution of kind company and a
 * company user of it. An admin creates any role: {"email", "password"?,
 * "role", "institution_id"?} (company and tto users need an existing
 * institution; without a password a strong one is generated and returned
 * once, in the 201 body). Every other signed-in caller is refused by
 * srv_auth (403). A member the caller may not set (role, institution_id,
 * disabled from an anonymous caller; id, version, created_at, updated_at
 * from anyone) or does not exist is a 400 naming it.
 *
 * Registration tells whether an email or an institution name is taken (409
 * naming email or institution.name), as most products do; logging in never
 * does. The duplicate checks run after the password is hashed, so the
 * answers cost the same. The password is checked against srv_pass's policy
 * (400, field password, never repeated) and hashed on the worker pool (503
 * when it is full); the institution, the user and their audit rows
 * (institution.add, user.add) are one write transaction.
 *
 * Sign-ups are limited per client address (policy registrations_per_hour,
 * every attempt that reaches hashing counts, since each costs 64 MiB of
 * argon2id; 429 with Retry-After past it; 0 turns sign-up off: 403). */
#include <event2/buffer.h>
#include <event2/http.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/tm_alloc.h"
#include "../index/idx_audit.h"
#include "../index/idx_enum.h"
#include "../index/idx_inst.h"
#include "../index/idx_user.h"
#include "api.h"
#include "srv_auth.h"
#include "srv_limit.h"
#include "srv_pass.h"
#include "srv_reply.h"

#define INST_NAME_MAX 200 /* bytes of an institution's name */

/* Members nobody sets: the server owns them. */
static const char *const server_fields[] = {"id", "version", "created_at", "updated_at", NULL};
/* Members only an admin sets. */
static const char *const admin_fields[] = {"role", "institution_id", "disabled", NULL};

typedef struct user_job {
    char email[IDX_EMAIL_MAX + 1];
    char role[16];
    int64_t institution_id;    /* admin: the existing institution, 0: none */
    char *inst_name, *inst_en; /* registration: the new institution */
    char *pw;                  /* wiped when hashed */
    size_t pwlen;
    bool generated; /* pw was generated: return it once */
    char shown[SRV_PASS_GEN_LEN + 1];
    char hash[SRV_PASS_HASH_CAP];
    int hash_code; /* set by the worker */
    char addr[64];
    int64_t actor_id;
} user_job;

static void job_free(user_job *j)
{
    if (!j) return;
    if (j->pw) {
        sodium_memzero(j->pw, j->pwlen);
        free(j->pw);
    }
    free(j->inst_name);
    free(j->inst_en);
    sodium_memzero(j, sizeof *j);
    free(j);
}

static bool listed(const char *const *names, const char *key)
{
    for (size_t i = 0; names[i]; i++)
        if (!strcmp(names[i], key)) return true;
    return false;
}

/* A string member of 1..max bytes without NUL and not only blanks into
 * *out (tm_xstrdup); TM_EINVAL naming field otherwise. */
static int name_member(const json_t *v, const char *field, char **out, tm_err *err)
{
    if (!json_is_string(v)) return tm_err_set(err, TM_EINVAL, field, "must be a string");
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    if (len == 0 || len > INST_NAME_MAX || memchr(s, '\0', len) || strspn(s, " \t\r\n") == len)
        return tm_err_set(err, TM_EINVAL, field, "an institution's name has 1 to %d bytes",
                          INST_NAME_MAX);
    *out = tm_xstrdup(s);
    return TM_OK;
}

/* The new institution of a registration: {"name", "name_en"?}. */
static int parse_institution(const json_t *v, user_job *j, tm_err *err)
{
    const char *key;
    json_t *m;
    if (!json_is_object(v))
        return tm_err_set(err, TM_EINVAL, "institution", "must be an object {\"name\"}");
    json_object_foreach((json_t *)v, key, m)
    {
        if (strcmp(key, "name") != 0 && strcmp(key, "name_en") != 0) {
            char field[80];
            (void)snprintf(field, sizeof field, "institution.%.60s", key);
            return tm_err_set(err, TM_EINVAL, field, "unknown field");
        }
    }
    const json_t *name = json_object_get(v, "name"), *en = json_object_get(v, "name_en");
    if (!name) return tm_err_set(err, TM_EINVAL, "institution.name", "is required");
    int code = name_member(name, "institution.name", &j->inst_name, err);
    if (code == TM_OK && en && !json_is_null(en))
        code = name_member(en, "institution.name_en", &j->inst_en, err);
    return code;
}

/* Reads and checks the body into j (admin: the admin form). */
static int parse(srv_req *r, bool admin, user_job *j, tm_err *err)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(r->ev);
    size_t n = evbuffer_get_length(in);
    const char *data = n ? (const char *)evbuffer_pullup(in, (ev_ssize_t)n) : "";
    json_error_t jerr;
    json_t *root = json_loadb(data, n, JSON_REJECT_DUPLICATES, &jerr);
    const char *key;
    json_t *v;
    int code = TM_OK;

    if (!root || !json_is_object(root)) {
        code = tm_err_set(err, TM_EINVAL, NULL, "the body must be a JSON object");
        goto out;
    }
    json_object_foreach(root, key, v)
    {
        if (listed(server_fields, key)) {
            code = tm_err_set(err, TM_EINVAL, key, "is set by the server, not by you");
            goto out;
        }
        if (!admin && listed(admin_fields, key)) {
            code = tm_err_set(err, TM_EINVAL, key, "only an admin sets it");
            goto out;
        }
        bool known = !strcmp(key, "email") || !strcmp(key, "password") ||
                     (admin ? !strcmp(key, "role") || !strcmp(key, "institution_id")
                            : !strcmp(key, "institution"));
        if (!known) {
            code = tm_err_set(err, TM_EINVAL, key, "unknown field");
            goto out;
        }
    }
    v = json_object_get(root, "email");
    if (!v || !json_is_string(v)) {
        code = tm_err_set(err, TM_EINVAL, "email", "email is required, a string");
        goto out;
    }
    if (json_string_length(v) > IDX_EMAIL_MAX ||
        memchr(json_string_value(v), '\0', json_string_length(v))) {
        code = tm_err_set(err, TM_EINVAL, "email", "not an email address");
        goto out;
    }
    if ((code = idx_user_email_normalize(json_string_value(v), j->email, sizeof j->email, err)) !=
        TM_OK)
        goto out;
    if (admin) {
        v = json_object_get(root, "role");
        if (!v || !json_is_string(v) || !idx_user_role_valid(json_string_value(v))) {
            code = tm_err_set(err, TM_EINVAL, "role", "role must be company, tto, staff or admin");
            goto out;
        }
        (void)snprintf(j->role, sizeof j->role, "%s", json_string_value(v));
        v = json_object_get(root, "institution_id");
        if (v && !json_is_null(v) && (!json_is_integer(v) || json_integer_value(v) <= 0)) {
            code = tm_err_set(err, TM_EINVAL, "institution_id", "must be a positive integer");
            goto out;
        }
        j->institution_id = v && json_is_integer(v) ? json_integer_value(v) : 0;
        if (!j->institution_id && idx_user_role_needs_institution(j->role)) {
            code = tm_err_set(err, TM_EINVAL, "institution_id", "a %s user needs an institution",
                              j->role);
            goto out;
        }
    } else {
        (void)snprintf(j->role, sizeof j->role, "company");
        v = json_object_get(root, "institution");
        if (!v) {
            code = tm_err_set(err, TM_EINVAL, "institution", "is required: {\"name\"}");
            goto out;
        }
        if ((code = parse_institution(v, j, err)) != TM_OK) goto out;
    }
    v = json_object_get(root, "password");
    if (!v && admin) {
        srv_pass_generate(j->shown);
        j->generated = true;
        j->pwlen = strlen(j->shown);
        j->pw = tm_xmalloc(j->pwlen);
        memcpy(j->pw, j->shown, j->pwlen);
    } else if (!v || !json_is_string(v)) {
        code = tm_err_set(err, TM_EINVAL, "password", "password is required, a string");
        goto out;
    } else {
        size_t len = json_string_length(v);
        if ((code = srv_pass_check(json_string_value(v), len, err)) != TM_OK) goto out;
        j->pw = tm_xmalloc(len);
        memcpy(j->pw, json_string_value(v), len);
        j->pwlen = len;
    }
out:
    if (root) {
        /* The parsed password lives in Jansson's string too. */
        json_t *p = json_is_object(root) ? json_object_get(root, "password") : NULL;
        if (p && json_is_string(p))
            sodium_memzero((void *)json_string_value(p), json_string_length(p));
        json_decref(root);
    }
    return code;
}

static void user_work(void *arg)
{
    user_job *j = arg;
    tm_err err = {0};
    j->hash_code = srv_pass_hash(j->pw, j->pwlen, j->hash, &err);
    sodium_memzero(j->pw, j->pwlen);
}

/* The new company institution (conflicts: 409 naming the member); audited. */
static int add_institution(srv_req *r, const idx_actor *who, user_job *j, tm_err *err)
{
    idx_inst in = {.name = j->inst_name, .name_en = j->inst_en, .kind = IDX_KIND_COMPANY};
    int code = idx_inst_add(r->db, who, &in, &j->institution_id, err);
    if (code == TM_ECONFLICT)
        tm_err_set(err, TM_ECONFLICT,
                   strcmp(err->field, "name_en") == 0 ? "institution.name_en" : "institution.name",
                   "this institution exists");
    return code;
}

static void user_done(srv_req *r, void *arg)
{
    user_job *j = arg;
    tm_err err = {0};
    int64_t id = 0;
    int code;

    if (!r) goto out;
    if (j->hash_code != TM_OK) {
        srv_reply_errorf(r, TM_EBUSY, NULL, "too many accounts at once; try again");
        goto out;
    }
    idx_actor who = {.user_id = j->actor_id, .address = j->addr};
    if ((code = idx_db_begin_write(r->db, &err)) == TM_OK) {
        if ((!j->inst_name || (code = add_institution(r, &who, j, &err)) == TM_OK) &&
            (code = idx_user_add(r->db, &who, j->email, j->role, j->institution_id, j->hash, &id,
                                 &err)) == TM_OK)
            code = idx_db_commit(r->db, &err);
        if (code != TM_OK) idx_db_rollback(r->db);
    }
    if (code == TM_ENOTFOUND && err.field[0] && !strcmp(err.field, "institution"))
        code = tm_err_set(&err, TM_EINVAL, "institution_id", "no institution with this id");
    if (code != TM_OK) {
        srv_reply_error(r, &err);
        goto out;
    }
    json_t *body = json_object();
    json_object_set_new(body, "id", json_integer(id));
    json_object_set_new(body, "email", json_string(j->email));
    json_object_set_new(body, "role", json_string(j->role));
    json_object_set_new(body, "institution_id",
                        j->institution_id ? json_integer(j->institution_id) : json_null());
    if (j->generated) json_object_set_new(body, "password", json_string(j->shown));
    srv_reply_json(r, 201, body);
out:
    job_free(j);
}

void api_user_create(srv_req *r)
{
    user_job *j = tm_xcalloc(1, sizeof *j);
    tm_err err = {0};
    if (parse(r, r->actor.role == SRV_ROLE_ADMIN, j, &err) != TM_OK) {
        srv_reply_error(r, &err);
        job_free(j);
        return;
    }
    srv_auth_address(r, j->addr, sizeof j->addr);
    if (r->actor.role != SRV_ROLE_ADMIN) {
        const srv_limit_rule signup = {'r', r->policy->registrations_per_hour, 3600};
        int64_t wait = signup.limit ? srv_limit_wait(&signup, j->addr) : 0;
        if (!signup.limit)
            srv_reply_errorf(r, TM_EFORBID, NULL, "sign-up is turned off on this server");
        else if (wait > 0)
            srv_reply_limited(r, wait, "too many sign-ups from this address; try again later");
        if (!signup.limit || wait > 0) {
            job_free(j);
            return;
        }
        if ((wait = srv_limit_hit(&signup, j->addr)) > 0) { /* another sign-up got there first */
            srv_reply_limited(r, wait, "too many sign-ups from this address; try again later");
            job_free(j);
            return;
        }
    }
    j->actor_id = r->actor.user_id;
    if (!srv_req_offload(r, user_work, user_done, j)) {
        srv_reply_errorf(r, TM_EBUSY, NULL, "too many accounts at once; try again");
        job_free(j);
    }
}
