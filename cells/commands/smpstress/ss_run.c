/* Spawning and joining the workers of a run, and what happens when the command is interrupted.
 *
 * A killed task cannot wait any more (its blocking calls return KE_KILLED at once), so a command
 * interrupted by Ctrl-C cannot join its workers itself: it asks them to stop after their current
 * round (ss_job.stop) and hands them to a detached reaper task, which joins them, destroys their
 * channels and lets go of the swap's objects. Until the reaper is done, a new run is refused
 * (the workers' shared state is the cell's, and still in use). */
#include <keel/atomic.h>
#include <keel/errno.h>
#include <keel/kmalloc.h>
#include <keel/string.h>
#include <keel/sync.h>
#include "commands/smpstress/ss_run.h"
#include "commands/smpstress/ss_swap.h"

static const task_entry_fn entries[SS_KINDS] = {
    [SS_SPAWNER] = smpstress_spawner,   [SS_SENDER] = smpstress_sender,
    [SS_RECEIVER] = smpstress_receiver, [SS_HEAP] = smpstress_heap,
    [SS_LOCKER] = smpstress_locker,     [SS_PRODUCER] = smpstress_producer,
    [SS_CONSUMER] = smpstress_consumer, [SS_YIELDER] = smpstress_yielder,
    [SS_SLEEPER] = smpstress_sleeper,   [SS_SWAPPER] = smpstress_swapper,
    /* SS_CALLER: stress_client_main, looked up at run time (ss_swap.c) */
};

static task_id_t reaper;       /* of the last interrupted run, if any */
static atomic_u32 interrupted; /* every job's stop */

static bool alive(task_id_t id)
{
    struct task_info ti;
    return id && task_info(id, &ti) == 0 && ti.state != TASK_DEAD;
}

unsigned smpstress_run_leftovers(const struct ss_run *run)
{
    unsigned n = alive(reaper);
    for (unsigned i = 0; i < run->plan.n; i++)
        n += !run->plan.w[i].joined && alive(run->plan.w[i].id);
    return n;
}

/* ---- warm-up ---- */

static struct semaphore warm_gate = SEMAPHORE_INIT(0);

static int warm_main(const void *arg, void *ret)
{
    (void)arg;
    (void)ret;
    return semaphore_down(&warm_gate);
}

int smpstress_warm_tasks(unsigned n, char *why, size_t size)
{
    static task_id_t ids[SS_WORKERS_MAX + SS_CPUS * SS_SPAWN_WIDTH + 16];
    if (n > sizeof(ids) / sizeof(ids[0]))
        n = sizeof(ids) / sizeof(ids[0]);
    semaphore_init(&warm_gate, 0);
    unsigned started = 0;
    int r = 0;
    for (; started < n; started++) {
        struct task_spec spec = {.name = "ss_warm", .entry = warm_main};
        r = task_spawn(&spec, &ids[started]);
        if (r) {
            ksnprintf(why, size, "warm-up: spawn %u of %u: %s", started + 1, n, keel_strerror(r));
            break;
        }
    }
    for (unsigned i = 0; i < started; i++)
        semaphore_up(&warm_gate);
    for (unsigned i = 0; i < started; i++) {
        struct task_result res;
        int e = task_join(ids[i], &res);
        if (e == KE_KILLED) { /* interrupted: they end by themselves, the gate is open */
            for (unsigned k = i; k < started; k++)
                task_detach(ids[k]);
            return e;
        }
        if (!e)
            kfree(res.ret);
    }
    return r;
}

/* ---- channels ---- */

