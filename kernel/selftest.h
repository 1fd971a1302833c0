/* Boot-time self-tests selected by selftest=<name> on the kernel command line; the QEMU system
 * tests use them to provoke faults on purpose and to exercise the core in the guest. */
#ifndef KEEL_SELFTEST_H
#define KEEL_SELFTEST_H

void selftest_run(const char *name);
/* selftest_smp.c: the checks that failed, and a fault on CPU 1 (never returns on 2+ CPUs). */
unsigned selftest_cpu_call(void);
unsigned selftest_world_stop(void);
unsigned selftest_tlb_remap(void);
void selftest_ap_fault(void);

#endif
