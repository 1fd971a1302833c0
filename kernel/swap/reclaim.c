/* Retire, then free when provably unreferenced (keel/reclaim.h, docs/live-swap.md).
 *
 * A pass is a conservative scan: every aligned 64-bit word of the roots is compared with the
 * regions of the retired versions, and a version is kept while any word points into it. The
 * roots are every task's live stack (which holds its saved registers and, when it was
 * preempted, its interrupt frame), every heap block in use except the loader's metadata (which
 * describes cells rather than using them), every loaded cell's writable data and the core's
 * data except what is marked KEEL_NOSCAN. Retired versions are not roots: two of them pointing
 * at each other do not keep each other alive.
 *
 * Passes run outside any stop-the-world window, in slices that each hold a lock briefly (the
 * scheduler lock for one task's stack, the heap lock for 64 KiB of blocks). Such a pass is a
 * consistent snapshot only if no other task ran meanwhile (a task could move a pointer from a
 * place not yet scanned to one already scanned): the tasking layer counts switches into other
 * tasks, the IDT counts interrupts handled by cells, the console counts calls into cells' sinks
 * (which may run in an interrupt). A pass that was disturbed may still prove
 * a version *referenced*, never unreferenced: a version it found nothing in is confirmed by
 * another pass, and if that one is disturbed too, by a pass with the world stopped over just
 * those candidates. The cells lock is held throughout, so no cell is loaded, swapped or freed
 * under a pass. */
#include <keel/cells.h>
#include <keel/clock.h>
#include <keel/console.h>
#include <keel/errno.h>
#include <keel/export.h>
#include <keel/format.h>
#include <keel/kmalloc.h>
#include <keel/layout.h>
#include <keel/log.h>
#include <keel/panic.h>
#include <keel/reclaim.h>
#include <keel/string.h>
#include <keel/task.h>
#include <keel/waitq.h>
#include "arch/trap.h"
#include "link/cells.h"
#include "tasking/stack_scan.h"

#define TARGETS_MAX   128          /* retired versions one pass considers */
#define SLICE_BYTES   (64u * 1024) /* heap bytes scanned under the heap lock at a time */
#define PERIOD_MIN_NS (10ull * 1000 * 1000)
#define PERIOD_MAX_NS (1000ull * 1000 * 1000)
#define CROWDED       16 /* retired versions at which a swap reclaims before it links */
#define TRACKED_MAX   128

extern const uint8_t __data_start[], __noscan_start[], __noscan_end[], __data_end[];
/* Calls into console sinks that are cell code (kernel/console/console.c). */
uint64_t console_cell_sink_calls(void);

/* ---- what the reclaimer remembers of each retired version --------------------------------- */

struct tracked {
    const struct loaded_cell *cell; /* NULL: free slot */
    uint64_t retired_ns;
    char kept_by[RECLAIM_KEPT_MAX];
};
static struct tracked tracked[TRACKED_MAX] KEEL_NOSCAN;
static struct reclaim_stats stats; /* under the cells lock */

static struct tracked *tracked_of(const struct loaded_cell *c)
{
    for (size_t i = 0; i < TRACKED_MAX; i++)
        if (tracked[i].cell == c)
            return &tracked[i];
    return NULL;
}

static struct waitq kick_wq = WAITQ_INIT;
static bool kicked; /* under the scheduler lock */

void reclaim_note_retired(struct loaded_cell *cell)
{
    struct tracked *t = tracked_of(NULL);
    if (t) {
        t->cell = cell;
        t->retired_ns = clock_ns();
        t->kept_by[0] = 0;
    }
    stats.retired_total++;
    int irq = sched_lock();
    kicked = true;
    waitq_wake_all(&kick_wq);
    sched_unlock(irq);
}

/* ---- one pass ------------------------------------------------------------------------------ */

enum where_kind { IN_CORE, IN_CELL, IN_STACK, IN_HEAP, IN_RETIRED, IN_EDGE };

/* Where a word was found: enough to name it afterwards. */
struct keeper {
    enum where_kind kind;
    uint64_t at;   /* the word's address */
    uint64_t base; /* stack: its lowest live address; heap: the block's payload */
    task_id_t task;
    char task_name[TASK_NAME_MAX];
    int reg; /* stack: index of the interrupt frame's register, or -1 */
    owner_t owner;
    const struct loaded_cell *cell;
};

