#include "srv_uri.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../common/tm_alloc.h"
#include "../common/tm_utf8.h"

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decodes s[0..n) into out (room for n + 1 bytes), '+' as a space when plus
 * is set, and NUL-terminates it. Returns false for a malformed escape. */
static bool pct_decode(const char *s, size_t n, bool plus, char *out, size_t *outlen)
{
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '%') {
            if (n - i < 3) return false;
            int h = hexval((unsigned char)s[i + 1]);
            int l = hexval((unsigned char)s[i + 2]);
            if (h < 0 || l < 0) return false;
            c = (unsigned char)(h << 4 | l);
            i += 2;
        } else if (c == '+' && plus) {
            c = ' ';
        }
        out[j++] = (char)c;
    }
    out[j] = '\0';
    *outlen = j;
    return true;
}

int srv_uri_path_decode(const char *raw, char **out, tm_err *err)
{
    *out = NULL;
    if (!raw || !*raw) raw = "/";
    if (raw[0] != '/') return tm_err_set(err, TM_EINVAL, NULL, "the path must start with '/'");
    size_t n = strlen(raw), len = 0;
    char *p = tm_xmalloc(n + 1);
    if (!pct_decode(raw, n, false, p, &len)) {
        free(p);
        return tm_err_set(err, TM_EINVAL, NULL, "malformed percent-encoding in the path");
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c < 0x20 || c == 0x7f) {
            free(p);
            return tm_err_set(err, TM_EINVAL, NULL, "control character in the path");
        }
    }
    if (!tm_utf8_valid(p, len)) {
        free(p);
        return tm_err_set(err, TM_EINVAL, NULL, "the path is not valid UTF-8");
    }
    *out = p;
    return TM_OK;
}

/* Checks one key or value s[0..n) of a query string; field names the
 * parameter in the error (NULL for a key). */
static int query_part_check(const char *s, size_t n, const char *field, char *scratch, tm_err *err)
{
    size_t len = 0;
    if (!pct_decode(s, n, true, scratch, &len))
        return tm_err_set(err, TM_EINVAL, field, "malformed percent-encoding in the query string");
    if (memchr(scratch, '\0', len))
        return tm_err_set(err, TM_EINVAL, field, "NUL byte in the query string");
    if (!tm_utf8_valid(scratch, len))
        return tm_err_set(err, TM_EINVAL, field, "the query string is not valid UTF-8");
    return TM_OK;
}

int srv_uri_query_check(const char *raw, tm_err *err)
{
    size_t n = strlen(raw);
    char *scratch = tm_xmalloc(n + 1);
    char field[64];
    int rc = TM_OK;
    const char *p = raw, *end = raw + n;
    while (rc == TM_OK && p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *stop = amp ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(stop - p));
        const char *kend = eq ? eq : stop;
        rc = query_part_check(p, (size_t)(kend - p), NULL, scratch, err);
        if (rc == TM_OK && eq) {
            /* The key is valid UTF-8 here; evhttp passes keys on undecoded. */
            size_t klen =
                (size_t)(kend - p) < sizeof field - 1 ? (size_t)(kend - p) : sizeof field - 1;
            while (klen > 0 && !tm_utf8_valid(p, klen))
                klen--;
            memcpy(field, p, klen);
            field[klen] = '\0';
            rc = query_part_check(eq + 1, (size_t)(stop - eq - 1), field, scratch, err);
        }
        p = stop + 1;
    }
    free(scratch);
    return rc;
}

/* Appends s[0..n) with every byte that could break or forge a log line
 * escaped as %XX. */
static void log_escaped(tm_buf *out, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c >= 0x7f || c == '"' || c == '\\') {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            tm_buf_append(out, e, 3);
        } else {
            tm_buf_putc(out, (char)c);
        }
    }
}

/* True when the raw query key k[0..n) names a secret parameter. */
static bool key_is_secret(const char *k, size_t n)
{
    static const char *const secret[] = {"token", "password", "csrf", "session"};
    char dec[16];
    size_t len = 0;
    if (n >= sizeof dec || !pct_decode(k, n, true, dec, &len)) return false;
    for (size_t i = 0; i < sizeof secret / sizeof secret[0]; i++)
        if (len == strlen(secret[i]) && strncasecmp(dec, secret[i], len) == 0) return true;
    return false;
}

void srv_uri_log_target(const char *raw, size_t max, tm_buf *out)
{
    size_t start = out->len;
    size_t n = strlen(raw);
    const char *q = memchr(raw, '?', n);
    log_escaped(out, raw, q ? (size_t)(q - raw) : n);
    if (q) {
        tm_buf_putc(out, '?');
        const char *p = q + 1, *end = raw + n;
        while (p < end) {
            const char *amp = memchr(p, '&', (size_t)(end - p));
            const char *stop = amp ? amp : end;
            const char *eq = memchr(p, '=', (size_t)(stop - p));
            if (eq && key_is_secret(p, (size_t)(eq - p))) {
                log_escaped(out, p, (size_t)(eq - p));
                tm_buf_puts(out, "=***");
            } else {
                log_escaped(out, p, (size_t)(stop - p));
            }
            if (amp) tm_buf_putc(out, '&');
            p = stop + 1;
        }
    }
    if (out->len - start > max) {
        /* Cut on an escape boundary so a "%XX" is never split. */
        size_t cut = start + max;
        if (cut >= start + 2 && out->p[cut - 2] == '%')
            cut -= 2;
        else if (cut >= start + 1 && out->p[cut - 1] == '%')
            cut -= 1;
        out->len = cut;
        out->p[cut] = '\0';
        tm_buf_puts(out, "...");
    }
}
