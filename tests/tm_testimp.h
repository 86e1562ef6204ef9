/* tm_testimp: what the importer's tests share: an import of a text, and
 * its report as imp_report_print writes it. */
#ifndef TM_TESTIMP_H
#define TM_TESTIMP_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "../import/imp.h"
#include "tm_test.h"

static inline int tm_testimp_text(idx_db *db, const char *name, imp_format fmt, const char *text,
                                  const imp_opts *opts, imp_report *rep, tm_err *err)
{
    FILE *f = fmemopen((void *)text, strlen(text), "rb");
    CHECK(f != NULL);
    if (!f) return TM_EINTERNAL;
    int code = imp_stream(db, f, name, fmt, opts, rep, err);
    fclose(f);
    return code;
}

/* The report as imp_report_print writes it. Free the result. */
static inline char *tm_testimp_report(const imp_report *rep)
{
    char *p = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&p, &n);
    imp_report_print(rep, NULL, f);
    fclose(f);
    return p;
}

/* Whether text has line as a whole line. */
static inline bool tm_testimp_has_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = text; (p = strstr(p, line)); p++)
        if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0')) return true;
    return false;
}

#endif