struct range {
    uint64_t lo, hi;
    unsigned target;
};

struct pass {
    struct loader *ld;
    struct loaded_cell *targets[TARGETS_MAX];
    bool found[TARGETS_MAX];
    struct keeper keepers[TARGETS_MAX];
    size_t ntargets, left; /* left: not found yet (0: nothing more to learn) */
    struct range ranges[TARGETS_MAX * 3];
    size_t nranges;
    uint64_t lo, span; /* quick reject: [lo, lo + span) covers every range */
    uint64_t bytes;
    /* The task running the pass scans its own stack from here up only: below are the
     * reclaimer's frames, whose dead slots hold the very addresses it compares against. */
    task_id_t self;
    uint64_t self_lo;
    /* Where the words being scanned live (set per root). */
    struct keeper ctx;
    const struct trap_frame *frame;
};

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
static void pass_init(struct pass *p, struct loader *ld, struct loaded_cell *const *cells, size_t n)
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

/* A pass in slices, the world running. Returns true if it was a consistent snapshot. */
static bool pass_concurrent(struct pass *p)
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

/* The same with the world stopped: always a consistent snapshot. */
static void pass_stopped(struct pass *p)
{
    int irq = sched_lock();
    scan_core(p);
    scan_cells(p);
    if (p->left)
        task_stacks_visit_locked(stack_fn, p);
    uintptr_t cursor = 0;
    while (p->left && !kheap_walk_used(&cursor, SIZE_MAX, heap_fn, p))
        ;
    scan_retired(p);
    sched_unlock(irq);
}

/* ---- naming a reference ------------------------------------------------------------------- */

static const char *const frame_regs[] = {
    "r15", "r14", "r13", "r12", "r11",    "r10",   "r9",  "r8", "rbp",    "rdi", "rsi",
    "rdx", "rcx", "rbx", "rax", "vector", "error", "rip", "cs", "rflags", "rsp", "ss",
};

static void owner_text(owner_t o, char *buf, size_t n)
{
    if (o == OWNER_CORE)
        ksnprintf(buf, n, "core");
    else if (o & 0x40000000u)
        ksnprintf(buf, n, "task %u", o & 0x3fffffffu);
    else
        ksnprintf(buf, n, "owner 0x%x", o);
}

static void describe(const struct pass *p, const struct keeper *k, char *buf, size_t n)
{
    char w[64];
    switch (k->kind) {
    case IN_CORE:
        if (addr_describe(k->at, w, sizeof(w)) == 0)
            ksnprintf(buf, n, "core data <%s>", w);
        else
            ksnprintf(buf, n, "core data 0x%llx", (unsigned long long)k->at);
        break;
    case IN_CELL: {
        const struct loaded_cell *c;
        const char *sym;
        uint64_t off;
        struct loader_cell_info ci;
        if (loader_addr_lookup(p->ld, k->at, &c, &sym, &off) != 0) {
            ksnprintf(buf, n, "cell data 0x%llx", (unsigned long long)k->at);
            break;
        }
        loader_cell_info(c, &ci);
        if (sym)
            ksnprintf(buf, n, "cell %.31s data <%.40s+0x%llx>", ci.name, sym,
                      (unsigned long long)off);
        else
            ksnprintf(buf, n, "cell %.31s data+0x%llx", ci.name,
                      (unsigned long long)(k->at - ci.base[CELL_REGION_DATA]));
        break;
    }
    case IN_STACK:
        if (k->reg >= 0 && (size_t)k->reg < sizeof(frame_regs) / sizeof(frame_regs[0]))
            ksnprintf(buf, n, "task %llu '%s' register %s (preempted)", (unsigned long long)k->task,
                      k->task_name, frame_regs[k->reg]);
        else
            ksnprintf(buf, n, "task %llu '%s' stack rsp+0x%llx", (unsigned long long)k->task,
                      k->task_name, (unsigned long long)(k->at - k->base));
        break;
    case IN_RETIRED:
    case IN_EDGE: {
        struct loader_cell_info ci;
        loader_cell_info(k->cell, &ci);
        if (k->kind == IN_EDGE)
            ksnprintf(buf, n, "retired %.31s %u, linked against it", ci.name, ci.version);
        else
            ksnprintf(
                buf, n, "retired %.31s %u, its %s+0x%llx", ci.name, ci.version,
                k->at - ci.base[CELL_REGION_DATA] < ci.size[CELL_REGION_DATA] ? "data" : "rodata",
                (unsigned long long)(k->at -
                                     (k->at - ci.base[CELL_REGION_DATA] < ci.size[CELL_REGION_DATA]
                                          ? ci.base[CELL_REGION_DATA]
                                          : ci.base[CELL_REGION_RODATA])));
        break;
    }
    case IN_HEAP:
        owner_text(k->owner, w, sizeof(w));
        ksnprintf(buf, n, "heap block 0x%llx+0x%llx (%s)", (unsigned long long)k->base,
                  (unsigned long long)(k->at - k->base), w);
        break;
    }
}

