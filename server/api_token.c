/* API tokens: POST, GET /api/v1/tokens and DELETE /api/v1/tokens/{id}.
 *
 * A token is 32 random bytes in base64url, sent as `Authorization: Bearer
 * TOKEN`; only its BLAKE2b-256 hash is stored, so it is shown once, in the
 * answer that creates it. A user lists and revokes only their own tokens:
 * another user's token id is 404, as for one that does not exist. Access is
 * decided by srv_auth before and (for one token) inside these handlers. */
#include <errno.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../index/idx_token.h"
#include "api.h"
#include "srv_auth.h"
#include "srv_reply.h"

/* Unix seconds as an RFC 3339 UTC date-time. */
static json_t *time_json(int64_t t)
{
    if (!t) return json_null();
    char s[32];
    struct tm tm;
    time_t tt = (time_t)t;
    if (!gmtime_r(&tt, &tm) || !strftime(s, sizeof s, "%Y-%m-%dT%H:%M:%SZ", &tm))
        return json_null();
    return json_string(s);
}

static json_t *token_json(const idx_token *t)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(t->id));
    json_object_set_new(o, "name", json_string(t->name));
    json_object_set_new(o, "created_at", time_json(t->created_at));
    json_object_set_new(o, "last_used", time_json(t->last_used));
    return o;
}

/* Reads {"name"} into name (cap bytes); replies 400 and returns false when
 * the body is not that object. */
static bool create_parse(srv_req *r, char *name, size_t cap)
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
        srv_reply_errorf(r, TM_EINVAL, NULL, "the body must be a JSON object {\"name\"}");
        goto out;
    }
    json_object_foreach(root, key, v)
    {
        if (strcmp(key, "name") != 0) {
            srv_reply_errorf(r, TM_EINVAL, key, "unknown field");
            goto out;
        }
    }
    v = json_object_get(root, "name");
    if (!v || !json_is_string(v)) {
        srv_reply_errorf(r, TM_EINVAL, "name", "name is required, a string");
        goto out;
    }
    size_t len = json_string_length(v);
    if (len == 0 || len > IDX_TOKEN_NAME_MAX || len >= cap ||
        memchr(json_string_value(v), '\0', len)) {
        srv_reply_errorf(r, TM_EINVAL, "name", "a token's name has 1 to %d bytes",
                         IDX_TOKEN_NAME_MAX);
        goto out;
    }
    memcpy(name, json_string_value(v), len + 1);
    ok = true;
out:
    json_decref(root);
    return ok;
}

void api_token_create(srv_req *r)
{
    char name[IDX_TOKEN_NAME_MAX + 1], text[SRV_AUTH_TOKEN_B64], addr[64];
    uint8_t hash[SRV_AUTH_HASH];
    tm_err err = {0};
    int64_t id = 0, now = (int64_t)time(NULL);

    if (!create_parse(r, name, sizeof name)) return;
    srv_auth_secret_new(text, hash);
    idx_actor who = srv_auth_idx_actor(r, addr, sizeof addr);
    if (idx_token_create(r->db, &who, r->actor.user_id, hash, name, now, &id, &err) != TM_OK) {
        sodium_memzero(text, sizeof text);
        srv_reply_error(r, &err);
        return;
    }
    json_t *body = json_object();
    json_object_set_new(body, "id", json_integer(id));
    json_object_set_new(body, "name", json_string(name));
    json_object_set_new(body, "token", json_string(text));
    json_object_set_new(body, "created_at", time_json(now));
    sodium_memzero(text, sizeof text);
    srv_reply_json(r, 201, body);
}

void api_token_list(srv_req *r)
{
    idx_token *v = NULL;
    size_t n = 0;
    tm_err err = {0};
    if (idx_token_list(r->db, r->actor.user_id, &v, &n, &err) != TM_OK) {
        srv_reply_error(r, &err);
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, token_json(&v[i]));
    free(v);
    json_t *body = json_object();
    json_object_set_new(body, "items", items);
    srv_reply_json(r, 200, body);
}

/* A path id: a positive decimal integer, nothing else. */
static bool parse_id(const char *s, int64_t *id)
{
    if (!s || *s < '1' || *s > '9') return false;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || v <= 0) return false;
    *id = v;
    return true;
}

void api_token_delete(srv_req *r)
{
    int64_t id = 0;
    idx_token t;
    tm_err err = {0};
    char addr[64];

    if (!parse_id(r->param, &id)) {
        srv_reply_errorf(r, TM_ENOTFOUND, NULL, "no such token");
        return;
    }
    int code = idx_token_get(r->db, id, &t, &err);
    if (code == TM_OK) {
        srv_object obj = {.kind = SRV_OBJ_TOKEN, .owner_user_id = t.user_id};
        if (!srv_auth_allow(&r->actor, SRV_ACT_TOKEN_REVOKE, &obj)) code = TM_ENOTFOUND;
    }
    if (code == TM_OK) {
        idx_actor who = srv_auth_idx_actor(r, addr, sizeof addr);
        code = idx_token_revoke(r->db, &who, id, (int64_t)time(NULL), &err);
    }
    if (code == TM_ENOTFOUND) {
        srv_reply_errorf(r, TM_ENOTFOUND, NULL, "no such token");
        return;
    }
    if (code != TM_OK) {
        srv_reply_error(r, &err);
        return;
    }
    srv_reply_bytes(r, 204, NULL, NULL, 0);
}
