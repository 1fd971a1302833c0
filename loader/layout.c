/* Layout: every SHF_ALLOC section goes into one of three regions by its flags (text: EXEC, RX;
 * data: WRITE, RW; rodata: the rest, R — including .keel_cell and merged strings), in section
 * order, each at its own alignment. Regions are page-granular so that each can get its own
 * protection. */
#include <keel/errno.h>
#include "elf64.h"
#include "internal.h"

int cell_layout(struct cell_image *img, const char *who, struct loader_error *err)
{
    uint64_t used[4] = {0};
    uint64_t align[4] = {1, 1, 1, 1};
    img->writable_bytes = 0;
    for (size_t i = 1; i < img->nsections; i++) {
        struct cell_section *s = &img->sections[i];
        s->region = CELL_REGION_NONE;
        s->region_offset = 0;
        if (!(s->flags & SHF_ALLOC))
            continue;
        enum cell_region r = CELL_REGION_RODATA;
        if (s->flags & SHF_EXECINSTR)
            r = CELL_REGION_TEXT;
        else if (s->flags & SHF_WRITE)
            r = CELL_REGION_DATA;
        uint64_t a = s->addralign ? s->addralign : 1; /* a power of two <= 4096 (parse) */
        /* The loader and the core read the descriptor in place: it gets its natural alignment
         * even if the object asks for less (an under-aligned one was a misaligned access). */
        if (i == img->descriptor_section && a < _Alignof(struct keel_cell_descriptor))
            a = _Alignof(struct keel_cell_descriptor);
        uint64_t off = loader_align_up(used[r], a);
        /* used[r] <= LOADER_REGION_MAX and size <= LOADER_REGION_MAX: no overflow */
        if (off + s->size > LOADER_REGION_MAX)
            return loader_cell_fail(err, KE_NOEXEC, who,
                                    "%s region exceeds %llu bytes at section %zu "
                                    "(%s)",
                                    r == CELL_REGION_TEXT   ? "text"
                                    : r == CELL_REGION_DATA ? "data"
                                                            : "rodata",
                                    (unsigned long long)LOADER_REGION_MAX, i, s->name);
        s->region = r;
        s->region_offset = off;
        used[r] = off + s->size;
        if (a > align[r])
            align[r] = a;
        if (r == CELL_REGION_DATA)
            img->writable_bytes += s->size;
    }
    for (int r = 0; r < 4; r++) {
        img->region_size[r] = loader_align_up(used[r], LOADER_PAGE);
        img->region_align[r] = r == CELL_REGION_NONE ? 0 : align[r];
    }
    return 0;
}
