#include <stdlib.h>
#include <string.h>

#include "../../server/srv_uri.h"
#include "../tm_test.h"

static char *decoded(const char *raw)
{
    char *out = NULL;
    tm_err err = {0};
    if (srv_uri_path_decode(raw, &out, &err) != TM_OK) return NULL;
    return out;
}

static int path_fails(const char *raw)
{
    char *out = (char *)1;
    tm_err err = {0};
    int rc = srv_uri_path_decode(raw, &out, &err);
    int ok = rc == TM_EINVAL && out == NULL && err.code == TM_EINVAL && err.msg[0];
    free(rc == TM_OK ? out : NULL);
    return ok;
}

TM_TEST(path_decoding_turns_escapes_into_bytes)
{
    char *p = decoded("/api/v1/technologies/%EC%9D%98%EB%A3%8C");
    CHECK_STR(p, "/api/v1/technologies/의료");
    free(p);
    p = decoded("/a%2Fb%2e%2E");
    CHECK_STR(p, "/a/b..");
    free(p);
}

TM_TEST(path_decoding_keeps_plus_as_plus)
{
    char *p = decoded("/a+b");
    CHECK_STR(p, "/a+b");
    free(p);
}

TM_TEST(empty_path_means_root)
{
    char *p = decoded("");
    CHECK_STR(p, "/");
    free(p);
}

TM_TEST(path_with_encoded_nul_or_control_byte_is_rejected)
{
    CHECK(path_fails("/%00"));
    CHECK(path_fails("/index.html%00.js"));
    CHECK(path_fails("/a%0Ab"));
    CHECK(path_fails("/a%7f"));
}

TM_TEST(path_with_malformed_escape_is_rejected)
{
    CHECK(path_fails("/%"));
    CHECK(path_fails("/%4"));
    CHECK(path_fails("/%zz"));
    CHECK(path_fails("/a%g0"));
}

TM_TEST(path_that_is_not_utf8_once_decoded_is_rejected)
{
    CHECK(path_fails("/%ff"));
    CHECK(path_fails("/%c3%28"));
    CHECK(path_fails("/%ed%a0%80")); /* a surrogate */
}

TM_TEST(path_not_starting_with_slash_is_rejected)
{
    CHECK(path_fails("*"));
    CHECK(path_fails("index.html"));
}

static int query_ok(const char *q)
{
    tm_err err = {0};
    return srv_uri_query_check(q, &err) == TM_OK;
}

TM_TEST(query_check_accepts_ordinary_queries)
{
    CHECK(query_ok(""));
    CHECK(query_ok("q=%EC%9D%98%EB%A3%8C+%EA%B8%B0%EC%88%A0&page=2"));
    CHECK(query_ok("q=a%2Bb&field=bio-medical&"));
    CHECK(query_ok("q="));
}

TM_TEST(query_check_rejects_nul_bad_escapes_and_bad_utf8)
{
    CHECK(!query_ok("q=a%00b"));
    CHECK(!query_ok("q=%"));
    CHECK(!query_ok("q=%e"));
    CHECK(!query_ok("q=%zz"));
    CHECK(!query_ok("q=%ff"));
    CHECK(!query_ok("%ff=1"));
    CHECK(!query_ok("a=1&q=%c3"));
}

TM_TEST(query_check_names_the_parameter_whose_value_is_bad)
{
    tm_err err = {0};
    CHECK(srv_uri_query_check("page=2&q=%ff%fe", &err) == TM_EINVAL);
    CHECK_STR(err.field, "q");
    tm_err_clear(&err);
    CHECK(srv_uri_query_check("%ff=1", &err) == TM_EINVAL);
    CHECK_STR(err.field, "");
}

static char *log_target(const char *raw, size_t max)
{
    tm_buf b = {0};
    srv_uri_log_target(raw, max, &b);
    return tm_buf_steal(&b);
}

TM_TEST(log_target_redacts_secret_parameters)
{
    char *s =
        log_target("/api/login?user=kim&password=hunter2&token=abc&csrf=x&session=y&q=1", 1024);
    CHECK_STR(s, "/api/login?user=kim&password=***&token=***&csrf=***&session=***&q=1");
    free(s);
}

TM_TEST(log_target_redacts_whatever_the_case_or_encoding_of_the_name)
{
    char *s = log_target("/x?Token=abc&PASSWORD=p&%74oken=t", 1024);
    CHECK_STR(s, "/x?Token=***&PASSWORD=***&%74oken=***");
    free(s);
}

TM_TEST(log_target_keeps_parameters_that_only_look_like_secrets)
{
    char *s = log_target("/x?tokens=a&my_password=b&q=token", 1024);
    CHECK_STR(s, "/x?tokens=a&my_password=b&q=token");
    free(s);
}

TM_TEST(log_target_escapes_bytes_that_could_forge_a_line)
{
    char *s = log_target("/a\nb c\"d\x01\xea", 1024);
    CHECK_STR(s, "/a%0Ab%20c%22d%01%EA");
    free(s);
}

TM_TEST(log_target_is_cut_without_splitting_an_escape)
{
    char *s = log_target("/ab\n", 4);
    CHECK_STR(s, "/ab...");
    free(s);
    s = log_target("/abcdef", 4);
    CHECK_STR(s, "/abc...");
    free(s);
}

TM_TEST_MAIN()
