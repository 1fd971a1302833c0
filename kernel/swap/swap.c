/* Live swap orchestration (keel/swap.h, docs/live-swap.md): the loader's swap steps
 * (loader/swap.c) interleaved with stopping the world, the quiescence check and moving the
 * tasks (tasking/swap_tasks.c), and the core registries that hold pointers into cells. On one
 * CPU, the world is stopped by taking the scheduler lock (interrupts off): nothing else runs
 * until it is released. */
#include <stdarg.h>
#include <keel/clock.h>
#include <keel/cells.h>
#include <keel/console.h>
#include <keel/errno.h>
#include <keel/export.h>
#include <keel/format.h>
#include <keel/kmalloc.h>
#include <keel/log.h>
#include <keel/string.h>
#include <keel/reclaim.h>
#include <keel/swap.h>
#include <keel/task.h>
#include "link/cells.h"
#include "tasking/swap_tasks.h"

int console_sinks_swap(int (*translate)(void *ctx, uint64_t from, uint64_t *to), void *ctx,
                       bool apply);

static int fail(struct loader_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(struct loader_error *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->code = code;
        kvsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        va_end(ap);
    }
    return code;
}

/* For the core registries: 0 and *to when from lies in an old version, 1 when it does not,
 * KE_NOENT when it does but has no counterpart. */
static int translate_ptr(void *ctx, uint64_t from, uint64_t *to)
{
    const struct loader_swap *sw = ctx;
    if (!loader_swap_in_old(sw, from))
        return 1;
    return loader_swap_translate(sw, from, to, NULL, 0) ? KE_NOENT : 0;
}

static int validate(const struct swap_request *rq, struct loader_error *err)
{
    if (!rq || rq->n == 0 || rq->n > SWAP_MAX_CELLS)
        return fail(err, KE_INVAL, "between 1 and %d cells at once", SWAP_MAX_CELLS);
    if (rq->fail_at != SWAP_STEP_NONE &&
        (rq->fail_at < SWAP_STEP_LINK || rq->fail_at > SWAP_STEP_REWRITE))
        return fail(err, KE_INVAL,
                    "a failure can be injected at link, check, quiesce, transfer or "
                    "rewrite (the commit point and what follows cannot fail)");
    for (size_t k = 0; k < rq->n; k++)
        if (!rq->items[k].cell || !rq->items[k].data || rq->items[k].size == 0)
            return fail(err, KE_INVAL, "item %zu has no cell name or no object", k);
    if (!task_self())
        return fail(err, KE_BUSY, "must be called from a task");
    return 0;
}

static int injected(struct loader_error *err, enum swap_step step)
{
    return fail(err, KE_INJECTED, "failure injected at step '%s'; nothing changed",
                swap_step_name(step));
}

/* A dry run's plan, as lines separated by NULs. */
#define PLAN_MAX 8192
struct plan {
    char *text;
    size_t len, cap;
    bool truncated;
};

static void plan_add(void *ctx, const char *line)
{
    struct plan *p = ctx;
    size_t n = strlen(line) + 1;
    if (p->len + n > p->cap) {
        p->truncated = true;
        return;
    }
    memcpy(p->text + p->len, line, n);
    p->len += n;
}

static void plan_emit(struct plan *p, const struct swap_request *rq)
{
    if (!rq->emit || !rq->dry_run)
        return;
    if (!p->text)
        rq->emit(rq->emit_ctx, "(no memory to show the plan)");
    for (size_t at = 0; at < p->len; at += strlen(p->text + at) + 1)
        rq->emit(rq->emit_ctx, p->text + at);
    if (p->truncated)
        rq->emit(rq->emit_ctx, "... (plan cut short)");
    kfree(p->text);
    p->text = NULL;
}

struct stepper {
    uint64_t t;
    enum swap_step at; /* the step under way (reported if it fails) */
};

static void lap(struct stepper *s, uint64_t *slot)
{
    uint64_t now = clock_ns();
    *slot += now - s->t;
    s->t = now;
}

