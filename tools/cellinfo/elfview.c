/* libelf reader for cell objects; see elfview.h. */
#include "elfview.h"

#include <gelf.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <keel/loader.h>

_Static_assert(sizeof(struct keel_cell_descriptor) == 96, "descriptor layout is the target's");

static int fail(struct elf_view *v, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->error, sizeof(v->error), fmt, ap);
    va_end(ap);
    return -1;
}

static int fail_elf(struct elf_view *v, const char *what)
{
    return fail(v, "libelf: %s: %s", what, elf_errmsg(-1));
}

static const char *str_or_empty(Elf *elf, size_t strtab, size_t off)
{
    const char *s = elf_strptr(elf, strtab, off);
    return s ? s : "";
}

static int read_sections(Elf *elf, struct elf_view *v)
{
    size_t n, shstrndx;
    if (elf_getshdrnum(elf, &n) != 0)
        return fail_elf(v, "section count");
    if (elf_getshdrstrndx(elf, &shstrndx) != 0)
        return fail_elf(v, "section name table index");
    v->sections = calloc(n ? n : 1, sizeof(*v->sections));
    if (!v->sections)
        return fail(v, "out of memory");
    for (size_t i = 0; i < n; i++) {
        Elf_Scn *scn = elf_getscn(elf, i);
        GElf_Shdr sh;
        if (!scn || !gelf_getshdr(scn, &sh))
            return fail(v, "libelf: section header %zu: %s", i, elf_errmsg(-1));
        v->sections[i] = (struct ev_section){
            .name = i ? str_or_empty(elf, shstrndx, sh.sh_name) : "",
            .type = sh.sh_type,
            .flags = sh.sh_flags,
            .offset = sh.sh_offset,
            .size = sh.sh_size,
            .addralign = sh.sh_addralign,
            .entsize = sh.sh_entsize,
            .link = sh.sh_link,
            .info = sh.sh_info,
        };
    }
    v->nsections = n;
    return 0;
}

static int read_symbols(Elf *elf, struct elf_view *v)
{
    for (size_t i = 1; i < v->nsections; i++) {
        if (v->sections[i].type != SHT_SYMTAB)
            continue;
        if (v->symtab_index)
            return fail(v, "more than one symbol table (sections %zu and %zu)", v->symtab_index, i);
        v->symtab_index = i;
    }
    if (!v->symtab_index)
        return 0;
    const struct ev_section *st = &v->sections[v->symtab_index];
    Elf_Data *d = elf_getdata(elf_getscn(elf, v->symtab_index), NULL);
    if (!d)
        return fail_elf(v, "symbol table data");
    size_t n = d->d_size / gelf_fsize(elf, ELF_T_SYM, 1, EV_CURRENT);
    v->symbols = calloc(n ? n : 1, sizeof(*v->symbols));
    if (!v->symbols)
        return fail(v, "out of memory");
    for (size_t i = 0; i < n; i++) {
        GElf_Sym s;
        if (!gelf_getsym(d, (int)i, &s))
            return fail(v, "libelf: symbol %zu: %s", i, elf_errmsg(-1));
        v->symbols[i] = (struct ev_symbol){
            .name = s.st_name ? str_or_empty(elf, st->link, s.st_name) : "",
            .bind = GELF_ST_BIND(s.st_info),
            .type = GELF_ST_TYPE(s.st_info),
            .shndx = s.st_shndx,
            .value = s.st_value,
            .size = s.st_size,
        };
    }
    v->nsymbols = n;
    return 0;
}

