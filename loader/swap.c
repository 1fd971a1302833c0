/* Live swap, the loader's part: link new versions beside the old ones, check that they can stand
 * in, rewrite the sites other cells have into the old versions, and switch the registry. The
 * state transfer and address translation are in swap_state.c; stopping the world and the tasks
 * are the kernel's (kernel/swap/). Until loader_swap_commit, the old versions and the registry
 * are untouched except for rewritten sites, which loader_swap_abort restores. */
#include <keel/errno.h>
#include <keel/format.h>
#include <keel/string.h>
#include "swap_internal.h"

static int bad_args(struct loader_error *err, const char *who, const char *why)
{
    return loader_cell_fail(err, KE_INVAL, who, "cannot swap: %s", why);
}

int loader_swap_link(struct loader *ld, struct loaded_cell *const *olds,
                     const struct loader_object *objs, size_t n, struct loader_swap **out,
                     struct loader_error *err)
{
    loader_error_clear(err);
    if (!ld || !olds || !objs || !out || n == 0 || n > LOADER_SWAP_MAX)
        return bad_args(err, "?", "invalid arguments to loader_swap_link");
    *out = NULL;
    /* Validate first: every old cell is loaded, and named once. */
    for (size_t k = 0; k < n; k++) {
        bool loaded = false;
        for (size_t i = 0; olds[k] && i < ld->ncells; i++)
            loaded |= ld->cells[i] == olds[k];
        if (!loaded)
            return bad_args(err, objs[k].origin, "the cell to replace is not loaded");
        for (size_t j = 0; j < k; j++)
            if (olds[j] == olds[k])
                return loader_cell_fail(err, KE_INVAL, olds[k]->name,
                                        "cannot swap: named twice in one swap");
        if (!objs[k].data && objs[k].size)
            return bad_args(err, objs[k].origin, "no object data");
    }
    struct loader_swap *sw = loader_zalloc(&ld->pf, sizeof(*sw));
    if (!sw)
        return loader_cell_fail(err, KE_NOMEM, olds[0]->name, "out of memory for the swap");
    sw->ld = ld;
    sw->n = n;
    memcpy(sw->old, olds, n * sizeof(*olds));
    sw->b = (struct batch){.ld = ld, .n = n, .err = err, .replacing = sw->old};
    sw->b.items = loader_zalloc(&ld->pf, n * sizeof(struct batch_item));
    if (!sw->b.items) {
        ld->pf.free(ld->pf.ctx, sw);
        return loader_cell_fail(err, KE_NOMEM, olds[0]->name, "out of memory for the swap");
    }
    struct loader_stats saved = ld->stats; /* a swap is not a load: keep the load statistics */
    int rc = batch_prepare(&sw->b, objs);
    ld->stats = saved;
    sw->b.err = NULL; /* the caller's; not needed after linking */
    for (size_t k = 0; !rc && k < n; k++)
        sw->neu[k] = sw->b.items[k].cell;
    if (rc) {
        batch_free(&sw->b);
        ld->pf.free(ld->pf.ctx, sw);
        return rc;
    }
    *out = sw;
    return 0;
}

size_t loader_swap_count(const struct loader_swap *sw)
{
    return sw ? sw->n : 0;
}

struct loaded_cell *loader_swap_old(const struct loader_swap *sw, size_t k)
{
    return sw && k < sw->n ? sw->old[k] : NULL;
}

struct loaded_cell *loader_swap_new(const struct loader_swap *sw, size_t k)
{
    return sw && k < sw->n ? sw->neu[k] : NULL;
}

size_t loader_swap_sites(const struct loader_swap *sw)
{
    return sw ? sw->nsites : 0;
}

/* Which swapped cell (index) an old cell is, or SIZE_MAX. */
size_t swap_index_of_old(const struct loader_swap *sw, const struct loaded_cell *c)
{
    for (size_t k = 0; k < sw->n; k++)
        if (sw->old[k] == c)
            return k;
    return SIZE_MAX;
}

static const char *kind_name(unsigned kind)
{
    return kind == LOADER_SYM_FUNC ? "a function" : "an object";
}

/* One edge of a cell outside the swap into old version k: the new version must export the
 * symbol with the same kind (objects: at least as large), and the site's new value must fit. */
