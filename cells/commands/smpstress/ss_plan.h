/* The workers of one run (ss_plan.c): which kinds, how many, pinned where. */
#ifndef CMD_SMPSTRESS_SS_PLAN_H
#define CMD_SMPSTRESS_SS_PLAN_H
#include <stdbool.h>
#include <stdint.h>
#include "commands/smpstress/ss.h"

/* With SS_CPUS CPUs pinned: 12 workers per CPU and 7 roaming, at most. */
#define SS_WORKERS_MAX (12u * SS_CPUS + 7u)

struct ss_worker {
    struct ss_job job;
    task_id_t id;      /* 0 until spawned */
    bool joined;       /* ret holds its result */
    enum task_end how; /* how it ended, once joined */
    struct ss_ret ret;
};

struct ss_plan {
    unsigned n;           /* workers */
    unsigned pinned_cpus; /* CPUs with pinned workers: min(CPUs online, SS_CPUS) */
    unsigned of_kind[SS_KINDS];
    unsigned peak_tasks; /* the most tasks of the run alive at once (workers and children) */
    struct ss_worker w[SS_WORKERS_MAX];
};

/* Plan the workers for ncpus CPUs. rounds: each worker's (UINT32_MAX with a deadline, set in
 * the jobs when the run starts). Without swaps, no callers and no swapper. */
void smpstress_plan(struct ss_plan *p, unsigned ncpus, uint32_t rounds, uint64_t seed, bool swaps);
/* "spawner", "sender", ... */
const char *smpstress_kind_name(enum ss_kind k);

#endif
