/* Extract the S5 (soft-off) sleep types from AML: the object `Name(_S5_, Package(){a, b, ...})`.
 * Freestanding and bounds-checked on every byte: the DSDT is firmware input. */
#include <keel/errno.h>
#include <keel/power.h>

/* One package element: BytePrefix value, ZeroOp, OneOp, or a raw small constant. */
static int aml_small_int(const uint8_t *p, size_t avail, uint8_t *out, size_t *used)
{
    if (avail < 1)
        return KE_NOEXEC;
    if (p[0] == 0x0a) { /* BytePrefix */
        if (avail < 2)
            return KE_NOEXEC;
        *out = p[1];
        *used = 2;
        return 0;
    }
    if (p[0] == 0x00 || p[0] == 0x01) { /* ZeroOp / OneOp */
        *out = p[0];
        *used = 1;
        return 0;
    }
    if (p[0] == 0xff) /* OnesOp is not a sleep type */
        return KE_NOEXEC;
    *out = p[0];
    *used = 1;
    return 0;
}

int acpi_aml_find_s5(const uint8_t *aml, size_t len, uint8_t *slp_typa, uint8_t *slp_typb)
{
    if (!aml || !slp_typa || !slp_typb)
        return KE_INVAL;
    for (size_t i = 0; i + 4 <= len; i++) {
        if (aml[i] != '_' || aml[i + 1] != 'S' || aml[i + 2] != '5' || aml[i + 3] != '_')
            continue;
        /* Must be a NameOp (optionally rooted with '\') followed by a PackageOp. */
        int named =
            (i >= 1 && aml[i - 1] == 0x08) || (i >= 2 && aml[i - 1] == '\\' && aml[i - 2] == 0x08);
        size_t p = i + 4;
        if (!named || p >= len || aml[p] != 0x12)
            continue;
        p++;
        if (p >= len)
            return KE_NOEXEC;
        size_t pkglen_bytes = 1 + (aml[p] >> 6); /* PkgLength lead byte says how many follow */
        if (len - p < pkglen_bytes + 1)
            return KE_NOEXEC;
        p += pkglen_bytes;
        uint8_t count = aml[p++];
        if (count < 2)
            return KE_NOEXEC;
        size_t used;
        uint8_t a, b;
        if (aml_small_int(aml + p, len - p, &a, &used))
            return KE_NOEXEC;
        p += used;
        if (aml_small_int(aml + p, len - p, &b, &used))
            return KE_NOEXEC;
        *slp_typa = a;
        *slp_typb = b;
        return 0;
    }
    return KE_NOENT;
}
