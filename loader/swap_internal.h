/* Private: the state of one live swap between loader_swap_link and finish/abort. */
#ifndef KEEL_LOADER_SWAP_INTERNAL_H
#define KEEL_LOADER_SWAP_INTERNAL_H
#include "batch.h"

#define LOADER_SWAP_MAX 8

enum swap_state_mode {
    SWAP_STATE_NONE = 0, /* neither version declares a state block */
    SWAP_STATE_FRESH,    /* only the new one does: it starts from its initial value */
    SWAP_STATE_VERBATIM, /* same layout version and size: copied */
    SWAP_STATE_MIGRATE,  /* layout changed: the new version's migrate hook converts it */
};

struct swap_cell_plan {
    enum swap_state_mode mode;
    uint32_t old_version, new_version, old_layout, new_layout;
    uint64_t old_state, new_state, old_size, new_size; /* the state blocks */
    int (*migrate)(uint32_t, const void *, uint64_t, void *);
    size_t variables; /* carried by name */
    uint64_t variable_bytes;
    size_t relocations;
};

/* A variable carried by name. */
struct swap_copy {
    uint64_t from, to, size;
    const char *name; /* the old cell's pool */
    size_t k;         /* which swapped cell */
};

/* A site in a cell outside the swap that refers to an old version. */
struct swap_site {
    struct loaded_cell *cell;
    struct ledge *edge;
    size_t k;       /* the old version it points into */
    unsigned width; /* bytes of the field */
    uint64_t fresh; /* the field's value for the new version (computed by the check) */
    uint64_t value; /* what the rewrite stores (for data: decided at the rewrite) */
    uint64_t saved; /* what was there (for the undo) */
    uint32_t gate_saved; /* a gated call site: its rel32 before the gate (swap_gate.c) */
    bool gated;
};

struct loader_swap {
    struct loader *ld;
    size_t n;
    struct loaded_cell *old[LOADER_SWAP_MAX];
    struct batch b; /* the new versions: b.items[k].cell until the commit */
    struct loaded_cell *neu[LOADER_SWAP_MAX]; /* the new versions, also after the commit */
    struct swap_cell_plan plan[LOADER_SWAP_MAX];
    struct swap_site *sites;
    size_t nsites, rewritten;
    struct swap_copy *copies;
    size_t ncopies;
    bool checked, transferred, committed;
    size_t gated; /* call sites pointed at a gate (swap_gate.c); 0 before the rewrite */
};

/* swap.c */
size_t swap_index_of_old(const struct loader_swap *sw, const struct loaded_cell *c);
void swap_undo_rewrites(struct loader_swap *sw);
/* swap_state.c: the state block rules and the variables to carry (part of the check). */
int swap_plan_state(struct loader_swap *sw, struct loader_error *err);
const char *swap_state_mode_name(enum swap_state_mode m);

#endif
