/* cpus: the CPUs Keel runs on, one row each: index, local APIC id, state, timer ticks since the
 * CPU started and cpu_call functions it has run; and the scheduler policy in place. */
#include <keel/command.h>
#include <keel/console.h>
#include <keel/cpu.h>
#include <keel/sched_policy.h>

int cmd_cpus_main(const void *arg, void *ret)
{
    (void)ret;
    const char *argv[ARGV_MAX_ARGS + 1];
    int argc = argv_from_arg(arg, argv, ARGV_MAX_ARGS + 1);
    if (argc < 1) {
        kprintf("cpus: bad argument block\nusage: %s\n", KEEL_COMMAND_USAGE);
        return 2;
    }
    if (argc > 1) {
        kprintf("cpus: too many arguments\nusage: %s\n", KEEL_COMMAND_USAGE);
        return 2;
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
