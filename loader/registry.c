/* Layer 2: the registry of loaded cells. loader_load() prepares a whole batch off to the side
 * (parse, metadata, regions, resolution, relocation, protection), commits it with steps that
 * cannot fail, then runs init in batch order; an init failure runs the exits of the cells
 * already initialized (in reverse) and takes the batch out again. */
#include <keel/errno.h>
#include <keel/string.h>
#include "batch.h"

static uint64_t now(const struct loader *ld)
{
    return ld->pf.now_ns ? ld->pf.now_ns(ld->pf.ctx) : 0;
}

struct loader *loader_create(const struct loader_platform *pf)
{
    if (!pf || !pf->alloc || !pf->free || !pf->region_alloc || !pf->region_free)
        return NULL;
    struct loader *ld = loader_zalloc(pf, sizeof(*ld));
    if (!ld)
        return NULL;
    ld->pf = *pf;
    /* The registry array exists from the start, so a load only ever swaps it for a larger one:
     * a refused load leaves the number of live allocations exactly as it was. */
    ld->cap = 8;
    ld->cells = pf->alloc(pf->ctx, ld->cap * sizeof(*ld->cells));
    if (!ld->cells) {
        pf->free(pf->ctx, ld);
        return NULL;
    }
    if (pf->retired && loader_retired_reserve(ld, 32)) {
        pf->free(pf->ctx, ld->cells);
        pf->free(pf->ctx, ld);
        return NULL;
    }
    return ld;
}

void loader_cell_destroy(struct loader *ld, struct loaded_cell *c)
{
    const struct loader_platform *pf = &ld->pf;
    for (int r = CELL_REGION_TEXT; r <= CELL_REGION_DATA; r++)
        if (c->region[r])
            pf->region_free(pf->ctx, c->region[r], (size_t)c->region_size[r]);
    if (c->pool)
        pf->free(pf->ctx, c->pool);
    if (c->exports)
        pf->free(pf->ctx, c->exports);
    if (c->addrsyms)
        pf->free(pf->ctx, c->addrsyms);
    if (c->edges)
        pf->free(pf->ctx, c->edges);
    if (c->sections)
        pf->free(pf->ctx, c->sections);
    pf->free(pf->ctx, c);
}

void loader_changed(const struct loader *ld)
{
    if (ld->pf.changed)
        ld->pf.changed(ld->pf.ctx);
}

static void run_exit(struct loader *ld, struct loaded_cell *c)
{
    if (!c->initialized || !c->desc->exit)
        return;
    if (ld->pf.run_exit)
        ld->pf.run_exit(ld->pf.ctx, c, c->desc->exit);
    else
        c->desc->exit();
    c->initialized = false;
}

static int run_init(struct loader *ld, struct loaded_cell *c)
{
    int rc = 0;
    if (c->desc->init)
        rc = ld->pf.run_init ? ld->pf.run_init(ld->pf.ctx, c, c->desc->init) : c->desc->init();
    c->initialized = rc == 0;
    return rc;
}

void loader_destroy(struct loader *ld)
{
    if (!ld)
        return;
    while (ld->ncells) {
        struct loaded_cell *c = ld->cells[--ld->ncells];
        run_exit(ld, c);
        loader_cell_destroy(ld, c);
    }
    if (ld->cells)
        ld->pf.free(ld->pf.ctx, ld->cells);
    while (ld->nretired)
        loader_cell_destroy(ld, ld->retired[--ld->nretired]);
    if (ld->retired)
        ld->pf.free(ld->pf.ctx, ld->retired);
    loader_changed(ld);
    ld->pf.free(ld->pf.ctx, ld);
}

int loader_retired_reserve(struct loader *ld, size_t n)
{
    if (!ld->pf.retired || ld->retired_cap - ld->nretired >= n)
        return 0;
    size_t cap = ld->retired_cap ? ld->retired_cap : 8;
    while (cap - ld->nretired < n) {
        if (cap > SIZE_MAX / 2 / sizeof(*ld->retired))
            return KE_NOMEM;
        cap *= 2;
    }
    struct loaded_cell **list = ld->pf.alloc(ld->pf.ctx, cap * sizeof(*list));
    if (!list)
        return KE_NOMEM;
    if (ld->nretired)
        memcpy(list, ld->retired, ld->nretired * sizeof(*list));
    /* Switch first, free after: readers that only hold the scheduler lock (task_spawn's look-up
     * of an entry) must never see the old array freed. */
    struct loaded_cell **old = ld->retired;
    ld->retired = list;
    ld->retired_cap = cap;
    if (old)
        ld->pf.free(ld->pf.ctx, old);
    return 0;
}

void loader_cell_retire(struct loader *ld, struct loaded_cell *c)
{
    if (!ld->pf.retired || ld->nretired == ld->retired_cap) {
        loader_cell_destroy(ld, c); /* no retiring platform (or no room reserved): free now */
        return;
    }
    c->retired = true;
    c->pins = 0;
    ld->retired[ld->nretired++] = c;
    ld->pf.retired(ld->pf.ctx, c);
}

