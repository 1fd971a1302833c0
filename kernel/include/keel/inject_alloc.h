/* Allocation failure as an injected fault (kernel/inject/alloc.c): fail the nth kernel-heap
 * allocation made by one cell, once, and record the allocation that was failed (its activation:
 * time, task, the cell's call site). Driven by `inject alloc` and `failslab --cell`
 * (docs/fault-injection.md, "Allocation failure").
 *
 * "Made by a cell": the allocation's call chain (frame pointers, up to INJECT_ALLOC_DEPTH return
 * addresses above kmalloc & co.) returns into the cell's text — the cell called the heap itself,
 * or called the core or another cell that allocated for it (task_spawn's task, channel_create's
 * channel, the ramfs's file block). The nth such allocation from arming fails. The cell's text
 * is the one loaded when armed: if the cell is unloaded or replaced, arm again.
 *
 * One fault at a time, shared with keel/inject.h: each refuses with KE_BUSY while the other has
 * one in place. Errors: negative KE_* with a message in *err, and then nothing has changed. */
#ifndef KEEL_INJECT_ALLOC_H
#define KEEL_INJECT_ALLOC_H
#include <stdbool.h>
#include <stdint.h>
#include <keel/loader.h>
#include <keel/task.h>

#define INJECT_ALLOC_DEPTH      16u /* return addresses looked at per allocation */
#define INJECT_ALLOC_SEED_SPAN  32u /* without nth, the seed picks it in 1..this */
#define INJECT_ALLOC_SYMBOL_MAX 64u

struct inject_alloc_spec {
    char cell[KEEL_CELL_NAME_MAX];
    uint32_t nth;  /* 1..UINT32_MAX; 0: 1 + a draw from seed in [0, INJECT_ALLOC_SEED_SPAN) */
    uint64_t seed; /* recorded; picks nth when nth is 0 */
};

struct inject_alloc_record {
    bool valid; /* armed and not restored */
    uint64_t seq;
    struct inject_alloc_spec spec; /* spec.nth resolved */
    uint64_t text_base, text_size; /* the cell's text when armed */
    bool displaced;                /* the heap's failslab settings were replaced since */
    uint32_t left;                 /* the countdown: 0 once fired (or displaced) */
    uint64_t seen;                 /* allocations made by the cell since armed */
    /* The activation: the allocation that was failed. */
    bool activated;
    uint64_t activated_ns;
    task_id_t task;
    char task_name[TASK_NAME_MAX];
    uint64_t caller;                             /* the innermost call site in the cell */
    char caller_symbol[INJECT_ALLOC_SYMBOL_MAX]; /* the symbol covering it ("" if none) */
    uint64_t caller_offset;
};

/* Arms spec: 0 and the record in *out (may be NULL). KE_NOENT no such cell loaded, KE_INVAL a bad
 * spec, KE_BUSY a fault (of either kind) already in place. */
int inject_alloc_arm(const struct inject_alloc_spec *spec, struct inject_alloc_record *out,
                     struct loader_error *err);
/* The last allocation fault (valid false if none, or restored), with its countdown and
 * activation as of now. */
void inject_alloc_last(struct inject_alloc_record *out);
/* Disarms it: 0 and the final record in *out (may be NULL); KE_NOENT if none is in place. */
int inject_alloc_restore(struct inject_alloc_record *out, struct loader_error *err);
/* Whether one is in place (for keel/inject.h's one-fault rule). */
bool inject_alloc_in_place(void);

#endif
