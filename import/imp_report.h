/* imp_report: the internal side of an import report (import/imp.h has the
 * public one): adding issues and new institutions, and taking a file back
 * out of a report when the file fails as a whole. Only the importer's
 * writer thread touches a report. */
#ifndef IMP_REPORT_H
#define IMP_REPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "imp.h"

/* Copies s into out[cap] with control characters and invalid UTF-8 shown as
 * '?', so that no input can put escape sequences on a terminal. */
void imp_report_safe_copy(char *out, size_t cap, const char *s);

/* Grows an array of elem-sized items holding n to room for n + 1, doubling
 * at powers of two (no capacity field needed). */
void *imp_report_grow(void *p, size_t n, size_t elem);

/* Appends an issue (kept up to IMP_MAX_ISSUES); the counts are the
 * caller's. */
void imp_report_add_issue(imp_report *rep, const char *file, size_t line, bool warning,
                          const char *field, const char *msg);
/* Records a new institution's name once. */
void imp_report_add_institution(imp_report *rep, const char *name);

/* What a report held before a file, to take the file back out of it when the
 * file fails as a whole (nothing of it is stored). */
typedef struct imp_report_mark {
    size_t added, updated, unchanged, rejected, warnings, nissues, nnew;
} imp_report_mark;

imp_report_mark imp_report_mark_take(const imp_report *rep);
void imp_report_mark_restore(imp_report *rep, const imp_report_mark *m);

#endif
