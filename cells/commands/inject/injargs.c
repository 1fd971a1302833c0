/* The inject command's argument parser (injargs.h). */
#include <keel/format.h>
#include <keel/string.h>
#include "commands/inject/injargs.h"

static const char *const model_names[] = {
    [INJECT_BITFLIP] = "bitflip", [INJECT_WORD] = "word",           [INJECT_NOP] = "nop",
    [INJECT_BRANCH] = "branch",   [INJECT_EXCEPTION] = "exception", [INJECT_LOOP] = "loop",
};
#define NMODELS (sizeof(model_names) / sizeof(model_names[0]))

const char *injargs_model_name(enum inject_model m)
{
    return (unsigned)m < NMODELS && model_names[m] ? model_names[m] : "?";
}

const char *injargs_region_name(enum cell_region r)
{
    return r == CELL_REGION_TEXT     ? "text"
           : r == CELL_REGION_RODATA ? "rodata"
           : r == CELL_REGION_DATA   ? "data"
                                     : "?";
}

const char *injargs_trigger_name(enum inject_trigger t)
{
    return t == INJECT_AFTER_CALLS ? "after-calls" : t == INJECT_AFTER_US ? "after-us" : "now";
}

/* Decimal, or hexadecimal with 0x; at most max. */
static bool number(const char *s, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    unsigned base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    if (!*s)
        return false;
    for (; *s; s++) {
        unsigned d;
        if (*s >= '0' && *s <= '9')
            d = (unsigned)(*s - '0');
        else if (base == 16 && *s >= 'a' && *s <= 'f')
            d = (unsigned)(*s - 'a' + 10);
        else if (base == 16 && *s >= 'A' && *s <= 'F')
            d = (unsigned)(*s - 'A' + 10);
        else
            return false;
        if (v > (UINT64_MAX - d) / base)
            return false;
        v = v * base + d;
    }
    if (v > max)
        return false;
    *out = v;
    return true;
}

static int bad(char *msg, unsigned long size, const char *fmt, const char *arg)
{
    ksnprintf(msg, size, fmt, arg);
    return 2;
}

static bool copy_word(char *dst, unsigned long size, const char *src, unsigned long n)
{
    if (!n || n >= size)
        return false;
    memcpy(dst, src, n);
    dst[n] = 0;
    return true;
}

