/* Host tests for the multiboot2 boot information parser: a realistic structure parsed field by
 * field, every kind of malformation refused with *out untouched, and over-reads caught by
 * parsing exact-size heap copies under ASan. */
#include "check.h"

#include <keel/errno.h>
#include <keel/mb2.h>

#include <stdlib.h>

/* ---- builder ---------------------------------------------------------------------------- */

struct builder {
    _Alignas(8) uint8_t buf[16384];
    size_t len;
};

static void b_init(struct builder *b)
{
    memset(b->buf, 0, sizeof(b->buf));
    b->len = 8; /* total_size, reserved */
}

static void b_bytes(struct builder *b, const void *p, size_t n)
{
    memcpy(b->buf + b->len, p, n);
    b->len += n;
}

static void b_u8(struct builder *b, uint8_t v)
{
    b_bytes(b, &v, 1);
}

static void b_u16(struct builder *b, uint16_t v)
{
    b_bytes(b, &v, 2);
}

static void b_u32(struct builder *b, uint32_t v)
{
    b_bytes(b, &v, 4);
}

static void b_u64(struct builder *b, uint64_t v)
{
    b_bytes(b, &v, 8);
}

static void b_str(struct builder *b, const char *s)
{
    b_bytes(b, s, strlen(s) + 1);
}

static void put32(struct builder *b, size_t off, uint32_t v)
{
    memcpy(b->buf + off, &v, 4);
}

static uint32_t get32(const struct builder *b, size_t off)
{
    uint32_t v;
    memcpy(&v, b->buf + off, 4);
    return v;
}

/* Starts a tag; returns its offset for b_end and for later patching. */
static size_t b_begin(struct builder *b, uint32_t type)
{
    size_t off = b->len;
    b_u32(b, type);
    b_u32(b, 0);
    return off;
}

/* Sets the tag's size to what was written and pads to the next 8-byte boundary. */
static void b_end(struct builder *b, size_t off)
{
    put32(b, off + 4, (uint32_t)(b->len - off));
    b->len = (b->len + 7) & ~(size_t)7;
}

/* Appends the end tag and sets total_size. */
static void b_finish(struct builder *b)
{
    b_u32(b, MB2_TAG_END);
    b_u32(b, 8);
    put32(b, 0, (uint32_t)b->len);
}

static void b_string_tag(struct builder *b, uint32_t type, const char *s)
{
    size_t t = b_begin(b, type);
    b_str(b, s);
    b_end(b, t);
}

static void b_module(struct builder *b, uint32_t start, uint32_t end, const char *s)
{
    size_t t = b_begin(b, MB2_TAG_MODULE);
    b_u32(b, start);
    b_u32(b, end);
    b_str(b, s);
    b_end(b, t);
}

static void b_meminfo(struct builder *b, uint32_t lower, uint32_t upper)
{
    size_t t = b_begin(b, MB2_TAG_MEMINFO);
    b_u32(b, lower);
    b_u32(b, upper);
    b_end(b, t);
}

struct ment {
    uint64_t base, len;
    uint32_t type;
};

static const struct ment realistic_mmap[5] = {
    {0x0, 0x9fc00, MB2_MMAP_AVAILABLE},
    {0x9fc00, 0x400, MB2_MMAP_RESERVED},
    {0xf0000, 0x10000, MB2_MMAP_RESERVED},
    {0x100000, 0x7ee0000, MB2_MMAP_AVAILABLE},
    {0x7fe0000, 0x20000, MB2_MMAP_ACPI_RECLAIMABLE},
};

static size_t b_mmap(struct builder *b, uint32_t esize, const struct ment *e, size_t n)
{
    size_t t = b_begin(b, MB2_TAG_MMAP);
    b_u32(b, esize);
    b_u32(b, 0);
    for (size_t i = 0; i < n; i++) {
        size_t start = b->len;
        b_u64(b, e[i].base);
        b_u64(b, e[i].len);
        b_u32(b, e[i].type);
        while (b->len < start + esize)
            b_u8(b, 0xee); /* reserved field and any extra per-entry bytes */
    }
    b_end(b, t);
    return t;
}

