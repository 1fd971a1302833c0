/* lit: the referenced cell of the retired-version fixtures (holder.c). */
#ifndef CELLS_DEMO_LIT_H
#define CELLS_DEMO_LIT_H
#include <keel/task.h>

/* A string literal in lit's rodata: "literal of lit version N". */
const char *lit_string(void);
/* N (the version whose code runs). */
int lit_value(void);
/* Calls task_for_each(fn, ctx) with ctx pointing at lit's literal, as a tail call: while fn
 * runs (and may block), a core routine holds a pointer into lit and no frame of lit is on the
 * stack. */
int lit_walk(int (*fn)(void *ctx, const struct task_info *ti));

#endif
