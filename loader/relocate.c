/* The one place that knows x86_64 relocation types: one row per type of the psABI (name, what
 * the loader does with it, and for the types it applies: field width, PC-relative or not,
 * signed or unsigned field), and the arithmetic every applied row shares. The value is S + A,
 * or S + A - P; it must fit the field as the CPU will read it. Addresses are signed 64-bit
 * numbers for a signed field (canonical x86_64 addresses: the kernel's top 2 GiB are small
 * negative numbers) and unsigned ones for an unsigned field, and the arithmetic is exact
 * (128-bit). Applying another type is one row here. */
#include <keel/errno.h>
#include "elf64.h"
#include "internal.h"

/* ROW(type, class, width, pc_relative, sign_extends); the name is the type's own. (Not one macro
 * calling the other: the type would be expanded to its number before it is named.) */
#define ROW(t, c, w, pc, sx) [t] = {#t, LOADER_RELOC_##c, w, pc, sx}
#define NOT_APPLIED(t, c)    [t] = {#t, LOADER_RELOC_##c, 0, false, false}

static const struct loader_reloc_type rows[] = {
    ROW(R_X86_64_NONE, IGNORED, 0, false, false),
    ROW(R_X86_64_64, SUPPORTED, 8, false, false),
    ROW(R_X86_64_PC32, SUPPORTED, 4, true, true),
    NOT_APPLIED(R_X86_64_GOT32, GOT),
    ROW(R_X86_64_PLT32, SUPPORTED, 4, true, true), /* a direct call: no PLT in a cell */
    NOT_APPLIED(R_X86_64_COPY, UNKNOWN),
    NOT_APPLIED(R_X86_64_GLOB_DAT, UNKNOWN),
    NOT_APPLIED(R_X86_64_JUMP_SLOT, UNKNOWN),
    NOT_APPLIED(R_X86_64_RELATIVE, UNKNOWN),
    NOT_APPLIED(R_X86_64_GOTPCREL, GOT),
    ROW(R_X86_64_32, SUPPORTED, 4, false, false), /* the CPU zero-extends */
    ROW(R_X86_64_32S, SUPPORTED, 4, false, true),
    NOT_APPLIED(R_X86_64_16, UNKNOWN),
    NOT_APPLIED(R_X86_64_PC16, UNKNOWN),
    NOT_APPLIED(R_X86_64_8, UNKNOWN),
    NOT_APPLIED(R_X86_64_PC8, UNKNOWN),
    NOT_APPLIED(R_X86_64_DTPMOD64, TLS),
    NOT_APPLIED(R_X86_64_DTPOFF64, TLS),
    NOT_APPLIED(R_X86_64_TPOFF64, TLS),
    NOT_APPLIED(R_X86_64_TLSGD, TLS),
    NOT_APPLIED(R_X86_64_TLSLD, TLS),
    NOT_APPLIED(R_X86_64_DTPOFF32, TLS),
    NOT_APPLIED(R_X86_64_GOTTPOFF, TLS),
    NOT_APPLIED(R_X86_64_TPOFF32, TLS),
    ROW(R_X86_64_PC64, SUPPORTED, 8, true, false),
    NOT_APPLIED(R_X86_64_GOTOFF64, GOT),
    NOT_APPLIED(R_X86_64_GOTPC32, GOT),
    NOT_APPLIED(R_X86_64_GOT64, GOT),
    NOT_APPLIED(R_X86_64_GOTPCREL64, GOT),
    NOT_APPLIED(R_X86_64_GOTPC64, GOT),
    NOT_APPLIED(R_X86_64_GOTPLT64, GOT),
    NOT_APPLIED(R_X86_64_PLTOFF64, GOT),
    NOT_APPLIED(R_X86_64_SIZE32, UNKNOWN),
    NOT_APPLIED(R_X86_64_SIZE64, UNKNOWN),
    NOT_APPLIED(R_X86_64_GOTPC32_TLSDESC, TLS),
    NOT_APPLIED(R_X86_64_TLSDESC_CALL, TLS),
    NOT_APPLIED(R_X86_64_TLSDESC, TLS),
    NOT_APPLIED(R_X86_64_IRELATIVE, UNKNOWN),
    NOT_APPLIED(R_X86_64_RELATIVE64, UNKNOWN),
    NOT_APPLIED(R_X86_64_GOTPCRELX, GOT),
    NOT_APPLIED(R_X86_64_REX_GOTPCRELX, GOT),
};

const struct loader_reloc_type *loader_reloc_type(uint32_t type)
{
    if (type >= sizeof(rows) / sizeof(rows[0]) || !rows[type].name)
        return NULL;
    return &rows[type];
}

const char *loader_reloc_name(uint32_t type)
{
    const struct loader_reloc_type *t = loader_reloc_type(type);
    if (!t || (t->class != LOADER_RELOC_SUPPORTED && t->class != LOADER_RELOC_IGNORED))
        return NULL;
    return t->name;
}

/* The row of a type the loader applies, or NULL. */
static const struct loader_reloc_type *applied(uint32_t type)
{
    const struct loader_reloc_type *t = loader_reloc_type(type);
    return t && t->class == LOADER_RELOC_SUPPORTED ? t : NULL;
}

static uint64_t field_mask(unsigned width)
{
    return width >= 8 ? UINT64_MAX : ((uint64_t)1 << (8 * width)) - 1;
}

int loader_reloc_value(uint32_t type, uint64_t s, int64_t a, uint64_t p, uint64_t *value)
{
    const struct loader_reloc_type *t = applied(type);
    if (!t)
        return KE_NOTSUP;
    uint64_t pc = t->pc_relative ? p : 0;
    if (t->width == 8) {
        *value = s + (uint64_t)a - pc; /* any 64-bit value is representable */
        return 0;
    }
    uint64_t mask = field_mask(t->width);
    __int128 v, lo;
    if (t->sign_extends) {
        v = (__int128)(int64_t)s - (int64_t)pc + a;
        lo = -(__int128)(mask >> 1) - 1;
    } else {
        v = (__int128)s - pc + a;
        lo = 0;
    }
    if ((unsigned __int128)(v - lo) > mask) /* outside [lo, lo + mask] */
        return KE_RANGE;
    *value = (uint64_t)v & mask;
    return 0;
}

void loader_reloc_store(void *where, uint32_t type, uint64_t value)
{
    const struct loader_reloc_type *t = applied(type);
    if (!t)
        return;
    /* Little-endian, like the CPU that reads it; fixed sizes, so the copies are plain moves. */
    if (t->width == 8) {
        __builtin_memcpy(where, &value, 8);
    } else if (t->width == 4) {
        uint32_t v32 = (uint32_t)value;
        __builtin_memcpy(where, &v32, 4);
    } else {
        for (unsigned i = 0; i < t->width; i++)
            ((uint8_t *)where)[i] = (uint8_t)(value >> (8 * i));
    }
}

uint64_t loader_reloc_target(uint32_t type, uint64_t field, uint64_t p)
{
    const struct loader_reloc_type *t = applied(type);
    if (!t)
        return 0;
    uint64_t mask = field_mask(t->width), v = field & mask;
    if (t->sign_extends && (v & ~(mask >> 1)))
        v |= ~mask;
    return t->pc_relative ? v + p : v;
}
