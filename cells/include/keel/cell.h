/* The cell contract: every cell is one relocatable ELF object (ET_REL) with exactly one
 * descriptor in the section ".keel_cell", placed by KEEL_CELL(). The name and version are stored
 * inline so the loader can read them before anything is relocated; the function and state
 * pointers are ordinary R_X86_64_64 relocations that the loader applies.
 *
 *   static struct counter_state { int count; } state;
 *   static int counter_init(void) { ... return 0; }
 *   KEEL_CELL(.name = "counter", .version = 2, .init = counter_init,
 *             .state = &state, .state_size = sizeof(state), .state_version = 1);
 */
#ifndef KEEL_CELL_H
#define KEEL_CELL_H
#include <stddef.h>
#include <stdint.h>

#define KEEL_CELL_MAGIC    0x4c4c4543u /* "CELL" */
#define KEEL_CELL_ABI      1u
#define KEEL_CELL_NAME_MAX 32 /* including the NUL */

struct keel_cell_descriptor {
    uint32_t magic;                /* KEEL_CELL_MAGIC */
    uint32_t abi;                  /* KEEL_CELL_ABI */
    char name[KEEL_CELL_NAME_MAX]; /* [A-Za-z0-9_-]+, NUL-terminated */
    uint32_t version;              /* >= 1 */
    uint32_t state_version;
    /* Run once after linking; non-zero (a negative KE_* code) refuses the load. Optional. */
    int (*init)(void);
    /* Run before unloading. Optional. */
    void (*exit)(void);
    /* The declared state block: carried across live swaps. Optional (NULL, 0). */
    void *state;
    uint64_t state_size;
    /* Convert an older state layout into this version's block. Optional. */
    int (*migrate)(uint32_t old_version, const void *old_state, uint64_t old_size, void *new_state);
    /* The recovery policy (docs/fault-injection.md, "The recovery ladder"); 0 in a field means
     * the global default (the `recovery` shell command shows and changes it). */
    uint8_t recovery_top;       /* the highest rung a fault charged to this cell climbs to */
    uint8_t recovery_state;     /* a reload carries the state block, or resets it */
    uint16_t recovery_reserved; /* 0 */
    uint32_t recovery_quiet_ms; /* a fault after this long without one starts at the bottom */
};

/* Rungs of the recovery ladder (keel_cell_descriptor.recovery_top). */
#define KEEL_RUNG_RESTART    1 /* restart the faulted task */
#define KEEL_RUNG_RELOAD     2 /* reload the cell from its pristine object */
#define KEEL_RUNG_DEPENDENTS 3 /* reload it and the cells that depend on it */
#define KEEL_RUNG_GIVE_UP    4 /* mark the cell failed and end its tasks */
/* keel_cell_descriptor.recovery_state: after a fault, is the state block trustworthy? */
#define KEEL_RECOVERY_CARRY 1 /* yes: a reload carries it */
#define KEEL_RECOVERY_RESET 2 /* no: a reload gives the new instance its initial value */

#define KEEL_CELL(...)                                                                             \
    __attribute__((section(".keel_cell"), used,                                                    \
                   aligned(8))) static const struct keel_cell_descriptor keel_cell_descriptor_ = { \
        .magic = KEEL_CELL_MAGIC, .abi = KEEL_CELL_ABI, __VA_ARGS__}

#endif
