#include "idx_enum.h"

#include <string.h>

static const char *const field_names[IDX_FIELD__COUNT] = {
    "bio-medical", "ict",         "electronics",  "mechanical", "materials", "chemical",
    "energy",      "environment", "construction", "agri-food",  "other"};
static const char *const status_names[IDX_STATUS__COUNT] = {"available", "negotiating", "licensed",
                                                            "withdrawn"};
static const char *const licence_names[IDX_LICENCE__COUNT] = {"exclusive", "non-exclusive",
                                                              "assignment", "joint-research"};
static const char *const kind_names[IDX_KIND__COUNT] = {"university", "research-institute",
                                                        "company", "agency", "other"};
static const char *const col_names[IDX_COL__COUNT] = {"title",     "title_en",    "keywords",
                                                      "summary",   "description", "inst_names",
                                                      "inventors", "ipc",         "patent_numbers"};
static const char *const sort_names[IDX_SORT__COUNT] = {"relevance", "newest", "trl"};

const double idx_col_weight[IDX_COL__COUNT] = {
    [IDX_COL_TITLE] = 10.0,    [IDX_COL_TITLE_EN] = 8.0,    [IDX_COL_KEYWORDS] = 5.0,
    [IDX_COL_SUMMARY] = 2.0,   [IDX_COL_DESCRIPTION] = 1.0, [IDX_COL_INSTITUTION] = 2.0,
    [IDX_COL_INVENTORS] = 3.0, [IDX_COL_IPC] = 3.0,         [IDX_COL_PATENTS] = 5.0};

static const char *name_of(const char *const *names, int n, int v)
{
    return v >= 0 && v < n ? names[v] : NULL;
}

static int parse_of(const char *const *names, int n, const char *s)
{
    if (!s) return -1;
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], s) == 0) return i;
    return -1;
}

const char *idx_field_name(int v)
{
    return name_of(field_names, IDX_FIELD__COUNT, v);
}
const char *idx_status_name(int v)
{
    return name_of(status_names, IDX_STATUS__COUNT, v);
}
const char *idx_licence_name(int v)
{
    return name_of(licence_names, IDX_LICENCE__COUNT, v);
}
const char *idx_kind_name(int v)
{
    return name_of(kind_names, IDX_KIND__COUNT, v);
}
const char *idx_col_name(int v)
{
    return name_of(col_names, IDX_COL__COUNT, v);
}
const char *idx_sort_name(int v)
{
    return name_of(sort_names, IDX_SORT__COUNT, v);
}
int idx_field_parse(const char *s)
{
    return parse_of(field_names, IDX_FIELD__COUNT, s);
}
int idx_status_parse(const char *s)
{
    return parse_of(status_names, IDX_STATUS__COUNT, s);
}
int idx_licence_parse(const char *s)
{
    return parse_of(licence_names, IDX_LICENCE__COUNT, s);
}
int idx_kind_parse(const char *s)
{
    return parse_of(kind_names, IDX_KIND__COUNT, s);
}
int idx_sort_parse(const char *s)
{
    return parse_of(sort_names, IDX_SORT__COUNT, s);
}
