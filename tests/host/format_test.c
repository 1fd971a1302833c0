/* format: a differential test against the host's snprintf (glibc) over every flag, width,
 * precision and length combination the engine supports, then the snprintf contract
 * (truncation, return value, NUL), unknown conversions, overflow and format_size. */
#include "check.h"
#include <keel/errno.h>
#include <keel/format.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>

#define BUFSZ   160
#define SMALLSZ 7

static unsigned long long compared, mismatches;

static void report(const char *fmt, const char *what, int r1, const char *b1, int r2,
                   const char *b2)
{
    if (mismatches++ < 25)
        fprintf(stderr, "mismatch: fmt \"%s\" value %s: libc %d \"%s\", keel %d \"%s\"\n", fmt,
                what, r1, b1, r2, b2);
}

/* Runs one call through both implementations at two buffer sizes and compares return values
 * and whole buffers (so writes past the NUL or the size are caught as well). */
#define DIFF(what, ...)                                                                            \
    do {                                                                                           \
        char b1[BUFSZ], b2[BUFSZ];                                                                 \
        size_t sizes[2] = {BUFSZ, SMALLSZ};                                                        \
        for (int si = 0; si < 2; si++) {                                                           \
            memset(b1, 0x5a, sizeof(b1));                                                          \
            memset(b2, 0x5a, sizeof(b2));                                                          \
            int r1 = snprintf(b1, sizes[si], fmt, __VA_ARGS__);                                    \
            int r2 = ksnprintf(b2, sizes[si], fmt, __VA_ARGS__);                                   \
            compared++;                                                                            \
            if (r1 != r2 || memcmp(b1, b2, sizeof(b1)) != 0) {                                     \
                b1[BUFSZ - 1] = b2[BUFSZ - 1] = 0;                                                 \
                report(fmt, what, r1, b1, r2, b2);                                                 \
            }                                                                                      \
        }                                                                                          \
    } while (0)

/* Adds the * arguments the format asks for in front of the value. */
#define DIFF_STARS(what, v)                                                                        \
    do {                                                                                           \
        if (sw && sp)                                                                              \
            DIFF(what, w, p, v);                                                                   \
        else if (sw)                                                                               \
            DIFF(what, w, v);                                                                      \
        else if (sp)                                                                               \
            DIFF(what, p, v);                                                                      \
        else                                                                                       \
            DIFF(what, v);                                                                         \
    } while (0)

static const uint64_t int_values[] = {
    0,
    1,
    7,
    42,
    127,
    128,
    255,
    256,
    300,
    32767,
    32768,
    65535,
    70000,
    0x7fffffff,
    0x80000000,
    0xffffffff,
    0x100000000ull,
    0x123456789abcdefull,
    (uint64_t)INT64_MAX,
    (uint64_t)INT64_MIN,
    UINT64_MAX /* -1 */,
    (uint64_t)-42,
    (uint64_t)INT_MIN,
};
#define NVALUES (sizeof(int_values) / sizeof(int_values[0]))

static const char *const lengths[] = {"", "hh", "h", "l", "ll", "z", "t", "j"};
static const char *const widths[] = {"", "1", "5", "23", "*"};
static const char *const precisions[] = {"", ".", ".0", ".1", ".4", ".23", ".*"};
static const char flag_chars[] = "-+ 0#";
static const int star_widths[] = {12, -12, 0};
static const int star_precs[] = {3, -1, 0};

static void diff_int(const char *fmt, int sw, int sp, int w, int p, int len, char conv)
{
    bool is_signed = conv == 'd' || conv == 'i';
    for (size_t i = 0; i < NVALUES; i++) {
        uint64_t v = int_values[i];
        char what[32];
        snprintf(what, sizeof(what), "0x%llx", (unsigned long long)v);
        switch (len) {
        case 0:
        case 1:
        case 2: /* hh and h take an int and convert it themselves */
            if (is_signed)
                DIFF_STARS(what, (int)v);
            else
                DIFF_STARS(what, (unsigned)v);
            break;
        case 3:
            if (is_signed)
                DIFF_STARS(what, (long)v);
            else
                DIFF_STARS(what, (unsigned long)v);
            break;
        case 4:
            if (is_signed)
                DIFF_STARS(what, (long long)v);
            else
                DIFF_STARS(what, (unsigned long long)v);
            break;
        case 5:
        case 6:
            if (is_signed)
                DIFF_STARS(what, (ptrdiff_t)v);
            else
                DIFF_STARS(what, (size_t)v);
            break;
        default:
            if (is_signed)
                DIFF_STARS(what, (intmax_t)v);
            else
                DIFF_STARS(what, (uintmax_t)v);
            break;
        }
    }
}

