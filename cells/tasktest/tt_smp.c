/* Tasks on several CPUs: a task the suite's CPU cannot run now goes to another one; affinity
 * keeps a task where it is told; a task moves itself; tasks on different CPUs really run at the
 * same time and a mutex still excludes. With one CPU online each test checks the refusals that
 * remain meaningful and says it had one CPU. */
#include <keel/atomic.h>
#include <keel/clock.h>
#include <keel/console.h>
#include <keel/cpu.h>
#include <keel/errno.h>
#include <keel/sync.h>
#include "tt.h"

#define ROUNDS 20000

static volatile int flag;
static volatile unsigned ran_on;

static int entry_where(const void *arg, void *ret)
{
    (void)arg;
    (void)ret;
    ran_on = cpu_self();
    flag = 1;
    return 0;
}

/* Spawn with an explicit affinity (tasktest_spawn pins to the suite's CPU). */
static int spawn_on(uint32_t cpus, unsigned prio, task_entry_fn entry, const void *arg,
                    size_t arg_size, task_id_t *id)
{
    struct task_spec spec = {.name = "tt_smp",
                             .entry = entry,
                             .arg = arg,
                             .arg_size = arg_size,
                             .priority = prio,
                             .cpus = cpus};
    return task_spawn(&spec, id);
}

void tasktest_t_smp_spread(void)
{
    unsigned n = cpu_count();
    CHECK(task_set_cpus(1u << n) == (n < 32 ? KE_RANGE : 0), "a mask of no online CPU accepted");
    if (n < 2) {
        kprintf("tasktest: smp_spread: one CPU online\n");
        return;
    }
    /* The suite is pinned to CPU 0 and busy here: a new task of its own priority that may run
     * anywhere is started by an idle CPU, not queued behind the suite. */
    flag = 0;
    ran_on = 99;
    task_id_t id;
    struct task_result r;
    int e = spawn_on(0, tasktest_self_priority(), entry_where, 0, 0, &id);
    REQUIRE(e == 0, "spawn: %s", tasktest_err(e));
    uint64_t t0 = clock_ns();
    while (!flag && clock_ns() - t0 < TT_MS(2000))
        ; /* busy: the suite never leaves CPU 0, so only another CPU can run it */
    CHECK(flag, "an unpinned task did not run on another CPU while the suite kept CPU 0 busy");
    CHECK(ran_on != 0 && ran_on < n, "it ran on CPU %u", ran_on);
    e = tasktest_join(id, &r);
    CHECK(e == 0, "join: %s", tasktest_err(e));
}

void tasktest_t_smp_affinity(void)
{
    unsigned n = cpu_count();
    task_id_t id;
    struct task_result r;
    CHECK(spawn_on(1u << n, 0, entry_where, 0, 0, &id) == (n < 32 ? KE_RANGE : 0),
          "a spawn on no online CPU accepted");
    for (unsigned cpu = 0; cpu < n; cpu++) {
        flag = 0;
        ran_on = 99;
        int e = spawn_on(1u << cpu, 0, entry_where, 0, 0, &id);
        REQUIRE(e == 0, "spawn on CPU %u: %s", cpu, tasktest_err(e));
        e = tasktest_join(id, &r);
        CHECK(e == 0, "join: %s", tasktest_err(e));
        CHECK(ran_on == cpu, "a task pinned to CPU %u ran on CPU %u", cpu, ran_on);
    }
}

void tasktest_t_smp_move_self(void)
{
    unsigned n = cpu_count();
    for (unsigned cpu = n; cpu-- > 0;) {
        CHECK(task_set_cpus(1u << cpu) == 0, "task_set_cpus(CPU %u) refused", cpu);
        unsigned now = cpu_self();
        CHECK(now == cpu, "asked for CPU %u, running on CPU %u", cpu, now);
        struct task_info ti;
        CHECK(task_info(task_self(), &ti) == 0 && ti.cpu == cpu && ti.cpus == 1u << cpu,
              "task_info: cpu %u, cpus 0x%x", ti.cpu, ti.cpus);
    }
    CHECK(task_set_cpus(tasktest_cpus) == 0 && cpu_self() == 0, "back on the suite's CPU");
}

