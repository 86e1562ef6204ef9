/* imp_cfb: reads one stream out of an OLE2 Compound File (CFB, [MS-CFB]),
 * the container of Excel 97-2003 .xls workbooks.
 *
 * The whole file is in memory (the caller reads it, with a size cap); this
 * module copies one stream out of it. It trusts nothing: the header's sector
 * sizes, every FAT, DIFAT, directory and mini-FAT sector index, every chain's
 * length and every stream size are checked against the file, and a chain
 * that visits a sector twice (a cycle) is an error. Versions 3 (512-byte
 * sectors) and 4 (4096-byte sectors) are read; streams under the 4,096-byte
 * cutoff come from the mini stream (64-byte sectors, the mini FAT). Only the
 * root storage's own children are searched (an embedded object's streams,
 * in a sub-storage, are never taken for the workbook). Stateless; any
 * thread. */
#ifndef IMP_CFB_H
#define IMP_CFB_H

#include <stdbool.h>
#include <stddef.h>

#include "../common/tm_err.h"

/* The first 8 bytes of every compound file. */
#define IMP_CFB_MAGIC "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1"

/* True when p[0..n) starts with IMP_CFB_MAGIC. */
bool imp_cfb_is_cfb(const void *p, size_t n);

/* Finds the first of names (a NULL-terminated list of ASCII names, compared
 * without case as CFB does; the list's order is the preference) among the
 * root storage's streams and copies it: on success *out (free() it) holds
 * *out_len bytes and *which is the index in names of the stream copied.
 * Fails with TM_EINVAL, field "file", when the container is malformed or
 * truncated, or holds none of the names. On failure *out is NULL. */
int imp_cfb_stream(const unsigned char *file, size_t n, const char *const *names,
                   unsigned char **out, size_t *out_len, int *which, tm_err *err) TM_MUST_CHECK;

#endif