int smpstress_run_channels(struct ss_run *run, uint64_t seed)
{
    unsigned pairs = run->plan.pinned_cpus;
    for (run->nch = 0; run->nch < pairs; run->nch++) {
        unsigned c = run->nch;
        bool rendezvous = c % 2 == 1;
        size_t capacity = rendezvous ? 0 : 1 + (size_t)(ss_mix(seed ^ c) % 8);
        if (channel_create(rendezvous ? CHANNEL_RENDEZVOUS : CHANNEL_ASYNC, capacity,
                           &run->ch[c])) {
            smpstress_run_destroy_channels(run);
            return KE_NOMEM;
        }
    }
    for (unsigned i = 0; i < run->plan.n; i++) {
        struct ss_job *j = &run->plan.w[i].job;
        if (j->kind == SS_SENDER || j->kind == SS_RECEIVER)
            j->ch = run->ch[j->index];
    }
    return 0;
}

void smpstress_run_destroy_channels(struct ss_run *run)
{
    for (unsigned c = 0; c < run->nch; c++)
        channel_destroy(run->ch[c]);
    run->nch = 0;
}

/* ---- spawning ---- */

static int spawn_worker(struct ss_worker *w)
{
    static const char *const names[SS_KINDS] = {
        [SS_SPAWNER] = "ss_spawner",   [SS_SENDER] = "ss_sender",   [SS_RECEIVER] = "ss_receiver",
        [SS_HEAP] = "ss_heap",         [SS_LOCKER] = "ss_locker",   [SS_PRODUCER] = "ss_producer",
        [SS_CONSUMER] = "ss_consumer", [SS_YIELDER] = "ss_yielder", [SS_SLEEPER] = "ss_sleeper",
        [SS_CALLER] = "ss_caller",     [SS_SWAPPER] = "ss_swapper",
    };
    if (w->job.kind == SS_CALLER)
        return smpstress_spawn_caller(&w->job, &w->id);
    struct task_spec spec = {.name = names[w->job.kind],
                             .entry = entries[w->job.kind],
                             .arg = &w->job,
                             .arg_size = sizeof(w->job),
                             .ret_size = sizeof(struct ss_ret),
                             .cpus = w->job.cpu == SS_ANY_CPU ? 0 : 1u << w->job.cpu};
    return task_spawn(&spec, &w->id);
}

/* A worker that was never spawned: whoever would wait for it is told. */
static void never_started(const struct ss_worker *w)
{
    if (w->job.kind == SS_SENDER || w->job.kind == SS_RECEIVER)
        channel_close(w->job.ch);
    else if (w->job.kind == SS_PRODUCER)
        smpstress_buffer_producer_done();
}

void smpstress_run_start(struct ss_run *run, uint64_t deadline_ns)
{
    struct ss_plan *p = &run->plan;
    smpstress_lock_reset();
    smpstress_buffer_reset(p->of_kind[SS_PRODUCER]);
    smpstress_sleep_reset(p->of_kind[SS_SLEEPER]);
    smpstress_yield_reset();
    run->spawn_failed = 0;
    run->spawn_why[0] = 0;
    atomic_store_u32(&interrupted, 0, MO_RELEASE);
    for (unsigned i = 0; i < p->n; i++) {
        struct ss_worker *w = &p->w[i];
        w->job.deadline_ns = deadline_ns;
        w->job.stop = &interrupted;
        int e = spawn_worker(w);
        if (e) {
            w->id = 0;
            if (!run->spawn_failed++)
                ksnprintf(run->spawn_why, sizeof(run->spawn_why), "spawning %s %u: %s",
                          smpstress_kind_name(w->job.kind), w->job.index, keel_strerror(e));
            never_started(w);
        }
    }
    /* Each yielder waits for the other of its pair; one that never started is an id that names
     * no task, which the other takes as a pair that ended. */
    for (unsigned i = 0; i < p->n; i++) {
        const struct ss_worker *w = &p->w[i];
        if (w->job.kind == SS_YIELDER)
            smpstress_yield_set_peer(w->job.cpu, w->job.index % 2, w->id ? w->id : ~0ull);
    }
}

/* ---- joining ---- */

struct reap_arg {
    unsigned n, nch;
    bool swaps;
    task_id_t ids[SS_WORKERS_MAX];
    struct channel *ch[SS_CPUS];
};

