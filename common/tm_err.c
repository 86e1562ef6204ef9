#include "tm_err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int tm_err_set(tm_err *e, tm_code code, const char *field, const char *fmt, ...)
{
    if (!e) return (int)code;
    e->code = code;
    /* Truncation of a field name or message is acceptable: both are for people. */
    (void)snprintf(e->field, sizeof e->field, "%s", field ? field : "");
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    return (int)code;
}

void tm_err_clear(tm_err *e)
{
    if (!e) return;
    e->code = TM_OK;
    e->field[0] = '\0';
    e->msg[0] = '\0';
}

const char *tm_code_name(tm_code code)
{
    switch (code) {
    case TM_OK:
        return "ok";
    case TM_EINVAL:
        return "invalid";
    case TM_EAUTH:
        return "unauthenticated";
    case TM_EFORBID:
        return "forbidden";
    case TM_ENOTFOUND:
        return "not_found";
    case TM_ECONFLICT:
        return "conflict";
    case TM_ESTALE:
        return "precondition_failed";
    case TM_ETOOBIG:
        return "too_large";
    case TM_EBUSY:
        return "busy";
    case TM_EINTERNAL:
        return "internal";
    }
    return "internal";
}
