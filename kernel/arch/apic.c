/* Local APIC timer: the periodic tick. The legacy 8259 PICs are remapped away from the exception
 * vectors and masked; the APIC timer's rate is the hypervisor's word (CPUID 0x40000010) or measured
 * against the TSC clock in 1 ms windows. */
#include <keel/clock.h>
#include <keel/console.h>
#include <keel/errno.h>
#include <keel/log.h>
#include <keel/paging.h>
#include "arch/trap.h"
#include <keel/core/x86.h>
#include <keel/export.h>
#include "time/tsc_cpuid.h"
#include "arch/apic.h"
#include "inject/activation.h"
#include <keel/core/cpu_local.h>

#define APIC_ID          0x020
#define APIC_SVR         0x0f0
#define APIC_ICR_LO      0x300
#define APIC_ICR_HI      0x310
#define ICR_PENDING      (1u << 12)
#define ICR_ASSERT       (1u << 14)
#define ICR_INIT         (5u << 8)
#define ICR_STARTUP      (6u << 8)
#define ICR_NMI          (4u << 8)
#define ICR_ALL_BUT_SELF (3u << 18)
#define APIC_EOI         0x0b0
#define APIC_LVT_TIMER   0x320
#define APIC_TIMER_INIT  0x380
#define APIC_TIMER_CUR   0x390
#define APIC_TIMER_DIV   0x3e0
#define LVT_MASKED       (1u << 16)
#define LVT_PERIODIC     (1u << 17)
#define APIC_WINDOWS     6

static volatile uint32_t *apic;
static volatile uint64_t ticks;
static unsigned tick_hz;
static uint32_t timer_initial; /* the periodic count every CPU's timer uses */

static uint32_t apic_read(unsigned reg)
{
    return apic[reg / 4];
}
static void apic_write(unsigned reg, uint32_t v)
{
    apic[reg / 4] = v;
}

uint64_t timer_ticks(void)
{
    return ticks;
}

unsigned timer_hz(void)
{
    return tick_hz;
}

static void (*tick_hook)(struct trap_frame *f);

/* The scheduler's part of every tick (it may switch tasks: the EOI is sent first). */
void timer_set_tick_hook(void (*hook)(struct trap_frame *f))
{
    tick_hook = hook;
}

static void timer_irq(struct trap_frame *f)
{
    struct cpu_local *c = cpu_local();
    c->ticks++;
    apic_write(APIC_EOI, 0);
    tlb_catch_up();
    inject_dr_catch_up();
    if (c->index == 0) {
        ticks++;               /* the system's tick count is the boot CPU's */
        console_poll_serial(); /* COM1 input is polled: no IOAPIC routing needed */
    }
    if (tick_hook)
        tick_hook(f);
}

uint32_t apic_self_id(void)
{
    return apic_read(APIC_ID) >> 24;
}

void apic_eoi(void)
{
    apic_write(APIC_EOI, 0);
}

/* Wait until the APIC has sent the last IPI (bounded: a wedged APIC must not hang a panic). */
static bool icr_idle(void)
{
    for (unsigned i = 0; i < 1000000; i++) {
        if (!(apic_read(APIC_ICR_LO) & ICR_PENDING))
            return true;
        cpu_relax();
    }
    return false;
}

static bool send_icr(uint32_t apic_id, uint32_t low)
{
    int irq = irq_save(); /* the two halves must not be split by an interrupt that sends too */
    bool ok = icr_idle();
    if (ok) {
        apic_write(APIC_ICR_HI, apic_id << 24);
        apic_write(APIC_ICR_LO, low);
        ok = icr_idle();
    }
    irq_restore(irq);
    return ok;
}

void apic_send_ipi(uint32_t apic_id, uint8_t vector)
{
    send_icr(apic_id, ICR_ASSERT | vector);
}

void apic_send_nmi_others(void)
{
    if (apic)
        send_icr(0, ICR_ALL_BUT_SELF | ICR_ASSERT | ICR_NMI);
}

bool apic_send_init(uint32_t apic_id)
{
    return send_icr(apic_id, ICR_ASSERT | ICR_INIT);
}

bool apic_send_startup(uint32_t apic_id, uint8_t page)
{
    return send_icr(apic_id, ICR_STARTUP | page);
}

