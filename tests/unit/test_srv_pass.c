/* Passwords: the policy (length, UTF-8, common passwords), the generator's
 * alphabet and length, argon2id hashing and verification. Each hash or
 * verify costs ~100 ms and 64 MiB, so there are few of them. */
#include <sodium.h>
#include <stdbool.h>
#include <string.h>

#include "../../server/srv_pass.h"
#include "../tm_test.h"

static int check(const char *pw, tm_err *err)
{
    return srv_pass_check(pw, strlen(pw), err);
}

TM_TEST(passwords_from_12_to_1024_bytes_of_utf8_pass_the_policy)
{
    tm_err err = {0};
    CHECK(check("correct horse", &err) == TM_OK);
    CHECK(check("abcdefghijk!", &err) == TM_OK); /* exactly 12 bytes */
    CHECK(check("기술이전마켓", &err) == TM_OK); /* 6 syllables, 18 bytes */
    char big[SRV_PASS_MAX + 2];
    memset(big, 'x', sizeof big);
    big[0] = 'Q';
    CHECK(srv_pass_check(big, SRV_PASS_MAX, &err) == TM_OK);
    CHECK(srv_pass_check(big, SRV_PASS_MAX + 1, &err) == TM_EINVAL);
    CHECK_STR(err.field, "password");
}

TM_TEST(short_invalid_and_common_passwords_are_refused_without_echoing_them)
{
    tm_err err = {0};
    static const char *const bad[] = {
        "",                      /* empty */
        "Tr0ub4dor&3",           /* 11 bytes */
        "password1234",          /* common */
        "PassWord1234",          /* common, another case */
        "QWERTYUIOP123",         /* common, upper case */
        "123456789012",          /* common */
        "\xff\xfe invalid utf8", /* not UTF-8 */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        tm_err_clear(&err);
        CHECK(check(bad[i], &err) == TM_EINVAL);
        CHECK_STR(err.field, "password");
        CHECK(err.msg[0] != '\0');
        CHECK(bad[i][0] == '\0' || strstr(err.msg, bad[i]) == NULL);
    }
    CHECK(check("기술이전", &err) == TM_OK); /* 4 syllables, 12 bytes */
    /* A NUL byte inside is refused. */
    CHECK(srv_pass_check("twelve bytes\0more", 17, &err) == TM_EINVAL);
    /* The common-password message says why. */
    CHECK(check("Password1234", &err) == TM_EINVAL);
    CHECK(strstr(err.msg, "common") != NULL);
    CHECK(check("short", &err) == TM_EINVAL);
    CHECK(strstr(err.msg, "12") != NULL);
}

TM_TEST(generated_passwords_are_20_characters_of_the_56_letter_alphabet)
{
    CHECK(sodium_init() >= 0);
    CHECK(strlen(srv_pass_alphabet) == 56);
    CHECK(strpbrk(srv_pass_alphabet, "0O1lIo") == NULL);
    for (size_t i = 0; i < 56; i++)
        CHECK(strchr(srv_pass_alphabet + i + 1, srv_pass_alphabet[i]) == NULL); /* distinct */
    char a[SRV_PASS_GEN_LEN + 1], b[SRV_PASS_GEN_LEN + 1];
    bool seen[256] = {false};
    for (int n = 0; n < 200; n++) {
        srv_pass_generate(a);
        CHECK(strlen(a) == SRV_PASS_GEN_LEN);
        CHECK(strspn(a, srv_pass_alphabet) == SRV_PASS_GEN_LEN);
        for (int i = 0; i < SRV_PASS_GEN_LEN; i++)
            seen[(unsigned char)a[i]] = true;
    }
    /* 4,000 draws cover every letter (the chance one is missed is < 1e-29). */
    for (size_t i = 0; i < 56; i++)
        CHECK(seen[(unsigned char)srv_pass_alphabet[i]]);
    srv_pass_generate(b);
    CHECK(strcmp(a, b) != 0);
    tm_err err = {0};
    CHECK(srv_pass_check(a, strlen(a), &err) == TM_OK);
}

TM_TEST(a_hash_verifies_its_password_and_not_another)
{
    CHECK(sodium_init() >= 0);
    char h1[SRV_PASS_HASH_CAP], h2[SRV_PASS_HASH_CAP];
    tm_err err = {0};
    const char *pw = "correct horse battery";
    CHECK(srv_pass_hash(pw, strlen(pw), h1, &err) == TM_OK);
    CHECK(strncmp(h1, "$argon2id$", 10) == 0);
    CHECK(strstr(h1, pw) == NULL);
    CHECK(srv_pass_verify(h1, pw, strlen(pw)));
    CHECK(!srv_pass_verify(h1, "correct horse batterz", strlen(pw)));
    CHECK(!srv_pass_verify(h1, pw, strlen(pw) - 1));
    /* Salted: the same password hashes differently each time. */
    CHECK(srv_pass_hash(pw, strlen(pw), h2, &err) == TM_OK);
    CHECK(strcmp(h1, h2) != 0);
    CHECK(!srv_pass_verify(NULL, pw, strlen(pw)));
    CHECK(!srv_pass_verify("not a hash", pw, strlen(pw)));
}

TM_TEST_MAIN()
