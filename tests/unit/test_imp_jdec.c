/* imp_jdec against json_loadb(JSON_REJECT_DUPLICATES | JSON_DECODE_ANY):
 * a table of edge cases (each also with the outcome JSON's rules and
 * Jansson 2.14 give it), nesting at the depth limit, every prefix and many
 * one-byte changes of a few records, and every record of the shared data
 * set (/work/shared/data, skipped with a note when absent). */
#include <dirent.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../../common/tm_alloc.h"
#include "../../common/tm_buf.h"
#include "../../import/imp_jdec.h"
#include "../tm_test.h"

#define JDEC_DATA_DIR "/work/shared/data"

/* Same types all the way down (integer vs real), equal values. */
static bool same_tree(const json_t *a, const json_t *b)
{
    if (json_typeof(a) != json_typeof(b)) return false;
    switch (json_typeof(a)) {
    case JSON_OBJECT: {
        const char *k;
        size_t klen;
        json_t *va;
        if (json_object_size(a) != json_object_size(b)) return false;
        json_object_keylen_foreach((json_t *)a, k, klen, va)
        {
            const json_t *vb = json_object_getn(b, k, klen);
            if (!vb || !same_tree(va, vb)) return false;
        }
        return true;
    }
    case JSON_ARRAY:
        if (json_array_size(a) != json_array_size(b)) return false;
        for (size_t i = 0; i < json_array_size(a); i++)
            if (!same_tree(json_array_get(a, i), json_array_get(b, i))) return false;
        return true;
    case JSON_STRING:
        return json_string_length(a) == json_string_length(b) &&
               memcmp(json_string_value(a), json_string_value(b), json_string_length(a)) == 0;
    case JSON_INTEGER:
        return json_integer_value(a) == json_integer_value(b);
    case JSON_REAL:
        return json_real_value(a) == json_real_value(b) &&
               signbit(json_real_value(a)) == signbit(json_real_value(b));
    default:
        return true;
    }
}

static size_t n_disagree;

/* Decodes p[0..n) from an exact-size heap copy (so ASan sees a read past
 * the end) with both decoders; true when they agree. *valid: Jansson's
 * verdict. */
