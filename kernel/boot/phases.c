/* Boot phases: the TSC at the end of each step of kmain, turned into durations once the clock
 * knows the TSC's rate. */
#include <keel/clock.h>
#include <keel/format.h>
#include <keel/log.h>
#include <keel/core/x86.h>
#include "boot/phases.h"

#define MAX_PHASES 16

extern uint64_t boot_entry_tsc; /* boot/entry.S: TSC at the kernel entry */

static struct {
    const char *name;
    uint64_t tsc;
} phases[MAX_PHASES];
static unsigned phase_count;

void boot_phase(const char *name)
{
    if (phase_count < MAX_PHASES)
        phases[phase_count++] = (typeof(phases[0])){name, rdtsc()};
}

void boot_phases_log(void)
{
    char line[256];
    size_t len = 0;
    uint64_t prev = boot_entry_tsc;
    for (unsigned i = 0; i < phase_count && len < sizeof(line); i++) {
        uint64_t us = clock_tsc_to_ns(phases[i].tsc - prev) / 1000;
        int n = ksnprintf(line + len, sizeof(line) - len, "%s%s %llu us", i ? ", " : "",
                          phases[i].name, (unsigned long long)us);
        if (n < 0)
            break;
        len += (size_t)n;
        prev = phases[i].tsc;
    }
    if (len >= sizeof(line))
        len = sizeof(line) - 1;
    line[len] = 0;
    log_debug("boot: phases %s; total %llu us", line,
              (unsigned long long)(clock_tsc_to_ns(prev - boot_entry_tsc) / 1000));
}
