/* Layer 1: parse and validate one ET_REL object completely before anyone acts on it.
 *
 * Order matters only for the messages: the header and the section-name table come first, then
 * the .keel_cell descriptor (so that every later message can name the cell), then every
 * section, the symbol table and the relocations. Nothing here trusts a single field of the
 * input: every offset, size, index and count is range-checked with overflow-safe arithmetic,
 * and records are copied out with memcpy (the input need not be aligned). */
#include <keel/errno.h>
#include <keel/format.h>
#include <keel/string.h>
#include "elf64.h"
#include "internal.h"

struct parse {
    const struct loader_platform *pf;
    const uint8_t *d;
    size_t size;
    const char *who; /* origin, then the descriptor's name */
    struct cell_image *img;
    struct loader_error *err;
    uint32_t shnum;
    uint32_t symtab; /* section index of the symbol table */
    uint32_t nlocal; /* sh_info of the symbol table */
    const char *strtab;
    uint64_t strtab_size;
};

#define FAIL(p, code, ...) loader_cell_fail((p)->err, (code), (p)->who, __VA_ARGS__)

static void *pf_alloc(const struct loader_platform *pf, size_t size)
{
    return pf->alloc(pf->ctx, size ? size : 1);
}

/* Is [off, off + len) inside the file? */
static bool in_file(const struct parse *p, uint64_t off, uint64_t len)
{
    return off <= p->size && len <= p->size - off;
}

static bool prefix(const char *s, const char *pre)
{
    return strncmp(s, pre, strlen(pre)) == 0;
}

static bool is_pow2(uint64_t v)
{
    return v && !(v & (v - 1));
}

/* ---- Header -------------------------------------------------------------------------------- */

static int parse_header(struct parse *p, struct elf64_ehdr *eh)
{
    static const uint8_t magic[4] = {0x7f, 'E', 'L', 'F'};
    if (p->size < sizeof(*eh))
        return FAIL(p, KE_NOEXEC, "file too small for an ELF header (%zu bytes)", p->size);
    memcpy(eh, p->d, sizeof(*eh));
    if (memcmp(eh->e_ident, magic, 4) != 0)
        return FAIL(p, KE_NOEXEC, "not an ELF file (bad magic)");
    if (eh->e_ident[EI_CLASS] != ELFCLASS64)
        return FAIL(p, KE_NOEXEC, "not ELF64 (class %u)", eh->e_ident[EI_CLASS]);
    if (eh->e_ident[EI_DATA] != ELFDATA2LSB)
        return FAIL(p, KE_NOEXEC, "not little-endian (data encoding %u)", eh->e_ident[EI_DATA]);
    if (eh->e_ident[EI_VERSION] != EV_CURRENT || eh->e_version != EV_CURRENT)
        return FAIL(p, KE_NOEXEC, "unsupported ELF version %u", eh->e_version);
    if (eh->e_type != ET_REL)
        return FAIL(p, KE_NOEXEC, "not a relocatable object (ET_REL): e_type %u", eh->e_type);
    if (eh->e_machine != EM_X86_64)
        return FAIL(p, KE_NOEXEC, "not x86_64: e_machine %u", eh->e_machine);
    if (eh->e_ehsize != sizeof(*eh))
        return FAIL(p, KE_NOEXEC, "bad ELF header size %u", eh->e_ehsize);
    if (eh->e_phnum != 0)
        return FAIL(p, KE_NOEXEC, "program headers in a relocatable object (e_phnum %u)",
                    eh->e_phnum);
    if (eh->e_shnum == 0 && eh->e_shoff != 0)
        return FAIL(p, KE_NOTSUP, "extended section numbering (SHN_XINDEX) not supported");
    if (eh->e_shnum == 0)
        return FAIL(p, KE_NOEXEC, "no section headers");
    if (eh->e_shentsize != sizeof(struct elf64_shdr))
        return FAIL(p, KE_NOEXEC, "bad section header size %u (expected %zu)", eh->e_shentsize,
                    sizeof(struct elf64_shdr));
    if (eh->e_shnum >= SHN_LORESERVE)
        return FAIL(p, KE_NOEXEC, "too many sections (%u)", eh->e_shnum);
    if (eh->e_shstrndx == SHN_XINDEX)
        return FAIL(p, KE_NOTSUP, "extended section numbering (SHN_XINDEX) not supported");
    if (eh->e_shstrndx == SHN_UNDEF || eh->e_shstrndx >= eh->e_shnum)
        return FAIL(p, KE_NOEXEC, "section name table index %u out of range (%u sections)",
                    eh->e_shstrndx, eh->e_shnum);
    uint64_t table = (uint64_t)eh->e_shnum * sizeof(struct elf64_shdr);
    if (!in_file(p, eh->e_shoff, table))
        return FAIL(p, KE_NOEXEC,
                    "section header table at offset 0x%llx + size 0x%llx beyond end of file "
                    "(0x%zx)",
                    (unsigned long long)eh->e_shoff, (unsigned long long)table, p->size);
    p->shnum = eh->e_shnum;
    return 0;
}

