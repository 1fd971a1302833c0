/* schedload: tasks that would notice if a swap of the scheduler policy disturbed them, and a
 * probe that shows which policy is in place (docs/smp.md, "Swapping the policy").
 *
 *   run schedload start   start the load: per CPU, a producer and a consumer over a channel
 *                         (sequence numbers that must arrive in order) and two workers of
 *                         different priorities that count into a mutex-protected total and
 *                         their own tallies, yielding and sleeping now and then
 *   run schedload         how far the load has got
 *   run schedload stop    stop it, join every task and check: each ended normally and made
 *                         progress, nothing arrived out of order, the total equals the tallies
 *   run schedload probe   a priority-1 task and a priority-7 one that spins 200 ms, both on
 *                         CPU 0: how often the low one ran during the spin (never under the
 *                         priority policy, at every tick under round robin)
 *
 * Exit status 0, or 1 when a check failed (the line says which). */
#include <keel/argv.h>
#include <keel/cell.h>
#include <keel/channel.h>
#include <keel/clock.h>
#include <keel/console.h>
#include <keel/cpu.h>
#include <keel/errno.h>
#include <keel/string.h>
#include <keel/sync.h>
#include <keel/task.h>

#define MAX_TASKS (CPU_MAX * 4)

enum role { PRODUCER, CONSUMER, WORKER };

struct slot {
    enum role role;
    task_id_t id;
    struct channel *ch; /* producer/consumer pair */
    uint64_t rounds;    /* its own progress */
    uint64_t out_of_order;
};

static struct {
    bool running;
    unsigned n;
    struct slot slots[MAX_TASKS];
    struct channel *chans[CPU_MAX];
    unsigned nchans;
    struct mutex lock;
    uint64_t total; /* under lock */
    volatile bool stop;
} L = {.lock = MUTEX_INIT};

static int producer(const void *arg, void *ret)
{
    (void)ret;
    struct slot *s = *(struct slot *const *)arg;
    for (uint64_t seq = 1; !L.stop; seq++) {
        int r = channel_send(s->ch, &(struct channel_msg){.word = seq});
        if (r)
            return r == KE_CLOSED ? 0 : r;
        __atomic_store_n(&s->rounds, seq, __ATOMIC_RELAXED);
        if (seq % 16 == 0)
            task_sleep_ns(200 * 1000); /* leave the CPUs idle now and then: lower priorities run */
    }
    return 0;
}

static int consumer(const void *arg, void *ret)
{
    (void)ret;
    struct slot *s = *(struct slot *const *)arg;
    uint64_t expect = 1;
    for (;;) {
        struct channel_msg m;
        int r = channel_recv(s->ch, &m);
        if (r)
            return r == KE_CLOSED ? 0 : r;
        if (m.word != expect)
            s->out_of_order++;
        expect = m.word + 1;
        __atomic_store_n(&s->rounds, s->rounds + 1, __ATOMIC_RELAXED);
    }
}

static int worker(const void *arg, void *ret)
{
    (void)ret;
    struct slot *s = *(struct slot *const *)arg;
    while (!L.stop) {
        int r = mutex_lock(&L.lock);
        if (r)
            return r;
        L.total++;
        mutex_unlock(&L.lock);
        uint64_t n = s->rounds + 1;
        __atomic_store_n(&s->rounds, n, __ATOMIC_RELAXED);
        if (n % 16 == 0)
            task_sleep_ns(200 * 1000);
        else
            task_yield();
    }
    return 0;
}

static int spawn_slot(enum role role, unsigned priority, struct channel *ch, const char *name)
{
    struct slot *s = &L.slots[L.n];
    *s = (struct slot){.role = role, .ch = ch};
    task_entry_fn entry = role == PRODUCER ? producer : role == CONSUMER ? consumer : worker;
    struct task_spec spec = {
        .name = name, .entry = entry, .arg = &s, .arg_size = sizeof(s), .priority = priority};
    int r = task_spawn(&spec, &s->id);
    if (!r)
        L.n++;
    return r;
}

static int finish(bool report);

static int start(void)
{
    if (L.running) {
        kprintf("schedload: already running (%u tasks); `run schedload stop` first\n", L.n);
        return 1;
    }
    L.stop = false;
    L.n = L.nchans = 0;
    L.total = 0;
    unsigned cpus = cpu_count();
    int r = 0;
    for (unsigned i = 0; i < cpus && !r; i++) {
        struct channel *ch;
        r = channel_create(CHANNEL_ASYNC, 8, &ch);
        if (r)
            break;
        L.chans[L.nchans++] = ch;
        if (!(r = spawn_slot(PRODUCER, TASK_PRIO_DEFAULT, ch, "load-producer")) &&
            !(r = spawn_slot(CONSUMER, TASK_PRIO_DEFAULT, ch, "load-consumer")) &&
            !(r = spawn_slot(WORKER, TASK_PRIO_DEFAULT - 1, 0, "load-worker-lo")))
            r = spawn_slot(WORKER, TASK_PRIO_DEFAULT + 1, 0, "load-worker-hi");
    }
    L.running = true;
    if (r) {
        kprintf("schedload: could not start the load: %s\n", keel_strerror(r));
        finish(false);
        return 1;
    }
    kprintf("schedload: %u tasks on %u CPU%s\n", L.n, cpus, cpus == 1 ? "" : "s");
    return 0;
}

