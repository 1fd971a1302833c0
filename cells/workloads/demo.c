/* wl_demo: the client of the demo cells counter and salute (docs/workloads.md). Each round takes
 * the counter's next value and has salute greet a name drawn from the seed. The counter's value
 * carries over between runs (and other callers, such as the demo cell workload, move it too), so
 * the digest takes only what this run can know: the greetings, and how many values came out of
 * order (each must be above the one before: 0 unless the counter misbehaves). Its golden values
 * hold for the versions the workload command loads when the cells are missing (counter@1,
 * salute@1); another salute version words its greetings differently. */
#include <keel/cell.h>
#include <keel/string.h>
#include "demo/counter/counter.h"
#include "demo/salute/salute.h"
#include "workloads/wl.h"

static int demo_body(const struct wl_args *a, uint64_t *digest, char *why, size_t why_size)
{
    struct wl_rng rng = wl_rng_for(a->seed, 0x64656d6full /* "demo" */);
    static const char *const names[] = {"Ada", "Grace", "Edsger", "Barbara", "Niklaus", "Frances"};
    uint64_t last = counter_value(), out_of_order = 0;
    char who[32], text[96];
    for (uint32_t round = 0; round < a->rounds; round++) {
        task_heartbeat(); /* a round is progress (the watchdog, docs/workloads.md) */
        uint64_t v = counter_next();
        if (v <= last)
            out_of_order++;
        last = v;
        uint64_t x = wl_next(&rng);
        ksnprintf(who, sizeof(who), "%s-%u", names[x % (sizeof(names) / sizeof(names[0]))],
                  (unsigned)((x >> 32) % 1000));
        salute_text(text, sizeof(text), who);
        *digest = wl_fold_bytes(*digest, text, strlen(text));
    }
    *digest = wl_fold(*digest, out_of_order);
    if (out_of_order) {
        ksnprintf(why, why_size, "%llu counter values out of order",
                  (unsigned long long)out_of_order);
        return WL_FAILED;
    }
    return 0;
}

int wl_demo_main(const void *arg, void *ret)
{
    return wl_run(arg, ret, demo_body);
}

/* The whole ladder: a fault that a restart does not cure reloads the cell, then its dependents,
 * then gives it up (docs/fault-injection.md, "The recovery ladder"). */
KEEL_CELL(.name = "wl_demo", .version = KEEL_CELL_VERSION, .recovery_top = KEEL_RUNG_GIVE_UP);
