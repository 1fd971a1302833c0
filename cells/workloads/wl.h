/* Workload cells (docs/workloads.md): what a workload task receives and returns, the one PRNG
 * they share, and the digest they fold their results into. Header-only, so each workload cell
 * carries its own copy and none depends on another.
 *
 * A workload's digest is a function of (workload, seed, rounds) only: it folds in values the
 * workload computed or read back, never times, task ids or addresses. The `workload` command
 * (cells/commands/workload) spawns wl_<name>_main as a restartable task; a restart runs the whole
 * workload again from the pristine argument block, so it ends with the same digest. */
#ifndef CELLS_WORKLOADS_WL_H
#define CELLS_WORKLOADS_WL_H
#include <stddef.h>
#include <stdint.h>
#include <keel/errno.h>
#include <keel/format.h>
#include <keel/kmalloc.h>
#include <keel/task.h>

#define WL_ROUNDS_MAX 10000u /* rounds are work units: the deterministic "duration" */

/* The argument block of wl_<name>_main. */
struct wl_args {
    uint64_t seed;
    uint32_t rounds; /* 1..WL_ROUNDS_MAX */
    uint32_t flags;  /* WL_FAIL_STOP */
};

/* An error the workload detects (a failed call, a wrong value read back, heap it did not give
 * back) ends its task with a fault — an invalid opcode in wl_run — instead of a failed run:
 * fail-stop, so that the recovery ladder restarts the task (a restart runs the whole workload
 * again from its pristine argument block). Fault campaigns run workloads so; without it an error
 * is reported and the run ends. */
#define WL_FAIL_STOP 1u

/* The return block of wl_<name>_main. */
struct wl_result {
    uint64_t digest;
    uint64_t leaked; /* heap bytes the workload's task held after its body beyond before it */
    int32_t status;  /* 0, or a negative KE_* code / WL_FAILED */
    char why[92];    /* what went wrong, when status != 0 */
};

#define WL_FAILED (-1000) /* the workload ran but its results were wrong (e.g. a verify) */

/* splitmix64: the state walks by a constant, the output is the state mixed. */
struct wl_rng {
    uint64_t s;
};

static inline uint64_t wl_mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static inline uint64_t wl_next(struct wl_rng *r)
{
    r->s += 0x9e3779b97f4a7c15ull;
    return wl_mix(r->s);
}

/* A generator for one workload: the seed and a per-workload constant, so two workloads with one
 * seed draw different numbers. */
static inline struct wl_rng wl_rng_for(uint64_t seed, uint64_t salt)
{
    struct wl_rng r = {seed ^ wl_mix(salt)};
    return r;
}

/* The digest: every value folded in order through the mixer. */
static inline uint64_t wl_fold(uint64_t digest, uint64_t value)
{
    return wl_mix(digest ^ value) + 0x2545f4914f6cdd1dull;
}

static inline uint64_t wl_fold_bytes(uint64_t digest, const void *p, size_t n)
{
    const unsigned char *b = p;
    uint64_t word = 0;
    for (size_t i = 0; i < n; i++) {
        word = (word << 8) | b[i];
        if ((i & 7) == 7)
            digest = wl_fold(digest, word);
    }
    return wl_fold(digest, word ^ n);
}

/* The heap bytes the calling task holds now (0 if the core cannot say). */
static inline uint64_t wl_heap_held(void)
{
    struct heap_owner_stats st;
    if (kheap_owner_stats(OWNER_TASK(task_self()), &st) != 0)
        return 0;
    return st.bytes_in_use;
}

/* A workload body: fills *digest, or returns non-zero after writing why. */
typedef int (*wl_body_fn)(const struct wl_args *a, uint64_t *digest, char *why, size_t why_size);

/* The common part of every wl_<name>_main: check the arguments, run the body, measure what it
 * left on the heap, fill the return block. Returns the status (0: success). */
static inline int wl_run(const void *arg, void *ret, wl_body_fn body)
{
    struct wl_result *res = ret;
    const struct wl_args *a = arg;
    if (!a || !res) {
        if (a && (a->flags & WL_FAIL_STOP)) /* reached only through a corrupted branch */
            __builtin_trap();
        return KE_INVAL;
    }
    if (a->rounds < 1 || a->rounds > WL_ROUNDS_MAX) {
        res->status = KE_INVAL;
        ksnprintf(res->why, sizeof(res->why), "rounds must be 1..%u", WL_ROUNDS_MAX);
        if (a->flags & WL_FAIL_STOP)
            __builtin_trap();
        return res->status;
    }
    uint64_t before = wl_heap_held();
    uint64_t digest = 0;
    res->why[0] = 0;
    int r = body(a, &digest, res->why, sizeof(res->why));
    uint64_t after = wl_heap_held();
    res->leaked = after > before ? after - before : 0;
    res->digest = r ? 0 : wl_fold(wl_fold(digest, a->seed), a->rounds);
    res->status = r;
    if ((r || res->leaked) && (a->flags & WL_FAIL_STOP)) /* a leak is a detected error too */
        __builtin_trap();
    return r;
}

#endif
