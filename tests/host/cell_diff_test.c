/* Differential test: the loader's parser (cell_image_parse) against libelf, on every cell object
 * the build produces (paths in argv, from the KEEL_CELLS property).
 *
 * For each object: both parsers must accept it; section count and every section's
 * name/type/flags/offset/size/addralign/entsize/link/info; symbol count and every symbol's
 * name/bind/type/shndx/value/size; every relocation (target section, RELA section, offset, type,
 * symbol, addend) in file order; and the descriptor's name, version and section must agree.
 * The loader's layout must respect the design (text = AX, rodata = A, data = AW, aligned, no
 * overlap, inside its page-rounded region). The parse must not write to the object (it is mapped
 * read-only), must free all it allocates, and must fail cleanly (KE_NOMEM, nothing leaked) when
 * any one of its allocations fails. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <keel/errno.h>
#include <keel/loader.h>

#include "../../tools/cellinfo/elfview.h"
#include "check.h"

/* ---- a counting, failable platform ------------------------------------------------------- */

struct counting {
    long live;    /* allocations not yet freed */
    long calls;   /* alloc calls so far */
    long fail_at; /* the alloc call that fails (0-based), or -1 */
};

static void *count_alloc(void *ctx, size_t size)
{
    struct counting *c = ctx;
    if (c->calls++ == c->fail_at)
        return NULL;
    void *p = malloc(size ? size : 1);
    if (p) {
        memset(p, 0xa5, size); /* like an unzeroed kernel heap block */
        c->live++;
    }
    return p;
}

static void count_free(void *ctx, void *p)
{
    struct counting *c = ctx;
    if (p)
        c->live--;
    free(p);
}

static struct loader_platform platform_for(struct counting *c)
{
    return (struct loader_platform){.ctx = c, .alloc = count_alloc, .free = count_free};
}

/* ---- reporting ----------------------------------------------------------------------------- */

static const char *cur_path;

