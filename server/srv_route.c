#include "srv_route.h"

#include <event2/http.h>
#include <string.h>

#include "api.h"

/* Every route of the server. A new route needs a row here (and, from issue
 * 3 on, a row in the authorization matrix test, tests/api/test_authz_matrix.py). */
const srv_route srv_routes[] = {
    {EVHTTP_REQ_GET, "/healthz", api_healthz, 0, SRV_ACT_HEALTH},
    {EVHTTP_REQ_GET, "/api/v1/technologies", api_tech_search, 0, SRV_ACT_SEARCH},
    {EVHTTP_REQ_GET, "/api/v1/technologies/export", api_export, 0, SRV_ACT_TECH_EXPORT},
    {EVHTTP_REQ_GET, "/api/v1/technologies/{id}", api_tech_get, 0, SRV_ACT_TECH_READ},
    {EVHTTP_REQ_POST, "/api/v1/technologies", api_tech_create, 262144, SRV_ACT_TECH_CREATE},
    {EVHTTP_REQ_PATCH, "/api/v1/technologies/{id}", api_tech_patch, 262144, SRV_ACT_TECH_EDIT},
    {EVHTTP_REQ_DELETE, "/api/v1/technologies/{id}", api_tech_delete, 0, SRV_ACT_TECH_WITHDRAW},
    /* evhttp 2.1 reads a whole body before dispatch, up to the largest route's
     * limit on every route: so uploads stay small (a few thousand records;
     * the CLI takes any size), and a hostile client holds at most this much
     * per connection. */
    {EVHTTP_REQ_POST, "/api/v1/imports", api_import, 2u << 20, SRV_ACT_TECH_IMPORT},
    {EVHTTP_REQ_GET, "/api/v1/institutions", api_inst_list, 0, SRV_ACT_INST_LIST},
    {EVHTTP_REQ_POST, "/api/v1/session", api_session_create, 4096, SRV_ACT_LOGIN},
    {EVHTTP_REQ_DELETE, "/api/v1/session", api_session_delete, 0, SRV_ACT_LOGOUT},
    {EVHTTP_REQ_GET, "/api/v1/me", api_me, 0, SRV_ACT_ME},
    {EVHTTP_REQ_POST, "/api/v1/tokens", api_token_create, 4096, SRV_ACT_TOKEN_CREATE},
    {EVHTTP_REQ_GET, "/api/v1/tokens", api_token_list, 0, SRV_ACT_TOKEN_LIST},
    {EVHTTP_REQ_DELETE, "/api/v1/tokens/{id}", api_token_delete, 0, SRV_ACT_TOKEN_REVOKE},
    {EVHTTP_REQ_POST, "/api/v1/users", api_user_create, 8192, SRV_ACT_USER_CREATE},
    {EVHTTP_REQ_GET, "/api/v1/audit", api_audit_list, 0, SRV_ACT_AUDIT_READ},
    {EVHTTP_REQ_POST, "/api/v1/me/password", api_password_change, 4096, SRV_ACT_PASSWORD},
    {EVHTTP_REQ_POST, "/api/v1/institutions", api_inst_create, 8192, SRV_ACT_INST_CREATE},
};
const size_t srv_nroutes = sizeof srv_routes / sizeof srv_routes[0];

/* Matches path against pattern; a trailing "{id}" takes one segment of 1
 * to 19 decimal digits (ids are positive 64-bit integers), so a named
 * sibling such as /api/v1/technologies/export is never taken for an id, and
 * a non-numeric id is an unknown path (404). */
static bool route_match(const char *pattern, const char *path, const char **param)
{
    const char *brace = strchr(pattern, '{');
    *param = NULL;
    if (!brace) return strcmp(pattern, path) == 0;
    size_t prefix = (size_t)(brace - pattern);
    if (strncmp(pattern, path, prefix) != 0) return false;
    const char *seg = path + prefix;
    size_t digits = strspn(seg, "0123456789");
    if (digits == 0 || digits > 19 || seg[digits] != '\0') return false;
    *param = seg;
    return true;
}

const srv_route *srv_route_find(int method, const char *path, const char **param,
                                bool *other_method)
{
    *other_method = false;
    *param = NULL;
    int want = method == EVHTTP_REQ_HEAD ? EVHTTP_REQ_GET : method;
    for (size_t i = 0; i < srv_nroutes; i++) {
        const char *p;
        if (!route_match(srv_routes[i].pattern, path, &p)) continue;
        if (srv_routes[i].method == want) {
            *param = p;
            return &srv_routes[i];
        }
        *other_method = true;
    }
    return NULL;
}

size_t srv_route_max_body(void)
{
    size_t max = 0;
    for (size_t i = 0; i < srv_nroutes; i++)
        if (srv_routes[i].max_body > max) max = srv_routes[i].max_body;
    return max;
}
