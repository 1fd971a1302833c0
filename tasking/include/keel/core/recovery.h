/* Between the tasking layer and the core's recovery task (kernel/recovery/): the faults of
 * restartable tasks, queued for the recovery ladder (docs/fault-injection.md, "The recovery
 * ladder"). Kernel-facing: cells never include it. */
#ifndef KEEL_CORE_RECOVERY_H
#define KEEL_CORE_RECOVERY_H
#include <stdbool.h>
#include <keel/cell.h>
#include <keel/task.h>

struct task;

/* One fault of a restartable task: the task that faulted, its new incarnation (held: created,
 * not started, until recovery_release), and the fault (fault.cell is the cell charged). */
struct recovery_request {
    task_id_t task;
    char task_name[TASK_NAME_MAX];
    task_id_t incarnation;
    char entry_cell[32];
    struct task_fault fault;
};

/* task_finish (scheduler lock held): queue old's fault and hold its new incarnation. false when
 * no recovery task waits or the queue is full: then the incarnation starts as a plain restart. */
bool recovery_post_locked(const struct task *old, struct task *incarnation);
/* The recovery task: the next fault (blocks; the first call makes faults queue). 0, or
 * KE_KILLED. */
int recovery_wait(struct recovery_request *out);
/* Let a held incarnation start (run), or end it before its entry runs (!run: it ends as killed).
 * KE_NOENT if no such held task. */
int recovery_release(task_id_t id, bool run);
/* Record a rung taken about rq's fault in the fault log: outcome 0 or a negative KE_* code. */
void recovery_log_step(const struct recovery_request *rq, enum fault_step step, int outcome);

#endif
