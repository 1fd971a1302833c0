/* The one place that knows x86_64 relocation types: names, classes, widths, and computing a
 * value with its overflow check. Addresses are treated as signed 64-bit numbers (canonical
 * x86_64 addresses: the kernel's top 2 GiB are small negative numbers), and the arithmetic is
 * exact (128-bit), so "fits in signed 32 bits" means what the CPU's sign extension will do. */
#include <keel/errno.h>
#include <keel/string.h>
#include "elf64.h"
#include "internal.h"

const char *loader_reloc_any_name(uint32_t type)
{
    switch (type) {
    case R_X86_64_NONE:
        return "R_X86_64_NONE";
    case R_X86_64_64:
        return "R_X86_64_64";
    case R_X86_64_PC32:
        return "R_X86_64_PC32";
    case R_X86_64_GOT32:
        return "R_X86_64_GOT32";
    case R_X86_64_PLT32:
        return "R_X86_64_PLT32";
    case R_X86_64_COPY:
        return "R_X86_64_COPY";
    case R_X86_64_GLOB_DAT:
        return "R_X86_64_GLOB_DAT";
    case R_X86_64_JUMP_SLOT:
        return "R_X86_64_JUMP_SLOT";
    case R_X86_64_RELATIVE:
        return "R_X86_64_RELATIVE";
    case R_X86_64_GOTPCREL:
        return "R_X86_64_GOTPCREL";
    case R_X86_64_32:
        return "R_X86_64_32";
    case R_X86_64_32S:
        return "R_X86_64_32S";
    case R_X86_64_16:
        return "R_X86_64_16";
    case R_X86_64_PC16:
        return "R_X86_64_PC16";
    case R_X86_64_8:
        return "R_X86_64_8";
    case R_X86_64_PC8:
        return "R_X86_64_PC8";
    case R_X86_64_DTPMOD64:
        return "R_X86_64_DTPMOD64";
    case R_X86_64_DTPOFF64:
        return "R_X86_64_DTPOFF64";
    case R_X86_64_TPOFF64:
        return "R_X86_64_TPOFF64";
    case R_X86_64_TLSGD:
        return "R_X86_64_TLSGD";
    case R_X86_64_TLSLD:
        return "R_X86_64_TLSLD";
    case R_X86_64_DTPOFF32:
        return "R_X86_64_DTPOFF32";
    case R_X86_64_GOTTPOFF:
        return "R_X86_64_GOTTPOFF";
    case R_X86_64_TPOFF32:
        return "R_X86_64_TPOFF32";
    case R_X86_64_PC64:
        return "R_X86_64_PC64";
    case R_X86_64_GOTOFF64:
        return "R_X86_64_GOTOFF64";
    case R_X86_64_GOTPC32:
        return "R_X86_64_GOTPC32";
    case R_X86_64_GOT64:
        return "R_X86_64_GOT64";
    case R_X86_64_GOTPCREL64:
        return "R_X86_64_GOTPCREL64";
    case R_X86_64_GOTPC64:
        return "R_X86_64_GOTPC64";
    case R_X86_64_GOTPLT64:
        return "R_X86_64_GOTPLT64";
    case R_X86_64_PLTOFF64:
        return "R_X86_64_PLTOFF64";
    case R_X86_64_GOTPC32_TLSDESC:
        return "R_X86_64_GOTPC32_TLSDESC";
    case R_X86_64_TLSDESC_CALL:
        return "R_X86_64_TLSDESC_CALL";
    case R_X86_64_TLSDESC:
        return "R_X86_64_TLSDESC";
    case R_X86_64_GOTPCRELX:
        return "R_X86_64_GOTPCRELX";
    case R_X86_64_REX_GOTPCRELX:
        return "R_X86_64_REX_GOTPCRELX";
    default:
        return NULL;
    }
}

enum loader_reloc_class loader_reloc_class(uint32_t type)
{
    switch (type) {
    case R_X86_64_64:
    case R_X86_64_PC32:
    case R_X86_64_PLT32:
    case R_X86_64_32:
    case R_X86_64_32S:
    case R_X86_64_PC64:
        return LOADER_RELOC_SUPPORTED;
    case R_X86_64_NONE:
        return LOADER_RELOC_IGNORED;
    case R_X86_64_GOT32:
    case R_X86_64_GOTPCREL:
    case R_X86_64_GOTOFF64:
    case R_X86_64_GOTPC32:
    case R_X86_64_GOT64:
    case R_X86_64_GOTPCREL64:
    case R_X86_64_GOTPC64:
    case R_X86_64_GOTPLT64:
    case R_X86_64_PLTOFF64:
    case R_X86_64_GOTPCRELX:
    case R_X86_64_REX_GOTPCRELX:
        return LOADER_RELOC_GOT;
    case R_X86_64_DTPMOD64:
    case R_X86_64_DTPOFF64:
    case R_X86_64_TPOFF64:
    case R_X86_64_TLSGD:
    case R_X86_64_TLSLD:
    case R_X86_64_DTPOFF32:
    case R_X86_64_GOTTPOFF:
    case R_X86_64_TPOFF32:
    case R_X86_64_GOTPC32_TLSDESC:
    case R_X86_64_TLSDESC_CALL:
    case R_X86_64_TLSDESC:
        return LOADER_RELOC_TLS;
    default:
        return LOADER_RELOC_UNKNOWN;
    }
}

const char *loader_reloc_name(uint32_t type)
{
    enum loader_reloc_class c = loader_reloc_class(type);
    if (c != LOADER_RELOC_SUPPORTED && c != LOADER_RELOC_IGNORED)
        return NULL;
    return loader_reloc_any_name(type);
}

unsigned loader_reloc_width(uint32_t type)
{
    switch (type) {
    case R_X86_64_64:
    case R_X86_64_PC64:
        return 8;
    case R_X86_64_PC32:
    case R_X86_64_PLT32:
    case R_X86_64_32:
    case R_X86_64_32S:
        return 4;
    default:
        return 0;
    }
}

int loader_reloc_value(uint32_t type, uint64_t s, int64_t a, uint64_t p, uint64_t *value)
{
    __int128 v = (__int128)(int64_t)s + a;
    switch (type) {
    case R_X86_64_64:
        *value = s + (uint64_t)a; /* any 64-bit value is representable */
        return 0;
    case R_X86_64_PC64:
        *value = s + (uint64_t)a - p;
        return 0;
    case R_X86_64_32:
        /* Unsigned: the CPU zero-extends. The address as an unsigned number must fit. */
        v = (__int128)s + a;
        if (v < 0 || v > (__int128)UINT32_MAX)
            return KE_RANGE;
        break;
    case R_X86_64_32S:
        if (v < INT32_MIN || v > INT32_MAX)
            return KE_RANGE;
        break;
    case R_X86_64_PC32:
    case R_X86_64_PLT32:
        v -= (int64_t)p;
        if (v < INT32_MIN || v > INT32_MAX)
            return KE_RANGE;
        break;
    default:
        return KE_NOTSUP;
    }
    *value = (uint64_t)v & 0xffffffffu;
    return 0;
}

void loader_reloc_store(void *where, uint32_t type, uint64_t value)
{
    if (loader_reloc_width(type) == 8) {
        memcpy(where, &value, 8);
    } else {
        uint32_t v32 = (uint32_t)value;
        memcpy(where, &v32, 4);
    }
}
