#include "tm_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

void tm_time_iso(char out[21])
{
    time_t now = time(NULL);
    struct tm tmv;
    gmtime_r(&now, &tmv);
    if (strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tmv) == 0) out[0] = '\0';
}

static void tm_log_line(int fd, const char *level, const char *fmt, va_list ap) TM_PRINTF(3, 0);

static void tm_log_line(int fd, const char *level, const char *fmt, va_list ap)
{
    char line[2048];
    size_t n = 0;
    if (level) {
        char ts[21];
        tm_time_iso(ts);
        int k = snprintf(line, sizeof line, "%s %s: ", ts, level);
        n = k > 0 ? (size_t)k : 0;
    }
    int k = vsnprintf(line + n, sizeof line - n - 1, fmt, ap);
    if (k < 0) return;
    n += (size_t)k;
    if (n > sizeof line - 2) n = sizeof line - 2; /* truncated lines are still one line */
    line[n++] = '\n';
    /* A short write of a log line is not worth failing a request over. */
    (void)!write(fd, line, n);
}

void tm_log_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tm_log_line(STDERR_FILENO, "error", fmt, ap);
    va_end(ap);
}

void tm_log_info(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tm_log_line(STDERR_FILENO, "info", fmt, ap);
    va_end(ap);
}

void tm_log_access(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tm_log_line(STDOUT_FILENO, NULL, fmt, ap);
    va_end(ap);
}