/* ---- Sections -------------------------------------------------------------------------------- */

static int read_sections(struct parse *p, const struct elf64_ehdr *eh)
{
    struct cell_image *img = p->img;
    img->sections = pf_alloc(p->pf, p->shnum * sizeof(struct cell_section));
    if (!img->sections)
        return FAIL(p, KE_NOMEM, "out of memory for %u section records", p->shnum);
    img->nsections = p->shnum;
    /* Every record is written whole below (no memset first: on failure the image is freed). */
    for (uint32_t i = 0; i < p->shnum; i++) {
        struct elf64_shdr sh;
        memcpy(&sh, p->d + eh->e_shoff + (uint64_t)i * sizeof(sh), sizeof(sh));
        img->sections[i] = (struct cell_section){
            .name = "",
            .type = sh.sh_type,
            .flags = sh.sh_flags,
            .offset = sh.sh_offset,
            .size = sh.sh_size,
            .addralign = sh.sh_addralign,
            .entsize = sh.sh_entsize,
            .link = sh.sh_link,
            .info = sh.sh_info,
        };
        if (i == 0) {
            /* Section 0 carries the escapes of extended numbering when it is not all zero. */
            if (sh.sh_size != 0 || sh.sh_link != 0 || sh.sh_info != 0)
                return FAIL(p, KE_NOTSUP, "extended section numbering (SHN_XINDEX) not supported");
            if (sh.sh_type != SHT_NULL)
                return FAIL(p, KE_NOEXEC, "section 0 is not SHT_NULL (type %u)", sh.sh_type);
        }
        if (sh.sh_addr != 0)
            return FAIL(p, KE_NOEXEC, "section %u: non-zero address 0x%llx in an ET_REL object", i,
                        (unsigned long long)sh.sh_addr);
    }
    /* The section-name string table: in bounds, NUL-terminated. */
    uint32_t x = eh->e_shstrndx;
    const struct cell_section *ss = &img->sections[x];
    if (ss->type != SHT_STRTAB)
        return FAIL(p, KE_NOEXEC, "section name table (section %u) is not SHT_STRTAB (type %u)", x,
                    ss->type);
    if (!in_file(p, ss->offset, ss->size))
        return FAIL(p, KE_NOEXEC,
                    "section name table (section %u): offset 0x%llx + size 0x%llx beyond end of "
                    "file (0x%zx)",
                    x, (unsigned long long)ss->offset, (unsigned long long)ss->size, p->size);
    if (ss->size == 0 || p->d[ss->offset + ss->size - 1] != 0)
        return FAIL(p, KE_NOEXEC, "section name table (section %u) not NUL-terminated", x);
    const char *names = (const char *)p->d + ss->offset;
    for (uint32_t i = 0; i < p->shnum; i++) {
        struct elf64_shdr sh;
        memcpy(&sh, p->d + eh->e_shoff + (uint64_t)i * sizeof(sh), sizeof(sh));
        if (sh.sh_name >= ss->size)
            return FAIL(p, KE_NOEXEC, "section %u: name offset 0x%x beyond name table (0x%llx)", i,
                        sh.sh_name, (unsigned long long)ss->size);
        img->sections[i].name = names + sh.sh_name;
    }
    return 0;
}

/* ---- The descriptor ---------------------------------------------------------------------------
 */

static bool valid_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

