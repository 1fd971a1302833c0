/* Live swap: carrying state from the old versions to the new ones.
 *
 * The declared state block (keel_cell_descriptor.state) is copied verbatim when both versions
 * declare the same layout version (and size), and converted by the new version's migrate hook
 * otherwise. Every other variable (a writable OBJECT symbol, see lsym.carry) is carried by name
 * when the new version has one of the same name and size; a variable that would be lost or
 * changes size refuses the swap. Carried bytes that hold a pointer into an old version are
 * translated to the same place in the new one (a refusal if there is none). */
#include <keel/errno.h>
#include <keel/string.h>
#include <keel/format.h>
#include "swap_internal.h"

const char *swap_state_mode_name(enum swap_state_mode m)
{
    static const char *const names[] = {"none", "fresh", "verbatim", "migrated"};
    return (unsigned)m < 4 ? names[m] : "?";
}

static bool in_region(const struct loaded_cell *c, int r, uint64_t addr, uint64_t size)
{
    uint64_t base = (uint64_t)(uintptr_t)c->region[r];
    return c->region[r] && addr >= base && size <= c->region_size[r] &&
           addr - base <= c->region_size[r] - size;
}

bool loader_swap_in_old(const struct loader_swap *sw, uint64_t addr)
{
    if (!sw)
        return false;
    for (size_t k = 0; k < sw->n; k++)
        for (int r = CELL_REGION_TEXT; r <= CELL_REGION_DATA; r++)
            if (in_region(sw->old[k], r, addr, 1))
                return true;
    return false;
}

/* Symbols of one name and kind may occur more than once (file-local statics of two files of a
 * cell): the n-th one of the old version matches the n-th of the new (ld -r keeps file order). */
static size_t occurrence(const struct loaded_cell *c, const struct lsym *s)
{
    size_t n = 0;
    for (const struct lsym *p = c->addrsyms; p < s; p++)
        n += p->kind == s->kind && strcmp(c->pool + p->name, c->pool + s->name) == 0;
    return n;
}

static const struct lsym *counterpart(const struct loaded_cell *oc, const struct lsym *os,
                                      const struct loaded_cell *nc)
{
    const char *name = oc->pool + os->name;
    size_t want = occurrence(oc, os), seen = 0;
    for (size_t i = 0; i < nc->naddrsyms; i++) {
        const struct lsym *p = &nc->addrsyms[i];
        if (p->kind != os->kind || strcmp(nc->pool + p->name, name) != 0)
            continue;
        if (seen++ == want)
            return p;
    }
    return NULL;
}

int loader_swap_translate(const struct loader_swap *sw, uint64_t addr, uint64_t *out, char *why,
                          size_t why_size)
{
    if (why && why_size)
        why[0] = 0;
    if (!sw || !out)
        return KE_INVAL;
    for (size_t k = 0; k < sw->n; k++) {
        const struct loaded_cell *oc = sw->old[k], *nc = sw->neu[k];
        for (int r = CELL_REGION_TEXT; r <= CELL_REGION_DATA; r++) {
            if (!in_region(oc, r, addr, 1))
                continue;
            const struct lsym *s = loader_cell_addrsym_at(oc, addr);
            uint64_t base = (uint64_t)(uintptr_t)oc->region[r];
            /* Strictly inside a symbol: a pointer just past an object may as well be the start of
             * whatever follows it (an unnamed literal), so it is not taken as the object's. */
            if (!s || s->addr < base || (s->size && addr - s->addr >= s->size)) {
                if (why)
                    ksnprintf(why, why_size, "%s %s+0x%llx (no symbol there)", oc->name,
                              loader_region_name(r), (unsigned long long)(addr - base));
                return KE_NOENT;
            }
            uint64_t off = addr - s->addr;
            const struct lsym *ns = nc ? counterpart(oc, s, nc) : NULL;
            if (!ns || (s->kind == LOADER_SYM_FUNC && off != 0) ||
                (s->kind == LOADER_SYM_OBJECT && off >= (ns->size ? ns->size : 1))) {
                if (why)
                    ksnprintf(why, why_size, "%s:%.64s+0x%llx", oc->name, oc->pool + s->name,
                              (unsigned long long)off);
                return KE_NOENT;
            }
            *out = ns->addr + off;
            return 0;
        }
    }
    return KE_NOENT;
}

/* The declared state block of a cell, checked to lie in its own data region. */
static int state_block(const struct loaded_cell *c, uint64_t *addr, uint64_t *size,
                       struct loader_error *err)
{
    *addr = (uint64_t)(uintptr_t)c->desc->state;
    *size = c->desc->state_size;
    if (!*addr && !*size)
        return 0;
    if (!*addr || !*size || *size > LOADER_STATE_MAX ||
        !in_region(c, CELL_REGION_DATA, *addr, *size))
        return loader_cell_fail(err, KE_INVAL, c->name,
                                "version %u's state block (%llu bytes at 0x%llx) is not inside its "
                                "writable data",
                                c->version, (unsigned long long)*size, (unsigned long long)*addr);
    return 0;
}

