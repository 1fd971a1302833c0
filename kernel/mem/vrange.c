/* Virtual ranges: byte/page conversion and window checks around a bitmap allocator. */
#include <keel/errno.h>
#include <keel/vrange.h>

#define PAGE_MASK ((uint64_t)VRANGE_PAGE - 1)

int vrange_init(struct vrange *v, uint64_t base, uint64_t size, uint64_t *words, size_t nwords)
{
    if (!v || size == 0 || (base & PAGE_MASK) || (size & PAGE_MASK) || base + size - 1 < base)
        return KE_INVAL;
    struct bitalloc map;
    size_t pages = (size_t)(size / VRANGE_PAGE);
    int err = bitalloc_init(&map, words, nwords, pages);
    if (err)
        return err;
    bitalloc_mark_free(&map, 0, pages);
    v->map = map;
    v->base = base;
    v->size = size;
    return 0;
}

/* Pages covering size bytes; 0 if size is 0 or too large to round up. */
static uint64_t pages_for(uint64_t size)
{
    if (size > UINT64_MAX - PAGE_MASK)
        return 0;
    return (size + PAGE_MASK) / VRANGE_PAGE;
}

int vrange_alloc(struct vrange *v, uint64_t size_bytes, uint64_t align_bytes, uint64_t *addr_out)
{
    if (!v || !addr_out || align_bytes < VRANGE_PAGE || (align_bytes & (align_bytes - 1)))
        return KE_INVAL;
    uint64_t pages = pages_for(size_bytes);
    if (pages == 0)
        return size_bytes == 0 ? KE_INVAL : KE_NOSPC;
    if (pages > v->size / VRANGE_PAGE)
        return KE_NOSPC;
    uint64_t align_pages = align_bytes / VRANGE_PAGE;
    /* Unit u is at base + u pages; aligning u + base_page aligns the absolute address. */
    size_t phase = (size_t)((v->base / VRANGE_PAGE) & (align_pages - 1));
    size_t first;
    int err = bitalloc_alloc_phase(&v->map, (size_t)pages, (size_t)align_pages, phase, &first);
    if (err)
        return err;
    *addr_out = v->base + (uint64_t)first * VRANGE_PAGE;
    return 0;
}

/* Converts [addr, addr+size) to units, rounding outward; false if it leaves the window. */
static bool to_units(const struct vrange *v, uint64_t addr, uint64_t size, size_t *first,
                     size_t *count)
{
    if (addr < v->base || addr - v->base >= v->size || size > v->size)
        return false;
    uint64_t off = addr - v->base;
    uint64_t start = off & ~PAGE_MASK;
    uint64_t end = off + size; /* off < v->size and size <= v->size: no wrap */
    if (end > v->size)
        return false;
    end = (end + PAGE_MASK) & ~PAGE_MASK;
    *first = (size_t)(start / VRANGE_PAGE);
    *count = (size_t)((end - start) / VRANGE_PAGE);
    return true;
}

int vrange_free(struct vrange *v, uint64_t addr, uint64_t size_bytes)
{
    size_t first, count;
    if (!v || size_bytes == 0 || (addr & PAGE_MASK) ||
        !to_units(v, addr, size_bytes, &first, &count))
        return KE_INVAL;
    return bitalloc_free(&v->map, first, count);
}

int vrange_reserve(struct vrange *v, uint64_t addr, uint64_t size_bytes)
{
    size_t first, count;
    if (!v)
        return KE_INVAL;
    if (size_bytes == 0)
        return 0;
    if (!to_units(v, addr, size_bytes, &first, &count))
        return KE_INVAL;
    return bitalloc_mark_used(&v->map, first, count);
}

uint64_t vrange_free_bytes(const struct vrange *v)
{
    return v ? (uint64_t)bitalloc_free_units(&v->map) * VRANGE_PAGE : 0;
}
