/* The running system's cells, for cells that manage cells (the shell and its commands): load an
 * object, unload a cell, look things up. A thin, locked layer over the loader (keel/loader.h),
 * whose query functions cells may also call directly with cells_loader() while holding
 * cells_lock(). Errors: negative KE_* codes, with a message in *err. */
#ifndef KEEL_CELLS_H
#define KEEL_CELLS_H
#include <stddef.h>
#include <stdint.h>
#include <keel/loader.h>

/* The system's loader (NULL if none). */
struct loader *cells_loader(void);
/* Serialise use of the loader: take it around any sequence of loader_* queries. */
void cells_lock(void);
void cells_unlock(void);

/* Link one object (e.g. from the ramfs) into the system; *out (may be NULL) gets the cell. */
int cells_load(const void *data, size_t size, const char *origin, struct loaded_cell **out,
               struct loader_error *err);
/* Unload a cell by name (KE_NOENT, KE_BUSY naming dependents or pinning tasks). */
int cells_unload(const char *name, struct loader_error *err);

/* Boot modules as GRUB loaded them (the ramfs cell indexes these). KE_NOENT past the end. */
size_t boot_module_count(void);
int boot_module_get(size_t index, const char **name, const void **data, size_t *size);

/* Block until the boot task has printed the ready line (the shell waits for it). */
void boot_wait_ready(void);

#endif