static size_t b_fb_common(struct builder *b, uint64_t addr, uint32_t pitch, uint32_t w, uint32_t h,
                          uint8_t bpp, uint8_t type)
{
    size_t t = b_begin(b, MB2_TAG_FRAMEBUFFER);
    b_u64(b, addr);
    b_u32(b, pitch);
    b_u32(b, w);
    b_u32(b, h);
    b_u8(b, bpp);
    b_u8(b, type);
    b_u16(b, 0);
    return t;
}

static const uint8_t rsdp_v1[20] = {'R', 'S', 'D', ' ', 'P', 'T', 'R',  ' ',  0x42, 'B',
                                    'O', 'C', 'H', 'S', ' ', 0,   0x00, 0xe0, 0xfe, 0x07};

static void b_rsdp(struct builder *b, uint32_t type, const uint8_t *data, size_t n)
{
    size_t t = b_begin(b, type);
    b_bytes(b, data, n);
    b_end(b, t);
}

/* Offsets of interesting tags in the realistic block, for patching. */
struct layout {
    size_t cmdline, loader, meminfo, mmap, mod[3], fb, rsdp, elf, unknown;
};

static void build_realistic(struct builder *b, struct layout *lo)
{
    b_init(b);
    lo->cmdline = b->len;
    b_string_tag(b, MB2_TAG_CMDLINE, "selftest=pagefault panic=exit loglevel=debug");
    lo->loader = b->len;
    b_string_tag(b, MB2_TAG_BOOTLOADER, "GRUB 2.06-13+deb12u1");
    lo->meminfo = b->len;
    b_meminfo(b, 639, 130944);
    /* A BIOS boot device tag (type 5) and an ELF sections tag (type 9): skipped. */
    size_t t = b_begin(b, MB2_TAG_BOOTDEV);
    b_u32(b, 0x80);
    b_u32(b, 0xffffffff);
    b_u32(b, 0xffffffff);
    b_end(b, t);
    lo->mmap = b_mmap(b, 24, realistic_mmap, 5);
    lo->mod[0] = b->len;
    b_module(b, 0x200000, 0x201234, "shell.o");
    lo->mod[1] = b->len;
    b_module(b, 0x202000, 0x202000, ""); /* empty module, empty string */
    lo->mod[2] = b->len;
    b_module(b, 0x203000, 0x20a000, "ramfs.o version=2 \"quoted\"");
    lo->fb = b_fb_common(b, 0xb8000, 160, 80, 25, 16, MB2_FB_EGA_TEXT);
    b_end(b, lo->fb);
    lo->elf = b->len;
    t = b_begin(b, MB2_TAG_ELF_SECTIONS);
    b_u32(b, 0);
    b_u32(b, 64);
    b_u32(b, 0);
    b_end(b, t);
    lo->rsdp = b->len;
    b_rsdp(b, MB2_TAG_ACPI_OLD, rsdp_v1, sizeof(rsdp_v1));
    lo->unknown = b->len;
    t = b_begin(b, 99); /* unknown future tag with an odd size */
    b_bytes(b, "xyz", 3);
    b_end(b, t);
    b_finish(b);
}

/* ---- helpers ---------------------------------------------------------------------------- */

static struct mb2_info sentinel;
static struct mb2_info outbuf;

/* Parses an exact-size heap copy of b (so ASan catches any over-read) with max_len bytes; checks
 * that a refused structure leaves the output untouched. Returns the parse result. */
static int parse_copy(const struct builder *b, size_t max_len)
{
    uint8_t *copy = malloc(max_len ? max_len : 1);
    memcpy(copy, b->buf, max_len);
    memset(&outbuf, 0xa5, sizeof(outbuf));
    int rc = mb2_parse(copy, max_len, &outbuf);
    if (rc != 0)
        CHECK(memcmp(&outbuf, &sentinel, sizeof(outbuf)) == 0);
    free(copy);
    return rc;
}

static int parse_refused(const struct builder *b)
{
    return parse_copy(b, get32(b, 0)) == KE_NOEXEC;
}

/* ---- tests ------------------------------------------------------------------------------ */

