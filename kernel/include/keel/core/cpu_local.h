/* Per-CPU data: one struct cpu_local per CPU, found through the GS base (its first word points
 * at itself, so cpu_local() is one load). The boot CPU's is static and set before anything can
 * take a lock; each application processor's is allocated when it is started (arch/smp_boot.c). */
#ifndef KEEL_CORE_CPU_LOCAL_H
#define KEEL_CORE_CPU_LOCAL_H
#include <stddef.h>
#include <stdint.h>
#include <keel/atomic.h>
#include <keel/paging.h>

struct cpu_arch; /* its GDT and TSS (arch/gdt.c) */
struct trap_frame;
struct task;

struct cpu_local {
    struct cpu_local *self; /* %gs:0 */
    void *current_task;     /* %gs:8: the task running here (tasking/sched.c) */
    unsigned index;         /* 0 = the boot CPU */
    uint32_t apic_id;
    unsigned spins_held; /* spinlocks held on this CPU (lib/spinlock.c) */
    atomic_u32 online;   /* set by the CPU itself once it takes interrupts */

    /* cpu_call's mailbox (arch/cpu.c): busy from the post until fn has returned. */
    atomic_u32 call_busy;
    void (*call_fn)(void *);
    void *call_arg;
    uint64_t calls; /* calls run here */
    bool in_call;   /* running one now */

    uint64_t ticks;      /* its own timer's ticks */
    atomic_u64 tlb_seen; /* the last unmapping generation its TLB has caught up with */
    atomic_u64 dr_seen;  /* the last debug-register generation it loaded (inject/activation.c) */
    /* While parked by a stop of the world (arch/world.c): the frame it was stopped in. */
    const struct trap_frame *volatile stopped_frame;
    struct cpu_arch *arch;
    struct kstack stack;    /* an application processor's idle stack */
    struct task *idle_task; /* and the task record of its start-up context */
};

static inline struct cpu_local *cpu_local(void)
{
    struct cpu_local *c;
    __asm__ volatile("mov %%gs:0, %0" : "=r"(c));
    return c;
}

/* The running task, in one instruction: a task that is moved to another CPU between two
 * instructions still reads its own CPU's value (itself). */
static inline void *cpu_local_current(void)
{
    void *t;
    __asm__ volatile("mov %%gs:8, %0" : "=r"(t));
    return t;
}

/* TLB shootdown (mem/paging.c): flush this CPU's TLB if a mapping was removed or narrowed since
 * it last did. Every switch and every tick call it; the TLB IPI too. */
void tlb_catch_up(void);
/* Ask CPU `cpu` to catch up now (the catch-up IPI: its TLB and its debug registers). */
void cpu_send_sync_ipi(unsigned cpu);

/* Send CPU `cpu` the reschedule IPI (the scheduler queued a task it should run now). */
void cpu_kick(unsigned cpu);

/* The CPU with this index (NULL for none started). */
struct cpu_local *cpu_local_of(unsigned index);

_Static_assert(offsetof(struct cpu_local, current_task) == 8, "cpu_local_current reads %gs:8");

#endif
