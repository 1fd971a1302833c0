/* Multiboot2 boot information: validation and parsing.
 *
 * mb2_parse() walks the structure the boot loader leaves behind (Multiboot2 specification,
 * "Boot information format"), checks every size and offset before trusting it, and collects
 * what the kernel needs into a fixed-size struct mb2_info. Nothing is allocated and nothing is
 * copied out of the caller's buffer: every pointer in mb2_info points into it (the kernel passes
 * the higher-half alias of the physical address it got in %ebx). Fields are read with memcpy, so
 * the buffer need not be aligned (the spec promises 8-byte alignment, fuzzers do not). */
#ifndef KEEL_MB2_H
#define KEEL_MB2_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Value of %eax when a Multiboot2 loader hands over control. */
#define MB2_BOOTLOADER_MAGIC 0x36d76289u

/* At most this many modules are recorded; further ones are counted in modules_dropped. */
#define MB2_MAX_MODULES 128

/* Tag types (the ones the parser looks at; all others are skipped). */
enum mb2_tag_type {
    MB2_TAG_END = 0,
    MB2_TAG_CMDLINE = 1,
    MB2_TAG_BOOTLOADER = 2,
    MB2_TAG_MODULE = 3,
    MB2_TAG_MEMINFO = 4,
    MB2_TAG_BOOTDEV = 5,
    MB2_TAG_MMAP = 6,
    MB2_TAG_VBE = 7,
    MB2_TAG_FRAMEBUFFER = 8,
    MB2_TAG_ELF_SECTIONS = 9,
    MB2_TAG_APM = 10,
    MB2_TAG_EFI32 = 11,
    MB2_TAG_EFI64 = 12,
    MB2_TAG_SMBIOS = 13,
    MB2_TAG_ACPI_OLD = 14,
    MB2_TAG_ACPI_NEW = 15,
    MB2_TAG_NETWORK = 16,
    MB2_TAG_EFI_MMAP = 17,
};

/* Memory map entry types; the spec says any other value means reserved. */
enum mb2_mmap_type {
    MB2_MMAP_AVAILABLE = 1,
    MB2_MMAP_RESERVED = 2,
    MB2_MMAP_ACPI_RECLAIMABLE = 3,
    MB2_MMAP_ACPI_NVS = 4,
    MB2_MMAP_BAD = 5,
};

/* Framebuffer types. */
enum mb2_fb_type {
    MB2_FB_INDEXED = 0,
    MB2_FB_RGB = 1,
    MB2_FB_EGA_TEXT = 2,
};

/* Sizes the parser requires (bytes, including the 8-byte tag header). */
#define MB2_MMAP_ENTRY_MIN 24 /* u64 base, u64 length, u32 type, u32 reserved */
#define MB2_FB_TAG_MIN     32 /* common part, including GRUB's u16 reserved */
#define MB2_RSDP_V1_LEN    20
#define MB2_RSDP_V2_LEN    36

struct mb2_mmap_entry {
    uint64_t base;
    uint64_t length;
    uint32_t type; /* enum mb2_mmap_type, or another value (= reserved) */
};

struct mb2_module {
    uint64_t start;      /* physical, first byte */
    uint64_t end;        /* physical, one past the last byte; start <= end */
    const char *cmdline; /* NUL-terminated, inside the info buffer */
    size_t cmdline_len;  /* strlen(cmdline) */
};

struct mb2_framebuffer {
    bool present;
    uint8_t type; /* enum mb2_fb_type */
    uint8_t bpp;
    uint64_t addr; /* physical */
    uint32_t pitch;
    uint32_t width; /* pixels, or characters for EGA text */
    uint32_t height;
    /* MB2_FB_RGB only: bit position and width of each colour channel. */
    uint8_t red_pos, red_size, green_pos, green_size, blue_pos, blue_size;
    /* MB2_FB_INDEXED only: palette of {u8 r, g, b} triples inside the info buffer. */
    const uint8_t *palette;
    uint16_t palette_colors;
};

struct mb2_info {
    size_t total_size; /* validated total_size of the structure */

    const char *cmdline; /* NULL if there is no command line tag */
    size_t cmdline_len;
    const char *bootloader; /* NULL if there is no boot loader name tag */
    size_t bootloader_len;

    bool has_meminfo;
    uint32_t mem_lower_kib; /* KiB below 1 MiB */
    uint32_t mem_upper_kib; /* KiB above 1 MiB, up to the first hole */

    const void *mmap;         /* first entry, NULL if there is no memory map tag */
    uint32_t mmap_entry_size; /* >= 24 and a multiple of 8 */
    size_t mmap_count;        /* whole entries in the tag */

    struct mb2_module modules[MB2_MAX_MODULES];
    size_t module_count;    /* entries used in modules[] */
    size_t modules_dropped; /* module tags beyond MB2_MAX_MODULES */

    struct mb2_framebuffer fb;

    const void *rsdp; /* copy of the ACPI RSDP inside its tag, NULL if none */
    size_t rsdp_len;
    uint8_t rsdp_version; /* 1 (tag 14) or 2 (tag 15); 2 is preferred when both are present */
};

/* Validates the boot information at info (of which at most max_len bytes may be read) and fills
 * *out. Reads nothing beyond min(total_size, max_len). On any violation returns KE_NOEXEC and
 * leaves *out untouched (the structure is validated completely before *out is written); returns
 * KE_INVAL for NULL info/out. Refused: max_len < 16, total_size < 16 or > max_len, a tag whose size
 * is < 8 or that crosses total_size, no end tag (type 0, size 8), an unterminated command line,
 * boot loader name or module string, a tag shorter than its fixed fields, mmap entry_size < 24 or
 * not a multiple of 8, a module with start > end, a framebuffer tag too short for its fixed fields
 * or colour info, an RSDP tag too short for its RSDP. When a tag type repeats, the last one wins
 * (modules accumulate). Unknown tags and tags the kernel does not use are skipped. A framebuffer of
 * an unknown type is ignored (fb.present stays false) rather than refusing the boot. Bytes after
 * a partial trailing mmap entry and after the end tag are ignored. */
int mb2_parse(const void *info, size_t max_len, struct mb2_info *out);

/* Copies memory map entry i into *out. Returns 0, KE_INVAL for NULL arguments or KE_RANGE if
 * i >= mmap_count. */
int mb2_mmap_entry(const struct mb2_info *mi, size_t i, struct mb2_mmap_entry *out);

/* "available", "reserved", "ACPI reclaimable", "ACPI NVS" or "bad"; unknown types are reserved
 * memory per the spec and are named "reserved". */
const char *mb2_mmap_type_name(uint32_t type);

#endif
