/* The monotonic clock: TSC ticks scaled to nanoseconds with a 32.32 fixed-point multiplier, the
 * TSC rate measured against PIT channel 2 (a known 1.193182 MHz) over a 10 ms gate. */
#include <keel/clock.h>
#include <keel/errno.h>
#include <keel/core/x86.h>
#include <keel/export.h>

#define PIT_HZ       1193182ull
#define CALIBRATE_MS 10ull

extern uint64_t boot_entry_tsc; /* boot/entry.S: TSC at the kernel entry */
static uint64_t tsc_hz;
static uint64_t ns_mult; /* ns = (tsc * ns_mult) >> 32 */

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

/* One PIT one-shot of CALIBRATE_MS; returns the TSC ticks it took, or 0 if the PIT never fired. */
static uint64_t pit_measure_tsc(void)
{
    uint16_t count = (uint16_t)(PIT_HZ * CALIBRATE_MS / 1000);
    uint8_t ctl = inb(0x61);
    outb(0x61, (uint8_t)((ctl & ~0x02) | 0x01)); /* gate channel 2 on, speaker off */
    outb(0x43, 0xb0);                            /* channel 2, lo/hi byte, mode 0 */
    outb(0x42, (uint8_t)count);
    outb(0x42, (uint8_t)(count >> 8));
    uint64_t start = rdtsc();
    uint64_t end = start;
    /* Bounded: give up after ~100 million polls rather than hang on a missing PIT. */
    for (uint32_t i = 0; i < 100000000u; i++) {
        if (inb(0x61) & 0x20) {
            end = rdtsc();
            break;
        }
    }
    outb(0x61, ctl);
    return end - start;
}

int clock_init(void)
{
    uint64_t best = 0;
    /* Take the shortest of a few runs: an interruption (host scheduling under TCG) only lengthens.
     */
    for (int i = 0; i < 3; i++) {
        uint64_t t = pit_measure_tsc();
        if (t && (!best || t < best))
            best = t;
    }
    if (!best)
        return KE_TIMEDOUT;
    tsc_hz = best * 1000 / CALIBRATE_MS;
    ns_mult = (1000000000ull << 32) / tsc_hz;
    return 0;
}

KEEL_EXPORT_FUNC(clock_ns);
KEEL_EXPORT_FUNC(clock_tsc);
KEEL_EXPORT_FUNC(clock_tsc_hz);
KEEL_EXPORT_FUNC(clock_tsc_to_ns);
