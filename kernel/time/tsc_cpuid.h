/* The TSC and APIC timer rates the CPU (or its hypervisor) states in CPUID, and the short PIT
 * calibration used when it states none (kernel/time/). */
#ifndef KEEL_TIME_TSC_CPUID_H
#define KEEL_TIME_TSC_CPUID_H
#include <stdint.h>

/* The TSC rate from CPUID: the hypervisor timing leaf 0x40000010 (when the hypervisor's leaf
 * range reaches it), leaf 0x15 (crystal clock times the TSC/crystal ratio; with leaf 0x16's base
 * frequency for the crystal when 0x15 leaves it out), or leaf 0x16's base frequency. Returns 0
 * and sets *hz and *source (a static string naming the leaf), or KE_NOTSUP. */
int tsc_hz_from_cpuid(uint64_t *hz, const char **source);

/* The local-APIC timer's input clock from the hypervisor timing leaf (0x40000010 EBX), in Hz;
 * 0 when CPUID does not say. */
uint64_t apic_bus_hz_from_cpuid(void);

/* The TSC rate measured against PIT channel 2 over a few windows of about 2 ms, each bounded
 * by bracketing PIT count edges with TSC reads; two consecutive windows whose edges were pinned
 * down must agree to PIT_AGREE_PPM. Returns 0 and sets *hz (and *windows, the windows it
 * took); KE_RANGE if no two windows agreed (*hz is then the window whose edges were pinned down
 * best); KE_TIMEDOUT if the PIT does not count or no window gave a plausible rate. */
#define PIT_AGREE_PPM 500
int pit_calibrate_tsc(uint64_t *hz, unsigned *windows);

#endif
