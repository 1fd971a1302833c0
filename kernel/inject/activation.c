/* Activation by debug register (Intel SDM vol. 3, "Debug registers"): DR0 holds the address,
 * DR7 enables it (L0) with its kind (R/W0: 00 execute, 11 read or write) and length (LEN0: 00 1
 * byte, 01 2, 11 4, 10 8; an execute breakpoint must be 1), DR6's B0 says it fired. DR0 watches
 * the fault: one fault at a time. DR1 is the --after-calls trigger: an execute breakpoint on a
 * function's entry whose hits the #DB handler counts, writing the fault at the Nth. The
 * --after-us trigger is a core task that sleeps, then writes. One CPU: the debug registers are
 * the system's, and code running with interrupts off cannot be overtaken by either trigger. */
#include <keel/clock.h>
#include <keel/core/tasking.h>
#include <keel/errno.h>
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

/* The deferred fault and its trigger (inject_trigger_*): touched with interrupts off or from
 * the #DB handler. */
static struct inject_deferred deferred;
static struct inject_trigger_state trig;
static enum { TRIG_NONE, TRIG_CALLS, TRIG_DELAY } trig_kind;
static uint64_t trig_calls_n;
static uint64_t trig_gen; /* a delay task applies only the trigger it was made for */
static task_id_t trig_task;

static void write_dr0(uint64_t v)
{
    __asm__ volatile("mov %0, %%dr0" ::"r"(v));
}
static void write_dr7(uint64_t v)
{
    dr7_shadow = v;
    __asm__ volatile("mov %0, %%dr7" ::"r"(v));
}
static void write_dr1(uint64_t v)
{
    __asm__ volatile("mov %0, %%dr1" ::"r"(v));
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

int inject_watch_arm(uint64_t addr, unsigned len, bool execute)
{
    if ((len != 1 && len != 2 && len != 4 && len != 8) || (addr & (len - 1)) ||
        (execute && len != 1))
        return KE_INVAL;
    uint64_t dr7 = DR7_L0 | DR7_LE | (execute ? DR7_RW_EXEC : DR7_RW_ACCESS) << DR7_RW0_SHIFT |
                   len_bits(len) << DR7_LEN0_SHIFT;
    int irq = irq_save();
    last_hit = (struct inject_hit){0};
    armed_execute = execute;
    uint64_t keep = dr7_shadow & DR7_DR1_BITS;
    write_dr7(keep);
    write_dr6(DR6_CLEAR);
    write_dr0(addr);
    write_dr7(dr7 | keep | (keep ? DR7_LE : 0));
    irq_restore(irq);
    return 0;
}

void inject_watch_disarm(void)
{
    int irq = irq_save();
    write_dr7(dr7_shadow & ~DR7_DR0_BITS);
    irq_restore(irq);
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
    trig.watch_armed = inject_watch_arm(d->watch_addr, d->watch_len, d->watch_execute) == 0;
    if (f && trig.watch_armed && d->watch_execute && d->watch_addr == f->rip) {
        record_hit(f);
        inject_watch_disarm();
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
    int irq = irq_save();
    int rc = trigger_prepare(d);
    if (!rc) {
        trig_kind = TRIG_CALLS;
        trig_calls_n = n;
        write_dr7(dr7_shadow & ~DR7_DR1_BITS);
        write_dr6(DR6_CLEAR);
        write_dr1(entry);
        write_dr7(dr7_shadow | DR7_L1 | DR7_LE | DR7_RW_EXEC << DR7_RW1_SHIFT);
    }
    irq_restore(irq);
    return rc;
}

static int delay_task(const void *arg, void *ret)
{
    (void)ret;
    const uint64_t *a = arg; /* [0] the delay in ns, [1] the trigger's generation */
    if (task_sleep_ns(a[0]))
        return 0; /* killed: the trigger was cancelled */
    int irq = irq_save();
    if (trig_kind == TRIG_DELAY && trig_gen == a[1] && trig.waiting) {
        apply_deferred(NULL);
        trig_kind = TRIG_NONE;
    }
    irq_restore(irq);
    return 0;
}

int inject_trigger_delay(const struct inject_deferred *d, uint64_t us)
{
    int irq = irq_save();
    int rc = trigger_prepare(d);
    if (!rc)
        trig_kind = TRIG_DELAY;
    uint64_t arg[2] = {us * 1000, trig_gen};
    irq_restore(irq);
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
    irq = irq_save();
    if (rc)
        trig_kind = TRIG_NONE; /* nothing will ever apply it: refused, nothing changed */
    else
        trig_task = id;
    irq_restore(irq);
    return rc;
}

void inject_trigger_get(struct inject_trigger_state *out)
{
    int irq = irq_save();
    *out = trig;
    if (trig_kind == TRIG_CALLS)
        out->calls = trig.calls;
    irq_restore(irq);
}

void inject_trigger_cancel(struct inject_trigger_state *out)
{
    int irq = irq_save();
    bool delay = trig_kind == TRIG_DELAY;
    task_id_t task = trig_task;
    write_dr7(dr7_shadow & ~DR7_DR1_BITS);
    trig_kind = TRIG_NONE;
    if (out)
        *out = trig;
    trig.waiting = false;
    irq_restore(irq);
    if (delay)
        (void)task_kill(task); /* it may have ended: then it applied or it will find nothing */
}

void inject_watch_hit(struct inject_hit *out)
{
    int irq = irq_save();
    *out = last_hit;
    irq_restore(irq);
}

bool inject_debug_trap(struct trap_frame *f)
{
    uint64_t dr6 = read_dr6();
    if (!(dr6 & (DR6_B0 | DR6_B1)))
        return false;
    write_dr6(DR6_CLEAR);
    bool b0_execute = armed_execute;
    if ((dr6 & DR6_B0) && (dr7_shadow & DR7_L0)) {
        write_dr7(dr7_shadow & ~DR7_DR0_BITS); /* first hit only: disarm before anything else */
        record_hit(f);
        /* An execute breakpoint is a fault, taken before the instruction: RF lets it run once.
         * A watchpoint is a trap, taken after the access: nothing to skip. */
        if (b0_execute)
            f->rflags |= RFLAGS_RF;
    }
    if ((dr6 & DR6_B1) && trig_kind == TRIG_CALLS) {
        f->rflags |= RFLAGS_RF; /* the entry runs (faulted or not) */
        if (++trig.calls >= trig_calls_n) {
            write_dr7(dr7_shadow & ~DR7_DR1_BITS);
            trig_kind = TRIG_NONE;
            apply_deferred(f);
        }
    }
    return true;
}
