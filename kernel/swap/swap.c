/* Live swap orchestration (keel/swap.h, docs/live-swap.md): a sequencer. It walks the steps of
 * a swap in order (the table `steps` below) — the loader's own steps (loader/swap.c) and the
 * two where the core registries that hold pointers into cells take part (quiesce: each
 * participant's check; commit: each participant's commit; keel/core/swap_participant.h) — and
 * undoes the steps done so far, in reverse, when one fails. On one CPU, the world is stopped by
 * taking the scheduler lock (interrupts off): nothing else runs until it is released.
 *
 * The request is copied in and the report and message copied out with no lock held: a bad
 * pointer from the calling cell kills its task there, never the core. */
#include <stddef.h>
#include <keel/cells.h>
#include <keel/clock.h>
#include <keel/errno.h>
#include <keel/export.h>
#include <keel/format.h>
#include <keel/kmalloc.h>
#include <keel/log.h>
#include <keel/reclaim.h>
#include <keel/string.h>
#include <keel/swap.h>
#include <keel/task.h>
#include <keel/waitq.h>
#include <keel/core/swap_participant.h>
#include <keel/core/swap_pending.h>
#include <keel/core/tasking.h>
#include <keel/core/world.h>
#include "swap/gate.h"

int swap_translate(const struct loader_swap *sw, uint64_t from, uint64_t *to)
{
    if (!loader_swap_in_old(sw, from))
        return 1;
    return loader_swap_translate(sw, from, to, NULL, 0) ? KE_NOENT : 0;
}

#define PARTICIPANTS_FOR_EACH(p)                                                                   \
    for (const struct swap_participant *p = __swap_participants_start;                             \
         p < __swap_participants_end; p++)

/* One swap under way. */
struct swap_run {
    struct swap_request rq; /* the caller's request, copied in */
    struct loader *ld;
    struct loaded_cell *olds[SWAP_MAX_CELLS]; /* the versions replaced */
    struct loader_swap *sw;
    struct swap_report rep;
    struct loader_error err;
    uint64_t lap_start; /* the step under way started (clock_ns) */
    uint64_t stopped_at;
    int irq;        /* while the world is stopped: sched_lock()'s value */
    size_t checked; /* participants whose check passed this time round */
    bool pending;   /* the gate is open and the hold on (until released) */
};

/* Undo the checks that passed, in reverse (world stopped). */
static void participants_undo(struct swap_run *s)
{
    const struct swap_participant *first = __swap_participants_start;
    for (size_t i = s->checked; i-- > 0;)
        if (first[i].undo)
            first[i].undo(s->sw);
    s->checked = 0;
}

/* Every participant's check, the world stopped: 0, or the first one's refusal or KE_BUSY. */
static int participants_check(struct swap_run *s, char *why, size_t why_size)
{
    s->checked = 0;
    PARTICIPANTS_FOR_EACH(p)
    {
        int r = p->check(s->sw, why, why_size);
        if (r) {
            participants_undo(s);
            return r;
        }
        s->checked++;
    }
    return 0;
}

static int step_link(struct swap_run *s)
{
    struct loader_object objs[SWAP_MAX_CELLS];
    for (size_t k = 0; k < s->rq.n; k++) {
        const struct swap_item *it = &s->rq.items[k];
        objs[k] = (struct loader_object){it->data, it->size, it->origin ? it->origin : "object"};
    }
    return loader_swap_link(s->ld, s->olds, objs, s->rq.n, &s->sw, &s->err);
}

static int step_check(struct swap_run *s)
{
    int r = loader_swap_check(s->sw, &s->err);
    if (!r && s->rq.reset_state)
        loader_swap_reset_state(s->sw); /* a reload after a fault: the block starts afresh */
    return r;
}

#define SWAP_WHY_MAX 400 /* why a check failed: every task still inside, as many as fit */

/* Stop the world again whatever it takes (a CPU with interrupts off only delays it). */
static void stop_surely(int *irq)
{
    unsigned late;
    while (world_stop(WORLD_STOP_TIMEOUT_NS, irq, &late) != 0)
        task_sleep_ns(1000 * 1000);
}

