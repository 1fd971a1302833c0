/* The swap command's argument parser (swapargs.h). */
#include <keel/format.h>
#include <keel/string.h>
#include "commands/swap/swapargs.h"

static bool all_digits(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

/* A decimal number in [1, max]. */
static bool number(const char *s, uint64_t max, uint64_t *out)
{
    if (!all_digits(s) || strlen(s) > 10)
        return false;
    uint64_t v = 0;
    for (; *s; s++)
        v = v * 10 + (uint64_t)(*s - '0');
    if (v == 0 || v > max)
        return false;
    *out = v;
    return true;
}

static int bad(char *msg, unsigned long size, const char *fmt, const char *arg)
{
    ksnprintf(msg, size, fmt, arg);
    return 2;
}

int swapargs_parse(int argc, const char *const *argv, struct swapargs *out, char *msg,
                   unsigned long msg_size, const char *(*step_name)(int step))
{
    memset(out, 0, sizeof(*out));
    int i = 1;
    for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
        const char *a = argv[i];
        uint64_t v;
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        } else if (strcmp(a, "-n") == 0 || strcmp(a, "--dry-run") == 0) {
            out->dry_run = true;
        } else if (strcmp(a, "-v") == 0) {
            out->verbose = true;
        } else if (strcmp(a, "--json") == 0) {
            out->json = true;
        } else if (strcmp(a, "-t") == 0 || strcmp(a, "-r") == 0 || strcmp(a, "--fail-at") == 0) {
            if (i + 1 >= argc)
                return bad(msg, msg_size, "%s needs a value", a);
            const char *val = argv[++i];
            if (a[1] == 't') {
                if (!number(val, 60000, &v))
                    return bad(msg, msg_size, "bad deadline '%s' (milliseconds, 1..60000)", val);
                out->deadline_ms = v;
            } else if (a[1] == 'r') {
                if (!number(val, SWAPARGS_MAX_REPEAT, &v))
                    return bad(msg, msg_size, "bad count '%s' (1..1000000)", val);
                out->repeat = (uint32_t)v;
            } else {
                int s = 1;
                const char *name;
                while ((name = step_name(s)) != NULL && strcmp(name, val) != 0)
                    s++;
                if (!name)
                    return bad(msg, msg_size,
                               "unknown step '%s' (link, check, quiesce, transfer, rewrite)", val);
                out->fail_at = s;
            }
        } else {
            return bad(msg, msg_size, "unknown option '%s'", a);
        }
    }
    int rest = argc - i;
    if (rest <= 0)
        return bad(msg, msg_size, "%swhich cell, and which version?", "");
    if (rest % 2)
        return bad(msg, msg_size, "'%s' needs a version or object after it", argv[argc - 1]);
    if (rest / 2 > SWAPARGS_MAX_PAIRS)
        return bad(msg, msg_size, "%sat most 8 cells in one swap", "");
    for (; i < argc; i += 2) {
        for (unsigned k = 0; k < out->npairs; k++)
            if (strcmp(out->cell[k], argv[i]) == 0)
                return bad(msg, msg_size, "cell '%s' named twice", argv[i]);
        out->cell[out->npairs] = argv[i];
        out->target[out->npairs] = argv[i + 1];
        out->npairs++;
    }
    if (out->dry_run && out->repeat)
        return bad(msg, msg_size, "%s-n and -r do not go together", "");
    return 0;
}

int swapargs_object_name(const char *cell, const char *target, bool with_o, char *out,
                         unsigned long size)
{
    size_t len = strlen(target);
    int n;
    if (all_digits(target))
        n = ksnprintf(out, size, "%s@%s.o", cell, target);
    else if (with_o && !(len >= 2 && strcmp(target + len - 2, ".o") == 0))
        n = ksnprintf(out, size, "%s.o", target);
    else
        n = ksnprintf(out, size, "%s", target);
    return n < 0 || (unsigned long)n >= size ? -1 : 0;
}
