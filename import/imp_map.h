/* imp_map: how the columns of a real spreadsheet (or the keys of a foreign
 * JSON record) become the fields of the canonical record that imp_rec
 * validates. It owns the table of header names, the --map rules and the
 * value rules below; it knows nothing of files or of the database.
 *
 * Names. A header name (or JSON key) is normalised before lookup: trimmed,
 * ASCII case-folded, spaces, '_' and '-' dropped, and a trailing Whoosh
 * type word (TEXT, NGRAM, NUMERIC, DATETIME, KEYWORD, STORED, ID, BOOLEAN)
 * dropped when it is written in capitals after something else ("출원날짜
 * DATETIME" is 출원날짜); a name that is such a word alone (" STORED") has
 * no name. --map rules are looked up first, then the table of synonyms
 * (Korean and English: 기술명/발명의명칭/특허명/성과명/title -> title, ...),
 * then the list of known columns dropped on purpose (대표도면, 대리인,
 * 공개번호, ...: "ignore"). Any other name is unknown: its values keep their
 * own name, so imp_rec warns about them as unknown fields.
 *
 * Targets are the canonical keys (external_id, title, ..., patents), the
 * one-patent columns patent_number (the application number), patent_country,
 * patent_kind, patent_status, patent_filed, patent_registered and
 * patent_registration_number (matched only as written: "Patent Number", as
 * NASA and USPTO use it, is the registration number), and "applicants". When several columns map to
 * one target, a column named exactly as the target wins, then the first (in column order) whose
 * value is not blank.
 *
 * Strict and lenient records. A record whose names are all canonical (the
 * documented import format, data/demo/technologies.jsonl) is left exactly as
 * it is: imp_rec validates it as before. Once a name had to be mapped, the
 * value rules apply to the whole record (the "lenient" path):
 * - blank cells, "nan", "null" and "None" are absent;
 * - lists (keywords, inventors, licence) split at ';' and '|', or at ','
 *   when the cell has neither; an inventors cell of space-separated Korean
 *   names alone (안호선 김지훈) splits at spaces;
 * - ipc cells go to imp_norm_ipc() (lists, "A61B5/00", Python list text);
 * - institution (기관명, 보유기관, Center, ...): the cell as it is (a JSON
 *   list: as applicants);
 * - applicants (출원인, applicant(s), 저자 OR 저작자 등, applicants_raw): an
 *   applicant list, cut at ';', '|' and ',' (not at ", Ltd", ", Inc", ...;
 *   ';'-terminated in NTIS; "amp;" HTML damage repaired). The institution is
 *   the first applicant that looks like a university or institute (대학,
 *   산학협력단, 연구원, 연구소, 기술원, University, Institute, College), else
 *   the first. A space-joined cell ("인천대학교 산학협력단 에이치씨테크(주)",
 *   KIPRIS) cannot be cut reliably: its "<X대학교> 산학협력단" is taken, else
 *   its first word ending in 대학교/대학/연구원/연구소/기술원, else its first
 *   word when every word is a Korean personal name (서재곤 김종범), else all
 *   of it. A real institution column wins over an applicants one;
 * - status: a listing status (available, negotiating, licensed) stays
 *   `status`; a patent status (등록, 공개, 거절, 취하, 소멸, 포기, 출원,
 *   issued, application, registered, filed, published, rejected, lapsed,
 *   abandoned, expired, granted, pending; "withdrawn" too when the record
 *   has a patent number) becomes the patent's status; anything else is kept
 *   as the patent's status with a warning;
 * - field: a canonical field stays; a common field name (Korean or English:
 *   정보/통신 -> ict, 생명/보건/의료 -> bio-medical, 기계 -> mechanical, ...)
 *   is mapped by the first table row whose word it contains; any other value
 *   becomes a keyword, with a warning;
 * - title "한국어 제목(ENGLISH TITLE)" (Hangul before the parentheses, no
 *   Hangul inside): without a title_en the tail, when it has several words
 *   and 4+ letters, becomes title_en ("(OLED)" stays); with a title_en equal
 *   to the tail (ASCII case ignored), the tail is dropped from the title;
 * - patent number columns that are 0 ("0", NASA's "no number") are absent; a
 *   patent with a registration number but no application number is known by
 *   its registration number; a patent with neither is dropped;
 * - numbers become text where the target is text (external_id, patent
 *   numbers); other values go to imp_rec unchanged.
 *
 * Ownership: an imp_map owns its rules (imp_map_free(); a zeroed imp_map is
 * empty and valid). Pure functions otherwise; any thread. */
