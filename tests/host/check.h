/* Tiny check macros for host unit tests: each failed check prints file:line and the values,
 * everything is counted, and `return check_report("name");` ends main with the verdict.
 * A test that ran no check, or ended without check_report(), fails: it proved nothing. */
#ifndef KEEL_TEST_CHECK_H
#define KEEL_TEST_CHECK_H
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int check_passed_count;
static int check_failed_count;
static int check_reported;

/* Catches a main that returns (or exits) before check_report(), whatever status it gave. */
static void check_at_exit(void)
{
    if (check_reported)
        return;
    fprintf(stderr, "test ended without check_report() after %d checks: failing it\n",
            check_passed_count + check_failed_count);
    fflush(NULL);
    _exit(1);
}

__attribute__((constructor)) static void check_register_at_exit(void)
{
    atexit(check_at_exit);
}

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

/* Prints the totals; returns the process exit status (non-zero if any check failed or none
 * ran). */
static inline int check_report(const char *name)
{
    check_reported = 1;
    printf("%s: %d passed, %d failed\n", name, check_passed_count, check_failed_count);
    if (check_passed_count + check_failed_count == 0) {
        fprintf(stderr, "%s: no check ran: a test that checks nothing proves nothing\n", name);
        return 1;
    }
    return check_failed_count ? 1 : 0;
}

#endif