/* A pending swap's progress: first once it has been pending a while (most commit well before:
 * printing costs milliseconds on a serial console, with callers held at the gate), then once a
 * second. */
#define SWAP_PROGRESS_FIRST_NS (200ull * 1000 * 1000)
#define SWAP_PROGRESS_NS       (1000ull * 1000 * 1000)

/* What swap_status shows: written by the swap in progress (one at a time: the cells lock). */
static struct swap_status status;
static uint64_t status_since, status_deadline;

void swap_status(struct swap_status *out)
{
    *out = status;
    /* Copied while the swap may be rewriting them: whatever was caught, it ends in a NUL. */
    out->cell[sizeof(out->cell) - 1] = 0;
    out->inside[sizeof(out->inside) - 1] = 0;
    gate_totals(&out->gate_calls, &out->gate_wait_ns);
    uint64_t now = clock_ns();
    if (out->pending) {
        out->pending_ns = now - status_since;
        out->deadline_ns = status_deadline > now ? status_deadline - now : 0;
        out->barriers_left = swap_barriers_live();
        out->held = swap_hold_parked();
    }
}
KEEL_EXPORT_FUNC(swap_status);

static void status_begin(struct swap_run *s, uint64_t deadline)
{
    struct loader_swap_cell_stats st;
    loader_swap_stats(s->sw, 0, &st);
    memset(&status, 0, sizeof(status));
    ksnprintf(status.cell, sizeof(status.cell), "%s", st.name ? st.name : "?");
    status.old_version = st.old_version;
    status.new_version = st.new_version;
    status.sites_gated = s->rep.sites_gated;
    status_since = clock_ns();
    status_deadline = deadline;
    __atomic_store_n(&status.pending, true, __ATOMIC_RELEASE);
    log_debug("swap of %s %u -> %u pending: %zu call sites gated", status.cell, status.old_version,
              status.new_version, status.sites_gated);
}

/* World stopped: the first time a check finds a task inside, the swap becomes pending (the
 * gate opens, the hold begins); every time, the tasks inside that carry no barrier get one.
 * Returns the tasks inside that could not be given one now (1 if not pending: poll). */
static unsigned pend(struct swap_run *s)
{
    if (!s->pending) {
        if (!gate_free())
            return 1; /* a task is still in the stubs of the last swap: next round */
        s->rep.sites_gated = gate_open(s->sw);
        swap_hold_begin();
        s->pending = true;
    }
    unsigned placed, unbarred = swap_barriers_place(s->sw, &placed);
    s->rep.barriers += placed;
    return unbarred;
}

/* World stopped, the swap decided: take away the barriers not reached (a task that left the old
 * code another way than by returning, e.g. a fault guard's landing) and close the gate. */
static void unpend_stopped(struct swap_run *s)
{
    if (!s->pending)
        return;
    swap_barriers_remove();
    gate_close(s->sw);
}

/* World running: the held tasks go on, to the new versions or the old ones. */
static void release(struct swap_run *s, bool committed)
{
    if (!s->pending)
        return;
    __atomic_store_n(&status.pending, false, __ATOMIC_RELEASE);
    gate_decide(committed);
    swap_hold_end();
    s->pending = false;
}

/* Given up while pending (world running): everything put back, everyone released. */
static void give_up(struct swap_run *s)
{
    if (!s->pending)
        return;
    int irq;
    stop_surely(&irq);
    unpend_stopped(s);
    world_resume(irq);
    release(s, false);
}

static void note_held(struct swap_run *s)
{
    unsigned held = swap_hold_parked();
    if (held > s->rep.held)
        s->rep.held = held;
}

/* Stop the world until every participant is ready (the tasks: nobody inside an old version);
 * returns with the world stopped, or with it running and a refusal. A task inside at the first
 * check makes the swap pending: nobody enters the old code any more (the gate), the tasks inside
 * are caught as they leave it (return barriers), and each one caught wakes this task for the
 * next check — it commits the moment nobody is inside, or gives up at the deadline. */
