#include "imp_norm.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/tm_alloc.h"

/* ---- text ---- */

static bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static char upper(char c)
{
    return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

/* s[0..n) without white space around it. */
static tm_str trim(const char *s, size_t n)
{
    while (n > 0 && is_ws(*s))
        s++, n--;
    while (n > 0 && is_ws(s[n - 1]))
        n--;
    return (tm_str){s, n};
}

static bool eq_nocase(tm_str a, const char *b)
{
    size_t n = strlen(b);
    if (a.len != n) return false;
    for (size_t i = 0; i < n; i++)
        if (lower(a.p[i]) != lower(b[i])) return false;
    return true;
}

static bool blank_str(tm_str s)
{
    /* 정보없음: "no information", as KIPRIS and NTIS exports write it. */
    static const char *const marks[] = {"nan", "none",     "null",      "-",
                                        "n/a", "정보없음", "(정보없음)"};
    s = trim(s.p, s.len);
    if (s.len == 0) return true;
    /* Every patent number comes here: the first byte (the marks are lower
     * case) spares most of the comparisons. */
    for (size_t i = 0; i < sizeof marks / sizeof marks[0]; i++)
        if (lower(s.p[0]) == marks[i][0] && eq_nocase(s, marks[i])) return true;
    return false;
}

bool imp_norm_is_blank(const char *s)
{
    return blank_str(tm_str_from(s));
}

/* TM_EINVAL with `"<value>" <what>`: the value as a JSON string, cut between
 * characters after 40 bytes as imp_rec quotes values. */
static int fail(tm_err *err, const char *value, const char *what)
{
    char q[64];
    size_t n = 0;
    q[n++] = '"';
    for (const unsigned char *p = (const unsigned char *)value; *p && n < 48; p++) {
        if (*p == '"' || *p == '\\') {
            q[n++] = '\\';
            q[n++] = (char)*p;
        } else if (*p < 0x20 || *p == 0x7f) {
            n += (size_t)snprintf(q + n, sizeof q - n, "\\u%04x", *p);
        } else {
            q[n++] = (char)*p;
        }
    }
    if (n >= 48 || strlen(value) > 46) {
        n = 40;
        while (n > 1 && ((unsigned char)q[n] & 0xC0) == 0x80)
            n--;
        memcpy(q + n, "...", 4);
    } else {
        q[n++] = '"';
        q[n] = '\0';
    }
    return tm_err_set(err, TM_EINVAL, NULL, "%s %s", q, what);
}

/* ---- dates ---- */

static const char *const months[12] = {"january",   "february", "march",    "april",
                                       "may",       "june",     "july",     "august",
                                       "september", "october",  "november", "december"};

/* A month name: whole, its first three letters, or "sept". 0 if none. */
static int month_of(tm_str w)
{
    if (w.len > 0 && w.p[w.len - 1] == '.') w.len--;
    for (int m = 0; m < 12; m++) {
        size_t full = strlen(months[m]);
        if (w.len != 3 && w.len != full && !(m == 8 && w.len == 4)) continue;
        if (w.len > full) continue;
        size_t i = 0;
        while (i < w.len && lower(w.p[i]) == months[m][i])
            i++;
        if (i == w.len) return m + 1;
    }
    return 0;
}

static int num(tm_str w)
{
    int v = 0;
    for (size_t i = 0; i < w.len; i++)
        v = v * 10 + (w.p[i] - '0');
    return v;
}

static bool valid_ymd(int y, int m, int d)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1800 || y > 2199 || m < 1 || m > 12 || d < 1) return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d <= mdays[m - 1] + (m == 2 && leap);
}

/* The rest of an ISO date-time after the date: "T" or spaces, then
 * HH:MM[:SS[.fff]] and an optional zone (Z, +HH:MM, +HHMM). */
static bool time_tail(const char *p, const char *end)
{
    if (p < end && (*p == 'T' || *p == 't'))
        p++;
    else if (p < end && *p == ' ')
        while (p < end && *p == ' ')
            p++;
    else
        return false;
    /* HH:MM, then :SS if there is a ':' */
    for (int part = 0; part < 3; part++) {
        if (part == 2 && (p == end || *p != ':')) break;
        if (part > 0 && (p == end || *p++ != ':')) return false;
        if (end - p < 2 || !is_digit(p[0]) || !is_digit(p[1])) return false;
        p += 2;
    }
    if (p < end && *p == '.')
        for (p++; p < end && is_digit(*p);)
            p++;
    while (p < end && *p == ' ')
        p++;
    if (p < end && (*p == 'Z' || *p == 'z')) {
        p++;
    } else if (p < end && (*p == '+' || *p == '-')) {
        const char *z = ++p;
        while (p < end && (is_digit(*p) || *p == ':'))
            p++;
        if (p - z < 2 || p - z > 5) return false;
    }
    return p == end;
}

