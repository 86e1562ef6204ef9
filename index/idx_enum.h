/* idx_enum: the closed vocabularies of the catalogue (field, status,
 * licence, institution kind) and the FTS5 columns, as enums with their
 * stable wire names. The lists are the documented ones (README, "Data
 * formats"); adding a value appends to the end so stored ids never move. */
#ifndef IDX_ENUM_H
#define IDX_ENUM_H

#include <stddef.h>

typedef enum {
    IDX_FIELD_BIO_MEDICAL,
    IDX_FIELD_ICT,
    IDX_FIELD_ELECTRONICS,
    IDX_FIELD_MECHANICAL,
    IDX_FIELD_MATERIALS,
    IDX_FIELD_CHEMICAL,
    IDX_FIELD_ENERGY,
    IDX_FIELD_ENVIRONMENT,
    IDX_FIELD_CONSTRUCTION,
    IDX_FIELD_AGRI_FOOD,
    IDX_FIELD_OTHER,
    IDX_FIELD__COUNT
} idx_field;

typedef enum {
    IDX_STATUS_AVAILABLE,
    IDX_STATUS_NEGOTIATING,
    IDX_STATUS_LICENSED,
    IDX_STATUS_WITHDRAWN,
    IDX_STATUS__COUNT
} idx_status;

/* Licence types; a technology offers a set of them, stored as a bit mask
 * (1u << IDX_LICENCE_*). */
typedef enum {
    IDX_LICENCE_EXCLUSIVE,
    IDX_LICENCE_NON_EXCLUSIVE,
    IDX_LICENCE_ASSIGNMENT,
    IDX_LICENCE_JOINT_RESEARCH,
    IDX_LICENCE__COUNT
} idx_licence;

typedef enum {
    IDX_KIND_UNIVERSITY,
    IDX_KIND_RESEARCH_INSTITUTE,
    IDX_KIND_COMPANY,
    IDX_KIND_AGENCY,
    IDX_KIND_OTHER,
    IDX_KIND__COUNT
} idx_inst_kind;

/* The columns of the FTS5 table technology_fts, in order. Their names are
 * also the names of the technology table's columns that feed them. */
typedef enum {
    IDX_COL_TITLE,
    IDX_COL_TITLE_EN,
    IDX_COL_KEYWORDS,
    IDX_COL_SUMMARY,
    IDX_COL_DESCRIPTION,
    IDX_COL_INSTITUTION,
    IDX_COL_INVENTORS,
    IDX_COL_IPC,
    IDX_COL_PATENTS,
    IDX_COL__COUNT
} idx_col;

/* Sort orders of a search. */
typedef enum { IDX_SORT_RELEVANCE, IDX_SORT_NEWEST, IDX_SORT_TRL, IDX_SORT__COUNT } idx_sort;

/* Wire name of a value ("bio-medical"), or NULL when out of range. */
const char *idx_field_name(int v);
const char *idx_status_name(int v);
const char *idx_licence_name(int v);
const char *idx_kind_name(int v);
const char *idx_col_name(int v); /* FTS5 column name */
const char *idx_sort_name(int v);

/* Value of a wire name (exact, case-sensitive), or -1 when unknown. */
int idx_field_parse(const char *s);
int idx_status_parse(const char *s);
int idx_licence_parse(const char *s);
int idx_kind_parse(const char *s);
int idx_sort_parse(const char *s);

/* bm25 weight of each FTS5 column (title highest). One table, used by the
 * SQL ranking path and the in-memory engine alike. */
extern const double idx_col_weight[IDX_COL__COUNT];

#endif
