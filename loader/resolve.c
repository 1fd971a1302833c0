/* Symbol resolution for a batch. A name resolves against, in order: the core's explicit
 * exports, the globals of cells already loaded, the globals of the batch. Since a global may be
 * defined only once in the whole system (core included), the order decides nothing but the
 * wording of messages. A weak undefined symbol that nobody defines is 0. */
#include <keel/errno.h>
#include <keel/string.h>
#include "batch.h"
#include "elf64.h"

static bool is_export(const struct cell_image *img, size_t i)
{
    const struct cell_symbol *s = &img->symbols[i];
    return i > 0 && s->bind != STB_LOCAL && s->shndx != SHN_UNDEF;
}

static const char *export_name(const struct batch *b, const struct batch_export *e)
{
    return b->items[e->item].img.symbols[e->sym].name;
}

/* By hash, then name, then item (then symbol, for a complete order): equal names are adjacent
 * and in item order. */
static int export_tie(const void *a, const void *b, void *ctx)
{
    const struct batch *bt = ctx;
    const struct batch_export *x = a, *y = b;
    int c = strcmp(export_name(bt, x), export_name(bt, y));
    if (c)
        return c;
    if (x->item != y->item)
        return x->item < y->item ? -1 : 1;
    return x->sym < y->sym ? -1 : x->sym > y->sym;
}

/* A global some cell already loaded exports. */
static const struct lsym *loaded_export(const struct batch *b, const char *name, uint64_t hash,
                                        struct loaded_cell **cell)
{
    const struct loader *ld = b->ld;
    for (size_t i = 0; i < ld->ncells; i++) {
        if (batch_replaces(b, ld->cells[i]))
            continue; /* a live swap: its new version in the batch stands in for it */
        const struct lsym *s = loader_cell_export(ld->cells[i], name, hash);
        if (s) {
            *cell = ld->cells[i];
            return s;
        }
    }
    return NULL;
}

static bool core_lookup(const struct loader *ld, const char *name, struct loader_symbol_info *out)
{
    return ld->pf.core_symbol && ld->pf.core_symbol(ld->pf.ctx, name, out) == 0;
}

/* Why an export is refused, checked in this order. */
enum export_clash { CLASH_NONE, CLASH_CORE, CLASH_CELL, CLASH_BATCH };

/* Does export x come before y in (name, item) order? */
static bool name_order_before(const struct batch *b, const struct batch_export *x,
                              const struct batch_export *y)
{
    int c = strcmp(export_name(b, x), export_name(b, y));
    return c < 0 || (c == 0 && x->item < y->item);
}

int batch_check_exports(struct batch *b)
{
    size_t total = 0;
    for (size_t i = 0; i < b->n; i++)
        for (size_t s = 0; s < b->items[i].img.nsymbols; s++)
            total += is_export(&b->items[i].img, s);
    if (total) {
        if (total > SIZE_MAX / sizeof(struct batch_export))
            return loader_cell_fail(b->err, KE_NOMEM, b->items[0].img.name, "too many exports");
        b->exports = b->ld->pf.alloc(b->ld->pf.ctx, total * sizeof(struct batch_export));
        if (!b->exports)
            return loader_cell_fail(b->err, KE_NOMEM, b->items[0].img.name,
                                    "out of memory for %zu batch exports", total);
    }
    for (size_t i = 0; i < b->n; i++) {
        const struct cell_image *img = &b->items[i].img;
        for (size_t s = 0; s < img->nsymbols; s++)
            if (is_export(img, s))
                b->exports[b->nexports++] = (struct batch_export){
                    loader_name_hash(img->symbols[s].name), (uint32_t)i, (uint32_t)s};
    }
    /* One scratch for the batch's sorts: these exports now, each cell's address table (at most
     * one entry per symbol) when it is linked. */
    size_t size = loader_sort_scratch(total, sizeof(struct batch_export));
    for (size_t i = 0; i < b->n; i++) {
        size_t cell = loader_sort_scratch(b->items[i].img.nsymbols, sizeof(struct lsym));
        size = cell > size ? cell : size;
    }
    b->sort_scratch = size == SIZE_MAX ? NULL : b->ld->pf.alloc(b->ld->pf.ctx, size);
    if (!b->sort_scratch)
        return loader_cell_fail(b->err, KE_NOMEM, b->items[0].img.name,
                                "out of memory for %zu batch exports", total);
    loader_sort(b->exports, total, sizeof(*b->exports), offsetof(struct batch_export, hash),
                export_tie, b, b->sort_scratch);
    /* Check every export. Of several clashes, report the first in (name, item) order, whatever
     * the hashes: equal names are adjacent and in item order here too, so "the export before it
     * with the same name" is the same export in both orders. */
    size_t bad = SIZE_MAX;
    enum export_clash bad_clash = CLASH_NONE;
    struct loaded_cell *bad_cell = NULL;
    for (size_t k = 0; k < b->nexports; k++) {
        const struct batch_export *e = &b->exports[k];
        const char *name = export_name(b, e);
        struct loader_symbol_info info;
        struct loaded_cell *other = NULL;
        enum export_clash clash = CLASH_NONE;
        if (core_lookup(b->ld, name, &info))
            clash = CLASH_CORE;
        else if (loaded_export(b, name, e->hash, &other))
            clash = CLASH_CELL;
        else if (k > 0 && b->exports[k - 1].hash == e->hash &&
                 strcmp(export_name(b, &b->exports[k - 1]), name) == 0)
            clash = CLASH_BATCH;
        if (clash == CLASH_NONE || (bad != SIZE_MAX && !name_order_before(b, e, &b->exports[bad])))
            continue;
        bad = k;
        bad_clash = clash;
        bad_cell = other;
    }
    if (bad == SIZE_MAX)
        return 0;
    const struct batch_export *e = &b->exports[bad];
    const char *name = export_name(b, e);
    const char *who = b->items[e->item].img.name;
    if (bad_clash == CLASH_CORE)
        return loader_cell_fail(b->err, KE_EXIST, who,
                                "duplicate export '%.64s': also exported by the core", name);
    if (bad_clash == CLASH_CELL)
        return loader_cell_fail(b->err, KE_EXIST, who,
                                "duplicate export '%.64s': also exported by cell '%s'", name,
                                bad_cell->name);
    return loader_cell_fail(b->err, KE_EXIST, b->items[b->exports[bad - 1].item].img.name,
                            "duplicate export '%.64s': also exported by cell '%s'", name, who);
}

