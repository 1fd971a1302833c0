/* Queries over the registry: the dependency graph (edges), symbols by name, symbols by
 * address, and a summary per cell. */
#include <keel/errno.h>
#include <keel/string.h>
#include "registry.h"

const struct lsym *loader_cell_export(const struct loaded_cell *c, const char *name, uint64_t hash)
{
    size_t lo = 0, hi = c->nexports;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const struct lsym *s = &c->exports[mid];
        int r = s->hash != hash ? (s->hash < hash ? -1 : 1) : strcmp(c->pool + s->name, name);
        if (r == 0)
            return &c->exports[mid];
        if (r < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const struct lsym *loader_cell_addrsym_at(const struct loaded_cell *c, uint64_t addr)
{
    size_t lo = 0, hi = c->naddrsyms;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->addrsyms[mid].addr <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo ? &c->addrsyms[lo - 1] : NULL;
}

bool loader_cell_uses(const struct loaded_cell *c, const struct loaded_cell *target)
{
    for (size_t j = 0; j < c->ncell_edges; j++)
        if (c->edges[c->cell_edges[j]].target == target)
            return true;
    return false;
}

int loader_for_each_edge(const struct loader *ld, const struct loaded_cell *site,
                         const struct loaded_cell *target, const char *symbol,
                         int (*fn)(void *ctx, const struct loader_edge *e), void *ctx)
{
    if (!ld || !fn)
        return KE_INVAL;
    /* A retired site is not in the registry, but its code still refers to its targets. */
    bool retired_site = site && site->retired;
    for (size_t i = 0; i < (retired_site ? 1 : ld->ncells); i++) {
        const struct loaded_cell *c = retired_site ? site : ld->cells[i];
        if (site && c != site)
            continue;
        /* With a target, only the edges into cells can match. */
        size_t n = target ? c->ncell_edges : c->nedges;
        for (size_t j = 0; j < n; j++) {
            const struct ledge *e = &c->edges[target ? c->cell_edges[j] : j];
            if (target && e->target != target)
                continue;
            if (symbol && strcmp(e->symbol, symbol) != 0)
                continue;
            struct loader_edge out = {c,         e->site_section, e->site_offset, e->type,
                                      e->addend, e->target,       e->symbol};
            int rc = fn(ctx, &out);
            if (rc)
                return rc;
        }
    }
    return 0;
}

static size_t count_dependents(const struct loaded_cell *cell)
{
    const struct loader *ld = cell->ld;
    size_t n = 0;
    for (size_t i = 0; i < ld->ncells; i++) {
        const struct loaded_cell *c = ld->cells[i];
        n += c != cell && loader_cell_uses(c, cell);
    }
    return n;
}

void loader_cell_info(const struct loaded_cell *cell, struct loader_cell_info *out)
{
    if (!out)
        return;
    memset(out, 0, sizeof(*out));
    if (!cell)
        return;
    out->name = cell->name;
    out->version = cell->version;
    for (int r = CELL_REGION_TEXT; r <= CELL_REGION_DATA; r++) {
        out->base[r] = (uint64_t)(uintptr_t)cell->region[r];
        out->size[r] = cell->region_size[r];
    }
    out->writable_bytes = cell->writable_bytes;
    out->relocations = cell->relocations;
    out->dependents = count_dependents(cell);
    out->descriptor = cell->desc;
    out->origin = cell->origin;
    out->retired = cell->retired;
    out->failed = cell->failed;
}

void loader_cell_set_failed(struct loaded_cell *cell, bool failed)
{
    if (cell)
        cell->failed = failed;
}

/* addr in one of c's regions: fill the outputs and return true. */
static bool lookup_in(const struct loaded_cell *c, uint64_t addr, const struct loaded_cell **cell,
                      const char **symbol, uint64_t *offset)
{
    for (int r = CELL_REGION_TEXT; r <= CELL_REGION_DATA; r++) {
        uint64_t base = (uint64_t)(uintptr_t)c->region[r];
        if (!c->region[r] || addr < base || addr - base >= c->region_size[r])
            continue;
        /* The last symbol at or below addr, if it lies in the same region and, when it is
         * sized, actually covers addr. */
        const struct lsym *s = loader_cell_addrsym_at(c, addr);
        if (s && (s->addr < base || (s->size && addr - s->addr >= s->size)))
            s = NULL;
        if (cell)
            *cell = c;
        if (symbol)
            *symbol = s ? c->pool + s->name : NULL;
        if (offset)
            *offset = s ? addr - s->addr : addr - base;
        return true;
    }
    return false;
}

int loader_addr_lookup(const struct loader *ld, uint64_t addr, const struct loaded_cell **cell,
                       const char **symbol, uint64_t *offset)
{
    if (!ld)
        return KE_INVAL;
    for (size_t i = 0; i < ld->ncells; i++)
        if (lookup_in(ld->cells[i], addr, cell, symbol, offset))
            return 0;
    /* Retired versions are still mapped, and code may still run in them. */
    for (size_t i = 0; i < ld->nretired; i++)
        if (lookup_in(ld->retired[i], addr, cell, symbol, offset))
            return 0;
    return KE_NOENT;
}

int loader_cell_symbol(const struct loaded_cell *cell, const char *name,
                       struct loader_symbol_info *out)
{
    if (!cell || !name)
        return KE_INVAL;
    for (size_t i = 0; i < cell->naddrsyms; i++) {
        const struct lsym *s = &cell->addrsyms[i];
        if (strcmp(cell->pool + s->name, name) != 0)
            continue;
        if (out)
            *out = (struct loader_symbol_info){s->addr, s->size, (enum loader_sym_kind)s->kind};
        return 0;
    }
    return KE_NOENT;
}

uint64_t loader_cell_region_used(const struct loaded_cell *cell, enum cell_region region)
{
    if (!cell || region < CELL_REGION_TEXT || region > CELL_REGION_DATA || !cell->region[region])
        return 0;
    uint64_t base = (uint64_t)(uintptr_t)cell->region[region], used = 0;
    for (size_t i = 0; i < cell->naddrsyms; i++) {
        const struct lsym *s = &cell->addrsyms[i];
        if (s->addr - base < cell->region_size[region] && s->addr - base + s->size > used)
            used = s->addr - base + s->size;
    }
    return used < cell->region_size[region] ? used : cell->region_size[region];
}

int loader_symbol_lookup(const struct loader *ld, const char *name, const struct loaded_cell **cell,
                         struct loader_symbol_info *out)
{
    if (!ld || !name)
        return KE_INVAL;
    uint64_t hash = loader_name_hash(name);
    for (size_t i = 0; i < ld->ncells; i++) {
        const struct lsym *s = loader_cell_export(ld->cells[i], name, hash);
        if (!s)
            continue;
        if (cell)
            *cell = ld->cells[i];
        if (out)
            *out = (struct loader_symbol_info){s->addr, s->size, (enum loader_sym_kind)s->kind};
        return 0;
    }
    return KE_NOENT;
}
