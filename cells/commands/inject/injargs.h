/* The fault spec language of `inject` (injargs.c), shared by the shell command
 * (cells/commands/inject/inject.c) and the control channel's INJECT request (cells/ctl/
 * ops_inject.c), so that `keelctl inject ARGS` and the shell's `inject ARGS` mean the same.
 * Freestanding: host-tested (tests/host/injargs_test.c) and fuzzed (tests/fuzz/injargs_fuzz.c).
 * It checks the words only; the injector (keel/inject.h) checks them against the system. */
#ifndef CMD_INJECT_INJARGS_H
#define CMD_INJECT_INJARGS_H
#include <stdbool.h>
#include <stdint.h>
#include <keel/inject.h>

enum injargs_action { INJARGS_FAULT = 1, INJARGS_STATUS, INJARGS_RESTORE };

struct injargs {
    enum injargs_action action;
    struct inject_spec spec; /* INJARGS_FAULT: its strings point into this struct */
    char symbol[INJECT_SYMBOL_MAX];
    char trigger_symbol[INJECT_SYMBOL_MAX];
};

/* argv[0] is the command's name ("inject"). 0 with *out filled, or 2 after writing why into msg
 * (without the "inject: " prefix). out is not movable after: spec's strings point into it. */
int injargs_parse(int argc, const char *const *argv, struct injargs *out, char *msg,
                  unsigned long msg_size);

/* The words of the spec language, for printing ("bitflip", "text", "after-calls", ...). */
const char *injargs_model_name(enum inject_model m);
const char *injargs_region_name(enum cell_region r);
const char *injargs_trigger_name(enum inject_trigger t);

#endif
