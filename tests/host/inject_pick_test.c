/* The injector's seeded choices (inject/inject_pick.c): the PRNG's first numbers are fixed (any
 * change to it would move every published fault), the same seed gives the same fault, every
 * model's bytes are what its definition says, and the refusals (no Jcc, undecodable, no whole
 * word) are clean. */
#include <keel/errno.h>
#include <keel/inject_pick.h>
#include <keel/insn.h>
#include <string.h>

#include "check.h"

/* A small function: push rbp; cmp edi, 0x3e8; jle +5 (short); mov eax, 1; jne rel32; ret. */
static const uint8_t code[] = {
    0x55,                               /* push rbp */
    0x81, 0xff, 0xe8, 0x03, 0x00, 0x00, /* cmp edi, 1000 */
    0x7e, 0x05,                         /* jle +5 */
    0xb8, 0x01, 0x00, 0x00, 0x00,       /* mov eax, 1 */
    0x0f, 0x85, 0x00, 0x00, 0x00, 0x00, /* jne rel32 */
    0xc3,                               /* ret */
};

static void test_rng(void)
{
    struct inject_rng a, b;
    inject_rng_seed(&a, 0);
    /* splitmix64's published first output for seed 0. */
    CHECK_EQ_U64(inject_rng_next(&a), 0xe220a8397b1dcdafull);
    inject_rng_seed(&a, 42);
    inject_rng_seed(&b, 42);
    for (int i = 0; i < 100; i++)
        CHECK_EQ_U64(inject_rng_next(&a), inject_rng_next(&b));
    inject_rng_seed(&a, 42);
    inject_rng_seed(&b, 43);
    CHECK(inject_rng_next(&a) != inject_rng_next(&b));
    inject_rng_seed(&a, 7);
    for (int i = 0; i < 1000; i++)
        CHECK(inject_rng_below(&a, 13) < 13);
}

static void test_bitflip(void)
{
    for (uint64_t seed = 0; seed < 64; seed++) {
        struct inject_rng r1, r2;
        struct inject_patch p1, p2;
        inject_rng_seed(&r1, seed);
        inject_rng_seed(&r2, seed);
        inject_bitflip(code, 3, &r1, &p1);
        inject_bitflip(code, 3, &r2, &p2);
        CHECK_EQ_INT(p1.len, 1);
        CHECK_EQ_U64(p1.offset, 3);
        CHECK_EQ_INT(p1.old_bytes[0], 0xe8);
        uint8_t diff = p1.old_bytes[0] ^ p1.new_bytes[0];
        CHECK(diff && !(diff & (diff - 1))); /* exactly one bit */
        CHECK_EQ_INT(p1.new_bytes[0], p2.new_bytes[0]);
    }
}

static void test_word(void)
{
    uint8_t data[24];
    for (int i = 0; i < 24; i++)
        data[i] = (uint8_t)i;
    struct inject_rng r;
    struct inject_patch p;
    inject_rng_seed(&r, 1);
    CHECK_EQ_INT(inject_word(data, sizeof(data), 13, INJECT_VALUE_ZERO, &r, &p), 0);
    CHECK_EQ_U64(p.offset, 8);
    CHECK_EQ_INT(p.len, 8);
    CHECK_EQ_INT(p.old_bytes[0], 8);
    for (int i = 0; i < 8; i++)
        CHECK_EQ_INT(p.new_bytes[i], 0);
    CHECK_EQ_INT(inject_word(data, sizeof(data), 0, INJECT_VALUE_ONES, &r, &p), 0);
    for (int i = 0; i < 8; i++)
        CHECK_EQ_INT(p.new_bytes[i], 0xff);
    CHECK_EQ_INT(inject_word(data, sizeof(data), 16, INJECT_VALUE_RANDOM, &r, &p), 0);
    CHECK(memcmp(p.old_bytes, p.new_bytes, 8) != 0);
    CHECK_EQ_INT(inject_word(data, 20, 17, INJECT_VALUE_ZERO, &r, &p), KE_RANGE);
}

