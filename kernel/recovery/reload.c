/* Reload a cell from its pristine object (the ladder's second and third rungs) and give a cell
 * up (the last). A reload is a live swap of the cell for a fresh instance of the same version,
 * linked from the object named by its origin and held open through the ramfs's object source
 * (keel/cells.h, "Pristine objects"): the swap rewires dependents, re-spawns parked service
 * tasks, and carries or resets the state block; like any swap it changes nothing if it is
 * refused (e.g. a task is inside the cell and stays there past the quiescence deadline). */
#include <keel/cells.h>
#include <keel/errno.h>
#include <keel/log.h>
#include <keel/string.h>
#include <keel/core/tasking.h>
#include <keel/swap.h>
#include "recovery/reload.h"

#define EVICT_WAIT_MS 500u /* how long a reload waits for the tasks it evicted to end */

struct reload_set {
    size_t n;
    char name[SWAP_MAX_CELLS][KEEL_CELL_NAME_MAX];
    char origin[SWAP_MAX_CELLS][LOADER_ORIGIN_MAX];
    bool overflow;
};

static void add(struct reload_set *s, const struct loaded_cell *c)
{
    if (s->n == SWAP_MAX_CELLS) {
        s->overflow = true;
        return;
    }
    struct loader_cell_info ci;
    loader_cell_info(c, &ci);
    size_t len = strnlen(ci.name, KEEL_CELL_NAME_MAX - 1);
    memcpy(s->name[s->n], ci.name, len);
    s->name[s->n][len] = 0;
    len = ci.origin ? strnlen(ci.origin, LOADER_ORIGIN_MAX - 1) : 0;
    if (len)
        memcpy(s->origin[s->n], ci.origin, len);
    s->origin[s->n][len] = 0;
    s->n++;
}

static int any_edge(void *ctx, const struct loader_edge *e)
{
    (void)ctx;
    (void)e;
    return 1;
}

/* The cells to reload and the object source's two functions; cells lock held. */
static int plan(const char *cell, bool dependents, struct reload_set *s, cells_object_open_fn *op,
                cells_object_close_fn *cl)
{
    struct loader *ld = cells_loader();
    struct loaded_cell *c = ld ? loader_find(ld, cell) : NULL;
    if (!c)
        return KE_NOENT;
    add(s, c);
    for (size_t i = 0; dependents && i < loader_cell_count(ld); i++) {
        struct loaded_cell *d = loader_cell_at(ld, i);
        if (d != c && loader_for_each_edge(ld, d, c, NULL, any_edge, NULL))
            add(s, d);
    }
    if (s->overflow)
        return KE_RANGE;
    struct loader_symbol_info o, k;
    if (loader_symbol_lookup(ld, CELLS_OBJECT_OPEN, NULL, &o) ||
        loader_symbol_lookup(ld, CELLS_OBJECT_CLOSE, NULL, &k))
        return KE_NOTSUP; /* no object source loaded */
    *op = (cells_object_open_fn)(uintptr_t)o.addr;
    *cl = (cells_object_close_fn)(uintptr_t)k.addr;
    return 0;
}

int reload_cells(const char *cell, bool dependents, bool reset)
{
    struct reload_set s = {0};
    cells_object_open_fn open_object = NULL;
    cells_object_close_fn close_object = NULL;
    cells_lock();
    int rc = plan(cell, dependents, &s, &open_object, &close_object);
    cells_unlock();
    if (rc)
        return rc;
    struct swap_request rq = {.n = s.n, .reset_state = reset};
    void *handle[SWAP_MAX_CELLS] = {0};
    size_t held = 0;
    for (; held < s.n; held++) {
        const void *data;
        size_t size;
        if (!s.origin[held][0]) {
            rc = KE_NOENT;
            break;
        }
        rc = open_object(s.origin[held], &data, &size, &handle[held]);
        if (rc)
            break;
        rq.items[held] = (struct swap_item){s.name[held], data, size, s.origin[held]};
    }
    if (!rc) {
        /* The tasks of the cells to reload leave them: blocked in them (a parent joining the task
         * that faulted) or running there, they would hold the old version past the quiescence
         * deadline. Restartable ones restart in the new instance (task_evict_cell). */
        size_t evicted = 0;
        for (size_t i = 0; i < s.n; i++)
            evicted += task_evict_cell(s.name[i]);
        /* They must be gone before the swap looks: one woken from a blocking call runs cell
         * code until a tick or a safe point ends it. Bounded; the swap's own quiescence rule
         * judges whatever is left. */
        for (unsigned ms = 0; evicted && ms < EVICT_WAIT_MS && task_evicted_alive(); ms++)
            (void)task_sleep_ns(1000000);
        struct loader_error err;
        rc = swap_cells(&rq, NULL, &err);
        if (rc)
            log_err("recovery: reload of '%s' refused: %s", cell, err.msg);
    } else {
        log_err("recovery: no pristine object '%s' for cell '%s': %s", s.origin[held], s.name[held],
                keel_errname(rc));
    }
    for (size_t i = 0; i < held; i++)
        close_object(handle[i]);
    return rc;
}

struct victims {
    const char *cell;
    task_id_t except;
    task_id_t id[64];
    size_t n;
};

static int collect(void *ctx, const struct task_info *ti)
{
    struct victims *v = ctx;
    if (ti->id != v->except && strcmp(ti->cell, v->cell) == 0 && v->n < 64)
        v->id[v->n++] = ti->id;
    return 0;
}

void give_up_cell(const char *cell, task_id_t except)
{
    cells_lock();
    struct loader *ld = cells_loader();
    struct loaded_cell *c = ld ? loader_find(ld, cell) : NULL;
    if (c)
        loader_cell_set_failed(c, true);
    cells_unlock();
    struct victims v = {.cell = cell, .except = except};
    (void)task_for_each(collect, &v);
    for (size_t i = 0; i < v.n; i++)
        (void)task_kill(v.id[i]); /* KE_NOENT: already gone; the core's own are not in cells */
}
