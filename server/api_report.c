#include "api_report.h"

#include <stdint.h>

#include "../import/imp_report.h"

/* rep's strings are checked already (imp_report_safe_copy, validated
 * names), but a JSON reply must be UTF-8 whatever happened before. */
static void jw_safe(srv_jw *w, const char *s)
{
    char buf[512];
    imp_report_safe_copy(buf, sizeof buf, s);
    srv_jw_str(w, buf);
}

void api_report_write(srv_jw *w, const imp_report *rep)
{
    srv_jw_obj(w);
    api_report_members(w, rep);
    srv_jw_obj_end(w);
}

void api_report_members(srv_jw *w, const imp_report *rep)
{
    srv_jw_key(w, "added");
    srv_jw_int(w, (int64_t)rep->added);
    srv_jw_key(w, "updated");
    srv_jw_int(w, (int64_t)rep->updated);
    srv_jw_key(w, "unchanged");
    srv_jw_int(w, (int64_t)rep->unchanged);
    srv_jw_key(w, "rejected");
    srv_jw_int(w, (int64_t)rep->rejected);
    srv_jw_key(w, "issues");
    srv_jw_arr(w);
    for (size_t i = 0; i < rep->nissues; i++) {
        const imp_issue *is = &rep->issues[i];
        srv_jw_obj(w);
        srv_jw_key(w, "line");
        srv_jw_int(w, (int64_t)is->line);
        srv_jw_key(w, "field");
        if (is->field[0])
            jw_safe(w, is->field);
        else
            srv_jw_null(w);
        srv_jw_key(w, "message");
        jw_safe(w, is->msg);
        srv_jw_key(w, "warning");
        srv_jw_bool(w, is->warning);
        srv_jw_obj_end(w);
    }
    srv_jw_arr_end(w);
    srv_jw_key(w, "new_institutions");
    srv_jw_arr(w);
    for (size_t i = 0; i < rep->nnew_institutions; i++)
        jw_safe(w, rep->new_institutions[i]);
    srv_jw_arr_end(w);
}