int injargs_parse(int argc, const char *const *argv, struct injargs *out, char *msg,
                  unsigned long msg_size)
{
    memset(out, 0, sizeof(*out));
    if (msg_size)
        msg[0] = 0;
    if (argc == 2 && strcmp(argv[1], "status") == 0) {
        out->action = INJARGS_STATUS;
        return 0;
    }
    if (argc == 2 && (strcmp(argv[1], "restore") == 0 || strcmp(argv[1], "--restore") == 0)) {
        out->action = INJARGS_RESTORE;
        return 0;
    }
    if (argc < 3)
        return bad(msg, msg_size, "%s", "want a fault model and a cell, 'status' or 'restore'");
    struct inject_spec *s = &out->spec;
    for (unsigned m = 1; m < NMODELS; m++)
        if (model_names[m] && strcmp(argv[1], model_names[m]) == 0)
            s->model = (enum inject_model)m;
    if (!s->model)
        return bad(msg, msg_size,
                   "unknown fault model '%s' (bitflip, word, nop, branch, "
                   "exception or loop)",
                   argv[1]);
    if (!copy_word(s->cell, sizeof(s->cell), argv[2], strlen(argv[2])))
        return bad(msg, msg_size, "bad cell name '%s'", argv[2]);
    bool at = false, plus = false, offset = false, of = false;
    for (int i = 3; i < argc; i++) {
        const char *opt = argv[i];
        if (i + 1 >= argc)
            return bad(msg, msg_size, "%s needs a value", opt);
        const char *val = argv[++i];
        if (strcmp(opt, "--region") == 0) {
            if (strcmp(val, "text") == 0)
                s->region = CELL_REGION_TEXT;
            else if (strcmp(val, "rodata") == 0)
                s->region = CELL_REGION_RODATA;
            else if (strcmp(val, "data") == 0)
                s->region = CELL_REGION_DATA;
            else
                return bad(msg, msg_size, "unknown region '%s' (text, rodata or data)", val);
        } else if (strcmp(opt, "--at") == 0) {
            const char *p = strchr(val, '+');
            unsigned long n = p ? (unsigned long)(p - val) : strlen(val);
            if (!copy_word(out->symbol, sizeof(out->symbol), val, n) ||
                (p && !number(p + 1, UINT64_MAX, &s->symbol_offset)))
                return bad(msg, msg_size, "bad --at '%s': want symbol or symbol+offset", val);
            s->symbol = out->symbol;
            plus = p != NULL; /* sym+off fixes the place; sym alone lets the seed pick */
            s->has_offset = plus;
            at = true;
        } else if (strcmp(opt, "--offset") == 0) {
            if (!number(val, UINT64_MAX, &s->offset))
                return bad(msg, msg_size, "bad --offset '%s': want a number", val);
            s->has_offset = offset = true;
        } else if (strcmp(opt, "--seed") == 0) {
            if (!number(val, UINT64_MAX, &s->seed))
                return bad(msg, msg_size, "bad --seed '%s': want a number", val);
        } else if (strcmp(opt, "--value") == 0) {
            if (strcmp(val, "random") == 0)
                s->value = INJECT_VALUE_RANDOM;
            else if (strcmp(val, "zero") == 0)
                s->value = INJECT_VALUE_ZERO;
            else if (strcmp(val, "ones") == 0)
                s->value = INJECT_VALUE_ONES;
            else
                return bad(msg, msg_size, "unknown value '%s' (random, zero or ones)", val);
        } else if (strcmp(opt, "--after-calls") == 0 || strcmp(opt, "--after-us") == 0) {
            bool calls = opt[8] == 'c';
            if (s->trigger)
                return bad(msg, msg_size, "%s", "one trigger only: --after-calls or --after-us");
            if (!number(val, calls ? INJECT_AFTER_CALLS_MAX : INJECT_AFTER_US_MAX, &s->trigger_n) ||
                (calls && !s->trigger_n))
                return bad(msg, msg_size,
                           calls ? "bad --after-calls '%s': want a count, 1..1000000000"
                                 : "bad --after-us '%s': want microseconds, 0..60000000",
                           val);
            s->trigger = calls ? INJECT_AFTER_CALLS : INJECT_AFTER_US;
        } else if (strcmp(opt, "--of") == 0) {
            if (!copy_word(out->trigger_symbol, sizeof(out->trigger_symbol), val, strlen(val)) ||
                strchr(val, '+'))
                return bad(msg, msg_size, "bad --of '%s': want a function of the cell", val);
            s->trigger_symbol = out->trigger_symbol;
            of = true;
        } else {
            return bad(msg, msg_size, "unknown option '%s'", opt);
        }
    }
    if (at && offset)
        return bad(msg, msg_size, "%s", "--at and --offset exclude each other");
    if (s->value && s->model != INJECT_WORD)
        return bad(msg, msg_size, "%s", "--value is for word faults only");
    if (s->model == INJECT_EXCEPTION || s->model == INJECT_LOOP) {
        if (!at || plus || offset)
            return bad(msg, msg_size, "%s needs --at <function> (no +offset: the entry)", argv[1]);
        if (s->region && s->region != CELL_REGION_TEXT)
            return bad(msg, msg_size, "%s needs code: --region text", argv[1]);
    }
    if ((s->trigger == INJECT_AFTER_CALLS) != of)
        return bad(msg, msg_size, "%s", "--after-calls N and --of <function> go together");
    out->action = INJARGS_FAULT;
    return 0;
}
