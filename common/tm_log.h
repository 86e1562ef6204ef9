/* tm_log: the server's two streams. Access lines go to stdout, one per
 * request; errors and notices go to stderr. Both are line-buffered and safe
 * to call from any thread (each line is one write). Never pass a password,
 * token, cookie or CSRF value. */
#ifndef TM_LOG_H
#define TM_LOG_H

#include "tm_err.h"

/* "2026-11-25T06:30:50Z error: ..." on stderr. */
void tm_log_error(const char *fmt, ...) TM_PRINTF(1, 2);
void tm_log_info(const char *fmt, ...) TM_PRINTF(1, 2);
/* One formatted line on stdout, written with a single write(2). */
void tm_log_access(const char *fmt, ...) TM_PRINTF(1, 2);

/* Current UTC time as ISO 8601 "YYYY-MM-DDTHH:MM:SSZ" into out (21 bytes). */
void tm_time_iso(char out[21]);

#endif