static void test_nop(void)
{
    struct inject_patch p;
    /* Offset 4 lies inside the cmp (bytes 1..6): the whole cmp becomes NOPs. */
    CHECK_EQ_INT(inject_nop_at(code, sizeof(code), 4, &p), 0);
    CHECK_EQ_U64(p.offset, 1);
    CHECK_EQ_INT(p.len, 6);
    CHECK(memcmp(p.old_bytes, code + 1, 6) == 0);
    for (int i = 0; i < 6; i++)
        CHECK_EQ_INT(p.new_bytes[i], 0x90);
    CHECK_EQ_INT(inject_nop_at(code, sizeof(code), 20, &p), 0);
    CHECK_EQ_U64(p.offset, 20);
    CHECK_EQ_INT(p.len, 1);
    CHECK_EQ_INT(inject_nop_at(code, sizeof(code), sizeof(code), &p), KE_RANGE);
    static const uint8_t bad[] = {0x90, 0x06, 0xc3}; /* 06: push es, invalid in 64-bit mode */
    CHECK_EQ_INT(inject_nop_at(bad, sizeof(bad), 2, &p), KE_INVAL);
    CHECK_EQ_INT(inject_nop_at(bad, sizeof(bad), 0, &p), 0);
}

static void test_branch(void)
{
    struct inject_patch p;
    struct inject_rng r;
    /* At an offset: only a Jcc that starts there. */
    CHECK_EQ_INT(inject_branch(code, sizeof(code), true, 7, NULL, &p), 0);
    CHECK_EQ_U64(p.offset, 7);
    CHECK_EQ_INT(p.len, 2);
    CHECK_EQ_INT(p.old_bytes[0], 0x7e);
    CHECK_EQ_INT(p.new_bytes[0], 0x7f);
    CHECK_EQ_INT(p.new_bytes[1], p.old_bytes[1]);
    CHECK_EQ_INT(inject_branch(code, sizeof(code), true, 14, NULL, &p), 0);
    CHECK_EQ_INT(p.len, 6);
    CHECK_EQ_INT(p.old_bytes[1], 0x85);
    CHECK_EQ_INT(p.new_bytes[1], 0x84);
    CHECK_EQ_INT(p.new_bytes[0], 0x0f);
    CHECK_EQ_INT(inject_branch(code, sizeof(code), true, 9, NULL, &p), KE_NOENT);
    /* Chosen by the seed: one of the two, the same for the same seed, both for some seeds. */
    bool seen7 = false, seen14 = false;
    for (uint64_t seed = 0; seed < 32; seed++) {
        struct inject_patch again;
        inject_rng_seed(&r, seed);
        CHECK_EQ_INT(inject_branch(code, sizeof(code), false, 0, &r, &p), 0);
        inject_rng_seed(&r, seed);
        CHECK_EQ_INT(inject_branch(code, sizeof(code), false, 0, &r, &again), 0);
        CHECK_EQ_U64(p.offset, again.offset);
        CHECK(p.offset == 7 || p.offset == 14);
        seen7 |= p.offset == 7;
        seen14 |= p.offset == 14;
    }
    CHECK(seen7 && seen14);
    /* No Jcc at all: push rbp; ret. */
    static const uint8_t flat[] = {0x55, 0xc3};
    inject_rng_seed(&r, 0);
    CHECK_EQ_INT(inject_branch(flat, sizeof(flat), false, 0, &r, &p), KE_NOENT);
}

/* Exception and loop: the entry's two bytes become ud2 / jmp . whatever they were. */
static void test_stub(void)
{
    struct inject_patch p;
    CHECK_EQ_INT(inject_stub(code, sizeof(code), INJECT_EXCEPTION, &p), 0);
    CHECK_EQ_U64(p.offset, 0);
    CHECK_EQ_INT(p.len, 2);
    CHECK(p.old_bytes[0] == 0x55 && p.old_bytes[1] == 0x81);
    CHECK(p.new_bytes[0] == 0x0f && p.new_bytes[1] == 0x0b);
    CHECK_EQ_INT(inject_stub(code, sizeof(code), INJECT_LOOP, &p), 0);
    CHECK(p.new_bytes[0] == 0xeb && p.new_bytes[1] == 0xfe);
    CHECK_EQ_INT(inject_stub(code, 1, INJECT_LOOP, &p), KE_RANGE);
    CHECK_EQ_INT(inject_stub(code, sizeof(code), INJECT_NOP, &p), KE_INVAL);
}

int main(void)
{
    test_stub();
    test_rng();
    test_bitflip();
    test_word();
    test_nop();
    test_branch();
    return check_report("inject_pick_test");
}
