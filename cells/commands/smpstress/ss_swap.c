/* Live swaps during the stress: the swapper swaps the demo cell counter between versions 1 and 2
 * (one state layout, carried verbatim) again and again while callers on every CPU call it through
 * the stress_client cell. Every swap stops the world on all CPUs, checks that no task is inside
 * counter, carries its state and rewires stress_client's call sites. A swap refused because a
 * caller was inside counter until the deadline is retried; any other refusal is a failure. The
 * swapper always does an even number, at least two, so counter ends at the version it started
 * from; the command then checks that the counter grew by exactly the number of calls made. */
#include <keel/atomic.h>
#include <keel/cells.h>
#include <keel/errno.h>
#include <keel/format.h>
#include <keel/string.h>
#include <keel/swap.h>
#include "commands/smpstress/ss.h"
#include "commands/smpstress/ss_swap.h"
#include "ramfs/ramfs.h"

#define REFUSALS_IN_A_ROW 50 /* the quiescence deadline is 500 ms each: 25 s of refusals */
#define PAUSE_NS          (1000ull * 1000)

static struct ramfs_hold objects[2]; /* counter@1.o, counter@2.o */
static struct swap_item items[2];    /* [0]: to the other version, [1]: back */
static atomic_u32 stop;

/* The cell loaded, from the object of that name in the ramfs if need be. */
static int ensure_loaded(const char *cell, const char *object, char *why, size_t n)
{
    struct loader *ld = cells_loader();
    if (!ld) {
        ksnprintf(why, n, "no loader in this kernel");
        return KE_NOENT;
    }
    cells_lock();
    bool loaded = loader_find(ld, cell) != NULL;
    cells_unlock();
    if (loaded)
        return 0;
    struct ramfs_hold h = {0};
    int r = ramfs_open(object, &h);
    if (r) {
        ksnprintf(why, n, "%s is not loaded and the ramfs has no %s", cell, object);
        return r;
    }
    struct loader_error err = {0};
    r = cells_load(h.data, h.size, object, NULL, &err);
    ramfs_close(&h);
    if (r)
        ksnprintf(why, n, "loading %s: %s", object, err.msg[0] ? err.msg : keel_strerror(r));
    return r;
}

int smpstress_swap_prepare(char *why, size_t n)
{
    int r = ensure_loaded("counter", "counter@1.o", why, n);
    if (!r)
        r = ensure_loaded("stress_client", "stress_client@1.o", why, n);
    if (r)
        return r;
    struct loader_cell_info ci;
    cells_lock();
    const struct loaded_cell *c = loader_find(cells_loader(), "counter");
    if (c)
        loader_cell_info(c, &ci);
    cells_unlock();
    if (!c) {
        ksnprintf(why, n, "counter was unloaded meanwhile");
        return KE_NOENT;
    }
    if (ci.version != 1 && ci.version != 2) {
        ksnprintf(why, n, "counter@%u is loaded: swaps go between versions 1 and 2 only",
                  ci.version);
        return SS_SKIP;
    }
    static const char *const names[2] = {"counter@1.o", "counter@2.o"};
    for (unsigned v = 0; v < 2; v++) {
        r = ramfs_open(names[v], &objects[v]);
        if (r) {
            ksnprintf(why, n, "no %s in the ramfs: %s", names[v], keel_strerror(r));
            smpstress_swap_finish();
            return r;
        }
    }
    unsigned other = ci.version == 1 ? 1 : 0; /* the index of the version not running */
    items[0] =
        (struct swap_item){"counter", objects[other].data, objects[other].size, names[other]};
    items[1] =
        (struct swap_item){"counter", objects[!other].data, objects[!other].size, names[!other]};
    atomic_store_u32(&stop, 0, MO_RELAXED);
    return 0;
}

void smpstress_swap_finish(void)
{
    for (unsigned v = 0; v < 2; v++)
        ramfs_close(&objects[v]);
}

void smpstress_swap_stop(void)
{
    atomic_store_u32(&stop, 1, MO_RELEASE);
}

/* One swap, there (k even) or back (k odd). */
static int swap_once(unsigned k, struct swap_report *rep, struct loader_error *err)
{
    struct swap_request rq = {.n = 1};
    rq.items[0] = items[k % 2];
    memset(rep, 0, sizeof(*rep));
    return swap_cells(&rq, rep, err);
}

int smpstress_swap_warm(char *why, size_t n)
{
    /* There and back before the baseline: the first swaps allocate page tables of the cell
     * area, which are kept and would look like a leak (as `swap -r` does). */
    for (unsigned k = 0; k < 2; k++) {
        struct swap_report rep;
        struct loader_error err;
        int r = swap_once(k, &rep, &err);
        if (r) {
            ksnprintf(why, n, "warm-up swap %u: %s", k + 1,
                      err.msg[0] ? err.msg : keel_strerror(r));
            return r;
        }
    }
    return 0;
}

int smpstress_spawn_caller(const struct ss_job *job, task_id_t *id)
{
    struct loader *ld = cells_loader();
    struct loader_symbol_info si;
    const struct loaded_cell *owner = NULL;
    /* Looked up and spawned under the cells lock: the cell cannot go before the task pins it.
     * Killed while waiting for it (Ctrl-C while a swap holds it): this worker never starts, and
     * the command goes on to hand the others over (ss_run.c) instead of ending here. */
    if (cells_lock_killable())
        return KE_KILLED;
    int r = loader_symbol_lookup(ld, "stress_client_main", &owner, &si);
    if (!r && (owner != loader_find(ld, "stress_client") || si.kind != LOADER_SYM_FUNC))
        r = KE_NOENT;
    if (!r) {
        struct task_spec spec = {.name = "ss_caller",
                                 .entry = (task_entry_fn)(uintptr_t)si.addr,
                                 .arg = job,
                                 .arg_size = sizeof(*job),
                                 .ret_size = sizeof(struct ss_ret),
                                 .cpus = job->cpu == SS_ANY_CPU ? 0 : 1u << job->cpu};
        r = task_spawn(&spec, id);
    }
    cells_unlock();
    return r;
}

int smpstress_swapper(const void *arg, void *ret)
{
    (void)arg;
    struct ss_ret *r = ret;
    unsigned refused_in_a_row = 0;
    for (;;) {
        if (r->c.swaps >= 2 && r->c.swaps % 2 == 0 && atomic_load_u32(&stop, MO_ACQUIRE))
            break;
        struct swap_report rep;
        struct loader_error err;
        int e = swap_once((unsigned)r->c.swaps, &rep, &err);
        if (e == KE_KILLED)
            return ss_fail(r, e, "killed");
        if (e && rep.failed_at == SWAP_STEP_QUIESCE && ++refused_in_a_row < REFUSALS_IN_A_ROW) {
            r->c.swap_refused++;
            continue;
        }
        if (e)
            return ss_fail(r, e, "swap %llu: %s", (unsigned long long)r->c.swaps + 1,
                           err.msg[0] ? err.msg : keel_strerror(e));
        refused_in_a_row = 0;
        r->c.swaps++;
        if (rep.total_ns > r->c.swap_max_ns)
            r->c.swap_max_ns = rep.total_ns;
        if (rep.stw_ns > r->c.stw_max_ns)
            r->c.stw_max_ns = rep.stw_ns;
        r->rounds++;
        if (task_sleep_ns(PAUSE_NS) == KE_KILLED)
            return ss_fail(r, KE_KILLED, "killed");
    }
    return r->status;
}