static void test_realistic(void)
{
    static struct builder b;
    struct layout lo;
    static struct mb2_info mi;
    build_realistic(&b, &lo);

    CHECK_EQ_INT(mb2_parse(b.buf, b.len, &mi), 0);
    CHECK_EQ_U64(mi.total_size, b.len);

    CHECK_EQ_STR(mi.cmdline, "selftest=pagefault panic=exit loglevel=debug");
    CHECK_EQ_U64(mi.cmdline_len, strlen("selftest=pagefault panic=exit loglevel=debug"));
    CHECK(mi.cmdline == (const char *)b.buf + lo.cmdline + 8);
    CHECK_EQ_STR(mi.bootloader, "GRUB 2.06-13+deb12u1");
    CHECK_EQ_U64(mi.bootloader_len, 20);
    CHECK(mi.bootloader == (const char *)b.buf + lo.loader + 8);

    CHECK(mi.has_meminfo);
    CHECK_EQ_U64(mi.mem_lower_kib, 639);
    CHECK_EQ_U64(mi.mem_upper_kib, 130944);

    CHECK(mi.mmap == b.buf + lo.mmap + 16);
    CHECK_EQ_U64(mi.mmap_entry_size, 24);
    CHECK_EQ_U64(mi.mmap_count, 5);
    for (size_t i = 0; i < 5; i++) {
        struct mb2_mmap_entry e;
        CHECK_EQ_INT(mb2_mmap_entry(&mi, i, &e), 0);
        CHECK_EQ_U64(e.base, realistic_mmap[i].base);
        CHECK_EQ_U64(e.length, realistic_mmap[i].len);
        CHECK_EQ_U64(e.type, realistic_mmap[i].type);
    }
    struct mb2_mmap_entry e = {1, 2, 3};
    CHECK_EQ_INT(mb2_mmap_entry(&mi, 5, &e), KE_RANGE);
    CHECK_EQ_U64(e.base, 1);
    CHECK_EQ_INT(mb2_mmap_entry(NULL, 0, &e), KE_INVAL);
    CHECK_EQ_INT(mb2_mmap_entry(&mi, 0, NULL), KE_INVAL);

    CHECK_EQ_U64(mi.module_count, 3);
    CHECK_EQ_U64(mi.modules_dropped, 0);
    CHECK_EQ_U64(mi.modules[0].start, 0x200000);
    CHECK_EQ_U64(mi.modules[0].end, 0x201234);
    CHECK_EQ_STR(mi.modules[0].cmdline, "shell.o");
    CHECK_EQ_U64(mi.modules[0].cmdline_len, 7);
    CHECK(mi.modules[0].cmdline == (const char *)b.buf + lo.mod[0] + 16);
    CHECK_EQ_U64(mi.modules[1].start, 0x202000);
    CHECK_EQ_U64(mi.modules[1].end, 0x202000);
    CHECK_EQ_STR(mi.modules[1].cmdline, "");
    CHECK_EQ_U64(mi.modules[1].cmdline_len, 0);
    CHECK_EQ_U64(mi.modules[2].start, 0x203000);
    CHECK_EQ_U64(mi.modules[2].end, 0x20a000);
    CHECK_EQ_STR(mi.modules[2].cmdline, "ramfs.o version=2 \"quoted\"");

    CHECK(mi.fb.present);
    CHECK_EQ_U64(mi.fb.addr, 0xb8000);
    CHECK_EQ_U64(mi.fb.pitch, 160);
    CHECK_EQ_U64(mi.fb.width, 80);
    CHECK_EQ_U64(mi.fb.height, 25);
    CHECK_EQ_U64(mi.fb.bpp, 16);
    CHECK_EQ_U64(mi.fb.type, MB2_FB_EGA_TEXT);
    CHECK(mi.fb.palette == NULL);

    CHECK(mi.rsdp == b.buf + lo.rsdp + 8);
    CHECK_EQ_U64(mi.rsdp_len, 20);
    CHECK_EQ_U64(mi.rsdp_version, 1);
    CHECK(memcmp(mi.rsdp, rsdp_v1, 20) == 0);

    /* The same structure parses identically from an unaligned address (fields are memcpy'd). */
    static uint8_t shifted[sizeof(b.buf) + 1];
    memcpy(shifted + 1, b.buf, b.len);
    static struct mb2_info mi2;
    CHECK_EQ_INT(mb2_parse(shifted + 1, b.len, &mi2), 0);
    CHECK_EQ_STR(mi2.cmdline, mi.cmdline);
    CHECK_EQ_U64(mi2.mmap_count, 5);
    CHECK_EQ_INT(mb2_mmap_entry(&mi2, 3, &e), 0);
    CHECK_EQ_U64(e.length, 0x7ee0000);

    /* A larger max_len than total_size is fine and changes nothing. */
    CHECK_EQ_INT(parse_copy(&b, b.len + 100 < sizeof(b.buf) ? b.len + 100 : b.len), 0);
    CHECK_EQ_U64(outbuf.total_size, b.len);
    CHECK_EQ_U64(outbuf.module_count, 3);
}

