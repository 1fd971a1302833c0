/* The CPU table and cpu_call (keel/cpu.h). The boot CPU is CPU 0 from the first instruction of
 * kmain; application processors are added by arch/smp_boot.c as they come up. */
#include <keel/clock.h>
#include <keel/cpu.h>
#include <keel/errno.h>
#include <keel/export.h>
#include <keel/core/cpu_local.h>
#include <keel/core/tasking.h>
#include <keel/core/x86.h>
#include "arch/apic.h"
#include "arch/cpu.h"
#include "arch/trap.h"
#include "inject/activation.h"

#define MSR_GS_BASE 0xC0000101u

static struct cpu_local boot_cpu;
static struct cpu_local *cpus[CPU_MAX];
static atomic_u32 ncpus = {1};

void cpu_local_init_boot(void)
{
    boot_cpu.self = &boot_cpu;
    boot_cpu.index = 0;
    cpus[0] = &boot_cpu;
    cpu_local_activate(&boot_cpu);
}

void cpu_local_activate(struct cpu_local *c)
{
    wrmsr(MSR_GS_BASE, (uint64_t)(uintptr_t)c);
}

void cpu_set_boot_arch(struct cpu_arch *a)
{
    boot_cpu.arch = a;
    atomic_store_u32(&boot_cpu.online, 1, MO_RELEASE);
}

void cpu_add(struct cpu_local *c)
{
    /* Published before the count that makes it visible (readers load the count first). */
    cpus[c->index] = c;
    atomic_store_u32(&ncpus, c->index + 1, MO_RELEASE);
}

struct cpu_local *cpu_local_of(unsigned index)
{
    return index < cpu_count() ? cpus[index] : 0;
}

unsigned cpu_count(void)
{
    return atomic_load_u32(&ncpus, MO_ACQUIRE);
}

unsigned cpu_self(void)
{
    return cpu_local()->index;
}

uint32_t cpu_apic_id(unsigned cpu)
{
    struct cpu_local *c = cpu_local_of(cpu);
    return c ? c->apic_id : UINT32_MAX;
}

static atomic_u32 stopping;

void cpu_stop_others(void)
{
    if (cpu_count() > 1 && !atomic_exchange_u32(&stopping, 1, MO_SEQ_CST))
        apic_send_nmi_others();
}

bool cpu_stopping(void)
{
    return atomic_load_u32(&stopping, MO_ACQUIRE) != 0;
}

_Noreturn void cpu_halt_here(void)
{
    for (;;)
        __asm__ volatile("cli; hlt" ::: "memory");
}

int cpu_info(unsigned cpu, struct cpu_info *out)
{
    struct cpu_local *c = cpu_local_of(cpu);
    if (!c || !out)
        return KE_RANGE;
    out->apic_id = c->apic_id;
    out->online = atomic_load_u32(&c->online, MO_ACQUIRE) != 0;
    out->ticks = __atomic_load_n(&c->ticks, __ATOMIC_RELAXED);
    out->calls = __atomic_load_n(&c->calls, __ATOMIC_RELAXED);
    return 0;
}

/* The call IPI: run the posted function with interrupts off, then free the mailbox. */
static void call_irq(struct trap_frame *f)
{
    (void)f;
    struct cpu_local *c = cpu_local();
    apic_eoi();
    if (!atomic_load_u32(&c->call_busy, MO_ACQUIRE) || !c->call_fn)
        return; /* spurious: nothing posted */
    void (*fn)(void *) = c->call_fn;
    c->call_fn = 0;
    c->calls++;
    c->in_call = true;
    fn(c->call_arg);
    c->in_call = false;
    atomic_store_u32(&c->call_busy, 0, MO_RELEASE);
}

static void kick_irq(struct trap_frame *f)
{
    apic_eoi();
    sched_kick_irq(f);
}

void cpu_kick(unsigned cpu)
{
    struct cpu_local *c = cpu_local_of(cpu);
    if (c && c != cpu_local())
        apic_send_ipi(c->apic_id, VECTOR_KICK);
}

static void sync_irq(struct trap_frame *f)
{
    (void)f;
    apic_eoi();
    tlb_catch_up();
    inject_dr_catch_up();
}

void cpu_send_sync_ipi(unsigned cpu)
{
    struct cpu_local *c = cpu_local_of(cpu);
    if (c && c != cpu_local() && atomic_load_u32(&c->online, MO_ACQUIRE))
        apic_send_ipi(c->apic_id, VECTOR_SYNC);
}

int cpu_call_init(void)
{
    int err = irq_register(VECTOR_CALL, call_irq);
    if (!err)
        err = irq_register(VECTOR_KICK, kick_irq);
    return err ? err : irq_register(VECTOR_SYNC, sync_irq);
}

int cpu_call(unsigned cpu, void (*fn)(void *), void *arg)
{
    if (!fn)
        return KE_INVAL;
    struct cpu_local *c = cpu_local_of(cpu);
    if (!c || !atomic_load_u32(&c->online, MO_ACQUIRE))
        return KE_RANGE;
    int irq = irq_save();
    if (c == cpu_local()) {
        irq_restore(irq);
        return KE_INVAL;
    }
    uint32_t idle = 0;
    if (!atomic_cas_u32(&c->call_busy, &idle, 1, MO_ACQUIRE, MO_RELAXED)) {
        irq_restore(irq);
        return KE_BUSY;
    }
    c->call_fn = fn;
    c->call_arg = arg;
    atomic_fence(MO_SEQ_CST); /* the mailbox is written before the IPI can be taken */
    apic_send_ipi(c->apic_id, VECTOR_CALL);
    irq_restore(irq);
    return 0;
}

bool cpu_call_done(unsigned cpu)
{
    struct cpu_local *c = cpu_local_of(cpu);
    return !c || !atomic_load_u32(&c->call_busy, MO_ACQUIRE);
}

int cpu_call_wait(unsigned cpu, uint64_t timeout_ns)
{
    uint64_t start = clock_ns();
    while (!cpu_call_done(cpu)) {
        if (clock_ns() - start >= timeout_ns)
            return KE_TIMEDOUT;
        cpu_relax();
    }
    return 0;
}

KEEL_EXPORT_FUNC(cpu_count);
KEEL_EXPORT_FUNC(cpu_self);
KEEL_EXPORT_FUNC(cpu_apic_id);
KEEL_EXPORT_FUNC(cpu_info);
KEEL_EXPORT_FUNC(cpu_call);
KEEL_EXPORT_FUNC(cpu_call_done);
KEEL_EXPORT_FUNC(cpu_call_wait);
