/* Activation by debug register (Intel SDM vol. 3, "Debug registers"): DR0 holds the address,
 * DR7 enables it (L0) with its kind (R/W0: 00 execute, 11 read or write) and length (LEN0: 00 1
 * byte, 01 2, 11 4, 10 8; an execute breakpoint must be 1), DR6's B0 says it fired. DR0 watches
 * the fault: one fault at a time. DR1 is the --after-calls trigger: an execute breakpoint on a
 * function's entry whose hits the #DB handler counts, writing the fault at the Nth. The
 * --after-us trigger is a core task that sleeps, then writes.
 *
 * Several CPUs: each has its own debug registers. The values meant for all of them are kept here
 * (dr0_val, dr1_val, dr7_shadow) with a generation; every CPU loads them when it sees a new
 * generation (inject_dr_catch_up: at its tick, or at once on the catch-up IPI that an arming
 * task sends and waits for). A #DB on any CPU disarms locally and bumps the generation; the
 * first hit wins (act_lock serializes the handlers and the task-side calls). */
#include <keel/clock.h>
#include <keel/core/tasking.h>
#include <keel/errno.h>
#include <keel/cpu.h>
#include <keel/spinlock.h>
#include <keel/core/cpu_local.h>
#include <keel/core/x86.h>
#include "inject/activation.h"

#define DR7_L0         (1ull << 0)
#define DR7_LE         (1ull << 8) /* exact breakpoints, as the SDM recommends */
#define DR7_RW0_SHIFT  16
#define DR7_LEN0_SHIFT 18
#define DR7_RW_EXEC    0ull
#define DR7_RW_ACCESS  3ull
#define DR6_B0         (1ull << 0)
#define DR6_B1         (1ull << 1)
#define DR7_L1         (1ull << 2)
#define DR7_RW1_SHIFT  20
#define DR7_LEN1_SHIFT 22
#define DR7_DR0_BITS   (DR7_L0 | 0xfull << DR7_RW0_SHIFT)
#define DR7_DR1_BITS   (DR7_L1 | 0xfull << DR7_RW1_SHIFT)
#define DR6_CLEAR      0xffff0ff0ull /* DR6's value with no condition recorded */
#define RFLAGS_RF      (1ull << 16)  /* resume: the breakpoint does not fire again at once */

static struct inject_hit last_hit;
static bool armed_execute;
static uint64_t dr7_shadow; /* what DR7 holds: DR0's and DR1's enables are changed apart */
static uint64_t dr0_val, dr1_val;
static atomic_u64 dr_gen; /* bumped by every change of the three */
static struct spinlock act_lock = SPINLOCK_INIT;

/* The deferred fault and its trigger (inject_trigger_*): touched with interrupts off or from
 * the #DB handler. */
static struct inject_deferred deferred;
static struct inject_trigger_state trig;
static enum { TRIG_NONE, TRIG_CALLS, TRIG_DELAY } trig_kind;
static uint64_t trig_calls_n;
static uint64_t trig_gen; /* a delay task applies only the trigger it was made for */
static task_id_t trig_task;

static void load_dr0(uint64_t v)
{
    __asm__ volatile("mov %0, %%dr0" ::"r"(v));
}
static void load_dr1(uint64_t v)
{
    __asm__ volatile("mov %0, %%dr1" ::"r"(v));
}
static void load_dr7(uint64_t v)
{
    __asm__ volatile("mov %0, %%dr7" ::"r"(v));
}
/* Change what every CPU's register should hold, here at once, elsewhere at their catch-up. */
static void changed(void)
{
    uint64_t gen = atomic_fetch_add_u64(&dr_gen, 1, MO_RELEASE) + 1;
    atomic_store_u64(&cpu_local()->dr_seen, gen, MO_RELAXED);
}
static void write_dr0(uint64_t v)
{
    dr0_val = v;
    load_dr0(v);
    changed();
}
static void write_dr7(uint64_t v)
{
    dr7_shadow = v;
    load_dr7(v);
    changed();
}
static void write_dr1(uint64_t v)
{
    dr1_val = v;
    load_dr1(v);
    changed();
}

void inject_dr_catch_up(void)
{
    struct cpu_local *c = cpu_local();
    uint64_t gen = atomic_load_u64(&dr_gen, MO_ACQUIRE);
    if (atomic_load_u64(&c->dr_seen, MO_RELAXED) == gen)
        return;
    load_dr7(0); /* disabled while the addresses change */
    load_dr0(dr0_val);
    load_dr1(dr1_val);
    load_dr7(dr7_shadow);
    atomic_store_u64(&c->dr_seen, gen, MO_RELEASE);
}

/* After a change from a task (interrupts on): the other CPUs load it now, before the caller
 * goes on to run what is watched. Bounded: a CPU with interrupts off that long loads it at its
 * next tick. */