static void test_minimal_and_args(void)
{
    static struct builder b;
    b_init(&b);
    b_finish(&b);
    CHECK_EQ_U64(b.len, 16);
    static struct mb2_info mi;
    memset(&mi, 0x5a, sizeof(mi));
    CHECK_EQ_INT(mb2_parse(b.buf, 16, &mi), 0);
    CHECK_EQ_U64(mi.total_size, 16);
    CHECK(mi.cmdline == NULL);
    CHECK(mi.bootloader == NULL);
    CHECK(!mi.has_meminfo);
    CHECK(mi.mmap == NULL);
    CHECK_EQ_U64(mi.mmap_count, 0);
    CHECK_EQ_U64(mi.module_count, 0);
    CHECK(!mi.fb.present);
    CHECK(mi.rsdp == NULL);

    CHECK_EQ_INT(mb2_parse(NULL, 16, &mi), KE_INVAL);
    CHECK_EQ_INT(mb2_parse(b.buf, 16, NULL), KE_INVAL);

    /* Bytes after the end tag (inside total_size) are ignored. */
    put32(&b, 0, 40);
    CHECK_EQ_INT(parse_copy(&b, 40), 0);
}

static void test_total_size(void)
{
    static struct builder b;
    struct layout lo;
    build_realistic(&b, &lo);
    size_t total = b.len;

    /* total_size larger than what the caller may read. */
    CHECK_EQ_INT(parse_copy(&b, total - 1), KE_NOEXEC);
    CHECK_EQ_INT(parse_copy(&b, 8), KE_NOEXEC);
    CHECK_EQ_INT(parse_copy(&b, 0), KE_NOEXEC);
    CHECK_EQ_INT(parse_copy(&b, 15), KE_NOEXEC);

    /* total_size too small. */
    for (uint32_t t = 0; t < 16; t++) {
        put32(&b, 0, t);
        CHECK_EQ_INT(parse_copy(&b, total), KE_NOEXEC);
    }
    /* Every truncation of the structure loses the end tag: refused, with no over-read even when
     * max_len is exactly total_size. */
    int all_refused = 1;
    for (size_t t = 16; t < total; t++) {
        put32(&b, 0, (uint32_t)t);
        if (parse_copy(&b, t) != KE_NOEXEC)
            all_refused = 0;
    }
    CHECK(all_refused);
    put32(&b, 0, (uint32_t)total);
    CHECK_EQ_INT(parse_copy(&b, total), 0);
}

