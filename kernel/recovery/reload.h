/* The recovery ladder's heavy rungs (kernel/recovery/reload.c), run by the recovery task. */
#ifndef KEEL_RECOVERY_RELOAD_H
#define KEEL_RECOVERY_RELOAD_H
#include <stdbool.h>
#include <keel/task.h>

/* Reload cell (and, with dependents, every loaded cell with an edge into it) from the objects
 * they were linked from, as one live swap: 0 or a negative KE_* code (then nothing changed).
 * reset: the state blocks start from their initial values instead of being carried. */
int reload_cells(const char *cell, bool dependents, bool reset);
/* Mark cell failed and end every task whose entry is in it, except `except`. */
void give_up_cell(const char *cell, task_id_t except);

#endif