void apic_ap_init(void)
{
    apic_write(APIC_SVR, 0x100 | VECTOR_SPURIOUS);
    apic_write(APIC_TIMER_DIV, 0x3); /* divide by 16, as on the boot CPU */
    apic_write(APIC_LVT_TIMER, LVT_PERIODIC | VECTOR_TIMER);
    apic_write(APIC_TIMER_INIT, timer_initial);
}

static void spurious_irq(struct trap_frame *f)
{
    (void)f; /* no EOI for spurious interrupts */
}

/* APIC timer ticks per second (after the divider) over one window of TSC time: the count is read
 * between two TSC reads at each end, and each end's time is the middle of its two reads. */
static uint64_t apic_window(uint64_t window_tsc)
{
    uint64_t t0 = rdtsc();
    apic_write(APIC_TIMER_INIT, 0xffffffffu);
    uint64_t t1 = rdtsc();
    while (rdtsc() - t0 < window_tsc)
        cpu_relax();
    uint64_t t2 = rdtsc();
    uint32_t elapsed = 0xffffffffu - apic_read(APIC_TIMER_CUR);
    uint64_t t3 = rdtsc();
    apic_write(APIC_TIMER_INIT, 0);
    uint64_t ns = clock_tsc_to_ns((t2 + t3) / 2 - (t0 + t1) / 2);
    return ns ? (uint64_t)elapsed * 1000000000ull / ns : 0;
}

/* Windows of 1 ms until two in a row agree to 0.1% (at most APIC_WINDOWS; then the last). */
static uint64_t apic_measure(void)
{
    uint64_t window_tsc = clock_tsc_hz() / 1000, prev = 0, f = 0;
    for (int i = 0; i < APIC_WINDOWS; i++) {
        f = apic_window(window_tsc);
        uint64_t d = f > prev ? f - prev : prev - f;
        if (prev && d * 1000 <= f)
            return (f + prev) / 2;
        prev = f;
    }
    log_warn("apic: no two 1 ms windows agreed to 0.1%%; using the last one");
    return f;
}

bool apic_present(void)
{
    return apic != 0;
}

/* Map and enable this CPU's local APIC (the other CPUs need it even without a timer). */
static int apic_enable(void)
{
    uint32_t r[4];
    cpuid(1, 0, r);
    if (!(r[3] & (1u << 9)))
        return KE_NOTSUP;
    uint64_t base = rdmsr(MSR_APIC_BASE);
    wrmsr(MSR_APIC_BASE, base | (1u << 11)); /* globally enabled */
    volatile uint32_t *regs = (volatile uint32_t *)mmio_map(base & ~0xfffull, 4096);
    if (!regs)
        return KE_NOMEM;
    int err = irq_register(VECTOR_TIMER, timer_irq);
    if (!err)
        err = irq_register(VECTOR_SPURIOUS, spurious_irq);
    if (err)
        return err;
    apic = regs;
    apic_write(APIC_SVR, 0x100 | VECTOR_SPURIOUS);
    return 0;
}

int apic_timer_init(unsigned hz)
{
    int err = apic_enable();
    if (err)
        return err;
    if (hz < 10 || hz > 10000)
        return KE_RANGE;
    if (!clock_tsc_hz())
        return KE_INVAL;

    apic_write(APIC_TIMER_DIV, 0x3); /* divide by 16 */
    apic_write(APIC_LVT_TIMER, LVT_MASKED | VECTOR_TIMER);
    const char *source = "cpuid 0x40000010";
    uint64_t per_second = apic_bus_hz_from_cpuid() / 16;
    if (!per_second) {
        source = "measured";
        per_second = apic_measure();
    }
    uint64_t initial = per_second / hz;
    if (initial == 0 || initial > 0xffffffffu)
        return KE_RANGE;

    tick_hz = hz;
    timer_initial = (uint32_t)initial;
    apic_write(APIC_LVT_TIMER, LVT_PERIODIC | VECTOR_TIMER);
    apic_write(APIC_TIMER_INIT, (uint32_t)initial);
    log_info("apic: timer %u Hz (bus %llu kHz / 16, %s)", hz,
             (unsigned long long)(per_second / 1000), source);
    return 0;
}

KEEL_EXPORT_FUNC(timer_ticks);
KEEL_EXPORT_FUNC(timer_hz);
