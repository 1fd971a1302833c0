/* The recovery ladder (kernel/recovery/; docs/fault-injection.md, "The recovery ladder"). A
 * fault of a restartable task is charged to a cell and climbs that cell's ladder: (1) restart
 * the task; (2) reload the cell from its pristine object (a live swap of the cell for a fresh
 * instance of the same version: dependents rewired, service tasks re-spawned, the state block
 * carried or reset); (3) reload it and the cells that depend on it; (4) give up: the cell is
 * marked failed, its tasks end and no new ones start (KE_FAILED). Each fault within the quiet
 * period of the previous one climbs a rung, up to the policy's top; after a quiet period the
 * next fault starts at the bottom again. Every rung taken is recorded in the fault log.
 * Errors: negative KE_* codes. */
#ifndef KEEL_RECOVERY_H
#define KEEL_RECOVERY_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RECOVERY_CELL_MAX 32

/* The rungs (the same numbers as keel/cell.h's KEEL_RUNG_*). */
enum recovery_rung {
    RECOVERY_RESTART = 1,
    RECOVERY_RELOAD = 2,
    RECOVERY_DEPENDENTS = 3,
    RECOVERY_GIVE_UP = 4,
};
/* What a reload does with the cell's declared state block (keel/cell.h KEEL_RECOVERY_*). */
enum recovery_state { RECOVERY_CARRY = 1, RECOVERY_RESET = 2 };

struct recovery_policy {
    unsigned top;      /* enum recovery_rung: the highest rung */
    unsigned state;    /* enum recovery_state */
    uint32_t quiet_ms; /* 1..3600000 */
};

/* The global default (a cell's descriptor overrides it field by field). Boot value: top
 * restart, state reset, quiet 1000 ms. */
void recovery_default_get(struct recovery_policy *out);
/* KE_RANGE for a field out of range; nothing changes then. */
int recovery_default_set(const struct recovery_policy *p);

struct recovery_cell_info {
    char cell[RECOVERY_CELL_MAX];
    unsigned rung;   /* the rung its last fault took */
    uint32_t faults; /* faults since the ladder last started at the bottom */
    uint64_t last_ns;
    bool failed;
    struct recovery_policy policy; /* in effect for it (descriptor over the default) */
};
/* The cells with a ladder in progress (or given up), at most max; returns how many. */
size_t recovery_cells(struct recovery_cell_info *out, size_t max);
/* Forget a cell's ladder and clear its failed mark: KE_NOENT if it has neither. */
int recovery_reset(const char *cell);
/* "restart", "reload", "dependents", "give_up" ("?" otherwise); 0 on a bad name. */
const char *recovery_rung_name(unsigned rung);
unsigned recovery_rung_by_name(const char *name);

/* Boot: start the recovery task (a core task). */
int recovery_start(void);

#endif