static int plan_block(struct loader_swap *sw, size_t k, struct loader_error *err)
{
    const struct loaded_cell *oc = sw->old[k], *nc = sw->neu[k];
    struct swap_cell_plan *p = &sw->plan[k];
    p->old_version = oc->version;
    p->new_version = nc->version;
    p->old_layout = oc->desc->state_version;
    p->new_layout = nc->desc->state_version;
    p->relocations = nc->relocations;
    p->migrate = nc->desc->migrate;
    int rc = state_block(oc, &p->old_state, &p->old_size, err);
    if (!rc)
        rc = state_block(nc, &p->new_state, &p->new_size, err);
    if (rc)
        return rc;
    bool had = p->old_size != 0, has = p->new_size != 0;
    if (!had) {
        p->mode = has ? SWAP_STATE_FRESH : SWAP_STATE_NONE;
        return 0;
    }
    if (!has)
        return loader_cell_fail(
            err, KE_INVAL, nc->name,
            "version %u declares no state block: version %u's %llu bytes of state "
            "would be lost",
            nc->version, oc->version, (unsigned long long)p->old_size);
    if (p->old_layout == p->new_layout) {
        if (p->old_size != p->new_size)
            return loader_cell_fail(
                err, KE_INVAL, nc->name,
                "state layout %u in both versions, but the block is %llu bytes in "
                "version %u and %llu in version %u (a new layout needs a new "
                "state_version and a migrate hook)",
                p->old_layout, (unsigned long long)p->old_size, oc->version,
                (unsigned long long)p->new_size, nc->version);
        p->mode = SWAP_STATE_VERBATIM;
        return 0;
    }
    if (!p->migrate)
        return loader_cell_fail(
            err, KE_INVAL, nc->name,
            "state layout changes (%u -> %u) and version %u has no migrate hook", p->old_layout,
            p->new_layout, nc->version);
    p->mode = SWAP_STATE_MIGRATE;
    return 0;
}

static bool overlaps(uint64_t a, uint64_t an, uint64_t b, uint64_t bn)
{
    return an && bn && a < b + bn && b < a + an;
}

/* The variables of old version k to carry by name. With copies == NULL: only counts and checks. */
static int plan_globals(struct loader_swap *sw, size_t k, size_t *count, struct loader_error *err)
{
    const struct loaded_cell *oc = sw->old[k], *nc = sw->neu[k];
    struct swap_cell_plan *p = &sw->plan[k];
    for (size_t i = 0; i < oc->naddrsyms; i++) {
        const struct lsym *os = &oc->addrsyms[i];
        if (!os->carry || os->size == 0 || overlaps(os->addr, os->size, p->old_state, p->old_size))
            continue;
        const char *name = oc->pool + os->name;
        const struct lsym *ns = counterpart(oc, os, nc);
        if (!ns || !ns->carry)
            return loader_cell_fail(
                err, KE_INVAL, nc->name,
                "variable '%.64s' (%llu bytes) of version %u has no counterpart in "
                "version %u: its value would be lost (declare a state block and a "
                "migrate hook instead)",
                name, (unsigned long long)os->size, oc->version, nc->version);
        if (ns->size != os->size)
            return loader_cell_fail(
                err, KE_INVAL, nc->name,
                "variable '%.64s' changes size (%llu -> %llu bytes) and is not in "
                "the state block: it cannot be carried",
                name, (unsigned long long)os->size, (unsigned long long)ns->size);
        if (overlaps(ns->addr, ns->size, p->new_state, p->new_size))
            return loader_cell_fail(err, KE_INVAL, nc->name,
                                    "variable '%.64s' moves into version %u's state block", name,
                                    nc->version);
        if (sw->copies) {
            sw->copies[sw->ncopies++] = (struct swap_copy){os->addr, ns->addr, os->size, name, k};
            p->variables++;
            p->variable_bytes += os->size;
        }
        (*count)++;
    }
    return 0;
}

int swap_plan_state(struct loader_swap *sw, struct loader_error *err)
{
    size_t count = 0;
    for (size_t k = 0; k < sw->n; k++) {
        int rc = plan_block(sw, k, err);
        if (!rc)
            rc = plan_globals(sw, k, &count, err);
        if (rc)
            return rc;
    }
    if (count == 0)
        return 0;
    sw->copies = loader_zalloc(&sw->ld->pf, count * sizeof(*sw->copies));
    if (!sw->copies)
        return loader_cell_fail(err, KE_NOMEM, sw->old[0]->name,
                                "out of memory for %zu variables to carry", count);
    count = 0;
    for (size_t k = 0; k < sw->n; k++)
        (void)plan_globals(sw, k, &count, err); /* checked above: cannot fail now */
    return 0;
}

