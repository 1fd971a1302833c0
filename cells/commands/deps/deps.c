/* deps <cell>: the cell's place in the dependency graph. "uses": its relocations into other
 * cells and the core, grouped by target and symbol; "used by": other cells' relocations into
 * it, grouped by site cell and symbol. Each line counts the sites: the relocations in one cell
 * that refer to a symbol of another (docs/design.md, "Words"). */
#include <stdbool.h>
#include <keel/cells.h>
#include <keel/command.h>
#include <keel/console.h>
#include <keel/errno.h>
#include <keel/kmalloc.h>

struct group {
    const struct loaded_cell *cell; /* the other end; NULL: the core */
    const char *symbol;
    unsigned count;
};

struct groups {
    struct group *v;
    size_t n, cap;
    bool by_site; /* group by the edge's site cell (used by) instead of its target (uses) */
    int err;
};

static const char *cell_name(const struct loaded_cell *c)
{
    if (!c)
        return "core";
    struct loader_cell_info ci;
    loader_cell_info(c, &ci);
    return ci.name;
}

static int collect(void *ctx, const struct loader_edge *e)
{
    struct groups *g = ctx;
    const struct loaded_cell *other = g->by_site ? e->site : e->target;
    for (size_t i = 0; i < g->n; i++) {
        if (g->v[i].cell == other && strcmp(g->v[i].symbol, e->symbol) == 0) {
            g->v[i].count++;
            return 0;
        }
    }
    if (g->n == g->cap) {
        size_t cap = g->cap ? 2 * g->cap : 16;
        struct group *v = krealloc(g->v, cap * sizeof(*v));
        if (!v) {
            g->err = KE_NOMEM;
            return 1;
        }
        g->v = v;
        g->cap = cap;
    }
    g->v[g->n++] = (struct group){other, e->symbol, 1};
    return 0;
}

static int compare(const struct group *a, const struct group *b)
{
    /* The core first, then cells by name; symbols by name within each. */
    if (a->cell != b->cell) {
        if (!a->cell || !b->cell)
            return a->cell ? 1 : -1;
        int c = strcmp(cell_name(a->cell), cell_name(b->cell));
        if (c)
            return c;
    }
    return strcmp(a->symbol, b->symbol);
}

static void print(const char *title, const char *name, struct groups *g)
{
    for (size_t i = 1; i < g->n; i++) { /* insertion sort: the lists are short */
        struct group x = g->v[i];
        size_t j = i;
        for (; j > 0 && compare(&g->v[j - 1], &x) > 0; j--)
            g->v[j] = g->v[j - 1];
        g->v[j] = x;
    }
    unsigned sites = 0;
    for (size_t i = 0; i < g->n; i++)
        sites += g->v[i].count;
    kprintf("%s %s (%u site%s):\n", name, title, sites, sites == 1 ? "" : "s");
    if (!g->n)
        kprintf("  (nothing)\n");
    for (size_t i = 0; i < g->n; i++)
        kprintf("  %-16s %-32s %u\n", cell_name(g->v[i].cell), g->v[i].symbol, g->v[i].count);
}

int cmd_deps_main(const void *arg, void *ret)
{
    const char *argv[ARGV_MAX_ARGS];
    int argc = argv_from_arg(arg, argv, ARGV_MAX_ARGS);
    if (argc != 2) {
        kprintf("deps: %s\nusage: " KEEL_COMMAND_USAGE "\n",
                argc < 2 ? "which cell? (see cells)" : "too many arguments");
        return 2;
    }
    struct loader *ld = cells_loader();
    struct groups uses = {0}, users = {.by_site = true};
    int status = 0;
    cells_lock();
    const struct loaded_cell *c = ld ? loader_find(ld, argv[1]) : NULL;
    if (!c) {
        kprintf("deps: no cell named '%s' is loaded\n", argv[1]);
        status = 1;
    } else {
        loader_for_each_edge(ld, c, NULL, NULL, collect, &uses);
        loader_for_each_edge(ld, NULL, c, NULL, collect, &users);
        if (uses.err || users.err) {
            kprintf("deps: %s\n", keel_strerror(KE_NOMEM));
            status = 1;
        } else {
            print("uses", argv[1], &uses);
            print("is used by", argv[1], &users);
        }
    }
    cells_unlock();
    kfree(uses.v);
    kfree(users.v);
    return status;
}

KEEL_COMMAND_CELL("deps");