/* ---- deciding and freeing ----------------------------------------------------------------- */

static uint64_t cell_bytes(const struct loaded_cell *c)
{
    struct loader_cell_info ci;
    loader_cell_info(c, &ci);
    return ci.size[CELL_REGION_TEXT] + ci.size[CELL_REGION_RODATA] + ci.size[CELL_REGION_DATA];
}

static void free_version(struct loader *ld, struct loaded_cell *c, struct reclaim_result *r)
{
    struct tracked *t = tracked_of(c);
    uint64_t bytes = cell_bytes(c);
    if (t) {
        stats.last_free_delay_ns = clock_ns() - t->retired_ns;
        t->cell = NULL;
    }
    struct loader_cell_info ci;
    loader_cell_info(c, &ci);
    log_debug("reclaim: freed %s version %u (%llu bytes)", ci.name, ci.version,
              (unsigned long long)bytes);
    if (loader_retired_free(ld, c) == 0) {
        stats.freed_total++;
        r->freed++;
        r->freed_bytes += bytes;
    }
}

static void account(struct pass *p, struct reclaim_result *r, uint64_t t0, bool full)
{
    uint64_t ns = clock_ns() - t0;
    stats.passes++;
    stats.bytes_scanned += p->bytes;
    stats.scan_ns += ns;
    if (full) {
        stats.last_pass_bytes = p->bytes;
        stats.last_pass_ns = ns;
    }
    r->bytes_scanned += p->bytes;
    r->ns += ns;
    r->passes++;
}

/* Record the first reference found to each target of p; collect the others into cand. */
static size_t sift(struct pass *p, struct loaded_cell **cand)
{
    size_t n = 0;
    for (size_t t = 0; t < p->ntargets; t++) {
        struct tracked *tr = tracked_of(p->targets[t]);
        if (p->found[t]) {
            if (tr)
                describe(p, &p->keepers[t], tr->kept_by, sizeof(tr->kept_by));
        } else {
            cand[n++] = p->targets[t];
        }
    }
    return n;
}

static struct pass the_pass KEEL_NOSCAN; /* large; used under the cells lock only */

/* Where the next pass's window of targets starts when more than TARGETS_MAX are retired. */
static size_t window;

/* reclaim_now_locked (reclaim_entry.S) pushes the caller's callee-saved registers and passes
 * their address: the caller's part of the stack starts there. */
int reclaim_run_locked(struct reclaim_result *out, uint64_t caller_lo);

int reclaim_run_locked(struct reclaim_result *out, uint64_t caller_lo)
{
    struct reclaim_result local = {0}, *r = out ? out : &local;
    memset(r, 0, sizeof(*r));
    struct loader *ld = cells_loader();
    if (!ld)
        return KE_NOTSUP;
    struct pass *p = &the_pass;
    p->self = task_self();
    p->self_lo = caller_lo;
    struct loaded_cell *cand[TARGETS_MAX];
    size_t all = loader_retired_count(ld), n = all < TARGETS_MAX ? all : TARGETS_MAX;
    size_t first = all > TARGETS_MAX ? window % all : 0;
    for (size_t i = 0; i < n; i++)
        cand[i] = loader_retired_at(ld, (first + i) % all);
    window = all > TARGETS_MAX ? first + TARGETS_MAX : 0; /* the others at the next pass */
    /* Up to two concurrent passes; a candidate left by both disturbed passes is decided with the
     * world stopped. */
    for (int round = 0; n && round < 3; round++) {
        pass_init(p, ld, cand, n);
        uint64_t t0 = clock_ns();
        bool snapshot;
        if (round < 2) {
            snapshot = pass_concurrent(p);
            if (!snapshot)
                stats.disturbed++;
        } else {
            pass_stopped(p);
            snapshot = true;
            stats.stopped++;
            uint64_t ns = clock_ns() - t0;
            if (ns > stats.max_stopped_ns)
                stats.max_stopped_ns = ns;
        }
        account(p, r, t0, round == 0 && p->left);
        n = sift(p, cand);
        if (snapshot) {
            for (size_t i = 0; i < n; i++)
                free_version(ld, cand[i], r);
            n = 0;
        }
    }
    r->kept = loader_retired_count(ld);
    return 0;
}

