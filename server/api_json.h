/* api_json: technologies (srv_jw, the hot path) and institutions (Jansson)
 * as the API's JSON, and query parameters parsed with errors that name the
 * parameter. */
#ifndef API_JSON_H
#define API_JSON_H

#include <jansson.h>
#include <stdint.h>

#include "../index/idx_inst.h"
#include "../index/idx_tech.h"
#include "srv_http.h"
#include "srv_jw.h"

/* The whole record (GET /api/v1/technologies/{id}) as one object. */
void api_jw_tech(srv_jw *w, const idx_tech *t);
/* The members every search item carries (inside an open object). */
void api_jw_tech_brief(srv_jw *w, const idx_tech *t);
/* An institution. New reference. */
json_t *api_json_inst(const idx_inst *in);

/* Query parameter name of r as an integer in [min, max]: *out keeps its value
 * when the parameter is absent or empty; TM_EINVAL naming it otherwise. */
int api_param_int(srv_req *r, const char *name, int min, int max, int *out, tm_err *err);
/* Query parameter name parsed by parse (idx_*_parse): -1 kept when absent. */
int api_param_enum(srv_req *r, const char *name, int (*parse)(const char *),
                   const char *(*name_of)(int), int count, int *out, tm_err *err);
/* The raw value, or NULL when absent or empty. */
const char *api_param(srv_req *r, const char *name);

/* The request body as a JSON object (new reference), or NULL with TM_EINVAL
 * when it is not one (duplicate keys refused). */
json_t *api_body_object(srv_req *r, tm_err *err);

#endif
