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
};

/* An injection: its proof (what was read back) and whether it was activated. */
struct inject_record {
    bool valid; /* an injection was made (and not restored) */
    uint64_t seq;
    struct inject_spec spec; /* spec.symbol points into symbol_name */
    char symbol_name[INJECT_SYMBOL_MAX];
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
