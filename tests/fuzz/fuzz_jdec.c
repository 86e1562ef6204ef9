/* libFuzzer target for imp_jdec, differential against Jansson.
 *
 * For any input, imp_jdec(p, n) and
 * json_loadb(p, n, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY) agree: both
 * fail, or both succeed with json_equal values whose types match all the
 * way down (integer vs real, the sign of a real zero). The input is decoded
 * as it is and inside an array and an object member ("[" input "]" and
 * {"k": input}), each from an exact-size heap copy so that ASan sees a read
 * past the end. A disagreement aborts.
 *
 * Build and run from the repository root:
 *   make build/fuzz/fuzz_jdec
 *   build/fuzz/fuzz_jdec -max_total_time=300 build/fuzz/new_jdec tests/fuzz/corpus/jdec
 * `make test` replays tests/fuzz/corpus/jdec with build/asan/fuzz/replay_jdec. */
#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/tm_alloc.h"
#include "../../import/imp_jdec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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

/* pre + data + post in an exact-size buffer, decoded both ways. */
static void compare(const char *pre, const uint8_t *data, size_t size, const char *post)
{
    size_t a = strlen(pre), b = strlen(post), n = a + size + b;
    char *buf = tm_xmalloc(n ? n : 1);
    memcpy(buf, pre, a);
    if (size) memcpy(buf + a, data, size);
    memcpy(buf + a + size, post, b);

    json_error_t je;
    json_t *want = json_loadb(buf, n, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
    json_t *got = imp_jdec(buf, n);
    if ((want == NULL) != (got == NULL)) {
        fprintf(stderr, "fuzz_jdec: %s%s: Jansson %s (%s), imp_jdec %s\n", pre, post,
                want ? "succeeds" : "fails", want ? "" : je.text, got ? "succeeds" : "fails");
        abort();
    }
    if (want && !(json_equal(want, got) && same_tree(want, got))) {
        fprintf(stderr, "fuzz_jdec: %s%s: the values differ\n", pre, post);
        abort();
    }
    json_decref(want);
    json_decref(got);
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    compare("", data, size, "");
    compare("[", data, size, "]");
    compare("{\"k\":", data, size, "}");
    return 0;
}
