/* Finding a cell's object in the ramfs, shared by the load and run commands (header-only, so
 * each command cell carries its own copy and neither depends on the other).
 *
 * An argument names either an exact object, "hello@1.o" (or "hello@1"), or a cell, "hello",
 * which means the highest version "hello@<v>.o" present in the ramfs. */
#ifndef CELLS_COMMANDS_CELLOBJ_H
#define CELLS_COMMANDS_CELLOBJ_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <keel/cell.h>
#include <keel/errno.h>
#include <keel/string.h>
#include "ramfs/ramfs.h"

struct cellobj {
    char cell[KEEL_CELL_NAME_MAX]; /* the cell name the argument implies */
    char object[RAMFS_NAME_MAX];   /* the ramfs file */
    unsigned version;              /* from the file name */
    bool exact;                    /* the argument named a version */
    struct ramfs_hold file;        /* held by cellobj_open: ramfs_close(&file) when done */
};

static inline bool cellobj_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

/* If name is "<cell>@<digits>.o", the version (>= 1); else 0. */
static inline unsigned cellobj_version_of(const char *name, const char *cell)
{
    size_t n = strlen(cell), len = strlen(name);
    if (len < n + 4 || memcmp(name, cell, n) != 0 || name[n] != '@' ||
        strcmp(name + len - 2, ".o") != 0)
        return 0;
    unsigned v = 0;
    for (size_t i = n + 1; i < len - 2; i++) {
        if (name[i] < '0' || name[i] > '9' || v > 100000000u)
            return 0;
        v = v * 10 + (unsigned)(name[i] - '0');
    }
    return v;
}

static inline int cellobj_highest(void *ctx, const char *name, const void *data, size_t size)
{
    struct cellobj *o = ctx;
    unsigned v = cellobj_version_of(name, o->cell);
    if (v > o->version && strlen(name) < sizeof(o->object)) {
        o->version = v;
        memcpy(o->object, name, strlen(name) + 1);
    }
    return 0;
}

/* Parse arg into out->cell (and out->exact/version); KE_INVAL if it is not a cell or object
 * name. Does not look at the ramfs. */
static inline int cellobj_parse(const char *arg, struct cellobj *out)
{
    memset(out, 0, sizeof(*out));
    size_t len = strnlen(arg, RAMFS_NAME_MAX);
    const char *at = memchr(arg, '@', len);
    size_t n = at ? (size_t)(at - arg) : len;
    if (n == 0 || n >= KEEL_CELL_NAME_MAX || len >= RAMFS_NAME_MAX - 2)
        return KE_INVAL;
    for (size_t i = 0; i < n; i++)
        if (!cellobj_name_char(arg[i]))
            return KE_INVAL;
    memcpy(out->cell, arg, n);
    out->cell[n] = 0;
    if (!at)
        return 0;
    /* "hello@1" is short for "hello@1.o". */
    memcpy(out->object, arg, len + 1);
    if (len < 2 || strcmp(arg + len - 2, ".o") != 0)
        memcpy(out->object + len, ".o", 3);
    out->version = cellobj_version_of(out->object, out->cell);
    out->exact = true;
    return out->version ? 0 : KE_INVAL;
}

/* Find the object for a parsed argument in the ramfs and hold it: 0 (out->object and version
 * set, out->file held: the caller closes it with ramfs_close once the cell is linked), or
 * KE_NOENT. */
static inline int cellobj_open(struct cellobj *out)
{
    if (!out->exact) {
        out->version = 0;
        ramfs_for_each(cellobj_highest, out);
        if (!out->version)
            return KE_NOENT;
    }
    return ramfs_open(out->object, &out->file);
}

#endif