static void sync_others(void)
{
    unsigned n = cpu_count(), self = cpu_self();
    if (n < 2 || !(read_rflags() & (1u << 9)))
        return;
    uint64_t gen = atomic_load_u64(&dr_gen, MO_ACQUIRE);
    for (unsigned i = 0; i < n; i++)
        if (i != self)
            cpu_send_sync_ipi(i);
    uint64_t start = clock_ns();
    for (unsigned i = 0; i < n; i++) {
        struct cpu_local *c = cpu_local_of(i);
        while (i != self && c && atomic_load_u64(&c->dr_seen, MO_ACQUIRE) < gen &&
               clock_ns() - start < 20ull * 1000 * 1000)
            cpu_relax();
    }
}
static uint64_t read_dr6(void)
{
    uint64_t v;
    __asm__ volatile("mov %%dr6, %0" : "=r"(v));
    return v;
}
static void write_dr6(uint64_t v)
{
    __asm__ volatile("mov %0, %%dr6" ::"r"(v));
}

static uint64_t len_bits(unsigned len)
{
    switch (len) {
    case 1:
        return 0;
    case 2:
        return 1;
    case 4:
        return 3;
    default:
        return 2; /* 8 */
    }
}

/* With act_lock held (or from the #DB handler, which holds it). */
static int watch_arm_locked(uint64_t addr, unsigned len, bool execute)
{
    if ((len != 1 && len != 2 && len != 4 && len != 8) || (addr & (len - 1)) ||
        (execute && len != 1))
        return KE_INVAL;
    uint64_t dr7 = DR7_L0 | DR7_LE | (execute ? DR7_RW_EXEC : DR7_RW_ACCESS) << DR7_RW0_SHIFT |
                   len_bits(len) << DR7_LEN0_SHIFT;
    last_hit = (struct inject_hit){0};
    armed_execute = execute;
    uint64_t keep = dr7_shadow & DR7_DR1_BITS;
    write_dr7(keep);
    write_dr6(DR6_CLEAR);
    write_dr0(addr);
    write_dr7(dr7 | keep | (keep ? DR7_LE : 0));
    return 0;
}

static void watch_disarm_locked(void)
{
    write_dr7(dr7_shadow & ~DR7_DR0_BITS);
}

int inject_watch_arm(uint64_t addr, unsigned len, bool execute)
{
    int irq = spin_lock(&act_lock);
    int rc = watch_arm_locked(addr, len, execute);
    spin_unlock(&act_lock, irq);
    sync_others();
    return rc;
}

void inject_watch_disarm(void)
{
    int irq = spin_lock(&act_lock);
    watch_disarm_locked();
    spin_unlock(&act_lock, irq);
    sync_others();
}

static void record_hit(const struct trap_frame *f)
{
    if (last_hit.hit)
        return;
    last_hit.hit = true;
    last_hit.ns = clock_ns();
    last_hit.task = task_self();
    const char *name = task_current_name();
    size_t i = 0;
    for (; name[i] && i + 1 < sizeof(last_hit.task_name); i++)
        last_hit.task_name[i] = name[i];
    last_hit.task_name[i] = 0;
    last_hit.rip = f ? f->rip : 0;
}

/* Write the deferred fault through its aliases, read it back through the cell's mapping and arm
 * its watch. Interrupts off (or the #DB handler): no lock, no allocation, no page-table walk. f:
 * the frame of a #DB at the trigger's breakpoint (NULL from the delay task): when the watch is
 * an execute breakpoint on that very instruction, the resume flag would let it pass unseen, so
 * this execution is the activation and is recorded here. */
static void apply_deferred(const struct trap_frame *f)
{
    const struct inject_deferred *d = &deferred;
    /* The frames must still hold what was there when the fault was armed: if the cell went
     * meanwhile, they may be someone else's now, and the fault is not written. */
    for (unsigned i = 0; i < d->len; i++)
        if (*d->alias[i] != d->old_bytes[i]) {
            trig.waiting = false;
            trig.failed = true;
            return;
        }
    for (unsigned i = 0; i < d->len; i++)
        *d->alias[i] = d->new_bytes[i];
    bool same = true;
    for (unsigned i = 0; i < d->len; i++) {
        trig.read_back[i] = ((const volatile uint8_t *)(uintptr_t)d->addr)[i];
        same = same && trig.read_back[i] == d->new_bytes[i];
    }
    trig.waiting = false;
    trig.applied_ns = clock_ns();
    if (!same) {
        for (unsigned i = 0; i < d->len; i++)
            *d->alias[i] = d->old_bytes[i];
        trig.failed = true;
        return;
    }
    trig.applied = true;
    trig.watch_armed = watch_arm_locked(d->watch_addr, d->watch_len, d->watch_execute) == 0;
    if (f && trig.watch_armed && d->watch_execute && d->watch_addr == f->rip) {
        record_hit(f);
        watch_disarm_locked();
    }
}

