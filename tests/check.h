/* check.h - the assertion macros every C test in tests/ uses.
 *
 * A failed check prints file:line and the expression, counts the failure and goes on, so one
 * run shows every broken assertion; CHECK_DONE() turns the count into the exit status that
 * ctest reads. Each test program is its own process. */
#ifndef RENKEI_TESTS_CHECK_H
#define RENKEI_TESTS_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int check_failures;

#define CHECK(cond)                                                                      \
    do {                                                                                 \
        if (!(cond)) {                                                                   \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);      \
            check_failures++;                                                            \
        }                                                                                \
    } while (0)

#define CHECK_INT(a, b)                                                                  \
    do {                                                                                 \
        long long check_a_ = (long long)(a), check_b_ = (long long)(b);                  \
        if (check_a_ != check_b_) {                                                      \
            fprintf(stderr, "%s:%d: %s == %s failed: %lld != %lld\n", __FILE__, __LINE__, \
                    #a, #b, check_a_, check_b_);                                         \
            check_failures++;                                                            \
        }                                                                                \
    } while (0)

#define CHECK_STR(a, b)                                                                  \
    do {                                                                                 \
        const char *check_a_ = (a), *check_b_ = (b);                                     \
        if (!check_a_ || !check_b_ || strcmp(check_a_, check_b_) != 0) {                 \
            fprintf(stderr, "%s:%d: %s == %s failed: \"%s\" != \"%s\"\n", __FILE__,       \
                    __LINE__, #a, #b, check_a_ ? check_a_ : "(null)",                    \
                    check_b_ ? check_b_ : "(null)");                                     \
            check_failures++;                                                            \
        }                                                                                \
    } while (0)

#define CHECK_NEAR(a, b, eps)                                                            \
    do {                                                                                 \
        double check_a_ = (a), check_b_ = (b), check_e_ = (eps);                         \
        if (!(check_a_ - check_b_ <= check_e_ && check_b_ - check_a_ <= check_e_)) {     \
            fprintf(stderr, "%s:%d: %s ~= %s failed: %.9g vs %.9g (eps %.3g)\n",          \
                    __FILE__, __LINE__, #a, #b, check_a_, check_b_, check_e_);           \
            check_failures++;                                                            \
        }                                                                                \
    } while (0)

#define CHECK_DONE()                                                                     \
    do {                                                                                 \
        if (check_failures) fprintf(stderr, "%d check(s) failed\n", check_failures);     \
        return check_failures ? 1 : 0;                                                   \
    } while (0)

#endif
