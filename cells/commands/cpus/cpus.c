/* cpus: the CPUs Keel runs on, one row each: index, local APIC id, state, timer ticks since the
 * CPU started and cpu_call functions it has run, and the scheduler policy in place.
 * `cpus --stop N [--json]`: stop the world N
 * times and print the round trips' distribution (a benchmark; tools/bench/swap.py reads the
 * JSON line). */
#include <stdbool.h>
#include <keel/command.h>
#include <keel/console.h>
#include <keel/cpu.h>
#include <keel/errno.h>
#include <keel/kmalloc.h>
#include <keel/sched_policy.h>
#include <keel/string.h>

#define STOP_MAX_ROUNDS 100000
#define STOP_WARMUP     5 /* unmeasured rounds first: QEMU translates the code on first use */

static bool parse_rounds(const char *s, unsigned *out)
{
    uint64_t v = 0;
    if (!*s)
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > STOP_MAX_ROUNDS)
            return false;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *out = (unsigned)v;
    return v >= 1 && v <= STOP_MAX_ROUNDS;
}

static void sort_u64(uint64_t *a, size_t n)
{
    for (size_t gap = n / 2; gap; gap /= 2) /* shellsort */
        for (size_t i = gap; i < n; i++)
            for (size_t j = i; j >= gap && a[j - gap] > a[j]; j -= gap) {
                uint64_t t = a[j];
                a[j] = a[j - gap];
                a[j - gap] = t;
            }
}

static int stop_bench(unsigned rounds, bool json)
{
    uint64_t *ns = kmalloc(sizeof(uint64_t) * (rounds > STOP_WARMUP ? rounds : STOP_WARMUP));
    if (!ns) {
        kprintf("cpus: out of memory for %u measurements\n", rounds);
        return 1;
    }
    unsigned timeouts = 0;
    int err = world_stop_bench(STOP_WARMUP, ns, &timeouts);
    if (!err)
        err = world_stop_bench(rounds, ns, &timeouts);
    if (err) {
        kprintf("cpus: stopping the world failed: %s\n", keel_strerror(err));
        kfree(ns);
        return 1;
    }
    sort_u64(ns, rounds);
    uint64_t p99 = ns[rounds * 99 / 100];
    const uint64_t q[4] = {ns[0], ns[rounds / 2], p99, ns[rounds - 1]};
    static const char *const label[4] = {"min", "median", "p99", "max"};
    unsigned n = cpu_count();
    kprintf("world stop + resume, %u CPU%s, %u rounds:", n, n == 1 ? "" : "s", rounds);
    for (int i = 0; i < 4; i++)
        kprintf("%s %s %llu.%llu us", i ? "," : "", label[i], (unsigned long long)(q[i] / 1000),
                (unsigned long long)(q[i] % 1000 / 100));
    if (timeouts)
        kprintf("; %u stop%s timed out and %s retried", timeouts, timeouts == 1 ? "" : "s",
                timeouts == 1 ? "was" : "were");
    kprintf("\n");
    if (json)
        kprintf("{\"world_stop\":{\"cpus\":%u,\"n\":%u,\"min_ns\":%llu,\"median_ns\":%llu,"
                "\"p99_ns\":%llu,\"max_ns\":%llu,\"timeouts\":%u}}\n",
                n, rounds, (unsigned long long)q[0], (unsigned long long)q[1],
                (unsigned long long)q[2], (unsigned long long)q[3], timeouts);
    kfree(ns);
    return 0;
}

static int usage(const char *why)
{
    kprintf("cpus: %s\nusage: %s\n", why, KEEL_COMMAND_USAGE);
    return 2;
}

int cmd_cpus_main(const void *arg, void *ret)
{
    (void)ret;
    const char *argv[ARGV_MAX_ARGS + 1];
    int argc = argv_from_arg(arg, argv, ARGV_MAX_ARGS + 1);
    if (argc < 1)
        return usage("bad argument block");
    if (argc > 1) {
        unsigned rounds = 0;
        bool json = false, stop = false;
        for (int i = 1; i < argc; i++) {
            if (strcmp(argv[i], "--json") == 0) {
                json = true;
            } else if (strcmp(argv[i], "--stop") == 0 && i + 1 < argc) {
                if (!parse_rounds(argv[++i], &rounds))
                    return usage("--stop needs a number of rounds from 1 to 100000");
                stop = true;
            } else if (strcmp(argv[i], "--stop") == 0) {
                return usage("--stop needs a number of rounds");
            } else {
                return usage("too many arguments");
            }
        }
        if (!stop)
            return usage("--json goes with --stop N");
        return stop_bench(rounds, json);
    }
    unsigned n = cpu_count();
    kprintf("%u CPU%s online; this command ran on CPU %u\n", n, n == 1 ? "" : "s", cpu_self());
    char policy[32];
    bool from_cell;
    sched_policy_current(policy, sizeof(policy), &from_cell);
    kprintf("scheduler policy: %s (%s)\n", policy,
            from_cell ? "the sched cell" : "the core's copy");
    kprintf("  CPU  APIC  STATE         TICKS     CALLS\n");
    for (unsigned i = 0; i < n; i++) {
        struct cpu_info ci;
        if (cpu_info(i, &ci))
            continue;
        kprintf("%5u %5u  %-7s %11llu %9llu\n", i, ci.apic_id, ci.online ? "online" : "offline",
                (unsigned long long)ci.ticks, (unsigned long long)ci.calls);
    }
    return 0;
}

KEEL_COMMAND_CELL("cpus");
