/* One pass of the reclaimer's conservative scan (reclaim_internal.h): every aligned 64-bit word
 * of the roots is compared with the regions of the target versions. The roots are every task's
 * live stack (its saved registers and, when it was preempted, its interrupt frame), every heap
 * block in use except the loader's metadata (which describes cells rather than using them),
 * every loaded cell's writable data and the core's data except what is marked KEEL_NOSCAN; then
 * what the retired versions that stay refer to, to a fixpoint. Retired versions are not roots
 * themselves: two of them pointing at each other do not keep each other alive.
 *
 * A concurrent pass runs in slices that each hold a lock briefly (the scheduler lock for one
 * task's stack, the heap lock for 64 KiB of blocks). It is a consistent snapshot only if no
 * other task ran meanwhile (a task could move a pointer from a place not yet scanned to one
 * already scanned): the tasking layer counts switches into other tasks, the IDT interrupts
 * handled by cells, the console calls into cells' sinks (which may run in an interrupt). */
#include <keel/kmalloc.h>
#include <keel/layout.h>
#include <keel/string.h>
#include <keel/waitq.h>
#include "arch/trap.h"
#include "swap/reclaim_internal.h"
#include <keel/task.h>
#include <keel/core/task_stacks.h>
#include <keel/core/world.h>

#define SLICE_BYTES (64u * 1024) /* heap bytes scanned under the heap lock at a time */

extern const uint8_t __data_start[], __noscan_start[], __noscan_end[], __data_end[];
/* Calls into console sinks that are cell code (kernel/console/console.c). */
uint64_t console_cell_sink_calls(void);

static void add_range(struct pass *p, unsigned t, const struct loader_cell_info *ci, int r)
{
    if (!ci->size[r])
        return;
    struct range g = {ci->base[r], ci->base[r] + ci->size[r], t};
    size_t i = p->nranges++;
    while (i > 0 && p->ranges[i - 1].lo > g.lo) { /* insertion sort: a few hundred at most */
        p->ranges[i] = p->ranges[i - 1];
        i--;
    }
    p->ranges[i] = g;
}

/* The targets: the retired versions (all, or those with keep[i] == false of an earlier pass). */
void pass_init(struct pass *p, struct loader *ld, struct loaded_cell *const *cells, size_t n)
{
    p->ld = ld;
    p->ntargets = p->left = n;
    p->nranges = 0;
    p->bytes = 0;
    uint64_t lo = UINT64_MAX, hi = 0;
    for (size_t t = 0; t < n; t++) {
        p->targets[t] = cells[t];
        p->found[t] = false;
        struct loader_cell_info ci;
        loader_cell_info(cells[t], &ci);
        for (int r = CELL_REGION_TEXT; r <= CELL_REGION_DATA; r++)
            add_range(p, (unsigned)t, &ci, r);
    }
    for (size_t i = 0; i < p->nranges; i++) {
        lo = p->ranges[i].lo < lo ? p->ranges[i].lo : lo;
        hi = p->ranges[i].hi > hi ? p->ranges[i].hi : hi;
    }
    p->lo = lo;
    p->span = hi > lo ? hi - lo : 0;
}

static int target_of(const struct pass *p, uint64_t v)
{
    size_t a = 0, b = p->nranges;
    while (a < b) { /* the last range starting at or below v */
        size_t m = a + (b - a) / 2;
        if (p->ranges[m].lo <= v)
            a = m + 1;
        else
            b = m;
    }
    return a && v < p->ranges[a - 1].hi ? (int)p->ranges[a - 1].target : -1;
}

static void hit(struct pass *p, unsigned t, uint64_t at)
{
    if (p->found[t])
        return;
    p->found[t] = true;
    p->left--;
    struct keeper *k = &p->keepers[t];
    *k = p->ctx;
    k->at = at;
    k->reg = -1;
    if (p->frame && at >= (uint64_t)(uintptr_t)p->frame &&
        at < (uint64_t)(uintptr_t)p->frame + sizeof(struct trap_frame))
        k->reg = (int)((at - (uint64_t)(uintptr_t)p->frame) / 8);
}

static void scan_words(struct pass *p, uint64_t from, uint64_t to)
{
    from = (from + 7) & ~7ull;
    if (to <= from)
        return;
    p->bytes += to - from;
    if (!p->left)
        return;
    for (uint64_t a = from; a + 8 <= to; a += 8) {
        uint64_t v = *(const volatile uint64_t *)(uintptr_t)a;
        if (v - p->lo >= p->span)
            continue;
        int t = target_of(p, v);
        if (t >= 0)
            hit(p, (unsigned)t, a);
    }
}

static void scan_core(struct pass *p)
{
    p->ctx = (struct keeper){.kind = IN_CORE};
    p->frame = NULL;
    scan_words(p, (uint64_t)(uintptr_t)__data_start, (uint64_t)(uintptr_t)__noscan_start);
    scan_words(p, (uint64_t)(uintptr_t)__noscan_end, (uint64_t)(uintptr_t)__data_end);
}

static void scan_cells(struct pass *p)
{
    p->frame = NULL;
    for (size_t i = 0; p->left && i < loader_cell_count(p->ld); i++) {
        const struct loaded_cell *c = loader_cell_at(p->ld, i);
        struct loader_cell_info ci;
        loader_cell_info(c, &ci);
        p->ctx = (struct keeper){.kind = IN_CELL, .cell = c};
        scan_words(p, ci.base[CELL_REGION_DATA],
                   ci.base[CELL_REGION_DATA] + ci.size[CELL_REGION_DATA]);
    }
}

