/* Running a litmus test on real CPUs (litmus_run.h).
 *
 * Thread t of the test is a task pinned to CPU t. The runs go in batches of LITMUS_BATCH: thread
 * 0 (the leader) makes a batch's memory fresh and releases it (`go`); every thread runs its body
 * on each run of the batch and says it is done (`done[t]`); the leader then tallies the batch.
 * Within a batch the threads keep in step run by run without a full barrier: before run k each
 * thread publishes k (`pos[t]`) and waits, a bounded number of spins, for the others to reach k
 * too — so when all CPUs are running they enter each run together, and the instructions of the
 * threads overlap in time, which is what makes the relaxed outcomes observable at all; when one
 * is held up (its QEMU thread descheduled by the host) the others go on alone for a few runs
 * rather than stall, and the batch barrier brings them together again. A
 * small pseudo-random delay per run and thread varies which thread is ahead.
 *
 * The tasks spin with interrupts on, never in a cpu_call: the timer, other tasks and the
 * world-stop IPI reach them as usual. Everything they share is static, not allocated by the
 * calling task, so that a caller killed mid-run (Ctrl-C) cannot free it under them: they notice
 * (`stop`, or the caller gone) and end on their own. */
#include <keel/atomic.h>
#include <keel/clock.h>
#include <keel/cpu.h>
#include <keel/errno.h>
#include <keel/format.h>
#include <keel/string.h>
#include <keel/sync.h>
#include <keel/task.h>
#include "commands/litmus/litmus_mem.h"
#include "commands/litmus/litmus_run.h"

/* Spins a thread waits for each other thread to reach the same run before it goes ahead alone,
 * and the runs it then does alone before it waits again. Waiting often keeps the interleavings
 * varied when vCPUs outnumber host cores (IRIW at -smp 4 on 2 cores: every allowed outcome but
 * the rarest shows up); not waiting every run keeps a run short when the host is loaded (about
 * a third of the time lost to an absent partner). */
#define STEP_SPINS 4096u
#define ALONE_RUNS 2u
/* How long a new run waits for the tasks of an interrupted earlier one to end. */
#define EARLIER_WAIT_NS (LITMUS_STALL_NS + 1000ull * 1000 * 1000)

enum stop_reason {
    RUNNING = 0,
    STOP_CALLER, /* the calling task was killed or is gone, or a thread could not be started */
    STOP_STALL,  /* a thread waited LITMUS_STALL_NS for another */
};

/* A counter alone on its cache line: each is written by one thread and polled by the others. */
struct slot {
    atomic_u64 v;
} __attribute__((aligned(64)));

static struct slot go;                       /* batches released by the leader (1, 2, ...) */
static struct slot ready;                    /* threads started, besides the leader */
static struct slot done[LITMUS_MAX_THREADS]; /* batches each thread has finished */
static struct slot pos[LITMUS_MAX_THREADS];  /* runs each thread has entered (1, 2, ...) */
static atomic_u32 stop;                      /* enum stop_reason: the first one wins */

/* The run in progress, written by the caller before it starts the threads. */
static struct {
    const struct litmus_test *test;
    litmus_body_fn body[LITMUS_MAX_THREADS];
    uint64_t iterations;
    task_id_t caller;
    task_id_t threads[LITMUS_MAX_THREADS]; /* kept after the run: the next one checks them */
    struct litmus_tally tally;             /* the leader's */
} run;

/* One run at a time: the memory and the counters above are the only ones. A caller that dies
 * holding it leaves it KE_OWNERDEAD, and the next run first waits for its threads to end. */
static struct mutex run_lock = MUTEX_INIT;

static void stop_run(enum stop_reason why)
{
    uint32_t none = RUNNING;
    atomic_cas_u32(&stop, &none, why, MO_RELAXED, MO_RELAXED);
}

static bool stopped(void)
{
    return atomic_load_u32(&stop, MO_RELAXED) != RUNNING;
}

static bool task_alive(task_id_t id)
{
    struct task_info ti;
    return id && task_info(id, &ti) == 0 && ti.state != TASK_DEAD;
}

/* Spin until s reaches want. False if the run stops meanwhile, or after LITMUS_STALL_NS without
 * it (which stops the run). The clock is read only every 1024 spins: the loop stays a load. */
static bool wait_for(struct slot *s, uint64_t want)
{
    uint64_t since = 0;
    for (uint32_t spins = 1;; spins++) {
        if (atomic_load_u64(&s->v, MO_ACQUIRE) >= want)
            return true;
        if ((spins & 1023u) == 0) {
            if (stopped())
                return false;
            uint64_t now = clock_ns();
            if (!since) {
                since = now;
            } else if (now - since > LITMUS_STALL_NS) {
                stop_run(STOP_STALL);
                return false;
            }
        }
    }
}

