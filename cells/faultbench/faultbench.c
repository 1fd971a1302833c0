/* faultbench: the recovery latency benchmark (tools/bench/faults.py: `run faultbench bench`) and
 * single recovery trials for the tests (`run faultbench trial N`: fbvictim's task faults N times,
 * climbing the ladder; it prints how the task ended). The benchmark runs trials of fbvictim's
 * restartable task: for "task_restart" the task
 * faults once (the ladder's first rung restarts it); for "cell_reload" twice (the second fault
 * climbs to the second rung: fbvictim is reloaded from its pristine object before the task runs
 * again). Each trial's latency is from the last fault being taken (the fault log's time) to the
 * final incarnation running (its own clock reading), on the guest clock. Fault reports are kept
 * off the console meanwhile (a serial report takes milliseconds). Prints a line per metric and
 * "BENCH_JSON {...}". */
#include <keel/argv.h>
#include <keel/cell.h>
#include <keel/cells.h>
#include <keel/clock.h>
#include <keel/console.h>
#include <keel/errno.h>
#include <keel/format.h>
#include <keel/kmalloc.h>
#include <keel/recovery.h>
#include <keel/string.h>
#include <keel/task.h>

#define RESTART_ROUNDS 200
#define RELOAD_ROUNDS  50
#define LOG_MAX        32

void fbvictim_arm(uint32_t faults);
int fbvictim_run(const void *arg, void *ret);

struct metric {
    const char *name, *what;
    unsigned rounds, faults;
    uint64_t *samples;
    uint64_t median_ns, p99_ns, min_ns, max_ns;
    int err;
};

/* The time of the newest fault the log holds (the trial's last one), or 0. */
static uint64_t last_fault_ns(struct task_fault_record *log)
{
    size_t n = task_fault_log(log, LOG_MAX);
    for (size_t i = n; i-- > 0;)
        if (log[i].step == FAULT_STEP_ENDED && strcmp(log[i].fault.cell, "fbvictim") == 0)
            return log[i].fault.time_ns;
    return 0;
}

static int trial(const struct metric *m, struct task_fault_record *log, uint64_t *out)
{
    (void)recovery_reset("fbvictim"); /* each trial starts at the bottom of the ladder */
    task_fault_log_clear();
    fbvictim_arm(m->faults);
    struct task_spec spec = {.name = "fbvictim",
                             .entry = fbvictim_run,
                             .ret_size = sizeof(uint64_t),
                             .flags = TASK_RESTARTABLE,
                             .backoff_ns = 1 /* no back-off to speak of */};
    task_id_t id;
    int r = task_spawn(&spec, &id);
    if (r)
        return r;
    struct task_result res;
    if ((r = task_join(id, &res)))
        return r;
    uint64_t started = res.ret ? *(const uint64_t *)res.ret : 0;
    kfree(res.ret);
    if (res.how != TASK_RETURNED || res.restarts != m->faults)
        return KE_FAULT; /* not recovered as planned */
    uint64_t fault = last_fault_ns(log);
    if (!fault || started < fault)
        return KE_NOENT;
    *out = started - fault;
    return 0;
}

static void sort(uint64_t *a, unsigned n)
{
    for (unsigned i = 1; i < n; i++)
        for (unsigned j = i; j > 0 && a[j - 1] > a[j]; j--) {
            uint64_t t = a[j];
            a[j] = a[j - 1];
            a[j - 1] = t;
        }
}

static void run(struct metric *m, struct task_fault_record *log)
{
    m->samples = kmalloc(m->rounds * sizeof(uint64_t));
    if (!m->samples) {
        m->err = KE_NOMEM;
        return;
    }
    for (unsigned i = 0; i < m->rounds && !m->err; i++)
        m->err = trial(m, log, &m->samples[i]);
    if (m->err)
        return;
    sort(m->samples, m->rounds);
    m->median_ns = m->samples[m->rounds / 2];
    m->p99_ns =
        m->samples[(m->rounds * 99) / 100 < m->rounds ? (m->rounds * 99) / 100 : m->rounds - 1];
    m->min_ns = m->samples[0];
    m->max_ns = m->samples[m->rounds - 1];
}

static void us(char *buf, size_t n, uint64_t ns)
{
    ksnprintf(buf, n, "%llu.%03llu us", (unsigned long long)(ns / 1000),
              (unsigned long long)(ns % 1000));
}

