/* The debugger's hook: the loader's platform calls keel_debug_cells_changed after every change
 * to the registry's list of cells (a load, an unload, a swap's commit, a reload after a fault).
 * It does nothing; tools/gdb/keel.py sets a breakpoint on it and re-reads the cell table there,
 * so that GDB has every loaded cell's symbols at their load addresses (docs/debugging.md). */
#include "link/cells.h"

__attribute__((noinline, used)) void keel_debug_cells_changed(void)
{
    __asm__ volatile("" ::: "memory"); /* a call the compiler can neither drop nor inline */
}
