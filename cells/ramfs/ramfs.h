/* The ramfs cell: a flat, read-mostly file namespace in memory. At init it indexes every boot
 * module (name -> data, size) without copying; ramfs_add puts more files in (copied into memory
 * owned by the core, so they outlive the task that added them). Files are never removed or
 * changed, so a pointer returned by ramfs_find stays valid while the cell is loaded.
 * Lookups take no lock: an entry is written completely before it is published. */
#ifndef CELLS_RAMFS_H
#define CELLS_RAMFS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RAMFS_MAX_FILES 256
#define RAMFS_NAME_MAX  64 /* including the NUL */

/* The file called name: 0 with *data and *size set (either may be NULL), or KE_NOENT
 * (KE_INVAL for a NULL name). */
int ramfs_find(const char *name, const void **data, size_t *size);

/* Calls fn for every file in name order (bytewise) until fn returns non-zero, which is returned;
 * else 0. fn may call any ramfs function; files added meanwhile may or may not be visited. */
int ramfs_for_each(int (*fn)(void *ctx, const char *name, const void *data, size_t size),
                   void *ctx);

/* Adds a copy of data[0..size) as name: 0, KE_INVAL (NULL or empty name, name of
 * RAMFS_NAME_MAX or more characters, or with a control character, space or '/'; NULL data with
 * size > 0), KE_EXIST, KE_NOSPC (RAMFS_MAX_FILES reached), KE_NOMEM. A failing call adds
 * nothing. */
int ramfs_add(const char *name, const void *data, size_t size);

/* Number of files. */
size_t ramfs_count(void);

/* True if data looks like text: no NUL and no control characters besides tab, newline, carriage
 * return, form feed and vertical tab (bytes >= 0x80 are taken as UTF-8 text). Header-only so
 * commands can use it without a call into the cell. */
static inline bool ramfs_is_text(const void *data, size_t size)
{
    const uint8_t *p = data;
    for (size_t i = 0; i < size; i++) {
        uint8_t c = p[i];
        if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v') ||
            c == 0x7f)
            return false;
    }
    return true;
}

#endif