static int check_edge(struct loader_swap *sw, struct loaded_cell *site, struct ledge *e, size_t k,
                      struct loader_error *err)
{
    struct loaded_cell *oc = sw->old[k], *nc = sw->neu[k];
    const struct lsym *os = loader_cell_export(oc, e->symbol, e->symbol_hash);
    const struct lsym *ns = loader_cell_export(nc, e->symbol, e->symbol_hash);
    if (!ns)
        return loader_cell_fail(
            err, KE_NOENT, nc->name,
            "version %u cannot replace version %u: cell '%s' uses '%.64s', which "
            "version %u does not export",
            nc->version, oc->version, site->name, e->symbol, nc->version);
    if (os && os->kind != ns->kind)
        return loader_cell_fail(
            err, KE_INVAL, nc->name,
            "version %u cannot replace version %u: '%.64s' (used by cell '%s') is "
            "%s in version %u but %s in version %u",
            nc->version, oc->version, e->symbol, site->name, kind_name(os->kind), oc->version,
            kind_name(ns->kind), nc->version);
    if (os && os->kind == LOADER_SYM_OBJECT && ns->size < os->size)
        return loader_cell_fail(
            err, KE_INVAL, nc->name,
            "version %u cannot replace version %u: object '%.64s' (used by cell "
            "'%s') shrinks from %llu to %llu bytes",
            nc->version, oc->version, e->symbol, site->name, (unsigned long long)os->size,
            (unsigned long long)ns->size);
    struct swap_site *s = &sw->sites[sw->nsites++];
    s->cell = site;
    s->edge = e;
    s->k = k;
    s->width = loader_reloc_type(e->type)->width; /* an edge's type is one the loader applies */
    if (loader_reloc_value(e->type, ns->addr, e->addend, e->site_addr, &s->fresh))
        return loader_cell_fail(
            err, KE_RANGE, nc->name,
            "version %u cannot replace version %u: the site in cell '%s' (%s+0x%llx) "
            "cannot reach '%.64s' at 0x%llx",
            nc->version, oc->version, site->name, e->site_section,
            (unsigned long long)e->site_offset, e->symbol, (unsigned long long)ns->addr);
    return 0;
}

/* Forget a failed check's partial plan, so that the check can be run again. */
static void check_reset(struct loader_swap *sw)
{
    const struct loader_platform *pf = &sw->ld->pf;
    if (sw->sites)
        pf->free(pf->ctx, sw->sites);
    if (sw->copies)
        pf->free(pf->ctx, sw->copies);
    sw->sites = NULL;
    sw->copies = NULL;
    sw->nsites = sw->ncopies = 0;
    memset(sw->plan, 0, sizeof(sw->plan));
}

static int check_steps(struct loader_swap *sw, struct loader_error *err);

int loader_swap_check(struct loader_swap *sw, struct loader_error *err)
{
    loader_error_clear(err);
    if (!sw || sw->checked)
        return bad_args(err, "?", "loader_swap_check called twice or without a swap");
    /* Room on the retired list for the old versions, so that the commit cannot fail. */
    if (loader_retired_reserve(sw->ld, sw->n))
        return loader_cell_fail(err, KE_NOMEM, sw->old[0]->name,
                                "out of memory for the retired list");
    int rc = check_steps(sw, err);
    if (rc)
        check_reset(sw);
    else
        sw->checked = true;
    return rc;
}

static int check_steps(struct loader_swap *sw, struct loader_error *err)
{
    struct loader *ld = sw->ld;
    size_t count = 0;
    for (size_t i = 0; i < ld->ncells; i++) {
        struct loaded_cell *c = ld->cells[i];
        if (swap_index_of_old(sw, c) != SIZE_MAX)
            continue;
        for (size_t j = 0; j < c->ncell_edges; j++)
            count += swap_index_of_old(sw, c->edges[c->cell_edges[j]].target) != SIZE_MAX;
    }
    if (count) {
        sw->sites = loader_zalloc(&ld->pf, count * sizeof(*sw->sites));
        if (!sw->sites)
            return loader_cell_fail(err, KE_NOMEM, sw->old[0]->name,
                                    "out of memory for %zu rewrite sites", count);
    }
    for (size_t i = 0; i < ld->ncells; i++) {
        struct loaded_cell *c = ld->cells[i];
        if (swap_index_of_old(sw, c) != SIZE_MAX)
            continue;
        for (size_t j = 0; j < c->ncell_edges; j++) {
            struct ledge *e = &c->edges[c->cell_edges[j]];
            size_t k = swap_index_of_old(sw, e->target);
            if (k == SIZE_MAX)
                continue;
            int rc = check_edge(sw, c, e, k, err);
            if (rc)
                return rc;
        }
    }
    return swap_plan_state(sw, err);
}