static void fill_cells(struct swap_report *rep, const struct loader_swap *sw)
{
    rep->n = loader_swap_count(sw);
    rep->sites_rewired = loader_swap_sites(sw);
    rep->relocations = 0;
    for (size_t k = 0; k < rep->n; k++) {
        struct loader_swap_cell_stats st;
        loader_swap_stats(sw, k, &st);
        struct swap_cell_report *c = &rep->cells[k];
        size_t len = strnlen(st.name, sizeof(c->name) - 1);
        memcpy(c->name, st.name, len);
        c->name[len] = 0;
        c->old_version = st.old_version;
        c->new_version = st.new_version;
        c->state = st.state;
        c->state_bytes = st.state_bytes;
        c->variables_carried = st.variables;
        c->variable_bytes = st.variable_bytes;
        rep->relocations += st.relocations;
    }
}

/* Stop the world until the old versions are quiescent, then carry the state, rewrite the
 * sites and commit. Returns with the world running again. */
static int stop_and_commit(const struct swap_request *rq, struct loader_swap *sw,
                           struct swap_report *rep, struct stepper *st, struct loader_error *err)
{
    uint64_t deadline = clock_ns() + (rq->deadline_ns ? rq->deadline_ns : SWAP_DEFAULT_DEADLINE_NS);
    struct swap_tasks_scan scan = {.sw = sw};
    for (;;) {
        st->at = SWAP_STEP_QUIESCE;
        rep->quiescence_checks++;
        uint64_t w0 = clock_ns();
        int irq = sched_lock();
        int r = swap_tasks_check(&scan);
        if (r == 0 && console_sinks_swap(translate_ptr, sw, false) == KE_NOENT) {
            r = KE_NOENT;
            ksnprintf(scan.why, sizeof(scan.why),
                      "a console sink points into the old version and has no counterpart");
        }
        if (r == KE_BUSY) {
            sched_unlock(irq);
            if (clock_ns() >= deadline) {
                lap(st, &rep->quiesce_ns);
                return fail(err, KE_TIMEDOUT,
                            "not quiescent within %llu ms (%u checks): %s; nothing changed",
                            (unsigned long long)((rq->deadline_ns ? rq->deadline_ns
                                                                  : SWAP_DEFAULT_DEADLINE_NS) /
                                                 1000000),
                            rep->quiescence_checks, scan.why);
            }
            /* Let the others run out of the old code: a yield first, then a tick's sleep. A kill
             * stops the wait here, before a safe point would end the task mid-swap. */
            int slept = 0;
            if (!task_kill_pending()) {
                if (rep->quiescence_checks < 4)
                    task_yield();
                else
                    slept = task_sleep_ns(1000 * 1000);
            }
            if (slept == KE_KILLED || task_kill_pending()) {
                lap(st, &rep->quiesce_ns);
                return fail(err, KE_KILLED,
                            "interrupted while waiting for quiescence; nothing "
                            "changed");
            }
            continue;
        }
        lap(st, &rep->quiesce_ns);
        if (r) {
            sched_unlock(irq);
            return fail(err, r, "%s; nothing changed", scan.why);
        }
        if (rq->fail_at == SWAP_STEP_QUIESCE) {
            sched_unlock(irq);
            return injected(err, SWAP_STEP_QUIESCE);
        }
        st->at = SWAP_STEP_TRANSFER;
        r = loader_swap_transfer(sw, err);
        lap(st, &rep->transfer_ns);
        if (!r && rq->fail_at == SWAP_STEP_TRANSFER)
            r = injected(err, SWAP_STEP_TRANSFER);
        if (r) {
            sched_unlock(irq);
            return r;
        }
        st->at = SWAP_STEP_REWRITE;
        r = loader_swap_rewrite(sw, err);
        if (!r && rq->fail_at == SWAP_STEP_REWRITE) {
            loader_swap_abort_rewrite(sw);
            r = injected(err, SWAP_STEP_REWRITE);
        }
        lap(st, &rep->rewrite_ns);
        if (r) {
            sched_unlock(irq);
            return r;
        }
        /* The commit point: tasks, core registries, then the loader's registry. */
        st->at = SWAP_STEP_COMMIT;
        size_t respawned = swap_tasks_commit(sw);
        (void)console_sinks_swap(translate_ptr, sw, true);
        loader_swap_commit(sw);
        uint64_t w1 = clock_ns();
        sched_unlock(irq);
        lap(st, &rep->commit_ns);
        rep->stw_ns = w1 - w0;
        rep->tasks_respawned = respawned;
        return 0;
    }
}

