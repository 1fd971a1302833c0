/* stress_client: the callers of the demo cell counter for smpstress (docs/stress.md). A cell of
 * its own, not part of the command: the command must load and run without counter, and a caller
 * has to reach counter through a call site the live swap rewires, which only a cell linked
 * against counter has. The command looks up stress_client_main and spawns it as its callers.
 *
 * Each round a caller calls counter_next SS_CALLS_PER_ROUND times and yields; every value must
 * be above the one before (the counter only grows, whichever version runs, as its state block
 * is carried by every swap). At the end it reads counter_value(): a job of 0 rounds only reads.
 *
 * counter_next is `++value`, not atomic: the demo cell was written for one CPU. Each call is made
 * under this cell's mutex, so that the counter's growth must equal the calls exactly; the
 * callers still run on every CPU, and a swap can come between any two calls. */
#include <keel/cell.h>
#include <keel/sync.h>
#include "commands/smpstress/ss.h"
#include "demo/counter/counter.h"

static struct mutex calls = MUTEX_INIT;

/* counter_next under the mutex: 0 and *v, or an error (killed) after recording it. */
static int next(struct ss_ret *r, uint64_t *v)
{
    int e = mutex_lock(&calls);
    if (e && e != KE_OWNERDEAD)
        return ss_fail(r, e, "mutex_lock: %s", keel_strerror(e));
    *v = counter_next();
    mutex_unlock(&calls);
    return 0;
}

int stress_client_main(const void *arg, void *ret)
{
    const struct ss_job *job = arg;
    struct ss_ret *r = ret;
    uint64_t last = 0;
    for (r->rounds = 0; ss_more(job, r->rounds); r->rounds++) {
        for (unsigned i = 0; i < SS_CALLS_PER_ROUND; i++) {
            uint64_t v;
            if (next(r, &v))
                return r->status;
            if (v <= last) {
                r->c.out_of_order++;
                ss_fail(r, SS_WRONG, "counter_next gave %llu after %llu", (unsigned long long)v,
                        (unsigned long long)last);
            }
            last = v;
            r->c.calls++;
        }
        task_yield();
    }
    r->value = counter_value();
    return r->status;
}

KEEL_CELL(.name = "stress_client", .version = KEEL_CELL_VERSION);
