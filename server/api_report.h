/* api_report: an import report (import/imp.h) as JSON, the one shape that
 * POST /api/v1/imports answers and `techmart import --json` prints per file:
 * {"added", "updated", "unchanged", "rejected", "issues": [{"line", "field",
 * "message", "warning"}], "new_institutions": [...]} (docs/openapi.yaml's
 * schema, which allows no other member). Any thread; writes through srv_jw
 * (no Jansson tree). */
#ifndef API_REPORT_H
#define API_REPORT_H

#include "../import/imp.h"
#include "srv_jw.h"

/* Writes rep as one JSON object (the next value of w). */
void api_report_write(srv_jw *w, const imp_report *rep);
/* The same members without the braces, for an object with more of them
 * (the command line's per-file reports). */
void api_report_members(srv_jw *w, const imp_report *rep);

#endif
