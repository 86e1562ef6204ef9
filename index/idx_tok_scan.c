/* idx_tok_scan: the one pass over the text that makes techmart's tokens.
 *
 * Each code point falls in one class: a separator (punctuation, space,
 * symbols, control bytes, invalid UTF-8), a CJK character (Hangul, Han,
 * kana: emitted as overlapping bigrams), a word character (letters and
 * digits of other scripts: emitted as one folded token per run) or an
 * ignorable (soft hyphen, joiners, variation selectors: skipped without
 * ending a run). A bigram of adjacent characters is passed as it stands in
 * the text; other tokens are built in a stack buffer: the IDX_TOK_MAX cap
 * means no token ever needs the heap. Most text is Hangul and ASCII, which
 * are told apart by their bytes before anything is decoded. */
#include "idx_tok_scan.h"

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "../common/tm_utf8.h"
#include "idx_tok.h" /* the rules, and IDX_TOK_MAX */

typedef enum { TK_SEP, TK_WORD, TK_CJK, TK_IGNORE } tk_class;

/* Classifies cp; for TK_WORD stores its case-folded form in *fold. */
static tk_class tk_classify(uint32_t cp, uint32_t *fold)
{
    *fold = cp;
    if (cp < 0x80) {
        if (cp >= 'A' && cp <= 'Z') {
            *fold = cp + 32;
            return TK_WORD;
        }
        if ((cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9')) return TK_WORD;
        return TK_SEP;
    }
    /* Most text here is Hangul: answer it before walking the ranges. */
    if (cp >= 0xAC00 && cp <= 0xD7A3) return TK_CJK;
    if (cp < 0xA0) return TK_SEP; /* C1 controls */
    if (cp < 0xC0) {
        if (cp == 0xAD) return TK_IGNORE; /* soft hyphen */
        return (cp == 0xAA || cp == 0xB5 || cp == 0xBA) ? TK_WORD : TK_SEP;
    }
    if (cp < 0x100) {
        if (cp == 0xD7 || cp == 0xF7) return TK_SEP; /* multiplication and division signs */
        if (cp < 0xDF) *fold = cp + 0x20;
        return TK_WORD;
    }
    if (cp < 0x180) { /* Latin Extended-A: mostly upper/lower pairs */
        if (cp == 0x130)
            *fold = 'i';
        else if (cp == 0x178)
            *fold = 0xFF;
        else if ((cp < 0x138 || (cp >= 0x14A && cp < 0x178)) && !(cp & 1))
            *fold = cp + 1;
        else if (((cp > 0x138 && cp < 0x149) || (cp > 0x178 && cp < 0x17F)) && (cp & 1))
            *fold = cp + 1;
        return TK_WORD;
    }
    /* Latin Extended-B, IPA, modifier letters, combining marks */
    if (cp < 0x370) return TK_WORD;
    if (cp < 0x400) { /* Greek */
        if (cp == 0x37E || cp == 0x387) return TK_SEP;
        if (cp >= 0x391 && cp <= 0x3AB && cp != 0x3A2)
            *fold = cp + 0x20;
        else if (cp == 0x386)
            *fold = 0x3AC;
        else if (cp >= 0x388 && cp <= 0x38A)
            *fold = cp + 0x25;
        else if (cp == 0x38C)
            *fold = 0x3CC;
        else if (cp == 0x38E || cp == 0x38F)
            *fold = cp + 0x3F;
        else if (cp == 0x3C2)
            *fold = 0x3C3; /* final sigma */
        return TK_WORD;
    }
    if (cp < 0x530) { /* Cyrillic */
        if (cp == 0x482) return TK_SEP;
        if (cp < 0x410)
            *fold = cp + 0x50;
        else if (cp < 0x430)
            *fold = cp + 0x20;
        else if (((cp >= 0x460 && cp < 0x482) || (cp >= 0x48A && cp < 0x4C0) ||
                  (cp >= 0x4D0 && cp < 0x530)) &&
                 !(cp & 1))
            *fold = cp + 1;
        else if (cp == 0x4C0)
            *fold = 0x4CF;
        else if (cp > 0x4C0 && cp < 0x4CF && (cp & 1))
            *fold = cp + 1;
        return TK_WORD;
    }
    if (cp < 0x1100) {
        if (cp >= 0x531 && cp <= 0x556) {
            *fold = cp + 0x30; /* Armenian */
            return TK_WORD;
        }
        /* The sentence and word punctuation of the scripts in this range. */
        if ((cp >= 0x55A && cp <= 0x55F) || cp == 0x589 || cp == 0x5BE || cp == 0x5C0 ||
            cp == 0x5C3 || cp == 0x5F3 || cp == 0x5F4 || (cp >= 0x600 && cp <= 0x60F) ||
            (cp >= 0x61B && cp <= 0x61F) || (cp >= 0x66A && cp <= 0x66D) || cp == 0x6D4 ||
            cp == 0x964 || cp == 0x965 || cp == 0x970 || cp == 0xE4F || cp == 0xE5A ||
            cp == 0xE5B || cp == 0x10FB)
            return TK_SEP;
        return TK_WORD;
    }
    if (cp < 0x1200) return TK_CJK; /* Hangul Jamo */
    if (cp < 0x2000) {
        if (cp == 0x1680 || (cp >= 0x1360 && cp <= 0x1368) || (cp >= 0x17D4 && cp <= 0x17DA) ||
            (cp >= 0x1800 && cp <= 0x180A) || cp == 0x180E)
            return TK_SEP;
        if (cp >= 0x180B && cp <= 0x180D) return TK_IGNORE; /* Mongolian variation selectors */
        if (cp >= 0x1E00 && cp < 0x1F00) {                  /* Latin Extended Additional */
            if (cp == 0x1E9E)
                *fold = 0xDF;
            else if ((cp < 0x1E96 || cp >= 0x1EA0) && !(cp & 1))
                *fold = cp + 1;
        }
        return TK_WORD;
    }
    if (cp < 0x2C00) {
        if (cp == 0x200C || cp == 0x200D || cp == 0x2060) return TK_IGNORE; /* joiners */
        return TK_SEP; /* punctuation, symbols, arrows, math, shapes, dingbats */
    }
    if (cp < 0x2E00) return TK_WORD; /* Glagolitic, Latin Extended-C, Coptic, Tifinagh, ... */
    if (cp < 0x2E80) return TK_SEP;  /* supplemental punctuation */
    /* radicals: PDF extraction often yields them for ideographs */
    if (cp < 0x2FF0) return TK_CJK;
    if (cp < 0x3040) {
        /* CJK symbols and punctuation, except iteration marks and numerals */
        if ((cp >= 0x3005 && cp <= 0x3007) || (cp >= 0x3021 && cp <= 0x3029) ||
            (cp >= 0x3031 && cp <= 0x3035) || (cp >= 0x3038 && cp <= 0x303C))
            return TK_CJK;
        return TK_SEP;
    }
    if (cp < 0x3190) {
        /* Hiragana, Katakana, Bopomofo, Hangul Compatibility Jamo */
        return (cp == 0x30A0 || cp == 0x30FB) ? TK_SEP : TK_CJK;
    }
    if (cp < 0x31A0) return TK_SEP;  /* Kanbun */
    if (cp < 0x31C0) return TK_CJK;  /* Bopomofo Extended */
    if (cp < 0x31F0) return TK_SEP;  /* CJK strokes */
    if (cp < 0x3200) return TK_CJK;  /* Katakana Phonetic Extensions */
    if (cp < 0x3400) return TK_SEP;  /* enclosed CJK letters, CJK compatibility (㈜, ㎜) */
    if (cp < 0x4DC0) return TK_CJK;  /* CJK Extension A */
    if (cp < 0x4E00) return TK_SEP;  /* Yijing hexagrams */
    if (cp < 0xA000) return TK_CJK;  /* CJK Unified Ideographs */
    if (cp < 0xA960) return TK_WORD; /* Yi, Lisu, Vai, Cyrillic Ext-B, Latin Ext-D, ... */
    if (cp < 0xA980) return TK_CJK;  /* Hangul Jamo Extended-A */
    if (cp < 0xAC00) return TK_WORD;
    if (cp <= 0xD7A3) return TK_CJK; /* Hangul syllables */
    if (cp < 0xD7B0) return TK_SEP;
    if (cp < 0xD800) return TK_CJK; /* Hangul Jamo Extended-B */
    if (cp < 0xF900) return TK_SEP; /* private use (surrogates never get here) */
    if (cp < 0xFB00) return TK_CJK; /* CJK Compatibility Ideographs */
    if (cp < 0xFE00) return (cp == 0xFD3E || cp == 0xFD3F) ? TK_SEP : TK_WORD;
    if (cp < 0xFE10) return TK_IGNORE; /* variation selectors */
    if (cp < 0xFE20) return TK_SEP;
    if (cp < 0xFE30) return TK_WORD; /* combining half marks */
    if (cp < 0xFE70) return TK_SEP;
    if (cp < 0xFEFF) return TK_WORD;    /* Arabic presentation forms-B */
    if (cp == 0xFEFF) return TK_IGNORE; /* byte order mark */
    if (cp < 0xFFF0) {                  /* halfwidth and fullwidth forms */
        if (cp >= 0xFF10 && cp <= 0xFF19) {
            *fold = cp - 0xFF10 + '0';
            return TK_WORD;
        }
        if ((cp >= 0xFF21 && cp <= 0xFF3A) || (cp >= 0xFF41 && cp <= 0xFF5A)) {
            *fold = ((cp - 0xFF21) & 0x1F) + 'a';
            return TK_WORD;
        }
        if (cp >= 0xFF66 && cp <= 0xFFDC) return TK_CJK; /* halfwidth Katakana and Hangul */
        return TK_SEP;
    }
    if (cp < 0x10000) return TK_SEP;
    if ((cp >= 0x16FE0 && cp < 0x18B00) || (cp >= 0x1B000 && cp < 0x1B300))
        return TK_CJK; /* Tangut, kana supplements */
    if ((cp >= 0x1D000 && cp < 0x1D400) || (cp >= 0x1F000 && cp < 0x20000))
        return TK_SEP;                /* musical symbols, emoji, pictographs */
    if (cp < 0x20000) return TK_WORD; /* historic scripts, math alphanumerics */
    if (cp < 0x40000) return TK_CJK;  /* CJK Extensions B.. and compatibility supplement */
    if (cp >= 0xE0000 && cp < 0xE0080) return TK_IGNORE; /* tags */
    if (cp >= 0xE0100 && cp < 0xE01F0) return TK_IGNORE; /* ideographic variation selectors */
    return TK_SEP;
}

/* True for the dashes that join digit groups of a patent number. */
static bool tk_is_hyphen(uint32_t cp)
{
    return cp == '-' || (cp >= 0x2010 && cp <= 0x2013) || cp == 0x2212 || cp == 0xFE63 ||
           cp == 0xFF0D;
}

/* Decodes the code point at t[i..n): its byte length (invalid bytes are one
 * byte) and class. */
static size_t tk_next(const unsigned char *t, size_t i, size_t n, uint32_t *fold, tk_class *cls)
{
    uint32_t cp;
    size_t k = tm_utf8_decode(t + i, n - i, &cp);

    if (k == 0) {
        *fold = 0xFFFD;
        *cls = TK_SEP;
        return 1;
    }
    *cls = tk_classify(cp, fold);
    return k;
}

/* True when the text after a hyphen at t[i..n) is a digit group that ends
 * the word run (or leads to another hyphen), so the hyphen joins digits. */
static bool tk_digit_group_follows(const unsigned char *t, size_t i, size_t n)
{
    size_t ndigits = 0;
    uint32_t f;
    tk_class cls;

    while (i < n) {
        size_t k = tk_next(t, i, n, &f, &cls);
        if (cls == TK_IGNORE) {
            i += k;
            continue;
        }
        if (cls != TK_WORD) break;
        if (f < '0' || f > '9') return false;
        ndigits++;
        i += k;
    }
    return ndigits > 0;
}

/* A token under construction. */
typedef struct tk_tok {
    char buf[IDX_TOK_MAX + 8];
    size_t len;
    size_t start, end; /* byte range in the input */
} tk_tok;

static int tk_emit(tk_tok *tk, void *ctx, idx_tok_xtoken xtoken)
{
    int rc = SQLITE_OK;
    if (tk->len > 0) rc = xtoken(ctx, 0, tk->buf, (int)tk->len, (int)tk->start, (int)tk->end);
    tk->len = 0;
    return rc;
}

/* The folded form of ASCII byte c when it is a word character, else 0. */
static inline unsigned char tk_ascii_word(unsigned char c)
{
    unsigned char lower = c | 0x20;
    if ((unsigned char)(lower - 'a') < 26) return lower;
    return (unsigned char)(c - '0') < 10 ? c : 0;
}

/* Emits the run of word characters starting at *pi, advancing *pi past it. */
static int tk_word_run(const unsigned char *t, size_t n, size_t *pi, const idx_tok_sink *out)
{
    int rc = SQLITE_OK;
    tk_tok tk;
    size_t i = *pi;
    bool all_digits = true;

    tk.len = 0;
    tk.start = tk.end = i;
    while (rc == SQLITE_OK && i < n) {
        uint32_t f;
        tk_class cls;
        size_t k;
        char enc[4];
        size_t elen;

        if (t[i] < 0x80) { /* most words are ASCII: no decoding, no classifying */
            unsigned char a = tk_ascii_word(t[i]);
            if (!a) {
                if (t[i] == '-' && all_digits && tk.len > 0 &&
                    tk_digit_group_follows(t, i + 1, n)) {
                    i++;
                    continue;
                }
                break;
            }
            if (tk.len == IDX_TOK_MAX) {
                rc = tk_emit(&tk, out->word_ctx, out->xword);
                all_digits = true;
            }
            if (tk.len == 0) tk.start = i;
            do {
                tk.buf[tk.len++] = (char)a;
                if (a > '9') all_digits = false;
            } while (++i < n && tk.len < IDX_TOK_MAX && (a = tk_ascii_word(t[i])));
            tk.end = i;
            continue;
        }
        k = tk_next(t, i, n, &f, &cls);
        if (cls == TK_IGNORE) {
            i += k;
            continue;
        }
        if (cls != TK_WORD) {
            if (tk_is_hyphen(f) && all_digits && tk.len > 0 &&
                tk_digit_group_follows(t, i + k, n)) {
                i += k;
                continue;
            }
            break;
        }
        if (f < 0x80) { /* ASCII: no call to encode */
            enc[0] = (char)f;
            elen = 1;
        } else {
            elen = tm_utf8_encode(f, enc);
        }
        if (elen == 0) { /* cannot happen for a decoded scalar; keep the input bytes */
            memcpy(enc, t + i, k);
            elen = k;
        }
        if (tk.len + elen > IDX_TOK_MAX) {
            rc = tk_emit(&tk, out->word_ctx, out->xword);
            tk.start = i;
            all_digits = true;
        }
        if (tk.len == 0) tk.start = i;
        memcpy(tk.buf + tk.len, enc, elen);
        tk.len += elen;
        tk.end = i + k;
        if (f < '0' || f > '9') all_digits = false;
        i += k;
    }
    if (rc == SQLITE_OK) rc = tk_emit(&tk, out->word_ctx, out->xword);
    *pi = i;
    return rc;
}

/* The length of the Hangul syllable at t[i..n) (3), or 0 when there is
 * none: most text here is Hangul, so it is recognised before tk_next
 * decodes and classifies anything else. U+AC00-U+D7A3 is EA B0 80 to
 * ED 9E A3, and UTF-8 keeps code point order, so three bytes in that range
 * whose last two are continuation bytes are always one valid syllable. */
static inline size_t tk_hangul(const unsigned char *t, size_t i, size_t n)
{
    if (n - i < 3) return 0;
    uint32_t v = (uint32_t)t[i] << 16 | (uint32_t)t[i + 1] << 8 | t[i + 2];
    return v >= 0xEAB080 && v <= 0xED9EA3 && (v & 0xC0C0) == 0x8080 ? 3 : 0;
}

/* Emits the run of CJK characters that starts at *pi with one of k bytes as
 * overlapping bigrams (a run of one character as a unigram), advancing *pi
 * past it. A bigram of two adjacent characters is passed as it stands in t
 * (FTS5 copies it); one with an ignorable between them is put together in
 * a buffer. */
static int tk_cjk_run(const unsigned char *t, size_t n, size_t *pi, size_t k,
                      const idx_tok_sink *out)
{
    idx_tok_xtoken xtoken = out->xtoken;
    void *ctx = out->ctx;
    int rc = SQLITE_OK;
    size_t i = *pi;
    size_t nchars = 0;
    size_t prev_start = 0, prev_end = 0;
    uint32_t f;
    tk_class cls = TK_CJK;

    for (;;) {
        if (cls == TK_CJK) {
            if (nchars > 0 && prev_end == i) {
                rc = xtoken(ctx, 0, (const char *)t + prev_start, (int)(i + k - prev_start),
                            (int)prev_start, (int)(i + k));
            } else if (nchars > 0) {
                tk_tok tk; /* each part is one decoded character: at most 8 bytes */
                memcpy(tk.buf, t + prev_start, prev_end - prev_start);
                memcpy(tk.buf + (prev_end - prev_start), t + i, k);
                tk.len = prev_end - prev_start + k;
                tk.start = prev_start;
                tk.end = i + k;
                rc = tk_emit(&tk, ctx, xtoken);
            }
            prev_start = i;
            nchars++;
            i += k;
            /* Syllables right after it, most of all text, in a loop of their own. */
            while (rc == SQLITE_OK && tk_hangul(t, i, n)) {
                rc = xtoken(ctx, 0, (const char *)t + prev_start, (int)(i + 3 - prev_start),
                            (int)prev_start, (int)(i + 3));
                prev_start = i;
                nchars++;
                i += 3;
            }
            prev_end = i;
        } else if (cls == TK_IGNORE) {
            i += k;
        } else {
            break;
        }
        /* ASCII is never CJK nor ignorable; anything else is decoded. */
        if (rc != SQLITE_OK || i >= n || t[i] < 0x80) break;
        k = tk_next(t, i, n, &f, &cls);
    }
    if (rc == SQLITE_OK && nchars == 1)
        rc = xtoken(ctx, 0, (const char *)t + prev_start, (int)(prev_end - prev_start),
                    (int)prev_start, (int)prev_end);
    *pi = i;
    return rc;
}

int idx_tok_scan(const idx_tok_sink *out, const char *text, int ntext)
{
    const unsigned char *t = (const unsigned char *)text;
    size_t n = ntext > 0 ? (size_t)ntext : 0;
    size_t i = 0;
    int rc = SQLITE_OK;

    if (!t) goto scan_done;
    while (rc == SQLITE_OK && i < n) {
        uint32_t f;
        tk_class cls = TK_CJK;
        size_t k = 3; /* a syllable's, unless decoded below */

        /* ASCII spaces and punctuation, the most common separators. */
        while (t[i] < 0x80 && !tk_ascii_word(t[i])) {
            if (++i == n) goto scan_done;
        }
        /* The first byte tells ASCII and Hangul apart without decoding. */
        if (t[i] < 0x80)
            cls = TK_WORD;
        else if (!tk_hangul(t, i, n))
            k = tk_next(t, i, n, &f, &cls);
        if (cls == TK_WORD)
            rc = tk_word_run(t, n, &i, out);
        else if (cls == TK_CJK)
            rc = tk_cjk_run(t, n, &i, k, out);
        else
            i += k;
    }
scan_done:
    return rc;
}