/* y-m-d as YYYY-MM-DD into out, or TM_EINVAL when there is no such day. */
static int date_out(const char *in, int y, int m, int d, char out[11], tm_err *err)
{
    if (!valid_ymd(y, m, d)) return fail(err, in, "is not a date");
    const int v[8] = {y / 1000, y / 100 % 10, y / 10 % 10, y % 10, m / 10, m % 10, d / 10, d % 10};
    for (int k = 0, o = 0; k < 8; k++, o++) {
        if (k == 4 || k == 6) out[o++] = '-';
        out[o] = (char)('0' + v[k]);
    }
    out[10] = '\0';
    return TM_OK;
}

int imp_norm_date(const char *in, char out[11], tm_err *err)
{
    tm_str s = trim(in, strlen(in));
    tm_str w[4];
    size_t nw = 0, i = 0;
    bool zeros = true;
    int y = 0, m = 0, d = 0;

    out[0] = '\0';
    /* YYYY-MM-DD, as nearly every record writes it: what the words below
     * would read, without them. */
    if (s.len == 10 && s.p[4] == '-' && s.p[7] == '-' && is_digit(s.p[0]) && is_digit(s.p[1]) &&
        is_digit(s.p[2]) && is_digit(s.p[3]) && is_digit(s.p[5]) && is_digit(s.p[6]) &&
        is_digit(s.p[8]) && is_digit(s.p[9])) {
        y = num((tm_str){s.p, 4});
        m = num((tm_str){s.p + 5, 2});
        d = num((tm_str){s.p + 8, 2});
        if (y == 0 && m == 0 && d == 0) return TM_OK; /* 0000-00-00: none, as below */
        return date_out(in, y, m, d, out, err);
    }
    if (blank_str(s)) return TM_OK;
    for (size_t k = 0; k < s.len && zeros; k++)
        zeros = strchr("0-./: ", s.p[k]) != NULL;
    if (zeros) return TM_OK;
    /* Words: runs of digits or of letters between separators (- . / , space
     * and the Korean 년 월 일). A time after three words ends the date. */
    while (i < s.len) {
        char c = s.p[i];
        if (c == '-' || c == '.' || c == '/' || c == ',' || c == ' ') {
            i++;
            continue;
        }
        if (s.len - i >= 3 && (memcmp(s.p + i, "\xEB\x85\x84", 3) == 0 ||  /* 년 */
                               memcmp(s.p + i, "\xEC\x9B\x94", 3) == 0 ||  /* 월 */
                               memcmp(s.p + i, "\xEC\x9D\xBC", 3) == 0)) { /* 일 */
            i += 3;
            continue;
        }
        bool ymd = (nw == 3 && w[0].len == 4) || (nw == 1 && w[0].len == 8);
        if (ymd && is_digit(w[0].p[0]) && time_tail(w[nw - 1].p + w[nw - 1].len, s.p + s.len)) {
            break;
        }
        size_t j = i;
        bool digit = is_digit(c);
        while (j < s.len &&
               (digit ? is_digit(s.p[j])
                      : ((s.p[j] >= 'a' && s.p[j] <= 'z') || (s.p[j] >= 'A' && s.p[j] <= 'Z'))))
            j++;
        if (j == i || nw == 4) return fail(err, in, "is not a date");
        w[nw++] = (tm_str){s.p + i, j - i};
        i = j;
    }
    /* 20190123 and the float 20190123.0 */
    if ((nw == 1 || (nw == 2 && w[1].len == 1 && w[1].p[0] == '0' && w[0].p + 9 == w[1].p)) &&
        w[0].len == 8 && is_digit(w[0].p[0])) {
        y = num((tm_str){w[0].p, 4});
        m = num((tm_str){w[0].p + 4, 2});
        d = num((tm_str){w[0].p + 6, 2});
    } else if (nw == 3) {
        int alpha = -1, year = -1;
        for (int k = 0; k < 3; k++) {
            if (!is_digit(w[k].p[0])) {
                if (alpha >= 0) return fail(err, in, "is not a date");
                alpha = k;
            } else if (w[k].len == 4) {
                if (year >= 0) return fail(err, in, "is not a date");
                year = k;
            } else if (w[k].len > 2) {
                return fail(err, in, "is not a date");
            }
        }
        if (year < 0) return fail(err, in, "is not a date");
        y = num(w[year]);
        if (alpha >= 0) {
            m = month_of(w[alpha]);
            d = num(w[3 - alpha - year]);
        } else if (year == 0) {
            m = num(w[1]);
            d = num(w[2]);
        } else if (year == 2) {
            /* D/M/YYYY or M/D/YYYY: read only when one reading exists. */
            int a = num(w[0]), b = num(w[1]);
            if (a > 12 && b <= 12) {
                d = a, m = b;
            } else if (a <= 12 && (b > 12 || a == b)) {
                m = a, d = b;
            } else if (a <= 12) {
                return fail(err, in,
                            "is ambiguous (day/month or month/day?); write it as YYYY-MM-DD");
            } else {
                return fail(err, in, "is not a date");
            }
        } else {
            return fail(err, in, "is not a date");
        }
    } else {
        return fail(err, in, "is not a date");
    }
    return date_out(in, y, m, d, out, err);
}

