/* srv_route: the route table (method, path pattern, handler, body limit).
 * A pattern may end in "{id}", matched by one non-empty path segment. A
 * GET/HEAD for a path no route claims, outside /api/, is a static file
 * from web/. */
#ifndef SRV_ROUTE_H
#define SRV_ROUTE_H

#include <stdbool.h>
#include <stddef.h>

#include "srv_auth.h"
#include "srv_http.h"

typedef void (*srv_handler)(srv_req *r);

typedef struct srv_route {
    int method; /* enum evhttp_cmd_type */
    const char *pattern;
    srv_handler fn;
    size_t max_body;   /* bytes; 0: no body allowed */
    srv_action action; /* what it does: srv_auth_route() checks it before fn */
} srv_route;

extern const srv_route srv_routes[];
extern const size_t srv_nroutes;

/* The route for method and path, with *param set to the {id} segment (or
 * NULL). NULL when none matches; *other_method is then true when the path
 * exists for another method (405). */
const srv_route *srv_route_find(int method, const char *path, const char **param,
                                bool *other_method);

/* Largest max_body of any route (evhttp's own hard cap). */
size_t srv_route_max_body(void);

#endif