static bool agree(const char *p, size_t n, bool *valid)
{
    char *copy = tm_xmalloc(n ? n : 1);
    memcpy(copy, p, n);
    json_error_t je;
    json_t *want = json_loadb(copy, n, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
    json_t *got = imp_jdec(copy, n);
    bool ok = (want == NULL) == (got == NULL) &&
              (!want || (json_equal(want, got) && same_tree(want, got)));
    if (!ok && n_disagree++ < 10)
        fprintf(stderr, "  disagree on %zu bytes \"%.*s\": jansson %s (%s), imp_jdec %s\n", n,
                (int)(n < 80 ? n : 80), p, want ? "ok" : "fails", want ? "" : je.text,
                got ? "ok" : "fails");
    if (valid) *valid = want != NULL;
    json_decref(want);
    json_decref(got);
    free(copy);
    return ok;
}

typedef struct jd_case {
    const char *text;
    size_t len;
    bool valid;
} jd_case;

/* clang-format off */
#define OK(s) {s, sizeof(s) - 1, true}
#define BAD(s) {s, sizeof(s) - 1, false}

static const jd_case cases[] = {
    /* values and white space */
    OK("{}"), OK("[]"), OK("1"), OK("\"x\""), OK("true"), OK("false"), OK("null"),
    OK(" \t\r\n{ \"a\" : [ 1 , 2 ] , \"b\" : { } } \n\r\t "), OK("[[],{},[[]]]"),
    OK("{\"a\":1,\"b\":{\"a\":2,\"b\":[1,{\"a\":3}]}}"), OK("{\"\":0}"), OK("[\"\",\"\"]"),
    BAD(""), BAD(" "), BAD("\n\t"), BAD("{"), BAD("}"), BAD("["), BAD("]"), BAD("[1"), BAD("[1,"),
    BAD("{\"a\""), BAD("{\"a\":"), BAD("{\"a\":1"), BAD("[1,]"), BAD("[,1]"), BAD("[,]"),
    BAD("{,}"), BAD("{\"a\":1,}"), BAD("{\"a\"}"), BAD("{\"a\" 1}"), BAD("{1:2}"),
    BAD("{\"a\":1 \"b\":2}"), BAD("[1 2]"), BAD("{} x"), BAD("{}{}"), BAD("1 2"), BAD("{}]"),
    BAD("\f{}"), BAD("\v1"), BAD("{}\f"), BAD("\xEF\xBB\xBF{}"), BAD("{'a':1}"), BAD("[1;2]"),
    BAD("{\"a\"::1}"), BAD("[1]]"),
    /* literals */
    BAD("tru"), BAD("truex"), BAD("True"), BAD("nul"), BAD("nulll"), BAD("fals"), BAD("[true1]"),
    BAD("NaN"), BAD("Infinity"), BAD("-Infinity"), BAD("undefined"),
    /* numbers */
    OK("0"), OK("-0"), OK("-0.0"), OK("0.0"), OK("1E5"), OK("1e+5"), OK("1e-5"), OK("1.5e3"),
    OK("-12.5E-3"), OK("123456789"), OK("9223372036854775807"), OK("-9223372036854775808"),
    OK("1e-400"), OK("-1e-400"), OK("4e-320"), OK("1.7976931348623157e308"),
    OK("0.000000000000000000000000000000000000000001"), OK("1e0000000000000000000001"),
    OK("[0,-0,1,-1,0.5,-0.5]"), OK("123456789012345678e-5"),
    BAD("9223372036854775808"), BAD("-9223372036854775809"), BAD("18446744073709551616"),
    BAD("100000000000000000000000"), BAD("1e400"), BAD("-1e400"), BAD("1.8e308"),
    BAD("01"), BAD("-01"), BAD("00"), BAD("-"), BAD("+1"), BAD("--1"), BAD("1."), BAD(".5"),
    BAD("1.e5"), BAD("1e"), BAD("1e+"), BAD("1E-"), BAD("0x10"), BAD("1.5.3"), BAD("- 1"),
    BAD("1e5.5"), BAD("[01]"),
    /* strings and escapes */
    OK("\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t\""), OK("\"\\u0041\\u00e9\\u00E9\\u4e2d\\uFFFF\""),
    OK("\"\\u0001\""), OK("\"\\uD83D\\uDE00\""), OK("\"\\udbff\\udfff\""), OK("\"a\\u00e9b\""),
    OK("\"\x7F\""), OK("{\"\\u0061\":1,\"b\":2}"), OK("{\"a\\nb\":{\"a\\nb\":1}}"),
    BAD("\"abc"), BAD("\"\\\""), BAD("\"\\"), BAD("\"\\x41\""), BAD("\"\\'\""), BAD("\"\\U0041\""),
    BAD("\"\\u004\""), BAD("\"\\u00G1\""), BAD("\"\\u\""), BAD("\"\\u0000\""),
    BAD("{\"\\u0000\":1}"), BAD("\"\\uD800\""), BAD("\"\\uDC00\""), BAD("\"\\uD800x\""),
    BAD("\"\\uD800\\n\""), BAD("\"\\uD800\\uD800\""), BAD("\"\\uD800\\u0041\""),
    BAD("\"\\uDE00\\uD83D\""), BAD("\"\\uD800\\u\""), BAD("\"\\uD800\\uDC0\""),
    BAD("\"a\nb\""), BAD("\"a\tb\""), BAD("\"\x01\""), BAD("\"\x1F\""), BAD("\"a\rb\""),
    BAD("\"\\u00e9\x01\""),
    /* UTF-8 */
    OK("\"\xED\x95\x9C\xEA\xB8\x80\""), OK("\"\xC2\x80\xDF\xBF\""), OK("\"\xE0\xA0\x80\""),
    OK("\"\xEF\xBF\xBF\""), OK("\"\xF0\x90\x80\x80\""), OK("\"\xF4\x8F\xBF\xBF\""),
    OK("{\"\xED\x95\x9C\":\"\xF0\x9F\x98\x80\\n\"}"), OK("\"\xEE\x80\x80\""),
    BAD("\"\xC0\x80\""), BAD("\"\xC1\xBF\""), BAD("\"\xE0\x80\x80\""), BAD("\"\xE0\x9F\xBF\""),
    BAD("\"\xF0\x80\x80\x80\""), BAD("\"\xF0\x8F\xBF\xBF\""), BAD("\"\xED\xA0\x80\""),
    BAD("\"\xED\xBF\xBF\""), BAD("\"\xF4\x90\x80\x80\""), BAD("\"\xF5\x80\x80\x80\""),
    BAD("\"\xF8\x88\x80\x80\x80\""), BAD("\"\x80\""), BAD("\"\xBF\""), BAD("\"\xFE\""),
    BAD("\"\xFF\""), BAD("\"\xE4\xB8\""), BAD("\"\xE4\xB8\"\""), BAD("\"\xC3\""),
    BAD("\"\xF0\x9F\x98\""), BAD("\"\xC3\x28\""), BAD("\"\\n\xE4\x41\x80\""),
    BAD("\xED\x95\x9C"), BAD("[1]\xC3\xA9"), BAD("\"\xE4\xB8\xAD"),
    /* duplicate keys */
    BAD("{\"a\":1,\"a\":2}"), BAD("{\"a\":1,\"\\u0061\":2}"), BAD("{\"a\":{},\"a\":{}}"),
    BAD("{\"x\":{\"a\":1,\"b\":2,\"a\":3}}"), OK("{\"a\":{\"a\":1},\"b\":{\"a\":2}}"),
    OK("{\"a\":1,\"A\":2,\"a \":3}"),
    /* NUL bytes: Jansson 2.14's stream drops one right after a number or a
     * literal and rejects it anywhere else */
    OK("1\0"), OK("[1\0]"), OK("true\0"), OK("[true\0,1]"), OK("{\"a\":null\0}"), OK("1.5\0"),
    OK("1e5\0"), OK("-0\0 "), OK("[false\0 ,0\0]"), BAD("1\0\0"), BAD("\"a\"\0"),
    BAD("[1 \0]"), BAD("\0"), BAD("[\0]"), BAD("{}\0"), BAD("[]\0"), BAD("{\"a\"\0:1}"),
    BAD("\"a\0b\""), BAD("1.\0"), BAD("1e\0"), BAD("-\0"), BAD("tru\0e"), BAD("1 \0"),
};
/* clang-format on */

TM_TEST(jdec_agrees_with_jansson_on_each_edge_case)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const jd_case *c = &cases[i];
        bool valid = false;
        bool ok = agree(c->text, c->len, &valid);
        CHECK(ok);
        if (valid != c->valid)
            fprintf(stderr, "  case %zu \"%s\": Jansson says %s\n", i, c->text,
                    valid ? "valid" : "invalid");
        CHECK(valid == c->valid);
    }
}

