/* srv_uri: the pure parts of reading a request target: decoding and checking
 * its path and query string, and the redacted form of it that the access log
 * shows. Owns no state; any thread may call it.
 *
 * A path is checked strictly (well-formed escapes, no control bytes, valid
 * UTF-8 once decoded) because it names routes and files; a query string is
 * checked just enough that every value evhttp_parse_query_str() decodes is a
 * whole UTF-8 string without NUL, so a handler never sees a value that C
 * strings or JSON would silently cut. */
#ifndef SRV_URI_H
#define SRV_URI_H

#include <stddef.h>

#include "../common/tm_buf.h"
#include "../common/tm_err.h"

/* Longest request target the access log shows; the rest becomes "...". */
#define SRV_URI_LOG_MAX 1024

/* Percent-decodes the path raw ("" counts as "/"; '+' stays '+') into *out,
 * a NUL-terminated copy to free(). Fails with TM_EINVAL and *out NULL when
 * raw does not start with '/', holds a malformed escape, decodes to a
 * control byte (NUL included) or is not valid UTF-8 once decoded. */
int srv_uri_path_decode(const char *raw, char **out, tm_err *err) TM_MUST_CHECK;

/* Checks the raw query string (without '?') before evhttp_parse_query_str:
 * every '%' starts a two-hex-digit escape, none encodes NUL, and every key
 * and value is valid UTF-8 once decoded. TM_EINVAL otherwise, with
 * err->field the parameter's name when its value is at fault. */
int srv_uri_query_check(const char *raw, tm_err *err) TM_MUST_CHECK;

/* Appends the request target raw to out as the access log shows it: bytes
 * outside printable ASCII (and '"', '\\') escaped as %XX, the values of query
 * parameters named token, password, csrf or session (in any case, even when
 * the name is percent-encoded) replaced by "***", at most about max bytes. */
void srv_uri_log_target(const char *raw, size_t max, tm_buf *out);

#endif
