/* SMP bring-up (arch/smp_boot.c). */
#ifndef KEEL_ARCH_SMP_H
#define KEEL_ARCH_SMP_H
#include <keel/mb2.h>

/* Start the application processors the MADT lists, at most `limit` CPUs in all (0: every one);
 * returns how many CPUs are online (1 when there is nothing to start or it cannot be done). */
unsigned smp_start(const struct mb2_info *boot, unsigned limit);

#endif
