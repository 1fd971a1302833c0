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
/* Serialise use of the loader: take it around any sequence of loader_* queries. A task killed
 * while it waits ends there (a safe point). */
void cells_lock(void);
/* The same, for a task that must clean up after a kill (e.g. stop the tasks it started): 0 with
 * the lock taken, or KE_KILLED without it. */
int cells_lock_killable(void);
void cells_unlock(void);

/* Link one object (e.g. from the ramfs) into the system; *out (may be NULL) gets the cell. */
int cells_load(const void *data, size_t size, const char *origin, struct loaded_cell **out,
               struct loader_error *err);
/* Unload a cell by name (KE_NOENT, KE_BUSY naming dependents or pinning tasks). */
int cells_unload(const char *name, struct loader_error *err);

/* One section of a cell object, found by cells_object_section. */
struct cells_section {
    char cell[KEEL_CELL_NAME_MAX]; /* the cell the object holds (its descriptor) */
    uint32_t version;
    const void *data; /* the section's bytes, inside the object's data */
    size_t size;
};
/* Parse the object data[0..size) with the loader's parser (nothing is linked or run) and find
 * its section called section (with bytes in the file): 0 and *out; the parser's refusal (the
 * object is no cell the loader would take); or KE_NOENT (no such section). Either error comes
 * with err->msg, e.g. "cell 'cmd_hi': no section '.keel_command'". */
int cells_object_section(const void *data, size_t size, const char *origin, const char *section,
                         struct cells_section *out, struct loader_error *err);

/* Boot modules as GRUB loaded them (the ramfs cell indexes these). KE_NOENT past the end. */
size_t boot_module_count(void);
int boot_module_get(size_t index, const char **name, const void **data, size_t *size);

/* Block until the boot task has printed the ready line (the shell waits for it). */
void boot_wait_ready(void);

/* Heap owners (keel/heap.h) of cells that keep memory of their own, beyond any of their tasks:
 * OWNER_CELL(n), n in 1..0xffff, one fixed n per such cell. The core is owner 0, the loader's
 * metadata owner 1 (OWNER_LOADER, keel/kmalloc.h) and tasks are 0x40000000 | id (tasking), so
 * the ranges never meet. */
#define OWNER_CELL_BASE 0x20000000u
#define OWNER_CELL_MASK 0x0000ffffu
#define OWNER_CELL(n)   (OWNER_CELL_BASE | ((uint32_t)(n)&OWNER_CELL_MASK))
#define OWNER_RAMFS     OWNER_CELL(1) /* the ramfs cell's files and index (cells/ramfs) */

/* A cell version linked from a given object (see cells_origin_users). */
struct cells_origin_user {
    char name[KEEL_CELL_NAME_MAX];
    uint32_t version;
    bool retired; /* replaced or unloaded, not yet freed (loader_retired_at) */
};
/* How many loaded and retired cell versions were linked from the object named origin
 * (loader_cell_info.origin, e.g. the ramfs file "counter@2.o"); the first found — loaded ones
 * before retired ones — goes to *first (may be NULL). Call it with cells_lock() held, so that
 * the answer still holds while the caller acts on it (e.g. the ramfs removing that file). */
size_t cells_origin_users(const char *origin, struct cells_origin_user *first);

/* Pristine objects: the cell that keeps the system's files (the ramfs) exports these two
 * functions, by these names; the core's recovery ladder finds them by name when it reloads a
 * cell from the object it was linked from (loader_cell_info.origin). open: 0 with the bytes and
 * a handle for close, or a negative KE_* code. */
#define CELLS_OBJECT_OPEN  "keel_object_open"
#define CELLS_OBJECT_CLOSE "keel_object_close"
typedef int (*cells_object_open_fn)(const char *name, const void **data, size_t *size,
                                    void **handle);
typedef void (*cells_object_close_fn)(void *handle);
int keel_object_open(const char *name, const void **data, size_t *size, void **handle);
void keel_object_close(void *handle);

/* The value of the option key=value on the kernel command line (keel/cmdline.h grammar),
 * NUL-terminated in buf: its length, KE_NOENT (absent), KE_RANGE (it does not fit), KE_INVAL.
 * For cells' own options, e.g. ramfs.quota=16M. */
int cells_boot_option(const char *key, char *buf, size_t size);

#endif
