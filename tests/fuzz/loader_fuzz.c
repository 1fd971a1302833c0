/* libFuzzer target for the loader: the input is one cell object. It goes through
 * cell_image_parse (whose result is checked against the input's bounds) and, when it parses,
 * through loader_load / queries / loader_unload with a mock platform:
 *   - metadata via malloc, counted; regions via mmap at low addresses (so 32-bit absolute and
 *     PC-relative relocations can succeed), counted: after every input nothing may be left;
 *   - core_symbol resolves every name the object does not define itself to a small fake
 *     address (a few to a far one, to exercise overflow refusals);
 *   - run_init / run_exit are set and never call the cell: the fuzzer never executes what it
 *     links (that is what those platform hooks are for). */
#define _GNU_SOURCE
#include <keel/errno.h>
#include <keel/loader.h>
#include <keel/string.h>

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

static long live_allocs, live_regions;
static const struct cell_image *defined; /* the parsed image: names it defines are not core */

static void *f_alloc(void *ctx, size_t size)
{
    void *p = malloc(size);
    if (p)
        live_allocs++;
    return p;
}

static void f_free(void *ctx, void *p)
{
    live_allocs--;
    free(p);
}

#define REGION_LOW  0x10000000ul
#define REGION_HIGH 0x70000000ul
static uintptr_t cursor = REGION_LOW;

static int f_region_alloc(void *ctx, size_t size, void **out)
{
    if (size == 0 || size % 4096)
        abort();
    for (int tries = 0; tries < 4096; tries++) {
        if (cursor + size > REGION_HIGH)
            cursor = REGION_LOW;
        void *want = (void *)cursor;
        void *p = mmap(want, size, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_NORESERVE, -1, 0);
        cursor += 0x100000;
        if (p == want) {
            live_regions++;
            *out = p;
            return 0;
        }
        if (p != MAP_FAILED)
            munmap(p, size);
    }
    return KE_NOMEM;
}

static int f_region_protect(void *ctx, void *addr, size_t size, unsigned prot)
{
    if (prot != LOADER_PROT_R && prot != LOADER_PROT_RX && prot != LOADER_PROT_RW)
        abort();
    return mprotect(addr, size, prot == LOADER_PROT_RW ? PROT_READ | PROT_WRITE : PROT_READ) == 0
               ? 0
               : KE_FAULT;
}

static void f_region_free(void *ctx, void *addr, size_t size)
{
    live_regions--;
    if (munmap(addr, size) != 0)
        abort();
}

static int f_core_symbol(void *ctx, const char *name, struct loader_symbol_info *out)
{
    for (size_t i = 1; defined && i < defined->nsymbols; i++) {
        const struct cell_symbol *s = &defined->symbols[i];
        if (s->bind != 0 && s->shndx != 0 && strcmp(s->name, name) == 0)
            return KE_NOENT;
    }
    uint32_t h = 2166136261u;
    for (const char *p = name; *p; p++)
        h = (h ^ (uint8_t)*p) * 16777619u;
    if ((h & 31) == 0)
        return KE_NOENT; /* some names are missing */
    uint64_t addr = (h & 31) == 1 ? 0x7f0000000000ull : 0x1000 + (h & 0xfffff);
    *out = (struct loader_symbol_info){addr, 0, (h & 2) ? LOADER_SYM_FUNC : LOADER_SYM_OBJECT};
    return 0;
}

static int f_run_init(void *ctx, const struct loaded_cell *cell, int (*init)(void))
{
    return 0;
}

static void f_run_exit(void *ctx, const struct loaded_cell *cell, void (*exit)(void)) {}

static const struct loader_platform pf = {
    .alloc = f_alloc,
    .free = f_free,
    .region_alloc = f_region_alloc,
    .region_protect = f_region_protect,
    .region_free = f_region_free,
    .core_symbol = f_core_symbol,
    .run_init = f_run_init,
    .run_exit = f_run_exit,
};

static int edge_visit(void *ctx, const struct loader_edge *e)
{
    if (!e->site || !e->site_section || !e->symbol || strlen(e->symbol) == 0)
        abort();
    ++*(size_t *)ctx;
    return 0;
}

static void check_image(const struct cell_image *img, size_t size)
{
    for (size_t i = 1; i < img->nsections; i++) {
        const struct cell_section *s = &img->sections[i];
        if (s->type != 8 /* NOBITS */ && s->type != 0 &&
            (s->offset > size || s->size > size - s->offset))
            abort();
        if (s->region != CELL_REGION_NONE &&
            (s->region_offset + s->size > img->region_size[s->region]))
            abort();
    }
    for (size_t k = 0; k < img->nrelocs; k++)
        if (img->relocs[k].symbol >= img->nsymbols || img->relocs[k].section >= img->nsections)
            abort();
    for (int r = 0; r < 4; r++)
        if (img->region_size[r] % 4096)
            abort();
    if (img->name[0] == 0 || img->version < 1)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cell_image img;
    struct loader_error err;
    int rc = cell_image_parse(&pf, data, size, "fuzz", &img, &err);
    if (rc) {
        if (rc >= 0 || err.code != rc || strncmp(err.msg, "cell '", 6) != 0 || live_allocs)
            abort();
        return 0;
    }
    check_image(&img, size);
    defined = &img;
    struct loader *ld = loader_create(&pf);
    if (!ld)
        abort();
    struct loader_object o = {data, size, "fuzz"};
    struct loaded_cell *cell = NULL;
    rc = loader_load(ld, &o, 1, &cell, &err);
    if (getenv("LOADER_FUZZ_VERBOSE"))
        fprintf(stderr, "load: %d %s\n", rc, err.msg);
    if (rc == 0) {
        struct loader_cell_info info;
        loader_cell_info(cell, &info);
        if (strcmp(info.name, img.name) != 0 || !info.descriptor)
            abort();
        for (int r = CELL_REGION_TEXT; r <= CELL_REGION_DATA; r++) {
            if (!info.size[r])
                continue;
            const struct loaded_cell *c = NULL;
            const char *sym = NULL;
            uint64_t off = 0;
            if (loader_addr_lookup(ld, info.base[r] + info.size[r] - 1, &c, &sym, &off) != 0 ||
                c != cell)
                abort();
        }
        size_t edges = 0;
        loader_for_each_edge(ld, NULL, NULL, NULL, edge_visit, &edges);
        if (loader_unload(ld, cell, &err) != 0)
            abort();
    } else if (rc >= 0 || err.code != rc || strncmp(err.msg, "cell '", 6) != 0) {
        abort();
    }
    loader_destroy(ld);
    defined = NULL;
    cell_image_free(&pf, &img);
    if (live_allocs || live_regions)
        abort();
    return 0;
}
