/* imp_xlsfmt: BIFF8 values as text; see imp_xlsfmt.h. */
#include "imp_xlsfmt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void xf_utf8(tm_buf *b, uint32_t cp)
{
    char s[4];
    size_t n;
    if (cp < 0x80) {
        s[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        s[0] = (char)(0xC0 | cp >> 6);
        s[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        s[0] = (char)(0xE0 | cp >> 12);
        s[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        s[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        s[0] = (char)(0xF0 | cp >> 18);
        s[1] = (char)(0x80 | (cp >> 12 & 0x3F));
        s[2] = (char)(0x80 | (cp >> 6 & 0x3F));
        s[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    tm_buf_append(b, s, n);
}

void imp_xlsfmt_u16_put(imp_xlsfmt_u16 *u, unsigned unit)
{
    if (u->hi) {
        if (unit >= 0xDC00 && unit <= 0xDFFF) {
            xf_utf8(u->b, 0x10000 + ((uint32_t)(u->hi - 0xD800) << 10) + (unit - 0xDC00));
            u->hi = 0;
            return;
        }
        xf_utf8(u->b, 0xFFFD);
        u->hi = 0;
    }
    if (unit >= 0xD800 && unit <= 0xDBFF)
        u->hi = unit;
    else
        xf_utf8(u->b, unit >= 0xDC00 && unit <= 0xDFFF ? 0xFFFD : unit);
}

void imp_xlsfmt_u16_end(imp_xlsfmt_u16 *u)
{
    if (u->hi) xf_utf8(u->b, 0xFFFD);
    u->hi = 0;
}

double imp_xlsfmt_f64(const unsigned char *p)
{
    uint64_t bits = 0;
    double v;
    for (int i = 7; i >= 0; i--)
        bits = bits << 8 | p[i];
    memcpy(&v, &bits, sizeof v);
    return v;
}

double imp_xlsfmt_rk(uint32_t rk)
{
    double v;
    if (rk & 2) {
        /* A signed 30-bit integer in the top bits. */
        int64_t i = (int64_t)(rk >> 2);
        if (rk & 0x80000000u) i -= (int64_t)1 << 30;
        v = (double)i;
    } else {
        /* The top 30 bits of a double, the rest zero. */
        uint64_t bits = (uint64_t)(rk & 0xFFFFFFFCu) << 32;
        memcpy(&v, &bits, sizeof v);
    }
    return rk & 1 ? v / 100 : v;
}

int imp_xlsfmt_kind(const char *f, size_t n)
{
    bool date = false, time = false, month = false;
    for (size_t i = 0; i < n && f[i] != ';'; i++) {
        char c = f[i];
        if (c == '"') {
            while (i + 1 < n && f[i + 1] != '"')
                i++;
            i++;
            continue;
        }
        if (c == '\\' || c == '_' || c == '*') {
            i++;
            continue;
        }
        if (c == '[') {
            /* [h], [mm], [ss]: elapsed time; colours, conditions and
             * locales ([$-412]) say nothing. */
            size_t j = i + 1;
            while (j < n && f[j] != ']')
                j++;
            if (j > i + 1 && f[i + 1] && strchr("hHmMsS", f[i + 1])) time = true;
            i = j;
            continue;
        }
        if ((n - i >= 5 && strncasecmp(f + i, "AM/PM", 5) == 0) ||
            (n - i >= 3 && strncasecmp(f + i, "A/P", 3) == 0)) {
            time = true;
            i += f[i + 1] == '/' ? 2 : 4;
            continue;
        }
        if (c == 'y' || c == 'Y' || c == 'd' || c == 'D')
            date = true;
        else if (c == 'h' || c == 'H' || c == 's' || c == 'S')
            time = true;
        else if (c == 'm' || c == 'M')
            month = true;
    }
    /* m is minutes next to h or s, months otherwise. */
    if (month && !time) date = true;
    return date && time ? IMP_XLSFMT_DATETIME
           : date       ? IMP_XLSFMT_DATE
           : time       ? IMP_XLSFMT_TIME
                        : IMP_XLSFMT_NUMBER;
}

void imp_xlsfmt_builtin(unsigned char *kind)
{
    memset(kind, IMP_XLSFMT_NUMBER, 65536);
    for (int i = 14; i <= 17; i++)
        kind[i] = IMP_XLSFMT_DATE;
    for (int i = 18; i <= 21; i++)
        kind[i] = IMP_XLSFMT_TIME;
    kind[22] = IMP_XLSFMT_DATETIME;
    for (int i = 45; i <= 47; i++)
        kind[i] = IMP_XLSFMT_TIME;
    /* CJK (27-36, 50-58) and Thai (71-81) locales' own date formats. */
    for (int i = 27; i <= 36; i++)
        kind[i] = IMP_XLSFMT_AUTO;
    for (int i = 50; i <= 58; i++)
        kind[i] = IMP_XLSFMT_AUTO;
    for (int i = 71; i <= 81; i++)
        kind[i] = IMP_XLSFMT_AUTO;
}

static void xf_number(tm_buf *b, double v)
{
    char s[40];
    if (!isfinite(v)) {
        tm_buf_puts(b, "#NUM!");
        return;
    }
    if (v == floor(v) && fabs(v) < 9223372036854775808.0) {
        tm_buf_printf(b, "%lld", (long long)v);
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        (void)snprintf(s, sizeof s, "%.*g", prec, v); /* 40 bytes hold any %.17g */
        if (strtod(s, NULL) == v) break;
    }
    tm_buf_puts(b, s);
}

/* The civil date of day z after 1970-01-01 (H. Hinnant's algorithm). */
static void xf_civil(long z, long *y, unsigned *m, unsigned *d)
{
    z += 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned long doe = (unsigned long)(z - era * 146097);
    unsigned long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned long mp = (5 * doy + 2) / 153;
    *d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    *m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *y = (long)yoe + era * 400 + (*m <= 2);
}

void imp_xlsfmt_value(tm_buf *b, double v, int kind, bool d1904)
{
    if (kind == IMP_XLSFMT_NUMBER || !isfinite(v) || v < 0 || v >= 2958466.0) {
        xf_number(b, v);
        return;
    }
    double days = floor(v);
    long day = (long)days, secs = lround((v - days) * 86400.0);
    if (secs >= 86400) {
        day++;
        secs -= 86400;
    }
    if (kind == IMP_XLSFMT_AUTO)
        kind = day == 0 ? IMP_XLSFMT_TIME : secs ? IMP_XLSFMT_DATETIME : IMP_XLSFMT_DATE;
    if (kind == IMP_XLSFMT_TIME && day > 0) kind = IMP_XLSFMT_DATETIME;
    if (kind != IMP_XLSFMT_TIME) {
        /* 1900 system: day 1 is 1900-01-01, and Excel counts a 1900-02-29
         * (day 60) that never was, so from day 61 on the base is 1899-12-30. */
        long epoch;
        if (d1904)
            epoch = -24107; /* 1904-01-01 */
        else if (day == 0 || day == 60 || day > 2958465) {
            xf_number(b, v);
            return;
        } else
            epoch = day < 60 ? -25568 : -25569;
        long y;
        unsigned m, d;
        xf_civil(epoch + day, &y, &m, &d);
        if (y > 9999) {
            xf_number(b, v);
            return;
        }
        tm_buf_printf(b, "%04ld-%02u-%02u", y, m, d);
        if (kind == IMP_XLSFMT_DATE) return;
        tm_buf_putc(b, 'T');
    }
    tm_buf_printf(b, "%02ld:%02ld:%02ld", secs / 3600, secs / 60 % 60, secs % 60);
}

void imp_xlsfmt_cell_name(char *buf, size_t cap, unsigned row, unsigned col)
{
    char letters[8];
    size_t n = 0;
    unsigned c = col + 1;
    while (c > 0 && n < sizeof letters) {
        letters[n++] = (char)('A' + (c - 1) % 26);
        c = (c - 1) / 26;
    }
    size_t k = 0;
    while (n > 0 && k + 1 < cap)
        buf[k++] = letters[--n];
    (void)snprintf(buf + k, cap - k, "%u", row + 1); /* cap >= 12 holds it */
}
