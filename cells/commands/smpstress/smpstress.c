/* smpstress [--seconds S | --rounds N] [--seed X] [--json] [--no-swap]: stress the kernel with
 * tasks on every CPU at once — spawns and joins, channels, the heap, mutexes, condition
 * variables, semaphores, yields, sleeps and live swaps — then check that every count is exact and
 * that nothing leaked (docs/stress.md). Exit status 0 for PASS, 1 for FAIL, 2 for bad arguments.
 *
 * The order matters for the leak check: everything the run allocates once and keeps (cells
 * loaded, page tables of the cell area and of the stack area, the channels) comes before the
 * first reading, everything the run frees comes before the second. */
#include <keel/clock.h>
#include <keel/command.h>
#include <keel/console.h>
#include <keel/string.h>
#include "commands/smpstress/ss_mem.h"
#include "commands/smpstress/ss_report.h"
#include "commands/smpstress/ss_run.h"
#include "commands/smpstress/ss_swap.h"
#include "commands/smpstress/ssargs.h"

#define USAGE                                                                                      \
    KEEL_COMMAND_USAGE                                                                             \
    "\n"                                                                                           \
    "  --seconds S  run for S seconds of guest time (1..3600; default 3)\n"                        \
    "  --rounds N   instead, every worker does exactly N rounds (1..100000)\n"                     \
    "  --seed X     the seed of every random choice (decimal or 0x-hex; default 1)\n"              \
    "  --json       also print the outcome as one JSON line\n"                                     \
    "  --no-swap    leave out the live swaps of the demo cell counter"

#define SETTLE_LOOKS 200 /* 5 ms apart: a second for background tasks to let go */
#define WARM_EXTRA   8   /* tasks beyond the run's peak in the warm-up (the reads of counter) */

/* Static: the workers' jobs and results, kept with the cell (and for a reaper if interrupted). */
static struct ss_run run;
static struct ss_outcome out;

/* Set up the swaps unless told not to: 0 (on, or off with a note), or 1 after printing why. */
static int prepare_swaps(const struct ssargs *a)
{
    out.swaps = false;
    out.swap_note[0] = 0;
    if (a->no_swap)
        return 0;
    int r = smpstress_swap_prepare(out.swap_note, sizeof(out.swap_note));
    if (r == SS_SKIP)
        return 0;
    if (r) {
        kprintf("smpstress: cannot set up the swaps: %s\n", out.swap_note);
        return 1;
    }
    out.swap_note[0] = 0;
    out.swaps = true;
    return 0;
}

/* Everything before the first reading: 0, or 1 after printing why. */
static int prepare(const struct ssargs *a)
{
    char why[128] = "";
    if (out.swaps && smpstress_swap_warm(why, sizeof(why))) {
        kprintf("smpstress: %s\n", why);
        return 1;
    }
    if (smpstress_warm_tasks(run.plan.peak_tasks + WARM_EXTRA, why, sizeof(why))) {
        kprintf("smpstress: %s\n", why[0] ? why : "interrupted");
        return 1;
    }
    if (smpstress_run_channels(&run, a->seed)) {
        kprintf("smpstress: no memory for the channels\n");
        return 1;
    }
    int r = out.swaps ? smpstress_read_counter(&out.counter_before) : 0;
    if (r) {
        kprintf("smpstress: cannot read the counter: %s\n", keel_strerror(r));
        smpstress_run_destroy_channels(&run);
        return 1;
    }
    smpstress_mem_read(&out.before);
    return 0;
}

/* The run itself and the readings after it: 0, or 1 if interrupted. */
static int stress(const struct ssargs *a)
{
    uint64_t t0 = clock_ns();
    smpstress_run_start(&run, a->seconds ? t0 + a->seconds * 1000000000ull : 0);
    if (smpstress_run_join(&run)) {
        kprintf("smpstress: interrupted; the workers stop after their current round\n");
        return 1;
    }
    out.elapsed_ns = clock_ns() - t0;
    out.lock_counter = smpstress_lock_counter();
    int r = out.swaps ? smpstress_read_counter(&out.counter_after) : 0;
    out.settle_looks = smpstress_mem_settle(&out.before, &out.after, SETTLE_LOOKS);
    smpstress_run_destroy_channels(&run);
    if (r) {
        kprintf("smpstress: cannot read the counter: %s\n", keel_strerror(r));
        return 1;
    }
    return 0;
}

static int main_with(const struct ssargs *a)
{
    unsigned left = smpstress_run_leftovers(&run);
    if (left) {
        kprintf("smpstress: %u tasks of an interrupted run are still ending; try again shortly\n",
                left);
        return 1;
    }
    memset(&out, 0, sizeof(out));
    out.args = a;
    out.run = &run;
    out.ncpus = cpu_count();
    if (prepare_swaps(a))
        return 1;
    run.swaps = out.swaps;
    uint32_t rounds = a->rounds ? a->rounds : UINT32_MAX;
    smpstress_plan(&run.plan, out.ncpus, rounds, a->seed, out.swaps);
    int r = prepare(a);
    if (!r) {
        kprintf("smpstress: %u CPUs, %u workers, seed %llu, ", out.ncpus, run.plan.n,
                (unsigned long long)a->seed);
        if (a->rounds)
            kprintf("%u rounds each%s\n", a->rounds, out.swaps ? ", swapping counter" : "");
        else
            kprintf("%u s%s\n", a->seconds, out.swaps ? ", swapping counter" : "");
        r = stress(a);
    }
    if (r) {
        if (out.swaps && run.nch == 0 && !smpstress_run_leftovers(&run))
            smpstress_swap_finish();
        return 1;
    }
    if (out.swaps)
        smpstress_swap_finish();
    bool pass = smpstress_judge(&out);
    smpstress_report(&out);
    return pass ? 0 : 1;
}

int cmd_smpstress_main(const void *arg, void *ret)
{
    (void)ret;
    const char *argv[ARGV_MAX_ARGS];
    int argc = argv_from_arg(arg, argv, ARGV_MAX_ARGS);
    if (argc < 1) {
        kprintf("smpstress: bad argument block\nusage: " USAGE "\n");
        return 2;
    }
    struct ssargs a;
    char msg[128];
    if (ssargs_parse(argc, argv, &a, msg, sizeof(msg))) {
        kprintf("smpstress: %s\nusage: " USAGE "\n", msg);
        return 2;
    }
    if (a.help) {
        kprintf("usage: " USAGE "\n");
        return 0;
    }
    return main_with(&a);
}

KEEL_COMMAND_CELL("smpstress");