int swap_cells(const struct swap_request *rq, struct swap_report *rep_out, struct loader_error *err)
{
    struct swap_report local, *rep = rep_out ? rep_out : &local;
    memset(rep, 0, sizeof(*rep));
    if (err) {
        err->code = 0;
        err->msg[0] = 0;
    }
    int r = validate(rq, err);
    if (r)
        return r;
    struct loader *ld = cells_loader();
    if (!ld)
        return fail(err, KE_NOTSUP, "no loader in this kernel");
    cells_lock();
    /* Many retired versions waiting: free what can be freed before adding more (outside the
     * timed swap; reported on its own). */
    uint64_t r0 = clock_ns();
    if (reclaim_if_crowded_locked())
        rep->reclaim_ns = clock_ns() - r0;
    struct stepper st = {clock_ns(), SWAP_STEP_LINK};
    uint64_t t0 = st.t;
    struct loaded_cell *olds[SWAP_MAX_CELLS];
    struct loader_object objs[SWAP_MAX_CELLS];
    for (size_t k = 0; k < rq->n; k++) {
        olds[k] = loader_find(ld, rq->items[k].cell);
        if (!olds[k]) {
            cells_unlock();
            return fail(err, KE_NOENT, "no cell named '%.32s' is loaded", rq->items[k].cell);
        }
        objs[k] = (struct loader_object){rq->items[k].data, rq->items[k].size,
                                         rq->items[k].origin ? rq->items[k].origin : "object"};
    }
    struct loader_swap *sw = NULL;
    r = loader_swap_link(ld, olds, objs, rq->n, &sw, err);
    lap(&st, &rep->link_ns);
    if (!r && rq->fail_at == SWAP_STEP_LINK)
        r = injected(err, SWAP_STEP_LINK);
    if (!r) {
        st.at = SWAP_STEP_CHECK;
        r = loader_swap_check(sw, err);
        lap(&st, &rep->check_ns);
        if (!r && rq->fail_at == SWAP_STEP_CHECK)
            r = injected(err, SWAP_STEP_CHECK);
    }
    if (!r)
        fill_cells(rep, sw);
    struct plan plan = {0};
    if (!r && rq->dry_run && rq->emit) {
        /* Collected now, handed to the caller's emit (maybe cell code, where a kill could end
         * this task) only once nothing of the swap is left to clean up. */
        plan.text = kmalloc(PLAN_MAX);
        plan.cap = plan.text ? PLAN_MAX : 0;
        loader_swap_describe(sw, plan_add, &plan);
        swap_tasks_describe(sw, plan_add, &plan);
    }
    if (!r && !rq->dry_run)
        r = stop_and_commit(rq, sw, rep, &st, err);
    if (r || rq->dry_run) {
        loader_swap_abort(sw); /* the new versions were never visible */
        cells_unlock();
        rep->failed_at = r ? st.at : SWAP_STEP_NONE;
        rep->total_ns = clock_ns() - t0;
        if (r)
            log_debug("swap of %s refused: %s", rq->items[0].cell, err ? err->msg : "");
        plan_emit(&plan, rq);
        return r;
    }
    /* The old versions are retired: the reclaimer frees each once nothing points into it (a
     * task may still hold a pointer into one in a register, a stack slot or the heap). */
    st.at = SWAP_STEP_RETIRE;
    loader_swap_finish(sw);
    /* Under the cells lock: swaps are serialized by it. */
    static uint64_t swaps_committed;
    rep->first_since_boot = swaps_committed++ == 0;
    lap(&st, &rep->retire_ns);
    cells_unlock();
    rep->total_ns = clock_ns() - t0;
    for (size_t k = 0; k < rep->n; k++)
        log_debug("swapped %s: version %u -> %u (state %s), %llu us, stop-the-world %llu us",
                  rep->cells[k].name, rep->cells[k].old_version, rep->cells[k].new_version,
                  rep->cells[k].state, (unsigned long long)(rep->total_ns / 1000),
                  (unsigned long long)(rep->stw_ns / 1000));
    return 0;
}

KEEL_EXPORT_FUNC(swap_cells);
