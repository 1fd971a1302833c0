/* The nano-core's side of the cell loader. */
#ifndef KEEL_LINK_CELLS_H
#define KEEL_LINK_CELLS_H
#include <keel/loader.h>

extern const struct loader_platform kernel_loader_platform;

/* The system's loader (NULL until cells_init). */
struct loader *cells_loader(void);
int cells_init(void);
/* Load the cells the boot manifest names (module "boot.manifest", or cells=<module> on the
 * command line). Refusals are reported and the boot carries on. */
void cells_load_boot(void);
/* The boot module whose name is name[0..len), or NULL. */
struct mb2_module;
const struct mb2_module *boot_module_find(const char *name, size_t len);
/* Wake everyone waiting in boot_wait_ready (keel/cells.h). */
void boot_signal_ready(void);
/* Boot-time benchmark of load+link and unload of every cell module (bench=loader). */
void cells_bench(unsigned rounds);

/* Called after every change to the list of loaded cells; empty: a debugger's breakpoint
 * (debug_hook.c, tools/gdb/keel.py). */
void keel_debug_cells_changed(void);

#endif