/* Enter run k (1, 2, ...): publish it and give each other thread STEP_SPINS to reach it.
 * False if one did not: it is held up (its vCPU descheduled by the host, say), and waiting for
 * it run after run would only make this thread slow too. */
static bool step(unsigned t, unsigned n, uint64_t k)
{
    atomic_store_u64(&pos[t].v, k, MO_RELAXED);
    for (unsigned u = 0; u < n; u++) {
        if (u == t)
            continue;
        unsigned s = 0;
        while (atomic_load_u64(&pos[u].v, MO_RELAXED) < k)
            if (++s == STEP_SPINS)
                return false;
    }
    return true;
}

/* A delay of 0..15 loop turns, a different one per run and thread; none at all in half the runs,
 * which keeps the threads as close together as they come. */
static void skew(uint64_t k, unsigned t)
{
    uint64_t h = k * 0x9e3779b97f4a7c15ull;
    if (h >> 63)
        return;
    unsigned turns = (unsigned)(h >> (32 + 4 * t)) & 15u;
    for (unsigned j = 0; j < turns; j++)
        __asm__ volatile("" ::: "memory");
}

static void tally(uint32_t count)
{
    uint32_t values[LITMUS_MAX_OBS];
    for (uint32_t i = 0; i < count; i++) {
        litmus_mem_values(run.test, i, values);
        litmus_tally_add(&run.tally, run.test, values);
    }
}

/* Thread t of the test (the argument block holds t). Returns 0 when it ran every batch. */
static int thread_main(const void *arg, void *ret)
{
    (void)ret;
    uint32_t t;
    memcpy(&t, arg, sizeof(t));
    const unsigned n = run.test->nthreads;
    const litmus_body_fn body = run.body[t];
    const uint64_t iterations = run.iterations;
    bool complete = false, all_started = true;
    if (t == 0) /* the first batch waits for every thread: none starts it alone */
        all_started = wait_for(&ready, n - 1);
    else
        atomic_fetch_add_u64(&ready.v, 1, MO_RELEASE);
    if (all_started) {
        for (uint64_t b = 1, base = 0; base < iterations && !stopped(); b++, base += LITMUS_BATCH) {
            uint32_t count =
                iterations - base < LITMUS_BATCH ? (uint32_t)(iterations - base) : LITMUS_BATCH;
            if (t == 0) {
                litmus_mem_reset(count);
                atomic_store_u64(&go.v, b, MO_RELEASE);
            } else if (!wait_for(&go, b)) {
                break;
            }
            /* In step while the others keep up; ALONE_RUNS alone after a wait in vain (the
             * barrier at the batch's end waits for a late one). */
            uint32_t alone = 0;
            for (uint32_t i = 0; i < count; i++) {
                if (alone) {
                    alone--;
                    atomic_store_u64(&pos[t].v, base + i + 1, MO_RELAXED);
                } else if (!step(t, n, base + i + 1)) {
                    alone = ALONE_RUNS;
                }
                skew(base + i, t);
                body(i);
            }
            atomic_store_u64(&done[t].v, b, MO_RELEASE);
            if (t == 0) {
                bool all = true;
                for (unsigned u = 1; u < n && all; u++)
                    all = wait_for(&done[u], b);
                if (!all)
                    break;
                tally(count);
                if (!task_alive(run.caller))
                    stop_run(STOP_CALLER);
            }
            complete = base + count == iterations;
        }
    }
    /* A caller that is gone will not join: be reaped on ending instead. (One killed while it
     * waits detaches the threads itself; a second detach is refused, harmlessly.) */
    if (!task_alive(run.caller))
        task_detach(task_self());
    return complete && !stopped() ? 0 : 1;
}

/* The threads of an earlier run that was interrupted: tell them to stop and wait for them. */
static int earlier_threads_gone(void)
{
    stop_run(STOP_CALLER);
    uint64_t start = clock_ns();
    for (unsigned t = 0; t < LITMUS_MAX_THREADS; t++) {
        while (task_alive(run.threads[t])) {
            if (clock_ns() - start > EARLIER_WAIT_NS)
                return KE_BUSY;
            int e = task_sleep_ns(1000 * 1000);
            if (e)
                return e;
        }
    }
    return 0;
}

static void prepare(const struct litmus_test *t, uint64_t iterations)
{
    run.test = t;
    run.iterations = iterations;
    run.caller = task_self();
    for (unsigned u = 0; u < LITMUS_MAX_THREADS; u++) {
        run.body[u] = u < t->nthreads ? litmus_mem_body(t, u) : NULL;
        run.threads[u] = 0;
        atomic_store_u64(&done[u].v, 0, MO_RELAXED);
        atomic_store_u64(&pos[u].v, 0, MO_RELAXED);
    }
    litmus_tally_init(&run.tally);
    atomic_store_u64(&go.v, 0, MO_RELAXED);
    atomic_store_u64(&ready.v, 0, MO_RELAXED);
    atomic_store_u32(&stop, RUNNING, MO_RELAXED);
    /* Spawning publishes all of this to the threads: task_spawn takes the scheduler lock. */
}