/* ---- patent numbers ---- */

/* Blank, or zeros with an optional pandas ".0": no number. */
static bool no_number(tm_str s)
{
    size_t i = 0;
    s = trim(s.p, s.len);
    if (blank_str(s)) return true;
    while (i < s.len && s.p[i] == '0')
        i++;
    if (i > 0 && i < s.len && s.p[i] == '.')
        for (i++; i < s.len && s.p[i] == '0';)
            i++;
    return i > 0 && i == s.len;
}

static bool kipo_year(const char *p)
{
    int y = num((tm_str){p, 4});
    return y >= 1948 && y <= 2099;
}

/* s as a KIPO number written into out[16] ("10-2019-0012345" or
 * "10-1234567"); IMP_NORM_PNUM_OTHER when it is not one. */
static imp_norm_pnum_kind kipo(tm_str s, imp_norm_pnum_kind prefer, char out[16])
{
    char d[13];
    size_t g[4], ng = 0, nd = 0, i = 0;

    s = trim(s.p, s.len);
    if (s.len >= 2 && upper(s.p[0]) == 'K' && upper(s.p[1]) == 'R') {
        i = 2;
        if (i < s.len && (s.p[i] == ' ' || s.p[i] == '-')) i++;
    }
    /* A pandas float: digits, then ".0". */
    size_t end = s.len;
    if (end > i + 2 && s.p[end - 1] == '0' && s.p[end - 2] == '.') end -= 2;
    while (i < end) {
        size_t j = i;
        while (j < end && is_digit(s.p[j]))
            j++;
        if (j == i || ng == 4 || nd + (j - i) > 13) return IMP_NORM_PNUM_OTHER;
        memcpy(d + nd, s.p + i, j - i);
        nd += j - i;
        g[ng++] = j - i;
        if (j == end) break;
        if ((s.p[j] != '-' && s.p[j] != ' ') || j + 1 == end) return IMP_NORM_PNUM_OTHER;
        i = j + 1;
    }
    if (end < s.len && ng != 1) return IMP_NORM_PNUM_OTHER;
    if (nd < 9 || !((d[0] >= '1' && d[0] <= '4') && d[1] == '0')) return IMP_NORM_PNUM_OTHER;
    bool reg = false;
    if (ng == 1 && nd == 13)
        reg = memcmp(d + 9, "0000", 4) == 0 &&
              !(prefer == IMP_NORM_PNUM_APPLICATION && kipo_year(d + 2));
    else if (ng == 1 && nd == 9)
        reg = true;
    else if (ng == 3 && g[0] == 2 && g[1] == 7 && g[2] == 4)
        reg = memcmp(d + 9, "0000", 4) == 0;
    else if (ng == 2 && g[0] == 2 && g[1] == 7)
        reg = true;
    else if (!(ng == 3 && g[0] == 2 && g[1] == 4 && g[2] == 7))
        return IMP_NORM_PNUM_OTHER;
    if (reg) {
        if (nd == 13 && memcmp(d + 9, "0000", 4) != 0) return IMP_NORM_PNUM_OTHER;
        memcpy(out, d, 2); /* "%.2s-%.7s": nd >= 9 */
        out[2] = '-';
        memcpy(out + 3, d + 2, 7);
        out[10] = '\0';
        return IMP_NORM_PNUM_REGISTRATION;
    }
    if (nd != 13 || !kipo_year(d + 2)) return IMP_NORM_PNUM_OTHER;
    memcpy(out, d, 2); /* "%.2s-%.4s-%.7s": nd == 13 */
    out[2] = '-';
    memcpy(out + 3, d + 2, 4);
    out[7] = '-';
    memcpy(out + 8, d + 6, 7);
    out[15] = '\0';
    return IMP_NORM_PNUM_APPLICATION;
}

