/* help [command]: list every command with its summary, sorted by name, or show one command's
 * usage and summary. The commands are those of the ramfs file commands.index (the boot image's)
 * and the command cells pushed at run time (shell/cmdfile.h), whose own records win over the
 * index's line for the same name (a newer version of a boot command). */
#include <keel/command.h>
#include <keel/console.h>
#include <keel/kmalloc.h>
#include "ramfs/ramfs.h"
#include "shell/cmdfile.h"

#define MAX_CMDS   128
#define MAX_PUSHED 16

/* One command: "name<TAB>usage<TAB>summary<TAB>object" of commands.index, or the record of a
 * pushed command; fields not terminated. bad: a pushed command whose record is unusable
 * (field[2] then says why). */
struct entry {
    const char *field[3];
    int len[3];
    bool bad;
};

/* What help gathers: the entries, and the pushed commands they point into. */
struct gathered {
    struct entry e[MAX_CMDS];
    size_t n;
    struct cmdfile pushed[MAX_PUSHED];
    size_t npushed, dropped;
    struct cmdfile_walk walk;
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

/* Put cur into e[0..*n) in name order (nothing if e is full). */
static void insert(struct entry *e, size_t *n, const struct entry *cur)
{
    if (*n == MAX_CMDS)
        return;
    size_t i = (*n)++;
    while (i > 0 && name_cmp(&e[i - 1], cur) > 0) {
        e[i] = e[i - 1];
        i--;
    }
    e[i] = *cur;
}

static bool listed(const struct gathered *g, const struct entry *cur)
{
    for (size_t i = 0; i < g->n; i++)
        if (name_cmp(&g->e[i], cur) == 0)
            return true;
    return false;
}

static int keep_pushed(void *ctx, const struct cmdfile *c)
{
    struct gathered *g = ctx;
    if (g->npushed == MAX_PUSHED) {
        g->dropped++;
        return 0;
    }
    struct cmdfile *p = &g->pushed[g->npushed++];
    *p = *c;
    struct entry cur = {
        {p->name, p->usage, p->ok ? p->summary : p->why},
        {(int)strlen(p->name), (int)strlen(p->usage), (int)strlen(p->ok ? p->summary : p->why)},
        !p->ok};
    insert(g->e, &g->n, &cur);
    return 0;
}

/* The pushed commands, then the index's lines for the other names, into g sorted by name. */
static void gather(const char *text, size_t size, struct gathered *g)
{
    cmdfile_for_each(text, size, keep_pushed, g, &g->walk);
    size_t at = 0;
    while (at < size) {
        const char *nl = memchr(text + at, '\n', size - at);
        size_t len = nl ? (size_t)(nl - (text + at)) : size - at;
        struct entry cur = {0};
        if (split(text + at, len, &cur) && !listed(g, &cur))
            insert(g->e, &g->n, &cur);
        at += len + 1;
    }
}

static int show(const struct gathered *g, const char *which)
{
    const struct entry *e = g->e;
    size_t n = g->n;
    if (which) {
        size_t want = strlen(which);
        for (size_t i = 0; i < n; i++) {
            if ((size_t)e[i].len[0] != want || memcmp(e[i].field[0], which, want) != 0)
                continue;
            if (e[i].bad) {
                kprintf("help: %s: %.*s\n", which, e[i].len[2], e[i].field[2]);
                return 1;
            }
            kprintf("usage: %.*s\n  %.*s\n", e[i].len[1], e[i].field[1], e[i].len[2],
                    e[i].field[2]);
            return 0;
        }
        kprintf("help: no such command '%s'\nusage: %s\n", which, KEEL_COMMAND_USAGE);
        return 2;
    }
    int width = 0;
    for (size_t i = 0; i < n; i++)
        if (e[i].len[0] > width)
            width = e[i].len[0];
    kprintf("%zu commands (help <command> shows its usage):\n", n);
    for (size_t i = 0; i < n; i++)
        kprintf("  %-*.*s  %s%.*s%s\n", width, e[i].len[0], e[i].field[0],
                e[i].bad ? "(cannot run: " : "", e[i].len[2], e[i].field[2], e[i].bad ? ")" : "");
    if (g->dropped)
        kprintf("(%zu more pushed command cells not shown)\n", g->dropped);
    return 0;
}

int cmd_help_main(const void *arg, void *ret)
{
    const char *argv[ARGV_MAX_ARGS + 1];
    int argc = argv_from_arg(arg, argv, ARGV_MAX_ARGS + 1);
    if (argc < 1) {
        kprintf("help: bad argument block\nusage: %s\n", KEEL_COMMAND_USAGE);
        return 2;
    }
    if (argc > 2) {
        kprintf("help: too many arguments\nusage: %s\n", KEEL_COMMAND_USAGE);
        return 2;
    }
    const void *data = NULL;
    size_t len = 0;
    /* Without a boot index, pushed commands are still listed. */
    (void)ramfs_find("commands.index", &data, &len);
    struct gathered *g = kmalloc(sizeof(*g)); /* freed with the task if it is killed */
    if (!g) {
        kprintf("help: out of memory\n");
        return 1;
    }
    memset(g, 0, sizeof(*g));
    gather(data, len, g);
    int status = show(g, argc == 2 ? argv[1] : NULL);
    kfree(g);
    return status;
}

KEEL_COMMAND_CELL("help");
