/* Abstract machines that run a litmus program (cells/commands/litmus/litmus_model.h) through
 * every interleaving and collect the outcomes it can end in: the reference the litmus tests'
 * hand-written TSO outcome sets are checked against (litmus_test.c). */
#ifndef KEEL_TEST_LITMUS_TSO_H
#define KEEL_TEST_LITMUS_TSO_H
#include <stdint.h>
#include "commands/litmus/litmus_model.h"

enum litmus_machine {
    MACHINE_SC,  /* sequential consistency: a store is visible to all at once */
    MACHINE_TSO, /* x86-TSO: a FIFO store buffer per thread; loads read their own buffer first;
                    MFENCE waits until the buffer is empty */
    MACHINE_PSO, /* like TSO, but a buffered store may pass an older one to another location:
                    weaker than x86, to show the enumeration does find what TSO forbids */
};

/* The set of outcomes (bit o: outcome o) the machine can end the test in; bit 31 set if some
 * execution ended in values that fit no outcome (a broken test table). */
uint32_t litmus_reachable(const struct litmus_test *t, enum litmus_machine m);

/* The outcome of running the threads one after another, each to its end, in the order given
 * (a permutation of 0..nthreads-1), on SC; -1 for values that fit no outcome. */
int litmus_serial_outcome(const struct litmus_test *t, const unsigned *order);

#endif
