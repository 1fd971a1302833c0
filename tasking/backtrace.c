/* Any task's backtrace (keel/task.h: task_backtrace), for the shell's bt: the call sites along
 * its frame-pointer chain, read with the scheduler lock held so the task cannot run (and its
 * stack cannot change) while they are read. A task that is not running left its context on its
 * own stack (switch.S: r15 r14 r13 r12 rbx rbp, return address), so its chain starts at the
 * saved rbp; backtrace_call_sites checks every frame before it reads it. */
#include <keel/errno.h>
#include <keel/export.h>
#include <keel/panic.h>
#include <keel/core/trap.h>
#include <keel/core/world.h>
#include "task_internal.h"

enum { CTX_RBP = 5, CTX_RET = 6, CTX_WORDS = 7 };

static unsigned walk_self(uint64_t *sites, unsigned max)
{
    return backtrace_call_sites((uint64_t)(uintptr_t)__builtin_frame_address(0), sites, max);
}

static unsigned walk_saved(const struct task *t, uint64_t *sites, unsigned max)
{
    uint64_t sp = t->saved_rsp;
    if (!t->stack.top || sp < t->stack.base || sp + CTX_WORDS * 8 > t->stack.top)
        return 0; /* no context on a stack of its own (cannot happen for a live task) */
    const uint64_t *ctx = (const uint64_t *)(uintptr_t)sp;
    sites[0] = ctx[CTX_RET] - 1;
    return 1 + backtrace_call_sites(ctx[CTX_RBP], sites + 1, max - 1);
}

int task_backtrace(task_id_t id, struct task_backtrace *bt)
{
    bt->frames = 0;
    bt->interrupted = -1;
    /* The world stopped: a task running on another CPU is parked there with its context saved
     * like a preempted one's, so its stack holds still while it is read. */
    int irq;
    unsigned late;
    if (world_stop(WORLD_STOP_TIMEOUT_NS, &irq, &late))
        return KE_BUSY;
    struct task *t = task_by_id_locked(id);
    int rc = 0;
    if (!t || t->state == TASK_DEAD) {
        rc = KE_NOENT;
    } else if (t == task_current()) {
        bt->state = t->state;
        bt->frames = walk_self(bt->sites, TASK_BACKTRACE_MAX);
    } else {
        bt->state = t->state; /* now, with the world stopped: the frames are this state's */
        bt->frames = walk_saved(t, bt->sites, TASK_BACKTRACE_MAX);
        /* isr.S links a frame record to the interrupted rip: mark that frame. */
        for (unsigned i = 0; t->preempted && i < bt->frames; i++)
            if (bt->sites[i] == t->preempted->rip - 1) {
                bt->sites[i] = t->preempted->rip;
                bt->interrupted = (int)i;
                break;
            }
    }
    world_resume(irq);
    return rc;
}
KEEL_EXPORT_FUNC(task_backtrace);
