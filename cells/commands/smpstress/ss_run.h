/* Running the planned workers (ss_run.c): the channels they use, spawning them all, joining them
 * all, and handing them to a reaper task if the command is interrupted (Ctrl-C). */
#ifndef CMD_SMPSTRESS_SS_RUN_H
#define CMD_SMPSTRESS_SS_RUN_H
#include <stdbool.h>
#include <stddef.h>
#include "commands/smpstress/ss_plan.h"

struct ss_run {
    struct ss_plan plan;
    struct channel *ch[SS_CPUS]; /* pair c's channel */
    unsigned nch;
    bool swaps;
    unsigned spawn_failed; /* workers that could not be spawned */
    char spawn_why[96];    /* the first of those, why */
};

/* Tasks of an earlier, interrupted run (or its reaper) still alive. */
unsigned smpstress_run_leftovers(const struct ss_run *run);
/* Spawn n tasks that all wait at once, then release and join them: 0, or a KE_* code with a
 * message in why. */
int smpstress_warm_tasks(unsigned n, char *why, size_t size);
/* Create the pairs' channels (asynchronous with 1..8 slots, or rendezvous, alternately) and
 * give each sender and receiver its own: 0 or KE_NOMEM (none left created). */
int smpstress_run_channels(struct ss_run *run, uint64_t seed);
void smpstress_run_destroy_channels(struct ss_run *run);
/* Reset the shared state and spawn every worker with the deadline (0: none). A worker that
 * cannot be spawned is counted in spawn_failed, and the others are told not to wait for it. */
void smpstress_run_start(struct ss_run *run, uint64_t deadline_ns);
/* Join every worker (the swapper last, once told to stop): 0, or KE_KILLED when the command was
 * interrupted — then the workers have been killed and a reaper task joins them and frees what
 * they used. */
int smpstress_run_join(struct ss_run *run);
/* Spawn a caller of 0 rounds and join it: counter_value() into *value. */
int smpstress_read_counter(uint64_t *value);

#endif