size_t loader_retired_count(const struct loader *ld)
{
    return ld ? ld->nretired : 0;
}

struct loaded_cell *loader_retired_at(const struct loader *ld, size_t index)
{
    return ld && index < ld->nretired ? ld->retired[index] : NULL;
}

int loader_retired_free(struct loader *ld, struct loaded_cell *cell)
{
    if (!ld || !cell)
        return KE_INVAL;
    for (size_t i = 0; i < ld->nretired; i++) {
        if (ld->retired[i] != cell)
            continue;
        memmove(&ld->retired[i], &ld->retired[i + 1],
                (ld->nretired - i - 1) * sizeof(*ld->retired));
        ld->nretired--;
        loader_cell_destroy(ld, cell);
        return 0;
    }
    return KE_NOENT;
}

/* Room for n more cells in the registry (growing it changes nothing anyone can observe). */
static int reserve(struct loader *ld, size_t n, struct loader_error *err, const char *who)
{
    if (ld->cap - ld->ncells >= n)
        return 0;
    size_t cap = ld->cap;
    while (cap - ld->ncells < n) {
        if (cap > SIZE_MAX / 2 / sizeof(*ld->cells))
            return loader_cell_fail(err, KE_NOMEM, who, "too many cells");
        cap *= 2;
    }
    struct loaded_cell **cells = ld->pf.alloc(ld->pf.ctx, cap * sizeof(*cells));
    if (!cells)
        return loader_cell_fail(err, KE_NOMEM, who, "out of memory for the cell registry");
    if (ld->ncells)
        memcpy(cells, ld->cells, ld->ncells * sizeof(*cells));
    struct loaded_cell **old = ld->cells; /* switch first, free after (see above) */
    ld->cells = cells;
    ld->cap = cap;
    if (old)
        ld->pf.free(ld->pf.ctx, old);
    return 0;
}

static int parse_all(struct batch *b, const struct loader_object *objs)
{
    for (size_t i = 0; i < b->n; i++) {
        const struct loader_object *o = &objs[i];
        int rc =
            cell_image_parse(&b->ld->pf, o->data, o->size, o->origin, &b->items[i].img, b->err);
        if (rc)
            return rc;
        const char *name = b->items[i].img.name;
        const struct loaded_cell *old = loader_find(b->ld, name);
        if (b->replacing && old != b->replacing[i])
            return loader_cell_fail(b->err, KE_INVAL, name, "object '%.48s' is cell '%s', not '%s'",
                                    o->origin, name, b->replacing[i]->name);
        if (old && !b->replacing)
            return loader_cell_fail(b->err, KE_EXIST, name, "already loaded (version %u)",
                                    old->version);
        for (size_t j = 0; j < i; j++)
            if (strcmp(b->items[j].img.name, name) == 0)
                return loader_cell_fail(b->err, KE_EXIST, name,
                                        "twice in one batch (objects %zu and "
                                        "%zu)",
                                        j, i);
    }
    return 0;
}

int batch_prepare(struct batch *b, const struct loader_object *objs)
{
    uint64_t t0 = now(b->ld);
    int rc = parse_all(b, objs);
    uint64_t t1 = now(b->ld);
    b->ld->stats.parse_ns = t1 - t0;
    if (!rc && !b->replacing)
        rc = reserve(b->ld, b->n, b->err, b->items[0].img.name);
    if (!rc)
        rc = batch_check_exports(b);
    if (!rc)
        rc = batch_build_cells(b);
    if (!rc)
        rc = batch_alloc_regions(b);
    if (!rc)
        rc = batch_resolve(b);
    if (!rc)
        rc = batch_relocate(b);
    if (!rc)
        rc = batch_finish(b);
    for (size_t i = 0; !rc && i < b->n; i++) {
        struct loaded_cell *c = b->items[i].cell;
        size_t len = objs[i].origin ? strnlen(objs[i].origin, sizeof(c->origin) - 1) : 0;
        if (len)
            memcpy(c->origin, objs[i].origin, len);
        c->origin[len] = 0;
    }
    b->ld->stats.link_ns = now(b->ld) - t1;
    return rc;
}

int loader_load(struct loader *ld, const struct loader_object *objs, size_t n,
                struct loaded_cell **out, struct loader_error *err)
{
    loader_error_clear(err);
    if (!ld || !objs || n == 0 || n > SIZE_MAX / sizeof(struct batch_item))
        return loader_cell_fail(err, KE_INVAL, n && objs ? objs[0].origin : "?",
                                "invalid arguments to loader_load");
    for (size_t i = 0; i < n; i++)
        if (!objs[i].data && objs[i].size)
            return loader_cell_fail(err, KE_INVAL, objs[i].origin, "no object data");
    struct batch b = {.ld = ld, .n = n, .err = err};
    ld->stats = (struct loader_stats){0};
    b.items = loader_zalloc(&ld->pf, n * sizeof(struct batch_item));
    if (!b.items)
        return loader_cell_fail(err, KE_NOMEM, objs[0].origin, "out of memory for the batch");
    int rc = batch_prepare(&b, objs);
    if (rc) {
        batch_free(&b);
        return rc;
    }

