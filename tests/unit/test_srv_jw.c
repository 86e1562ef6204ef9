/* The streaming JSON writer: what it writes parses back (with Jansson) to
 * the same values, whatever the strings hold. */
#include <jansson.h>
#include <string.h>

#include "../../server/srv_jw.h"
#include "../tm_test.h"

static json_t *parse(tm_buf *b)
{
    json_error_t e;
    json_t *j = json_loadb(tm_buf_cstr(b), b->len, 0, &e);
    if (!j) fprintf(stderr, "  not JSON (%s): %s\n", e.text, tm_buf_cstr(b));
    return j;
}

TM_TEST(nested_objects_and_arrays_get_their_commas)
{
    tm_buf b = {0};
    srv_jw w;
    srv_jw_init(&w, &b);
    srv_jw_obj(&w);
    srv_jw_key(&w, "a");
    srv_jw_int(&w, -7);
    srv_jw_key(&w, "list");
    srv_jw_arr(&w);
    srv_jw_str(&w, "x");
    srv_jw_obj(&w);
    srv_jw_obj_end(&w);
    srv_jw_arr(&w);
    srv_jw_arr_end(&w);
    srv_jw_null(&w);
    srv_jw_bool(&w, true);
    srv_jw_arr_end(&w);
    srv_jw_key(&w, "r");
    srv_jw_real(&w, 2.0);
    srv_jw_key(&w, "none");
    srv_jw_str(&w, NULL);
    srv_jw_obj_end(&w);
    CHECK_STR(tm_buf_cstr(&b),
              "{\"a\":-7,\"list\":[\"x\",{},[],null,true],\"r\":2.0,\"none\":null}");
    tm_buf_free(&b);
}

TM_TEST(strings_with_quotes_controls_and_korean_round_trip)
{
    static const char *const s[] = {"plain", "\"quoted\" \\ back", "tab\tnl\ncr\r\x01\x1f",
                                    "의료기기 <mark>x</mark>", ""};
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++) {
        tm_buf b = {0};
        srv_jw w;
        srv_jw_init(&w, &b);
        srv_jw_arr(&w);
        srv_jw_str(&w, s[i]);
        srv_jw_arr_end(&w);
        json_t *j = parse(&b);
        CHECK(j && !strcmp(json_string_value(json_array_get(j, 0)), s[i]));
        json_decref(j);
        tm_buf_free(&b);
    }
}

TM_TEST(integers_print_exactly_at_their_limits)
{
    tm_buf b = {0};
    srv_jw w;
    srv_jw_init(&w, &b);
    srv_jw_arr(&w);
    srv_jw_int(&w, 0);
    srv_jw_int(&w, 9);
    srv_jw_int(&w, -10);
    srv_jw_int(&w, INT64_MAX);
    srv_jw_int(&w, INT64_MIN);
    srv_jw_arr_end(&w);
    CHECK_STR(tm_buf_cstr(&b), "[0,9,-10,9223372036854775807,-9223372036854775808]");
    tm_buf_free(&b);
}

TM_TEST(reals_round_trip_and_non_finite_becomes_zero)
{
    const double v[] = {0.1, 10.370937675207921, -3e-7, 1e300, 0.0 / 0.0};
    tm_buf b = {0};
    srv_jw w;
    srv_jw_init(&w, &b);
    srv_jw_arr(&w);
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        srv_jw_real(&w, v[i]);
    srv_jw_arr_end(&w);
    json_t *j = parse(&b);
    CHECK(j != NULL);
    for (size_t i = 0; j && i < 4; i++)
        CHECK(json_is_real(json_array_get(j, i)) && json_real_value(json_array_get(j, i)) == v[i]);
    CHECK(j && json_real_value(json_array_get(j, 4)) == 0.0);
    json_decref(j);
    tm_buf_free(&b);
}

TM_TEST_MAIN()
