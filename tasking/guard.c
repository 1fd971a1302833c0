/* Guarded calls: run a cell's hook from core code that cannot afford to lose its task (a live
 * swap calls a migrate hook with the world stopped). A CPU exception inside the call is
 * reported like any task fault, but the call returns KE_FAULT instead of the task dying.
 *
 * What is caught: a fault in the hook's cell code, and a fault in core code the hook called
 * (memcpy of a bad pointer), provided the call has not changed what the core holds: exactly
 * the spinlocks held at the call (a lock taken inside and still held would stay taken), no
 * core mutex taken inside the call, and — for core code — interrupts not turned off inside it
 * (an interrupt handler, or core code that turned them off, is mid-way through core work).
 * Then the core is exactly as consistent as when the call began. Anything else inside a
 * guarded call is the core's fault: the task cannot be killed there either. */
#include <stddef.h>
#include <keel/errno.h>
#include <keel/spinlock.h>
#include <keel/core/trap.h>
#include "task_internal.h"

int guard_enter(struct fault_guard *g, int (*fn)(void *), void *arg);
void guard_landing(void);

_Static_assert(offsetof(struct fault_guard, rsp) == 48 &&
                   offsetof(struct fault_guard, rflags) == 56,
               "guard.S uses these offsets");

int guard_call(struct fault_guard *g, int (*fn)(void *), void *arg)
{
    struct task *t = task_current();
    if (!t || !g || !fn)
        return KE_INVAL;
    struct fault_guard *outer = t->guard;
    g->faulted = false;
    g->spins = spin_held_count();
    g->held = t->held;
    t->guard = g;
    int r = guard_enter(g, fn, arg);
    t->guard = outer;
    return r;
}

bool guard_catch(struct trap_frame *f, const struct task_fault *tf, bool in_core, const char **why)
{
    struct task *t = task_current();
    struct fault_guard *g = t ? t->guard : NULL;
    if (!g) {
        *why = "no guarded call";
        return false;
    }
    if (f->vector == 8) { /* a double fault runs on its own stack: not resumable here */
        *why = "double fault inside a guarded call";
        return false;
    }
    if (spin_held_count() != g->spins) {
        *why = "spinlock taken inside a guarded call still held";
        return false;
    }
    const struct mutex *m = task_core_mutex_held(t, g->held);
    if (m) {
        *why = fault_mutex_reason(m, " taken inside a guarded call");
        return false;
    }
    if (in_core && (g->rflags & RFLAGS_IF) && !(f->rflags & RFLAGS_IF)) {
        *why = "interrupts turned off inside a guarded call";
        return false;
    }
    g->fault = *tf;
    g->faulted = true;
    t->guard = NULL; /* guard_call puts back the outer one */
    f->rbx = g->rbx;
    f->rbp = g->rbp;
    f->r12 = g->r12;
    f->r13 = g->r13;
    f->r14 = g->r14;
    f->r15 = g->r15;
    f->rsp = g->rsp;
    f->rflags = g->rflags;
    f->rip = (uint64_t)(uintptr_t)guard_landing;
    return true;
}
