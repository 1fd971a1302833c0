/* Linking a batch: metadata for each new cell (allocated up front, so that nothing after the
 * resolution step can fail for lack of memory), regions, relocation with overflow checks and
 * edge recording, final protection. Nothing here touches the registry: the batch becomes visible
 * only at the commit in registry.c. */
#include <keel/errno.h>
#include <keel/string.h>
#include "batch.h"
#include "elf64.h"

#define NO_STR UINT32_MAX

void *loader_zalloc(const struct loader_platform *pf, size_t size)
{
    void *p = pf->alloc(pf->ctx, size ? size : 1);
    if (p)
        memset(p, 0, size ? size : 1);
    return p;
}

/* Array allocation with an overflow check. */
static void *zalloc_array(const struct loader_platform *pf, size_t n, size_t size)
{
    if (n && size > SIZE_MAX / n)
        return NULL;
    return loader_zalloc(pf, n * size);
}

static bool keeps_name(const struct cell_image *img, size_t i)
{
    const struct cell_symbol *s = &img->symbols[i];
    if (i == 0)
        return false;
    if (s->shndx == SHN_UNDEF || (s->bind != STB_LOCAL))
        return true;
    return (s->type == STT_FUNC || s->type == STT_OBJECT) && s->shndx < img->nsections &&
           (img->sections[s->shndx].flags & SHF_ALLOC);
}

static bool is_addrsym(const struct cell_image *img, size_t i)
{
    const struct cell_symbol *s = &img->symbols[i];
    return i > 0 && (s->type == STT_FUNC || s->type == STT_OBJECT) && s->shndx != SHN_UNDEF &&
           s->shndx < img->nsections && (img->sections[s->shndx].flags & SHF_ALLOC);
}

static int build_cell(struct batch *b, struct batch_item *it)
{
    const struct loader_platform *pf = &b->ld->pf;
    const struct cell_image *img = &it->img;
    const char *who = img->name;
    it->syms = zalloc_array(pf, img->nsymbols, sizeof(*it->syms));
    it->sec_str = zalloc_array(pf, img->nsections, sizeof(*it->sec_str));
    it->cell = loader_zalloc(pf, sizeof(*it->cell));
    if (!it->syms || !it->sec_str || !it->cell)
        return loader_cell_fail(b->err, KE_NOMEM, who, "out of memory for link tables");
    struct loaded_cell *c = it->cell;
    c->ld = b->ld;
    memcpy(c->name, img->name, sizeof(c->name));
    c->version = img->version;
    c->writable_bytes = img->writable_bytes;

    /* The string pool: every name the cell keeps after the object is gone. */
    size_t pool = 0, nexp = 0, naddr = 0;
    for (size_t i = 0; i < img->nsymbols; i++) {
        it->syms[i].str = NO_STR;
        if (keeps_name(img, i)) {
            size_t len = strlen(img->symbols[i].name) + 1;
            if (pool > UINT32_MAX - len)
                return loader_cell_fail(b->err, KE_NOMEM, who, "symbol names too large");
            it->syms[i].str = (uint32_t)pool;
            pool += len;
        }
        if (i > 0 && img->symbols[i].bind != STB_LOCAL && img->symbols[i].shndx != SHN_UNDEF)
            nexp++;
        if (is_addrsym(img, i))
            naddr++;
    }
    size_t nsec = 0;
    for (size_t i = 0; i < img->nsections; i++) {
        it->sec_str[i] = NO_STR;
        if (!(img->sections[i].flags & SHF_ALLOC))
            continue;
        size_t len = strlen(img->sections[i].name) + 1;
        if (pool > UINT32_MAX - len)
            return loader_cell_fail(b->err, KE_NOMEM, who, "section names too large");
        it->sec_str[i] = (uint32_t)pool;
        pool += len;
        if (img->sections[i].size)
            nsec++;
    }
    it->max_edges = 0;
    for (size_t k = 0; k < img->nrelocs; k++) {
        const struct cell_reloc *r = &img->relocs[k];
        if ((img->sections[r->section].flags & SHF_ALLOC) && r->type != R_X86_64_NONE &&
            img->symbols[r->symbol].shndx == SHN_UNDEF)
            it->max_edges++;
    }
    if (it->max_edges > UINT32_MAX)
        return loader_cell_fail(b->err, KE_NOMEM, who, "too many relocations");
    c->pool = loader_zalloc(pf, pool);
    c->exports = nexp ? zalloc_array(pf, nexp, sizeof(*c->exports)) : NULL;
    c->addrsyms = naddr ? zalloc_array(pf, naddr, sizeof(*c->addrsyms)) : NULL;
    /* The edges, then the index of those into cells (uint32_t after 8-aligned edges). */
    c->edges = it->max_edges
                   ? zalloc_array(pf, it->max_edges, sizeof(*c->edges) + sizeof(*c->cell_edges))
                   : NULL;
    c->sections = nsec ? zalloc_array(pf, nsec, sizeof(*c->sections)) : NULL;
    if (!c->pool || (nexp && !c->exports) || (naddr && !c->addrsyms) ||
        (it->max_edges && !c->edges) || (nsec && !c->sections))
        return loader_cell_fail(b->err, KE_NOMEM, who, "out of memory for symbol tables");
    c->nsections = nsec;
    c->cell_edges = c->edges ? (uint32_t *)(c->edges + it->max_edges) : NULL;
    /* Names were given consecutive offsets above: each one's length (with its NUL) is the
     * distance to the next. */
    size_t prev = SIZE_MAX;
    const char *prev_name = NULL;
    for (size_t i = 0; i < img->nsymbols + img->nsections; i++) {
        bool sym = i < img->nsymbols;
        uint32_t at = sym ? it->syms[i].str : it->sec_str[i - img->nsymbols];
        if (at == NO_STR)
            continue;
        if (prev_name)
            memcpy(c->pool + prev, prev_name, at - prev);
        prev = at;
        prev_name = sym ? img->symbols[i].name : img->sections[i - img->nsymbols].name;
    }
    if (prev_name)
        memcpy(c->pool + prev, prev_name, pool - prev);
    return 0;
}

