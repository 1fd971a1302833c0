/* Commands pushed at run time: a command cell object added to the ramfs (not a boot module: the
 * boot image's commands are those of its command index) named "cmd_<name>@<v>.o" is a command
 * too. The highest version of each
 * name counts; its index record (keel/command.h KEEL_COMMAND_RECORD) gives the usage and the
 * summary, read with the loader's parser (keel/cells.h cells_object_section).
 *
 * Header-only, shared by the shell (running, completing) and help (listing), so that neither
 * cell depends on the other. */
#ifndef SHELL_CMDFILE_H
#define SHELL_CMDFILE_H
#include <stdbool.h>
#include <stddef.h>
#include <keel/cells.h>
#include <keel/command.h>
#include <keel/errno.h>
#include <keel/format.h>
#include <keel/string.h>
#include "ramfs/ramfs.h"

#define CMDFILE_NAME_MAX (KEEL_CELL_NAME_MAX - 4) /* a command name, NUL included: "cmd_" + it */
#define CMDFILE_TEXT_MAX 200                      /* usage or summary, NUL included */
#define CMDFILE_WHY_MAX  160

/* A pushed command: from the file name, and from its record when ok is true; else why says
 * what is wrong with the record. */
struct cmdfile {
    char name[CMDFILE_NAME_MAX];
    char object[RAMFS_NAME_MAX];
    unsigned version;
    bool ok;
    char usage[CMDFILE_TEXT_MAX], summary[CMDFILE_TEXT_MAX];
    char why[CMDFILE_WHY_MAX];
};

static inline bool cmdfile_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

/* If file is "cmd_<name>@<digits>.o" with a valid name, the version (>= 1) and the name in
 * name[CMDFILE_NAME_MAX]; else 0. */
static inline unsigned cmdfile_parse_name(const char *file, char *name)
{
    size_t len = strlen(file);
    if (len < 9 || memcmp(file, "cmd_", 4) != 0 || memcmp(file + len - 2, ".o", 2) != 0)
        return 0;
    const char *at = memchr(file + 4, '@', len - 4);
    if (!at)
        return 0;
    size_t n = (size_t)(at - (file + 4));
    if (n == 0 || n >= CMDFILE_NAME_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!cmdfile_name_char(file[4 + i]))
            return 0;
    unsigned v = 0;
    const char *d = at + 1, *end = file + len - 2;
    if (d == end)
        return 0;
    for (; d < end; d++) {
        if (*d < '0' || *d > '9' || v > 100000000u)
            return 0;
        v = v * 10 + (unsigned)(*d - '0');
    }
    if (v == 0)
        return 0;
    memcpy(name, file + 4, n);
    name[n] = 0;
    return v;
}

/* Is data a boot module's (a file of the boot image, not one added at run time)? */
static inline bool cmdfile_boot_module(const void *data)
{
    size_t n = boot_module_count();
    for (size_t i = 0; i < n; i++) {
        const char *name;
        const void *d;
        size_t size;
        if (boot_module_get(i, &name, &d, &size) == 0 && d == data)
            return true;
    }
    return false;
}

/* Is object the object of a line of the boot index ("...<TAB>object" at a line's end)? */
static inline bool cmdfile_in_index(const char *index, size_t size, const char *object)
{
    size_t n = strlen(object);
    for (size_t at = 0; index && at + n + 1 <= size; at++) {
        if (index[at] != '\t' || memcmp(index + at + 1, object, n) != 0)
            continue;
        size_t end = at + 1 + n;
        if (end == size || index[end] == '\n' || index[end] == '\r')
            return true;
    }
    return false;
}

/* One field of a record into buf: false if it is empty or does not fit. */
static inline bool cmdfile_field(const char *s, size_t n, char *buf, size_t size)
{
    if (n == 0 || n >= size)
        return false;
    memcpy(buf, s, n);
    buf[n] = 0;
    return true;
}

/* Check the record bytes rec[0..size) of c->object against c->name and keep its fields: sets
 * c->ok, or c->why. */
static inline void cmdfile_record(struct cmdfile *c, const char *rec, size_t size)
{
    const char *tab[2];
    size_t tabs = 0;
    bool bad = size < 2 || size > KEEL_COMMAND_RECORD_MAX || rec[size - 1] != 0;
    for (size_t i = 0; !bad && i + 1 < size; i++) {
        unsigned char ch = (unsigned char)rec[i];
        if (ch == '\t' && tabs < 2)
            tab[tabs++] = rec + i;
        else if (ch < 0x20 || ch == 0x7f)
            bad = true;
    }
    if (bad || tabs != 2) {
        ksnprintf(c->why, sizeof(c->why),
                  "%s: malformed command record (want name<TAB>usage<TAB>summary, "
                  "at most %d bytes)",
                  c->object, KEEL_COMMAND_RECORD_MAX);
        return;
    }
    size_t name_len = (size_t)(tab[0] - rec);
    if (name_len != strlen(c->name) || memcmp(rec, c->name, name_len) != 0) {
        ksnprintf(c->why, sizeof(c->why), "%s: its command record is for '%.*s', not '%s'",
                  c->object, (int)(name_len < 32 ? name_len : 32), rec, c->name);
        return;
    }
    if (!cmdfile_field(tab[0] + 1, (size_t)(tab[1] - tab[0] - 1), c->usage, sizeof(c->usage)) ||
        !cmdfile_field(tab[1] + 1, (size_t)(rec + size - 1 - tab[1] - 1), c->summary,
                       sizeof(c->summary))) {
        ksnprintf(c->why, sizeof(c->why),
                  "%s: malformed command record (an empty or too long usage or summary)",
                  c->object);
        return;
    }
    c->ok = true;
}

