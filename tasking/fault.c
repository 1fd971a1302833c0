/* Fault containment: a CPU exception raised in a task's context kills only that task when the
 * fault is the task's own business:
 *  - in cell code (the cell area) with no spinlock held, or a stack overflow into the task's
 *    guard page;
 *  - in core code the task called (kprintf reading a bad %s, memcpy from a freed block), or at
 *    a bad address it jumped to (a wild function pointer), while it held no spinlock and no
 *    core mutex (one in the kernel image's data or bss, e.g. the cells mutex the loader holds)
 *    and ran with interrupts on. There the core's shared state is as consistent as at any
 *    preemption point: every change to it is made under a spinlock (interrupts off) or a core
 *    mutex, so nothing is left half done when the task goes.
 * The fault is reported (for core code: the core function and the cell call site that led
 * there), charged to a cell (charge(): docs/fault-injection.md), kept in the fault log (a ring,
 * fault_ring.c: one record per fault and per step taken) and the kernel log; the task ends as
 * TASK_FAULTED, which releases what it held (task_finish). The boot and idle tasks are the core's:
 * their faults are the core's. A fault that is not contained goes on to the panic report, with the
 * reason. */
#include <keel/clock.h>
#include <keel/console.h>
#include <keel/errno.h>
#include <keel/format.h>
#include <keel/log.h>
#include <keel/panic.h>
#include <keel/spinlock.h>
#include <keel/string.h>
#include <keel/export.h>
#include <keel/noscan.h>
#include <keel/core/trap.h>
#include "fault_ring.h"
#include "task_internal.h"

#define CALL_SITES_MAX  32 /* frames searched for the cell that called into the core */
#define VEC_DOUBLEFAULT 8
#define VEC_PAGEFAULT   14

extern char __text_start[], __text_end[]; /* kernel/linker.ld */
extern char __data_start[], __data_end[]; /* .data and .bss */

/* Diagnostic records: the addresses in them are not references (the reclaimer skips them). */
static struct fault_ring fault_log KEEL_NOSCAN;
static struct spinlock fault_lock = SPINLOCK_INIT;
/* The reason handed to the panic report (one CPU, and the system is going down). */
static char why_text[96];

void fault_log_add(const struct task *t, const struct task_fault *f, enum fault_step step,
                   int outcome, task_id_t new_task)
{
    /* Built on the stack, copied in under the lock: the ring slot is never half written. */
    struct task_fault_record r = {
        .time_ns = f->time_ns,
        .task = t->id,
        .kind = f->kind ? f->kind : FAULT_KIND_EXCEPTION,
        .step = step,
        .outcome = outcome,
        .new_task = new_task,
        .fault = *f,
    };
    memcpy(r.task_name, t->name, sizeof(r.task_name));
    uint64_t now = clock_ns();
    r.duration_ns = now > f->time_ns ? now - f->time_ns : 0;
    int irq = spin_lock(&fault_lock);
    fault_ring_put(&fault_log, &r);
    spin_unlock(&fault_lock, irq);
}

size_t task_fault_log(struct task_fault_record *out, size_t max)
{
    int irq = spin_lock(&fault_lock);
    uint64_t end = fault_log.written, first = fault_ring_first(&fault_log);
    spin_unlock(&fault_lock, irq);
    size_t have = (size_t)(end + 1 - first);
    size_t n = have < max ? have : max;
    /* The newest n, oldest first, one record at a time through a copy: out is the caller's
     * memory and is written with no lock held, so a bad pointer faults the caller alone. */
    for (size_t i = 0; i < n; i++) {
        struct task_fault_record r;
        irq = spin_lock(&fault_lock);
        bool held = fault_ring_get(&fault_log, end - n + i + 1, &r);
        spin_unlock(&fault_lock, irq);
        if (!held)
            return i; /* overwritten by newer faults, or cleared, meanwhile */
        out[i] = r;
    }
    return n;
}

void task_fault_log_stats(struct task_fault_log_stats *out)
{
    struct task_fault_log_stats s;
    int irq = spin_lock(&fault_lock);
    fault_ring_stats(&fault_log, &s);
    spin_unlock(&fault_lock, irq);
    *out = s; /* the caller's memory, written with no lock held */
}

void task_fault_log_clear(void)
{
    int irq = spin_lock(&fault_lock);
    fault_ring_clear(&fault_log);
    spin_unlock(&fault_lock, irq);
}