int imp_norm_patent_as(const char *in, imp_norm_pnum_kind prefer, imp_norm_pnum *out, tm_err *err)
{
    tm_str s = trim(in, strlen(in));
    size_t n = 0, chars = 0;
    char k[16];

    memset(out, 0, sizeof *out);
    out->kind = IMP_NORM_PNUM_NONE;
    if (no_number(s)) return TM_OK;
    for (size_t i = 0; i < s.len; i++)
        chars += ((unsigned char)s.p[i] & 0xC0) != 0x80;
    if (chars > IMP_NORM_PNUM_MAX)
        return tm_err_set(err, TM_EINVAL, NULL, "is %zu characters long; the limit is %d", chars,
                          IMP_NORM_PNUM_MAX);
    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.p[i];
        if (is_ws((char)c)) {
            if (n == 0 || out->text[n - 1] != ' ') out->text[n++] = ' ';
        } else if (c < 0x20 || c == 0x7f) {
            return fail(err, in, "is not a patent number: it holds a control character");
        } else {
            out->text[n++] = (char)c;
        }
    }
    out->text[n] = '\0';
    out->kind = kipo((tm_str){out->text, n}, prefer, k);
    if (out->kind != IMP_NORM_PNUM_OTHER) {
        memcpy(out->text, k, strlen(k) + 1);
        memcpy(out->country, "KR", 3);
    }
    return TM_OK;
}

int imp_norm_patent(const char *in, imp_norm_pnum *out, tm_err *err)
{
    return imp_norm_patent_as(in, IMP_NORM_PNUM_NONE, out, err);
}

static bool is_kipo(tm_str s)
{
    char k[16];
    return kipo(s, IMP_NORM_PNUM_NONE, k) != IMP_NORM_PNUM_OTHER;
}

/* Cuts s at sep (n bytes; " " means any white space) when every part is a
 * KIPO number or blank and there are two parts or more; adds them. */
static bool split_kipo(tm_str s, const char *sep, size_t n, tm_str *parts, size_t max,
                       size_t *count)
{
    for (int pass = 0; pass < 2; pass++) {
        size_t i = 0, cuts = 0;
        while (i <= s.len) {
            size_t j = i;
            while (j < s.len &&
                   !(n == 1 && *sep == ' ' ? is_ws(s.p[j])
                                           : s.len - j >= n && memcmp(s.p + j, sep, n) == 0))
                j++;
            tm_str part = trim(s.p + i, j - i);
            cuts += j < s.len;
            if (pass == 0 && !no_number(part) && !is_kipo(part)) return false;
            if (pass == 1 && !no_number(part)) {
                if (*count < max) parts[*count] = part;
                (*count)++;
            }
            i = j + (j < s.len ? n : 1);
        }
        if (pass == 0 && cuts == 0) return false;
    }
    return true;
}

size_t imp_norm_split_patents(const char *cell, tm_str *parts, size_t max)
{
    size_t count = 0, len = strlen(cell), i = 0;
    while (i <= len) {
        size_t j = i;
        while (j < len && !strchr(";|\r\n", cell[j]))
            j++;
        tm_str piece = trim(cell + i, j - i);
        i = j + 1;
        if (no_number(piece)) continue;
        if (!is_kipo(piece) && (split_kipo(piece, ",", 1, parts, max, &count) ||
                                split_kipo(piece, " / ", 3, parts, max, &count) ||
                                split_kipo(piece, " ", 1, parts, max, &count)))
            continue;
        if (count < max) parts[count] = piece;
        count++;
    }
    return count;
}

/* ---- IPC codes ---- */

/* An IPC code at p (before end) into code[24] as "A61B 5/00": returns the
 * bytes it takes (a version "(2006.01)" after it included), 0 if none. */