static int bench(void)
{
    struct metric ms[] = {
        {.name = "task_restart",
         .what = "fault -> the restarted task runs",
         .rounds = RESTART_ROUNDS,
         .faults = 1},
        {.name = "cell_reload",
         .what = "2nd fault -> cell reloaded, task runs",
         .rounds = RELOAD_ROUNDS,
         .faults = 2},
    };
    struct task_fault_record *log = kmalloc(LOG_MAX * sizeof(*log));
    bool console = task_fault_console(false);
    for (unsigned k = 0; k < 2; k++) {
        if (!log)
            ms[k].err = KE_NOMEM;
        else
            run(&ms[k], log);
    }
    task_fault_console(console);
    kfree(log);
    char json[512];
    size_t at = ksnprintf(json, sizeof(json), "{\"benchmark\": \"faults\", \"metrics\": [");
    for (unsigned k = 0; k < 2; k++) {
        const struct metric *m = &ms[k];
        if (m->err) {
            kprintf("faultbench: %-12s %-40s failed: %s\n", m->name, m->what,
                    keel_strerror(m->err));
            at += ksnprintf(json + at, sizeof(json) - at,
                            "%s{\"metric\": \"%s\", \"rounds\": %u, \"error\": \"%s\"}",
                            k ? ", " : "", m->name, m->rounds, keel_errname(m->err));
        } else {
            char med[32], p99[32], min[32];
            us(med, sizeof(med), m->median_ns);
            us(p99, sizeof(p99), m->p99_ns);
            us(min, sizeof(min), m->min_ns);
            kprintf("faultbench: %-12s %-40s median %s  p99 %s  min %s (%u rounds)\n", m->name,
                    m->what, med, p99, min, m->rounds);
            at += ksnprintf(json + at, sizeof(json) - at,
                            "%s{\"metric\": \"%s\", \"rounds\": %u, \"median_ns\": %llu, "
                            "\"p99_ns\": %llu, \"min_ns\": %llu, \"max_ns\": %llu}",
                            k ? ", " : "", m->name, m->rounds, (unsigned long long)m->median_ns,
                            (unsigned long long)m->p99_ns, (unsigned long long)m->min_ns,
                            (unsigned long long)m->max_ns);
        }
        kfree(ms[k].samples);
    }
    ksnprintf(json + at, sizeof(json) - at, "]}");
    kprintf("BENCH_JSON %s\n", json);
    return ms[0].err || ms[1].err;
}

/* One trial: fbvictim's task faults `faults` times (0..9), each fault climbing fbvictim's ladder
 * (restart, reload, reload with dependents, give up). */
static int one_trial(unsigned faults)
{
    fbvictim_arm(faults);
    struct task_spec spec = {.name = "fbvictim",
                             .entry = fbvictim_run,
                             .ret_size = sizeof(uint64_t),
                             .flags = TASK_RESTARTABLE};
    task_id_t id;
    int r = task_spawn(&spec, &id);
    if (r) {
        kprintf("faultbench: cannot start fbvictim's task: %s (%s)\n", keel_strerror(r),
                keel_errname(r));
        return 1;
    }
    struct task_result res;
    if ((r = task_join(id, &res))) {
        kprintf("faultbench: join: %s\n", keel_strerror(r));
        return 1;
    }
    kfree(res.ret);
    const char *how = res.how == TASK_RETURNED  ? "returned"
                      : res.how == TASK_KILLED  ? "killed"
                      : res.how == TASK_FAULTED ? "faulted"
                                                : "exited";
    kprintf("faultbench: trial of %u faults: the task %s after %u restarts\n", faults, how,
            res.restarts);
    return res.how == TASK_RETURNED ? 0 : 1;
}

int faultbench_main(const void *arg, void *ret)
{
    (void)ret;
    const char *argv[4];
    int argc = argv_from_arg(arg, argv, 4);
    if (argc == 2 && strcmp(argv[1], "bench") == 0)
        return bench();
    if (argc == 3 && strcmp(argv[1], "trial") == 0 && argv[2][0] >= '0' && argv[2][0] <= '9' &&
        !argv[2][1])
        return one_trial((unsigned)(argv[2][0] - '0'));
    kprintf("usage: run faultbench bench | run faultbench trial <0..9>\n");
    return 2;
}

KEEL_CELL(.name = "faultbench", .version = 1);
