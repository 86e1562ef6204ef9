/* imp_norm: the values of real patent spreadsheets made canonical: dates,
 * KIPO patent numbers, IPC codes and "no value" markers.
 *
 * Spreadsheets exported by KIPRIS, NTIS, pandas or Excel write one value in
 * many ways (" 2016.10.24", 1018463630000.0, "['A61B5/00 ....']", "nan").
 * These functions turn each into the one form the catalogue stores, or say
 * why they cannot. Messages quote the value (as JSON, cut after 40 bytes)
 * and leave err->field to the caller, who knows the field.
 *
 * Pure functions: no I/O, no allocation except the idx_strv entries of
 * imp_norm_ipc(); any thread. Inputs are NUL-terminated UTF-8. */
#ifndef IMP_NORM_H
#define IMP_NORM_H

#include <stdbool.h>
#include <stddef.h>

#include "../common/tm_err.h"
#include "../common/tm_str.h"
#include "../index/idx_tech.h"

/* Longest patent number kept, in characters. */
#define IMP_NORM_PNUM_MAX 100

/* Whether s is empty or a "no value" marker of spreadsheets and pandas:
 * white space only, "nan", "NaN", "None", "null", "NULL", "-", "N/A", and the
 * Korean "정보없음" / "(정보없음)" ("no information"); ASCII case ignored,
 * surrounding white space allowed. */
bool imp_norm_is_blank(const char *s);

/* A date as YYYY-MM-DD into out. Accepted, with white space around:
 * 2019-01-23, 2019.01.23, 2019. 1. 23., 2019/1/23, 2019-1-3, 2019년 1월 23일,
 * 20190123 (also as the float 20190123.0), an ISO date with a time
 * ("2019-01-23 00:00:00", "2019-01-23T10:00:00Z"; the time is dropped, the
 * date is kept as written, no time zone conversion), and English month names
 * in any order with a day and a 4-digit year ("10 March 2015", "March 10,
 * 2015", "10-Mar-2015", "Sept. 3 2015"). D/M/YYYY and M/D/YYYY (any of - . /)
 * are read only when one reading is possible (13/03/2015, 03/13/2015, or day
 * equal to month); 03/10/2015 is TM_EINVAL "is ambiguous". Years are
 * 1800-2199; the day must exist (leap years). A blank value (see
 * imp_norm_is_blank) or one of only zeros and separators ("0000-00-00", "0")
 * is no date: TM_OK with out[0] == '\0'. Anything else is TM_EINVAL
 * `"2019/13/01" is not a date`, out[0] == '\0'. */
int imp_norm_date(const char *in, char out[11], tm_err *err) TM_MUST_CHECK;

typedef enum {
    IMP_NORM_PNUM_NONE,         /* no number: the text is empty */
    IMP_NORM_PNUM_APPLICATION,  /* KIPO application "10-2019-0012345" */
    IMP_NORM_PNUM_REGISTRATION, /* KIPO registration "10-1234567" */
    IMP_NORM_PNUM_OTHER         /* anything else, kept as written */
} imp_norm_pnum_kind;

typedef struct imp_norm_pnum {
    char text[IMP_NORM_PNUM_MAX * 4 + 1]; /* UTF-8, NUL-terminated */
    imp_norm_pnum_kind kind;
    char country[3]; /* "KR" for a KIPO number, else "" */
} imp_norm_pnum;

/* One patent number. KIPO numbers (type code 10 patent, 20 utility model,
 * 30 design, 40 trademark; an optional "KR" before them; digit groups split
 * by '-' or spaces; a pandas ".0" after bare digits):
 *   application  TT-YYYY-NNNNNNN from 13 digits or the groups 2-4-7, with
 *                YYYY 1948-2099;
 *   registration TT-NNNNNNN from 13 digits ending 0000, 9 digits, or the
 *                groups 2-7-4 (last 0000) and 2-7.
 * 13 bare digits ending 0000 with a plausible year (1020190010000) fit both:
 * they are a registration, unless the caller passes prefer ==
 * IMP_NORM_PNUM_APPLICATION (a column of application numbers).
 * Anything else (US "13/033,085", "PCT/KR2013/008699", "US 8,123,456") is
 * kept trimmed with runs of white space made one space: kind OTHER, no
 * country. Blank, "0" and "0.0" are no number: TM_OK, kind NONE. More than
 * IMP_NORM_PNUM_MAX characters, or control characters, is TM_EINVAL. */
int imp_norm_patent_as(const char *in, imp_norm_pnum_kind prefer, imp_norm_pnum *out,
                       tm_err *err) TM_MUST_CHECK;
/* imp_norm_patent_as() with no preference. */
int imp_norm_patent(const char *in, imp_norm_pnum *out, tm_err *err) TM_MUST_CHECK;

/* Splits a cell that may hold several patent numbers into parts[0..max)
 * (slices of cell, trimmed, blank ones skipped) and returns how many there
 * are (may exceed max; only max are stored). The rule, since US serials hold
 * ',' and '/' ("13/033,085", "09/822470"): the cell is cut at ';', '|', CR
 * and LF always; then each piece that is not one KIPO number is cut at ','
 * only when every part is a KIPO number (or blank), else at " / " on the
 * same condition, else at white space on the same condition; otherwise it
 * stays whole. */
size_t imp_norm_split_patents(const char *cell, tm_str *parts, size_t max);

/* Appends the IPC codes of cell to *out, each as "A61B 5/00", dropping those
 * already in *out (order kept). A cell may list codes separated by '|', ',',
 * ';', newlines or spaces ("H01G 11/86 H01G 11/32"), be a stringified Python
 * list ("['A61B 5/00', 'G06F 40/20']"; brackets and quotes are dropped), and
 * a code may be written "A61B5/00", "a61b  5/00", "A61B 05/00" or carry a
 * version ("A61K 31/00(2006.01)", dropped); a subclass alone ("A61K") is a
 * code too. Truncation marks ("....") and blank pieces are skipped. Text
 * that is not an IPC code is kept as one entry, trimmed with runs of white
 * space made one space, so no data is lost; imp_norm_ipc_is_code() tells
 * the caller which entries to warn about. Always TM_OK today (err is for
 * future limits); *out is the caller's (idx_strv_clear). */
int imp_norm_ipc(const char *cell, idx_strv *out, tm_err *err) TM_MUST_CHECK;

/* Whether s is an IPC code in the form imp_norm_ipc() writes. */
bool imp_norm_ipc_is_code(const char *s);

#endif
