/* Parsing the litmus command's arguments: [--iterations N] [--json] [-h|--help] [TEST...].
 * Freestanding and host-tested (tests/host/litmus_test.c). */
#ifndef CMD_LITMUS_ARGS_H
#define CMD_LITMUS_ARGS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "commands/litmus/litmus_model.h"

/* 200000 runs of a two-CPU test take a second or two at -smp 2 under QEMU's TCG; the default
 * set of tests well under a minute. */
#define LITMUS_DEFAULT_ITERATIONS 200000u
#define LITMUS_MAX_ITERATIONS     100000000u
#define LITMUS_MAX_SELECTED       16

struct litmus_args {
    bool help; /* -h or --help: print the help and do nothing else */
    bool json;
    uint64_t iterations;
    unsigned ntests; /* every test, in table order, when none is named */
    const struct litmus_test *tests[LITMUS_MAX_SELECTED];
};

/* 0, or 2 after writing a message (without the "litmus: " prefix) into msg. argv[0] is the
 * command's name. */
int litmus_args_parse(int argc, const char *const *argv, struct litmus_args *out, char *msg,
                      size_t msg_size);

#endif