const char *fault_step_name(enum fault_step step)
{
    switch (step) {
    case FAULT_STEP_ENDED:
        return "ended";
    case FAULT_STEP_CALL_FAILED:
        return "call_failed";
    case FAULT_STEP_RESTART:
        return "restart";
    case FAULT_STEP_RELOAD_CELL:
        return "reload_cell";
    case FAULT_STEP_RELOAD_DEPENDENTS:
        return "reload_dependents";
    case FAULT_STEP_GIVE_UP:
        return "give_up";
    }
    return "?";
}

const char *fault_vector_name(unsigned vector)
{
    static const char *const names[32] = {"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM",
                                          "#DF", NULL,  "#TS", "#NP", "#SS", "#GP", "#PF", NULL,
                                          "#MF", "#AC", "#MC", "#XM", "#VE", "#CP", NULL,  NULL,
                                          NULL,  NULL,  NULL,  NULL,  "#HV", "#VC", "#SX", NULL};
    return vector < 32 && names[vector] ? names[vector] : "";
}

const char *fault_kind_name(enum fault_kind kind)
{
    switch (kind) {
    case FAULT_KIND_EXCEPTION:
        return "exception";
    case FAULT_KIND_HANG:
        return "hang";
    case FAULT_KIND_EVICTED:
        return "evicted";
    }
    return "?";
}

const char *fault_hang_name(enum hang_detector by)
{
    switch (by) {
    case HANG_HEARTBEAT:
        return "heartbeat";
    case HANG_CPU_BUDGET:
        return "cpu_budget";
    }
    return "";
}

static bool in_cell_area(uint64_t a)
{
    return a >= CELL_AREA_BASE && a - CELL_AREA_BASE < CELL_AREA_SIZE;
}

static bool in_core_text(uint64_t a)
{
    return a >= (uintptr_t)__text_start && a < (uintptr_t)__text_end;
}

/* A mutex statically allocated by the core guards core state (today: the cells mutex); one in
 * a cell's data or in the heap guards a cell's. */
static bool core_mutex(const struct mutex *m)
{
    uintptr_t a = (uintptr_t)m;
    return a >= (uintptr_t)__data_start && a < (uintptr_t)__data_end;
}

const struct mutex *task_core_mutex_held(const struct task *t, const struct mutex *until)
{
    for (const struct mutex *m = t->held; m && m != until; m = m->next_held) {
        if (core_mutex(m))
            return m;
        /* A cell's mutex whose memory went away: stop rather than fault in the fault path. */
        if (!paging_range_mapped((uint64_t)(uintptr_t)m, sizeof(*m), false))
            break;
    }
    return NULL;
}

const char *fault_mutex_reason(const struct mutex *m, const char *suffix)
{
    const char *name;
    uint64_t off;
    if (ksym_lookup((uint64_t)(uintptr_t)m, &name, &off) == 0 && off == 0)
        ksnprintf(why_text, sizeof(why_text), "core mutex '%s'%s", name, suffix);
    else
        ksnprintf(why_text, sizeof(why_text), "core mutex at %p%s", (const void *)m, suffix);
    return why_text;
}

/* Why this fault cannot be any task's, or NULL. */
static const char *not_a_task_fault(const struct task *t, unsigned vector)
{
    if (!t)
        return "no task is running yet";
    if (t == sched_boot_task())
        return "in the boot task (the core's own)";
    if (task_is_idle(t))
        return "in the idle task (the core's own)";
    /* NMI (2) and machine check (18) are about the machine, not the task; #DB (1) is unused. */
    if (vector == 1 || vector == 2 || vector == 18)
        return "not an exception a task causes";
    return NULL;
}

/* Why a fault in core code on t's behalf is the core's, or NULL if it can be contained. */
static const char *core_blocker(const struct task *t, const struct trap_frame *f)
{
    if (spin_held_count())
        return "spinlock held";
    const struct mutex *m = task_core_mutex_held(t, NULL);
    if (m)
        return fault_mutex_reason(m, " held");
    if (!(f->rflags & RFLAGS_IF))
        return "interrupts were off";
    if (f->vector == VEC_DOUBLEFAULT)
        return "double fault in core code";
    return NULL;
}

/* The innermost cell call site on the way from the cell into the faulting core code (named in
 * tf->caller); returns it, or 0 if no cell called. */
