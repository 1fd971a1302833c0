/* Running one litmus test on real CPUs (litmus_run.c): one task per thread of the test, pinned
 * to CPUs 0..n-1, all spinning with interrupts on; docs/litmus.md tells how. */
#ifndef CMD_LITMUS_RUN_H
#define CMD_LITMUS_RUN_H
#include <stdint.h>
#include "commands/litmus/litmus_model.h"

struct litmus_result {
    struct litmus_tally tally;
    uint64_t elapsed_ns; /* from the first task started to the last one joined */
    char why[112];       /* when litmus_run failed: what happened, for the user */
};

/* Run test t `iterations` times; needs cpu_count() >= t->nthreads. Blocks until done.
 * 0 with out->tally filled (judge it with litmus_verdict); otherwise a negative KE_* code and
 * out->why: KE_AGAIN another run is in progress, KE_BUSY the tasks of an earlier, interrupted
 * run would not end, KE_TIMEDOUT a thread made no progress for LITMUS_STALL_NS, KE_RANGE too
 * few CPUs, KE_NOENT no code for the test, KE_FAILED a thread ended abnormally, KE_KILLED
 * the calling task was killed (the threads are told to stop and left to end on their own), or
 * what task_spawn returned. */
int litmus_run(const struct litmus_test *t, uint64_t iterations, struct litmus_result *out);

/* How long a thread waits for the others before it gives the run up. */
#define LITMUS_STALL_NS (5ull * 1000 * 1000 * 1000)

#endif
