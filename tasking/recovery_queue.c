/* The recovery queue (keel/core/recovery.h): a restartable task that faulted is respawned at
 * once, but its new incarnation is HELD — created, not ready — and the fault waits here for the
 * core's recovery task, which climbs the ladder (kernel/recovery/) and then releases the new
 * incarnation or ends it. Held, because after a reload of its cell it must start in the new
 * version, not run the faulty one again. A fixed ring written with the scheduler lock held from
 * task_finish: nothing here allocates or fails; when the ring is full (or no recovery task runs)
 * the incarnation simply starts, as a plain restart. */
#include <keel/errno.h>
#include <keel/noscan.h>
#include <keel/string.h>
#include <keel/waitq.h>
#include <keel/core/recovery.h>
#include "task_internal.h"

#define QUEUE_SIZE 16

/* Diagnostic copies of faults: the addresses in them are not references (the reclaimer skips). */
static struct recovery_request ring[QUEUE_SIZE] KEEL_NOSCAN;
static unsigned head, count;
static struct waitq posted = WAITQ_INIT;
static bool attached;

bool recovery_post_locked(const struct task *old, struct task *incarnation)
{
    if (!attached || count == QUEUE_SIZE)
        return false;
    struct recovery_request *r = &ring[(head + count) % QUEUE_SIZE];
    memset(r, 0, sizeof(*r));
    r->task = old->id;
    memcpy(r->task_name, old->name, sizeof(r->task_name));
    r->incarnation = incarnation->id;
    r->fault = old->fault;
    memcpy(r->entry_cell, old->cell_name, sizeof(r->entry_cell));
    count++;
    incarnation->recovery_held = true;
    incarnation->state = TASK_BLOCKED; /* not on any queue until released */
    waitq_wake_one(&posted);
    return true;
}

int recovery_wait(struct recovery_request *out)
{
    int irq = sched_lock();
    attached = true;
    int r = 0;
    while (!count && r == 0)
        r = waitq_wait(&posted, 0);
    if (count) {
        *out = ring[head];
        head = (head + 1) % QUEUE_SIZE;
        count--;
        r = 0;
    }
    sched_unlock(irq);
    return r;
}

int recovery_release(task_id_t id, bool run)
{
    int irq = sched_lock();
    struct task *t = task_by_id_locked(id);
    if (!t || !t->recovery_held || t->state != TASK_BLOCKED || t->waiting_on) {
        sched_unlock(irq);
        return KE_NOENT;
    }
    t->recovery_held = false;
    if (!run)
        t->kill_requested = true; /* it ends as killed before its entry runs (task_start) */
    sched_make_ready(t);
    sched_unlock(irq);
    return 0;
}

void recovery_log_step(const struct recovery_request *rq, enum fault_step step, int outcome)
{
    struct task t = {0};
    t.id = rq->task;
    memcpy(t.name, rq->task_name, sizeof(t.name));
    fault_log_add(&t, &rq->fault, step, outcome, rq->incarnation);
}
