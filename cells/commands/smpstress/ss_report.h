/* A run's outcome (ss_report.c): the totals, the checks that decide PASS or FAIL, and the
 * summary in words and as one JSON line. */
#ifndef CMD_SMPSTRESS_SS_REPORT_H
#define CMD_SMPSTRESS_SS_REPORT_H
#include <stdbool.h>
#include <stdint.h>
#include "commands/smpstress/ss_mem.h"
#include "commands/smpstress/ss_run.h"
#include "commands/smpstress/ssargs.h"

#define SS_REASONS     8
#define SS_REASON_SIZE 160

struct ss_outcome {
    const struct ssargs *args;
    const struct ss_run *run;
    unsigned ncpus;
    bool swaps;
    char swap_note[96]; /* why swaps were left out ("" if they ran or were not asked for) */
    uint64_t elapsed_ns;
    struct ss_counts total;
    uint64_t rounds_of[SS_KINDS]; /* rounds done, summed per kind */
    uint64_t lock_counter;
    uint64_t counter_before, counter_after;
    uint64_t yields_on[SS_CPUS], no_handover_on[SS_CPUS];
    struct ss_mem before, after;
    unsigned settle_looks; /* 0: the figures never came back */
    unsigned nreasons;     /* checks that failed (the first SS_REASONS kept) */
    char reasons[SS_REASONS][SS_REASON_SIZE];
};

/* Sum the workers' results into o and run every check; true if all passed. */
bool smpstress_judge(struct ss_outcome *o);
/* The summary (and with --json the JSON line), ending with "smpstress: PASS" or
 * "smpstress: FAIL: <the first reason>". */
void smpstress_report(const struct ss_outcome *o);

#endif
