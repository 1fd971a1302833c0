/* Multiboot2 boot information parser (see keel/mb2.h). The walk runs twice: first with no
 * output, to validate everything, then filling the caller's struct, so that a refused structure
 * leaves *out untouched without needing a 2 KiB scratch copy on the early boot stack. */
#include <keel/errno.h>
#include <keel/mb2.h>
#include <keel/unaligned.h>
#include <keel/string.h>

#define MB2_HEADER_SIZE  8  /* u32 total_size, u32 reserved */
#define MB2_TAG_HDR      8  /* u32 type, u32 size */
#define MB2_MIN_TOTAL    16 /* header + end tag */
#define MB2_MODULE_FIXED 16 /* tag header, u32 mod_start, u32 mod_end */
#define MB2_MMAP_FIXED   16 /* tag header, u32 entry_size, u32 entry_version */
#define MB2_MEMINFO_SIZE 16 /* tag header, u32 mem_lower, u32 mem_upper */

/* Finds the NUL of the string in s[0..n); returns its index, or -1 if the string runs off. */
static long str_len_within(const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] == 0)
            return (long)i;
    return -1;
}

static int parse_string(const uint8_t *t, uint32_t size, const char **str, size_t *len)
{
    long n = str_len_within(t + MB2_TAG_HDR, size - MB2_TAG_HDR);
    if (n < 0)
        return KE_NOEXEC;
    if (str) {
        *str = (const char *)(t + MB2_TAG_HDR);
        *len = (size_t)n;
    }
    return 0;
}

static int parse_module(const uint8_t *t, uint32_t size, struct mb2_info *out)
{
    if (size < MB2_MODULE_FIXED)
        return KE_NOEXEC;
    uint32_t start = ld32(t + 8), end = ld32(t + 12);
    if (start > end)
        return KE_NOEXEC;
    long n = str_len_within(t + MB2_MODULE_FIXED, size - MB2_MODULE_FIXED);
    if (n < 0)
        return KE_NOEXEC;
    if (!out)
        return 0;
    if (out->module_count == MB2_MAX_MODULES) {
        out->modules_dropped++;
        return 0;
    }
    struct mb2_module *m = &out->modules[out->module_count++];
    m->start = start;
    m->end = end;
    m->cmdline = (const char *)(t + MB2_MODULE_FIXED);
    m->cmdline_len = (size_t)n;
    return 0;
}

static int parse_mmap(const uint8_t *t, uint32_t size, struct mb2_info *out)
{
    if (size < MB2_MMAP_FIXED)
        return KE_NOEXEC;
    uint32_t esize = ld32(t + 8);
    if (esize < MB2_MMAP_ENTRY_MIN || esize % 8 != 0)
        return KE_NOEXEC;
    if (out) {
        out->mmap = t + MB2_MMAP_FIXED;
        out->mmap_entry_size = esize;
        out->mmap_count = (size - MB2_MMAP_FIXED) / esize;
    }
    return 0;
}

static int parse_framebuffer(const uint8_t *t, uint32_t size, struct mb2_info *out)
{
    if (size < MB2_FB_TAG_MIN)
        return KE_NOEXEC;
    struct mb2_framebuffer fb = {
        .present = true,
        .addr = ld64(t + 8),
        .pitch = ld32(t + 16),
        .width = ld32(t + 20),
        .height = ld32(t + 24),
        .bpp = t[28],
        .type = t[29],
    };
    switch (fb.type) {
    case MB2_FB_INDEXED:
        if (size < MB2_FB_TAG_MIN + 2)
            return KE_NOEXEC;
        fb.palette_colors = ld16(t + 32);
        if ((size - MB2_FB_TAG_MIN - 2) / 3 < fb.palette_colors)
            return KE_NOEXEC;
        fb.palette = t + MB2_FB_TAG_MIN + 2;
        break;
    case MB2_FB_RGB:
        if (size < MB2_FB_TAG_MIN + 6)
            return KE_NOEXEC;
        fb.red_pos = t[32];
        fb.red_size = t[33];
        fb.green_pos = t[34];
        fb.green_size = t[35];
        fb.blue_pos = t[36];
        fb.blue_size = t[37];
        break;
    case MB2_FB_EGA_TEXT:
        break;
    default:
        /* A type this kernel cannot drive: ignore it rather than refuse to boot. */
        fb = (struct mb2_framebuffer){0};
        break;
    }
    if (out)
        out->fb = fb;
    return 0;
}