/* The state block of a cell whose layout a migrate hook converts: offsets in it mean nothing in
 * the new layout, so a pointer into it cannot be translated. */
static bool in_migrated_block(const struct loader_swap *sw, uint64_t v)
{
    for (size_t k = 0; k < sw->n; k++) {
        const struct swap_cell_plan *p = &sw->plan[k];
        if (p->mode == SWAP_STATE_MIGRATE && v >= p->old_state && v - p->old_state < p->old_size)
            return true;
    }
    return false;
}

/* Translate every aligned word of [to, to+size) that points into an old version. */
static int translate_words(struct loader_swap *sw, uint64_t to, uint64_t size, const char *what,
                           size_t k, struct loader_error *err)
{
    for (uint64_t a = (to + 7) & ~7ull; a + 8 <= to + size; a += 8) {
        uint64_t v, nv;
        memcpy(&v, (const void *)(uintptr_t)a, 8);
        if (!loader_swap_in_old(sw, v))
            continue;
        char why[96] = "the old state block, whose layout changes";
        if (in_migrated_block(sw, v) || loader_swap_translate(sw, v, &nv, why, sizeof(why)))
            return loader_cell_fail(err, KE_NOENT, sw->old[k]->name,
                                    "%s holds a pointer to %s (at offset %llu), which has no "
                                    "counterpart in version %u",
                                    what, why, (unsigned long long)(a - to),
                                    sw->plan[k].new_version);
        memcpy((void *)(uintptr_t)a, &nv, 8);
    }
    return 0;
}

/* Copy size bytes and translate every aligned word that points into an old version. */
static int carry(struct loader_swap *sw, uint64_t from, uint64_t to, uint64_t size,
                 const char *what, size_t k, struct loader_error *err)
{
    memcpy((void *)(uintptr_t)to, (const void *)(uintptr_t)from, (size_t)size);
    return translate_words(sw, to, size, what, k, err);
}

void loader_swap_reset_state(struct loader_swap *sw)
{
    for (size_t k = 0; sw && sw->checked && !sw->transferred && k < sw->n; k++)
        if (sw->plan[k].mode == SWAP_STATE_VERBATIM || sw->plan[k].mode == SWAP_STATE_MIGRATE)
            sw->plan[k].mode = SWAP_STATE_FRESH;
}

int loader_swap_transfer(struct loader_swap *sw, struct loader_error *err)
{
    loader_error_clear(err);
    if (!sw || !sw->checked || sw->transferred || sw->committed)
        return loader_cell_fail(err, KE_INVAL, "?", "loader_swap_transfer out of order");
    char what[96];
    for (size_t i = 0; i < sw->ncopies; i++) {
        const struct swap_copy *c = &sw->copies[i];
        ksnprintf(what, sizeof(what), "variable '%.64s'", c->name);
        int rc = carry(sw, c->from, c->to, c->size, what, c->k, err);
        if (rc)
            return rc;
    }
    const struct loader_platform *pf = &sw->ld->pf;
    for (size_t k = 0; k < sw->n; k++) {
        const struct swap_cell_plan *p = &sw->plan[k];
        if (p->mode == SWAP_STATE_VERBATIM) {
            int rc = carry(sw, p->old_state, p->new_state, p->old_size, "the state block", k, err);
            if (rc)
                return rc;
        } else if (p->mode == SWAP_STATE_MIGRATE) {
            const void *os = (const void *)(uintptr_t)p->old_state;
            void *ns = (void *)(uintptr_t)p->new_state;
            const struct loaded_cell *nc = sw->neu[k];
            int rc = pf->run_migrate ? pf->run_migrate(pf->ctx, nc, p->migrate, p->old_layout, os,
                                                       p->old_size, ns)
                                     : p->migrate(p->old_layout, os, p->old_size, ns);
            if (rc == KE_FAULT)
                return loader_cell_fail(
                    err, rc, nc->name,
                    "version %u's migrate hook failed on layout %u with KE_FAULT "
                    "(it faulted, or returned that code)",
                    p->new_version, p->old_layout);
            if (rc)
                return loader_cell_fail(err, rc < 0 ? rc : KE_INVAL, nc->name,
                                        "version %u's migrate hook refused layout %u (returned %d)",
                                        p->new_version, p->old_layout, rc);
            /* Whatever the hook copied from the old block must not point into the old version. */
            rc = translate_words(sw, p->new_state, p->new_size, "the migrated state block", k, err);
            if (rc)
                return rc;
        }
    }
    sw->transferred = true;
    return 0;
}