#ifndef IMP_MAP_H
#define IMP_MAP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "../common/tm_buf.h"
#include "../common/tm_err.h"

/* --map rules: normalised column name -> target ("ignore" drops it). */
typedef struct imp_map {
    size_t n;
    char **cols;
    char **fields;
} imp_map;

/* Where the value rules send their warnings: key identifies the warning
 * (one per file is enough), field and msg are what to show. */
typedef struct imp_map_notes {
    void (*warn)(void *arg, const char *key, const char *field, const char *msg);
    void *arg;
} imp_map_notes;

/* The normalised form of name[0..len) into out (see above). */
void imp_map_norm(const char *name, size_t len, tm_buf *out);

/* Adds a rule "column=field" (column as in the header; field a target or
 * "ignore"). TM_EINVAL (field "map") naming the problem, *m unchanged. */
int imp_map_rule_add(imp_map *m, const char *rule, tm_err *err) TM_MUST_CHECK;
void imp_map_free(imp_map *m);

/* The target of a header name: a canonical key, a patent_* column,
 * "ignore", or NULL when unknown. m may be NULL. */
const char *imp_map_target(const imp_map *m, const char *name, size_t len);

/* Whether field is a target a rule may name: a canonical one, "applicants"
 * (an applicant list the institution is chosen from) or "ignore". */
bool imp_map_is_target(const char *field);
/* Whether field is a canonical key or a patent_* column. */
bool imp_map_is_canonical(const char *field);

/* A record being built from mapped values. */
typedef struct imp_map_rec {
    json_t *obj;      /* canonical keys (and unknown ones under their own names) */
    json_t *pat;      /* the patent_* values, or NULL */
    json_t *extra_kw; /* field values kept as keywords, or NULL */
    char *status;     /* the raw status value, decided at the end */
    bool lenient;
    const imp_map_notes *notes;
} imp_map_rec;

void imp_map_rec_init(imp_map_rec *r, bool lenient, const imp_map_notes *notes);
void imp_map_rec_clear(imp_map_rec *r);

/* Puts v (borrowed) under target (NULL: unknown, then under name), unless
 * the target already has a value. TM_EINVAL (field = target) when a value
 * cannot be read (an IPC cell imp_norm refuses). */
int imp_map_rec_put(imp_map_rec *r, const char *target, const char *name, const json_t *v,
                    tm_err *err) TM_MUST_CHECK;

/* Whether target already has a value in r. */
bool imp_map_rec_has(const imp_map_rec *r, const char *target);

/* Finishes r into *out (the caller's; r is cleared). TM_EINVAL when both a
 * patents list and patent_* values were given. */
int imp_map_rec_finish(imp_map_rec *r, json_t **out, tm_err *err) TM_MUST_CHECK;

/* A JSON record as a canonical one: *out is in itself (a new reference)
 * when every key is canonical and no rule of m names one, else a new object
 * built by the rules above. *out is the caller's (json_decref). */
int imp_map_json(const imp_map *m, const json_t *in, const imp_map_notes *notes, json_t **out,
                 tm_err *err) TM_MUST_CHECK;

/* The institution chosen from an applicant list cell s[0..len) into out
 * (see above); empty when there is none. */
void imp_map_applicant(const char *s, size_t len, tm_buf *out);

/* A canonical field name for a free field value (Korean or English), or
 * NULL. */
const char *imp_map_field_value(const char *s);

#endif
