/* The loader's platform in the kernel: metadata from the heap (owned by the core), regions in
 * the cell area backed by fresh frames, protections through the page tables, and the core
 * export table for symbol resolution. */
#include <keel/clock.h>
#include <keel/errno.h>
#include <keel/export.h>
#include <keel/kmalloc.h>
#include <keel/loader.h>
#include <keel/memory.h>
#include <keel/paging.h>
#include <keel/string.h>
#include "link/cells.h"

static void *plat_alloc(void *ctx, size_t size)
{
    (void)ctx;
    return kmalloc_owned(size, 0, OWNER_CORE);
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

static uint64_t plat_now_ns(void *ctx)
{
    (void)ctx;
    return clock_ns();
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
};
