/* taskbench: tasking micro-benchmarks, run by the cell's init (which runs in a task of its own)
 * when a manifest loads the cell; tools/bench/tasks.py does that. Each metric is timed per round
 * with the TSC; it prints a line per metric (median and minimum) and one machine-readable line,
 * "BENCH_JSON {...}". The round counts are fixed at compile time (cells see no command line):
 *   switch      two tasks of equal priority yielding to each other; one round is one yield that
 *               comes back (two switches), reported per switch      (SWITCH_ROUNDS)
 *   spawn_join  task_spawn + task_join of a task whose entry returns at once (SPAWN_ROUNDS)
 *   rv_rtt      one-word ping over a rendezvous channel, pong back over another (CHAN_ROUNDS)
 *   async_rtt   the same over two asynchronous channels of capacity 1    (CHAN_ROUNDS)
 *   alloc_free  kmalloc of 64 bytes and its kfree: the heap's fast path   (ALLOC_ROUNDS)
 * All of these run on CPU 0: the benchmark and its partner tasks are pinned there. With two or
 * more CPUs, three more put the partner on CPU 1 (the benchmark stays on CPU 0):
 *   spawn_join_x, rv_rtt_x, async_rtt_x   the same, across CPUs (a reschedule IPI per wake-up)
 * A few unmeasured rounds first warm up QEMU's translation cache and the heap. */
#include <stdbool.h>
#include <stdint.h>
#include <keel/cell.h>
#include <keel/channel.h>
#include <keel/clock.h>
#include <keel/console.h>
#include <keel/cpu.h>
#include <keel/errno.h>
#include <keel/format.h>
#include <keel/kmalloc.h>
#include <keel/task.h>

#define SWITCH_ROUNDS 1000
#define SPAWN_ROUNDS  200
#define CHAN_ROUNDS   1000
#define ALLOC_ROUNDS  1000
#define MAX_ROUNDS    1000
#define WARMUP_ROUNDS 20
#define STOP_WORD     (~(uint64_t)0)

struct metric {
    const char *name, *what;
    unsigned rounds;
    unsigned divisor; /* a round measures this many operations */
    uint64_t median_ns, p99_ns, min_ns;
    int err;
};

static uint64_t samples[MAX_ROUNDS];    /* ns per round */
static uint32_t partner_cpus = 1u << 0; /* where the partner tasks run: CPU 0, or CPU 1 */