int batch_build_cells(struct batch *b)
{
    for (size_t k = 0; k < b->n; k++) {
        int rc = build_cell(b, &b->items[k]);
        if (rc)
            return rc;
    }
    return 0;
}

int batch_alloc_regions(struct batch *b)
{
    const struct loader_platform *pf = &b->ld->pf;
    for (size_t k = 0; k < b->n; k++) {
        struct batch_item *it = &b->items[k];
        struct loaded_cell *c = it->cell;
        for (int r = CELL_REGION_TEXT; r <= CELL_REGION_DATA; r++) {
            uint64_t size = it->img.region_size[r];
            if (size == 0)
                continue;
            void *addr = NULL;
            int rc = pf->region_alloc(pf->ctx, (size_t)size, &addr);
            if (rc || !addr)
                return loader_cell_fail(b->err, rc < 0 ? rc : KE_NOMEM, it->img.name,
                                        "cannot allocate %llu bytes for its %s region",
                                        (unsigned long long)size, loader_region_name(r));
            c->region[r] = addr;
            c->region_size[r] = size;
            if ((uintptr_t)addr % LOADER_PAGE != 0)
                return loader_cell_fail(b->err, KE_FAULT, it->img.name,
                                        "platform returned an unaligned %s region %p",
                                        loader_region_name(r), addr);
        }
        size_t n = 0;
        for (size_t i = 1; i < it->img.nsections; i++) {
            const struct cell_section *s = &it->img.sections[i];
            if (s->region == CELL_REGION_NONE || s->size == 0)
                continue;
            if (n < c->nsections) /* the sections a debugger places (registry.h) */
                c->sections[n++] = (struct lsec){.addr = (uint64_t)(uintptr_t)c->region[s->region] +
                                                         s->region_offset,
                                                 .size = s->size,
                                                 .name = it->sec_str[i]};
            if (s->type == SHT_NOBITS)
                continue;
            memcpy((uint8_t *)c->region[s->region] + s->region_offset, it->img.data + s->offset,
                   (size_t)s->size);
        }
    }
    return 0;
}

