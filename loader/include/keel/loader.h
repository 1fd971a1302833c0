/* The runtime ELF linker for cells. Freestanding C behind a small platform interface
 * (struct loader_platform), so the same code runs in the kernel, in host unit tests, in the
 * host tool cellinfo and in the fuzzer.
 *
 * Two layers:
 *   1. cell_image_parse(): parse and validate one ET_REL object completely, without changing any
 *      state; the result is a read-only view (struct cell_image) of its sections, symbols and
 *      relocations. Every refusal comes with a precise message naming the cell and the reason.
 *   2. struct loader: the registry of loaded cells. loader_load() links a batch of images
 *      (mutually dependent cells load together) into fresh memory, applies relocations, records
 *      every cross-cell relocation as an edge of the dependency graph, and runs init. Any error
 *      leaves nothing behind: no memory, no symbol, no edge.
 *
 * Error convention: 0 on success, a negative KE_* code (keel/errno.h) on failure, with
 * err->msg filled in for the user. */
#ifndef KEEL_LOADER_H
#define KEEL_LOADER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <keel/cell.h>

#define LOADER_MSG_MAX 512

struct loader_error {
    int code;                 /* the KE_* code also returned */
    char msg[LOADER_MSG_MAX]; /* e.g. "cell 'demo': relocation 4 in .rela.text: unknown type 42" */
};

/* No error yet: what every entry point does to err (may be NULL) before it starts. */
static inline void loader_error_clear(struct loader_error *err)
{
    if (err) {
        err->code = 0;
        err->msg[0] = 0;
    }
}
/* Fills err (may be NULL) with code and the formatted message, and returns code:
 * `return loader_fail(err, KE_INVAL, "no cell named '%s'", name);`. */