/* Why thread u ended other than by returning, for the user. */
static void thread_ended(struct litmus_result *out, unsigned u, const struct task_result *r)
{
    if (r->how == TASK_FAULTED && r->fault.kind == FAULT_KIND_HANG)
        ksnprintf(out->why, sizeof(out->why),
                  "thread %u on CPU %u ended by the watchdog (%s); it never blocks", u, u,
                  fault_hang_name(r->fault.hang_by));
    else if (r->how == TASK_FAULTED)
        ksnprintf(out->why, sizeof(out->why), "thread %u on CPU %u faulted at %s", u, u,
                  r->fault.where);
    else
        ksnprintf(out->why, sizeof(out->why), "thread %u on CPU %u was killed", u, u);
}

/* Start the threads and wait for them; the run's lock is held. */
static int start_and_join(const struct litmus_test *t, struct litmus_result *out)
{
    unsigned started = 0;
    int err = 0;
    for (uint32_t u = 0; u < t->nthreads; u++) {
        char name[TASK_NAME_MAX];
        ksnprintf(name, sizeof(name), "litmus%u", (unsigned)u);
        /* No budget of its own: the thread runs without blocking for the whole run, so a
         * global CPU budget (`watchdog budget`, off by default) shorter than that ends it. */
        struct task_spec spec = {
            .name = name, .entry = thread_main, .arg = &u, .arg_size = sizeof(u), .cpus = 1u << u};
        err = task_spawn(&spec, &run.threads[u]);
        if (err) {
            ksnprintf(out->why, sizeof(out->why), "cannot start thread %u on CPU %u: %s",
                      (unsigned)u, (unsigned)u, keel_strerror(err));
            stop_run(STOP_CALLER); /* the others give up */
            break;
        }
        started++;
    }
    int status = 0;
    for (unsigned u = 0; u < started; u++) {
        struct task_result r;
        int e = task_join(run.threads[u], &r);
        if (e == KE_KILLED) {
            stop_run(STOP_CALLER);
            for (unsigned v = u; v < started; v++)
                task_detach(run.threads[v]);
            ksnprintf(out->why, sizeof(out->why), "interrupted");
            return KE_KILLED;
        }
        if (e) {
            ksnprintf(out->why, sizeof(out->why), "join thread %u: %s", u, keel_strerror(e));
            status = e;
        } else if (r.how != TASK_RETURNED && !status) {
            thread_ended(out, u, &r);
            stop_run(STOP_CALLER);
            status = KE_FAILED;
        }
    }
    if (err)
        return err;
    if (status)
        return status;
    if (atomic_load_u32(&stop, MO_RELAXED) == STOP_STALL) {
        ksnprintf(out->why, sizeof(out->why), "a thread waited %llu s for another and gave up",
                  (unsigned long long)(LITMUS_STALL_NS / 1000000000ull));
        return KE_TIMEDOUT;
    }
    if (stopped()) {
        ksnprintf(out->why, sizeof(out->why), "stopped");
        return KE_FAILED;
    }
    return 0;
}

int litmus_run(const struct litmus_test *t, uint64_t iterations, struct litmus_result *out)
{
    memset(out, 0, sizeof(*out));
    litmus_tally_init(&out->tally);
    if (t->nthreads < 1 || t->nthreads > LITMUS_MAX_THREADS || cpu_count() < t->nthreads) {
        ksnprintf(out->why, sizeof(out->why), "needs %u CPUs", t->nthreads);
        return KE_RANGE;
    }
    for (unsigned u = 0; u < t->nthreads; u++) {
        if (!litmus_mem_body(t, u)) {
            ksnprintf(out->why, sizeof(out->why), "no code for thread %u of %s", u, t->name);
            return KE_NOENT;
        }
    }
    int e = mutex_trylock(&run_lock);
    if (e == KE_AGAIN) {
        ksnprintf(out->why, sizeof(out->why), "another litmus run is in progress");
        return KE_AGAIN;
    }
    if (e && e != KE_OWNERDEAD) {
        ksnprintf(out->why, sizeof(out->why), "%s", keel_strerror(e));
        return e;
    }
    e = earlier_threads_gone();
    if (e) {
        ksnprintf(out->why, sizeof(out->why), "the threads of an earlier run did not end: %s",
                  keel_strerror(e));
        mutex_unlock(&run_lock);
        return e;
    }
    prepare(t, iterations);
    uint64_t start = clock_ns();
    e = start_and_join(t, out);
    out->elapsed_ns = clock_ns() - start;
    if (!e)
        out->tally = run.tally;
    mutex_unlock(&run_lock);
    return e;
}