TM_TEST(jdec_builds_the_values_a_user_reads)
{
    const char *text = "{\"b\":1,\"a\":[2.5,-3,\"\\u00e9\\uD83D\\uDE00\",null,true,false],"
                       "\"c\":-0,\"d\":1E2,\"e\":\"plain\"}";
    json_t *v = imp_jdec(text, strlen(text));
    CHECK(json_is_object(v));
    if (!v) return;
    /* Insertion order, as Jansson keeps it. */
    void *it = json_object_iter(v);
    CHECK_STR(json_object_iter_key(it), "b");
    CHECK(json_integer_value(json_object_get(v, "b")) == 1);
    json_t *a = json_object_get(v, "a");
    CHECK(json_array_size(a) == 6);
    CHECK(json_is_real(json_array_get(a, 0)) && json_real_value(json_array_get(a, 0)) == 2.5);
    CHECK(json_is_integer(json_array_get(a, 1)) && json_integer_value(json_array_get(a, 1)) == -3);
    CHECK_STR(json_string_value(json_array_get(a, 2)), "\xC3\xA9\xF0\x9F\x98\x80");
    CHECK(json_is_null(json_array_get(a, 3)) && json_is_true(json_array_get(a, 4)) &&
          json_is_false(json_array_get(a, 5)));
    CHECK(json_is_integer(json_object_get(v, "c")) &&
          json_integer_value(json_object_get(v, "c")) == 0);
    CHECK(json_is_real(json_object_get(v, "d")) &&
          json_real_value(json_object_get(v, "d")) == 100.0);
    CHECK_STR(json_string_value(json_object_get(v, "e")), "plain");
    json_decref(v);

    /* The buffer need not end in NUL, and only n bytes are read. */
    v = imp_jdec("[12]34", 4);
    CHECK(json_is_array(v) && json_integer_value(json_array_get(v, 0)) == 12);
    json_decref(v);
    CHECK(imp_jdec(NULL, 0) == NULL);
}

/* depth containers around inner (an empty text: none). */
static char *nested(size_t depth, bool objects, const char *inner)
{
    tm_buf b = {0};
    for (size_t i = 0; i < depth; i++)
        tm_buf_puts(&b, objects ? "{\"k\":" : "[");
    tm_buf_puts(&b, inner);
    for (size_t i = 0; i < depth; i++)
        tm_buf_putc(&b, objects ? '}' : ']');
    if (objects && !*inner) {
        /* {"k":} is not JSON: the innermost object is empty instead. */
        tm_buf_reset(&b);
        for (size_t i = 0; i + 1 < depth; i++)
            tm_buf_puts(&b, "{\"k\":");
        tm_buf_puts(&b, "{}");
        for (size_t i = 0; i + 1 < depth; i++)
            tm_buf_putc(&b, '}');
    }
    char *out = tm_xstrndup(b.p, b.len);
    tm_buf_free(&b);
    return out;
}