static uint64_t find_cell_caller(const struct trap_frame *f, struct task_fault *tf)
{
    uint64_t sites[CALL_SITES_MAX];
    unsigned n = 0;
    /* A call to a bad address faults before the callee's frame exists: its return address is
     * still on top of the stack. */
    if (!in_core_text(f->rip) && paging_range_mapped(f->rsp, 8, false))
        sites[n++] = *(const uint64_t *)(uintptr_t)f->rsp - 1;
    n += backtrace_call_sites(f->rbp, sites + n, CALL_SITES_MAX - n);
    for (unsigned i = 0; i < n; i++) {
        if (in_cell_area(sites[i])) {
            /* A version being linked by a live swap is not known to lookups yet: its address. */
            if (addr_describe(sites[i], tf->caller, sizeof(tf->caller)))
                ksnprintf(tf->caller, sizeof(tf->caller), "0x%llx", (unsigned long long)sites[i]);
            return sites[i];
        }
    }
    return 0;
}

/* The cell a fault is charged to (struct task_fault.cell): the cell whose code faulted; in core
 * code, the cell of the innermost cell call site (caller_site, 0 if none); a stack overflow, the
 * task's entry cell; inside a guarded call that lookups cannot place, the guarded hook's cell.
 * Otherwise the core's. */
static void charge(const struct task *t, struct task_fault *tf, bool in_cell, bool overflow,
                   uint64_t caller_site)
{
    if (overflow && t->cell_name[0]) {
        ksnprintf(tf->cell, sizeof(tf->cell), "%s", t->cell_name);
        tf->cell_version = t->cell_version;
    } else if ((in_cell || caller_site) && addr_cell(in_cell ? tf->rip : caller_site, tf->cell,
                                                     sizeof(tf->cell), &tf->cell_version) == 0) {
        return;
    } else if (t->guard && t->guard->cell[0]) {
        ksnprintf(tf->cell, sizeof(tf->cell), "%s", t->guard->cell);
        tf->cell_version = t->guard->cell_version;
    } else {
        ksnprintf(tf->cell, sizeof(tf->cell), "core");
        tf->cell_version = 0;
    }
}

/* The line naming a fault outside cell code, e.g. "in core code strlen+0x9 called from
 * badptr:show+0x1e", or "at bad address 0x18 (no code there), called from ...". */
static void describe_core_fault(const struct task_fault *tf, char *buf, size_t n)
{
    bool code = in_core_text(tf->rip);
    char what[112];
    if (code)
        ksnprintf(what, sizeof(what), "in core code %s", tf->where);
    else
        ksnprintf(what, sizeof(what), "at bad address 0x%llx (no code there)",
                  (unsigned long long)tf->rip);
    if (tf->caller[0])
        ksnprintf(buf, n, "%s%s called from %s", what, code ? "" : ",", tf->caller);
    else
        ksnprintf(buf, n, "%s, called from no cell", what);
}

/* Fault reports on the console (the default), or only in the kernel log and the fault log: a
 * report takes milliseconds on a serial console, which a fault campaign or a benchmark of
 * recovery latency must not measure. */
static bool console_reports = true;

bool task_fault_console(bool on)
{
    bool was = console_reports;
    console_reports = on;
    return was;
}

bool task_fault_console_on(void)
{
    return console_reports;
}

static void report(const struct task *t, const struct trap_frame *f, const struct task_fault *tf,
                   bool in_core, bool overflow)
{
    char where[224];
    if (!console_reports) {
        klog_quiet(LOG_ERR, "task %llu '%s' faulted: CPU exception %u (%s) at %s, cr2 0x%llx",
                   (unsigned long long)t->id, t->name, tf->vector, exception_name(tf->vector),
                   tf->where, (unsigned long long)tf->cr2);
        return;
    }
    if (in_core)
        describe_core_fault(tf, where, sizeof(where));
    else
        ksnprintf(where, sizeof(where), "at %s", tf->where);
    kprintf("%skeel: task %llu '%s' faulted: CPU exception %u (%s), error 0x%llx%s\n",
            console_mid_line() ? "\n" : "", (unsigned long long)t->id, t->name, tf->vector,
            exception_name(tf->vector), (unsigned long long)tf->error,
            overflow ? " (stack overflow)" : "");
    if (in_core)
        kprintf("  %s\n", where);
    kprintf("  rip 0x%016llx <%s>\n  cr2 0x%016llx\n", (unsigned long long)tf->rip, tf->where,
            (unsigned long long)tf->cr2);
    trap_print_registers(f);
    kprintf("backtrace:\n");
    if (!overflow)
        backtrace_print(f->rip, f->rbp);
    kprintf("keel: task %llu killed; the system carries on\n", (unsigned long long)t->id);
    /* One line in the kernel log too (the console already has the full report). */
    klog_quiet(LOG_ERR, "task %llu '%s' faulted: CPU exception %u (%s) %s, cr2 0x%llx",
               (unsigned long long)t->id, t->name, tf->vector, exception_name(tf->vector), where,
               (unsigned long long)tf->cr2);
}

