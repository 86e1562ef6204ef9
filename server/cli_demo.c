#include "cli_demo.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/tm_buf.h"

extern const char tm_demo_institutions[], tm_demo_institutions_end[];
extern const char tm_demo_technologies[], tm_demo_technologies_end[];

static uint32_t fnv1a(const char *s)
{
    uint32_t h = 2166136261u;
    for (; s && *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/* Adds trl and licence to a demo record that lacks them (see header). */
static void enrich(json_t *rec)
{
    const char *ext = json_string_value(json_object_get(rec, "external_id"));
    uint32_t h = fnv1a(ext);
    if (!json_object_get(rec, "trl")) {
        json_t *p0 = json_array_get(json_object_get(rec, "patents"), 0);
        const char *st = json_string_value(json_object_get(p0, "status"));
        int registered = st && strcmp(st, "registered") == 0;
        json_object_set_new(rec, "trl", json_integer((registered ? 4 : 2) + (int)(h % 3)));
    }
    if (!json_object_get(rec, "licence")) {
        json_t *l = json_array();
        if (h % 2 == 0) json_array_append_new(l, json_string("exclusive"));
        json_array_append_new(l, json_string("non-exclusive"));
        if ((h >> 8) % 5 == 0) json_array_append_new(l, json_string("assignment"));
        if ((h >> 16) % 3 == 0) json_array_append_new(l, json_string("joint-research"));
        json_object_set_new(rec, "licence", l);
    }
}

int cli_demo_load(idx_db *db, imp_report *inst_rep, imp_report *tech_rep, tm_err *err)
{
    tm_buf out = {0};
    FILE *f = NULL;
    int code;

    f = fmemopen((void *)tm_demo_institutions,
                 (size_t)(tm_demo_institutions_end - tm_demo_institutions), "r");
    if (!f) return tm_err_set(err, TM_EINTERNAL, NULL, "fmemopen failed");
    code = imp_institutions(db, f, "demo/institutions.jsonl", inst_rep, err);
    fclose(f);
    if (code != TM_OK) return code;

    /* Enrich line by line; the lines keep their numbers for any report. */
    const char *p = tm_demo_technologies, *end = tm_demo_technologies_end;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        json_error_t jerr;
        json_t *rec = json_loadb(p, n, 0, &jerr);
        if (json_is_object(rec)) {
            enrich(rec);
            char *s = json_dumps(rec, JSON_COMPACT);
            if (s) tm_buf_puts(&out, s);
            free(s);
        } else {
            tm_buf_append(&out, p, n); /* the importer reports it */
        }
        json_decref(rec);
        tm_buf_putc(&out, '\n');
        p += n + 1;
    }
    f = fmemopen(out.p, out.len, "r");
    if (!f) {
        tm_buf_free(&out);
        return tm_err_set(err, TM_EINTERNAL, NULL, "fmemopen failed");
    }
    code =
        imp_stream(db, f, "demo/technologies.jsonl", IMP_FMT_JSONL, &(imp_opts){0}, tech_rep, err);
    fclose(f);
    tm_buf_free(&out);
    return code;
}
