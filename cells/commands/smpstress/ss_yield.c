/* Yield pairs: two tasks pinned to the same CPU, of the same priority, that only ever yield (and
 * look at each other). Whenever one yields while the other is ready, the other must run before
 * the yield returns: a yield puts the caller at the back of its priority, behind the other, and
 * the other cannot go to another CPU. The check is exact: the other task's switch count
 * (task_info) must have grown across the yield. A yield after which it has not is counted as
 * "no handover", with the CPU it happened on (docs/stress.md, "What it found"). */
#include <keel/atomic.h>
#include <keel/errno.h>
#include "commands/smpstress/ss.h"

/* The pair of CPU c is ids[c][0], ids[c][1], set by the command once both are spawned. */
static atomic_u64 ids[SS_CPUS][2];

void smpstress_yield_reset(void)
{
    for (unsigned c = 0; c < SS_CPUS; c++)
        for (unsigned m = 0; m < 2; m++)
            atomic_store_u64(&ids[c][m], 0, MO_RELAXED);
}

void smpstress_yield_set_peer(unsigned cpu, unsigned member, task_id_t id)
{
    if (cpu < SS_CPUS && member < 2)
        atomic_store_u64(&ids[cpu][member], id, MO_RELEASE);
}

int smpstress_yielder(const void *arg, void *ret)
{
    const struct ss_job *job = arg;
    struct ss_ret *r = ret;
    unsigned cpu = job->cpu, member = job->index % 2;
    if (cpu >= SS_CPUS)
        return ss_fail(r, KE_INVAL, "a yielder without a CPU");
    task_id_t other;
    while (!(other = atomic_load_u64(&ids[cpu][!member], MO_ACQUIRE)))
        task_yield(); /* not counted: the other may not exist yet */
    for (r->rounds = 0; ss_more(job, r->rounds); r->rounds++) {
        for (unsigned i = 0; i < SS_YIELDS_PER_ROUND; i++) {
            struct task_info before, after;
            int e = task_info(other, &before);
            task_yield();
            if (e || before.state != TASK_READY)
                continue; /* ended (or not ready): nothing it has to be given */
            r->c.yields++;
            if (task_info(other, &after) == 0 && after.switches == before.switches) {
                r->c.no_handover++;
                ss_fail(r, SS_WRONG,
                        "CPU %u: task %llu yielded while task %llu was ready, and got the CPU "
                        "back before it ran",
                        cpu, (unsigned long long)task_self(), (unsigned long long)other);
            }
        }
    }
    return r->status;
}
