/* Tiny check macros for host unit tests: each failed check prints file:line and the values,
 * everything is counted, and `return check_report("name");` ends main with the verdict. */
#ifndef KEEL_TEST_CHECK_H
#define KEEL_TEST_CHECK_H
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int check_passed_count;
static int check_failed_count;

static inline void check_result(int ok, const char *file, int line, const char *expr)
{
    if (ok) {
        check_passed_count++;
        return;
    }
    check_failed_count++;
    fprintf(stderr, "%s:%d: check failed: %s\n", file, line, expr);
}

#define CHECK(cond) check_result(!!(cond), __FILE__, __LINE__, #cond)

#define CHECK_EQ_INT(a, b)                                                                         \
    do {                                                                                           \
        long long check_a_ = (long long)(a), check_b_ = (long long)(b);                            \
        check_result(check_a_ == check_b_, __FILE__, __LINE__, #a " == " #b);                      \
        if (check_a_ != check_b_)                                                                  \
            fprintf(stderr, "    left: %lld, right: %lld\n", check_a_, check_b_);                  \
    } while (0)

#define CHECK_EQ_U64(a, b)                                                                         \
    do {                                                                                           \
        uint64_t check_a_ = (uint64_t)(a), check_b_ = (uint64_t)(b);                               \
        check_result(check_a_ == check_b_, __FILE__, __LINE__, #a " == " #b);                      \
        if (check_a_ != check_b_)                                                                  \
            fprintf(stderr,                                                                        \
                    "    left: 0x%" PRIx64 " (%" PRIu64 "), right: 0x%" PRIx64 " (%" PRIu64 ")\n", \
                    check_a_, check_a_, check_b_, check_b_);                                       \
    } while (0)

#define CHECK_EQ_STR(a, b)                                                                         \
    do {                                                                                           \
        const char *check_a_ = (a), *check_b_ = (b);                                               \
        int check_ok_ = check_a_ && check_b_ && strcmp(check_a_, check_b_) == 0;                   \
        check_result(check_ok_, __FILE__, __LINE__, #a " == " #b);                                 \
        if (!check_ok_)                                                                            \
            fprintf(stderr, "    left: \"%s\", right: \"%s\"\n", check_a_ ? check_a_ : "(null)",   \
                    check_b_ ? check_b_ : "(null)");                                               \
    } while (0)

/* Prints the totals; returns the process exit status (non-zero if any check failed). */
static inline int check_report(const char *name)
{
    printf("%s: %d passed, %d failed\n", name, check_passed_count, check_failed_count);
    return check_failed_count ? 1 : 0;
}

#endif