static void stack_fn(void *ctx, const struct task_stack_view *v)
{
    struct pass *p = ctx;
    /* Running on another CPU (a concurrent pass, which is then no snapshot anyway:
     * task_foreign_switches): its registers are out of sight and its stack is full of dead
     * words below its rsp. The stopped pass sees it parked, registers and all, and names a
     * reference there by the register that holds it. */
    if (v->running)
        return;
    p->ctx = (struct keeper){.kind = IN_STACK, .base = v->lo, .task = v->id};
    size_t n = strnlen(v->name, sizeof(p->ctx.task_name) - 1);
    memcpy(p->ctx.task_name, v->name, n);
    p->ctx.task_name[n] = 0;
    uint64_t lo = v->id == p->self && p->self_lo > v->lo ? p->self_lo : v->lo;
    p->frame = v->preempted;
    if (p->frame) { /* the interrupted registers first: a reference there is named by them */
        uint64_t f = (uint64_t)(uintptr_t)p->frame, fe = f + sizeof(struct trap_frame);
        scan_words(p, f, fe);
        p->frame = NULL;
        scan_words(p, lo, f);
        scan_words(p, fe, v->hi);
        return;
    }
    scan_words(p, lo, v->hi);
}

static void heap_fn(void *ctx, const void *block, size_t n, owner_t owner)
{
    struct pass *p = ctx;
    if (owner == OWNER_LOADER)
        return;
    p->ctx = (struct keeper){.kind = IN_HEAP, .base = (uint64_t)(uintptr_t)block, .owner = owner};
    scan_words(p, (uint64_t)(uintptr_t)block, (uint64_t)(uintptr_t)block + n);
}

/* ---- references held by retired versions that are kept ----------------------------------
 * A retired version that stays (something points into it, or it is outside this pass) may
 * still run: its code reaches the versions it was linked against through relocation sites
 * (32-bit fields in its text, not words a scan can see) and its data and rodata may hold
 * pointers. So everything such a version refers to stays too, to a fixpoint. */

static int target_index(const struct pass *p, const struct loaded_cell *c)
{
    for (size_t t = 0; t < p->ntargets; t++)
        if (p->targets[t] == c)
            return (int)t;
    return -1;
}

static int edge_fn(void *ctx, const struct loader_edge *e)
{
    struct pass *p = ctx;
    int t = e->target ? target_index(p, e->target) : -1;
    if (t >= 0 && !p->found[t]) {
        p->found[t] = true;
        p->left--;
        p->keepers[t] = (struct keeper){.kind = IN_EDGE, .cell = e->site};
    }
    return 0;
}

static void retired_refs(struct pass *p, const struct loaded_cell *c)
{
    (void)loader_for_each_edge(p->ld, c, NULL, NULL, edge_fn, p);
    struct loader_cell_info ci;
    loader_cell_info(c, &ci);
    p->ctx = (struct keeper){.kind = IN_RETIRED, .cell = c};
    p->frame = NULL;
    for (int r = CELL_REGION_RODATA; r <= CELL_REGION_DATA; r++)
        scan_words(p, ci.base[r], ci.base[r] + ci.size[r]);
}

static void scan_retired(struct pass *p)
{
    bool done[TARGETS_MAX] = {0};
    for (size_t i = 0; p->left && i < loader_retired_count(p->ld); i++) {
        const struct loaded_cell *c = loader_retired_at(p->ld, i);
        if (target_index(p, c) < 0)
            retired_refs(p, c); /* not decided by this pass: it stays */
    }
    for (bool again = true; again && p->left;) {
        again = false;
        for (size_t t = 0; p->left && t < p->ntargets; t++) {
            if (p->found[t] && !done[t]) {
                done[t] = again = true;
                retired_refs(p, p->targets[t]);
            }
        }
    }
}

bool pass_concurrent(struct pass *p)
{
    uint64_t f0 = task_foreign_switches(), i0 = irq_cell_calls(), s0 = console_cell_sink_calls();
    scan_core(p);
    scan_cells(p);
    for (task_id_t id = 0; p->left && (id = task_stack_visit_next(id, stack_fn, p)) != 0;)
        ;
    uintptr_t cursor = 0;
    while (p->left && !kheap_walk_used(&cursor, SLICE_BYTES, heap_fn, p))
        ;
    scan_retired(p);
    return task_foreign_switches() == f0 && irq_cell_calls() == i0 &&
           console_cell_sink_calls() == s0;
}

void pass_stopped(struct pass *p)
{
    /* Every CPU stopped: a task running elsewhere is parked with its registers saved. A CPU
     * busy with interrupts off for longer than the bound only delays the pass. */
    int irq;
    unsigned late;
    while (world_stop(WORLD_STOP_TIMEOUT_NS, &irq, &late) != 0)
        task_sleep_ns(1000 * 1000);
    scan_core(p);
    scan_cells(p);
    if (p->left)
        task_stacks_visit_locked(stack_fn, p);
    uintptr_t cursor = 0;
    while (p->left && !kheap_walk_used(&cursor, SIZE_MAX, heap_fn, p))
        ;
    scan_retired(p);
    world_resume(irq);
}
