/* Parsing the smpstress command's arguments (ssargs.c). Freestanding and host-tested
 * (tests/host/ssargs_test.c). */
#ifndef CMD_SMPSTRESS_SSARGS_H
#define CMD_SMPSTRESS_SSARGS_H
#include <stdbool.h>
#include <stdint.h>

#define SSARGS_SECONDS_DEFAULT 3u
#define SSARGS_SECONDS_MAX     3600u
#define SSARGS_ROUNDS_MAX      100000u
#define SSARGS_SEED_DEFAULT    1u

struct ssargs {
    uint32_t seconds; /* run for this long (guest time); 0 when rounds is given */
    uint32_t rounds;  /* each worker does exactly this many rounds; 0 when seconds is given */
    uint64_t seed;
    bool json;
    bool no_swap; /* leave the live swaps out */
    bool help;    /* -h or --help: print the usage, nothing else */
};

/* 0 (out filled; with neither --seconds nor --rounds, seconds is the default), or 2 after
 * writing a message (without the "smpstress: " prefix) into msg. */
int ssargs_parse(int argc, const char *const *argv, struct ssargs *out, char *msg,
                 unsigned long msg_size);

#endif