/* Two tasks on two CPUs: an atomic counter and a mutex-protected plain counter, ROUNDS each. */
static atomic_u64 atomic_total;
static uint64_t locked_total;
static struct mutex lock = MUTEX_INIT;
static volatile int go;

static int entry_count(const void *arg, void *ret)
{
    (void)arg;
    (void)ret;
    while (!go)
        task_yield();
    for (unsigned i = 0; i < ROUNDS; i++) {
        atomic_fetch_add_u64(&atomic_total, 1, MO_RELAXED);
        if (mutex_lock(&lock) != 0)
            return 1;
        uint64_t v = locked_total; /* a read-modify-write that only the lock keeps whole */
        locked_total = v + 1;
        mutex_unlock(&lock);
    }
    return 0;
}

void tasktest_t_smp_concurrent_mutex(void)
{
    unsigned n = cpu_count();
    unsigned k = n < 2 ? 1 : 2;
    atomic_store_u64(&atomic_total, 0, MO_RELAXED);
    locked_total = 0;
    go = 0;
    task_id_t ids[2];
    for (unsigned i = 0; i < k; i++) {
        int e = spawn_on(1u << (n < 2 ? 0 : i), 0, entry_count, 0, 0, &ids[i]);
        REQUIRE(e == 0, "spawn: %s", tasktest_err(e));
    }
    go = 1;
    for (unsigned i = 0; i < k; i++) {
        struct task_result r;
        int e = tasktest_join(ids[i], &r);
        CHECK(e == 0 && r.how == TASK_RETURNED && r.status == 0, "counter %u: %s, %s", i,
              tasktest_err(e), tasktest_how(r.how));
    }
    CHECK(atomic_load_u64(&atomic_total, MO_RELAXED) == (uint64_t)k * ROUNDS,
          "atomic counter %llu, expected %llu",
          (unsigned long long)atomic_load_u64(&atomic_total, MO_RELAXED),
          (unsigned long long)k * ROUNDS);
    CHECK(locked_total == (uint64_t)k * ROUNDS, "mutex-protected counter %llu, expected %llu",
          (unsigned long long)locked_total, (unsigned long long)k * ROUNDS);
}

/* A fault on CPU 1 kills only its task while the suite keeps running on CPU 0; CPU 1 runs the
 * next task normally. */
int tasktest_fault_null(const void *arg, void *ret); /* tt_fault.c */

void tasktest_t_smp_fault_other_cpu(void)
{
    unsigned n = cpu_count();
    if (n < 2) {
        kprintf("tasktest: smp_fault_other_cpu: one CPU online\n");
        CHECK(cpu_self() == 0, "one CPU, and it is not CPU 0");
        return;
    }
    task_id_t id;
    struct task_result r;
    int e = spawn_on(1u << 1, 0, tasktest_fault_null, 0, 0, &id);
    REQUIRE(e == 0, "spawn: %s", tasktest_err(e));
    uint64_t spins = 0;
    struct task_info ti;
    while (task_info(id, &ti) == 0 && ti.state != TASK_DEAD && spins < 100000000ull)
        spins++; /* the suite keeps CPU 0 busy meanwhile: it is not stopped by the fault */
    e = tasktest_join(id, &r);
    CHECK(e == 0 && r.how == TASK_FAULTED && r.fault.vector == 14,
          "the task on CPU 1 ended %s (vector %u), not faulted with a page fault",
          tasktest_how(r.how), r.fault.vector);
    CHECK(tasktest_contains(r.fault.where, "tasktest_fault_null+"), "fault at %s", r.fault.where);
    CHECK(cpu_self() == 0 && spins > 0, "the suite did not keep running on CPU 0");
    flag = 0;
    ran_on = 99;
    e = spawn_on(1u << 1, 0, entry_where, 0, 0, &id);
    REQUIRE(e == 0, "spawn after the fault: %s", tasktest_err(e));
    e = tasktest_join(id, &r);
    CHECK(e == 0 && r.how == TASK_RETURNED && ran_on == 1, "CPU 1 after the fault: %s, CPU %u",
          tasktest_how(r.how), ran_on);
}
