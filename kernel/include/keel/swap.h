/* Live swap: replace running cells by new versions, transactionally (docs/live-swap.md).
 *
 *   struct swap_request rq = {.n = 1};
 *   rq.items[0] = (struct swap_item){"counter", obj, obj_size, "counter@2.o"};
 *   int r = swap_cells(&rq, &report, &err);   // 0, or a KE_* code with err.msg
 *
 * The steps: link the new versions invisibly; check they can stand in for the old ones; stop the
 * world and check quiescence (retried until the deadline); carry the state; rewrite every
 * recorded site; switch the symbols (the commit point); resume; retire the old versions (freed by
 * the reclaimer once nothing points into them, keel/reclaim.h). A failure
 * at any step before the commit leaves the system exactly as it was. Errors: negative KE_* codes
 * with a message for the user in err->msg. */
#ifndef KEEL_SWAP_H
#define KEEL_SWAP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <keel/format.h>
#include <keel/loader.h>

#define SWAP_MAX_CELLS           8
#define SWAP_DEFAULT_DEADLINE_NS (5000ull * 1000 * 1000) /* how long a swap may stay pending */

/* The steps, in order. A test hook (swap_request.fail_at) fails the swap at one of them. */
enum swap_step {
    SWAP_STEP_NONE = 0,
    SWAP_STEP_LINK,     /* parse and link the new versions into fresh memory */
    SWAP_STEP_CHECK,    /* can each new version stand in for its old one? plan the rewrites */
    SWAP_STEP_QUIESCE,  /* stop the world; nobody in the old versions */
    SWAP_STEP_TRANSFER, /* state block (verbatim or migrate) and globals by name */
    SWAP_STEP_REWRITE,  /* every recorded site that pointed into an old version */
    SWAP_STEP_COMMIT,   /* switch symbols, tasks, core registries (cannot fail) */
    SWAP_STEP_RETIRE,   /* the old versions are retired (freed later, keel/reclaim.h) */
    SWAP_STEP_COUNT
};
/* "link", "check", ... ("?" out of range). */
const char *swap_step_name(enum swap_step step);
/* The step named name ("link" ... "retire"), or SWAP_STEP_NONE. */
enum swap_step swap_step_by_name(const char *name);

struct swap_item {
    const char *cell; /* the loaded cell to replace */
    const void *data; /* the new version's object (ET_REL); the caller keeps it */
    size_t size;
    const char *origin; /* names the object in messages (e.g. "counter@2.o") */
};

struct swap_status;

struct swap_request {
    size_t n; /* 1..SWAP_MAX_CELLS: swapped together, as one transaction */
    struct swap_item items[SWAP_MAX_CELLS];
    bool dry_run;           /* run link and check, report the plan, change nothing */
    uint64_t deadline_ns;   /* quiescence deadline; 0 = SWAP_DEFAULT_DEADLINE_NS */
    enum swap_step fail_at; /* test hook: fail at this step (SWAP_STEP_NONE: never) */
    /* The new versions' declared state blocks keep their initial values instead of the old
     * ones' (a reload after a fault that the state may not survive); variables still carry. */
    bool reset_state;
    /* Called (world running, the cells lock held) once the swap has been pending for 200 ms
     * and then about once a second while it stays pending, for a caller that shows its
     * progress; NULL for none. */
    void (*progress)(const struct swap_status *st, void *ctx);
    void *progress_ctx;
};

struct swap_cell_report {
    char name[KEEL_CELL_NAME_MAX];
    uint32_t old_version, new_version;
    const char *state;        /* "none", "verbatim", "migrated" */
    uint64_t state_bytes;     /* state block bytes carried */
    size_t variables_carried; /* undeclared .data/.bss variables carried by name */
    uint64_t variable_bytes;
};

