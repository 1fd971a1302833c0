/* A cell object as libelf sees it: sections, symbols, relocations and the raw descriptor.
 * Independent of the loader's parse on purpose: cellinfo prints from this view, and
 * cell_diff_test compares it with the loader's own parse (cell_image_parse). Only the names of
 * relocation types come from the loader (its table). Host-only (libelf, malloc). */
#ifndef CELLINFO_ELFVIEW_H
#define CELLINFO_ELFVIEW_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <keel/cell.h>

struct ev_section {
    const char *name; /* "" if the name is unreadable */
    uint32_t type;
    uint64_t flags, offset, size, addralign, entsize;
    uint32_t link, info;
};

struct ev_symbol {
    const char *name; /* "" for unnamed or unreadable */
    uint8_t bind, type;
    uint16_t shndx;
    uint64_t value, size;
};

struct ev_reloc {
    uint32_t section;      /* sh_info of the SHT_RELA section: the section being patched */
    uint32_t rela_section; /* index of the SHT_RELA section */
    uint64_t offset;
    uint32_t type, symbol;
    int64_t addend;
};

struct elf_view {
    struct ev_section *sections;
    size_t nsections; /* including the null section 0 */
    struct ev_symbol *symbols;
    size_t nsymbols; /* including the null symbol 0 */
    struct ev_reloc *relocs;
    size_t nrelocs;      /* every SHT_RELA entry, by section index, then entry order */
    size_t symtab_index; /* 0: no symbol table */
    /* The descriptor, copied from .keel_cell when that section holds at least one. */
    bool has_descriptor;
    uint32_t descriptor_section;
    struct keel_cell_descriptor descriptor;
    /* Names of the symbols the descriptor's pointer fields are relocated against ("" if unset). */
    const char *init_sym, *exit_sym, *state_sym, *migrate_sym;
    char names[4][96]; /* storage for "section+0xoffset" forms of the above */
    size_t file_size;
    char error[256]; /* why elf_view_read failed */
    /* private */
    void *elf;
    void *copy;
};

/* Reads size bytes of data (not modified; libelf works on its own copy). 0 on success; -1 with
 * v->error set otherwise. Always call elf_view_free afterwards. */
int elf_view_read(const void *data, size_t size, struct elf_view *v);
void elf_view_free(struct elf_view *v);

/* Display helpers: "PROGBITS", "func", "R_X86_64_PC32" (named by the loader's table,
 * loader_reloc_type), "WAX" (readelf's letters). Names not known are printed as numbers into buf
 * (at least 32 bytes). */
const char *ev_section_type_name(uint32_t type, char *buf, size_t n);
const char *ev_symbol_type_name(uint8_t type, char *buf, size_t n);
const char *ev_reloc_type_name(uint32_t type, char *buf, size_t n);
void ev_section_flags(uint64_t flags, char *buf, size_t n);

#endif
