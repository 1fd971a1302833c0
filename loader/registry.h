/* Private: what the loader keeps for each loaded cell, and the registry itself. */
#ifndef KEEL_LOADER_REGISTRY_H
#define KEEL_LOADER_REGISTRY_H
#include "internal.h"

/* A symbol of a loaded cell: an export (every defined global) or an address-lookup entry (every
 * defined FUNC/OBJECT, local or global). Names live in the cell's string pool. */
struct lsym {
    uint64_t hash; /* exports: loader_name_hash of the name */
    uint64_t addr, size;
    uint32_t name; /* offset of the name in the pool */
    uint8_t kind;  /* enum loader_sym_kind */
    uint8_t bind;  /* STB_* */
    uint8_t carry; /* a variable a live swap carries by name (writable, not relocated-read-only
                      data, not the descriptor) */
};

/* An outgoing edge: one relocation of this cell whose symbol another cell or the core defines. */
struct ledge {
    const char *site_section; /* pool */
    uint64_t site_offset;
    uint64_t site_addr; /* the patched field, for a live swap's rewrite */
    bool site_writable; /* the field lies in the data region (may have changed since) */
    uint32_t type;
    int64_t addend;
    struct loaded_cell *target; /* NULL: the core */
    const char *symbol;         /* pool */
    uint64_t symbol_hash;       /* loader_name_hash(symbol): a swap's check looks it up by this */
};

/* Where one allocated section of the object went (a debugger needs each one's address: the
 * layout packs many .text.* sections into one region). Sections of size 0 are left out. */
struct lsec {
    uint64_t addr, size;
    uint32_t name; /* offset of the section name in the pool */
};

struct loaded_cell {
    struct loader *ld;
    char name[KEEL_CELL_NAME_MAX];
    uint32_t version;
    char origin[LOADER_ORIGIN_MAX]; /* the object it came from */
    bool retired;                   /* on the loader's retired list */
    bool failed;                    /* recovery gave up on it (loader_cell_set_failed) */
    void *region[4];                /* by enum cell_region; NULL: empty */
    uint64_t region_size[4];
    uint64_t writable_bytes;
    size_t relocations;
    const struct keel_cell_descriptor *desc; /* inside the linked rodata/data region */
    bool initialized;                        /* init ran (or there is none) */
    char *pool;                              /* names */
    struct lsym *exports;                    /* sorted by hash, then name */
    size_t nexports;
    struct lsym *addrsyms; /* sorted by address */
    size_t naddrsyms;
    struct ledge *edges; /* in relocation order */
    size_t nedges;
    /* Which edges lead into another cell (target set), by index into edges, in order: what a
     * swap's check walks, instead of every edge into the core. Allocated with edges. */
    uint32_t *cell_edges;
    size_t ncell_edges;
    unsigned pins;         /* tasks running code of this cell (loader_cell_pin) */
    struct lsec *sections; /* in section order; read by tools/gdb/keel.py */
    size_t nsections;
};

struct loader {
    struct loader_platform pf;  /* a copy: the caller's struct need not outlive the loader */
    struct loaded_cell **cells; /* load order */
    size_t ncells, cap;
    struct loaded_cell **retired; /* replaced or unloaded, awaiting loader_retired_free */
    size_t nretired, retired_cap;
    struct loader_stats stats;
};

/* A global a loaded cell exports, by name and its loader_name_hash (binary search). */
const struct lsym *loader_cell_export(const struct loaded_cell *c, const char *name, uint64_t hash);
/* Does c have an edge into target (a cell)? graph.c. */
bool loader_cell_uses(const struct loaded_cell *c, const struct loaded_cell *target);
/* The last address symbol at or below addr (NULL if none): graph.c. */
const struct lsym *loader_cell_addrsym_at(const struct loaded_cell *c, uint64_t addr);
/* Tell the platform the registry's list of cells changed (pf->changed, if any). */
void loader_changed(const struct loader *ld);
/* Frees a cell's regions and metadata (no exit, not unlinked from the registry). */
void loader_cell_destroy(struct loader *ld, struct loaded_cell *c);
/* Reserve room for n more retired cells (so that retiring at a commit cannot fail). */
int loader_retired_reserve(struct loader *ld, size_t n);
/* Put c (already out of the registry) on the retired list if the platform retires, else free
 * it. Cannot fail once room was reserved. */
void loader_cell_retire(struct loader *ld, struct loaded_cell *c);

#endif
