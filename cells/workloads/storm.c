/* wl_storm: the spawn/join storm workload (docs/workloads.md). Each round spawns 1..4 short
 * tasks, each with an argument block of 1..16 words drawn from the seed, and joins them in spawn
 * order; a task returns two words computed from its block (it works in a heap buffer of its own).
 * The digest folds every returned block. The tasks are restartable: a restart recomputes the same
 * block from the pristine argument. */
#include <keel/cell.h>
#include <keel/string.h>
#include "workloads/wl.h"

#define STORM_WIDTH     4  /* tasks per round at most */
#define STORM_WORDS_MAX 16 /* words in an argument block at most */

struct storm_arg {
    uint64_t n;
    uint64_t words[STORM_WORDS_MAX];
};

struct storm_ret {
    uint64_t sum, folded;
};

static int storm_child(const void *arg, void *ret)
{
    const struct storm_arg *a = arg;
    struct storm_ret *out = ret;
    if (a->n < 1 || a->n > STORM_WORDS_MAX)
        return KE_INVAL;
    uint64_t *scratch = kmalloc(a->n * sizeof(*scratch));
    if (!scratch)
        return KE_NOMEM;
    for (uint64_t i = 0; i < a->n; i++)
        scratch[i] = wl_mix(a->words[i] + i);
    out->sum = 0;
    out->folded = 0;
    for (uint64_t i = 0; i < a->n; i++) {
        out->sum += scratch[i];
        out->folded = wl_fold(out->folded, scratch[a->n - 1 - i]);
    }
    kfree(scratch);
    return 0;
}

/* Join the first n of ids; fold their results into *digest while all is well. */
static int join_all(const task_id_t *ids, unsigned n, uint64_t *digest, int r, char *why,
                    size_t why_size)
{
    for (unsigned i = 0; i < n; i++) {
        struct task_result res;
        int j = task_join(ids[i], &res);
        if (j) {
            if (!r)
                ksnprintf(why, why_size, "join: %s", keel_strerror(j));
            r = r ? r : j;
            continue;
        }
        if (!r && (res.how != TASK_RETURNED || res.status != 0 || !res.ret)) {
            ksnprintf(why, why_size, "a storm task ended badly (how %d, status %d)", res.how,
                      res.status);
            r = WL_FAILED;
        }
        if (!r) {
            const struct storm_ret *sr = res.ret;
            *digest = wl_fold(wl_fold(*digest, sr->sum), sr->folded);
        }
        kfree(res.ret);
    }
    return r;
}

static int storm_body(const struct wl_args *a, uint64_t *digest, char *why, size_t why_size)
{
    struct wl_rng rng = wl_rng_for(a->seed, 0x73746f726dull /* "storm" */);
    struct storm_arg sa;
    for (uint32_t round = 0; round < a->rounds; round++) {
        task_heartbeat(); /* a round is progress (the watchdog, docs/workloads.md) */
        unsigned width = 1 + (unsigned)(wl_next(&rng) % STORM_WIDTH);
        task_id_t ids[STORM_WIDTH];
        unsigned started = 0;
        int r = 0;
        for (unsigned t = 0; t < width; t++) {
            memset(&sa, 0, sizeof(sa));
            sa.n = 1 + wl_next(&rng) % STORM_WORDS_MAX;
            for (uint64_t i = 0; i < sa.n; i++)
                sa.words[i] = wl_next(&rng);
            struct task_spec spec = {.name = "wl_storm.child",
                                     .entry = storm_child,
                                     .arg = &sa,
                                     .arg_size = sizeof(uint64_t) * (1 + sa.n),
                                     .ret_size = sizeof(struct storm_ret),
                                     .flags = TASK_RESTARTABLE};
            r = task_spawn(&spec, &ids[started]);
            if (r) {
                ksnprintf(why, why_size, "spawn: %s", keel_strerror(r));
                break;
            }
            started++;
        }
        r = join_all(ids, started, digest, r, why, why_size);
        if (r)
            return r;
    }
    return 0;
}

int wl_storm_main(const void *arg, void *ret)
{
    return wl_run(arg, ret, storm_body);
}

/* The whole ladder: a fault that a restart does not cure reloads the cell, then its dependents,
 * then gives it up (docs/fault-injection.md, "The recovery ladder"). */
KEEL_CELL(.name = "wl_storm", .version = KEEL_CELL_VERSION, .recovery_top = KEEL_RUNG_GIVE_UP);