static int trigger_prepare(const struct inject_deferred *d)
{
    if (trig_kind != TRIG_NONE)
        return KE_BUSY;
    deferred = *d;
    trig = (struct inject_trigger_state){.waiting = true};
    last_hit = (struct inject_hit){0};
    trig_gen++;
    return 0;
}

int inject_trigger_calls(const struct inject_deferred *d, uint64_t entry, uint64_t n)
{
    if (!n)
        return KE_INVAL;
    int irq = spin_lock(&act_lock);
    int rc = trigger_prepare(d);
    if (!rc) {
        trig_kind = TRIG_CALLS;
        trig_calls_n = n;
        write_dr7(dr7_shadow & ~DR7_DR1_BITS);
        write_dr6(DR6_CLEAR);
        write_dr1(entry);
        write_dr7(dr7_shadow | DR7_L1 | DR7_LE | DR7_RW_EXEC << DR7_RW1_SHIFT);
    }
    spin_unlock(&act_lock, irq);
    sync_others();
    return rc;
}

static int delay_task(const void *arg, void *ret)
{
    (void)ret;
    const uint64_t *a = arg; /* [0] the delay in ns, [1] the trigger's generation */
    if (task_sleep_ns(a[0]))
        return 0; /* killed: the trigger was cancelled */
    int irq = spin_lock(&act_lock);
    if (trig_kind == TRIG_DELAY && trig_gen == a[1] && trig.waiting) {
        apply_deferred(NULL);
        trig_kind = TRIG_NONE;
    }
    spin_unlock(&act_lock, irq);
    return 0;
}

int inject_trigger_delay(const struct inject_deferred *d, uint64_t us)
{
    int irq = spin_lock(&act_lock);
    int rc = trigger_prepare(d);
    if (!rc)
        trig_kind = TRIG_DELAY;
    uint64_t arg[2] = {us * 1000, trig_gen};
    spin_unlock(&act_lock, irq);
    if (rc)
        return rc;
    struct task_spec spec = {
        .name = "inject-delay",
        .entry = delay_task,
        .arg = arg,
        .arg_size = sizeof(arg),
        .flags = TASK_DETACHED,
    };
    task_id_t id;
    rc = task_spawn(&spec, &id);
    irq = spin_lock(&act_lock);
    if (rc)
        trig_kind = TRIG_NONE; /* nothing will ever apply it: refused, nothing changed */
    else
        trig_task = id;
    spin_unlock(&act_lock, irq);
    return rc;
}

void inject_trigger_get(struct inject_trigger_state *out)
{
    int irq = spin_lock(&act_lock);
    *out = trig;
    if (trig_kind == TRIG_CALLS)
        out->calls = trig.calls;
    spin_unlock(&act_lock, irq);
}

void inject_trigger_cancel(struct inject_trigger_state *out)
{
    int irq = spin_lock(&act_lock);
    bool delay = trig_kind == TRIG_DELAY;
    task_id_t task = trig_task;
    write_dr7(dr7_shadow & ~DR7_DR1_BITS);
    trig_kind = TRIG_NONE;
    if (out)
        *out = trig;
    trig.waiting = false;
    spin_unlock(&act_lock, irq);
    sync_others();
    if (delay)
        (void)task_kill(task); /* it may have ended: then it applied or it will find nothing */
}

void inject_watch_hit(struct inject_hit *out)
{
    int irq = spin_lock(&act_lock);
    *out = last_hit;
    spin_unlock(&act_lock, irq);
}

static void trap_locked(struct trap_frame *f, uint64_t dr6);

bool inject_debug_trap(struct trap_frame *f)
{
    uint64_t dr6 = read_dr6();
    if (!(dr6 & (DR6_B0 | DR6_B1)))
        return false;
    int irq = spin_lock(&act_lock);
    trap_locked(f, dr6);
    spin_unlock(&act_lock, irq);
    return true;
}

static void trap_locked(struct trap_frame *f, uint64_t dr6)
{
    write_dr6(DR6_CLEAR);
    /* An execute breakpoint is a fault, taken before the instruction: RF lets it run once (a
     * watchpoint is a trap, taken after the access; RF changes nothing for it). Set for any hit:
     * this CPU's registers may be a generation behind what is meant (disarmed elsewhere). */
    f->rflags |= RFLAGS_RF;
    if ((dr6 & DR6_B0) && (dr7_shadow & DR7_L0)) {
        write_dr7(dr7_shadow & ~DR7_DR0_BITS); /* first hit only: disarm before anything else */
        record_hit(f);
    }
    if ((dr6 & DR6_B1) && trig_kind == TRIG_CALLS) {
        if (++trig.calls >= trig_calls_n) {
            write_dr7(dr7_shadow & ~DR7_DR1_BITS);
            trig_kind = TRIG_NONE;
            apply_deferred(f);
        }
    }
    inject_dr_catch_up(); /* a hit on stale registers: take what is meant now */
}
