/* Private to the reclaimer (kernel/swap/reclaim*.c): one pass of the conservative scan. */
#ifndef KEEL_SWAP_RECLAIM_INTERNAL_H
#define KEEL_SWAP_RECLAIM_INTERNAL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <keel/heap.h>
#include <keel/loader.h>
#include <keel/task.h>

#define TARGETS_MAX 128 /* retired versions one pass considers */

struct trap_frame;

enum where_kind { IN_CORE, IN_CELL, IN_STACK, IN_HEAP, IN_RETIRED, IN_EDGE };

/* Where a word was found: enough to name it afterwards. */
struct keeper {
    enum where_kind kind;
    uint64_t at;   /* the word's address */
    uint64_t base; /* stack: its lowest live address; heap: the block's payload */
    task_id_t task;
    char task_name[TASK_NAME_MAX];
    int reg; /* stack: index of the interrupt frame's register, or -1 */
    owner_t owner;
    const struct loaded_cell *cell;
};

struct range {
    uint64_t lo, hi;
    unsigned target;
};

struct pass {
    struct loader *ld;
    struct loaded_cell *targets[TARGETS_MAX];
    bool found[TARGETS_MAX];
    struct keeper keepers[TARGETS_MAX];
    size_t ntargets, left; /* left: not found yet (0: nothing more to learn) */
    struct range ranges[TARGETS_MAX * 3];
    size_t nranges;
    uint64_t lo, span; /* quick reject: [lo, lo + span) covers every range */
    uint64_t bytes;
    /* The task running the pass scans its own stack from here up only: below are the
     * reclaimer's frames, whose dead slots hold the very addresses it compares against. */
    task_id_t self;
    uint64_t self_lo;
    /* Where the words being scanned live (set per root). */
    struct keeper ctx;
    const struct trap_frame *frame;
};

/* Prepare p to look for references into cells[0..n) (retired versions, n <= TARGETS_MAX). */
void pass_init(struct pass *p, struct loader *ld, struct loaded_cell *const *cells, size_t n);
/* A pass in slices with the world running: true if it was a consistent snapshot (no other
 * task, no cell's interrupt handler or console sink ran meanwhile). */
bool pass_concurrent(struct pass *p);
/* A pass with the world stopped (always a snapshot). */
void pass_stopped(struct pass *p);
/* Name where a reference was found, e.g. "task 17 'holder' stack rsp+0x58". */
void keeper_describe(const struct pass *p, const struct keeper *k, char *buf, size_t n);

#endif