static void test_tag_sizes(void)
{
    static struct builder b;
    struct layout lo;

    /* Tag size below 8 (0 would loop forever if accepted). */
    uint32_t small[] = {0, 1, 4, 7};
    for (size_t i = 0; i < 4; i++) {
        build_realistic(&b, &lo);
        put32(&b, lo.meminfo + 4, small[i]);
        CHECK(parse_refused(&b));
        build_realistic(&b, &lo);
        put32(&b, lo.unknown + 4, small[i]);
        CHECK(parse_refused(&b));
    }
    /* A tag crossing total_size, by a little and by a lot (no wrap-around). */
    build_realistic(&b, &lo);
    put32(&b, lo.unknown + 4, (uint32_t)(b.len - lo.unknown + 1));
    CHECK(parse_refused(&b));
    put32(&b, lo.unknown + 4, 0xfffffff8u);
    CHECK(parse_refused(&b));
    build_realistic(&b, &lo);
    put32(&b, lo.cmdline + 4, 0xffffffffu);
    CHECK(parse_refused(&b));
    /* A size that skips over the end tag. */
    build_realistic(&b, &lo);
    put32(&b, lo.unknown + 4, (uint32_t)(b.len - lo.unknown));
    CHECK(parse_refused(&b));

    /* Missing end tag: total_size stops right before it, or it is replaced by another tag. */
    build_realistic(&b, &lo);
    put32(&b, 0, (uint32_t)(b.len - 8));
    CHECK(parse_refused(&b));
    build_realistic(&b, &lo);
    put32(&b, b.len - 8, 77);
    CHECK(parse_refused(&b));
    /* End tag with a size other than 8. */
    build_realistic(&b, &lo);
    b.len += 8;
    put32(&b, b.len - 16 + 4, 16);
    put32(&b, 0, (uint32_t)b.len);
    CHECK(parse_refused(&b));

    /* Tags shorter than their fixed fields. */
    build_realistic(&b, &lo);
    put32(&b, lo.meminfo + 4, 12);
    CHECK(parse_refused(&b));
    build_realistic(&b, &lo);
    put32(&b, lo.mmap + 4, 12);
    CHECK(parse_refused(&b));
    build_realistic(&b, &lo);
    put32(&b, lo.mod[0] + 4, 12);
    CHECK(parse_refused(&b));
    build_realistic(&b, &lo);
    put32(&b, lo.rsdp + 4, 8 + 19);
    CHECK(parse_refused(&b));
}

static void test_strings(void)
{
    static struct builder b;
    struct layout lo;

    /* Command line without its NUL inside the tag (the padding after it is zero, which the
     * parser must not read as the terminator). */
    build_realistic(&b, &lo);
    put32(&b, lo.cmdline + 4, get32(&b, lo.cmdline + 4) - 1);
    CHECK(parse_refused(&b));
    /* Empty command line tag: no room for a NUL at all. */
    b_init(&b);
    size_t t = b_begin(&b, MB2_TAG_CMDLINE);
    b_end(&b, t);
    b_finish(&b);
    CHECK(parse_refused(&b));
    /* Unterminated boot loader name and module string. */
    build_realistic(&b, &lo);
    put32(&b, lo.loader + 4, get32(&b, lo.loader + 4) - 1);
    CHECK(parse_refused(&b));
    build_realistic(&b, &lo);
    put32(&b, lo.mod[0] + 4, get32(&b, lo.mod[0] + 4) - 1);
    CHECK(parse_refused(&b));
    build_realistic(&b, &lo);
    put32(&b, lo.mod[1] + 4, 16); /* empty module string loses its NUL */
    CHECK(parse_refused(&b));

    /* A NUL in the middle: the string ends there. */
    b_init(&b);
    t = b_begin(&b, MB2_TAG_CMDLINE);
    b_bytes(&b, "quiet\0junk", 11);
    b_end(&b, t);
    b_finish(&b);
    CHECK_EQ_INT(parse_copy(&b, b.len), 0);
    CHECK_EQ_U64(outbuf.cmdline_len, 5);
}

