/* Guarded calls: run a cell's hook from core code that cannot afford to lose its task (a live
 * swap calls a migrate hook with the world stopped). A CPU exception in cell code inside the
 * call is reported like any task fault, but the call returns KE_FAULT instead of the task
 * dying. */
#include <stddef.h>
#include <keel/errno.h>
#include <keel/spinlock.h>
#include "arch/trap.h"
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
    t->guard = g;
    int r = guard_enter(g, fn, arg);
    t->guard = outer;
    return r;
}

bool guard_catch(struct trap_frame *f, const struct task_fault *tf)
{
    struct task *t = task_current();
    struct fault_guard *g = t ? t->guard : NULL;
    if (!g || f->vector == 8) /* a double fault runs on its own stack: not resumable here */
        return false;
    /* A spinlock taken inside the call and still held: resuming would leave it taken. */
    if (spin_held_count() != g->spins)
        return false;
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
