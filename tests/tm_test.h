/* tm_test: the unit-test harness (after redis testhelp.h).
 *
 * A test file defines tests with TM_TEST(name) { ... CHECK(cond); ... } and
 * ends with TM_TEST_MAIN(). Every TM_TEST registers itself through a
 * constructor, runs in definition order, and reports each failed CHECK with
 * file and line. main prints "N passed, N failed" and exits 1 on failure. */
#ifndef TM_TEST_H
#define TM_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*tm_test_fn)(void);

struct tm_test_case {
    const char *name;
    tm_test_fn fn;
};

extern struct tm_test_case tm_test_cases[512];
extern int tm_test_ncases;
extern int tm_test_failed_checks;

#define TM_TEST(name)                                                                              \
    static void name(void);                                                                        \
    __attribute__((constructor)) static void name##_register(void)                                 \
    {                                                                                              \
        if (tm_test_ncases < 512)                                                                  \
            tm_test_cases[tm_test_ncases++] = (struct tm_test_case){#name, name};                  \
    }                                                                                              \
    static void name(void)

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            tm_test_failed_checks++;                                                               \
            fprintf(stderr, "  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond);             \
        }                                                                                          \
    } while (0)

#define CHECK_STR(got, want)                                                                       \
    do {                                                                                           \
        const char *g_ = (got), *w_ = (want);                                                      \
        if (!g_ || strcmp(g_, w_) != 0) {                                                          \
            tm_test_failed_checks++;                                                               \
            fprintf(stderr, "  %s:%d: got \"%s\", want \"%s\"\n", __FILE__, __LINE__,              \
                    g_ ? g_ : "(null)", w_);                                                       \
        }                                                                                          \
    } while (0)

#define TM_TEST_MAIN()                                                                             \
    struct tm_test_case tm_test_cases[512];                                                        \
    int tm_test_ncases;                                                                            \
    int tm_test_failed_checks;                                                                     \
    int main(int argc, char **argv)                                                                \
    {                                                                                              \
        int passed = 0, failed = 0;                                                                \
        for (int i = 0; i < tm_test_ncases; i++) {                                                 \
            if (argc > 1 && !strstr(tm_test_cases[i].name, argv[1])) continue;                     \
            int before = tm_test_failed_checks;                                                    \
            tm_test_cases[i].fn();                                                                 \
            if (tm_test_failed_checks == before) {                                                 \
                passed++;                                                                          \
            } else {                                                                               \
                failed++;                                                                          \
                fprintf(stderr, "FAIL %s\n", tm_test_cases[i].name);                               \
            }                                                                                      \
        }                                                                                          \
        printf("%s: %d passed, %d failed\n", argv[0], passed, failed);                             \
        return failed ? 1 : 0;                                                                     \
    }

#endif