static int read_relocs(Elf *elf, struct elf_view *v)
{
    size_t total = 0;
    size_t rela_size = gelf_fsize(elf, ELF_T_RELA, 1, EV_CURRENT);
    for (size_t i = 1; i < v->nsections; i++) {
        const struct ev_section *s = &v->sections[i];
        /* Out-of-file sizes are left to elf_getdata to refuse, not allocated for. */
        if (s->type == SHT_RELA && s->offset <= v->file_size && s->size <= v->file_size - s->offset)
            total += s->size / rela_size;
    }
    v->relocs = calloc(total ? total : 1, sizeof(*v->relocs));
    if (!v->relocs)
        return fail(v, "out of memory");
    for (size_t i = 1; i < v->nsections; i++) {
        if (v->sections[i].type != SHT_RELA)
            continue;
        Elf_Data *d = elf_getdata(elf_getscn(elf, i), NULL);
        if (!d)
            return fail(v, "libelf: relocation section %zu: %s", i, elf_errmsg(-1));
        size_t n = d->d_size / rela_size;
        for (size_t j = 0; j < n && v->nrelocs < total; j++) {
            GElf_Rela r;
            if (!gelf_getrela(d, (int)j, &r))
                return fail(v, "libelf: relocation %zu of section %zu: %s", j, i, elf_errmsg(-1));
            v->relocs[v->nrelocs++] = (struct ev_reloc){
                .section = v->sections[i].info,
                .rela_section = (uint32_t)i,
                .offset = r.r_offset,
                .type = (uint32_t)GELF_R_TYPE(r.r_info),
                .symbol = (uint32_t)GELF_R_SYM(r.r_info),
                .addend = r.r_addend,
            };
        }
    }
    return 0;
}

/* What a descriptor pointer field is relocated against, for display: the named symbol at the
 * target if there is one (static functions are referenced through their section symbol), else
 * "section+0xoffset"; "" if the field has no relocation. */
static const char *descriptor_field_symbol(struct elf_view *v, uint64_t field_offset, char *buf,
                                           size_t n)
{
    for (size_t i = 0; i < v->nrelocs; i++) {
        const struct ev_reloc *r = &v->relocs[i];
        if (r->section != v->descriptor_section || r->offset != field_offset)
            continue;
        if (r->symbol >= v->nsymbols)
            return "?";
        const struct ev_symbol *s = &v->symbols[r->symbol];
        if (s->type != STT_SECTION && r->addend == 0)
            return s->name;
        uint64_t target = s->value + (uint64_t)r->addend;
        for (size_t j = 1; j < v->nsymbols; j++) {
            const struct ev_symbol *t = &v->symbols[j];
            if ((t->type == STT_FUNC || t->type == STT_OBJECT) && t->shndx == s->shndx &&
                t->value == target && t->name[0])
                return t->name;
        }
        const char *base = s->type == STT_SECTION && s->shndx < v->nsections
                               ? v->sections[s->shndx].name
                               : s->name;
        snprintf(buf, n, "%s+0x%llx", base, (unsigned long long)r->addend);
        return buf;
    }
    return "";
}

static void read_descriptor(Elf *elf, struct elf_view *v)
{
    v->init_sym = v->exit_sym = v->state_sym = v->migrate_sym = "";
    for (size_t i = 1; i < v->nsections; i++) {
        if (strcmp(v->sections[i].name, ".keel_cell") != 0)
            continue;
        v->descriptor_section = (uint32_t)i;
        Elf_Data *d = elf_getdata(elf_getscn(elf, i), NULL);
        if (v->sections[i].type != SHT_PROGBITS || !d || !d->d_buf ||
            d->d_size < sizeof(v->descriptor))
            return;
        memcpy(&v->descriptor, d->d_buf, sizeof(v->descriptor));
        v->has_descriptor = true;
        static const size_t fields[4] = {
            offsetof(struct keel_cell_descriptor, init),
            offsetof(struct keel_cell_descriptor, exit),
            offsetof(struct keel_cell_descriptor, state),
            offsetof(struct keel_cell_descriptor, migrate),
        };
        const char **out[4] = {&v->init_sym, &v->exit_sym, &v->state_sym, &v->migrate_sym};
        for (int f = 0; f < 4; f++)
            *out[f] = descriptor_field_symbol(v, fields[f], v->names[f], sizeof(v->names[f]));
        return;
    }
}

int elf_view_read(const void *data, size_t size, struct elf_view *v)
{
    memset(v, 0, sizeof(*v));
    if (elf_version(EV_CURRENT) == EV_NONE)
        return fail_elf(v, "version");
    v->copy = malloc(size ? size : 1);
    if (!v->copy)
        return fail(v, "out of memory");
    memcpy(v->copy, data, size);
    v->file_size = size;
    Elf *elf = elf_memory(v->copy, size);
    v->elf = elf;
    if (!elf)
        return fail_elf(v, "open");
    if (elf_kind(elf) != ELF_K_ELF)
        return fail(v, "libelf: not an ELF object");
    if (gelf_getclass(elf) != ELFCLASS64)
        return fail(v, "libelf: not ELF64");
    GElf_Ehdr eh;
    if (!gelf_getehdr(elf, &eh))
        return fail_elf(v, "ELF header");
    if (read_sections(elf, v) || read_symbols(elf, v) || read_relocs(elf, v))
        return -1;
    read_descriptor(elf, v);
    return 0;
}

