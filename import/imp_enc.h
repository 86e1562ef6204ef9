/* imp_enc: makes any import stream UTF-8 for the readers (imp_csv, imp_json).
 *
 * imp_enc_open() wraps a FILE in a new read-only FILE (glibc fopencookie)
 * that yields the same text in UTF-8 with a leading UTF-8 byte-order mark
 * removed. It owns nothing of the input FILE: the caller keeps it open
 * until after fclose() of the returned stream, and closes it itself.
 *
 * Encodings: UTF-8 (a thin pass-through, no iconv) and CP949, Korean Excel's
 * "CSV" (through libc iconv; EUC-KR is read as CP949, its superset). Bytes
 * that cannot be converted (an invalid or, at end of file, truncated CP949
 * sequence) are passed through unchanged, so the readers reject their row as
 * not valid UTF-8 instead of importing garbled text.
 *
 * Detection (forced == NULL) reads a prefix of up to IMP_ENC_PREFIX bytes
 * (fewer at end of file; no seeking, so pipes work) and decides:
 *   - UTF-16 or UTF-32 (their BOMs, or ASCII text with NUL bytes at every
 *     second or fourth position in the first 4 KiB): TM_EINVAL, field
 *     "encoding", "the file is UTF-16; save it as UTF-8 or CP949 CSV";
 *   - a UTF-8 BOM: utf-8;
 *   - a prefix of valid UTF-8 (a character cut at its end, even at end of
 *     file, allowed: it only spoils the last row): utf-8;
 *   - else, when the prefix is valid CP949 (a character cut at its end
 *     allowed) and has fewer than 4 valid multi-byte UTF-8 characters per
 *     invalid UTF-8 byte: cp949 (so a UTF-8 file with a few rows in another
 *     encoding stays utf-8 and those rows are rejected, rather than the
 *     whole file being decoded as CP949 and garbled);
 *   - else utf-8 (invalid rows are then rejected by the readers).
 * A forced encoding skips the guess but not the UTF-16/UTF-32 check; a
 * leading UTF-8 BOM is removed whatever the encoding. A stream holds up to
 * IMP_ENC_PREFIX bytes of buffer (IMP_ENC_BLOCK for a file smaller than that).
 *
 * Use (the caller owns `in` and closes it after the stream):
 *
 *     imp_enc_info info;
 *     FILE *u = imp_enc_open(in, opt_encoding_or_NULL, &info, err);
 *     if (!u) goto out;                  // *err: field "encoding" or "file"
 *     imp_csv *csv = imp_csv_open(u, NULL);
 *     ... read records; report "encoding: %s (%s)", info.name,
 *         info.detected ? "detected" : "forced" ...
 *     imp_csv_free(csv);
 *     fclose(u);                         // frees the wrapper, not `in`
 *     fclose(in);
 *
 * Lines, columns and byte counts the readers see are those of the UTF-8
 * text (line numbers equal the file's; CP949 text grows by about half).
 * A read error on `in` becomes a read error (ferror) on the stream. One
 * thread at a time per stream. */
#ifndef IMP_ENC_H
#define IMP_ENC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "../common/tm_err.h"

#define IMP_ENC_PREFIX ((size_t)1 << 20)  /* bytes read to detect the encoding */
#define IMP_ENC_BLOCK ((size_t)64 * 1024) /* bytes read from `in` at a time after that */

typedef enum {
    IMP_ENC_UTF8,
    IMP_ENC_CP949,
} imp_enc_kind;

typedef struct imp_enc_info {
    imp_enc_kind kind;
    const char *name; /* "utf-8" or "cp949" (static) */
    bool detected;    /* false: forced by the caller */
    bool bom;         /* a UTF-8 byte-order mark was there (and removed) */
} imp_enc_info;

/* Returns a new stream reading `in` as UTF-8; close it with fclose(), which
 * leaves `in` open. forced is NULL to detect, else the user's --encoding
 * value: utf-8, utf8, cp949, euc-kr or euckr, in any case. info may be NULL.
 *
 * On error returns NULL with *err set and nothing allocated (`in` may have
 * been read from): TM_EINVAL field "encoding" for an unknown forced name or a
 * UTF-16/UTF-32 file, TM_EINVAL field "file" for a read error, TM_EINTERNAL
 * when the C library lacks CP949 or cannot create the stream. */
FILE *imp_enc_open(FILE *in, const char *forced, imp_enc_info *info, tm_err *err) TM_MUST_CHECK;

#endif
