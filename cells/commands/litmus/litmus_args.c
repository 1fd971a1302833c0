/* The litmus command's argument parser (litmus_args.h). */
#include <keel/format.h>
#include <keel/string.h>
#include "commands/litmus/litmus_args.h"

/* A decimal number in [1, LITMUS_MAX_ITERATIONS], all of s. */
static bool iterations(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    if (!*s || strlen(s) > 10)
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    if (v == 0 || v > LITMUS_MAX_ITERATIONS)
        return false;
    *out = v;
    return true;
}

static int bad(char *msg, size_t size, const char *fmt, const char *arg)
{
    ksnprintf(msg, size, fmt, arg);
    return 2;
}

/* "no test 'a' (tests: MP SB ...)", the names from the table. */
static int no_test(char *msg, size_t size, const char *a)
{
    int len = ksnprintf(msg, size, "no test '%s' (tests:", a);
    for (unsigned j = 0; j < litmus_ntests && len >= 0 && (size_t)len < size; j++)
        len += ksnprintf(msg + len, size - (size_t)len, " %s", litmus_tests[j].name);
    if (len >= 0 && (size_t)len < size)
        ksnprintf(msg + len, size - (size_t)len, ")");
    return 2;
}

int litmus_args_parse(int argc, const char *const *argv, struct litmus_args *out, char *msg,
                      size_t msg_size)
{
    memset(out, 0, sizeof(*out));
    out->iterations = LITMUS_DEFAULT_ITERATIONS;
    if (msg && msg_size)
        msg[0] = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            out->help = true;
            return 0;
        }
        if (strcmp(a, "--json") == 0) {
            out->json = true;
        } else if (strcmp(a, "--iterations") == 0 || strncmp(a, "--iterations=", 13) == 0) {
            const char *v = a[12] == '=' ? a + 13 : (i + 1 < argc ? argv[++i] : NULL);
            if (!v)
                return bad(msg, msg_size, "%s needs a number", "--iterations");
            if (!iterations(v, &out->iterations))
                return bad(msg, msg_size, "bad --iterations '%s': a number from 1 to 100000000", v);
        } else if (a[0] == '-' && a[1]) {
            return bad(msg, msg_size, "unknown option '%s'", a);
        } else {
            const struct litmus_test *t = litmus_find(a);
            if (!t)
                return no_test(msg, msg_size, a);
            for (unsigned j = 0; j < out->ntests; j++)
                if (out->tests[j] == t)
                    return bad(msg, msg_size, "test '%s' named twice", t->name);
            if (out->ntests == LITMUS_MAX_SELECTED)
                return bad(msg, msg_size, "too many tests%s", "");
            out->tests[out->ntests++] = t;
        }
    }
    if (out->ntests == 0)
        for (unsigned j = 0; j < litmus_ntests && j < LITMUS_MAX_SELECTED; j++)
            out->tests[out->ntests++] = &litmus_tests[j];
    return 0;
}
