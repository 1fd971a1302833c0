/* How a loaded cell is described to the user: the table of `cells` and `keelctl query cells`,
 * and the line `load`, `keelctl load` and the boot print for a cell just linked. One header
 * (static functions: two cells cannot export the same global) so that the shell and keelctl say
 * the same thing in the same units: region sizes as format_size prints them (exact, in B, KiB or
 * MiB), STATE the state block the cell declares (what a swap carries; docs/design.md, "Words"). */
#ifndef KEEL_CELLS_CELLROW_H
#define KEEL_CELLS_CELLROW_H
#include <stddef.h>
#include <stdint.h>
#include <keel/format.h>
#include <keel/loader.h>

struct cell_row {
    const char *name;
    uint32_t version;
    uint64_t text_base, text, rodata, data; /* region sizes (page multiples) */
    uint64_t state;                         /* the declared state block, 0 if none */
    uint64_t relocations;
    uint32_t dependents, pins;
};

/* A row from what the loader says of a cell (pins: loader_cell_pins). */
static inline void cell_row_of_info(const struct loader_cell_info *ci, uint32_t pins,
                                    struct cell_row *row)
{
    *row = (struct cell_row){.name = ci->name,
                             .version = ci->version,
                             .text_base = ci->base[CELL_REGION_TEXT],
                             .text = ci->size[CELL_REGION_TEXT],
                             .rodata = ci->size[CELL_REGION_RODATA],
                             .data = ci->size[CELL_REGION_DATA],
                             .state = ci->descriptor ? ci->descriptor->state_size : 0,
                             .relocations = ci->relocations,
                             .dependents = (uint32_t)ci->dependents,
                             .pins = pins};
}

static inline void cell_table_header(format_emit_fn emit, void *ctx, int name_width)
{
    kformat(emit, ctx, "%-*s  VERSION  %-37s  %-8s  %-8s  %-8s  DEPENDENTS  PINS\n", name_width,
            "NAME", "TEXT", "RODATA", "DATA", "STATE");
}

static inline void cell_table_row(const struct cell_row *c, int name_width, format_emit_fn emit,
                                  void *ctx)
{
    char ro[24], data[24], state[24], text[40] = "(no code)";
    format_size(ro, sizeof(ro), c->rodata);
    format_size(data, sizeof(data), c->data);
    format_size(state, sizeof(state), c->state);
    if (c->text)
        ksnprintf(text, sizeof(text), "0x%016llx-0x%016llx", (unsigned long long)c->text_base,
                  (unsigned long long)(c->text_base + c->text));
    kformat(emit, ctx, "%-*s  %7u  %-37s  %-8s  %-8s  %-8s  %10u  %4u\n", name_width, c->name,
            c->version, text, ro, data, c->state ? state : "-", c->dependents, c->pins);
}

/* "loaded hello@1 from hello@1.o: text 0xffffffff90000000 (4 KiB), rodata 4 KiB, data 4 KiB,
 * 25 relocations" */
static inline void cell_loaded_line(const struct cell_row *c, const char *origin,
                                    format_emit_fn emit, void *ctx)
{
    char text[24], ro[24], data[24];
    format_size(text, sizeof(text), c->text);
    format_size(ro, sizeof(ro), c->rodata);
    format_size(data, sizeof(data), c->data);
    kformat(emit, ctx,
            "loaded %s@%u from %s: text 0x%016llx (%s), rodata %s, data %s, %llu relocation%s\n",
            c->name, c->version, origin, (unsigned long long)c->text_base, text, ro, data,
            (unsigned long long)c->relocations, c->relocations == 1 ? "" : "s");
}

#endif
