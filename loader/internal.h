/* Private helpers shared by the loader's files (not part of the public API). */
#ifndef KEEL_LOADER_INTERNAL_H
#define KEEL_LOADER_INTERNAL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <keel/loader.h>

#define LOADER_PAGE      4096u
#define LOADER_MAX_ALIGN 4096u
/* Upper bound for one region (mostly .bss): far below the +-2 GiB a cell must fit in, and it
 * keeps a hostile object from asking for absurd amounts of memory. */
#define LOADER_REGION_MAX (256ull << 20)
/* Upper bound for a declared state block. */
#define LOADER_STATE_MAX (16ull << 20)

/* Fills err (may be NULL) with "cell '<who>': <fmt ...>" and returns code. */
int loader_cell_fail(struct loader_error *err, int code, const char *who, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The loader's one sort (sort.c): in place, by the uint64_t key at key_off, and elements with
 * equal keys by tie, which must order them completely (callers end with an index), so the
 * result never depends on the order they came in. Needs loader_sort_scratch(n, size) bytes of
 * scratch (SIZE_MAX: too many). One scan for input already in order; else one distribution
 * pass over the keys' range, so keys that spread out (hashes, file offsets, addresses) sort in
 * O(n) expected, and an introsort of each bucket, so any input sorts in O(n log n). */
typedef int (*loader_cmp_fn)(const void *a, const void *b, void *ctx);
size_t loader_sort_scratch(size_t n, size_t size);
void loader_sort(void *base, size_t n, size_t size, size_t key_off, loader_cmp_fn tie, void *ctx,
                 void *scratch);

/* A 64-bit hash of a name: tables keyed by name compare these first and call strcmp only when
 * they are equal. Eight bytes per multiply (bytes are read one by one: a name may end at the
 * end of the object), then a final multiply-xorshift so that every bit depends on every
 * byte. Not collision-resistant: colliding names stay correct (strcmp decides), they only cost
 * the comparisons that sorting by name always cost. */
static inline uint64_t loader_name_hash(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (;;) {
        uint64_t w = 0;
        unsigned i = 0;
        for (; i < 8 && s[i]; i++)
            w |= (uint64_t)(uint8_t)s[i] << (8 * i);
        if (i == 0)
            break;
        h = (h ^ w) * 0x9e3779b97f4a7c15ull;
        h ^= h >> 29;
        if (i < 8)
            break;
        s += 8;
    }
    h ^= h >> 32;
    h *= 0xd6e8feb86659fd93ull;
    return h ^ (h >> 32);
}

/* Relocation arithmetic for the types the loader applies (relocate.c; the types themselves are
 * loader_reloc_type's table). loader_reloc_value computes the value of a field, S + A or
 * S + A - P, and checks that it fits: 0 and *value (the bytes to store, zero-extended), KE_RANGE,
 * or KE_NOTSUP for a type not applied; writes nothing. loader_reloc_store stores such a value
 * at where (unaligned). loader_reloc_target reads one back: the S + A a field of that type holds
 * at address p. */
int loader_reloc_value(uint32_t type, uint64_t s, int64_t a, uint64_t p, uint64_t *value);
void loader_reloc_store(void *where, uint32_t type, uint64_t value);
uint64_t loader_reloc_target(uint32_t type, uint64_t field, uint64_t p);

/* Places every SHF_ALLOC section of a parsed image into its region (cell_section.region and
 * region_offset) and fills region_size/region_align/writable_bytes. */
int cell_layout(struct cell_image *img, const char *who, struct loader_error *err);

/* "text", "rodata" or "data", for messages. */
static inline const char *loader_region_name(int r)
{
    return r == CELL_REGION_TEXT ? "text" : r == CELL_REGION_RODATA ? "rodata" : "data";
}

static inline uint64_t loader_align_up(uint64_t v, uint64_t align)
{
    return (v + align - 1) & ~(align - 1);
}

#endif