int loader_fail(struct loader_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

struct loaded_cell; /* opaque: a linked cell (layer 2) */

/* ---- Platform ---------------------------------------------------------------------------- */

#define LOADER_PROT_R  1u /* read-only data */
#define LOADER_PROT_RX 2u /* code */
#define LOADER_PROT_RW 3u /* data and bss (never executable) */

/* What a core export or a cell symbol is. */
enum loader_sym_kind { LOADER_SYM_FUNC = 1, LOADER_SYM_OBJECT = 2 };

struct loader_symbol_info {
    uint64_t addr;
    uint64_t size;
    enum loader_sym_kind kind;
};

struct loader_platform {
    void *ctx;
    /* Metadata memory (may fail: return NULL). */
    void *(*alloc)(void *ctx, size_t size);
    void (*free)(void *ctx, void *p);
    /* Fresh zeroed, writable memory for one region, page-aligned, placed so that every address
     * in it and every core address are within +-2 GiB of each other and sign-extend from 32 bits
     * (the kernel code model). size is a multiple of 4096. */
    int (*region_alloc)(void *ctx, size_t size, void **addr_out);
    /* Final protection of a region once it is linked (W^X). */
    int (*region_protect)(void *ctx, void *addr, size_t size, unsigned prot);
    void (*region_free)(void *ctx, void *addr, size_t size);
    /* A symbol the core exports on purpose: 0 and *out, or KE_NOENT. */
    int (*core_symbol)(void *ctx, const char *name, struct loader_symbol_info *out);
    /* Optional: monotonic time for load statistics (NULL: times read 0). */
    uint64_t (*now_ns)(void *ctx);
    /* Optional: run a cell's init / exit on the loader's behalf, e.g. inside a task with fault
     * containment, or not at all (the fuzzer never executes what it links). NULL: the loader
     * calls the function directly. */
    int (*run_init)(void *ctx, const struct loaded_cell *cell, int (*init)(void));
    void (*run_exit)(void *ctx, const struct loaded_cell *cell, void (*exit)(void));
    /* Optional: retire instead of free. When set, a version replaced by a live swap and a cell
     * taken out by loader_unload are not freed but *retired* (still mapped, invisible to
     * resolution and to loader_find; listed by loader_retired_at) and this is called; the
     * platform frees each with loader_retired_free once nothing points into it any more. NULL:
     * freed at once (host tests, the fuzzer). */
    void (*retired)(void *ctx, struct loaded_cell *cell);
    /* Live swap, optional. patch: write len bytes at where, a field inside a linked cell whose
     * region may be read-only or executable (e.g. through a writable alias of its frame). NULL:
     * plain stores. run_migrate: call a new version's migrate hook (e.g. guarded against
     * faults); NULL: called directly. */
    int (*patch)(void *ctx, void *where, const void *bytes, size_t len);
    int (*run_migrate)(void *ctx, const struct loaded_cell *cell,
                       int (*migrate)(uint32_t, const void *, uint64_t, void *),
                       uint32_t old_version, const void *old_state, uint64_t old_size,
                       void *new_state);
    /* Optional: the registry's list of cells changed (a load committed or rolled back, an
     * unload, a swap's commit, loader_destroy). Called with nothing allocated and nothing to
     * fail; the kernel's is a debugger hook (docs/debugging.md). */
    void (*changed)(void *ctx);
};

/* ---- Layer 1: parse and validate ------------------------------------------------------------ */

enum cell_region { CELL_REGION_NONE = 0, CELL_REGION_TEXT, CELL_REGION_RODATA, CELL_REGION_DATA };

struct cell_section {
    const char *name; /* into the object's section-name string table */
    uint32_t type;    /* SHT_* */
    uint64_t flags;   /* SHF_* */
    uint64_t offset, size, addralign, entsize;
    uint32_t link, info;
    enum cell_region region; /* where an SHF_ALLOC section is placed (NONE otherwise) */
    uint64_t region_offset;  /* its offset inside that region (layout) */
};

struct cell_symbol {
    const char *name; /* "" for unnamed */
    uint8_t bind;     /* STB_* */
    uint8_t type;     /* STT_* */
    uint16_t shndx;   /* SHN_UNDEF, SHN_ABS or a section index */
    uint64_t value, size;
};

struct cell_reloc {
    uint32_t section;      /* the section being patched (sh_info of its SHT_RELA) */
    uint32_t rela_section; /* the SHT_RELA section it came from */
    uint64_t offset;       /* r_offset within that section */
    uint32_t type;         /* R_X86_64_* */
    uint32_t symbol;       /* symbol table index */
    int64_t addend;
};

struct cell_image {
    const uint8_t *data;
    size_t size;
    char name[KEEL_CELL_NAME_MAX]; /* from the descriptor */
    uint32_t version;
    struct cell_section *sections;
    size_t nsections; /* index = ELF section index */
    struct cell_symbol *symbols;
    size_t nsymbols; /* index = ELF symbol index */
    struct cell_reloc *relocs;
    size_t nrelocs;              /* all SHT_RELA entries, in file order */
    uint32_t descriptor_section; /* index of .keel_cell */
    uint32_t symtab_section;     /* index of the SHT_SYMTAB */
    uint64_t region_size[4];     /* by enum cell_region, page-rounded */
    uint64_t region_align[4];
    uint64_t writable_bytes; /* .data + .bss bytes (state to carry) */
};

/* Parse and validate everything: header (ELF64, little-endian, ET_REL, x86_64), section headers,
 * names and string tables, symbol table, every sh_link/sh_info/st_shndx/st_name/r_offset/r_info,
 * alignment, sizes, overlaps, integer overflow, the descriptor; refuse SHN_COMMON, TLS, GOT/TLS
 * relocation types, unknown relocation types, .init_array/.ctors; compute the layout. origin
 * names the object in messages until the descriptor's name is known. Allocates the arrays of
 * *out with pf->alloc; free with cell_image_free (also safe after a failed parse). */
int cell_image_parse(const struct loader_platform *pf, const void *data, size_t size,
                     const char *origin, struct cell_image *out, struct loader_error *err);
void cell_image_free(const struct loader_platform *pf, struct cell_image *img);

/* ---- Relocation types (loader/relocate.c: one table, one row per type) ---------------------- */

enum loader_reloc_class {
    LOADER_RELOC_SUPPORTED, /* applied */
    LOADER_RELOC_IGNORED,   /* R_X86_64_NONE */
    LOADER_RELOC_GOT,       /* refused: needs a GOT (build with -fno-pic) */
    LOADER_RELOC_TLS,       /* refused: thread-local storage */
    LOADER_RELOC_UNKNOWN,   /* refused as "unknown relocation type N" */
};

/* One x86_64 relocation type. An applied one stores S + A, or S + A - P (pc_relative), into a
 * little-endian field of width bytes; a field narrower than 8 bytes must hold the value as the
 * CPU reads it: sign-extended (sign_extends) or zero-extended. */
struct loader_reloc_type {
    const char *name; /* "R_X86_64_PC32" */
    enum loader_reloc_class class;
    uint8_t width; /* bytes patched; 0 unless applied */
    bool pc_relative;
    bool sign_extends;
};

/* The row of an x86_64 psABI relocation type, or NULL for a number the psABI does not name. */
const struct loader_reloc_type *loader_reloc_type(uint32_t type);
/* Name of a relocation type ("R_X86_64_PC32"), or NULL if the loader does not support it. */
const char *loader_reloc_name(uint32_t type);

/* ---- Layer 2: the registry of loaded cells and the dependency graph ------------------------- */

struct loaded_cell; /* opaque */
struct loader;      /* opaque; allocated by loader_create */

/* One object to load: its bytes stay owned by the caller and may be freed after loader_load. */
struct loader_object {
    const void *data;
    size_t size;
    const char *origin; /* e.g. the boot module name, for messages */
};

struct loader_stats {
    uint64_t parse_ns, link_ns, init_ns; /* of the last loader_load */
    uint64_t relocations;                /* applied by the last loader_load */
};

struct loader *loader_create(const struct loader_platform *pf);
/* Unloads every cell (reverse load order, running exit) and frees the loader. */
void loader_destroy(struct loader *ld);

/* Load n objects as one batch: symbols resolve against core exports, then cells already
 * loaded, then the batch itself. Order of init: the batch order. If any step fails (including an
 * init returning non-zero), everything of the batch is undone. out may be NULL; else it
 * receives n cell handles. */
int loader_load(struct loader *ld, const struct loader_object *objs, size_t n,
                struct loaded_cell **out, struct loader_error *err);
/* Pin a cell while a task runs code of it (tasks pin the cell holding their entry): a pinned
 * cell cannot be unloaded (KE_BUSY, "pinned by N tasks"). Pins count. */
void loader_cell_pin(struct loader *ld, struct loaded_cell *cell);
void loader_cell_unpin(struct loader *ld, struct loaded_cell *cell);
unsigned loader_cell_pins(const struct loaded_cell *cell);
/* Run exit and free the cell; KE_BUSY (naming the dependents) while other cells depend on it. */
int loader_unload(struct loader *ld, struct loaded_cell *cell, struct loader_error *err);
void loader_last_stats(const struct loader *ld, struct loader_stats *out);

struct loaded_cell *loader_find(const struct loader *ld, const char *name);
size_t loader_cell_count(const struct loader *ld);
/* Cells in load order: index 0..count-1, NULL beyond. */
struct loaded_cell *loader_cell_at(const struct loader *ld, size_t index);

struct loader_cell_info {
    const char *name;
    uint32_t version;
    uint64_t base[4], size[4]; /* by enum cell_region */
    uint64_t writable_bytes;
    size_t relocations;
    size_t dependents;                             /* distinct cells with edges into this one */
    const struct keel_cell_descriptor *descriptor; /* linked (pointers are final) */
    const char *origin; /* the object it was linked from (loader_object.origin, cut to
                           LOADER_ORIGIN_MAX - 1 characters) */
    bool retired;       /* replaced or unloaded, not yet freed (loader_retired_at) */
    bool failed;        /* recovery gave up on it: no new tasks (a new version starts clean) */
};
void loader_cell_info(const struct loaded_cell *cell, struct loader_cell_info *out);
/* Mark a cell failed (or not): the recovery ladder's last rung (docs/fault-injection.md). */
void loader_cell_set_failed(struct loaded_cell *cell, bool failed);
#define LOADER_ORIGIN_MAX 64

/* Retired versions (see loader_platform.retired), oldest first: index 0..count-1, NULL beyond.
 * A retired cell keeps its regions and metadata; loader_addr_lookup still finds it. */
size_t loader_retired_count(const struct loader *ld);
struct loaded_cell *loader_retired_at(const struct loader *ld, size_t index);
/* Free a retired cell now (the caller has established that nothing points into it):
 * KE_NOENT if it is not retired. */
int loader_retired_free(struct loader *ld, struct loaded_cell *cell);

/* Which cell and symbol contain addr: 0, or KE_NOENT when no cell's region does. The symbol is
 * the nearest FUNC/OBJECT symbol of that cell at or below addr in the same region (if it has a
 * size, addr must be inside it); *offset is addr minus the symbol. When no symbol covers addr,
 * *symbol is NULL and *offset is relative to the start of the containing region. Every out
 * pointer may be NULL. */
int loader_addr_lookup(const struct loader *ld, uint64_t addr, const struct loaded_cell **cell,
                       const char **symbol, uint64_t *offset);
/* A FUNC or OBJECT symbol of one cell by name, local ones included (the first in address order
 * if a name is defined twice): 0 and *out, or KE_NOENT. */
int loader_cell_symbol(const struct loaded_cell *cell, const char *name,
                       struct loader_symbol_info *out);
/* How many bytes of a cell's region its FUNC and OBJECT symbols reach (the end of the last one,
 * from the region's start; 0 if none): the used part of a page-rounded region. */
uint64_t loader_cell_region_used(const struct loaded_cell *cell, enum cell_region region);
/* A global symbol a loaded cell exports: 0 and *out, or KE_NOENT. */
int loader_symbol_lookup(const struct loader *ld, const char *name, const struct loaded_cell **cell,
                         struct loader_symbol_info *out);

/* An edge: a relocation site in one cell that refers to a symbol defined by another cell.
 * (References to core exports are recorded with target == NULL.) */
struct loader_edge {
    const struct loaded_cell *site;
    const char *site_section;
    uint64_t site_offset;
    uint32_t type;
    int64_t addend;
    const struct loaded_cell *target; /* NULL: the core */
    const char *symbol;
};
/* Call fn for each edge matching the filters (NULL = any): site cell, target cell, symbol name.
 * Stops early and returns fn's value if fn returns non-zero. A retired site's edges (into the
 * versions it was linked against) are listed when it is named as the site. */
int loader_for_each_edge(const struct loader *ld, const struct loaded_cell *site,
                         const struct loaded_cell *target, const char *symbol,
                         int (*fn)(void *ctx, const struct loader_edge *e), void *ctx);

/* ---- Live swap (loader/swap.c, swap_state.c) ------------------------------------------------
 * Replacing loaded cells by new versions, in the steps the kernel's orchestrator interleaves
 * with stopping the world (kernel/swap/):
 *   loader_swap_link     parse and link the new versions into fresh memory, invisible to all;
 *   loader_swap_check    can each stand in for its old version? (symbols dependents use: same
 *                        kind, objects not smaller; state block rules; every site's new value
 *                        fits) and plan the rewrites and the state to carry;
 *   loader_swap_transfer carry the state into the new versions (writes only new memory);
 *   loader_swap_rewrite  rewrite every site in other cells that points into an old version
 *                        (undone by loader_swap_abort);
 *   loader_swap_commit   the commit point: the registry, the graph and the pins switch to the
 *                        new versions (cannot fail);
 *   loader_swap_finish   free the old versions (after commit) / loader_swap_abort (before).
 * Before the commit the old versions stay exactly as they were. */
struct loader_swap;

struct loader_swap_cell_stats {
    const char *name;
    uint32_t old_version, new_version;
    const char *state;    /* "none", "fresh" (new block, old had none), "verbatim", "migrated" */
    uint64_t state_bytes; /* bytes of the state block carried (verbatim) or migrated from */
    size_t variables, variable_bytes; /* variables carried by name */
    size_t relocations;               /* applied while linking the new version */
};

/* olds[k] is replaced by objs[k] (same cell name); n >= 1. Fails with nothing left behind. */
int loader_swap_link(struct loader *ld, struct loaded_cell *const *olds,
                     const struct loader_object *objs, size_t n, struct loader_swap **out,
                     struct loader_error *err);
int loader_swap_check(struct loader_swap *sw, struct loader_error *err);
/* The plan, one line at a time (after a successful check). */
void loader_swap_describe(const struct loader_swap *sw, void (*emit)(void *ctx, const char *line),
                          void *ctx);
/* After the check: no state block is carried (each new version keeps its initial value, state
 * "fresh"); variables are carried as planned. */
void loader_swap_reset_state(struct loader_swap *sw);
int loader_swap_transfer(struct loader_swap *sw, struct loader_error *err);
int loader_swap_rewrite(struct loader_swap *sw, struct loader_error *err);
/* Put back what loader_swap_rewrite changed (before the commit). */
void loader_swap_abort_rewrite(struct loader_swap *sw);
void loader_swap_commit(struct loader_swap *sw);
void loader_swap_finish(struct loader_swap *sw);
void loader_swap_abort(struct loader_swap *sw);

/* Is addr inside an old version (any region)? */
bool loader_swap_in_old(const struct loader_swap *sw, uint64_t addr);
/* An address in an old version -> the same place in the new one: the symbol that covers it, by
 * name and kind (a function only at its start; an object anywhere strictly inside it). KE_NOENT if
 * it has no counterpart (then *why, if given, says what it pointed at). */
int loader_swap_translate(const struct loader_swap *sw, uint64_t addr, uint64_t *out, char *why,
                          size_t why_size);
size_t loader_swap_count(const struct loader_swap *sw);
struct loaded_cell *loader_swap_old(const struct loader_swap *sw, size_t k);
struct loaded_cell *loader_swap_new(const struct loader_swap *sw, size_t k);
void loader_swap_stats(const struct loader_swap *sw, size_t k, struct loader_swap_cell_stats *out);
/* Sites in other cells that point into the old versions (after check). */
size_t loader_swap_sites(const struct loader_swap *sw);

/* A pending swap's gate (loader/swap_gate.c): after the check, every site in another cell that is
 * the 32-bit field of a direct call or jump (e8/e9 rel32) to a function of an old version is
 * pointed at stub(ctx, old_target, new_target) instead (0 leaves that site alone), so that no
 * caller enters the old code any more. Returns the sites gated. loader_swap_ungate puts every
 * one back exactly; it must run before loader_swap_rewrite (which refuses while gated), and
 * loader_swap_abort runs it too. Both through the platform's patch. */
size_t loader_swap_gate(struct loader_swap *sw,
                        uint64_t (*stub)(void *ctx, uint64_t old_target, uint64_t new_target),
                        void *ctx);
void loader_swap_ungate(struct loader_swap *sw);

#endif
