/* counter: the stateful demo cell of the live-swap guide (docs/live-swap.md). Versions 1 and 2
 * share one state layout (carried verbatim); version 3 adds fields and migrates the old block
 * with its migrate hook. */
#ifndef CELLS_DEMO_COUNTER_H
#define CELLS_DEMO_COUNTER_H
#include <stdint.h>

/* Add one and return the new value. */
uint64_t counter_next(void);
/* The current value. */
uint64_t counter_value(void);
/* "counter v<version>: <value> ..." into buf (at most size bytes, NUL-terminated). */
void counter_describe(char *buf, unsigned long size);

#endif
