/* srv_pass: passwords. The policy (length, UTF-8, not a common password),
 * argon2id hashing and verification (libsodium crypto_pwhash_str at the
 * INTERACTIVE limits: ~100 ms and 64 MiB per call, so the server must run
 * them off its event loops), and a generator of strong passwords.
 *
 * Call after sodium_init(). Every function is thread-safe. No message ever
 * contains the password; callers must never log it either, and should wipe
 * their copies (sodium_memzero) when done. */
#ifndef SRV_PASS_H
#define SRV_PASS_H

#include <stdbool.h>
#include <stddef.h>

#include "../common/tm_err.h"

#define SRV_PASS_MIN 12       /* bytes */
#define SRV_PASS_MAX 1024     /* bytes */
#define SRV_PASS_HASH_CAP 128 /* crypto_pwhash_STRBYTES, with the NUL */
#define SRV_PASS_GEN_LEN 20

/* TM_OK when pw[0..len) may be a password: SRV_PASS_MIN to SRV_PASS_MAX
 * bytes, valid UTF-8 without NUL bytes, and not one of the most common
 * passwords (compared ignoring ASCII case). Else TM_EINVAL with field
 * "password" and a message that does not repeat it. */
int srv_pass_check(const char *pw, size_t len, tm_err *err) TM_MUST_CHECK;

/* Hashes pw[0..len) with argon2id into out (a NUL-terminated
 * crypto_pwhash_str string). Does not apply the policy. TM_EBUSY when the
 * memory for it cannot be had. */
int srv_pass_hash(const char *pw, size_t len, char out[SRV_PASS_HASH_CAP],
                  tm_err *err) TM_MUST_CHECK;

/* True when pw[0..len) matches hash (constant time in the password). */
bool srv_pass_verify(const char *hash, const char *pw, size_t len);

/* Writes a random password of SRV_PASS_GEN_LEN characters from a 56-letter
 * alphabet without look-alikes (no 0 O o 1 l I), NUL-terminated: about 116
 * bits. */
void srv_pass_generate(char out[SRV_PASS_GEN_LEN + 1]);

/* The generator's alphabet (for tests). */
extern const char srv_pass_alphabet[];

#endif
