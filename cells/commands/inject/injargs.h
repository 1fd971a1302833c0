/* The fault spec language of `inject` (this header, with injargs_alloc.h and injargs_ipc.h for
 * allocation and IPC faults), shared by the shell command
 * (cells/commands/inject/inject.c) and the control channel's INJECT request (cells/ctl/
 * ops_inject.c), so that `keelctl inject ARGS` and the shell's `inject ARGS` mean the same.
 * Freestanding: host-tested (tests/host/injargs_test.c) and fuzzed (tests/fuzz/injargs_fuzz.c).
 * It checks the words only; the injector (keel/inject.h) checks them against the system.
 * Header-only, static functions (as commands/faults/faultrow.h): a global may be defined once in
 * the whole system, and two cells (cmd_inject, ctl) compile this. */
#ifndef CMD_INJECT_INJARGS_H
#define CMD_INJECT_INJARGS_H
#include <stdbool.h>
#include <stdint.h>
#include <keel/format.h>
#include <keel/inject.h>
#include <keel/inject_alloc.h>
#include <keel/string.h>

/* What a line asks for: a code fault (spec), the last fault's status, its restore, an allocation
 * fault (alloc), an IPC fault (ipc). The values go on the wire (docs/control-channel.md). */
enum injargs_action {
    INJARGS_FAULT = 1,
    INJARGS_STATUS,
    INJARGS_RESTORE,
    INJARGS_ALLOC,
    INJARGS_IPC
};
#define INJARGS_ACTION_LAST INJARGS_IPC

struct injargs {
    enum injargs_action action;
    struct inject_spec spec; /* INJARGS_FAULT: its strings point into this struct */
    struct inject_alloc_spec alloc;
    struct ipc_fault_spec ipc;
    char symbol[INJECT_SYMBOL_MAX];
    char trigger_symbol[INJECT_SYMBOL_MAX];
    char task[TASK_NAME_MAX];
};

/* injargs_parse: argv[0] is the command's name ("inject"). 0 with *out filled, or 2 after
 * writing why into msg (without the "inject: " prefix). out is not movable after: spec's strings
 * point into it. injargs_*_name: the words of the spec language, for printing. */

static const char *const injargs_model_names[] = {
    [INJECT_BITFLIP] = "bitflip", [INJECT_WORD] = "word",           [INJECT_NOP] = "nop",
    [INJECT_BRANCH] = "branch",   [INJECT_EXCEPTION] = "exception", [INJECT_LOOP] = "loop",
};
#define INJARGS_NMODELS (sizeof(injargs_model_names) / sizeof(injargs_model_names[0]))

static inline const char *injargs_model_name(enum inject_model m)
{
    return (unsigned)m < INJARGS_NMODELS && injargs_model_names[m] ? injargs_model_names[m] : "?";
}

static inline const char *injargs_region_name(enum cell_region r)
{
    return r == CELL_REGION_TEXT     ? "text"
           : r == CELL_REGION_RODATA ? "rodata"
           : r == CELL_REGION_DATA   ? "data"
                                     : "?";
}

/* The region word of a spec: text, rodata, data, heap or stack. */
static inline const char *injargs_where_name(const struct inject_spec *s)
{
    return s->place == INJECT_IN_HEAP    ? "heap"
           : s->place == INJECT_IN_STACK ? "stack"
                                         : injargs_region_name(s->region);
}

static inline const char *injargs_trigger_name(enum inject_trigger t)
{
    return t == INJECT_AFTER_CALLS ? "after-calls" : t == INJECT_AFTER_US ? "after-us" : "now";
}

/* Decimal, or hexadecimal with 0x; at most max. */
static inline bool injargs_number(const char *s, uint64_t max, uint64_t *out)
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

static inline int injargs_bad(char *msg, unsigned long size, const char *fmt, const char *arg)
{
    ksnprintf(msg, size, fmt, arg);
    return 2;
}

static inline bool injargs_copy_word(char *dst, unsigned long size, const char *src,
                                     unsigned long n)
{
    if (!n || n >= size)
        return false;
    memcpy(dst, src, n);
    dst[n] = 0;
    return true;
}

#include "commands/inject/injargs_alloc.h"
#include "commands/inject/injargs_ipc.h"

