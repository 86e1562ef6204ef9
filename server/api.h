/* api: the route handlers of /api/v1 and /healthz, and the static files. */
#ifndef API_H
#define API_H

#include "srv_http.h"

void api_healthz(srv_req *r);
void api_tech_search(srv_req *r);
/* The search's query parameters (q, filters, sort, paging) into *req:
 * TM_EINVAL naming the parameter at fault (api_tech.c). */
int api_tech_search_parse(srv_req *r, idx_search_req *req, tm_err *err);
/* GET /api/v1/technologies/export: the search's matches as a streamed
 * CSV or JSONL file (api_export.c). */
void api_export(srv_req *r);
void api_tech_get(srv_req *r);
void api_inst_list(srv_req *r);
/* POST /api/v1/session: log in (the password is verified on the pool). */
void api_session_create(srv_req *r);
/* DELETE /api/v1/session: log out (needs X-CSRF-Token). */
void api_session_delete(srv_req *r);
/* GET /api/v1/me: the logged-in user. */
void api_me(srv_req *r);
/* POST /api/v1/tokens: a new API token of the caller, shown once. */
void api_token_create(srv_req *r);
/* GET /api/v1/tokens: the caller's tokens, without secrets. */
void api_token_list(srv_req *r);
/* DELETE /api/v1/tokens/{id}: revokes one of the caller's tokens. */
void api_token_delete(srv_req *r);
/* POST /api/v1/technologies: a new listing (api_listing.c). */
void api_tech_create(srv_req *r);
/* PATCH /api/v1/technologies/{id}: changes a listing (If-Match required). */
void api_tech_patch(srv_req *r);
/* DELETE /api/v1/technologies/{id}: withdraws a listing, never erases it. */
void api_tech_delete(srv_req *r);
/* POST /api/v1/imports: a CSV/JSONL file of technologies (api_import.c). */
void api_import(srv_req *r);
/* POST /api/v1/users: company self-registration, or an admin adds a user
 * (api_user.c). */
void api_user_create(srv_req *r);
/* POST /api/v1/institutions (admins). */
void api_inst_create(srv_req *r);
/* POST /api/v1/me/password. */
void api_password_change(srv_req *r);
/* GET /api/v1/audit: the audit log, filtered and paged (api_audit.c). */
void api_audit_list(srv_req *r);
/* Adds `ETag: "<version>"` to r's reply headers. */
void api_tech_etag(srv_req *r, int64_t version);
/* Serves a file under r->web_root ("/" is index.html), never outside it. */
void srv_static_serve(srv_req *r);

#endif
