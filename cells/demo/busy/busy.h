/* busy: a cell its callers spend nearly all their time in, the fixture of a swap of a cell that
 * is never idle (docs/live-swap.md, "Pending swaps"). Every version computes the same function;
 * each says which version ran. */
#ifndef CELLS_DEMO_BUSY_H
#define CELLS_DEMO_BUSY_H
#include <stdint.h>

#define BUSY_ROUNDS 64

/* One round of the work (callers check results with it). */
static inline uint64_t busy_mix(uint64_t h)
{
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ull;
    return h ^ (h >> 32);
}

/* What busy_step(x) returns, computed by the caller. */
static inline uint64_t busy_expect(uint64_t x)
{
    for (int i = 0; i < BUSY_ROUNDS; i++)
        x = busy_mix(x);
    return x;
}

/* BUSY_ROUNDS rounds of busy_mix from x; *version: the version that ran. */
uint64_t busy_step(uint64_t x, uint32_t *version);
/* busy_step(x + depth) reached through depth nested calls inside busy. */
uint64_t busy_deep(unsigned depth, uint64_t x, uint32_t *version);
/* Stays inside busy for ns nanoseconds (spinning), then returns ns. */
uint64_t busy_hold(uint64_t ns, uint32_t *version);
/* Stays inside busy for ns nanoseconds, then writes through a NULL pointer. */
void busy_crash(uint64_t ns);

#endif