static const char *symbol_label(const struct cell_image *img, uint32_t i)
{
    const struct cell_symbol *s = &img->symbols[i];
    if (s->type == STT_SECTION && s->shndx < img->nsections)
        return img->sections[s->shndx].name;
    return s->name;
}

static int relocate_item(struct batch *b, struct batch_item *it)
{
    const struct cell_image *img = &it->img;
    struct loaded_cell *c = it->cell;
    for (size_t k = 0; k < img->nrelocs; k++) {
        const struct cell_reloc *r = &img->relocs[k];
        const struct cell_section *t = &img->sections[r->section];
        if (!(t->flags & SHF_ALLOC) || r->type == R_X86_64_NONE)
            continue; /* debug info is not loaded */
        uint8_t *where = (uint8_t *)c->region[t->region] + t->region_offset + r->offset;
        const struct rsym *rs = &it->syms[r->symbol];
        uint64_t value;
        int rc =
            loader_reloc_value(r->type, rs->addr, r->addend, (uint64_t)(uintptr_t)where, &value);
        if (rc)
            return loader_cell_fail(b->err, KE_RANGE, img->name,
                                    "relocation overflow in %.40s at offset 0x%llx: %s against "
                                    "'%.48s'%+lld (0x%llx) does not fit",
                                    t->name, (unsigned long long)r->offset,
                                    loader_reloc_type(r->type)->name, symbol_label(img, r->symbol),
                                    (long long)r->addend, (unsigned long long)rs->addr);
        loader_reloc_store(where, r->type, value);
        c->relocations++;
        if (rs->origin == RSYM_CORE || rs->origin == RSYM_CELL) {
            struct ledge *e = &c->edges[c->nedges++]; /* nedges <= max_edges: counted above */
            e->site_section = c->pool + it->sec_str[r->section];
            e->site_offset = r->offset;
            e->site_addr = (uint64_t)(uintptr_t)where;
            e->site_writable = t->region == CELL_REGION_DATA;
            e->type = r->type;
            e->addend = r->addend;
            e->target = rs->target;
            e->symbol = c->pool + rs->str;
            e->symbol_hash = rs->hash;
            if (e->target)
                c->cell_edges[c->ncell_edges++] = (uint32_t)(c->nedges - 1);
        }
    }
    return 0;
}

int batch_relocate(struct batch *b)
{
    for (size_t k = 0; k < b->n; k++) {
        int rc = relocate_item(b, &b->items[k]);
        if (rc)
            return rc;
    }
    return 0;
}

/* Address symbols sort by address; among aliases the preferred one (global, then sized) sorts
 * last, because a lookup takes the last symbol at or below an address. Then by name and the
 * remaining fields: aliases that still tie are the same in every field. ctx: the cell's pool. */
static int lsym_addr_tie(const void *a, const void *b, void *ctx)
{
    const struct lsym *x = a, *y = b;
    int gx = x->bind != STB_LOCAL, gy = y->bind != STB_LOCAL;
    if (gx != gy)
        return gx - gy;
    if ((x->size != 0) != (y->size != 0))
        return (x->size != 0) - (y->size != 0);
    const char *pool = ctx;
    int c = strcmp(pool + x->name, pool + y->name);
    if (c)
        return c;
    if (x->size != y->size)
        return x->size < y->size ? -1 : 1;
    int fx = x->kind << 16 | x->bind << 8 | x->carry, fy = y->kind << 16 | y->bind << 8 | y->carry;
    return (fx > fy) - (fx < fy);
}

static enum loader_sym_kind kind_of(const struct cell_image *img, const struct cell_symbol *s)
{
    if (s->type == STT_FUNC)
        return LOADER_SYM_FUNC;
    if (s->type == STT_OBJECT)
        return LOADER_SYM_OBJECT;
    if (s->shndx < img->nsections && (img->sections[s->shndx].flags & SHF_EXECINSTR))
        return LOADER_SYM_FUNC;
    return LOADER_SYM_OBJECT;
}

static unsigned prot_of(int r)
{
    return r == CELL_REGION_TEXT     ? LOADER_PROT_RX
           : r == CELL_REGION_RODATA ? LOADER_PROT_R
                                     : LOADER_PROT_RW;
}

