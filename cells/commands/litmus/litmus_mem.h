/* The memory the litmus tests touch and the code that touches it (litmus_mem.c): one batch of
 * runs at a time, each run with its own x and y, each on a cache line of its own, and what each
 * run observed. The runner (litmus_run.c) drives the batches and the CPUs. */
#ifndef CMD_LITMUS_MEM_H
#define CMD_LITMUS_MEM_H
#include <stdint.h>
#include "commands/litmus/litmus_model.h"

/* Runs per batch: the threads meet at a barrier once per batch, and within it keep in step run
 * by run (litmus_run.c). 2 x 512 cache lines of locations: 64 KiB. */
#define LITMUS_BATCH 512u

/* One thread's part of a test, for run i of the batch: exactly the instructions of the test's
 * program for that thread (litmus_model.c), as inline assembly, and the values its loads read
 * stored for litmus_mem_values. */
typedef void (*litmus_body_fn)(uint32_t i);

/* The body of thread `thread` of test t; NULL if there is none (a test the table has and this
 * file does not, or no such thread). */
litmus_body_fn litmus_mem_body(const struct litmus_test *t, unsigned thread);
/* Make runs 0..n-1 fresh: x = y = 0, every observed register marked unwritten. */
void litmus_mem_reset(uint32_t n);
/* What run i observed, in the order of t->obs (registers as the loads left them, final values
 * as memory holds them now: call after every thread has finished the run). */
void litmus_mem_values(const struct litmus_test *t, uint32_t i, uint32_t *values);

/* Location loc (0: x, 1: y) of run i: for the host test, which runs each body alone from
 * chosen values to see that it reads and writes the locations its program names. */
uint32_t *litmus_mem_loc(unsigned loc, uint32_t i);

#endif