static void test_mmap(void)
{
    static struct builder b;
    uint32_t bad[] = {0, 8, 16, 20, 23, 25, 28, 36};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        b_init(&b);
        size_t t = b_mmap(&b, 24, realistic_mmap, 2);
        put32(&b, t + 8, bad[i]);
        b_finish(&b);
        CHECK(parse_refused(&b));
    }
    /* Entry size 32: entries are strided by entry_size, not by the struct size. */
    b_init(&b);
    b_mmap(&b, 32, realistic_mmap, 5);
    b_finish(&b);
    CHECK_EQ_INT(parse_copy(&b, b.len), 0);
    CHECK_EQ_U64(outbuf.mmap_entry_size, 32);
    CHECK_EQ_U64(outbuf.mmap_count, 5);
    /* outbuf's pointers refer to the freed copy; re-parse in place to read entries. */
    static struct mb2_info mi;
    CHECK_EQ_INT(mb2_parse(b.buf, b.len, &mi), 0);
    struct mb2_mmap_entry e;
    CHECK_EQ_INT(mb2_mmap_entry(&mi, 4, &e), 0);
    CHECK_EQ_U64(e.base, 0x7fe0000);
    CHECK_EQ_U64(e.type, MB2_MMAP_ACPI_RECLAIMABLE);

    /* A partial trailing entry is not counted; an empty map has no entries. */
    b_init(&b);
    size_t t = b_mmap(&b, 24, realistic_mmap, 2);
    b_u64(&b, 0x1122334455667788ull);
    b_end(&b, t);
    CHECK_EQ_U64(get32(&b, t + 4), 16 + 2 * 24 + 8);
    b_finish(&b);
    CHECK_EQ_INT(parse_copy(&b, b.len), 0);
    CHECK_EQ_U64(outbuf.mmap_count, 2);
    b_init(&b);
    b_mmap(&b, 24, realistic_mmap, 0);
    b_finish(&b);
    CHECK_EQ_INT(parse_copy(&b, b.len), 0);
    CHECK_EQ_U64(outbuf.mmap_count, 0);
    CHECK_EQ_INT(mb2_mmap_entry(&outbuf, 0, &e), KE_RANGE);

    CHECK_EQ_STR(mb2_mmap_type_name(1), "available");
    CHECK_EQ_STR(mb2_mmap_type_name(2), "reserved");
    CHECK_EQ_STR(mb2_mmap_type_name(3), "ACPI reclaimable");
    CHECK_EQ_STR(mb2_mmap_type_name(4), "ACPI NVS");
    CHECK_EQ_STR(mb2_mmap_type_name(5), "bad");
    CHECK_EQ_STR(mb2_mmap_type_name(0), "reserved");
    CHECK_EQ_STR(mb2_mmap_type_name(0xffffffffu), "reserved");
}

static void test_modules(void)
{
    static struct builder b;
    b_init(&b);
    b_module(&b, 0x1000, 0x0fff, "backwards");
    b_finish(&b);
    CHECK(parse_refused(&b));

    /* More than MB2_MAX_MODULES: the extra ones are counted, not an error. */
    b_init(&b);
    char name[16];
    for (int i = 0; i < MB2_MAX_MODULES + 6; i++) {
        snprintf(name, sizeof(name), "m%d", i);
        b_module(&b, 0x100000u + (uint32_t)i * 0x1000, 0x100800u + (uint32_t)i * 0x1000, name);
    }
    b_finish(&b);
    static struct mb2_info mi;
    CHECK_EQ_INT(mb2_parse(b.buf, b.len, &mi), 0);
    CHECK_EQ_U64(mi.module_count, MB2_MAX_MODULES);
    CHECK_EQ_U64(mi.modules_dropped, 6);
    CHECK_EQ_STR(mi.modules[0].cmdline, "m0");
    CHECK_EQ_STR(mi.modules[63].cmdline, "m63");
    CHECK_EQ_U64(mi.modules[63].start, 0x100000 + 63 * 0x1000);
    CHECK_EQ_U64(mi.modules[63].end, 0x100800 + 63 * 0x1000);

    /* A bad module after the 64th is still refused: dropping does not skip validation. */
    b.len -= 8;
    b_module(&b, 5, 4, "bad");
    b_finish(&b);
    CHECK(parse_refused(&b));
}

