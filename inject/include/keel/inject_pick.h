/* The fault injector's choices, made from a seed alone: a PRNG of its own (splitmix64, so the
 * same seed gives the same numbers on every build and host) and the pure steps that turn its
 * numbers and a location's bytes into a fault (which byte, which bit, which word, which
 * instruction, which conditional jump). Freestanding: the kernel's injector (kernel/inject/)
 * reads the cell's bytes and writes the result; host tests check the choices. */
#ifndef KEEL_INJECT_PICK_H
#define KEEL_INJECT_PICK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define INJECT_MAX_BYTES 15 /* the longest fault: one whole instruction (INSN_MAX_LENGTH) */

/* The PRNG: a state seeded once, then one 64-bit number per call. */
struct inject_rng {
    uint64_t state;
};
void inject_rng_seed(struct inject_rng *r, uint64_t seed);
uint64_t inject_rng_next(struct inject_rng *r);
/* A number in [0, n), n > 0 (rejection sampling: no modulo bias). */
uint64_t inject_rng_below(struct inject_rng *r, uint64_t n);

/* What the injector writes. */
enum inject_model {
    INJECT_BITFLIP = 1,
    INJECT_WORD,
    INJECT_NOP,
    INJECT_BRANCH,
    INJECT_EXCEPTION, /* a function's first bytes made ud2 (0f 0b): #UD on entry */
    INJECT_LOOP,      /* a function's first bytes made jmp . (eb fe): spins on entry */
};
/* The new value of a corrupted word. */
enum inject_value { INJECT_VALUE_RANDOM = 1, INJECT_VALUE_ZERO, INJECT_VALUE_ONES };

/* The faulted bytes: `len` bytes at `offset` (from the start of the code/bytes examined). */
struct inject_patch {
    uint64_t offset;
    uint8_t len;
    uint8_t old_bytes[INJECT_MAX_BYTES];
    uint8_t new_bytes[INJECT_MAX_BYTES];
};

/* Bit flip: byte bytes[offset] with one bit (chosen by r) inverted. */
void inject_bitflip(const uint8_t *bytes, uint64_t offset, struct inject_rng *r,
                    struct inject_patch *out);
/* Word: the 8 bytes at offset rounded down to 8 (size must reach offset+8 after rounding:
 * KE_RANGE otherwise) set to zero, all ones, or a random value that differs from the old. */
int inject_word(const uint8_t *bytes, uint64_t size, uint64_t offset, enum inject_value value,
                struct inject_rng *r, struct inject_patch *out);

/* Instructions of code[0..size), decoded from its first byte (a function's or region's start).
 * The instruction that covers offset: 0 and its start and length in *out (old bytes filled, new
 * bytes NOPs: the whole length 0x90), KE_INVAL if the walk meets a byte sequence the decoder
 * refuses before reaching offset, KE_RANGE if offset >= size. */
int inject_nop_at(const uint8_t *code, uint64_t size, uint64_t offset, struct inject_patch *out);
/* The conditional jumps (Jcc) of code[0..size) decoded from its start, up to the first byte the
 * decoder refuses: the one at offset (when at_offset) or one chosen by r. 0 and *out (old bytes:
 * the instruction, new: the same with bit 0 of its condition byte flipped), KE_NOENT if there is
 * no Jcc (at offset). */
int inject_branch(const uint8_t *code, uint64_t size, bool at_offset, uint64_t offset,
                  struct inject_rng *r, struct inject_patch *out);

/* Exception and loop: the two bytes at code[0] (a function's entry) replaced by ud2 (0f 0b) or
 * jmp . (eb fe). Two bytes may cover more than the entry's first instruction (push %rbp is one
 * byte): execution enters at code[0] and never reaches the rest. 0 and *out, KE_RANGE if size <
 * 2, KE_INVAL for another model. */
int inject_stub(const uint8_t *code, uint64_t size, enum inject_model model,
                struct inject_patch *out);

#endif