static int parse_descriptor(struct parse *p)
{
    struct cell_image *img = p->img;
    uint32_t found = 0;
    for (uint32_t i = 1; i < p->shnum; i++) {
        if (strcmp(img->sections[i].name, ".keel_cell") != 0)
            continue;
        if (found)
            return FAIL(p, KE_NOEXEC, "more than one .keel_cell descriptor (sections %u and %u)",
                        found, i);
        found = i;
    }
    if (!found)
        return FAIL(p, KE_NOEXEC, "no .keel_cell descriptor section (missing KEEL_CELL())");
    const struct cell_section *s = &img->sections[found];
    if (s->type != SHT_PROGBITS || !(s->flags & SHF_ALLOC))
        return FAIL(p, KE_NOEXEC,
                    "bad descriptor: section %u (.keel_cell) is not allocated "
                    "PROGBITS",
                    found);
    if (s->flags & (SHF_EXECINSTR | SHF_TLS))
        return FAIL(p, KE_NOEXEC, "bad descriptor: section %u (.keel_cell) is executable or TLS",
                    found);
    if (s->size != sizeof(struct keel_cell_descriptor))
        return FAIL(p, KE_NOEXEC, "bad descriptor: size %llu, expected %zu",
                    (unsigned long long)s->size, sizeof(struct keel_cell_descriptor));
    if (!in_file(p, s->offset, s->size))
        return FAIL(p, KE_NOEXEC,
                    "section %u (.keel_cell): offset 0x%llx + size 0x%llx beyond end of file "
                    "(0x%zx)",
                    found, (unsigned long long)s->offset, (unsigned long long)s->size, p->size);
    struct keel_cell_descriptor d;
    memcpy(&d, p->d + s->offset, sizeof(d));
    if (d.magic != KEEL_CELL_MAGIC)
        return FAIL(p, KE_NOEXEC, "bad descriptor: magic 0x%08x (expected 0x%08x)", d.magic,
                    KEEL_CELL_MAGIC);
    if (d.abi != KEEL_CELL_ABI)
        return FAIL(p, KE_NOEXEC, "bad descriptor: ABI %u (expected %u)", d.abi, KEEL_CELL_ABI);
    size_t len = strnlen(d.name, sizeof(d.name));
    if (len == sizeof(d.name))
        return FAIL(p, KE_NOEXEC, "bad descriptor: name not NUL-terminated within %d bytes",
                    KEEL_CELL_NAME_MAX);
    if (len == 0)
        return FAIL(p, KE_NOEXEC, "bad descriptor: empty name");
    for (size_t i = 0; i < len; i++)
        if (!valid_name_char(d.name[i]))
            return FAIL(p, KE_NOEXEC, "bad descriptor: name has invalid character 0x%02x",
                        (unsigned char)d.name[i]);
    if (d.version < 1)
        return FAIL(p, KE_NOEXEC, "bad descriptor: version 0 (must be >= 1)");
    if (d.state_size > LOADER_STATE_MAX)
        return FAIL(p, KE_NOEXEC, "bad descriptor: state_size %llu exceeds %llu",
                    (unsigned long long)d.state_size, (unsigned long long)LOADER_STATE_MAX);
    if (d.recovery_top > KEEL_RUNG_GIVE_UP)
        return FAIL(p, KE_NOEXEC, "bad descriptor: recovery_top %u (0..%u)", d.recovery_top,
                    KEEL_RUNG_GIVE_UP);
    if (d.recovery_state > KEEL_RECOVERY_RESET || d.recovery_reserved)
        return FAIL(p, KE_NOEXEC, "bad descriptor: recovery_state %u (0..%u), reserved %u",
                    d.recovery_state, KEEL_RECOVERY_RESET, d.recovery_reserved);
    memcpy(img->name, d.name, len + 1);
    img->version = d.version;
    img->descriptor_section = found;
    p->who = img->name;
    return 0;
}

/* ---- Section checks ------------------------------------------------------------------------ */

/* A file range that no other may share bytes with. */
#define RANGE_EHDR  0u         /* the ELF header (section 0 never has a range) */
#define RANGE_SHDRS UINT32_MAX /* the section header table */
struct range {
    uint64_t start, end;
    uint32_t index; /* section index, RANGE_EHDR or RANGE_SHDRS */
};

/* Ranges sort by start, then end, then index: the message names the same pair whatever order
 * the sections come in. */
