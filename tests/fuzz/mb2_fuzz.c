/* libFuzzer target for mb2_parse: the input is the boot information block itself. On success,
 * every pointer the parser returned is dereferenced over its whole claimed extent (mmap entries,
 * strings, RSDP, palette), so ASan flags any pointer or length that escapes the input. */
#include <keel/errno.h>
#include <keel/mb2.h>
#include <keel/string.h>

#include <stdlib.h>

static volatile uint64_t sink;

static void touch(const void *p, size_t n, const uint8_t *base, size_t size)
{
    const uint8_t *b = p;
    if (b < base || n > size || (size_t)(b - base) > size - n)
        abort(); /* a span outside the input, even if ASan would not see it */
    for (size_t i = 0; i < n; i++)
        sink += b[i];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct mb2_info mi;
    int rc = mb2_parse(data, size, &mi);
    if (rc != 0) {
        if (rc != KE_NOEXEC && rc != KE_INVAL)
            abort();
        return 0;
    }
    if (mi.total_size < 16 || mi.total_size > size)
        abort();
    if (mi.cmdline) {
        touch(mi.cmdline, mi.cmdline_len + 1, data, size);
        if (strlen(mi.cmdline) != mi.cmdline_len)
            abort();
    }
    if (mi.bootloader) {
        touch(mi.bootloader, mi.bootloader_len + 1, data, size);
        if (strlen(mi.bootloader) != mi.bootloader_len)
            abort();
    }
    if (mi.mmap) {
        if (mi.mmap_entry_size < 24 || mi.mmap_entry_size % 8)
            abort();
        touch(mi.mmap, mi.mmap_count * mi.mmap_entry_size, data, size);
    }
    for (size_t i = 0; i < mi.mmap_count; i++) {
        struct mb2_mmap_entry e;
        if (mb2_mmap_entry(&mi, i, &e) != 0)
            abort();
        sink += e.base + e.length + (uint64_t)strlen(mb2_mmap_type_name(e.type));
    }
    if (mi.module_count > MB2_MAX_MODULES)
        abort();
    for (size_t i = 0; i < mi.module_count; i++) {
        const struct mb2_module *m = &mi.modules[i];
        if (m->start > m->end || strlen(m->cmdline) != m->cmdline_len)
            abort();
        touch(m->cmdline, m->cmdline_len + 1, data, size);
    }
    if (mi.rsdp)
        touch(mi.rsdp, mi.rsdp_len, data, size);
    if (mi.fb.present && mi.fb.type > MB2_FB_EGA_TEXT)
        abort();
    if (mi.fb.palette)
        touch(mi.fb.palette, (size_t)mi.fb.palette_colors * 3, data, size);
    return 0;
}
