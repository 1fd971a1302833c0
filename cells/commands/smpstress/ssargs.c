/* The smpstress command's argument parser (ssargs.h). */
#include <keel/format.h>
#include <keel/string.h>
#include "commands/smpstress/ssargs.h"

/* A decimal number in [min, max] (at most 20 digits, no overflow). */
static bool decimal(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    if (!*s || strlen(s) > 20)
        return false;
    uint64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        uint64_t d = (uint64_t)(*s - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    if (v < min || v > max)
        return false;
    *out = v;
    return true;
}

/* "0x" and 1..16 hex digits. */
static bool hex(const char *s, uint64_t *out)
{
    if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X') || !s[2] || strlen(s + 2) > 16)
        return false;
    uint64_t v = 0;
    for (s += 2; *s; s++) {
        unsigned d;
        if (*s >= '0' && *s <= '9')
            d = (unsigned)(*s - '0');
        else if (*s >= 'a' && *s <= 'f')
            d = (unsigned)(*s - 'a' + 10);
        else if (*s >= 'A' && *s <= 'F')
            d = (unsigned)(*s - 'A' + 10);
        else
            return false;
        v = v << 4 | d;
    }
    *out = v;
    return true;
}

static int bad(char *msg, unsigned long size, const char *fmt, const char *arg)
{
    ksnprintf(msg, size, fmt, arg);
    return 2;
}

int ssargs_parse(int argc, const char *const *argv, struct ssargs *out, char *msg,
                 unsigned long msg_size)
{
    memset(out, 0, sizeof(*out));
    out->seed = SSARGS_SEED_DEFAULT;
    if (msg_size)
        msg[0] = 0;
    bool have_seed = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        uint64_t v;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            out->help = true;
        } else if (strcmp(a, "--json") == 0) {
            out->json = true;
        } else if (strcmp(a, "--no-swap") == 0) {
            out->no_swap = true;
        } else if (strcmp(a, "--seconds") == 0 || strcmp(a, "--rounds") == 0 ||
                   strcmp(a, "--seed") == 0) {
            if (i + 1 >= argc)
                return bad(msg, msg_size, "%s needs a value", a);
            const char *val = argv[++i];
            if (strcmp(a, "--seconds") == 0) {
                if (out->seconds)
                    return bad(msg, msg_size, "%s given twice", a);
                if (!decimal(val, 1, SSARGS_SECONDS_MAX, &v))
                    return bad(msg, msg_size, "bad seconds '%s' (a whole number, 1..3600)", val);
                out->seconds = (uint32_t)v;
            } else if (strcmp(a, "--rounds") == 0) {
                if (out->rounds)
                    return bad(msg, msg_size, "%s given twice", a);
                if (!decimal(val, 1, SSARGS_ROUNDS_MAX, &v))
                    return bad(msg, msg_size, "bad rounds '%s' (a whole number, 1..100000)", val);
                out->rounds = (uint32_t)v;
            } else {
                if (have_seed)
                    return bad(msg, msg_size, "%s given twice", a);
                if (!decimal(val, 0, UINT64_MAX, &v) && !hex(val, &v))
                    return bad(msg, msg_size,
                               "bad seed '%s' (a decimal or 0x-hex number below 2^64)", val);
                out->seed = v;
                have_seed = true;
            }
        } else if (a[0] == '-') {
            return bad(msg, msg_size, "unknown option '%s'", a);
        } else {
            return bad(msg, msg_size, "unexpected argument '%s'", a);
        }
    }
    if (out->seconds && out->rounds)
        return bad(msg, msg_size, "%s", "--seconds and --rounds exclude each other");
    if (!out->seconds && !out->rounds)
        out->seconds = SSARGS_SECONDS_DEFAULT;
    return 0;
}