static uint64_t sum_rounds(enum role role)
{
    uint64_t n = 0;
    for (unsigned i = 0; i < L.n; i++)
        if (L.slots[i].role == role)
            n += __atomic_load_n(&L.slots[i].rounds, __ATOMIC_RELAXED);
    return n;
}

static int status(void)
{
    if (!L.running) {
        kprintf("schedload: not running (`run schedload start`)\n");
        return 0;
    }
    unsigned waiting = 0;
    for (unsigned i = 0; i < L.n; i++)
        waiting += !__atomic_load_n(&L.slots[i].rounds, __ATOMIC_RELAXED);
    kprintf("schedload: %u tasks (%u yet to make progress), %llu messages, %llu worker rounds\n",
            L.n, waiting, (unsigned long long)sum_rounds(CONSUMER),
            (unsigned long long)sum_rounds(WORKER));
    return 0;
}

/* Stop the load and join every task; with report, check and say how it went. */
static int finish(bool report)
{
    L.stop = true;
    for (unsigned i = 0; i < L.nchans; i++)
        channel_close(L.chans[i]);
    unsigned bad_end = 0, idle = 0;
    uint64_t disorder = 0;
    for (unsigned i = 0; i < L.n; i++) {
        struct task_result res;
        int r = task_join(L.slots[i].id, &res);
        if (r || res.how != TASK_RETURNED || res.status != 0) {
            bad_end++;
            kprintf("schedload: task %llu ended badly (%s, status %d)\n",
                    (unsigned long long)L.slots[i].id, r ? keel_strerror(r) : "not returned",
                    r ? 0 : res.status);
        }
        if (!L.slots[i].rounds)
            idle++;
        disorder += L.slots[i].out_of_order;
    }
    for (unsigned i = 0; i < L.nchans; i++)
        channel_destroy(L.chans[i]);
    uint64_t tallies = sum_rounds(WORKER);
    unsigned n = L.n;
    L.running = false;
    L.n = L.nchans = 0;
    if (!report)
        return 0;
    kprintf("schedload: %u tasks ended, %u badly, %u without progress; %llu messages, %llu out of "
            "order; total %llu, tallies %llu\n",
            n, bad_end, idle, (unsigned long long)sum_rounds(CONSUMER),
            (unsigned long long)disorder, (unsigned long long)L.total, (unsigned long long)tallies);
    bool ok = !bad_end && !idle && !disorder && L.total == tallies;
    kprintf("schedload: %s\n", ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}

/* --- probe --------------------------------------------------------------------------------- */

#define PROBE_SPIN_NS (200ull * 1000 * 1000)

static volatile bool probe_spinning, probe_done;
static uint64_t probe_low_runs;

static int probe_high(const void *arg, void *ret)
{
    (void)arg;
    (void)ret;
    probe_spinning = true;
    uint64_t end = clock_ns() + PROBE_SPIN_NS;
    while (clock_ns() < end)
        __asm__ volatile("pause");
    probe_spinning = false;
    return 0;
}

static int probe_low(const void *arg, void *ret)
{
    (void)arg;
    (void)ret;
    while (!probe_done) {
        if (probe_spinning)
            probe_low_runs++;
        task_yield();
    }
    return 0;
}

static int probe(void)
{
    probe_spinning = probe_done = false;
    probe_low_runs = 0;
    struct task_spec low = {
        .name = "probe-low", .entry = probe_low, .priority = TASK_PRIO_MIN, .cpus = 1u << 0};
    struct task_spec high = {
        .name = "probe-high", .entry = probe_high, .priority = TASK_PRIO_MAX, .cpus = 1u << 0};
    task_id_t lo, hi;
    struct task_result res;
    int r = task_spawn(&low, &lo);
    if (r) {
        kprintf("schedload: probe: %s\n", keel_strerror(r));
        return 1;
    }
    r = task_spawn(&high, &hi);
    if (!r)
        r = task_join(hi, &res);
    probe_done = true;
    int r2 = task_join(lo, &res);
    if (r || r2) {
        kprintf("schedload: probe: %s\n", keel_strerror(r ? r : r2));
        return 1;
    }
    kprintf("schedload: probe: the priority-%u task ran %llu times while a priority-%u one spun "
            "200 ms on CPU 0\n",
            TASK_PRIO_MIN, (unsigned long long)probe_low_runs, TASK_PRIO_MAX);
    return 0;
}

int schedload_main(const void *arg, void *ret)
{
    (void)ret;
    const char *argv[ARGV_MAX_ARGS];
    int argc = argv_from_arg(arg, argv, ARGV_MAX_ARGS);
    const char *usage = "usage: run schedload [start|stop|probe]\n";
    if (argc < 1 || argc > 2) {
        kprintf("schedload: too many arguments\n%s", usage);
        return 2;
    }
    if (argc == 1)
        return status();
    if (!strcmp(argv[1], "start"))
        return start();
    if (!strcmp(argv[1], "stop")) {
        if (!L.running) {
            kprintf("schedload: not running\n");
            return 1;
        }
        return finish(true);
    }
    if (!strcmp(argv[1], "probe"))
        return probe();
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        kprintf("%s  start  start the load\n  stop   stop it and check it\n"
                "  probe  show which policy is in place\n  (none) how far the load has got\n",
                usage);
        return 0;
    }
    kprintf("schedload: unknown subcommand '%s'\n%s", argv[1], usage);
    return 2;
}

static void schedload_exit(void)
{
    if (L.running)
        finish(false);
}

KEEL_CELL(.name = "schedload", .version = KEEL_CELL_VERSION, .exit = schedload_exit);
