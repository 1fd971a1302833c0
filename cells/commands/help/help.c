/* help [command]: list every command with its summary (from the ramfs file commands.index,
 * sorted by name), or show one command's usage and summary. */
#include <keel/command.h>
#include <keel/console.h>
#include <keel/kmalloc.h>
#include "ramfs/ramfs.h"

#define USAGE    "help [command]"
#define MAX_CMDS 128

/* One line of commands.index: "name<TAB>usage<TAB>summary<TAB>object", fields not terminated. */
struct entry {
    const char *field[3];
    int len[3];
};

static bool split(const char *line, size_t len, struct entry *e)
{
    size_t at = 0;
    for (int f = 0; f < 3; f++) {
        size_t start = at;
        while (at < len && line[at] != '\t')
            at++;
        if (f < 2 && at >= len)
            return false; /* name and usage must be followed by a tab */
        e->field[f] = line + start;
        e->len[f] = (int)(at - start);
        at++;
    }
    return e->len[0] > 0;
}

static int name_cmp(const struct entry *a, const struct entry *b)
{
    int n = a->len[0] < b->len[0] ? a->len[0] : b->len[0];
    int c = memcmp(a->field[0], b->field[0], (size_t)n);
    return c ? c : a->len[0] - b->len[0];
}

/* Parse the index into e[] sorted by name; returns the count. */
static size_t load_index(const char *text, size_t size, struct entry *e, size_t max)
{
    size_t n = 0, at = 0;
    while (at < size && n < max) {
        const char *nl = memchr(text + at, '\n', size - at);
        size_t len = nl ? (size_t)(nl - (text + at)) : size - at;
        struct entry cur;
        if (split(text + at, len, &cur)) {
            size_t i = n++;
            while (i > 0 && name_cmp(&e[i - 1], &cur) > 0) {
                e[i] = e[i - 1];
                i--;
            }
            e[i] = cur;
        }
        at += len + 1;
    }
    return n;
}

static int show(const struct entry *e, size_t n, const char *which)
{
    if (which) {
        size_t want = strlen(which);
        for (size_t i = 0; i < n; i++) {
            if ((size_t)e[i].len[0] == want && memcmp(e[i].field[0], which, want) == 0) {
                kprintf("usage: %.*s\n  %.*s\n", e[i].len[1], e[i].field[1], e[i].len[2],
                        e[i].field[2]);
                return 0;
            }
        }
        kprintf("help: no such command '%s'\nusage: %s\n", which, USAGE);
        return 2;
    }
    int width = 0;
    for (size_t i = 0; i < n; i++)
        if (e[i].len[0] > width)
            width = e[i].len[0];
    kprintf("%zu commands (help <command> shows its usage):\n", n);
    for (size_t i = 0; i < n; i++)
        kprintf("  %-*.*s  %.*s\n", width, e[i].len[0], e[i].field[0], e[i].len[2], e[i].field[2]);
    return 0;
}

int cmd_help_main(const void *arg, void *ret)
{
    const char *argv[ARGV_MAX_ARGS + 1];
    int argc = argv_from_arg(arg, argv, ARGV_MAX_ARGS + 1);
    if (argc < 1) {
        kprintf("help: bad argument block\nusage: %s\n", USAGE);
        return 2;
    }
    if (argc > 2) {
        kprintf("help: too many arguments\nusage: %s\n", USAGE);
        return 2;
    }
    const void *data;
    size_t len;
    if (ramfs_find("commands.index", &data, &len) != 0) {
        kprintf("help: no command index (commands.index) in the ramfs\n");
        return 1;
    }
    struct entry *e = kmalloc(MAX_CMDS * sizeof(*e)); /* freed with the task if it is killed */
    if (!e) {
        kprintf("help: out of memory\n");
        return 1;
    }
    size_t n = load_index(data, len, e, MAX_CMDS);
    int status = show(e, n, argc == 2 ? argv[1] : NULL);
    kfree(e);
    return status;
}

KEEL_COMMAND_CELL("help");
