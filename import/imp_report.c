/* imp_report: what an import did, as counts and issues, and how it is
 * printed. */
#include "imp_report.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../common/tm_alloc.h"
#include "../common/tm_utf8.h"

/* New institution names printed in a report before "and N more". */
#define IMP_NAMES_SHOWN 20

/* Copies s into out[cap] with control characters and invalid UTF-8 shown as
 * '?', so that no input can put escape sequences on a terminal. */
void imp_report_safe_copy(char *out, size_t cap, const char *s)
{
    size_t o = 0, n = s ? strlen(s) : 0, i = 0;
    while (i < n) {
        const unsigned char *u = (const unsigned char *)s + i;
        uint32_t cp = *u;
        size_t k = *u < 0x80 ? 1 : tm_utf8_decode(u, n - i, &cp);
        bool bad = k == 0 || cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f);
        size_t w = bad ? 1 : k;
        if (o + w >= cap) break;
        if (bad)
            out[o++] = '?';
        else
            memcpy(out + o, u, k);
        o += bad ? 0 : k;
        i += k ? k : 1;
    }
    out[o] = '\0';
}

/* Grows an array of elem-sized items holding n to room for n + 1, doubling
 * at powers of two (no capacity field needed). */
void *imp_report_grow(void *p, size_t n, size_t elem)
{
    if (n == 0) return tm_xreallocarray(p, 8, elem);
    if (n >= 8 && (n & (n - 1)) == 0) return tm_xreallocarray(p, n * 2, elem);
    return p;
}

void imp_report_add_issue(imp_report *rep, const char *file, size_t line, bool warning,
                          const char *field, const char *msg)
{
    if (rep->nissues >= IMP_MAX_ISSUES) return;
    rep->issues = imp_report_grow(rep->issues, rep->nissues, sizeof *rep->issues);
    imp_issue *is = &rep->issues[rep->nissues++];
    memset(is, 0, sizeof *is);
    is->file = tm_xstrdup(file);
    is->line = line;
    is->warning = warning;
    imp_report_safe_copy(is->field, sizeof is->field, field);
    imp_report_safe_copy(is->msg, sizeof is->msg, msg);
}

void imp_report_add_institution(imp_report *rep, const char *name)
{
    for (size_t i = 0; i < rep->nnew_institutions; i++)
        if (strcmp(rep->new_institutions[i], name) == 0) return;
    rep->new_institutions = imp_report_grow(rep->new_institutions, rep->nnew_institutions,
                                            sizeof *rep->new_institutions);
    rep->new_institutions[rep->nnew_institutions++] = tm_xstrdup(name);
}

imp_report_mark imp_report_mark_take(const imp_report *rep)
{
    return (imp_report_mark){rep->added,    rep->updated, rep->unchanged,        rep->rejected,
                             rep->warnings, rep->nissues, rep->nnew_institutions};
}

void imp_report_mark_restore(imp_report *rep, const imp_report_mark *m)
{
    for (size_t i = m->nissues; i < rep->nissues; i++)
        free(rep->issues[i].file);
    for (size_t i = m->nnew; i < rep->nnew_institutions; i++)
        free(rep->new_institutions[i]);
    rep->added = m->added;
    rep->updated = m->updated;
    rep->unchanged = m->unchanged;
    rep->rejected = m->rejected;
    rep->warnings = m->warnings;
    rep->nissues = m->nissues;
    rep->nnew_institutions = m->nnew;
}

void imp_report_print(const imp_report *rep, const char *label, FILE *out)
{
    for (size_t i = 0; i < rep->nissues; i++) {
        const imp_issue *is = &rep->issues[i];
        fprintf(out, "%s%s", is->warning ? "warning: " : "", is->file);
        if (is->line) fprintf(out, ":%zu", is->line);
        fprintf(out, ": %s%s%s\n", is->field, is->field[0] ? ": " : "", is->msg);
    }
    size_t total = rep->rejected + rep->warnings;
    if (total > rep->nissues) fprintf(out, "(%zu more issues not shown)\n", total - rep->nissues);
    if (rep->encoding[0])
        fprintf(out, "encoding: %s (%s)\n", rep->encoding,
                rep->encoding_detected ? "detected" : "forced");
    if (label) fprintf(out, "%s: ", label);
    fprintf(out, "%zu added, %zu updated, %zu unchanged, %zu rejected", rep->added, rep->updated,
            rep->unchanged, rep->rejected);
    /* Names, then a count: a file from a new source may name hundreds. */
    size_t shown =
        rep->nnew_institutions < IMP_NAMES_SHOWN ? rep->nnew_institutions : IMP_NAMES_SHOWN;
    if (rep->nnew_institutions)
        fprintf(out, "; %zu new institution%s: ", rep->nnew_institutions,
                rep->nnew_institutions == 1 ? "" : "s");
    for (size_t i = 0; i < shown; i++)
        fprintf(out, "%s%s", i ? " | " : "", rep->new_institutions[i]);
    if (shown < rep->nnew_institutions)
        fprintf(out, " | and %zu more", rep->nnew_institutions - shown);
    fputc('\n', out);
}

void imp_report_free(imp_report *rep)
{
    if (!rep) return;
    for (size_t i = 0; i < rep->nissues; i++)
        free(rep->issues[i].file);
    free(rep->issues);
    for (size_t i = 0; i < rep->nnew_institutions; i++)
        free(rep->new_institutions[i]);
    free(rep->new_institutions);
    memset(rep, 0, sizeof *rep);
}
