#include "srv_pass.h"

#include <sodium.h>
#include <string.h>
#include <strings.h>

#include "../common/tm_utf8.h"

_Static_assert(SRV_PASS_HASH_CAP == crypto_pwhash_STRBYTES, "hash buffer size");

/* 8 digits, 24 upper-case and 24 lower-case letters: no 0/O/o, 1/l/I. */
const char srv_pass_alphabet[] = "23456789"
                                 "ABCDEFGHJKLMNPQRSTUVWXYZ"
                                 "abcdefghijkmnpqrstuvwxyz";

_Static_assert(sizeof srv_pass_alphabet - 1 == 56, "56 letters");

/* Common passwords: the head of public breach-derived lists (NCSC's top
 * 100k, SecLists) and the usual ways people pad them to 12 bytes, those of
 * SRV_PASS_MIN bytes or more first. The shorter ones fail the length rule
 * already; they stay so that the list remains right if the minimum changes. */
// clang-format off
static const char *const common[] = {
    "123456789012", "1234567890123", "12345678901234", "123456789123", "1234567891011",
    "123123123123", "111111111111", "000000000000", "121212121212", "123412341234",
    "qwertyuiop12", "qwertyuiop123", "qwerty123456", "qwertyuiopasdfghjkl", "qwertyuiopasd",
    "asdfghjkl123", "1q2w3e4r5t6y", "1qaz2wsx3edc", "zaq12wsxcde3", "q1w2e3r4t5y6",
    "qazwsxedcrfv", "password1234", "password12345", "password123456", "passwordpassword",
    "passw0rd1234", "p@ssw0rd1234", "p@ssword1234", "password!234", "mypassword123",
    "iloveyou1234", "iloveyou12345", "administrator", "administrator1", "welcome12345",
    "welcome123456", "letmein12345", "changeme1234", "changeme123!", "trustno1trustno1",
    "abcdefghijkl", "abc123456789", "abcd12345678", "abcdefg12345", "football1234",
    "baseball1234", "superman1234", "princess1234", "sunshine1234", "starwars1234",
    "dragon123456", "monkey123456", "master123456", "shadow123456", "michael12345",
    "charlie12345", "basketball12", "michaeljordan", "liverpool123", "manchesterunited",
    "chelsea12345", "computer1234", "internet1234", "whatever1234", "samsung12345",
    "korea1234567", "seoul1234567", "love12345678", "qwer12345678", "asdf12345678",
    "zxcvbnm12345", "zxcvbnm123456", "techmart1234", "techmart12345",
    /* Shorter classics: the length rule rejects them first. */
    "123456", "123456789", "12345678", "password", "qwerty", "12345", "1234567890",
    "111111", "1234567", "qwerty123", "000000", "1q2w3e", "aa12345678", "abc123",
    "password1", "1234", "qwertyuiop", "123321", "password123", "iloveyou", "admin",
    "welcome", "letmein", "monkey", "dragon", "football", "baseball", "sunshine",
    "princess", "superman", "trustno1", "master", "shadow", "qazwsx", "zxcvbnm",
};
// clang-format on

int srv_pass_check(const char *pw, size_t len, tm_err *err)
{
    if (len < SRV_PASS_MIN)
        return tm_err_set(err, TM_EINVAL, "password", "a password needs at least %d bytes",
                          SRV_PASS_MIN);
    if (len > SRV_PASS_MAX)
        return tm_err_set(err, TM_EINVAL, "password", "a password has at most %d bytes",
                          SRV_PASS_MAX);
    if (memchr(pw, '\0', len) || !tm_utf8_valid(pw, len))
        return tm_err_set(err, TM_EINVAL, "password", "a password must be valid UTF-8 text");
    for (size_t i = 0; i < sizeof common / sizeof common[0]; i++)
        if (strlen(common[i]) == len && !strncasecmp(common[i], pw, len))
            return tm_err_set(err, TM_EINVAL, "password",
                              "this password is one of the most common; choose another");
    return TM_OK;
}

int srv_pass_hash(const char *pw, size_t len, char out[SRV_PASS_HASH_CAP], tm_err *err)
{
    if (crypto_pwhash_str(out, pw, len, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
        out[0] = '\0';
        return tm_err_set(err, TM_EBUSY, NULL, "not enough memory to hash a password");
    }
    return TM_OK;
}

bool srv_pass_verify(const char *hash, const char *pw, size_t len)
{
    return hash && crypto_pwhash_str_verify(hash, pw, len) == 0;
}

void srv_pass_generate(char out[SRV_PASS_GEN_LEN + 1])
{
    for (int i = 0; i < SRV_PASS_GEN_LEN; i++)
        out[i] = srv_pass_alphabet[randombytes_uniform(sizeof srv_pass_alphabet - 1)];
    out[SRV_PASS_GEN_LEN] = '\0';
}