static int step_quiesce(struct swap_run *s)
{
    uint64_t deadline_ns = s->rq.deadline_ns ? s->rq.deadline_ns : SWAP_DEFAULT_DEADLINE_NS;
    uint64_t deadline = clock_ns() + deadline_ns;
    uint64_t next_progress = 0; /* when the caller hears of the pending swap again */
    char why[SWAP_WHY_MAX];
    for (;;) {
        s->rep.quiescence_checks++;
        s->stopped_at = clock_ns();
        unsigned late = 0, unbarred = 0, seen = 0;
        int r = world_stop(WORLD_STOP_TIMEOUT_NS, &s->irq, &late);
        if (r == KE_TIMEDOUT) {
            /* A CPU kept interrupts off past the bound: like a task inside, wait and retry. */
            ksnprintf(why, sizeof(why), "CPU %u did not stop within %llu ms", late,
                      (unsigned long long)(WORLD_STOP_TIMEOUT_NS / 1000000));
            r = KE_BUSY;
        } else if (!s->pending && !gate_free()) {
            /* A task released by the last swap's gate has not yet gone on to the function it
             * was sent to: that address is in no place a check or a scan sees. Wait for it. */
            ksnprintf(why, sizeof(why), "a task is still leaving the last swap's gate");
            r = KE_BUSY;
            world_resume(s->irq);
        } else {
            why[0] = 0;
            r = participants_check(s, why, sizeof(why));
            if (r == 0) {
                note_held(s);      /* the tasks parked now count too */
                unpend_stopped(s); /* the rewrite finds every site as it was linked */
                return 0;
            }
            if (r == KE_BUSY) {
                unbarred = pend(s);
                seen = swap_pending_events();
            }
            world_resume(s->irq);
        }
        note_held(s);
        if (s->pending && !status.pending) {
            status_begin(s, deadline);
            next_progress = clock_ns() + SWAP_PROGRESS_FIRST_NS;
        }
        if (s->pending) {
            status.checks = s->rep.quiescence_checks;
            ksnprintf(status.inside, sizeof(status.inside), "%s", why);
        }
        if (r != KE_BUSY) {
            give_up(s);
            return loader_fail(&s->err, r, "%s; nothing changed", why);
        }
        if (clock_ns() >= deadline) {
            give_up(s);
            return loader_fail(&s->err, KE_TIMEDOUT,
                               "not quiescent within %llu ms (%u checks): %s; nothing changed",
                               (unsigned long long)(deadline_ns / 1000000),
                               s->rep.quiescence_checks, why);
        }
        if (s->pending && s->rq.progress && clock_ns() >= next_progress) {
            struct swap_status st;
            swap_status(&st);
            s->rq.progress(&st, s->rq.progress_ctx);
            next_progress = clock_ns() + SWAP_PROGRESS_NS;
        }
        /* Pending with every task inside carrying a barrier: sleep until one is reached, or a
         * task is held at the gate (or the deadline). A task inside without one (interrupted in
         * a function without a frame, or in a prologue): it leaves soon and is held at the
         * gate if it calls in again — wait for that, or a millisecond at most. A kill stops the
         * wait here. */
        int waited = 0;
        if (!task_kill_pending()) {
            if (s->pending) {
                uint64_t until = unbarred ? clock_ns() + 1000 * 1000 : deadline;
                if (s->rq.progress && next_progress < until)
                    until = next_progress;
                waited = swap_pending_wait(seen, until < deadline ? until : deadline);
            } else if (s->rep.quiescence_checks < 4)
                task_yield();
            else
                waited = task_sleep_ns(1000 * 1000);
        }
        if (waited == KE_KILLED || task_kill_pending()) {
            give_up(s);
            return loader_fail(&s->err, KE_KILLED,
                               "interrupted while waiting for quiescence; nothing changed");
        }
    }
}

/* Abandoned with the world stopped: the participants undo their checks, the world runs. */
static void undo_quiesce(struct swap_run *s)
{
    participants_undo(s);
    world_resume(s->irq);
    release(s, false);
}

static int step_transfer(struct swap_run *s)
{
    return loader_swap_transfer(s->sw, &s->err);
}

static int step_rewrite(struct swap_run *s)
{
    return loader_swap_rewrite(s->sw, &s->err);
}

static void undo_rewrite(struct swap_run *s)
{
    loader_swap_abort_rewrite(s->sw);
}