struct swap_report {
    size_t n;
    struct swap_cell_report cells[SWAP_MAX_CELLS];
    /* Time of each step (guest TSC), and the stop-the-world window alone. */
    uint64_t link_ns, check_ns, quiesce_ns, transfer_ns, rewrite_ns, commit_ns, retire_ns;
    uint64_t total_ns, stw_ns;
    uint64_t reclaim_ns; /* before the swap (not in total_ns): a scan freeing retired versions
                            when RECLAIM_CROWDED were waiting (keel/reclaim.h), else 0 */
    unsigned quiescence_checks; /* quiescence checks (1 = quiescent at once) */
    size_t sites_rewired;       /* relocation sites in other cells */
    size_t relocations;         /* applied while linking the new versions */
    size_t tasks_respawned;     /* service tasks ended and re-spawned from the new versions */
    /* Pending (docs/live-swap.md): a task was inside an old version at the first check. */
    size_t sites_gated;       /* call sites pointed at the gate while pending */
    unsigned barriers;        /* return barriers set on tasks inside */
    unsigned held;            /* most tasks held at the gate and the barriers at once */
    enum swap_step failed_at; /* where it stopped (SWAP_STEP_NONE on success) */
    bool first_since_boot;    /* no swap was committed before this one: its time includes
                                 one-time costs (code run for the first time, page tables) */
    /* A dry run's plan, one line per '\n' ("rewire greeter text+0x1c -> hello_greet", "state:
     * verbatim 16 bytes"), allocated for the caller, who frees it with kfree; NULL for a swap that
     * is not a dry run, one refused, or when there was no memory for it. */
    char *plan;
};

/* The swap pending now, if any (docs/live-swap.md, "Pending swaps"), for `swap --status`: read
 * without a lock while the swap goes on, so a snapshot that may be a moment old. */
struct swap_status {
    bool pending;
    char cell[KEEL_CELL_NAME_MAX]; /* the first cell swapped */
    uint32_t old_version, new_version;
    uint64_t pending_ns;    /* since it became pending */
    uint64_t deadline_ns;   /* until it gives up, from now (0 once past) */
    unsigned checks;        /* quiescence checks so far */
    size_t sites_gated;     /* call sites pointed at the gate */
    unsigned barriers_left; /* return barriers set and not yet reached */
    unsigned held;          /* tasks parked now (gate and barriers) */
    char inside[192];       /* the last check's tasks inside, as a refusal would name them */
    /* Since boot: calls held at a gate, and their time there (what the gate adds to a call
     * while a swap is pending). */
    uint64_t gate_calls, gate_wait_ns;
};
void swap_status(struct swap_status *out);
/* The status in Keel's words, the same for the shell and keelctl: "swap: busy 1 -> 2 pending
 * for 12 ms (gives up in 4988 ms), ..." and who is inside, or "swap: no swap is pending";
 * the totals line "swap: since boot N calls held at a gate, M us there in all". JSON: members
 * without braces, times in nanoseconds ("pending", "cell", ..., "gate_calls", "gate_wait_ns"). */
void swap_status_text(const struct swap_status *st, format_emit_fn emit, void *ctx);
void swap_status_totals_text(const struct swap_status *st, format_emit_fn emit, void *ctx);
void swap_status_json(const struct swap_status *st, format_emit_fn emit, void *ctx);

/* Swap (or, with dry_run, plan) the cells of rq as one transaction. rep may be NULL. Must be
 * called from a task (it waits for quiescence); takes the cells lock. */
int swap_cells(const struct swap_request *rq, struct swap_report *rep, struct loader_error *err);

/* A report in Keel's words (docs/design.md, "Words"), the same for the shell's `swap` and
 * `keelctl swap`: sizes in bytes, times in microseconds with one decimal. SWAP_DONE prints what
 * each cell became, the sites rewired and the time of every step; SWAP_PLANNED (a dry run) what
 * each would become; SWAP_REFUSED where the swap stopped. */
enum swap_outcome { SWAP_DONE, SWAP_PLANNED, SWAP_REFUSED };
void swap_report_text(const struct swap_report *r, enum swap_outcome how, format_emit_fn emit,
                      void *ctx);
/* The report as JSON members without the enclosing braces ("cells": [...], "link_ns": ...,
 * "failed_at": ...): integers, times in nanoseconds (keys ending in _ns), sizes in bytes. */
void swap_report_json(const struct swap_report *r, format_emit_fn emit, void *ctx);

#endif