#define DIFF(ok, ...)                                                                              \
    do {                                                                                           \
        int diff_ok_ = (ok);                                                                       \
        check_result(diff_ok_, __FILE__, __LINE__, #ok);                                           \
        if (!diff_ok_) {                                                                           \
            fprintf(stderr, "    %s: ", cur_path);                                                 \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
        }                                                                                          \
    } while (0)

/* One field of the item described by `what` (e.g. "symbol 7 (hello_greet)"): libelf's value
 * against the loader's. */
#define DIFF_FIELD(what, field, lib, ldr)                                                          \
    DIFF((uint64_t)(lib) == (uint64_t)(ldr), "%s: %s: libelf 0x%llx, loader 0x%llx", what, field,  \
         (unsigned long long)(lib), (unsigned long long)(ldr))

#define DIFF_NAME(what, lib, ldr)                                                                  \
    DIFF((ldr) != NULL && strcmp((lib), (ldr)) == 0, "%s: name: libelf \"%s\", loader \"%s\"",     \
         what, (lib), (ldr) ? (ldr) : "(null)")

/* ---- loading an object read-only ----------------------------------------------------------- */

struct mapped {
    void *data;
    size_t size, map_size;
};

static int map_readonly(const char *path, struct mapped *m)
{
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || st.st_size <= 0) {
        fprintf(stderr, "%s: cannot read: %s\n", path, fd < 0 ? strerror(errno) : "empty");
        if (fd >= 0)
            close(fd);
        return -1;
    }
    m->size = (size_t)st.st_size;
    m->map_size = (m->size + 4095) & ~(size_t)4095;
    m->data = mmap(NULL, m->map_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (m->data == MAP_FAILED) {
        fprintf(stderr, "%s: mmap: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* ---- comparisons --------------------------------------------------------------------------- */

static void compare_sections(const struct elf_view *v, const struct cell_image *img)
{
    DIFF(v->nsections == img->nsections, "section count: libelf %zu, loader %zu", v->nsections,
         img->nsections);
    size_t n = v->nsections < img->nsections ? v->nsections : img->nsections;
    for (size_t i = 0; i < n; i++) {
        const struct ev_section *a = &v->sections[i];
        const struct cell_section *b = &img->sections[i];
        char what[160];
        snprintf(what, sizeof(what), "section %zu (%s)", i, a->name);
        if (i > 0)
            DIFF_NAME(what, a->name, b->name);
        DIFF_FIELD(what, "type", a->type, b->type);
        DIFF_FIELD(what, "flags", a->flags, b->flags);
        DIFF_FIELD(what, "offset", a->offset, b->offset);
        DIFF_FIELD(what, "size", a->size, b->size);
        DIFF_FIELD(what, "addralign", a->addralign, b->addralign);
        DIFF_FIELD(what, "entsize", a->entsize, b->entsize);
        DIFF_FIELD(what, "link", a->link, b->link);
        DIFF_FIELD(what, "info", a->info, b->info);
    }
}

static void compare_symbols(const struct elf_view *v, const struct cell_image *img)
{
    DIFF(v->nsymbols == img->nsymbols, "symbol count: libelf %zu, loader %zu", v->nsymbols,
         img->nsymbols);
    size_t n = v->nsymbols < img->nsymbols ? v->nsymbols : img->nsymbols;
    for (size_t i = 0; i < n; i++) {
        const struct ev_symbol *a = &v->symbols[i];
        const struct cell_symbol *b = &img->symbols[i];
        char what[160];
        snprintf(what, sizeof(what), "symbol %zu (%s)", i, a->name);
        DIFF_NAME(what, a->name, b->name);
        DIFF_FIELD(what, "bind", a->bind, b->bind);
        DIFF_FIELD(what, "type", a->type, b->type);
        DIFF_FIELD(what, "shndx", a->shndx, b->shndx);
        DIFF_FIELD(what, "value", a->value, b->value);
        DIFF_FIELD(what, "size", a->size, b->size);
    }
}

static void compare_relocs(const struct elf_view *v, const struct cell_image *img)
{
    DIFF(v->nrelocs == img->nrelocs, "relocation count: libelf %zu, loader %zu", v->nrelocs,
         img->nrelocs);
    size_t n = v->nrelocs < img->nrelocs ? v->nrelocs : img->nrelocs;
    size_t first = 0;
    for (size_t i = 0; i < n; i++) {
        const struct ev_reloc *a = &v->relocs[i];
        const struct cell_reloc *b = &img->relocs[i];
        char what[160];
        if (i > 0 && a->rela_section != v->relocs[i - 1].rela_section)
            first = i; /* entry numbers restart in each RELA section */
        snprintf(what, sizeof(what), "relocation %zu (entry %zu of section %u, %s)", i, i - first,
                 a->rela_section,
                 a->rela_section < v->nsections ? v->sections[a->rela_section].name : "?");
        DIFF_FIELD(what, "section", a->section, b->section);
        DIFF_FIELD(what, "rela_section", a->rela_section, b->rela_section);
        DIFF_FIELD(what, "offset", a->offset, b->offset);
        DIFF_FIELD(what, "type", a->type, b->type);
        DIFF_FIELD(what, "symbol", a->symbol, b->symbol);
        DIFF_FIELD(what, "addend", a->addend, b->addend);
    }
}

static void compare_descriptor(const struct elf_view *v, const struct cell_image *img)
{
    DIFF(v->has_descriptor, "libelf finds no descriptor in .keel_cell");
    if (!v->has_descriptor)
        return;
    char name[KEEL_CELL_NAME_MAX];
    memcpy(name, v->descriptor.name, sizeof(name));
    name[sizeof(name) - 1] = '\0';
    DIFF(strcmp(name, img->name) == 0, "descriptor name: libelf \"%s\", loader \"%s\"", name,
         img->name);
    DIFF_FIELD("descriptor", "version", v->descriptor.version, img->version);
    DIFF_FIELD("descriptor", "section", v->descriptor_section, img->descriptor_section);
}

/* The region a section belongs in by the design: text RX, rodata R, data/bss RW. */
static enum cell_region expected_region(uint64_t flags)
{
    if (!(flags & SHF_ALLOC))
        return CELL_REGION_NONE;
    if (flags & SHF_EXECINSTR)
        return CELL_REGION_TEXT;
    return (flags & SHF_WRITE) ? CELL_REGION_DATA : CELL_REGION_RODATA;
}

static void check_layout(const struct cell_image *img)
{
    uint64_t writable = 0;
    for (int r = 0; r < 4; r++)
        DIFF(img->region_size[r] % 4096 == 0, "region %d size 0x%llx is not page-rounded", r,
             (unsigned long long)img->region_size[r]);
    for (size_t i = 1; i < img->nsections; i++) {
        const struct cell_section *s = &img->sections[i];
        enum cell_region want = expected_region(s->flags);
        DIFF(s->region == want, "section %zu (%s): region %d, expected %d from its flags", i,
             s->name, (int)s->region, (int)want);
        if (s->region == CELL_REGION_NONE || want == CELL_REGION_NONE)
            continue;
        if (s->region == CELL_REGION_DATA)
            writable += s->size;
        uint64_t align = s->addralign ? s->addralign : 1;
        DIFF(s->region_offset % align == 0,
             "section %zu (%s): region offset 0x%llx not %llu-aligned", i, s->name,
             (unsigned long long)s->region_offset, (unsigned long long)align);
        DIFF(s->region_offset + s->size <= img->region_size[s->region],
             "section %zu (%s): [0x%llx, +0x%llx) outside its region (0x%llx)", i, s->name,
             (unsigned long long)s->region_offset, (unsigned long long)s->size,
             (unsigned long long)img->region_size[s->region]);
        for (size_t j = 1; j < i; j++) {
            const struct cell_section *t = &img->sections[j];
            if (t->region != s->region || !t->size || !s->size)
                continue;
            bool apart = s->region_offset >= t->region_offset + t->size ||
                         t->region_offset >= s->region_offset + s->size;
            DIFF(apart, "sections %zu (%s) and %zu (%s) overlap in region %d", j, t->name, i,
                 s->name, (int)s->region);
        }
    }
    DIFF(img->writable_bytes >= writable &&
             img->writable_bytes <= img->region_size[CELL_REGION_DATA],
         "writable_bytes %llu: not between the data sections' sum %llu and the data region 0x%llx",
         (unsigned long long)img->writable_bytes, (unsigned long long)writable,
         (unsigned long long)img->region_size[CELL_REGION_DATA]);
}

/* Every single allocation failure must end in KE_NOMEM with nothing leaked. */
static void check_alloc_failures(const struct mapped *m, long allocs)
{
    for (long k = 0; k < allocs; k++) {
        struct counting c = {.fail_at = k};
        struct loader_platform pf = platform_for(&c);
        struct cell_image img;
        struct loader_error err = {0};
        int rc = cell_image_parse(&pf, m->data, m->size, "diff", &img, &err);
        DIFF(rc == KE_NOMEM, "allocation %ld of %ld failing: parse returned %s (%s), not KE_NOMEM",
             k, allocs, keel_errname(rc), err.msg);
        cell_image_free(&pf, &img);
        DIFF(c.live == 0, "allocation %ld failing: %ld allocations leaked", k, c.live);
    }
}

static void diff_one(const char *path)
{
    cur_path = path;
    struct mapped m;
    if (map_readonly(path, &m) != 0) {
        DIFF(0, "object unreadable");
        return;
    }
    struct elf_view v;
    int vrc = elf_view_read(m.data, m.size, &v);
    DIFF(vrc == 0, "libelf cannot read it: %s", v.error);

    struct counting c = {.fail_at = -1};
    struct loader_platform pf = platform_for(&c);
    struct cell_image img;
    struct loader_error err = {0};
    int rc = cell_image_parse(&pf, m.data, m.size, path, &img, &err);
    DIFF(rc == 0, "loader refuses it: %s (%s)", err.msg, keel_errname(rc));
    if (rc == 0 && vrc == 0) {
        DIFF(img.data == m.data && img.size == m.size, "image does not view the object's bytes");
        compare_sections(&v, &img);
        compare_symbols(&v, &img);
        compare_relocs(&v, &img);
        compare_descriptor(&v, &img);
        check_layout(&img);
    }
    long allocs = c.calls;
    cell_image_free(&pf, &img);
    DIFF(c.live == 0, "%ld allocations left after cell_image_free", c.live);
    if (rc == 0)
        check_alloc_failures(&m, allocs);
    printf("%s: %zu sections, %zu symbols, %zu relocations compared\n", path, v.nsections,
           v.nsymbols, v.nrelocs);
    elf_view_free(&v);
    munmap(m.data, m.map_size);
}

/* Objects from a list file (one path per line), as CTest passes them; the count, or -1. */
static int diff_list(const char *list)
{
    FILE *f = fopen(list, "r");
    if (!f) {
        fprintf(stderr, "cell_diff_test: %s: %s\n", list, strerror(errno));
        return -1;
    }
    char line[4096];
    int n = 0;
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0]) {
            diff_one(line);
            n++;
        }
    }
    fclose(f);
    return n;
}

/* usage: cell_diff_test <cell.o>...   (or, without arguments, the objects listed in the file
 * named by $KEEL_CELL_LIST). */
int main(int argc, char **argv)
{
    int n = argc - 1;
    for (int i = 1; i < argc; i++)
        diff_one(argv[i]);
    const char *list = getenv("KEEL_CELL_LIST");
    if (argc < 2 && list)
        n = diff_list(list);
    if (n <= 0) {
        fprintf(stderr, "cell_diff_test: no cell objects given (the KEEL_CELLS list is empty): "
                        "nothing was compared, which is a failure, not a pass\n");
        return 1;
    }
    printf("cell_diff_test: %d objects\n", n);
    return check_report("cell_diff_test");
}
