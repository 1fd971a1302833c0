/* Fault containment: a CPU exception raised while a task runs cell code (or that overflowed a
 * task's stack into its guard page) kills only that task. The fault is reported and kept in the
 * fault log; the task ends as TASK_FAULTED, which releases what it held (task_finish). A fault
 * in the nano-core itself is not contained: the caller goes on to the panic report. */
#include <keel/clock.h>
#include <keel/console.h>
#include <keel/errno.h>
#include <keel/panic.h>
#include <keel/spinlock.h>
#include <keel/string.h>
#include <keel/export.h>
#include <keel/noscan.h>
#include "arch/trap.h"
#include "task_internal.h"

#define FAULT_LOG_SIZE 32

/* Diagnostic records: the addresses in them are not references (the reclaimer skips them). */
static struct task_fault_record fault_log[FAULT_LOG_SIZE] KEEL_NOSCAN;
static uint64_t fault_seq; /* records written so far */
static struct spinlock fault_lock = SPINLOCK_INIT;

void fault_log_add(const struct task *t, const struct task_fault *f)
{
    int irq = spin_lock(&fault_lock);
    struct task_fault_record *r = &fault_log[fault_seq % FAULT_LOG_SIZE];
    r->seq = ++fault_seq;
    r->time_ns = clock_ns();
    r->task = t->id;
    memcpy(r->task_name, t->name, sizeof(r->task_name));
    r->fault = *f;
    spin_unlock(&fault_lock, irq);
}

size_t task_fault_log(struct task_fault_record *out, size_t max)
{
    int irq = spin_lock(&fault_lock);
    size_t have = fault_seq < FAULT_LOG_SIZE ? (size_t)fault_seq : FAULT_LOG_SIZE;
    size_t n = have < max ? have : max;
    /* The newest n, oldest first. */
    for (size_t i = 0; i < n; i++)
        out[i] = fault_log[(fault_seq - n + i) % FAULT_LOG_SIZE];
    spin_unlock(&fault_lock, irq);
    return n;
}

static bool containable(unsigned vector)
{
    /* Not NMI (2) or machine check (18): those are about the machine, not the task. */
    return vector < 32 && vector != 1 && vector != 2 && vector != 18;
}

bool task_fault_contain(struct trap_frame *f, uint64_t cr2)
{
    struct task *t = task_current();
    /* The boot and idle tasks are the core's own: their faults are the core's. */
    if (!t || t == sched_idle_task() || t == sched_boot_task() || !containable((unsigned)f->vector))
        return false;
    /* Cell code is what runs in the cell area; anything else (kernel text, data, garbage) is the
     * core's business. A task that ran off its own stack dies wherever it was: the guard page
     * stopped it before it could touch anything else. */
    bool in_cell = f->rip >= CELL_AREA_BASE && f->rip - CELL_AREA_BASE < CELL_AREA_SIZE;
    bool overflow = (f->vector == 8 || f->vector == 14) && cr2 >= t->stack.guard &&
                    cr2 < t->stack.guard + PAGE_SIZE;
    if (!in_cell && !overflow)
        return false;
    struct task_fault tf = {
        .vector = (unsigned)f->vector,
        .error = f->error,
        .rip = f->rip,
        .cr2 = cr2,
        .rsp = f->rsp,
    };
    addr_describe(f->rip, tf.where, sizeof(tf.where));
    /* A guarded call (guard.c) in cell code: report it and return its error to the caller. */
    if (in_cell && t->guard && guard_catch(f, &tf)) {
        kprintf("\nkeel: task %llu '%s': guarded call faulted: CPU exception %u (%s) at "
                "0x%llx <%s>, cr2 0x%llx; the call returns KE_FAULT\n",
                (unsigned long long)t->id, t->name, tf.vector, exception_name(tf.vector),
                (unsigned long long)tf.rip, tf.where, (unsigned long long)cr2);
        fault_log_add(t, &tf);
        return true;
    }
    /* A task that dies holding a core spinlock would leave it taken forever: the core's fault. */
    if (spin_held_count())
        return false;
    kprintf("\nkeel: task %llu '%s' faulted: CPU exception %u (%s), error 0x%llx%s\n"
            "  rip 0x%016llx <%s>\n  cr2 0x%016llx rsp 0x%016llx\n"
            "  rax %016llx rbx %016llx rcx %016llx rdx %016llx\n"
            "  rsi %016llx rdi %016llx rbp %016llx r8  %016llx\nbacktrace:\n",
            (unsigned long long)t->id, t->name, tf.vector, exception_name(tf.vector),
            (unsigned long long)tf.error, overflow ? " (stack overflow)" : "",
            (unsigned long long)tf.rip, tf.where, (unsigned long long)cr2,
            (unsigned long long)f->rsp, (unsigned long long)f->rax, (unsigned long long)f->rbx,
            (unsigned long long)f->rcx, (unsigned long long)f->rdx, (unsigned long long)f->rsi,
            (unsigned long long)f->rdi, (unsigned long long)f->rbp, (unsigned long long)f->r8);
    if (!overflow)
        backtrace_print(f->rip, f->rbp);
    kprintf("keel: task %llu killed; the system carries on\n", (unsigned long long)t->id);
    fault_log_add(t, &tf);
    task_finish(TASK_FAULTED, KE_FAULT, &tf);
}

KEEL_EXPORT_FUNC(task_fault_log);