    /* Commit: nothing below allocates. */
    size_t first = ld->ncells;
    for (size_t i = 0; i < n; i++) {
        ld->cells[ld->ncells++] = b.items[i].cell;
        ld->stats.relocations += b.items[i].cell->relocations;
    }
    loader_changed(ld); /* before any init runs: a debugger knows the cells it may stop in */
    uint64_t t0 = now(ld);
    for (size_t i = 0; i < n; i++) {
        struct loaded_cell *c = b.items[i].cell;
        int irc = run_init(ld, c);
        if (irc == 0)
            continue;
        rc = loader_cell_fail(err, irc < 0 ? irc : KE_INVAL, c->name, "init failed (returned %d)",
                              irc);
        for (size_t j = i; j-- > 0;)
            run_exit(ld, b.items[j].cell);
        ld->ncells = first; /* the batch leaves the registry; batch_free frees it */
        loader_changed(ld);
        break;
    }
    ld->stats.init_ns = now(ld) - t0;
    if (!rc && out)
        for (size_t i = 0; i < n; i++)
            out[i] = b.items[i].cell;
    if (!rc)
        for (size_t i = 0; i < n; i++)
            b.items[i].cell = NULL; /* owned by the registry now */
    batch_free(&b);
    return rc;
}

static size_t index_of(const struct loader *ld, const struct loaded_cell *c)
{
    for (size_t i = 0; i < ld->ncells; i++)
        if (ld->cells[i] == c)
            return i;
    return SIZE_MAX;
}

int loader_unload(struct loader *ld, struct loaded_cell *cell, struct loader_error *err)
{
    loader_error_clear(err);
    if (!ld || !cell)
        return loader_cell_fail(err, KE_INVAL, "?", "invalid arguments to loader_unload");
    size_t at = index_of(ld, cell);
    if (at == SIZE_MAX)
        return loader_cell_fail(err, KE_NOENT, "?", "not a loaded cell (stale handle?)");
    if (cell->pins)
        return loader_cell_fail(err, KE_BUSY, cell->name, "pinned by %u task%s", cell->pins,
                                cell->pins == 1 ? "" : "s");
    /* Refuse while another cell has an edge into this one, naming every such cell. */
    char users[LOADER_MSG_MAX];
    size_t len = 0, count = 0;
    users[0] = 0;
    for (size_t i = 0; i < ld->ncells; i++) {
        const struct loaded_cell *c = ld->cells[i];
        if (c == cell || !loader_cell_uses(c, cell))
            continue;
        size_t nl = strlen(c->name);
        if (len + nl + 5 < sizeof(users)) {
            if (count) {
                memcpy(users + len, ", ", 2);
                len += 2;
            }
            users[len++] = '\'';
            memcpy(users + len, c->name, nl);
            len += nl;
            users[len++] = '\'';
            users[len] = 0;
        }
        count++;
    }
    if (count)
        return loader_cell_fail(err, KE_BUSY, cell->name, "in use by %zu cell%s: %s", count,
                                count == 1 ? "" : "s", users);
    if (loader_retired_reserve(ld, 1))
        return loader_cell_fail(err, KE_NOMEM, cell->name, "out of memory for the retired list");
    run_exit(ld, cell);
    memmove(&ld->cells[at], &ld->cells[at + 1], (ld->ncells - at - 1) * sizeof(*ld->cells));
    ld->ncells--;
    loader_cell_retire(ld, cell); /* freed once nothing points into it (or now) */
    loader_changed(ld);
    return 0;
}

void loader_last_stats(const struct loader *ld, struct loader_stats *out)
{
    if (!out)
        return;
    if (!ld) {
        *out = (struct loader_stats){0};
        return;
    }
    *out = ld->stats;
}

struct loaded_cell *loader_find(const struct loader *ld, const char *name)
{
    if (!ld || !name)
        return NULL;
    for (size_t i = 0; i < ld->ncells; i++)
        if (strcmp(ld->cells[i]->name, name) == 0)
            return ld->cells[i];
    return NULL;
}

size_t loader_cell_count(const struct loader *ld)
{
    return ld ? ld->ncells : 0;
}

struct loaded_cell *loader_cell_at(const struct loader *ld, size_t index)
{
    return ld && index < ld->ncells ? ld->cells[index] : NULL;
}

/* Pins are counted by the kernel with interrupts off or from tasks that cannot be preempted
 * in the middle of a pin (single CPU); an SMP kernel will need the loader lock here. */
void loader_cell_pin(struct loader *ld, struct loaded_cell *cell)
{
    (void)ld;
    if (cell)
        cell->pins++;
}

void loader_cell_unpin(struct loader *ld, struct loaded_cell *cell)
{
    (void)ld;
    if (cell && cell->pins)
        cell->pins--;
}

unsigned loader_cell_pins(const struct loaded_cell *cell)
{
    return cell ? cell->pins : 0;
}
