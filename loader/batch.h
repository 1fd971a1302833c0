/* Private: the state of one loader_load() while it is being prepared. Everything a batch
 * allocates hangs off these records until the commit, so that undoing it is one walk. */
#ifndef KEEL_LOADER_BATCH_H
#define KEEL_LOADER_BATCH_H
#include "registry.h"

enum rsym_origin {
    RSYM_OWN = 0, /* defined by the object itself (or the null symbol) */
    RSYM_CORE,    /* a core export */
    RSYM_CELL,    /* a global of another cell (loaded before, or in this batch) */
    RSYM_WEAK0,   /* weak undefined, resolved to 0 */
};

/* The resolution of one symbol of a batch object. */
struct rsym {
    uint64_t addr;
    uint64_t hash;              /* RSYM_CORE, RSYM_CELL: loader_name_hash of its name */
    struct loaded_cell *target; /* RSYM_CELL: the defining cell */
    uint32_t str;               /* offset of its name in the cell's pool, or UINT32_MAX */
    uint8_t origin;
};

struct batch_item {
    struct cell_image img;
    struct loaded_cell *cell;
    struct rsym *syms; /* by symbol index */
    uint32_t *sec_str; /* by section index: name offset in the pool, or UINT32_MAX */
    size_t max_edges;
};

/* A global defined by some object of the batch (for duplicate checks and resolution). */
struct batch_export {
    uint64_t hash; /* loader_name_hash of its name */
    uint32_t item, sym;
};

struct batch {
    struct loader *ld;
    struct batch_item *items;
    size_t n;
    struct batch_export *exports; /* sorted by hash, then name, then item */
    size_t nexports;
    void *sort_scratch; /* for every sort of the batch: exports, each cell's address table;
                         * batch_finish frees it once they are sorted */
    struct loader_error *err;
    /* A live swap: the loaded cells item k replaces (replacing[k]), or NULL for a plain load.
     * Replaced cells are invisible to the batch: their names and exports may be defined again,
     * and nothing resolves to them. */
    struct loaded_cell *const *replacing;
};

/* Is c one of the cells this batch replaces? */
static inline bool batch_replaces(const struct batch *b, const struct loaded_cell *c)
{
    if (b->replacing)
        for (size_t k = 0; k < b->n; k++)
            if (b->replacing[k] == c)
                return true;
    return false;
}
/* Parse, check and link a batch (everything before a load's or a swap's commit): registry.c. */
int batch_prepare(struct batch *b, const struct loader_object *objs);

void *loader_zalloc(const struct loader_platform *pf, size_t size);
/* Allocates each item's loaded_cell, string pool and tables (link.c). */
int batch_build_cells(struct batch *b);
/* Allocates and fills the regions: PROGBITS copied, NOBITS zero (link.c). */
int batch_alloc_regions(struct batch *b);
/* Refuses a global defined twice (by two objects, or by an object and a loaded cell or the
 * core), and builds the sorted batch export table (resolve.c); allocates sort_scratch. Each
 * object's own exports form a subsequence in (hash, name) order: batch_finish takes its cells'
 * export tables from it. */
int batch_check_exports(struct batch *b);
/* Gives every symbol of every object its address (resolve.c). */
int batch_resolve(struct batch *b);
/* Applies every relocation and records the edges (link.c). */
int batch_relocate(struct batch *b);
/* Final protections and the cells' export and address tables (link.c). */
int batch_finish(struct batch *b);
/* Frees everything the batch holds (regions, cells, images, temporaries). */
void batch_free(struct batch *b);

#endif