static int parse_rsdp(const uint8_t *t, uint32_t size, uint8_t version, struct mb2_info *out)
{
    size_t len = size - MB2_TAG_HDR;
    if (len < (version == 1 ? MB2_RSDP_V1_LEN : MB2_RSDP_V2_LEN))
        return KE_NOEXEC;
    /* The ACPI 2.0 RSDP (with the XSDT address) wins over the 1.0 one, whatever the order. */
    if (out && version >= out->rsdp_version) {
        out->rsdp = t + MB2_TAG_HDR;
        out->rsdp_len = len;
        out->rsdp_version = version;
    }
    return 0;
}

/* Validates one tag whose header and size (>= 8, inside the structure) are already checked,
 * and records it in *out if out is not NULL. */
static int parse_tag(const uint8_t *t, uint32_t type, uint32_t size, struct mb2_info *out)
{
    switch (type) {
    case MB2_TAG_CMDLINE:
        return parse_string(t, size, out ? &out->cmdline : NULL, out ? &out->cmdline_len : NULL);
    case MB2_TAG_BOOTLOADER:
        return parse_string(t, size, out ? &out->bootloader : NULL,
                            out ? &out->bootloader_len : NULL);
    case MB2_TAG_MODULE:
        return parse_module(t, size, out);
    case MB2_TAG_MEMINFO:
        if (size < MB2_MEMINFO_SIZE)
            return KE_NOEXEC;
        if (out) {
            out->has_meminfo = true;
            out->mem_lower_kib = ld32(t + 8);
            out->mem_upper_kib = ld32(t + 12);
        }
        return 0;
    case MB2_TAG_MMAP:
        return parse_mmap(t, size, out);
    case MB2_TAG_FRAMEBUFFER:
        return parse_framebuffer(t, size, out);
    case MB2_TAG_ACPI_OLD:
        return parse_rsdp(t, size, 1, out);
    case MB2_TAG_ACPI_NEW:
        return parse_rsdp(t, size, 2, out);
    default:
        return 0; /* ELF sections, EFI, SMBIOS, ...: not used, skipped by size */
    }
}

static int walk(const uint8_t *base, size_t limit, struct mb2_info *out)
{
    size_t off = MB2_HEADER_SIZE;
    for (;;) {
        if (limit - off < MB2_TAG_HDR)
            return KE_NOEXEC; /* ran out of structure before the end tag */
        const uint8_t *t = base + off;
        uint32_t type = ld32(t), size = ld32(t + 4);
        if (size < MB2_TAG_HDR || size > limit - off)
            return KE_NOEXEC;
        if (type == MB2_TAG_END)
            return size == MB2_TAG_HDR ? 0 : KE_NOEXEC;
        int err = parse_tag(t, type, size, out);
        if (err)
            return err;
        /* Tags start 8-byte aligned; the padding may not run past the end either. */
        size_t step = ((size_t)size + 7) & ~(size_t)7;
        if (step > limit - off)
            return KE_NOEXEC;
        off += step;
    }
}

int mb2_parse(const void *info, size_t max_len, struct mb2_info *out)
{
    if (!info || !out)
        return KE_INVAL;
    if (max_len < MB2_MIN_TOTAL)
        return KE_NOEXEC;
    const uint8_t *base = info;
    uint32_t total = ld32(base);
    if (total < MB2_MIN_TOTAL || total > max_len)
        return KE_NOEXEC;
    int err = walk(base, total, NULL);
    if (err)
        return err;
    memset(out, 0, sizeof(*out));
    out->total_size = total;
    return walk(base, total, out); /* cannot fail: the same walk just succeeded */
}

int mb2_mmap_entry(const struct mb2_info *mi, size_t i, struct mb2_mmap_entry *out)
{
    if (!mi || !out)
        return KE_INVAL;
    if (i >= mi->mmap_count)
        return KE_RANGE;
    const uint8_t *e = (const uint8_t *)mi->mmap + i * mi->mmap_entry_size;
    out->base = ld64(e);
    out->length = ld64(e + 8);
    out->type = ld32(e + 16);
    return 0;
}

const char *mb2_mmap_type_name(uint32_t type)
{
    switch (type) {
    case MB2_MMAP_AVAILABLE:
        return "available";
    case MB2_MMAP_ACPI_RECLAIMABLE:
        return "ACPI reclaimable";
    case MB2_MMAP_ACPI_NVS:
        return "ACPI NVS";
    case MB2_MMAP_BAD:
        return "bad";
    default:
        return "reserved";
    }
}