static void report_guarded(const struct task *t, const struct task_fault *tf)
{
    char caller[112] = "";
    if (tf->caller[0])
        ksnprintf(caller, sizeof(caller), " called from %s", tf->caller);
    kprintf("%skeel: task %llu '%s': guarded call faulted: CPU exception %u (%s) at 0x%llx <%s>%s, "
            "cr2 0x%llx; the call returns KE_FAULT\n",
            console_mid_line() ? "\n" : "", (unsigned long long)t->id, t->name, tf->vector,
            exception_name(tf->vector), (unsigned long long)tf->rip, tf->where, caller,
            (unsigned long long)tf->cr2);
    klog_quiet(LOG_ERR, "task %llu '%s': guarded call faulted at %s%s; it returns KE_FAULT",
               (unsigned long long)t->id, t->name, tf->where, caller);
}

bool task_fault_contain(struct trap_frame *f, uint64_t cr2, const char **why)
{
    struct task *t = task_current();
    *why = not_a_task_fault(t, (unsigned)f->vector);
    if (*why)
        return false;
    /* A task that ran off its own stack dies wherever it was: the guard page stopped it before
     * it could touch anything else. */
    bool in_cell = in_cell_area(f->rip);
    bool overflow = (f->vector == VEC_DOUBLEFAULT || f->vector == VEC_PAGEFAULT) &&
                    cr2 >= t->stack.guard && cr2 < t->stack.guard + PAGE_SIZE;
    bool in_core = !in_cell && !overflow; /* core code, or no code at all (a wild jump) */
    struct task_fault tf = {
        .time_ns = clock_ns(),
        .kind = FAULT_KIND_EXCEPTION,
        .vector = (unsigned)f->vector,
        .error = f->error,
        .rip = f->rip,
        .cr2 = cr2,
        .rsp = f->rsp,
    };
    if (addr_describe(f->rip, tf.where, sizeof(tf.where)))
        ksnprintf(tf.where, sizeof(tf.where), "0x%llx", (unsigned long long)f->rip);
    uint64_t caller_site = in_core ? find_cell_caller(f, &tf) : 0;
    charge(t, &tf, in_cell, overflow, caller_site);
    /* Inside a guarded call the task must not die (its caller cannot afford to lose it, e.g.
     * a live swap with the world stopped): the guard catches the fault, or it is the core's. */
    if (t->guard) {
        if (overflow) {
            *why = "stack overflow inside a guarded call";
            return false;
        }
        if (!guard_catch(f, &tf, in_core, why))
            return false;
        report_guarded(t, &tf);
        fault_log_add(t, &tf, FAULT_STEP_CALL_FAILED, 0, 0);
        return true;
    }
    /* A task that dies holding a core spinlock would leave it taken forever: the core's fault. */
    if (!in_core && spin_held_count())
        *why =
            in_cell ? "spinlock held (cell code called by the core under a lock)" : "spinlock held";
    else if (in_core)
        *why = core_blocker(t, f);
    if (*why)
        return false;
    report(t, f, &tf, in_core, overflow);
    fault_log_add(t, &tf, FAULT_STEP_ENDED, 0, 0);
    task_finish(TASK_FAULTED, KE_FAULT, &tf);
}

KEEL_EXPORT_FUNC(task_fault_log);
KEEL_EXPORT_FUNC(task_fault_console);
KEEL_EXPORT_FUNC(task_fault_log_stats);
KEEL_EXPORT_FUNC(task_fault_log_clear);
KEEL_EXPORT_FUNC(fault_step_name);
KEEL_EXPORT_FUNC(fault_kind_name);
KEEL_EXPORT_FUNC(fault_hang_name);
KEEL_EXPORT_FUNC(fault_vector_name);
