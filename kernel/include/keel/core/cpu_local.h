/* Per-CPU data: one struct cpu_local per CPU, found through the GS base (its first word points
 * at itself, so cpu_local() is one load). The boot CPU's is static and set before anything can
 * take a lock; each application processor's is allocated when it is started (arch/smp_boot.c). */
#ifndef KEEL_CORE_CPU_LOCAL_H
#define KEEL_CORE_CPU_LOCAL_H
#include <stdint.h>
#include <keel/atomic.h>
#include <keel/paging.h>

struct cpu_arch; /* its GDT and TSS (arch/gdt.c) */
struct trap_frame;

struct cpu_local {
    struct cpu_local *self; /* %gs:0 */
    unsigned index;         /* 0 = the boot CPU */
    uint32_t apic_id;
    unsigned spins_held; /* spinlocks held on this CPU (lib/spinlock.c) */
    atomic_u32 online;   /* set by the CPU itself once it takes interrupts */

    /* cpu_call's mailbox (arch/cpu.c): busy from the post until fn has returned. */
    atomic_u32 call_busy;
    void (*call_fn)(void *);
    void *call_arg;
    uint64_t calls; /* calls run here */

    uint64_t ticks; /* its own timer's ticks */
    /* While parked by a stop of the world (arch/world.c): the frame it was stopped in. */
    const struct trap_frame *volatile stopped_frame;
    struct cpu_arch *arch;
    struct kstack stack; /* an application processor's idle stack */
};

static inline struct cpu_local *cpu_local(void)
{
    struct cpu_local *c;
    __asm__ volatile("mov %%gs:0, %0" : "=r"(c));
    return c;
}

/* The CPU with this index (NULL for none started). */
struct cpu_local *cpu_local_of(unsigned index);

#endif