/* Stores through the platform (the site may be in read-only or executable memory). */
static int store(struct loader_swap *sw, uint64_t addr, const void *bytes, unsigned width)
{
    const struct loader_platform *pf = &sw->ld->pf;
    if (pf->patch)
        return pf->patch(pf->ctx, (void *)(uintptr_t)addr, bytes, width);
    memcpy((void *)(uintptr_t)addr, bytes, width);
    return 0;
}

int loader_swap_rewrite(struct loader_swap *sw, struct loader_error *err)
{
    if (!sw || !sw->checked || sw->committed || sw->rewritten || sw->gated)
        return bad_args(err, "?", "loader_swap_rewrite out of order");
    for (size_t i = 0; i < sw->nsites; i++) {
        struct swap_site *s = &sw->sites[i];
        const struct ledge *e = s->edge;
        memcpy(&s->saved, (const void *)(uintptr_t)e->site_addr, s->width);
        s->value = s->fresh;
        if (e->site_writable) {
            /* A pointer in data may have been changed since it was relocated: translate the
             * address it holds now if that lies in an old version, else leave it alone. */
            uint64_t cur = 0, to;
            memcpy(&cur, &s->saved, s->width);
            s->value = cur;
            uint64_t addr = loader_reloc_target(e->type, cur, e->site_addr);
            if (loader_swap_in_old(sw, addr)) {
                char why[96];
                int rc = loader_swap_translate(sw, addr, &to, why, sizeof(why));
                if (!rc && loader_reloc_value(e->type, to, 0, e->site_addr, &s->value))
                    rc = KE_RANGE;
                if (rc) {
                    sw->rewritten = i;
                    swap_undo_rewrites(sw);
                    return loader_cell_fail(err, rc, s->cell->name,
                                            "%s+0x%llx holds a pointer to %s, which has no "
                                            "counterpart in the new version",
                                            e->site_section, (unsigned long long)e->site_offset,
                                            why[0] ? why : "a place its field cannot reach");
                }
            }
        }
        int rc = store(sw, e->site_addr, &s->value, s->width);
        if (rc) {
            sw->rewritten = i;
            swap_undo_rewrites(sw);
            return loader_cell_fail(err, rc < 0 ? rc : KE_FAULT, s->cell->name,
                                    "cannot rewrite %s+0x%llx", e->site_section,
                                    (unsigned long long)e->site_offset);
        }
    }
    sw->rewritten = sw->nsites;
    return 0;
}

void swap_undo_rewrites(struct loader_swap *sw)
{
    for (size_t i = sw->rewritten; i-- > 0;) {
        struct swap_site *s = &sw->sites[i];
        (void)store(sw, s->edge->site_addr, &s->saved, s->width);
    }
    sw->rewritten = 0;
}

void loader_swap_abort_rewrite(struct loader_swap *sw)
{
    if (sw && !sw->committed)
        swap_undo_rewrites(sw);
}

void loader_swap_commit(struct loader_swap *sw)
{
    if (!sw || !sw->checked || sw->committed)
        return;
    struct loader *ld = sw->ld;
    for (size_t i = 0; i < sw->nsites; i++)
        sw->sites[i].edge->target = sw->neu[sw->sites[i].k];
    for (size_t k = 0; k < sw->n; k++) {
        struct loaded_cell *oc = sw->old[k], *nc = sw->neu[k];
        for (size_t i = 0; i < ld->ncells; i++)
            if (ld->cells[i] == oc)
                ld->cells[i] = nc; /* same place in load order */
        nc->pins = oc->pins;       /* the kernel moves the tasks along */
        oc->pins = 0;
        nc->initialized = oc->initialized; /* the state carried over is an initialized one */
        oc->initialized = false;
        sw->b.items[k].cell = NULL; /* the registry's now */
    }
    sw->committed = true;
    loader_changed(ld);
}

static void swap_free(struct loader_swap *sw)
{
    const struct loader_platform *pf = &sw->ld->pf;
    batch_free(&sw->b);
    if (sw->sites)
        pf->free(pf->ctx, sw->sites);
    if (sw->copies)
        pf->free(pf->ctx, sw->copies);
    pf->free(pf->ctx, sw);
}

