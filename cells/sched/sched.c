/* The scheduler policy cell: its init puts the version's policy in place, its exit gives the CPUs
 * back to the core's copy of the priority policy. A live swap between versions (swap sched 2)
 * moves the scheduler to the new version's policy with the world stopped (tasking/sched_policy.c);
 * no init or exit runs then. docs/smp.md, "Writing a scheduler policy". */
#include <keel/cell.h>
#include <keel/sched_policy.h>

extern const struct sched_policy
    sched_cell_policy; /* this version's: priority.c or round_robin.c */

static int sched_init(void)
{
    return sched_policy_set(&sched_cell_policy);
}

static void sched_exit(void)
{
    sched_policy_clear(&sched_cell_policy);
}

KEEL_CELL(.name = "sched", .version = KEEL_CELL_VERSION, .init = sched_init, .exit = sched_exit);