void elf_view_free(struct elf_view *v)
{
    if (v->elf)
        elf_end(v->elf);
    free(v->copy);
    free(v->sections);
    free(v->symbols);
    free(v->relocs);
    memset(v, 0, sizeof(*v));
}

const char *ev_section_type_name(uint32_t type, char *buf, size_t n)
{
    switch (type) {
    case SHT_NULL:
        return "NULL";
    case SHT_PROGBITS:
        return "PROGBITS";
    case SHT_SYMTAB:
        return "SYMTAB";
    case SHT_STRTAB:
        return "STRTAB";
    case SHT_RELA:
        return "RELA";
    case SHT_HASH:
        return "HASH";
    case SHT_DYNAMIC:
        return "DYNAMIC";
    case SHT_NOTE:
        return "NOTE";
    case SHT_NOBITS:
        return "NOBITS";
    case SHT_REL:
        return "REL";
    case SHT_DYNSYM:
        return "DYNSYM";
    case SHT_INIT_ARRAY:
        return "INIT_ARRAY";
    case SHT_FINI_ARRAY:
        return "FINI_ARRAY";
    case SHT_PREINIT_ARRAY:
        return "PREINIT_ARRAY";
    case SHT_GROUP:
        return "GROUP";
    case SHT_SYMTAB_SHNDX:
        return "SYMTAB_SHNDX";
    case 0x6fff4c03:
        return "LLVM_ADDRSIG";
    case 0x6fff4c00:
        return "LLVM_ODRTAB";
    case 0x6fff4c01:
        return "LLVM_LINKER_OPTIONS";
    case 0x70000001:
        return "X86_64_UNWIND";
    default:
        snprintf(buf, n, "0x%x", type);
        return buf;
    }
}

const char *ev_symbol_type_name(uint8_t type, char *buf, size_t n)
{
    switch (type) {
    case STT_NOTYPE:
        return "notype";
    case STT_OBJECT:
        return "object";
    case STT_FUNC:
        return "func";
    case STT_SECTION:
        return "section";
    case STT_FILE:
        return "file";
    case STT_COMMON:
        return "common";
    case STT_TLS:
        return "tls";
    case STT_GNU_IFUNC:
        return "ifunc";
    default:
        snprintf(buf, n, "type%u", type);
        return buf;
    }
}

const char *ev_reloc_type_name(uint32_t type, char *buf, size_t n)
{
    const struct loader_reloc_type *t = loader_reloc_type(type); /* the loader's own table */
    if (t)
        snprintf(buf, n, "%s", t->name);
    else
        snprintf(buf, n, "R_X86_64_<%u>", type);
    return buf;
}

void ev_section_flags(uint64_t flags, char *buf, size_t n)
{
    static const struct {
        uint64_t bit;
        char letter;
    } letters[] = {
        {SHF_WRITE, 'W'},      {SHF_ALLOC, 'A'},
        {SHF_EXECINSTR, 'X'},  {SHF_MERGE, 'M'},
        {SHF_STRINGS, 'S'},    {SHF_INFO_LINK, 'I'},
        {SHF_LINK_ORDER, 'L'}, {SHF_OS_NONCONFORMING, 'O'},
        {SHF_GROUP, 'G'},      {SHF_TLS, 'T'},
        {SHF_COMPRESSED, 'C'}, {SHF_EXCLUDE, 'E'},
    };
    size_t len = 0;
    uint64_t rest = flags;
    for (size_t i = 0; i < sizeof(letters) / sizeof(letters[0]) && len + 1 < n; i++) {
        if (flags & letters[i].bit) {
            buf[len++] = letters[i].letter;
            rest &= ~letters[i].bit;
        }
    }
    if (n)
        buf[len < n ? len : n - 1] = '\0';
    if (rest && len + 1 < n)
        snprintf(buf + len, n - len, "+0x%llx", (unsigned long long)rest);
}