static void test_framebuffer(void)
{
    static struct builder b;
    /* Short common part: 30 bytes hold the type, but not GRUB's reserved field. */
    for (uint32_t size = 8; size < MB2_FB_TAG_MIN; size++) {
        b_init(&b);
        size_t t = b_fb_common(&b, 0xb8000, 160, 80, 25, 16, MB2_FB_EGA_TEXT);
        b_end(&b, t);
        put32(&b, t + 4, size);
        b_finish(&b);
        CHECK(parse_refused(&b));
    }
    /* RGB: colour info required and parsed. */
    b_init(&b);
    size_t t = b_fb_common(&b, 0xfd000000, 4096, 1024, 768, 32, MB2_FB_RGB);
    b_end(&b, t);
    b_finish(&b);
    CHECK(parse_refused(&b));
    b_init(&b);
    t = b_fb_common(&b, 0xfd000000, 4096, 1024, 768, 32, MB2_FB_RGB);
    uint8_t rgb[6] = {16, 8, 8, 8, 0, 8};
    b_bytes(&b, rgb, 6);
    b_end(&b, t);
    b_finish(&b);
    CHECK_EQ_INT(parse_copy(&b, b.len), 0);
    CHECK(outbuf.fb.present);
    CHECK_EQ_U64(outbuf.fb.addr, 0xfd000000);
    CHECK_EQ_U64(outbuf.fb.pitch, 4096);
    CHECK_EQ_U64(outbuf.fb.width, 1024);
    CHECK_EQ_U64(outbuf.fb.height, 768);
    CHECK_EQ_U64(outbuf.fb.bpp, 32);
    CHECK_EQ_U64(outbuf.fb.type, MB2_FB_RGB);
    CHECK_EQ_U64(outbuf.fb.red_pos, 16);
    CHECK_EQ_U64(outbuf.fb.green_pos, 8);
    CHECK_EQ_U64(outbuf.fb.blue_pos, 0);
    CHECK_EQ_U64(outbuf.fb.blue_size, 8);

    /* Indexed: the palette must fit in the tag. */
    b_init(&b);
    t = b_fb_common(&b, 0xa0000, 320, 320, 200, 8, MB2_FB_INDEXED);
    b_u16(&b, 2);
    uint8_t pal[6] = {0, 0, 0, 255, 255, 255};
    b_bytes(&b, pal, 6);
    b_end(&b, t);
    b_finish(&b);
    static struct mb2_info mi;
    CHECK_EQ_INT(mb2_parse(b.buf, b.len, &mi), 0);
    CHECK_EQ_U64(mi.fb.palette_colors, 2);
    CHECK(mi.fb.palette && memcmp(mi.fb.palette, pal, 6) == 0);
    put32(&b, t + 4, get32(&b, t + 4) - 1);
    CHECK(parse_refused(&b));
    b_init(&b);
    t = b_fb_common(&b, 0xa0000, 320, 320, 200, 8, MB2_FB_INDEXED);
    b_u16(&b, 0xffff);
    b_end(&b, t);
    b_finish(&b);
    CHECK(parse_refused(&b));

    /* Unknown framebuffer type: ignored, not refused. */
    b_init(&b);
    t = b_fb_common(&b, 0xa0000, 320, 320, 200, 8, 7);
    b_end(&b, t);
    b_finish(&b);
    CHECK_EQ_INT(parse_copy(&b, b.len), 0);
    CHECK(!outbuf.fb.present);
}

static void test_rsdp(void)
{
    static struct builder b;
    uint8_t v2[36];
    memset(v2, 0x22, sizeof(v2));
    memcpy(v2, "RSD PTR ", 8);
    /* The 2.0 RSDP wins whichever order the tags come in. */
    for (int order = 0; order < 2; order++) {
        b_init(&b);
        if (order == 0)
            b_rsdp(&b, MB2_TAG_ACPI_OLD, rsdp_v1, sizeof(rsdp_v1));
        b_rsdp(&b, MB2_TAG_ACPI_NEW, v2, sizeof(v2));
        if (order == 1)
            b_rsdp(&b, MB2_TAG_ACPI_OLD, rsdp_v1, sizeof(rsdp_v1));
        b_finish(&b);
        static struct mb2_info mi;
        CHECK_EQ_INT(mb2_parse(b.buf, b.len, &mi), 0);
        CHECK_EQ_U64(mi.rsdp_version, 2);
        CHECK_EQ_U64(mi.rsdp_len, 36);
        CHECK(mi.rsdp && memcmp(mi.rsdp, v2, 36) == 0);
    }
    b_init(&b);
    b_rsdp(&b, MB2_TAG_ACPI_NEW, v2, 20); /* a 1.0-sized copy in a 2.0 tag */
    b_finish(&b);
    CHECK(parse_refused(&b));
}

int main(void)
{
    memset(&sentinel, 0xa5, sizeof(sentinel));
    test_realistic();
    test_minimal_and_args();
    test_total_size();
    test_tag_sizes();
    test_strings();
    test_mmap();
    test_modules();
    test_framebuffer();
    test_rsdp();
    return check_report("mb2_test");
}
