/* What CPUID says about the TSC rate and the APIC timer's clock (Intel SDM vol. 2, CPUID leaves
 * 15H and 16H; the hypervisor timing leaf 40000010H of VMware, also offered by KVM/QEMU). */
#include <keel/errno.h>
#include <keel/core/x86.h>
#include "time/tsc_cpuid.h"

#define CPUID_HYPERVISOR_BIT (1u << 31) /* leaf 1 ECX */
#define LEAF_HV_BASE         0x40000000u
#define LEAF_HV_TIMING       0x40000010u
#define MIN_HZ               50000000ull    /* a TSC slower than 50 MHz is not believed */
#define MAX_HZ               20000000000ull /* nor one faster than 20 GHz */

static int plausible(uint64_t hz)
{
    return hz >= MIN_HZ && hz <= MAX_HZ;
}

/* The hypervisor timing leaf's registers, or 0 when the hypervisor's range does not reach it. */
static int hv_timing(uint32_t r[4])
{
    cpuid(1, 0, r);
    if (!(r[2] & CPUID_HYPERVISOR_BIT))
        return 0;
    cpuid(LEAF_HV_BASE, 0, r);
    if (r[0] < LEAF_HV_TIMING || r[0] > LEAF_HV_BASE + 0xffff)
        return 0;
    cpuid(LEAF_HV_TIMING, 0, r);
    return 1;
}

int tsc_hz_from_cpuid(uint64_t *hz, const char **source)
{
    uint32_t r[4];
    if (hv_timing(r) && plausible((uint64_t)r[0] * 1000)) {
        *hz = (uint64_t)r[0] * 1000; /* EAX: TSC kHz */
        *source = "cpuid 0x40000010 (hypervisor)";
        return 0;
    }
    cpuid(0, 0, r);
    uint32_t max = r[0];
    uint32_t base_mhz = 0;
    if (max >= 0x16) {
        cpuid(0x16, 0, r);
        base_mhz = r[0] & 0xffff;
    }
    if (max >= 0x15) {
        cpuid(0x15, 0, r); /* EAX denominator, EBX numerator, ECX crystal Hz */
        uint64_t f = 0;
        if (r[0] && r[1] && r[2]) {
            f = (uint64_t)r[2] * r[1] / r[0];
            if (plausible(f)) {
                *hz = f;
                *source = "cpuid 0x15 (crystal ratio)";
                return 0;
            }
        }
    }
    if (base_mhz && plausible((uint64_t)base_mhz * 1000000)) {
        *hz = (uint64_t)base_mhz * 1000000;
        *source = "cpuid 0x16 (base frequency)";
        return 0;
    }
    return KE_NOTSUP;
}

uint64_t apic_bus_hz_from_cpuid(void)
{
    uint32_t r[4];
    if (!hv_timing(r) || r[1] == 0)
        return 0;
    return (uint64_t)r[1] * 1000; /* EBX: APIC bus kHz */
}