static inline int injargs_parse(int argc, const char *const *argv, struct injargs *out, char *msg,
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
    if (argc >= 2 && (strcmp(argv[1], "alloc") == 0 || strcmp(argv[1], "ipc") == 0)) {
        bool alloc = argv[1][0] == 'a';
        int rc = alloc ? injargs_parse_alloc(argc, argv, &out->alloc, msg, msg_size)
                       : injargs_parse_ipc(argc, argv, &out->ipc, msg, msg_size);
        if (!rc)
            out->action = alloc ? INJARGS_ALLOC : INJARGS_IPC;
        return rc;
    }
    if (argc < 3)
        return injargs_bad(msg, msg_size, "%s",
                           "want a fault model and a cell, alloc, ipc, 'status' or 'restore'");
    struct inject_spec *s = &out->spec;
    for (unsigned m = 1; m < INJARGS_NMODELS; m++)
        if (injargs_model_names[m] && strcmp(argv[1], injargs_model_names[m]) == 0)
            s->model = (enum inject_model)m;
    if (!s->model)
        return injargs_bad(msg, msg_size,
                           "unknown fault model '%s' (bitflip, word, nop, branch, "
                           "exception, loop, alloc or ipc)",
                           argv[1]);
    if (!injargs_copy_word(s->cell, sizeof(s->cell), argv[2], strlen(argv[2])))
        return injargs_bad(msg, msg_size, "bad cell name '%s'", argv[2]);
    bool at = false, plus = false, offset = false, of = false;
    for (int i = 3; i < argc; i++) {
        const char *opt = argv[i];
        if (i + 1 >= argc)
            return injargs_bad(msg, msg_size, "%s needs a value", opt);
        const char *val = argv[++i];
        if (strcmp(opt, "--region") == 0) {
            if (strcmp(val, "text") == 0)
                s->region = CELL_REGION_TEXT;
            else if (strcmp(val, "rodata") == 0)
                s->region = CELL_REGION_RODATA;
            else if (strcmp(val, "data") == 0)
                s->region = CELL_REGION_DATA;
            else if (strcmp(val, "heap") == 0)
                s->place = INJECT_IN_HEAP;
            else if (strcmp(val, "stack") == 0)
                s->place = INJECT_IN_STACK;
            else
                return injargs_bad(msg, msg_size,
                                   "unknown region '%s' (text, rodata, data, heap or stack)", val);
        } else if (strcmp(opt, "--at") == 0) {
            const char *p = strchr(val, '+');
            unsigned long n = p ? (unsigned long)(p - val) : strlen(val);
            if (!injargs_copy_word(out->symbol, sizeof(out->symbol), val, n) ||
                (p && !injargs_number(p + 1, UINT64_MAX, &s->symbol_offset)))
                return injargs_bad(msg, msg_size, "bad --at '%s': want symbol or symbol+offset",
                                   val);
            s->symbol = out->symbol;
            plus = p != NULL; /* sym+off fixes the place; sym alone lets the seed pick */
            s->has_offset = plus;
            at = true;
        } else if (strcmp(opt, "--offset") == 0) {
            if (!injargs_number(val, UINT64_MAX, &s->offset))
                return injargs_bad(msg, msg_size, "bad --offset '%s': want a number", val);
            s->has_offset = offset = true;
        } else if (strcmp(opt, "--seed") == 0) {
            if (!injargs_number(val, UINT64_MAX, &s->seed))
                return injargs_bad(msg, msg_size, "bad --seed '%s': want a number", val);
        } else if (strcmp(opt, "--value") == 0) {
            if (strcmp(val, "random") == 0)
                s->value = INJECT_VALUE_RANDOM;
            else if (strcmp(val, "zero") == 0)
                s->value = INJECT_VALUE_ZERO;
            else if (strcmp(val, "ones") == 0)
                s->value = INJECT_VALUE_ONES;
            else
                return injargs_bad(msg, msg_size, "unknown value '%s' (random, zero or ones)", val);
        } else if (strcmp(opt, "--after-calls") == 0 || strcmp(opt, "--after-us") == 0) {
            bool calls = opt[8] == 'c';
            if (s->trigger)
                return injargs_bad(msg, msg_size, "%s",
                                   "one trigger only: --after-calls or --after-us");
            if (!injargs_number(val, calls ? INJECT_AFTER_CALLS_MAX : INJECT_AFTER_US_MAX,
                                &s->trigger_n) ||
                (calls && !s->trigger_n))
                return injargs_bad(msg, msg_size,
                                   calls ? "bad --after-calls '%s': want a count, 1..1000000000"
                                         : "bad --after-us '%s': want microseconds, 0..60000000",
                                   val);
            s->trigger = calls ? INJECT_AFTER_CALLS : INJECT_AFTER_US;
        } else if (strcmp(opt, "--task") == 0) {
            if (!injargs_copy_word(out->task, sizeof(out->task), val, strlen(val)))
                return injargs_bad(msg, msg_size, "bad --task '%s': want a task's id or name", val);
            s->task = out->task;
        } else if (strcmp(opt, "--of") == 0) {
            if (!injargs_copy_word(out->trigger_symbol, sizeof(out->trigger_symbol), val,
                                   strlen(val)) ||
                strchr(val, '+'))
                return injargs_bad(msg, msg_size, "bad --of '%s': want a function of the cell",
                                   val);
            s->trigger_symbol = out->trigger_symbol;
            of = true;
        } else {
            return injargs_bad(msg, msg_size, "unknown option '%s'", opt);
        }
    }
    if (at && offset)
        return injargs_bad(msg, msg_size, "%s", "--at and --offset exclude each other");
    if (s->value && s->model != INJECT_WORD)
        return injargs_bad(msg, msg_size, "%s", "--value is for word faults only");
    if (s->model == INJECT_EXCEPTION || s->model == INJECT_LOOP) {
        if (!at || plus || offset)
            return injargs_bad(msg, msg_size, "%s needs --at <function> (no +offset: the entry)",
                               argv[1]);
        if (s->region && s->region != CELL_REGION_TEXT)
            return injargs_bad(msg, msg_size, "%s needs code: --region text", argv[1]);
    }
    if (s->place) {
        const char *where = s->place == INJECT_IN_HEAP ? "heap" : "stack";
        if (s->model != INJECT_BITFLIP && s->model != INJECT_WORD)
            return injargs_bad(msg, msg_size, "--region %s takes bitflip or word", where);
        if (at || offset)
            return injargs_bad(msg, msg_size,
                               "--region %s: the seed chooses the place (no --at or --offset)",
                               where);
        if (s->trigger)
            return injargs_bad(msg, msg_size, "--region %s takes no trigger (fault at once)",
                               where);
    }
    if ((s->place == INJECT_IN_STACK) != (s->task != NULL))
        return injargs_bad(msg, msg_size, "%s",
                           "--region stack needs --task <id|name>, and "
                           "--task goes with it only");
    if ((s->trigger == INJECT_AFTER_CALLS) != of)
        return injargs_bad(msg, msg_size, "%s", "--after-calls N and --of <function> go together");
    out->action = INJARGS_FAULT;
    return 0;
}

#endif