static void diff_other(const char *fmt, int sw, int sp, int w, int p, char conv)
{
    static const int chars[] = {'a', 'Z', ' ', '%', 0, 200};
    static const char *const strings[] = {
        "", "a", "hello", "exactly twenty-three ch", "a string longer than every width used", NULL};
    static const uintptr_t ptrs[] = {0, 1, 0x1234, 0xffffffff80001000ull, UINTPTR_MAX};
    char what[48];
    if (conv == 'c') {
        for (size_t i = 0; i < sizeof(chars) / sizeof(chars[0]); i++) {
            snprintf(what, sizeof(what), "char %d", chars[i]);
            DIFF_STARS(what, chars[i]);
        }
    } else if (conv == 's') {
        for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
            snprintf(what, sizeof(what), "\"%s\"", strings[i] ? strings[i] : "NULL");
            DIFF_STARS(what, strings[i]);
        }
    } else {
        for (size_t i = 0; i < sizeof(ptrs) / sizeof(ptrs[0]); i++) {
            snprintf(what, sizeof(what), "ptr 0x%llx", (unsigned long long)ptrs[i]);
            DIFF_STARS(what, (void *)ptrs[i]);
        }
    }
}

static void test_differential(void)
{
    static const char convs[] = "diuxXocsp";
    for (const char *c = convs; *c; c++) {
        bool is_int = strchr("diuxXo", *c) != NULL;
        int nlen = is_int ? 8 : 1; /* %lc, %ls, %lp are not supported */
        for (int len = 0; len < nlen; len++)
            for (unsigned flags = 0; flags < 32; flags++)
                for (size_t wi = 0; wi < sizeof(widths) / sizeof(widths[0]); wi++)
                    for (size_t pi = 0; pi < sizeof(precisions) / sizeof(precisions[0]); pi++) {
                        char fmt[32];
                        size_t n = 0;
                        fmt[n++] = '<';
                        fmt[n++] = '%';
                        for (int f = 0; f < 5; f++)
                            if (flags & (1u << f))
                                fmt[n++] = flag_chars[f];
                        n += (size_t)sprintf(fmt + n, "%s%s%s%c>", widths[wi], precisions[pi],
                                             lengths[len], *c);
                        int sw = strchr(widths[wi], '*') != NULL;
                        int sp = strchr(precisions[pi], '*') != NULL;
                        for (int si = 0; si < (sw ? 3 : 1); si++)
                            for (int pj = 0; pj < (sp ? 3 : 1); pj++) {
                                if (is_int)
                                    diff_int(fmt, sw, sp, star_widths[si], star_precs[pj], len, *c);
                                else
                                    diff_other(fmt, sw, sp, star_widths[si], star_precs[pj], *c);
                            }
                    }
    }
    /* Several conversions and literal text in one format. */
    {
        const char *fmt = "x=%d y=%-6s| z=%#x %% %c%5.2s|%llu %p [%+.3i]";
        DIFF("mixed", -17, "ab", 255u, 'q', "xyz", ULLONG_MAX, (void *)0xdead, 5);
        fmt = "no conversions at all";
        DIFF("plain", 0);
        fmt = "%hhu %hhd %hu %hd";
        DIFF("narrow", 511, 383, 131071, 98303);
    }
    printf("differential: %llu comparisons\n", compared);
    CHECK(compared > 500000); /* the table really ran */
    CHECK_EQ_U64(mismatches, 0);
}

static void test_snprintf_contract(void)
{
    char buf[16];
    memset(buf, 'x', sizeof(buf));
    CHECK_EQ_INT(ksnprintf(buf, 5, "hello world"), 11);
    CHECK_EQ_STR(buf, "hell");
    CHECK(buf[5] == 'x'); /* nothing written past size */
    CHECK_EQ_INT(ksnprintf(buf, 6, "hello"), 5);
    CHECK_EQ_STR(buf, "hello");
    CHECK_EQ_INT(ksnprintf(buf, 5, "hello"), 5);
    CHECK_EQ_STR(buf, "hell");
    memset(buf, 'x', sizeof(buf));
    CHECK_EQ_INT(ksnprintf(buf, 1, "%d", 12345), 5);
    CHECK(buf[0] == 0 && buf[1] == 'x');
    memset(buf, 'x', sizeof(buf));
    CHECK_EQ_INT(ksnprintf(buf, 0, "%s", "abc"), 3);
    CHECK(buf[0] == 'x'); /* size 0 writes nothing */
    CHECK_EQ_INT(ksnprintf(NULL, 0, "%d-%s", -5, "xy"), 5);
    char big[64];
    CHECK_EQ_INT(
        ksnprintf(big, sizeof(big), "%s|%.3s|%10.2s", (char *)NULL, (char *)NULL, (char *)NULL),
        18);
    CHECK_EQ_STR(big, "(null)||          ");
    CHECK_EQ_INT(ksnprintf(buf, sizeof(buf), "%p|%5p", NULL, (void *)0x10), 11);
    CHECK_EQ_STR(buf, "(nil)| 0x10");
    CHECK_EQ_INT(ksnprintf(buf, sizeof(buf), ""), 0);
    CHECK_EQ_STR(buf, "");
    CHECK_EQ_INT(ksnprintf(big, sizeof(big), "%d %d", INT_MIN, INT_MAX), 22);
    CHECK_EQ_STR(big, "-2147483648 2147483647");
    CHECK_EQ_INT(ksnprintf(buf, sizeof(buf), "%d %d", INT_MIN, INT_MAX), 22);
    CHECK_EQ_STR(buf, "-2147483648 214"); /* truncated to 15 + NUL */
    CHECK_EQ_INT(ksnprintf(big, sizeof(big), "%lld", LLONG_MIN), 20);
    CHECK_EQ_STR(big, "-9223372036854775808");
    CHECK_EQ_INT(ksnprintf(big, sizeof(big), "%#llo", ULLONG_MAX), 23);
    CHECK_EQ_STR(big, "01777777777777777777777");

    /* Bad arguments. */
    const char *volatile null_fmt = NULL;
    CHECK_EQ_INT(ksnprintf(NULL, 4, "x"), KE_INVAL);
    CHECK_EQ_INT(ksnprintf(buf, sizeof(buf), null_fmt, 0), KE_INVAL);
}

