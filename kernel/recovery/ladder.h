/* The recovery ladder's bookkeeping (kernel/recovery/ladder.c): per cell, the rung its last
 * fault took and when, and the rung a new fault takes under a policy. Freestanding, no
 * allocation, no locking (the recovery task is its only user); host-tested (ladder_test). */
#ifndef KEEL_RECOVERY_LADDER_H
#define KEEL_RECOVERY_LADDER_H
#include <stdbool.h>
#include <stdint.h>
#include <keel/recovery.h>

#define LADDER_CELLS 64

struct ladder_entry {
    char cell[RECOVERY_CELL_MAX]; /* "" : a free entry */
    unsigned rung;                /* the rung the last fault took */
    uint32_t faults;              /* faults since the ladder last started at the bottom */
    uint64_t last_ns;             /* when the last fault was taken */
    bool failed;                  /* the last rung was taken: the cell was given up */
    uint64_t reloaded_ns;         /* when a reload of the cell last completed (0: never) */
};

struct ladder {
    struct ladder_entry e[LADDER_CELLS];
};

/* The rung for a fault of cell taken at now_ns under p (p->top >= RECOVERY_RESTART): one above
 * the rung the previous fault took, or the bottom (restart) if the cell was quiet for
 * p->quiet_ms since; never above p->top. Recorded in the cell's entry (a full table forgets the
 * entry quiet the longest). */
unsigned ladder_climb(struct ladder *l, const char *cell, const struct recovery_policy *p,
                      uint64_t now_ns);
/* The same for a fault that began at began_ns and was taken at now_ns: a hang, which began when
 * the task last beat or blocked and was taken a heartbeat interval or CPU budget later. The
 * cell was quiet only if the fault began quiet_ms after the previous fault was taken: a task
 * that hangs again at once after its restart climbs, however long the watchdog took to see it. */
unsigned ladder_climb_since(struct ladder *l, const char *cell, const struct recovery_policy *p,
                            uint64_t began_ns, uint64_t now_ns);
/* A fault taken before the cell's last reload completed is a fault of the version the reload
 * replaced (a task of the cell faulting while its fault was being cured): ladder_climb_since
 * answers restart for it and leaves the ladder as it is. */
void ladder_reloaded(struct ladder *l, const char *cell, uint64_t now_ns);
/* The cell's entry, or NULL. */
struct ladder_entry *ladder_find(struct ladder *l, const char *cell);
/* Forget the cell (its next fault starts at the bottom); false if it had no entry. */
bool ladder_forget(struct ladder *l, const char *cell);

#endif
