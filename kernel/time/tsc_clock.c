/* The monotonic clock: TSC ticks scaled to nanoseconds with a 32.32 fixed-point multiplier. The
 * TSC rate is the one CPUID states, else measured against PIT channel 2 in a few 2 ms windows
 * (time/pit_calibrate.c); clock_tsc_source() says which. */
#include <keel/clock.h>
#include <keel/errno.h>
#include <keel/core/x86.h>
#include <keel/export.h>
#include <keel/log.h>
#include "time/tsc_cpuid.h"

extern uint64_t boot_entry_tsc; /* boot/entry.S: TSC at the kernel entry */
static uint64_t tsc_hz;
static uint64_t ns_mult; /* ns = (tsc * ns_mult) >> 32 */
static const char *tsc_source = "none";

uint64_t clock_tsc(void)
{
    return rdtsc();
}

uint64_t clock_tsc_hz(void)
{
    return tsc_hz;
}

uint64_t clock_tsc_to_ns(uint64_t delta)
{
    return (uint64_t)(((unsigned __int128)delta * ns_mult) >> 32);
}

uint64_t clock_ns(void)
{
    if (!ns_mult)
        return 0;
    return clock_tsc_to_ns(rdtsc() - boot_entry_tsc);
}

void clock_delay_ns(uint64_t ns)
{
    uint64_t start = clock_ns();
    while (clock_ns() - start < ns)
        cpu_relax();
}

const char *clock_tsc_source(void)
{
    return tsc_source;
}

/* The rate CPUID states if it states one, else a short measurement against the PIT. */
int clock_init(void)
{
    uint64_t hz = 0;
    unsigned windows = 0;
    int err = tsc_hz_from_cpuid(&hz, &tsc_source);
    if (err) {
        err = pit_calibrate_tsc(&hz, &windows);
        if (err == KE_TIMEDOUT)
            return err;
        tsc_source = err ? "PIT (no two windows agreed)" : "PIT";
    }
    tsc_hz = hz;
    ns_mult = (1000000000ull << 32) / tsc_hz;
    /* Logged once the clock runs, so the lines carry timestamps. */
    log_info("clock: tsc %llu.%03llu MHz from %s", (unsigned long long)(hz / 1000000),
             (unsigned long long)(hz / 1000 % 1000), tsc_source);
    if (windows)
        log_debug("clock: %u PIT windows of 2 ms", windows);
    if (err)
        log_warn("clock: no two PIT windows agreed to %d ppm in %u; using the steadiest one",
                 PIT_AGREE_PPM, windows);
    return 0;
}

KEEL_EXPORT_FUNC(clock_ns);
KEEL_EXPORT_FUNC(clock_tsc);
KEEL_EXPORT_FUNC(clock_tsc_hz);
KEEL_EXPORT_FUNC(clock_tsc_to_ns);