void loader_swap_finish(struct loader_swap *sw)
{
    if (!sw)
        return;
    if (!sw->committed) {
        loader_swap_abort(sw);
        return;
    }
    /* No exit: its state lives on in the new one. Retired (freed once nothing points into it)
     * or, without a retiring platform, freed now. */
    for (size_t k = 0; k < sw->n; k++)
        loader_cell_retire(sw->ld, sw->old[k]);
    swap_free(sw);
}

void loader_swap_abort(struct loader_swap *sw)
{
    if (!sw)
        return;
    if (sw->committed) {
        loader_swap_finish(sw);
        return;
    }
    loader_swap_ungate(sw);
    swap_undo_rewrites(sw);
    swap_free(sw); /* the new versions were never visible: no exit, no init */
}

void loader_swap_stats(const struct loader_swap *sw, size_t k, struct loader_swap_cell_stats *out)
{
    if (!out)
        return;
    memset(out, 0, sizeof(*out));
    if (!sw || k >= sw->n)
        return;
    const struct swap_cell_plan *p = &sw->plan[k];
    out->name = sw->old[k]->name;
    out->old_version = p->old_version;
    out->new_version = p->new_version;
    out->state = swap_state_mode_name(p->mode);
    out->state_bytes = p->mode == SWAP_STATE_NONE || p->mode == SWAP_STATE_FRESH ? 0 : p->old_size;
    out->variables = p->variables;
    out->variable_bytes = p->variable_bytes;
    out->relocations = p->relocations;
}

static void emitf(void (*emit)(void *, const char *), void *ctx, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void emitf(void (*emit)(void *, const char *), void *ctx, const char *fmt, ...)
{
    char line[160];
    va_list ap;
    va_start(ap, fmt);
    kvsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    emit(ctx, line);
}

#define DESCRIBE_SITES_MAX 24

void loader_swap_describe(const struct loader_swap *sw, void (*emit)(void *ctx, const char *line),
                          void *ctx)
{
    if (!sw || !emit || !sw->checked)
        return;
    for (size_t k = 0; k < sw->n; k++) {
        const struct swap_cell_plan *p = &sw->plan[k];
        const char *name = sw->old[k]->name;
        emitf(emit, ctx, "%s: version %u -> %u (%zu relocations linked)", name, p->old_version,
              p->new_version, p->relocations);
        switch (p->mode) {
        case SWAP_STATE_NONE:
            emitf(emit, ctx, "  state block: none");
            break;
        case SWAP_STATE_FRESH:
            emitf(emit, ctx, "  state block: new (%llu bytes, starts from its initial value)",
                  (unsigned long long)p->new_size);
            break;
        case SWAP_STATE_VERBATIM:
            emitf(emit, ctx, "  state block: carried verbatim, %llu bytes (layout %u)",
                  (unsigned long long)p->old_size, p->old_layout);
            break;
        case SWAP_STATE_MIGRATE:
            emitf(emit, ctx,
                  "  state block: migrated by version %u's hook, layout %u -> %u, %llu -> %llu "
                  "bytes",
                  p->new_version, p->old_layout, p->new_layout, (unsigned long long)p->old_size,
                  (unsigned long long)p->new_size);
            break;
        }
        for (size_t i = 0; i < sw->ncopies; i++)
            if (sw->copies[i].k == k)
                emitf(emit, ctx, "  carry variable '%.64s' (%llu bytes)", sw->copies[i].name,
                      (unsigned long long)sw->copies[i].size);
    }
    size_t shown = 0;
    for (size_t i = 0; i < sw->nsites; i++) {
        const struct swap_site *s = &sw->sites[i];
        if (shown++ == DESCRIBE_SITES_MAX) {
            emitf(emit, ctx, "  ... and %zu more sites", sw->nsites - DESCRIBE_SITES_MAX);
            break;
        }
        emitf(emit, ctx, "rewire %s %s+0x%llx (%s) -> %s:%.64s%s", s->cell->name,
              s->edge->site_section, (unsigned long long)s->edge->site_offset,
              loader_reloc_name(s->edge->type) ? loader_reloc_name(s->edge->type) : "?",
              sw->old[s->k]->name, s->edge->symbol,
              s->edge->site_writable ? " (data: translated at the swap)" : "");
    }
    if (sw->nsites == 0)
        emitf(emit, ctx, "no sites in other cells point into the old version%s",
              sw->n > 1 ? "s" : "");
}