/* The commit point: the participants (tasks, core registries), then the loader's registry;
 * the world runs again. Cannot fail. */
static int step_commit(struct swap_run *s)
{
    PARTICIPANTS_FOR_EACH(p)
    p->commit(s->sw, &s->rep);
    loader_swap_commit(s->sw);
    uint64_t resumed = clock_ns();
    world_resume(s->irq);
    s->rep.stw_ns = resumed - s->stopped_at;
    release(s, true); /* the held tasks go on into the new versions */
    return 0;
}

/* The steps before the old versions retire, in order. `undo` undoes a step that succeeded when
 * a later one fails (what the loader's abort does not undo by itself). */
static const struct swap_step_def {
    enum swap_step id;
    int (*run)(struct swap_run *s);
    void (*undo)(struct swap_run *s);
    size_t ns; /* offset of the step's time in struct swap_report */
} steps[] = {
    {SWAP_STEP_LINK, step_link, NULL, offsetof(struct swap_report, link_ns)},
    {SWAP_STEP_CHECK, step_check, NULL, offsetof(struct swap_report, check_ns)},
    {SWAP_STEP_QUIESCE, step_quiesce, undo_quiesce, offsetof(struct swap_report, quiesce_ns)},
    {SWAP_STEP_TRANSFER, step_transfer, NULL, offsetof(struct swap_report, transfer_ns)},
    {SWAP_STEP_REWRITE, step_rewrite, undo_rewrite, offsetof(struct swap_report, rewrite_ns)},
    {SWAP_STEP_COMMIT, step_commit, NULL, offsetof(struct swap_report, commit_ns)},
};
#define NSTEPS (sizeof(steps) / sizeof(steps[0]))

static void lap(struct swap_run *s, size_t ns_offset)
{
    uint64_t now = clock_ns();
    *(uint64_t *)((char *)&s->rep + ns_offset) += now - s->lap_start;
    s->lap_start = now;
}

/* Walk the steps from the first; a dry run stops before the world would stop. Returns 0, or a
 * refusal with every step done undone (the loader's abort is the caller's). */