static const struct batch_export *batch_export_find(const struct batch *b, const char *name,
                                                    uint64_t hash)
{
    size_t lo = 0, hi = b->nexports;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const struct batch_export *e = &b->exports[mid];
        int c = e->hash != hash ? (e->hash < hash ? -1 : 1) : strcmp(export_name(b, e), name);
        if (c == 0)
            return e;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* Addresses of what each object defines itself: its sections are in its regions now. */
static void resolve_own(struct batch_item *it)
{
    const struct cell_image *img = &it->img;
    for (size_t i = 0; i < img->nsymbols; i++) {
        const struct cell_symbol *s = &img->symbols[i];
        struct rsym *r = &it->syms[i];
        r->origin = RSYM_OWN;
        r->target = NULL;
        if (i == 0 || s->shndx == SHN_UNDEF) {
            r->addr = 0;
            continue;
        }
        if (s->shndx == SHN_ABS) {
            r->addr = s->value;
            continue;
        }
        const struct cell_section *sec = &img->sections[s->shndx];
        if (!(sec->flags & SHF_ALLOC) || !it->cell->region[sec->region]) {
            r->addr = s->value; /* not loaded: only debug relocations (never applied) see it */
            continue;
        }
        r->addr =
            (uint64_t)(uintptr_t)it->cell->region[sec->region] + sec->region_offset + s->value;
    }
}

static int resolve_undef(struct batch *b, struct batch_item *it, size_t i)
{
    const struct cell_symbol *s = &it->img.symbols[i];
    struct rsym *r = &it->syms[i];
    struct loader_symbol_info info;
    struct loaded_cell *other;
    const struct lsym *ls;
    const struct batch_export *be;
    uint64_t hash = r->hash = loader_name_hash(s->name);
    if (core_lookup(b->ld, s->name, &info)) {
        r->addr = info.addr;
        r->origin = RSYM_CORE;
    } else if ((ls = loaded_export(b, s->name, hash, &other)) != NULL) {
        r->addr = ls->addr;
        r->origin = RSYM_CELL;
        r->target = other;
    } else if ((be = batch_export_find(b, s->name, hash)) != NULL) {
        r->addr = b->items[be->item].syms[be->sym].addr;
        r->origin = RSYM_CELL;
        r->target = b->items[be->item].cell;
    } else if (s->bind == STB_WEAK) {
        r->addr = 0;
        r->origin = RSYM_WEAK0;
    } else {
        return loader_cell_fail(b->err, KE_NOENT, it->img.name,
                                "undefined symbol '%.64s' (not exported by the core or any cell)",
                                s->name);
    }
    return 0;
}

int batch_resolve(struct batch *b)
{
    for (size_t k = 0; k < b->n; k++)
        resolve_own(&b->items[k]);
    for (size_t k = 0; k < b->n; k++) {
        struct batch_item *it = &b->items[k];
        for (size_t i = 1; i < it->img.nsymbols; i++) {
            if (it->img.symbols[i].shndx != SHN_UNDEF)
                continue;
            int rc = resolve_undef(b, it, i);
            if (rc)
                return rc;
        }
    }
    return 0;
}