/* Variables a live swap carries by name: in a writable section, but not one of the sections
 * that are written only by relocation (.data.rel.ro: pointer tables the new version has
 * relocated for itself) and not the cell's descriptor. */
static bool carried(const struct batch_item *it, const struct cell_symbol *s)
{
    if (s->type != STT_OBJECT || s->shndx == SHN_ABS || s->shndx >= it->img.nsections ||
        s->shndx == it->img.descriptor_section)
        return false;
    const struct cell_section *sec = &it->img.sections[s->shndx];
    return (sec->flags & SHF_WRITE) && (sec->flags & SHF_ALLOC) &&
           strncmp(sec->name, ".data.rel.ro", 12) != 0;
}

static struct lsym make_lsym(const struct batch_item *it, size_t i)
{
    const struct cell_symbol *s = &it->img.symbols[i];
    return (struct lsym){
        .carry = carried(it, s),
        .addr = it->syms[i].addr,
        .size = s->size,
        .name = it->syms[i].str == NO_STR ? 0 : it->syms[i].str,
        .kind = (uint8_t)kind_of(&it->img, s),
        .bind = s->bind,
    };
}

/* The address table, in lsym_addr_tie order. */
static void build_addrsyms(struct batch_item *it, void *scratch)
{
    struct loaded_cell *c = it->cell;
    c->naddrsyms = 0;
    for (size_t i = 1; i < it->img.nsymbols; i++)
        if (is_addrsym(&it->img, i))
            c->addrsyms[c->naddrsyms++] = make_lsym(it, i);
    loader_sort(c->addrsyms, c->naddrsyms, sizeof(struct lsym), offsetof(struct lsym, addr),
                lsym_addr_tie, c->pool, scratch);
}

int batch_finish(struct batch *b)
{
    const struct loader_platform *pf = &b->ld->pf;
    /* Each cell's exports, in (hash, name) order: the batch table is sorted that way already. */
    for (size_t k = 0; k < b->nexports; k++) {
        const struct batch_export *e = &b->exports[k];
        struct batch_item *it = &b->items[e->item];
        struct lsym l = make_lsym(it, e->sym);
        l.hash = e->hash;
        it->cell->exports[it->cell->nexports++] = l;
    }
    for (size_t k = 0; k < b->n; k++) {
        struct batch_item *it = &b->items[k];
        const struct cell_image *img = &it->img;
        struct loaded_cell *c = it->cell;
        build_addrsyms(it, b->sort_scratch);
        const struct cell_section *ds = &img->sections[img->descriptor_section];
        c->desc = (const struct keel_cell_descriptor *)((uint8_t *)c->region[ds->region] +
                                                        ds->region_offset);
        if (!pf->region_protect)
            continue;
        for (int r = CELL_REGION_TEXT; r <= CELL_REGION_DATA; r++) {
            if (!c->region[r])
                continue;
            int rc =
                pf->region_protect(pf->ctx, c->region[r], (size_t)c->region_size[r], prot_of(r));
            if (rc)
                return loader_cell_fail(b->err, rc < 0 ? rc : KE_FAULT, img->name,
                                        "cannot protect its %s region", loader_region_name(r));
        }
    }
    /* The sorts are done: give the scratch back now, not when the batch goes. */
    if (b->sort_scratch)
        pf->free(pf->ctx, b->sort_scratch);
    b->sort_scratch = NULL;
    return 0;
}

void batch_free(struct batch *b)
{
    const struct loader_platform *pf = &b->ld->pf;
    if (b->items) {
        for (size_t k = 0; k < b->n; k++) {
            struct batch_item *it = &b->items[k];
            if (it->cell)
                loader_cell_destroy(b->ld, it->cell);
            if (it->syms)
                pf->free(pf->ctx, it->syms);
            if (it->sec_str)
                pf->free(pf->ctx, it->sec_str);
            cell_image_free(pf, &it->img);
        }
        pf->free(pf->ctx, b->items);
    }
    if (b->exports)
        pf->free(pf->ctx, b->exports);
    if (b->sort_scratch)
        pf->free(pf->ctx, b->sort_scratch);
    b->items = NULL;
    b->exports = NULL;
    b->sort_scratch = NULL;
}