static void sort_u64(uint64_t *v, unsigned n)
{
    for (unsigned i = 1; i < n; i++)
        for (unsigned j = i; j > 0 && v[j - 1] > v[j]; j--) {
            uint64_t t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
}

static void summarise(struct metric *m)
{
    sort_u64(samples, m->rounds);
    m->median_ns = samples[m->rounds / 2] / m->divisor;
    m->p99_ns = samples[(m->rounds * 99) / 100] / m->divisor;
    m->min_ns = samples[0] / m->divisor;
}

/* --- context switch ------------------------------------------------------------------------ */

static bool yield_stop;
static unsigned yield_partner_rounds;

static int yield_partner(const void *arg, void *ret)
{
    (void)arg;
    (void)ret;
    while (!__atomic_load_n(&yield_stop, __ATOMIC_ACQUIRE)) {
        __atomic_store_n(&yield_partner_rounds, yield_partner_rounds + 1, __ATOMIC_RELEASE);
        task_yield();
    }
    return 0;
}

static int bench_switch(struct metric *m)
{
    struct task_spec spec = {.name = "taskbench-yield", .entry = yield_partner, .cpus = 1u << 0};
    task_id_t id;
    struct task_result res;
    yield_stop = false;
    yield_partner_rounds = 0;
    int err = task_spawn(&spec, &id);
    if (err)
        return err;
    for (unsigned r = 0; r < WARMUP_ROUNDS; r++)
        task_yield();
    unsigned before = __atomic_load_n(&yield_partner_rounds, __ATOMIC_ACQUIRE);
    for (unsigned r = 0; r < m->rounds; r++) {
        uint64_t t0 = clock_tsc();
        task_yield();
        uint64_t t1 = clock_tsc();
        samples[r] = clock_tsc_to_ns(t1 - t0);
    }
    unsigned partner = __atomic_load_n(&yield_partner_rounds, __ATOMIC_ACQUIRE) - before;
    __atomic_store_n(&yield_stop, true, __ATOMIC_RELEASE);
    err = task_join(id, &res);
    if (err)
        return err;
    /* If yields came back without running the partner, the numbers are not switches. Not
     * every round need count: a timer tick that preempts the partner between its yield and its
     * count hands the CPU back uncounted (more often on a loaded host), so only a partner that
     * ran in fewer than half of the rounds means yields did not switch. */
    if (partner < m->rounds / 2) {
        kprintf("taskbench: switch: the partner ran only %u of %u rounds\n", partner, m->rounds);
        return KE_INVAL;
    }
    return 0;
}

/* --- spawn + join -------------------------------------------------------------------------- */

static int empty_task(const void *arg, void *ret)
{
    (void)arg;
    (void)ret;
    return 0;
}

static int spawn_join_once(uint64_t *ns)
{
    struct task_spec spec = {.name = "taskbench-empty", .entry = empty_task, .cpus = partner_cpus};
    task_id_t id;
    struct task_result res;
    uint64_t t0 = clock_tsc();
    int err = task_spawn(&spec, &id);
    if (!err)
        err = task_join(id, &res);
    uint64_t t1 = clock_tsc();
    if (err)
        return err;
    if (res.how != TASK_RETURNED || res.status != 0)
        return KE_FAULT;
    *ns = clock_tsc_to_ns(t1 - t0);
    return 0;
}

/* Warm-up rounds, then one sample per round, of an operation timed by once(). */
static int rounds_of(struct metric *m, int (*once)(uint64_t *ns))
{
    uint64_t ns;
    for (unsigned r = 0; r < WARMUP_ROUNDS; r++) {
        int err = once(&ns);
        if (err)
            return err;
    }
    for (unsigned r = 0; r < m->rounds; r++) {
        int err = once(&samples[r]);
        if (err)
            return err;
    }
    return 0;
}

static int bench_spawn(struct metric *m)
{
    return rounds_of(m, spawn_join_once);
}

/* --- channel round trips ------------------------------------------------------------------- */

struct chan_pair {
    struct channel *ping, *pong;
};

/* Answers every ping with its word + 1 until STOP_WORD. */
static int echo_task(const void *arg, void *ret)
{
    const struct chan_pair *p = arg;
    (void)ret;
    for (;;) {
        struct channel_msg msg;
        int err = channel_recv(p->ping, &msg);
        if (err)
            return err;
        if (msg.word == STOP_WORD)
            return 0;
        msg.word++;
        err = channel_send(p->pong, &msg);
        if (err)
            return err;
    }
}

static int round_trip(const struct chan_pair *p, uint64_t word, uint64_t *ns)
{
    struct channel_msg ping = {word, 0}, pong;
    uint64_t t0 = clock_tsc();
    int err = channel_send(p->ping, &ping);
    if (!err)
        err = channel_recv(p->pong, &pong);
    uint64_t t1 = clock_tsc();
    if (err)
        return err;
    if (pong.word != word + 1 || pong.block)
        return KE_FAULT;
    *ns = clock_tsc_to_ns(t1 - t0);
    return 0;
}

static int bench_channel(struct metric *m, enum channel_kind kind)
{
    size_t cap = kind == CHANNEL_ASYNC ? 1 : 0;
    struct chan_pair p = {0, 0};
    int err = channel_create(kind, cap, &p.ping);
    if (!err)
        err = channel_create(kind, cap, &p.pong);
    if (err) {
        channel_destroy(p.ping);
        return err;
    }
    struct task_spec spec = {.name = "taskbench-echo",
                             .entry = echo_task,
                             .arg = &p,
                             .arg_size = sizeof(p),
                             .cpus = partner_cpus};
    task_id_t id;
    err = task_spawn(&spec, &id);
    if (err) {
        channel_destroy(p.ping);
        channel_destroy(p.pong);
        return err;
    }
    uint64_t ns;
    for (unsigned r = 0; r < WARMUP_ROUNDS && !err; r++)
        err = round_trip(&p, r, &ns);
    for (unsigned r = 0; r < m->rounds && !err; r++)
        err = round_trip(&p, r, &samples[r]);
    struct channel_msg stop = {STOP_WORD, 0};
    struct task_result res;
    /* On an error, closing the channels ends the echo task (its calls return KE_CLOSED). */
    if (err || channel_send(p.ping, &stop)) {
        channel_close(p.ping);
        channel_close(p.pong);
    }
    int jerr = task_join(id, &res);
    channel_destroy(p.ping);
    channel_destroy(p.pong);
    if (!err && !jerr && (res.how != TASK_RETURNED || res.status != 0))
        err = res.status ? res.status : KE_FAULT;
    return err ? err : jerr;
}

static int bench_rv(struct metric *m)
{
    return bench_channel(m, CHANNEL_RENDEZVOUS);
}

static int bench_async(struct metric *m)
{
    return bench_channel(m, CHANNEL_ASYNC);
}

/* The same with the partner on CPU 1. */
static int across(struct metric *m, int (*run)(struct metric *))
{
    partner_cpus = 1u << 1;
    int err = run(m);
    partner_cpus = 1u << 0;
    return err;
}

static int bench_spawn_x(struct metric *m)
{
    return across(m, bench_spawn);
}

static int bench_rv_x(struct metric *m)
{
    return across(m, bench_rv);
}

static int bench_async_x(struct metric *m)
{
    return across(m, bench_async);
}

/* --- allocation fast path ----------------------------------------------------------------- */

static int alloc_free_once(uint64_t *ns)
{
    uint64_t t0 = clock_tsc();
    void *p = kmalloc(64);
    kfree(p);
    uint64_t t1 = clock_tsc();
    if (!p)
        return KE_NOMEM;
    *ns = clock_tsc_to_ns(t1 - t0);
    return 0;
}

static int bench_alloc(struct metric *m)
{
    return rounds_of(m, alloc_free_once);
}

/* --- driver -------------------------------------------------------------------------------- */

static struct metric metrics[] = {
    {"switch", "context switch (task_yield ping-pong)", SWITCH_ROUNDS, 2, 0, 0, 0, 0},
    {"spawn_join", "spawn + join of an empty task", SPAWN_ROUNDS, 1, 0, 0, 0, 0},
    {"rv_rtt", "rendezvous channel round trip", CHAN_ROUNDS, 1, 0, 0, 0, 0},
    {"async_rtt", "async channel (capacity 1) round trip", CHAN_ROUNDS, 1, 0, 0, 0, 0},
    {"alloc_free", "kmalloc(64) + kfree (heap fast path)", ALLOC_ROUNDS, 1, 0, 0, 0, 0},
    {"spawn_join_x", "spawn + join, the task on another CPU", SPAWN_ROUNDS, 1, 0, 0, 0, 0},
    {"rv_rtt_x", "rendezvous round trip across CPUs", CHAN_ROUNDS, 1, 0, 0, 0, 0},
    {"async_rtt_x", "async round trip across CPUs", CHAN_ROUNDS, 1, 0, 0, 0, 0},
};
#define SAME_CPU_METRICS 5 /* the first five; the rest need a second CPU */
static int (*const runners[])(struct metric *) = {bench_switch, bench_spawn,  bench_rv,
                                                  bench_async,  bench_alloc,  bench_spawn_x,
                                                  bench_rv_x,   bench_async_x};

static char json[2048];

static int taskbench_init(void)
{
    size_t n = cpu_count() > 1 ? sizeof(metrics) / sizeof(metrics[0]) : SAME_CPU_METRICS;
    int pinned = task_set_cpus(1u << 0); /* the benchmark itself runs on CPU 0 */
    size_t used = (size_t)ksnprintf(json, sizeof(json),
                                    "{\"benchmark\": \"tasks\", \"tsc_hz\": %llu, \"cpus\": %u, "
                                    "\"metrics\": [",
                                    (unsigned long long)clock_tsc_hz(), cpu_count());
    for (size_t i = 0; i < n; i++) {
        struct metric *m = &metrics[i];
        m->err = pinned ? pinned : runners[i](m);
        if (m->err) {
            kprintf("taskbench: %-10s %-40s failed: %s\n", m->name, m->what, keel_strerror(m->err));
        } else {
            summarise(m);
            kprintf("taskbench: %-10s %-40s median %6llu.%03llu us  p99 %6llu.%03llu us"
                    "  min %6llu.%03llu us  (%u rounds)\n",
                    m->name, m->what, (unsigned long long)(m->median_ns / 1000),
                    (unsigned long long)(m->median_ns % 1000),
                    (unsigned long long)(m->p99_ns / 1000), (unsigned long long)(m->p99_ns % 1000),
                    (unsigned long long)(m->min_ns / 1000), (unsigned long long)(m->min_ns % 1000),
                    m->rounds);
        }
        if (used >= sizeof(json))
            continue;
        if (m->err)
            used += (size_t)ksnprintf(
                json + used, sizeof(json) - used,
                "%s{\"metric\": \"%s\", \"what\": \"%s\", \"rounds\": %u, \"error\": \"%s\"}",
                i ? ", " : "", m->name, m->what, m->rounds, keel_errname(m->err));
        else
            used += (size_t)ksnprintf(json + used, sizeof(json) - used,
                                      "%s{\"metric\": \"%s\", \"what\": \"%s\", \"rounds\": %u, "
                                      "\"median_ns\": %llu, \"p99_ns\": %llu, \"min_ns\": %llu}",
                                      i ? ", " : "", m->name, m->what, m->rounds,
                                      (unsigned long long)m->median_ns,
                                      (unsigned long long)m->p99_ns, (unsigned long long)m->min_ns);
    }
    if (used < sizeof(json))
        ksnprintf(json + used, sizeof(json) - used, "]}");
    kprintf("BENCH_JSON %s\n", json);
    return 0;
}

KEEL_CELL(.name = "taskbench", .version = KEEL_CELL_VERSION, .init = taskbench_init);