/* Unknown conversions print literally; formats come from a table so the compiler's format
 * checker does not object to them. */
static void test_unknown_conversions(void)
{
    static const struct {
        const char *fmt, *out;
    } cases[] = {
        {"%y", "%y"},
        {"a%-#5.3yb", "a%-#5.3yb"},
        {"%lc|%ls|%hhs|%lp", "%lc|%ls|%hhs|%lp"},
        {"%n", "%n"},
        {"%Lf", "%Lf"},
        {"abc%", "abc%"},
        {"%-5", "%-5"},
        {"%l", "%l"},
        {"%y%d", "%y7"},               /* the argument goes to the next real conversion */
        {"%%%5%|%-5%|%05%", "%%|%|%"}, /* flags on %% are ignored, as in glibc */
    };
    char buf[64];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int r = ksnprintf(buf, sizeof(buf), cases[i].fmt, 7);
        CHECK_EQ_STR(buf, cases[i].out);
        CHECK_EQ_INT(r, (int)strlen(cases[i].out));
    }
}

struct collect {
    char text[256];
    size_t len;
    int calls;
};

static void collect_emit(void *ctx, const char *s, size_t n)
{
    struct collect *c = ctx;
    memcpy(c->text + c->len, s, n);
    c->len += n;
    c->calls++;
}

static void count_emit(void *ctx, const char *s, size_t n)
{
    *(size_t *)ctx += n;
}

static void test_kformat_and_overflow(void)
{
    struct collect c = {{0}, 0, 0};
    int r = kformat(collect_emit, &c, "[%-40d] %s", 42, "tail");
    CHECK_EQ_INT(r, 47);
    CHECK_EQ_U64(c.len, 47);
    CHECK(memcmp(c.text, "[42                                      ] tail", 47) == 0);
    CHECK(c.calls >= 3);

    CHECK_EQ_INT(kformat(NULL, NULL, "x"), KE_INVAL);

    /* A width beyond INT_MAX cannot be printed: KE_OVERFLOW, without emitting 2 GiB. */
    size_t total = 0;
    static const char *const huge[] = {"%3000000000s", "ab%99999999999999999999999s"};
    for (size_t i = 0; i < 2; i++) {
        total = 0;
        CHECK_EQ_INT(kformat(count_emit, &total, huge[i], "s"), KE_OVERFLOW);
        CHECK(total <= 2);
    }
    char buf[8];
    static const char *const fmt = "abc%3000000000d";
    CHECK_EQ_INT(ksnprintf(buf, sizeof(buf), fmt, 1), KE_OVERFLOW);
    CHECK_EQ_STR(buf, "abc"); /* still terminated */
    /* Two widths that fit INT_MAX alone but not together (counted, nothing stored). */
    CHECK_EQ_INT(ksnprintf(NULL, 0, "%*d%*d", INT_MAX - 1, 1, 2, 1), KE_OVERFLOW);
}

static void test_format_size(void)
{
    static const struct {
        uint64_t bytes;
        const char *out;
    } cases[] = {
        {0, "0 B"},
        {1, "1 B"},
        {1023, "1023 B"},
        {1024, "1 KiB"},
        {1536, "1536 B"},
        {12288, "12 KiB"},
        {3ull << 20, "3 MiB"},
        {(3ull << 20) + 4096, "3076 KiB"},
        {1ull << 30, "1 GiB"},
        {2047ull << 30, "2047 GiB"},
        {5ull << 40, "5 TiB"},
        {1ull << 50, "1 PiB"},
        {1ull << 60, "1 EiB"},
        {1ull << 63, "8 EiB"},
        {UINT64_MAX, "18446744073709551615 B"},
    };
    char buf[32];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int r = format_size(buf, sizeof(buf), cases[i].bytes);
        CHECK_EQ_STR(buf, cases[i].out);
        CHECK_EQ_INT(r, (int)strlen(cases[i].out));
    }
    CHECK_EQ_INT(format_size(buf, 4, 3ull << 20), 5);
    CHECK_EQ_STR(buf, "3 M");
}

int main(void)
{
    test_differential();
    test_snprintf_contract();
    test_unknown_conversions();
    test_kformat_and_overflow();
    test_format_size();
    return check_report("format_test");
}