static int reaper_main(const void *arg, void *ret)
{
    const struct reap_arg *a = arg;
    (void)ret;
    smpstress_swap_stop();
    for (unsigned i = 0; i < a->n; i++) {
        struct task_result res;
        if (task_join(a->ids[i], &res) == 0)
            kfree(res.ret);
    }
    for (unsigned c = 0; c < a->nch; c++)
        channel_destroy(a->ch[c]);
    if (a->swaps)
        smpstress_swap_finish();
    return 0;
}

/* Interrupted: the workers stop after their current round, and the reaper joins them. */
static void hand_over(struct ss_run *run)
{
    atomic_store_u32(&interrupted, 1, MO_RELEASE);
    struct reap_arg *a = kzalloc(sizeof(*a));
    struct ss_plan *p = &run->plan;
    if (a) {
        for (unsigned i = 0; i < p->n; i++)
            if (p->w[i].id && !p->w[i].joined)
                a->ids[a->n++] = p->w[i].id;
        a->nch = run->nch;
        a->swaps = run->swaps;
        memcpy(a->ch, run->ch, sizeof(a->ch));
    }
    struct task_spec spec = {.name = "ss_reaper",
                             .entry = reaper_main,
                             .arg = a,
                             .arg_size = sizeof(*a),
                             .flags = TASK_DETACHED};
    if (!a || task_spawn(&spec, &reaper) != 0) {
        /* No reaper: the workers are reaped as they end; their channels and the swap's
         * objects stay (a few KiB), as nobody can tell when the workers are out of them. */
        reaper = 0;
        smpstress_swap_stop();
        for (unsigned i = 0; i < p->n; i++)
            if (p->w[i].id && !p->w[i].joined)
                task_detach(p->w[i].id);
    }
    kfree(a);
    run->nch = 0;
}

static int join_worker(struct ss_worker *w)
{
    struct task_result res;
    int e = task_join(w->id, &res);
    if (e)
        return e;
    w->joined = true;
    w->how = res.how;
    if (res.ret)
        memcpy(&w->ret, res.ret, sizeof(w->ret));
    kfree(res.ret);
    if (res.how == TASK_FAULTED)
        ss_fail(&w->ret, SS_WRONG, "faulted at %s", res.fault.where[0] ? res.fault.where : "?");
    else if (res.how != TASK_RETURNED)
        ss_fail(&w->ret, SS_WRONG, "ended %s (status %d)",
                res.how == TASK_KILLED ? "killed" : "by task_exit", res.status);
    return 0;
}

int smpstress_run_join(struct ss_run *run)
{
    struct ss_plan *p = &run->plan;
    /* Everyone but the swapper, which swaps until the others are done. */
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1)
            smpstress_swap_stop();
        for (unsigned i = 0; i < p->n; i++) {
            struct ss_worker *w = &p->w[i];
            if (!w->id || w->joined || (w->job.kind == SS_SWAPPER) != (pass == 1))
                continue;
            int e = join_worker(w);
            if (e == KE_KILLED) {
                hand_over(run);
                return e;
            }
            if (e)
                ss_fail(&w->ret, e, "join: %s", keel_strerror(e));
        }
    }
    return 0;
}

int smpstress_read_counter(uint64_t *value)
{
    struct ss_job job = {.kind = SS_CALLER, .cpu = SS_ANY_CPU, .rounds = 0};
    task_id_t id;
    int e = smpstress_spawn_caller(&job, &id);
    if (e)
        return e;
    struct task_result res;
    e = task_join(id, &res);
    if (e == KE_KILLED)
        task_detach(id);
    if (e)
        return e;
    if (res.how == TASK_RETURNED && res.ret)
        *value = ((const struct ss_ret *)res.ret)->value;
    else
        e = KE_FAULT;
    kfree(res.ret);
    return e;
}