TM_TEST(jdec_stops_at_jansson_depth_limit_and_not_before)
{
    const size_t max = JSON_PARSER_MAX_DEPTH;
    struct {
        size_t depth;
        bool objects;
        const char *inner;
        bool valid;
    } t[] = {
        {max, false, "", true},         {max + 1, false, "", false}, {max - 1, false, "1", true},
        {max, false, "1", false},       {max, true, "", true},       {max + 1, true, "", false},
        {max - 1, true, "\"s\"", true}, {max, true, "\"s\"", false}, {max - 1, false, "[]", true},
        {100, false, "1", true},        {5000, false, "1", false},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        char *text = nested(t[i].depth, t[i].objects, t[i].inner);
        bool valid = false;
        CHECK(agree(text, strlen(text), &valid));
        CHECK(valid == t[i].valid);
        free(text);
    }
}

static const char *const records[] = {
    "{\"title\":\"\xEC\x8B\x9D\xEC\x83\x9D "
    "\\\"x\\\"\",\"n\":[1,-2.5e-3,0,true,null],"
    "\"o\":{\"k\\u00e9\":\"\\uD83D\\uDE00\\t\",\"e\":{}},\"z\":false}",
    "[{\"a\":\"b\"},[],\"\",12345678901234,1E400,\"\\u0000\"]",
    "{\"a\":1,\"b\":2,\"a\":3}",
};

/* Every prefix of each record, and each byte replaced by a few others. */
TM_TEST(jdec_agrees_on_every_prefix_and_one_byte_change)
{
    static const char subst[] = {'\0', '"', '\\', ' ',    '}',    ']',    ',',    ':',  '1', 'e',
                                 '.',  '-', 'u',  '\x80', '\xC3', '\xED', '\xFF', '\n', 'D'};
    size_t bad = 0, runs = 0;
    for (size_t r = 0; r < sizeof records / sizeof records[0]; r++) {
        size_t n = strlen(records[r]);
        char *buf = tm_xmalloc(n);
        for (size_t k = 0; k <= n; k++, runs++)
            bad += !agree(records[r], k, NULL);
        for (size_t i = 0; i < n; i++) {
            for (size_t j = 0; j < sizeof subst; j++, runs++) {
                memcpy(buf, records[r], n);
                buf[i] = subst[j];
                bad += !agree(buf, n, NULL);
            }
        }
        free(buf);
    }
    printf("  %zu variants, %zu disagreements\n", runs, bad);
    CHECK(bad == 0);
}

/* ---- the shared data set ---- */

typedef struct data_stats {
    size_t files, records, valid, bad;
} data_stats;

static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    tm_buf b = {0};
    char chunk[65536];
    size_t k;
    while ((k = fread(chunk, 1, sizeof chunk, f)) > 0)
        tm_buf_append(&b, chunk, k);
    fclose(f);
    *n = b.len;
    char *out = tm_xmalloc(b.len ? b.len : 1);
    memcpy(out, b.p, b.len);
    tm_buf_free(&b);
    return out;
}

static void check_record(const char *p, size_t n, data_stats *st)
{
    bool valid = false;
    st->records++;
    if (!agree(p, n, &valid)) st->bad++;
    st->valid += valid;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

static void check_file(const char *path, data_stats *st)
{
    size_t n = 0;
    char *text = slurp(path, &n);
    if (!text) return;
    st->files++;
    if (ends_with(path, ".jsonl")) {
        for (size_t i = 0; i < n;) {
            const char *nl = memchr(text + i, '\n', n - i);
            size_t end = nl ? (size_t)(nl - text) : n;
            check_record(text + i, end - i, st);
            i = end + 1;
        }
    } else {
        check_record(text, n, st);
        json_t *all = json_loadb(text, n, JSON_DECODE_ANY, NULL);
        for (size_t i = 0; json_is_array(all) && i < json_array_size(all); i++) {
            char *elem = json_dumps(json_array_get(all, i), JSON_ENCODE_ANY | JSON_COMPACT);
            if (elem) check_record(elem, strlen(elem), st);
            free(elem);
        }
        json_decref(all);
    }
    free(text);
}

static void walk(const char *dir, data_stats *st)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    if (!d) return;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char path[4096];
        struct stat sb;
        if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path) continue;
        if (stat(path, &sb) != 0) continue;
        if (S_ISDIR(sb.st_mode))
            walk(path, st);
        else if (ends_with(path, ".jsonl") || ends_with(path, ".json"))
            check_file(path, st);
    }
    closedir(d);
}

TM_TEST(jdec_agrees_on_every_record_of_the_shared_data)
{
    struct stat sb;
    if (stat(JDEC_DATA_DIR, &sb) != 0) {
        printf("  note: %s is absent, the data set is not checked\n", JDEC_DATA_DIR);
        return;
    }
    data_stats st = {0};
    walk(JDEC_DATA_DIR, &st);
    printf("  %zu files, %zu records (%zu valid JSON), %zu disagreements\n", st.files, st.records,
           st.valid, st.bad);
    CHECK(st.bad == 0);
    CHECK(st.files == 0 || st.valid > 0);
}

TM_TEST_MAIN()
