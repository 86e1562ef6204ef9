/* GET /api/v1/institutions and GET /healthz. */
#include <stdlib.h>

#include "../index/idx_inst.h"
#include "api.h"
#include "api_json.h"

void api_inst_list(srv_req *r)
{
    idx_inst *v = NULL;
    size_t n = 0;
    tm_err err = {0};

    if (idx_inst_list(r->db, &v, &n, &err) != TM_OK) {
        srv_reply_error(r, &err);
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(items, api_json_inst(&v[i]));
        idx_inst_clear(&v[i]);
    }
    free(v);
    json_t *body = json_object();
    json_object_set_new(body, "total", json_integer((json_int_t)n));
    json_object_set_new(body, "items", items);
    srv_reply_json(r, 200, body);
}

void api_healthz(srv_req *r)
{
    int64_t gen = 0;
    tm_err err = {0};
    /* Healthy means the database answers, not just that the loop runs. */
    if (idx_db_catalogue_gen(r->db, &gen, &err) != TM_OK) {
        srv_reply_errorf(r, TM_EBUSY, NULL, "database unavailable");
        return;
    }
    json_t *body = json_object();
    json_object_set_new(body, "status", json_string("ok"));
    json_object_set_new(body, "schema", json_integer(idx_db_schema_version()));
    srv_reply_json(r, 200, body);
}
