/* The CPU table's nano-core side (arch/cpu.c, arch/smp_boot.c). */
#ifndef KEEL_ARCH_CPU_H
#define KEEL_ARCH_CPU_H
#include <stdbool.h>
#include <stdint.h>
#include <keel/core/cpu_local.h>

/* The boot CPU's per-CPU data, in the GS base: the first thing kmain does. */
void cpu_local_init_boot(void);
/* Then its GDT/TSS (its APIC id is set by smp_start). */
void cpu_set_boot_arch(struct cpu_arch *a);
/* Point this CPU's GS base at c. */
void cpu_local_activate(struct cpu_local *c);
/* A started application processor joins the table (index = the next free one). */
void cpu_add(struct cpu_local *c);
/* A panic: stop every other CPU (an NMI each; they halt with interrupts off) so that the report
 * is the last thing that happens. cpu_stopping() tells the NMI handler why it was sent. */
void cpu_stop_others(void);
bool cpu_stopping(void);
_Noreturn void cpu_halt_here(void);
/* The call IPI's handler, and the stop-the-world IPI's (arch/world.c). */
int cpu_call_init(void);
int world_init(void);

#endif