static int range_tie(const void *a, const void *b, void *ctx)
{
    const struct range *x = a, *y = b;
    (void)ctx;
    if (x->end != y->end)
        return x->end < y->end ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

static void describe_range(const struct parse *p, const struct range *r, char *buf, size_t n)
{
    if (r->index == RANGE_EHDR)
        ksnprintf(buf, n, "the ELF header");
    else if (r->index == RANGE_SHDRS)
        ksnprintf(buf, n, "the section header table");
    else
        ksnprintf(buf, n, "section %u (%.40s)", r->index, p->img->sections[r->index].name);
}

static bool is_ctor_name(const char *n)
{
    /* Cheap first look: every section is checked and most are .text.* or .rela.*. */
    if (n[0] != '.' || (n[1] != 'i' && n[1] != 'f' && n[1] != 'p' && n[1] != 'c' && n[1] != 'd'))
        return false;
    return prefix(n, ".init_array") || prefix(n, ".fini_array") || prefix(n, ".preinit_array") ||
           prefix(n, ".ctors") || prefix(n, ".dtors");
}

static int check_section(struct parse *p, uint32_t i)
{
    const struct cell_section *s = &p->img->sections[i];
    const char *n = s->name;
    switch (s->type) {
    case SHT_REL:
        return FAIL(p, KE_NOTSUP,
                    "section %u (%s): SHT_REL relocations (without addend) not "
                    "supported",
                    i, n);
    case SHT_INIT_ARRAY:
    case SHT_FINI_ARRAY:
    case SHT_PREINIT_ARRAY:
        return FAIL(p, KE_NOTSUP,
                    "section %u (%s): constructors/destructors (.init_array, "
                    ".fini_array, .ctors) not supported",
                    i, n);
    case SHT_SYMTAB_SHNDX:
        return FAIL(p, KE_NOTSUP,
                    "section %u (%s): extended section numbering (SHN_XINDEX) not "
                    "supported",
                    i, n);
    case SHT_DYNAMIC:
    case SHT_DYNSYM:
    case SHT_HASH:
    case SHT_SHLIB:
        return FAIL(p, KE_NOEXEC, "section %u (%s): unsupported section type %u", i, n, s->type);
    default:
        break;
    }
    if (is_ctor_name(n))
        return FAIL(p, KE_NOTSUP,
                    "section %u (%s): constructors/destructors (.init_array, "
                    ".fini_array, .ctors) not supported",
                    i, n);
    if (s->flags & SHF_TLS)
        return FAIL(p, KE_NOTSUP, "section %u (%s): TLS section not supported", i, n);
    if (s->type != SHT_NOBITS && s->type != SHT_NULL && !in_file(p, s->offset, s->size))
        return FAIL(p, KE_NOEXEC,
                    "section %u (%s): offset 0x%llx + size 0x%llx beyond end of file "
                    "(0x%zx)",
                    i, n, (unsigned long long)s->offset, (unsigned long long)s->size, p->size);
    uint64_t align = s->addralign ? s->addralign : 1;
    if (!is_pow2(align))
        return FAIL(p, KE_NOEXEC, "section %u (%s): alignment %llu is not a power of two", i, n,
                    (unsigned long long)s->addralign);
    if (align > LOADER_MAX_ALIGN)
        return FAIL(p, KE_NOEXEC, "section %u (%s): alignment %llu exceeds %u", i, n,
                    (unsigned long long)align, LOADER_MAX_ALIGN);
    if (s->flags & SHF_ALLOC) {
        if (s->type != SHT_PROGBITS && s->type != SHT_NOBITS && s->type != SHT_NOTE &&
            s->type != SHT_X86_64_UNWIND)
            return FAIL(p, KE_NOEXEC, "section %u (%s): unsupported allocated section type 0x%x", i,
                        n, s->type);
        if ((s->flags & SHF_WRITE) && (s->flags & SHF_EXECINSTR))
            return FAIL(p, KE_NOEXEC, "section %u (%s): both writable and executable (W^X)", i, n);
        if (s->flags & SHF_COMPRESSED)
            return FAIL(p, KE_NOEXEC, "section %u (%s): compressed allocated section", i, n);
        if (s->size > LOADER_REGION_MAX)
            return FAIL(p, KE_NOEXEC, "section %u (%s): size 0x%llx exceeds 0x%llx", i, n,
                        (unsigned long long)s->size, (unsigned long long)LOADER_REGION_MAX);
    }
    return 0;
}

/* No two sections (nor the ELF header and section header table) may share file bytes. In start
 * order, ranges are disjoint iff each starts at or after the one before it ends. */
static int check_overlaps(struct parse *p, const struct elf64_ehdr *eh)
{
    size_t cap = p->shnum + 2, scratch = loader_sort_scratch(cap, sizeof(struct range));
    struct range *r = pf_alloc(p->pf, cap * sizeof(*r) + scratch); /* shnum < 2^16 */
    if (!r)
        return FAIL(p, KE_NOMEM, "out of memory for the overlap check");
    size_t n = 0;
    r[n++] = (struct range){0, sizeof(*eh), RANGE_EHDR};
    r[n++] = (struct range){eh->e_shoff, eh->e_shoff + (uint64_t)p->shnum * 64, RANGE_SHDRS};
    for (uint32_t i = 1; i < p->shnum; i++) {
        const struct cell_section *s = &p->img->sections[i];
        if (s->type != SHT_NOBITS && s->type != SHT_NULL && s->size != 0)
            r[n++] = (struct range){s->offset, s->offset + s->size, i};
    }
    loader_sort(r, n, sizeof(*r), offsetof(struct range, start), range_tie, NULL, r + cap);
    int rc = 0;
    for (size_t k = 1; k < n && !rc; k++) {
        if (r[k].start >= r[k - 1].end)
            continue;
        char a[64], b[64];
        describe_range(p, &r[k - 1], a, sizeof(a));
        describe_range(p, &r[k], b, sizeof(b));
        rc = FAIL(p, KE_NOEXEC, "%s [0x%llx, 0x%llx) overlaps %s [0x%llx, 0x%llx)", a,
                  (unsigned long long)r[k - 1].start, (unsigned long long)r[k - 1].end, b,
                  (unsigned long long)r[k].start, (unsigned long long)r[k].end);
    }
    p->pf->free(p->pf->ctx, r);
    return rc;
}

/* ---- Symbols ------------------------------------------------------------------------------- */

static int find_symtab(struct parse *p)
{
    struct cell_image *img = p->img;
    uint32_t found = 0;
    for (uint32_t i = 1; i < p->shnum; i++) {
        if (img->sections[i].type != SHT_SYMTAB)
            continue;
        if (found)
            return FAIL(p, KE_NOEXEC, "more than one symbol table (sections %u and %u)", found, i);
        found = i;
    }
    if (!found)
        return FAIL(p, KE_NOEXEC, "no symbol table");
    const struct cell_section *s = &img->sections[found];
    if (s->entsize != sizeof(struct elf64_sym))
        return FAIL(p, KE_NOEXEC, "symbol table (section %u): entry size %llu (expected %zu)",
                    found, (unsigned long long)s->entsize, sizeof(struct elf64_sym));
    if (s->size % sizeof(struct elf64_sym) != 0 || s->size == 0)
        return FAIL(p, KE_NOEXEC,
                    "symbol table (section %u): size %llu is not a positive "
                    "multiple of %zu",
                    found, (unsigned long long)s->size, sizeof(struct elf64_sym));
    if (s->link == 0 || s->link >= p->shnum || img->sections[s->link].type != SHT_STRTAB)
        return FAIL(p, KE_NOEXEC, "symbol table (section %u): sh_link %u is not a string table",
                    found, s->link);
    const struct cell_section *st = &img->sections[s->link];
    if (st->size == 0 || p->d[st->offset + st->size - 1] != 0)
        return FAIL(p, KE_NOEXEC, "string table (section %u) not NUL-terminated", s->link);
    uint64_t nsyms = s->size / sizeof(struct elf64_sym);
    if (s->info == 0 || s->info > nsyms)
        return FAIL(p, KE_NOEXEC,
                    "symbol table (section %u): first global %u out of range "
                    "(%llu symbols)",
                    found, s->info, (unsigned long long)nsyms);
    p->symtab = found;
    p->nlocal = s->info;
    p->strtab = (const char *)p->d + st->offset;
    p->strtab_size = st->size;
    return 0;
}

static int check_symbol(struct parse *p, uint32_t i, const struct elf64_sym *es)
{
    const struct cell_image *img = p->img;
    struct cell_symbol *sym = &img->symbols[i];
    if (es->st_name >= p->strtab_size)
        return FAIL(p, KE_NOEXEC, "symbol %u: name offset 0x%x beyond string table (0x%llx)", i,
                    es->st_name, (unsigned long long)p->strtab_size);
    sym->name = p->strtab + es->st_name;
    sym->bind = es->st_info >> 4;
    sym->type = es->st_info & 0xf;
    sym->shndx = es->st_shndx;
    sym->value = es->st_value;
    sym->size = es->st_size;
    const char *n = sym->name;
    if (i == 0) {
        /* The reserved null symbol: relocations may name it (S = 0), so it must be empty. */
        if (es->st_name || es->st_info || es->st_shndx || es->st_value || es->st_size)
            return FAIL(p, KE_NOEXEC, "symbol 0 is not the null symbol");
        return 0;
    }
    if (sym->bind != STB_LOCAL && sym->bind != STB_GLOBAL && sym->bind != STB_WEAK)
        return FAIL(p, KE_NOTSUP, "symbol %u (%s): unsupported binding %u", i, n, sym->bind);
    if ((i < p->nlocal) != (sym->bind == STB_LOCAL))
        return FAIL(p, KE_NOEXEC,
                    "symbol %u (%s): %s symbol on the wrong side of the first "
                    "global (%u)",
                    i, n, sym->bind == STB_LOCAL ? "local" : "global", p->nlocal);
    if (sym->type == STT_TLS)
        return FAIL(p, KE_NOTSUP, "symbol %u (%s): TLS symbol not supported", i, n);
    if (sym->type == STT_COMMON || sym->shndx == SHN_COMMON)
        return FAIL(p, KE_NOTSUP,
                    "symbol %u (%s): common symbol (SHN_COMMON) not supported; "
                    "build with -fno-common",
                    i, n);
    if (sym->type == STT_GNU_IFUNC)
        return FAIL(p, KE_NOTSUP, "symbol %u (%s): IFUNC symbol not supported", i, n);
    if (sym->type > STT_FILE)
        return FAIL(p, KE_NOTSUP, "symbol %u (%s): unsupported type %u", i, n, sym->type);
    if (sym->shndx == SHN_XINDEX)
        return FAIL(p, KE_NOTSUP,
                    "symbol %u (%s): extended section numbering (SHN_XINDEX) not "
                    "supported",
                    i, n);
    if (sym->shndx == SHN_UNDEF) {
        if (sym->bind == STB_LOCAL)
            return FAIL(p, KE_NOEXEC, "symbol %u (%s): undefined local symbol", i, n);
        if (n[0] == 0)
            return FAIL(p, KE_NOEXEC, "symbol %u: undefined symbol without a name", i);
        return 0;
    }
    if (sym->shndx == SHN_ABS)
        return 0;
    if (sym->shndx >= SHN_LORESERVE || sym->shndx >= p->shnum)
        return FAIL(p, KE_NOEXEC, "symbol %u (%s): section index %u out of range (%u sections)", i,
                    n, sym->shndx, p->shnum);
    const struct cell_section *s = &img->sections[sym->shndx];
    if (s->type == SHT_NULL)
        return FAIL(p, KE_NOEXEC, "symbol %u (%s): defined in null section %u", i, n, sym->shndx);
    if (sym->value > s->size)
        return FAIL(p, KE_NOEXEC,
                    "symbol %u (%s): value 0x%llx beyond section %u (%s) size "
                    "0x%llx",
                    i, n, (unsigned long long)sym->value, sym->shndx, s->name,
                    (unsigned long long)s->size);
    if (sym->size > s->size - sym->value)
        return FAIL(p, KE_NOEXEC,
                    "symbol %u (%s): value 0x%llx + size 0x%llx beyond section %u "
                    "(%s) size 0x%llx",
                    i, n, (unsigned long long)sym->value, (unsigned long long)sym->size, sym->shndx,
                    s->name, (unsigned long long)s->size);
    if (sym->bind != STB_LOCAL) {
        if (n[0] == 0)
            return FAIL(p, KE_NOEXEC, "symbol %u: global symbol without a name", i);
        if (!(s->flags & SHF_ALLOC))
            return FAIL(p, KE_NOEXEC,
                        "symbol %u (%s): global symbol in non-allocated section "
                        "%u (%s)",
                        i, n, sym->shndx, s->name);
    }
    return 0;
}

/* A defined global for the duplicate check: sorted by hash, then name, then index. */
struct hname {
    uint64_t hash;
    uint32_t idx;
};

static int hname_tie(const void *a, const void *b, void *ctx)
{
    const struct cell_image *img = ctx;
    const struct hname *x = a, *y = b;
    int c = strcmp(img->symbols[x->idx].name, img->symbols[y->idx].name);
    if (c)
        return c;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Two definitions of one global name inside one object would make "the" export ambiguous. */
static int check_duplicate_globals(struct parse *p)
{
    struct cell_image *img = p->img;
    size_t n = 0;
    for (size_t i = p->nlocal; i < img->nsymbols; i++)
        if (img->symbols[i].shndx != SHN_UNDEF)
            n++;
    if (n < 2)
        return 0;
    /* n <= file size / 24: neither size below overflows. */
    size_t scratch = loader_sort_scratch(n, sizeof(struct hname));
    struct hname *h = pf_alloc(p->pf, n * sizeof(*h) + scratch);
    if (!h)
        return FAIL(p, KE_NOMEM, "out of memory for the duplicate-symbol check");
    n = 0;
    for (size_t i = p->nlocal; i < img->nsymbols; i++)
        if (img->symbols[i].shndx != SHN_UNDEF)
            h[n++] = (struct hname){loader_name_hash(img->symbols[i].name), (uint32_t)i};
    loader_sort(h, n, sizeof(*h), offsetof(struct hname, hash), hname_tie, img, h + n);
    /* Equal names are adjacent, in index order. Report the smallest duplicated name (whatever
     * the hashes), with its two lowest symbol indices. */
    size_t dup = 0;
    for (size_t k = 1; k < n; k++) {
        if (h[k].hash != h[k - 1].hash)
            continue;
        const char *name = img->symbols[h[k].idx].name;
        if (strcmp(name, img->symbols[h[k - 1].idx].name) != 0)
            continue;
        if (!dup || strcmp(name, img->symbols[h[dup].idx].name) < 0)
            dup = k;
    }
    int rc = 0;
    if (dup)
        rc = FAIL(p, KE_EXIST,
                  "duplicate definition of global symbol '%.64s' (symbols %u "
                  "and %u)",
                  img->symbols[h[dup].idx].name, h[dup - 1].idx, h[dup].idx);
    p->pf->free(p->pf->ctx, h);
    return rc;
}

static int parse_symbols(struct parse *p)
{
    struct cell_image *img = p->img;
    const struct cell_section *s = &img->sections[p->symtab];
    size_t n = s->size / sizeof(struct elf64_sym);
    img->symbols = pf_alloc(p->pf, n * sizeof(struct cell_symbol));
    if (!img->symbols)
        return FAIL(p, KE_NOMEM, "out of memory for %zu symbols", n);
    img->nsymbols = n; /* check_symbol writes each record whole; on failure it is freed */
    img->symtab_section = p->symtab;
    for (size_t i = 0; i < n; i++) {
        struct elf64_sym es;
        memcpy(&es, p->d + s->offset + i * sizeof(es), sizeof(es));
        int rc = check_symbol(p, (uint32_t)i, &es);
        if (rc)
            return rc;
    }
    return check_duplicate_globals(p);
}

/* ---- Relocations --------------------------------------------------------------------------- */

static int check_rela_section(struct parse *p, uint32_t i, uint64_t *count)
{
    const struct cell_image *img = p->img;
    const struct cell_section *s = &img->sections[i];
    if (s->entsize != sizeof(struct elf64_rela))
        return FAIL(p, KE_NOEXEC, "section %u (%s): relocation entry size %llu (expected %zu)", i,
                    s->name, (unsigned long long)s->entsize, sizeof(struct elf64_rela));
    if (s->size % sizeof(struct elf64_rela) != 0)
        return FAIL(p, KE_NOEXEC, "section %u (%s): size %llu is not a multiple of %zu", i, s->name,
                    (unsigned long long)s->size, sizeof(struct elf64_rela));
    if (s->link != p->symtab)
        return FAIL(p, KE_NOEXEC, "section %u (%s): sh_link %u is not the symbol table (%u)", i,
                    s->name, s->link, p->symtab);
    if (s->info == 0 || s->info >= p->shnum)
        return FAIL(p, KE_NOEXEC,
                    "section %u (%s): target section %u out of range (%u "
                    "sections)",
                    i, s->name, s->info, p->shnum);
    const struct cell_section *t = &img->sections[s->info];
    if (t->type != SHT_PROGBITS && t->type != SHT_X86_64_UNWIND && t->type != SHT_NOTE)
        return FAIL(p, KE_NOEXEC,
                    "section %u (%s): target section %u (%s) cannot be relocated "
                    "(type %u)",
                    i, s->name, s->info, t->name, t->type);
    *count += s->size / sizeof(struct elf64_rela);
    return 0;
}

static int check_reloc(struct parse *p, size_t k, uint32_t rs, const struct elf64_rela *er,
                       struct cell_reloc *r)
{
    const struct cell_image *img = p->img;
    const struct cell_section *s = &img->sections[rs];
    const struct cell_section *t = &img->sections[s->info];
    size_t idx = k; /* index within its section, for messages */
    r->section = s->info;
    r->rela_section = rs;
    r->offset = er->r_offset;
    r->type = (uint32_t)er->r_info;
    r->symbol = (uint32_t)(er->r_info >> 32);
    r->addend = er->r_addend;
    const struct loader_reloc_type *rt = loader_reloc_type(r->type);
    switch (rt ? rt->class : LOADER_RELOC_UNKNOWN) {
    case LOADER_RELOC_SUPPORTED:
    case LOADER_RELOC_IGNORED:
        break;
    case LOADER_RELOC_GOT:
        return FAIL(p, KE_NOTSUP,
                    "relocation %zu in %s: GOT relocation %s not supported (build "
                    "with -fno-pic)",
                    idx, s->name, rt->name);
    case LOADER_RELOC_TLS:
        return FAIL(p, KE_NOTSUP, "relocation %zu in %s: TLS relocation %s not supported", idx,
                    s->name, rt->name);
    default:
        return FAIL(p, KE_NOTSUP, "relocation %zu in %s: unknown relocation type %u", idx, s->name,
                    r->type);
    }
    if ((uint64_t)(er->r_info >> 32) >= img->nsymbols)
        return FAIL(p, KE_NOEXEC,
                    "relocation %zu in %s: symbol index %llu out of range (%zu "
                    "symbols)",
                    idx, s->name, (unsigned long long)(er->r_info >> 32), img->nsymbols);
    unsigned width = rt->width;
    if (r->offset > t->size || width > t->size - r->offset)
        return FAIL(p, KE_NOEXEC,
                    "relocation %zu in %s: offset 0x%llx + %u beyond section %u "
                    "(%s) size 0x%llx",
                    idx, s->name, (unsigned long long)r->offset, width, s->info, t->name,
                    (unsigned long long)t->size);
    if (t->flags & SHF_ALLOC) {
        const struct cell_symbol *sym = &img->symbols[r->symbol];
        if (sym->shndx != SHN_UNDEF && sym->shndx != SHN_ABS &&
            !(img->sections[sym->shndx].flags & SHF_ALLOC))
            return FAIL(p, KE_NOEXEC,
                        "relocation %zu in %s: symbol %u (%s) lies in a "
                        "non-allocated section %u (%s)",
                        idx, s->name, r->symbol,
                        sym->name[0] ? sym->name : img->sections[sym->shndx].name, sym->shndx,
                        img->sections[sym->shndx].name);
    }
    return 0;
}

static int parse_relocs(struct parse *p)
{
    struct cell_image *img = p->img;
    uint64_t total = 0;
    for (uint32_t i = 1; i < p->shnum; i++) {
        if (img->sections[i].type != SHT_RELA)
            continue;
        int rc = check_rela_section(p, i, &total);
        if (rc)
            return rc;
    }
    /* total <= file size / 24: no overflow below. */
    if (total) {
        img->relocs = pf_alloc(p->pf, total * sizeof(struct cell_reloc));
        if (!img->relocs)
            return FAIL(p, KE_NOMEM, "out of memory for %llu relocations",
                        (unsigned long long)total);
    }
    size_t k = 0;
    for (uint32_t i = 1; i < p->shnum; i++) {
        const struct cell_section *s = &img->sections[i];
        if (s->type != SHT_RELA)
            continue;
        size_t n = s->size / sizeof(struct elf64_rela);
        for (size_t j = 0; j < n; j++) {
            struct elf64_rela er;
            memcpy(&er, p->d + s->offset + j * sizeof(er), sizeof(er));
            int rc = check_reloc(p, j, i, &er, &img->relocs[k]);
            if (rc)
                return rc;
            k++;
            img->nrelocs = k;
        }
    }
    return 0;
}

/* The descriptor's pointer fields are filled by R_X86_64_64 relocations (and nothing else may
 * patch it): init/exit/migrate must point to code of this cell, state into its writable data
 * with room for state_size bytes. */
static int check_descriptor_relocs(struct parse *p)
{
    const struct cell_image *img = p->img;
    const struct cell_section *ds = &img->sections[img->descriptor_section];
    struct keel_cell_descriptor d;
    memcpy(&d, p->d + ds->offset, sizeof(d));
    static const struct {
        size_t off;
        const char *name;
        bool code;
    } fields[] = {
        {offsetof(struct keel_cell_descriptor, init), "init", true},
        {offsetof(struct keel_cell_descriptor, exit), "exit", true},
        {offsetof(struct keel_cell_descriptor, state), "state", false},
        {offsetof(struct keel_cell_descriptor, migrate), "migrate", true},
    };
    const struct cell_reloc *by_field[4] = {0};
    for (size_t k = 0; k < img->nrelocs; k++) {
        const struct cell_reloc *r = &img->relocs[k];
        if (r->section != img->descriptor_section || r->type == R_X86_64_NONE)
            continue;
        size_t f = 0;
        while (f < 4 && fields[f].off != r->offset)
            f++;
        if (f == 4 || r->type != R_X86_64_64)
            return FAIL(p, KE_NOEXEC,
                        "bad descriptor: %s at offset 0x%llx patches no pointer "
                        "field",
                        loader_reloc_type(r->type)->name, (unsigned long long)r->offset);
        if (by_field[f])
            return FAIL(p, KE_NOEXEC, "bad descriptor: two relocations for %s", fields[f].name);
        by_field[f] = r;
    }
    for (size_t f = 0; f < 4; f++) {
        uint64_t raw;
        memcpy(&raw, (const uint8_t *)&d + fields[f].off, 8);
        const struct cell_reloc *r = by_field[f];
        if (!r) {
            if (raw != 0)
                return FAIL(p, KE_NOEXEC, "bad descriptor: %s is an absolute address 0x%llx",
                            fields[f].name, (unsigned long long)raw);
            continue;
        }
        const struct cell_symbol *sym = &img->symbols[r->symbol];
        const struct cell_section *s = sym->shndx == SHN_UNDEF || sym->shndx >= SHN_LORESERVE
                                           ? NULL
                                           : &img->sections[sym->shndx];
        uint64_t want = fields[f].code ? SHF_EXECINSTR : SHF_WRITE;
        if (!s || !(s->flags & want))
            return FAIL(p, KE_NOEXEC, "bad descriptor: %s must point into this cell's %s",
                        fields[f].name, fields[f].code ? "code" : "writable data");
        if (!fields[f].code) {
            /* value + addend + state_size within the section, computed without overflow */
            uint64_t at = sym->value + (uint64_t)r->addend;
            if (at > s->size || d.state_size > s->size - at)
                return FAIL(p, KE_NOEXEC,
                            "bad descriptor: state block of %llu bytes at offset "
                            "0x%llx does not fit section %u (%s)",
                            (unsigned long long)d.state_size, (unsigned long long)at, sym->shndx,
                            s->name);
        }
    }
    if (d.state_size != 0 && !by_field[2])
        return FAIL(p, KE_NOEXEC, "bad descriptor: state_size %llu without a state pointer",
                    (unsigned long long)d.state_size);
    if (d.state_size == 0 && by_field[2])
        return FAIL(p, KE_NOEXEC, "bad descriptor: state pointer without state_size");
    return 0;
}

/* ---- Entry points -------------------------------------------------------------------------- */

int cell_image_parse(const struct loader_platform *pf, const void *data, size_t size,
                     const char *origin, struct cell_image *out, struct loader_error *err)
{
    loader_error_clear(err);
    if (!out)
        return loader_cell_fail(err, KE_INVAL, origin, "no output image");
    memset(out, 0, sizeof(*out));
    if (!pf || !pf->alloc || !pf->free || (!data && size))
        return loader_cell_fail(err, KE_INVAL, origin, "invalid arguments");
    struct parse p = {
        .pf = pf, .d = data, .size = size, .who = origin ? origin : "?", .img = out, .err = err};
    out->data = data;
    out->size = size;
    struct elf64_ehdr eh;
    int rc = parse_header(&p, &eh);
    if (!rc)
        rc = read_sections(&p, &eh);
    if (!rc)
        rc = parse_descriptor(&p);
    for (uint32_t i = 1; !rc && i < p.shnum; i++)
        rc = check_section(&p, i);
    if (!rc)
        rc = check_overlaps(&p, &eh);
    if (!rc)
        rc = find_symtab(&p);
    if (!rc)
        rc = parse_symbols(&p);
    if (!rc)
        rc = parse_relocs(&p);
    if (!rc)
        rc = check_descriptor_relocs(&p);
    if (!rc)
        rc = cell_layout(out, p.who, err);
    if (rc) {
        cell_image_free(pf, out);
        return rc;
    }
    return 0;
}

void cell_image_free(const struct loader_platform *pf, struct cell_image *img)
{
    if (!img)
        return;
    if (pf && pf->free) {
        if (img->sections)
            pf->free(pf->ctx, img->sections);
        if (img->symbols)
            pf->free(pf->ctx, img->symbols);
        if (img->relocs)
            pf->free(pf->ctx, img->relocs);
    }
    const void *data = img->data;
    size_t size = img->size;
    memset(img, 0, sizeof(*img));
    img->data = data;
    img->size = size;
}
