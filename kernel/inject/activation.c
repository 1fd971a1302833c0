/* Activation by debug register (Intel SDM vol. 3, "Debug registers"): DR0 holds the address,
 * DR7 enables it (L0) with its kind (R/W0: 00 execute, 11 read or write) and length (LEN0: 00 1
 * byte, 01 2, 11 4, 10 8; an execute breakpoint must be 1), DR6's B0 says it fired. Only DR0 is
 * used: one fault at a time. One CPU: the debug registers are the system's. */
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
#define DR6_CLEAR      0xffff0ff0ull /* DR6's value with no condition recorded */
#define RFLAGS_RF      (1ull << 16)  /* resume: the breakpoint does not fire again at once */

static struct inject_hit last_hit;
static bool armed_execute;

static void write_dr0(uint64_t v)
{
    __asm__ volatile("mov %0, %%dr0" ::"r"(v));
}
static void write_dr7(uint64_t v)
{
    __asm__ volatile("mov %0, %%dr7" ::"r"(v));
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
    write_dr7(0);
    write_dr6(DR6_CLEAR);
    write_dr0(addr);
    write_dr7(dr7);
    irq_restore(irq);
    return 0;
}

void inject_watch_disarm(void)
{
    write_dr7(0);
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
    if (!(dr6 & DR6_B0))
        return false;
    write_dr7(0); /* first hit only: disarm before anything else can touch the location */
    write_dr6(DR6_CLEAR);
    if (!last_hit.hit) {
        last_hit.hit = true;
        last_hit.ns = clock_ns();
        last_hit.task = task_self();
        const char *name = task_current_name();
        size_t i = 0;
        for (; name[i] && i + 1 < sizeof(last_hit.task_name); i++)
            last_hit.task_name[i] = name[i];
        last_hit.task_name[i] = 0;
        last_hit.rip = f->rip;
    }
    /* An execute breakpoint is a fault, taken before the instruction: RF lets it run once. A
     * watchpoint is a trap, taken after the access: nothing to skip. */
    if (armed_execute)
        f->rflags |= RFLAGS_RF;
    return true;
}