/* Read the record of the command object c->object (data[0..size)): sets c->ok, or c->why. */
static inline void cmdfile_read(struct cmdfile *c, const void *data, size_t size)
{
    struct cells_section sec;
    struct loader_error err = {0};
    int r = cells_object_section(data, size, c->object, KEEL_COMMAND_SECTION, &sec, &err);
    char cell[KEEL_CELL_NAME_MAX];
    ksnprintf(cell, sizeof(cell), "cmd_%s", c->name);
    if (r == KE_NOENT)
        ksnprintf(c->why, sizeof(c->why),
                  "%s has no command record (section " KEEL_COMMAND_SECTION
                  "): build it with add_command",
                  c->object);
    else if (r)
        ksnprintf(c->why, sizeof(c->why), "%s is not a cell the loader accepts: %s", c->object,
                  err.msg[0] ? err.msg : keel_strerror(r));
    else if (strcmp(sec.cell, cell) != 0)
        ksnprintf(c->why, sizeof(c->why), "%s holds the cell '%s', not '%s'", c->object, sec.cell,
                  cell);
    else
        cmdfile_record(c, sec.data, sec.size);
}

struct cmdfile_highest_ctx {
    const char *name;
    unsigned version;
    char object[RAMFS_NAME_MAX];
};

static inline int cmdfile_highest_fn(void *ctx, const char *file, const void *data, size_t size)
{
    struct cmdfile_highest_ctx *h = ctx;
    char name[CMDFILE_NAME_MAX];
    unsigned v = cmdfile_parse_name(file, name);
    if (v > h->version && strcmp(name, h->name) == 0 && strlen(file) < sizeof(h->object) &&
        !cmdfile_boot_module(data)) {
        h->version = v;
        memcpy(h->object, file, strlen(file) + 1);
    }
    return 0;
}

/* The highest version of command name among the files added to the ramfs, without its record: 0 and
 * c->object, c->version, c->name; or KE_NOENT. */
static inline int cmdfile_highest(const char *name, struct cmdfile *c)
{
    struct cmdfile_highest_ctx h = {name, 0, ""};
    if (strlen(name) >= sizeof(c->name))
        return KE_NOENT;
    ramfs_for_each(cmdfile_highest_fn, &h);
    if (!h.version)
        return KE_NOENT;
    memset(c, 0, sizeof(*c));
    memcpy(c->name, name, strlen(name) + 1);
    memcpy(c->object, h.object, sizeof(c->object));
    c->version = h.version;
    return 0;
}

/* cmdfile_highest, then the record (c->ok or c->why). */
static inline int cmdfile_find(const char *name, struct cmdfile *c)
{
    int r = cmdfile_highest(name, c);
    if (r)
        return r;
    struct ramfs_hold h = {0};
    if (ramfs_open(c->object, &h) != 0) {
        ksnprintf(c->why, sizeof(c->why), "%s went away", c->object); /* removed meanwhile */
        return 0;
    }
    cmdfile_read(c, h.data, h.size);
    ramfs_close(&h);
    return 0;
}

/* Every pushed command: each command name's highest version among the files added to the
 * ramfs, unless that is the very object the boot index lists for it. fn gets each (its record read:
 * ok or why); a non-zero return stops the walk. */
struct cmdfile_walk {
    const char *index;
    size_t index_size;
    int (*fn)(void *ctx, const struct cmdfile *c);
    void *ctx;
    struct cmdfile c;
};

static inline int cmdfile_walk_fn(void *ctx, const char *file, const void *data, size_t size)
{
    struct cmdfile_walk *w = ctx;
    char name[CMDFILE_NAME_MAX];
    unsigned v = cmdfile_parse_name(file, name);
    if (!v || cmdfile_in_index(w->index, w->index_size, file) || cmdfile_boot_module(data))
        return 0;
    if (cmdfile_highest(name, &w->c) || w->c.version != v || strcmp(w->c.object, file) != 0)
        return 0; /* a lower version: the highest one is visited too */
    cmdfile_read(&w->c, data, size);
    return w->fn(w->ctx, &w->c);
}

static inline int cmdfile_for_each(const char *index, size_t index_size,
                                   int (*fn)(void *ctx, const struct cmdfile *c), void *ctx,
                                   struct cmdfile_walk *w)
{
    w->index = index;
    w->index_size = index_size;
    w->fn = fn;
    w->ctx = ctx;
    return ramfs_for_each(cmdfile_walk_fn, w);
}

#endif
