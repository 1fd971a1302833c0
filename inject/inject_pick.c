/* The injector's seeded choices (keel/inject_pick.h). Nothing here reads a clock or a counter:
 * every choice comes from the PRNG, so one seed on one image gives one fault. */
#include <keel/errno.h>
#include <keel/inject_pick.h>
#include <keel/insn.h>

void inject_rng_seed(struct inject_rng *r, uint64_t seed)
{
    r->state = seed;
}

/* splitmix64: a Weyl sequence through a 64-bit mixer; every seed (0 included) is good. */
uint64_t inject_rng_next(struct inject_rng *r)
{
    uint64_t z = (r->state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

uint64_t inject_rng_below(struct inject_rng *r, uint64_t n)
{
    uint64_t limit = UINT64_MAX - UINT64_MAX % n; /* numbers at or above it would bias */
    uint64_t x;
    do
        x = inject_rng_next(r);
    while (x >= limit);
    return x % n;
}

static void copy(uint8_t *dst, const uint8_t *src, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = src[i];
}

void inject_bitflip(const uint8_t *bytes, uint64_t offset, struct inject_rng *r,
                    struct inject_patch *out)
{
    unsigned bit = (unsigned)inject_rng_below(r, 8);
    out->offset = offset;
    out->len = 1;
    out->old_bytes[0] = bytes[offset];
    out->new_bytes[0] = (uint8_t)(bytes[offset] ^ (1u << bit));
}

int inject_word(const uint8_t *bytes, uint64_t size, uint64_t offset, enum inject_value value,
                struct inject_rng *r, struct inject_patch *out)
{
    uint64_t at = offset & ~7ull;
    if (size < 8 || at > size - 8)
        return KE_RANGE;
    uint64_t old = 0, word;
    for (int i = 7; i >= 0; i--)
        old = old << 8 | bytes[at + (uint64_t)i];
    if (value == INJECT_VALUE_ZERO)
        word = 0;
    else if (value == INJECT_VALUE_ONES)
        word = UINT64_MAX;
    else if (value == INJECT_VALUE_RANDOM) {
        do /* a "corruption" that writes the same value would be no fault */
            word = inject_rng_next(r);
        while (word == old);
    } else
        return KE_INVAL;
    out->offset = at;
    out->len = 8;
    copy(out->old_bytes, bytes + at, 8);
    for (int i = 0; i < 8; i++)
        out->new_bytes[i] = (uint8_t)(word >> (8 * i));
    return 0;
}

int inject_nop_at(const uint8_t *code, uint64_t size, uint64_t offset, struct inject_patch *out)
{
    if (offset >= size)
        return KE_RANGE;
    uint64_t at = 0;
    for (;;) {
        struct insn in;
        int rc = insn_decode(code + at, size - at, &in);
        if (rc)
            return KE_INVAL;
        if (offset < at + in.length) {
            out->offset = at;
            out->len = in.length;
            copy(out->old_bytes, code + at, in.length);
            for (unsigned i = 0; i < in.length; i++)
                out->new_bytes[i] = 0x90;
            return 0;
        }
        at += in.length;
    }
}

/* Walk code from its start; call back for every Jcc until the callback says stop. The number of
 * Jccs seen. */
static uint64_t walk_jccs(const uint8_t *code, uint64_t size, uint64_t stop_at_index,
                          bool want_offset, uint64_t offset, struct inject_patch *out)
{
    uint64_t at = 0, seen = 0;
    while (at < size) {
        struct insn in;
        if (insn_decode(code + at, size - at, &in))
            break; /* padding or data: the walk ends there */
        if (in.is_jcc) {
            bool hit = want_offset ? at == offset : seen == stop_at_index;
            if (hit && out) {
                out->offset = at;
                out->len = in.length;
                copy(out->old_bytes, code + at, in.length);
                copy(out->new_bytes, code + at, in.length);
                out->new_bytes[in.jcc_cond_offset] ^= 1;
                return seen + 1;
            }
            seen++;
        }
        if (want_offset && at >= offset)
            break;
        at += in.length;
    }
    return want_offset ? 0 : seen;
}

int inject_branch(const uint8_t *code, uint64_t size, bool at_offset, uint64_t offset,
                  struct inject_rng *r, struct inject_patch *out)
{
    if (at_offset)
        return walk_jccs(code, size, 0, true, offset, out) ? 0 : KE_NOENT;
    uint64_t n = walk_jccs(code, size, UINT64_MAX, false, 0, NULL);
    if (!n)
        return KE_NOENT;
    walk_jccs(code, size, inject_rng_below(r, n), false, 0, out);
    return 0;
}

int inject_stub(const uint8_t *code, uint64_t size, enum inject_model model,
                struct inject_patch *out)
{
    if (model != INJECT_EXCEPTION && model != INJECT_LOOP)
        return KE_INVAL;
    if (size < 2)
        return KE_RANGE;
    out->offset = 0;
    out->len = 2;
    out->old_bytes[0] = code[0];
    out->old_bytes[1] = code[1];
    out->new_bytes[0] = model == INJECT_EXCEPTION ? 0x0f : 0xeb; /* ud2 / jmp rel8 */
    out->new_bytes[1] = model == INJECT_EXCEPTION ? 0x0b : 0xfe; /* -2: itself */
    return 0;
}