int reclaim_now(struct reclaim_result *out)
{
    cells_lock();
    int rc = reclaim_now_locked(out);
    cells_unlock();
    return rc;
}

void reclaim_if_crowded_locked(void)
{
    struct loader *ld = cells_loader();
    if (ld && loader_retired_count(ld) >= CROWDED)
        (void)reclaim_now_locked(NULL);
}

/* ---- the background task ------------------------------------------------------------------ */

static int reclaimer_main(const void *arg, void *ret)
{
    (void)arg;
    (void)ret;
    uint64_t period = PERIOD_MIN_NS;
    for (;;) {
        struct loader *ld = cells_loader();
        int irq = sched_lock();
        uint64_t deadline = ld && loader_retired_count(ld) ? clock_ns() + period : 0;
        int w = 0;
        while (!kicked && w == 0)
            w = waitq_wait(&kick_wq, deadline);
        bool was_kicked = kicked;
        kicked = false;
        sched_unlock(irq);
        if (w == KE_KILLED)
            return KE_KILLED;
        /* New retirements scan soon; versions that stay referenced are looked at less and less
         * often (a pass costs CPU time). */
        period = was_kicked                   ? PERIOD_MIN_NS
                 : period * 2 > PERIOD_MAX_NS ? PERIOD_MAX_NS
                                              : period * 2;
        /* It runs when the CPU would idle, but holds the cells lock during a pass: raised for
         * the pass, so that a task becoming busy meanwhile cannot keep it (and everyone waiting
         * for the lock) from finishing. */
        unsigned prio = task_set_own_priority(TASK_PRIO_MAX - 1);
        (void)reclaim_now(NULL);
        task_set_own_priority(prio);
        task_yield();
    }
}

int reclaim_start(void)
{
    struct task_spec spec = {
        .name = "reclaim",
        .entry = reclaimer_main,
        .priority = TASK_PRIO_MIN,          /* when nothing else runs; swaps reclaim when crowded */
        .flags = TASK_DETACHED | TASK_CORE, /* a kill could catch it holding the cells lock */
    };
    task_id_t id;
    return task_spawn(&spec, &id);
}

/* ---- queries ------------------------------------------------------------------------------ */

void reclaim_get_stats(struct reclaim_stats *out)
{
    if (!out)
        return;
    *out = stats;
    struct loader *ld = cells_loader();
    out->retired = loader_retired_count(ld);
    out->retired_bytes = 0;
    for (size_t i = 0; i < out->retired; i++)
        out->retired_bytes += cell_bytes(loader_retired_at(ld, i));
}

size_t reclaim_list(struct reclaim_retired_info *out, size_t max)
{
    if (!out)
        return 0;
    struct loader *ld = cells_loader();
    size_t n = 0;
    uint64_t now = clock_ns();
    for (size_t i = 0; i < loader_retired_count(ld) && n < max; i++) {
        const struct loaded_cell *c = loader_retired_at(ld, i);
        struct loader_cell_info ci;
        loader_cell_info(c, &ci);
        struct reclaim_retired_info *o = &out[n++];
        memset(o, 0, sizeof(*o));
        size_t len = strnlen(ci.name, sizeof(o->name) - 1);
        memcpy(o->name, ci.name, len);
        o->version = ci.version;
        o->bytes = cell_bytes(c);
        const struct tracked *t = tracked_of(c);
        if (t) {
            o->age_ns = now - t->retired_ns;
            memcpy(o->kept_by, t->kept_by, sizeof(o->kept_by));
        }
    }
    return n;
}

KEEL_EXPORT_FUNC(reclaim_now);
KEEL_EXPORT_FUNC(reclaim_now_locked);
KEEL_EXPORT_FUNC(reclaim_get_stats);
KEEL_EXPORT_FUNC(reclaim_list);
