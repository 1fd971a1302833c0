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
int loader_fail(struct loader_error *err, int code, const char *who, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* In-place introsort: no recursion and no allocation, O(n log n) even on hostile input, one
 * scan for input already in order. The order among elements that compare equal is unspecified. */
typedef int (*loader_cmp_fn)(const void *a, const void *b, void *ctx);
void loader_sort(void *base, size_t n, size_t size, loader_cmp_fn cmp, void *ctx);
/* The same for elements that begin their order with a uint64_t key at key_off: sorts by the key
 * with an inlined comparison, then each run of equal keys by cmp (which must order by the key
 * first). Several times faster than loader_sort when keys are mostly distinct. */
void loader_sort_keyed(void *base, size_t n, size_t size, size_t key_off, loader_cmp_fn cmp,
                       void *ctx);
/* The same for elements that begin with a name's loader_name_hash (key_off 0), using scratch of
 * loader_sort_hashed_scratch(n, size) bytes (SIZE_MAX: too many): one bucket pass on the top
 * bits of the hash, then each bucket in (hash, cmp) order. Hashes of names spread evenly, so
 * this is O(n) expected, and a crowded bucket costs what loader_sort_keyed costs for it. */
size_t loader_sort_hashed_scratch(size_t n, size_t size);
void loader_sort_hashed(void *base, size_t n, size_t size, void *scratch, loader_cmp_fn cmp,
                        void *ctx);
/* In-place heapsort (slower): its order among equal elements is the one earlier loader versions
 * produced, so error paths that name such elements use it to keep their messages unchanged. */
void loader_heapsort(void *base, size_t n, size_t size, loader_cmp_fn cmp, void *ctx);

/* A 64-bit hash of a name: tables keyed by name compare these first and call strcmp only when
 * they are equal. Eight bytes per multiply (bytes are read one by one: a name may end at the
 * end of the object), then a final multiply-xorshift so that the high bits, which
 * loader_sort_hashed buckets by, depend on every byte. Not collision-resistant: colliding
 * names stay correct (strcmp decides), they only cost the comparisons that sorting by name
 * always cost. */
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

/* Relocation types by what the loader does with them. */
enum loader_reloc_class {
    LOADER_RELOC_SUPPORTED,
    LOADER_RELOC_IGNORED, /* R_X86_64_NONE */
    LOADER_RELOC_GOT,
    LOADER_RELOC_TLS,
    LOADER_RELOC_UNKNOWN,
};
enum loader_reloc_class loader_reloc_class(uint32_t type);
/* Bytes patched by a relocation type (0 for NONE and unsupported types). */
unsigned loader_reloc_width(uint32_t type);
/* Name of any x86_64 relocation type the loader knows of (also refused ones), or NULL. */
const char *loader_reloc_any_name(uint32_t type);
/* Computes the value of a supported relocation (S + A, or S + A - P) and checks that it fits
 * the field: 0 and *value (the bytes to store, zero-extended), or KE_RANGE. Writes nothing. */
int loader_reloc_value(uint32_t type, uint64_t s, int64_t a, uint64_t p, uint64_t *value);
/* Stores a value computed by loader_reloc_value at where (little-endian, unaligned). */
void loader_reloc_store(void *where, uint32_t type, uint64_t value);

/* Places every SHF_ALLOC section of a parsed image into its region (cell_section.region and
 * region_offset) and fills region_size/region_align/writable_bytes. */
int cell_layout(struct cell_image *img, const char *who, struct loader_error *err);

static inline uint64_t loader_align_up(uint64_t v, uint64_t align)
{
    return (v + align - 1) & ~(align - 1);
}

#endif