static size_t ipc_at(const char *p, const char *end, char code[24])
{
    const char *q = p + 4, *t;
    size_t n = 4;
    if (end - p < 4 || upper(p[0]) < 'A' || upper(p[0]) > 'H' || !is_digit(p[1]) ||
        !is_digit(p[2]) || upper(p[3]) < 'A' || upper(p[3]) > 'Z')
        return 0;
    code[0] = upper(p[0]), code[1] = p[1], code[2] = p[2], code[3] = upper(p[3]);
    for (t = q; t < end && *t == ' ';)
        t++;
    const char *m = t;
    while (t < end && is_digit(*t) && t - m < 4)
        t++;
    if (t > m && t + 1 < end && *t == '/' && is_digit(t[1])) {
        const char *sg = t + 1, *e = sg;
        while (e < end && is_digit(*e) && e - sg < 6)
            e++;
        while (m < t - 1 && *m == '0')
            m++;
        code[n++] = ' ';
        memcpy(code + n, m, (size_t)(t - m));
        n += (size_t)(t - m);
        code[n++] = '/';
        memcpy(code + n, sg, (size_t)(e - sg));
        n += (size_t)(e - sg);
        q = e;
        for (t = q; t < end && *t == ' ';)
            t++;
        if (end - t >= 9 && t[0] == '(' && is_digit(t[1]) && is_digit(t[2]) && is_digit(t[3]) &&
            is_digit(t[4]) && t[5] == '.' && is_digit(t[6]) && is_digit(t[7]) && t[8] == ')')
            q = t + 9;
    }
    code[n] = '\0';
    /* A truncation mark may follow a code directly: "A61B 5/00...". */
    bool stop =
        q == end || is_ws(*q) || *q == '.' || (end - q >= 3 && memcmp(q, "\xE2\x80\xA6", 3) == 0);
    return stop ? (size_t)(q - p) : 0;
}

bool imp_norm_ipc_is_code(const char *s)
{
    char code[24];
    size_t n = strlen(s);
    return ipc_at(s, s + n, code) == n && strcmp(code, s) == 0;
}

static void push_unique(idx_strv *out, const char *s)
{
    for (size_t i = 0; i < out->n; i++)
        if (strcmp(out->v[i], s) == 0) return;
    idx_strv_push(out, s);
}

/* Adds the words of other[0..n) kept so far as one entry, unless they are
 * only a truncation mark ("....", "…") or a blank marker. */
static void flush_other(idx_strv *out, char *other, size_t *n)
{
    bool mark = true;
    for (size_t i = 0; i < *n && mark; i++)
        mark = other[i] == '.' || other[i] == ' ' ||
               (*n - i >= 3 && memcmp(other + i, "\xE2\x80\xA6", 3) == 0 && (i += 2, true));
    other[*n] = '\0';
    if (!mark && !imp_norm_is_blank(other)) push_unique(out, other);
    *n = 0;
}

/* Bytes that separate the pieces of an IPC cell: | , ; CR LF TAB [ ] ' ". */
static bool ipc_sep(char c)
{
    switch (c) {
    case '|':
    case ',':
    case ';':
    case '\r':
    case '\n':
    case '\t':
    case '[':
    case ']':
    case '\'':
    case '"':
        return true;
    default:
        return false;
    }
}

int imp_norm_ipc(const char *cell, idx_strv *out, tm_err *err)
{
    size_t len = strlen(cell), i = 0, no = 0;
    /* Words that are no code, kept for one entry: on the stack for a cell
     * of a few codes, as most are. */
    char code[24], small[128], *other = len < sizeof small ? small : tm_xmalloc(len + 1);

    (void)err;
    while (i < len) {
        size_t j = i;
        while (j < len && !ipc_sep(cell[j]))
            j++;
        /* One piece: codes and, between them, other words. */
        const char *p = cell + i, *end = cell + j;
        while (p < end) {
            if (is_ws(*p)) {
                p++;
                continue;
            }
            size_t k = ipc_at(p, end, code);
            if (k) {
                flush_other(out, other, &no);
                push_unique(out, code);
                p += k;
                continue;
            }
            if (no) other[no++] = ' ';
            while (p < end && !is_ws(*p))
                other[no++] = *p++;
        }
        flush_other(out, other, &no);
        i = j + 1;
    }
    if (other != small) free(other);
    return TM_OK;
}
