/* The loader's platform in the kernel: metadata from the heap (owner OWNER_LOADER), regions in
 * the cell area backed by fresh frames, protections through the page tables, and the core
 * export table for symbol resolution. */
#include <keel/clock.h>
#include <keel/errno.h>
#include <keel/export.h>
#include <keel/format.h>
#include <keel/kmalloc.h>
#include <keel/loader.h>
#include <keel/log.h>
#include <keel/task.h>
#include <keel/memory.h>
#include <keel/paging.h>
#include <keel/reclaim.h>
#include <keel/string.h>
#include "link/cells.h"
#include <keel/core/tasking.h>

static void *plat_alloc(void *ctx, size_t size)
{
    (void)ctx;
    return kmalloc_loader(size);
}

static void plat_free(void *ctx, void *p)
{
    (void)ctx;
    kfree(p);
}

/* Unmap pages [va, va+bytes) and free their frames. */
static void unmap_pages(uint64_t va, size_t bytes)
{
    for (size_t off = 0; off < bytes; off += PAGE_SIZE) {
        uint64_t pa;
        if (paging_unmap(va + off, &pa) == 0)
            frame_free(pa, 1);
    }
}

static int plat_region_alloc(void *ctx, size_t size, void **addr_out)
{
    (void)ctx;
    uint64_t va;
    if (size == 0 || (size & (PAGE_SIZE - 1)))
        return KE_INVAL;
    int err = cell_area_reserve(size, PAGE_SIZE, &va);
    if (err)
        return err;
    for (size_t off = 0; off < size; off += PAGE_SIZE) {
        uint64_t pa;
        err = frame_alloc(1, 1, &pa);
        if (!err) {
            memset(phys_to_virt(pa), 0, PAGE_SIZE);
            err = paging_map(va + off, pa, MAP_W);
            if (err)
                frame_free(pa, 1);
        }
        if (err) {
            unmap_pages(va, off);
            cell_area_release(va, size);
            return err;
        }
    }
    *addr_out = (void *)(uintptr_t)va;
    return 0;
}

static int plat_region_protect(void *ctx, void *addr, size_t size, unsigned prot)
{
    (void)ctx;
    unsigned flags = prot == LOADER_PROT_RX ? MAP_X : prot == LOADER_PROT_RW ? MAP_W : MAP_R;
    uint64_t va = (uint64_t)(uintptr_t)addr;
    for (size_t off = 0; off < size; off += PAGE_SIZE) {
        int err = paging_protect(va + off, flags);
        if (err)
            return err;
    }
    return 0;
}

static void plat_region_free(void *ctx, void *addr, size_t size)
{
    (void)ctx;
    uint64_t va = (uint64_t)(uintptr_t)addr;
    unmap_pages(va, size);
    cell_area_release(va, size);
}

static int plat_core_symbol(void *ctx, const char *name, struct loader_symbol_info *out)
{
    (void)ctx;
    const struct kexport *e;
    int err = kexport_find(name, &e);
    if (err)
        return err;
    out->addr = (uint64_t)(uintptr_t)e->addr;
    out->size = e->size;
    out->kind = e->kind == KEXPORT_FUNC ? LOADER_SYM_FUNC : LOADER_SYM_OBJECT;
    return 0;
}

/* A cell's init and exit run in a task of their own, so a fault in them kills only that task
 * (the load is then refused and undone) instead of the boot. */
struct hook_arg {
    int (*init)(void);
    void (*exit)(void);
};

static int hook_task(const void *arg, void *ret)
{
    const struct hook_arg *h = arg;
    (void)ret;
    if (h->init)
        return h->init();
    h->exit();
    return 0;
}