static int run_steps(struct swap_run *s)
{
    for (size_t i = 0; i < NSTEPS; i++) {
        const struct swap_step_def *st = &steps[i];
        if (s->rq.dry_run && st->id == SWAP_STEP_QUIESCE)
            return 0;
        int r = st->run(s);
        if (!r && s->rq.fail_at == st->id) {
            if (st->undo)
                st->undo(s);
            r = loader_fail(&s->err, KE_INJECTED, "failure injected at step '%s'; nothing changed",
                            swap_step_name(st->id));
        }
        lap(s, st->ns);
        if (r) {
            s->rep.failed_at = st->id;
            while (i-- > 0)
                if (steps[i].undo)
                    steps[i].undo(s);
            return r;
        }
    }
    return 0;
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

/* A dry run's plan: lines ending in '\n', in memory the caller frees (rep.plan). */
#define PLAN_MAX 8192
#define PLAN_CUT "... (plan cut short)\n"
struct plan {
    char *text;
    size_t len, cap; /* cap leaves room for PLAN_CUT */
    bool cut;
};

static void plan_add(void *ctx, const char *line)
{
    struct plan *p = ctx;
    size_t n = strlen(line);
    if (!p->text || p->cut || p->len + n + 1 > p->cap) {
        p->cut = p->text != NULL;
        return;
    }
    memcpy(p->text + p->len, line, n);
    p->text[p->len + n] = '\n';
    p->len += n + 1;
}

static char *plan_make(const struct loader_swap *sw)
{
    struct plan p = {kmalloc(PLAN_MAX), 0, PLAN_MAX - sizeof(PLAN_CUT), false};
    if (!p.text)
        return NULL;
    loader_swap_describe(sw, plan_add, &p);
    PARTICIPANTS_FOR_EACH(part)
    if (part->describe)
        part->describe(sw, plan_add, &p);
    if (p.cut) {
        memcpy(p.text + p.len, PLAN_CUT, sizeof(PLAN_CUT) - 1);
        p.len += sizeof(PLAN_CUT) - 1;
    }
    p.text[p.len] = 0;
    return p.text;
}

static int validate(const struct swap_request *rq, struct loader_error *err)
{
    if (rq->n == 0 || rq->n > SWAP_MAX_CELLS)
        return loader_fail(err, KE_INVAL, "between 1 and %d cells at once", SWAP_MAX_CELLS);
    if (rq->fail_at != SWAP_STEP_NONE &&
        (rq->fail_at < SWAP_STEP_LINK || rq->fail_at > SWAP_STEP_REWRITE))
        return loader_fail(err, KE_INVAL,
                           "a failure can be injected at link, check, quiesce, transfer or "
                           "rewrite (the commit point and what follows cannot fail)");
    for (size_t k = 0; k < rq->n; k++)
        if (!rq->items[k].cell || !rq->items[k].data || rq->items[k].size == 0)
            return loader_fail(err, KE_INVAL, "item %zu has no cell name or no object", k);
    if (!task_self())
        return loader_fail(err, KE_BUSY, "must be called from a task");
    return 0;
}

/* Under the cells lock: link, check, and unless a dry run, the rest up to the retirement of the
 * old versions. */
static int swap_locked(struct swap_run *s)
{
    for (size_t k = 0; k < s->rq.n; k++)
        if (!(s->olds[k] = loader_find(s->ld, s->rq.items[k].cell)))
            return loader_fail(&s->err, KE_NOENT, "no cell named '%.32s' is loaded",
                               s->rq.items[k].cell);
    /* Many retired versions waiting: free what can be freed before adding more (outside the
     * timed swap; reported on its own). */
    uint64_t r0 = clock_ns();
    if (reclaim_if_crowded_locked())
        s->rep.reclaim_ns = clock_ns() - r0;
    uint64_t t0 = s->lap_start = clock_ns();
    int r = run_steps(s);
    if (!r || s->rep.failed_at > SWAP_STEP_CHECK) {
        fill_cells(&s->rep, s->sw);
        s->lap_start = clock_ns(); /* the report's own bookkeeping is no step's time */
    }
    if (!r && s->rq.dry_run)
        s->rep.plan = plan_make(s->sw);
    if (r || s->rq.dry_run) {
        loader_swap_abort(s->sw); /* the new versions were never visible */
        s->rep.total_ns = clock_ns() - t0;
        return r;
    }
    /* The old versions are retired: the reclaimer frees each once nothing points into it (a
     * task may still hold a pointer into one in a register, a stack slot or the heap). */
    loader_swap_finish(s->sw);
    /* Under the cells lock: swaps are serialized by it. */
    static uint64_t swaps_committed;
    s->rep.first_since_boot = swaps_committed++ == 0;
    lap(s, offsetof(struct swap_report, retire_ns));
    s->rep.total_ns = clock_ns() - t0;
    return 0;
}

int swap_cells(const struct swap_request *rq, struct swap_report *rep_out, struct loader_error *err)
{
    struct swap_run run, *s = &run;
    memset(s, 0, sizeof(*s));
    int r = KE_INVAL;
    if (!rq)
        loader_fail(&s->err, r, "no request");
    else {
        s->rq = *rq;
        r = validate(&s->rq, &s->err);
    }
    if (!r && !(s->ld = cells_loader()))
        r = loader_fail(&s->err, KE_NOTSUP, "no loader in this kernel");
    if (!r) {
        cells_lock();
        r = swap_locked(s);
        cells_unlock();
    }
    if (r)
        log_debug("swap of %s refused: %s", s->rq.n ? s->rq.items[0].cell : "?", s->err.msg);
    else if (!s->rq.dry_run)
        for (size_t k = 0; k < s->rep.n; k++)
            log_debug("swapped %s: version %u -> %u (state %s), %llu us, stop-the-world %llu us",
                      s->rep.cells[k].name, s->rep.cells[k].old_version,
                      s->rep.cells[k].new_version, s->rep.cells[k].state,
                      (unsigned long long)(s->rep.total_ns / 1000),
                      (unsigned long long)(s->rep.stw_ns / 1000));
    if (rep_out)
        *rep_out = s->rep; /* the plan is the caller's now */
    else
        kfree(s->rep.plan);
    if (err)
        *err = s->err;
    return r;
}

KEEL_EXPORT_FUNC(swap_cells);
