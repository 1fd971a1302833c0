/* Monotonic time from the TSC (its rate from CPUID, else calibrated against the PIT at boot), and
 * the periodic tick of the local APIC timer. */
#ifndef KEEL_CLOCK_H
#define KEEL_CLOCK_H
#include <stdint.h>

/* Nanoseconds since the kernel entry; 0 until the clock is calibrated. */
uint64_t clock_ns(void);
/* Raw TSC and its frequency (Hz; 0 before calibration). Benchmarks use these. */
uint64_t clock_tsc(void);
uint64_t clock_tsc_hz(void);
/* Where the TSC rate came from: "cpuid 0x15 (crystal ratio)", "PIT", ... ("none" before). */
const char *clock_tsc_source(void);
/* Convert a TSC delta to nanoseconds. */
uint64_t clock_tsc_to_ns(uint64_t tsc_delta);
/* Busy-wait (for early boot and drivers). */
void clock_delay_ns(uint64_t ns);

/* Timer ticks since the APIC timer started, and its rate. */
uint64_t timer_ticks(void);
unsigned timer_hz(void);

/* Boot-time set-up (kernel/time/). */
int clock_init(void);
int apic_timer_init(unsigned hz);

#endif