static int run_in_task(const struct loaded_cell *cell, struct hook_arg *h, int *status)
{
    struct loader_cell_info ci;
    loader_cell_info(cell, &ci);
    struct task_spec spec = {.name = ci.name, .entry = hook_task, .arg = h, .arg_size = sizeof(*h)};
    task_id_t id;
    struct task_result r;
    int err = task_spawn(&spec, &id);
    if (err == KE_BUSY) { /* tasking has not started: run it here */
        *status = h->init ? h->init() : (h->exit(), 0);
        return 0;
    }
    if (err || (err = task_join(id, &r)))
        return err;
    kfree(r.ret);
    if (r.how == TASK_FAULTED) {
        log_err("cell %s: %s faulted at %s", ci.name, h->init ? "init" : "exit", r.fault.where);
        *status = KE_FAULT;
    } else if (r.how == TASK_KILLED) {
        *status = KE_KILLED;
    } else {
        *status = r.status;
    }
    return 0;
}

static int plat_run_init(void *ctx, const struct loaded_cell *cell, int (*init)(void))
{
    (void)ctx;
    struct hook_arg h = {init, 0};
    int status;
    int err = run_in_task(cell, &h, &status);
    return err ? err : status;
}

static void plat_run_exit(void *ctx, const struct loaded_cell *cell, void (*exit)(void))
{
    (void)ctx;
    struct hook_arg h = {0, exit};
    int status;
    if (run_in_task(cell, &h, &status) == 0 && status)
        log_warn("cell exit hook ended with %s", keel_strerror(status));
}

/* A live swap rewrites sites in other cells' text: through the direct map's writable alias of
 * each byte's frame, so the cell's own mapping stays W^X. */
static int plat_patch(void *ctx, void *where, const void *bytes, size_t len)
{
    (void)ctx;
    const uint8_t *src = bytes;
    for (size_t i = 0; i < len; i++) { /* first check every byte, then write */
        uint64_t pa;
        if (paging_translate((uint64_t)(uintptr_t)where + i, &pa, NULL))
            return KE_FAULT;
    }
    for (size_t i = 0; i < len; i++) {
        uint64_t pa;
        (void)paging_translate((uint64_t)(uintptr_t)where + i, &pa, NULL);
        *(volatile uint8_t *)phys_to_virt(pa) = src[i];
    }
    return 0;
}

/* A migrate hook runs with the world stopped (no task may die then): under a fault guard, so a
 * faulting hook refuses the swap instead of taking the system down. */
struct migrate_call {
    int (*fn)(uint32_t, const void *, uint64_t, void *);
    uint32_t old_version;
    const void *old_state;
    uint64_t old_size;
    void *new_state;
};

static int migrate_trampoline(void *arg)
{
    struct migrate_call *m = arg;
    return m->fn(m->old_version, m->old_state, m->old_size, m->new_state);
}

static int plat_run_migrate(void *ctx, const struct loaded_cell *cell,
                            int (*migrate)(uint32_t, const void *, uint64_t, void *),
                            uint32_t old_version, const void *old_state, uint64_t old_size,
                            void *new_state)
{
    (void)ctx;
    struct migrate_call m = {migrate, old_version, old_state, old_size, new_state};
    struct fault_guard g = {0};
    /* The new version is not known to address lookups yet: a fault in it is charged by name. */
    struct loader_cell_info ci;
    loader_cell_info(cell, &ci);
    ksnprintf(g.cell, sizeof(g.cell), "%s", ci.name);
    g.cell_version = ci.version;
    return guard_call(&g, migrate_trampoline, &m);
}

/* Retired versions are freed by the reclaimer once nothing points into them. */
static void plat_retired(void *ctx, struct loaded_cell *cell)
{
    (void)ctx;
    reclaim_note_retired(cell);
}

static uint64_t plat_now_ns(void *ctx)
{
    (void)ctx;
    return clock_ns();
}

static void plat_changed(void *ctx)
{
    (void)ctx;
    keel_debug_cells_changed();
}

const struct loader_platform kernel_loader_platform = {
    .ctx = NULL,
    .alloc = plat_alloc,
    .free = plat_free,
    .region_alloc = plat_region_alloc,
    .region_protect = plat_region_protect,
    .region_free = plat_region_free,
    .core_symbol = plat_core_symbol,
    .now_ns = plat_now_ns,
    .run_init = plat_run_init,
    .run_exit = plat_run_exit,
    .patch = plat_patch,
    .run_migrate = plat_run_migrate,
    .retired = plat_retired,
    .changed = plat_changed,
};
