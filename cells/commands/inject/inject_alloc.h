/* `inject alloc` and the allocation fault's part of `inject status` / `inject restore`
 * (inject_alloc.c): inject.c hands every command line here first. */
#ifndef CELLS_COMMANDS_INJECT_ALLOC_H
#define CELLS_COMMANDS_INJECT_ALLOC_H
#include <stdbool.h>

/* True if the line was this file's to handle (the exit status in *rc): `alloc ...`, and
 * `status` / `restore` while an allocation fault is in place. False: inject.c goes on. */
bool inject_alloc_dispatch(int argc, const char **argv, int *rc);

#endif
