/* Retire, then free when provably unreferenced (keel/reclaim.h, docs/live-swap.md): which
 * retired versions a pass decides, when a pass proves anything, freeing, the background task and
 * the figures. The scan itself is reclaim_scan.c.
 *
 * A concurrent pass that was disturbed (another task ran) may still prove a version
 * *referenced*, never unreferenced: a version it found nothing in is confirmed by another pass,
 * and if that one is disturbed too, by a pass with the world stopped over just those
 * candidates. The cells lock is held throughout, so no cell is loaded, swapped or freed under a
 * pass. */
#include <keel/cells.h>
#include <keel/clock.h>
#include <keel/errno.h>
#include <keel/export.h>
#include <keel/log.h>
#include <keel/reclaim.h>
#include <keel/string.h>
#include <keel/task.h>
#include <keel/waitq.h>
#include "link/cells.h"
#include "swap/reclaim_internal.h"
#include <keel/core/task_stacks.h>

#define PERIOD_MIN_NS (10ull * 1000 * 1000)
#define PERIOD_MAX_NS (1000ull * 1000 * 1000)
#define TRACKED_MAX   128

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
                keeper_describe(p, &p->keepers[t], tr->kept_by, sizeof(tr->kept_by));
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

bool reclaim_if_crowded_locked(void)
{
    struct loader *ld = cells_loader();
    if (!ld || loader_retired_count(ld) < RECLAIM_CROWDED)
        return false;
    (void)reclaim_now_locked(NULL);
    return true;
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
