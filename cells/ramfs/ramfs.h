/* The ramfs cell: a flat file namespace in memory. At init it indexes every boot module
 * (name -> data, size) without copying; ramfs_add puts more files in, copied into memory owned
 * by the ramfs itself (heap owner OWNER_RAMFS, keel/cells.h) under a byte quota (default
 * RAMFS_QUOTA_DEFAULT, `ramfs.quota=SIZE` on the kernel command line); ramfs_remove takes files
 * out. Files are never changed in place.
 *
 * Reading and removal: a reader holds a file while it uses its bytes (ramfs_open/ramfs_close,
 * or inside a ramfs_for_each callback); removing a file takes its name away at once and frees
 * its memory when the last holder lets go, so a reader never sees freed memory. ramfs_find is
 * for bytes kept for good (the shell's command index): it pins the file, whose memory then
 * stays even after a removal. Boot modules' bytes belong to the boot image and are never
 * freed; removing one only takes its name away.
 *
 * Every function may block briefly on the ramfs's lock; a task killed while waiting gets
 * KE_KILLED. A task killed in the middle of a change leaves the namespace as it was before or
 * after it (at worst a copy is leaked). See docs/shell/commands1.md. */
#ifndef CELLS_RAMFS_H
#define CELLS_RAMFS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RAMFS_NAME_MAX      64 /* including the NUL */
#define RAMFS_REMOVE_MAX    32 /* names in one ramfs_remove */
#define RAMFS_QUOTA_DEFAULT ((size_t)16 << 20)

struct ramfs_node;

/* A file held open: data and size stay valid until ramfs_close. Zero-initialise it. */
struct ramfs_hold {
    const char *name;
    const void *data;
    size_t size;
    struct ramfs_node *node; /* NULL: nothing held */
};

/* Hold the file called name: 0, KE_NOENT, KE_INVAL (NULL name), KE_KILLED. *h is cleared first,
 * so closing it after a failed open is harmless. */
int ramfs_open(const char *name, struct ramfs_hold *h);
/* Let go of a held file (a cleared or closed hold: nothing happens); clears h->node. */
void ramfs_close(struct ramfs_hold *h);

/* The file called name, pinned for good: 0 with *data and *size set (either may be NULL),
 * KE_NOENT, KE_INVAL (NULL name), KE_KILLED. The bytes stay valid as long as the ramfs cell is
 * loaded, even after the file is removed; an added file found this way is therefore never freed.
 * For a passing look, use ramfs_open. */
int ramfs_find(const char *name, const void **data, size_t *size);

/* Calls fn for every file in name order (bytewise) until fn returns non-zero, which is returned;
 * else 0 (KE_KILLED if the task was killed). Each file is held while fn runs, so name and data
 * are valid until fn returns. fn may call any ramfs function; files added or removed meanwhile
 * may or may not be visited. */
int ramfs_for_each(int (*fn)(void *ctx, const char *name, const void *data, size_t size),
                   void *ctx);

/* Adds a copy of data[0..size) as name: 0, KE_INVAL (NULL or empty name, name of
 * RAMFS_NAME_MAX or more characters, or with a control character, space or '/'; NULL data with
 * size > 0), KE_EXIST, KE_NOSPC (it would take the ramfs over its quota: ramfs_stats says how
 * much is in use), KE_NOMEM, KE_KILLED. A failing call adds nothing. */
int ramfs_add(const char *name, const void *data, size_t size);

/* What ramfs_remove did with one file. */
struct ramfs_removed {
    size_t size;
    bool boot;   /* a boot module: only its name went (its memory is the boot image's) */
    bool freed;  /* its memory was freed now (else when the last reader lets go) */
    bool pinned; /* found with ramfs_find earlier: its memory stays for good */
};

/* Takes the files names[0..n) out of the namespace, all or none: 0 with out[i] (out may be
 * NULL), or a refusal that changes nothing, with a message naming the file in why (may be
 * NULL): KE_INVAL (n is 0 or above RAMFS_REMOVE_MAX, a NULL name, a name given twice),
 * KE_NOENT (no such file), KE_BUSY (a loaded or retired cell version was linked from it:
 * keel/cells.h cells_origin_users), KE_KILLED. It takes the cells lock: do not call it with
 * cells_lock() held. */
int ramfs_remove(const char *const *names, size_t n, struct ramfs_removed *out, char *why,
                 size_t why_size);

/* Number of files. */
size_t ramfs_count(void);

struct ramfs_stats {
    size_t files;       /* names in the namespace */
    size_t boot_files;  /* of them, boot modules (indexed in place) */
    size_t boot_bytes;  /* their sizes: the boot image's memory, not charged to the ramfs */
    size_t added_bytes; /* sizes of the other files */
    size_t charged;     /* heap bytes charged to OWNER_RAMFS: added files, the index, the
                           records of boot modules, removed files still held by readers */
    size_t quota;       /* the limit on charged (0: none) */
};
void ramfs_stats(struct ramfs_stats *out);

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
