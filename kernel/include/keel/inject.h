/* The fault injector (kernel/inject/): corrupt one location of a loaded cell — a bit, a word, an
 * instruction NOPed out, a conditional jump inverted — chosen from a seed, prove it by reading
 * the location back, and observe its activation with a debug register. One fault at a time; the
 * `inject` shell command drives it (docs/fault-injection.md, "Injecting a fault"). Errors:
 * negative KE_* codes with a message in *err, and then nothing has changed. */
#ifndef KEEL_INJECT_H
#define KEEL_INJECT_H
#include <stdbool.h>
#include <stdint.h>
#include <keel/inject_pick.h>
#include <keel/ipc_pick.h>
#include <keel/loader.h>
#include <keel/task.h>

#define INJECT_SYMBOL_MAX 64

/* When the fault is written: at once, at the Nth call of a function (an execute breakpoint on its
 * entry counts the calls; the #DB handler writes the fault), or a delay after the injection. */
enum inject_trigger { INJECT_NOW = 0, INJECT_AFTER_CALLS, INJECT_AFTER_US };

#define INJECT_AFTER_CALLS_MAX 1000000000ull
#define INJECT_AFTER_US_MAX    60000000ull /* one minute */

/* Where, beyond a cell's own regions: a live heap block owned by one of the cell's tasks (a task
 * whose entry is in the cell: its allocations are charged to it), or a word of a task's live
 * stack (between the stack pointer it saved and its stack's top). Bit flip and word only, and
 * at once (no trigger: the block or the frame may be gone by then). */
enum inject_place { INJECT_IN_CELL = 0, INJECT_IN_HEAP, INJECT_IN_STACK };

/* What to inject where. */
struct inject_spec {
    enum inject_model model;
    char cell[KEEL_CELL_NAME_MAX];
    enum cell_region region; /* CELL_REGION_NONE: text for nop/branch/bitflip, data for word */
    const char *symbol;      /* NULL: no --at; the location comes from the seed (or offset) */
    uint64_t symbol_offset;  /* --at symbol+off */
    bool has_offset;         /* --offset N: from the region's start */
    uint64_t offset;
    uint64_t seed;
    enum inject_value value; /* word only (0: random) */
    enum inject_place place;
    const char *task; /* --task id|name: the task whose stack (INJECT_IN_STACK) */
    enum inject_trigger trigger;
    uint64_t trigger_n;         /* the call count (>= 1) or the delay in µs */
    const char *trigger_symbol; /* --of: the function whose calls are counted */
};

/* An injection: armed (a trigger waits: nothing written yet) or applied, with its proof (what was
 * read back) and whether it was activated. */
struct inject_record {
    bool valid; /* an injection was made (and not restored) */
    uint64_t seq;
    struct inject_spec spec; /* spec.symbol points into symbol_name */
    char symbol_name[INJECT_SYMBOL_MAX];
    char trigger_name[INJECT_SYMBOL_MAX]; /* spec.trigger_symbol points here */
    char task_arg[TASK_NAME_MAX];         /* spec.task points here */
    task_id_t target;                     /* heap: the owning task; stack: the task */
    char target_name[TASK_NAME_MAX];
    uint64_t block, block_size;           /* heap: the block (payload start, bytes) */
    uint32_t owner;                       /* heap: its owner */
    uint64_t trigger_addr;                /* the entry of the function whose calls count */
    bool applied;                         /* the fault is written (a trigger may still wait) */
    uint64_t applied_ns;                  /* clock_ns() when it was written */
    uint64_t calls;                       /* --after-calls: the calls counted so far */
    uint64_t addr;                        /* the first faulted byte */
    char where_symbol[INJECT_SYMBOL_MAX]; /* the symbol covering addr ("" if none) */
    uint64_t where_offset;                /* addr minus that symbol (or the region's start) */
    uint8_t len;
    uint8_t old_bytes[INJECT_MAX_BYTES];
    uint8_t new_bytes[INJECT_MAX_BYTES]; /* as read back after the write */
    uint64_t watch_addr;                 /* what the debug register watches */
    uint8_t watch_len;                   /* 1, 2, 4 or 8 */
    bool watch_execute;                  /* an execute breakpoint (text), else read/write */
    bool armed;                          /* the debug register was armed */
    bool activated;
    uint64_t activated_ns; /* clock_ns() at the first hit */
    task_id_t task;        /* the task that hit it (0: none / the boot context) */
    char task_name[TASK_NAME_MAX];
    uint64_t rip; /* where it was hit (a watchpoint: the instruction after the access) */
};

/* Injects spec's fault: 0 and the record in *out (may be NULL). KE_BUSY while an earlier fault is
 * in place (restore it first). */
int inject_fault(const struct inject_spec *spec, struct inject_record *out,
                 struct loader_error *err);
/* The last injection (valid false if none). */
void inject_last(struct inject_record *out);
/* Writes the old bytes of the last injection back and disarms its debug register: 0 and the
 * record restored in *out (may be NULL), KE_NOENT if there is nothing to restore, KE_STALE
 * (with a message) if the cell was unloaded or replaced meanwhile. */
int inject_restore(struct inject_record *out, struct loader_error *err);

/* IPC faults (kernel/inject/ipc.c; docs/fault-injection.md, "IPC faults"): arm spec's fault on
 * channel messages (keel/ipc_pick.h). It shares the rule of one fault in place: KE_BUSY while a
 * code fault or another IPC fault is in place; KE_NOENT for a cell that is not loaded, KE_INVAL
 * for a bad kind, side, nth or delay. 0 and the record in *out (may be NULL). */
int inject_ipc(const struct ipc_fault_spec *spec, struct ipc_fault_record *out,
               struct loader_error *err);
/* The armed IPC fault with its activation (valid false if none). */
void inject_ipc_last(struct ipc_fault_record *out);
/* Disarms it: 0 and the record in *out (may be NULL), KE_NOENT if none is armed. */
int inject_ipc_restore(struct ipc_fault_record *out, struct loader_error *err);

#endif
