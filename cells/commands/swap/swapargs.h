/* Parsing the swap command's arguments (swapargs.c): options, then <cell> <version|object>
 * pairs. Freestanding and host-tested (tests/host/swapargs_test.c). */
#ifndef CMD_SWAP_SWAPARGS_H
#define CMD_SWAP_SWAPARGS_H
#include <stdbool.h>
#include <stdint.h>

#define SWAPARGS_MAX_PAIRS  8
#define SWAPARGS_MAX_REPEAT 1000000u

struct swapargs {
    bool dry_run, verbose, json;
    uint64_t deadline_ms; /* 0: the default */
    uint32_t repeat;      /* 0: one swap; else that many, alternating with the running version */
    int fail_at;          /* enum swap_step, 0: none */
    unsigned npairs;
    const char *cell[SWAPARGS_MAX_PAIRS];
    const char *target[SWAPARGS_MAX_PAIRS]; /* "2", "counter@2", "counter@2.o", a file name */
};

/* 0, or 2 after writing a message (without the "swap: " prefix) into msg. step_name maps a
 * step number (1..) to its name, NULL past the last. */
int swapargs_parse(int argc, const char *const *argv, struct swapargs *out, char *msg,
                   unsigned long msg_size, const char *(*step_name)(int step));

/* The ramfs name for a target: "<cell>@<digits>.o" for a version number, target itself if it
 * ends in ".o", else target + ".o" when with_o, else target. 0, or -1 if it does not fit. */
int swapargs_object_name(const char *cell, const char *target, bool with_o, char *out,
                         unsigned long size);

#endif
