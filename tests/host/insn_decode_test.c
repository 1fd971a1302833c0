/* insn_decode on hand-written encodings whose lengths and fields come from the opcode tables of
 * the Intel SDM and AMD APM: prefixes, operand-size rules for immediates, moffs, group opcodes,
 * ModRM/SIB/displacement forms, the 0F / 0F 38 / 0F 3A maps, VEX and EVEX, invalid opcodes and
 * the 15-byte limit. For every instruction that decodes it also checks that each shorter buffer
 * is KE_RANGE and that bytes after it change nothing. */
#include <keel/errno.h>
#include <keel/insn.h>

#include "check.h"

enum { NONE, SHORT, NEAR };

struct decode_case {
    const char *hex; /* the bytes, two hex digits each, spaces between */
    int rc;          /* 0, KE_INVAL or KE_RANGE (with the bytes given) */
    int length;
    int jcc;         /* NONE, SHORT (70-7F) or NEAR (0F 80-8F) */
    int cond_offset; /* where the condition byte is, for a Jcc */
    bool call_jmp;   /* E8 / E9 / EB */
    int disp_len, imm_len;
    bool rip;
};

#define OK(h, len, d, i)                                                                           \
    {                                                                                              \
        h, 0, len, NONE, 0, false, d, i, false                                                     \
    }
#define RIP(h, len, i)                                                                             \
    {                                                                                              \
        h, 0, len, NONE, 0, false, 4, i, true                                                      \
    }
#define JCC(h, len, kind, off, i)                                                                  \
    {                                                                                              \
        h, 0, len, kind, off, false, 0, i, false                                                   \
    }
#define CALLJMP(h, len, i)                                                                         \
    {                                                                                              \
        h, 0, len, NONE, 0, true, 0, i, false                                                      \
    }
#define BAD(h)                                                                                     \
    {                                                                                              \
        h, KE_INVAL, 0, NONE, 0, false, 0, 0, false                                                \
    }
#define SHORT_OF(h)                                                                                \
    {                                                                                              \
        h, KE_RANGE, 0, NONE, 0, false, 0, 0, false                                                \
    }

static const struct decode_case cases[] = {
    /* One-byte opcodes without operands, and immediates of fixed size. */
    OK("90", 1, 0, 0),
    OK("c3", 1, 0, 0),
    OK("cc", 1, 0, 0),
    OK("9b", 1, 0, 0), /* FWAIT is an instruction, not a prefix */
    OK("c2 08 00", 3, 0, 2),
    OK("ca 08 00", 3, 0, 2),
    OK("c8 10 00 01", 4, 0, 3), /* ENTER imm16, imm8 */
    OK("cd 80", 2, 0, 1),
    OK("e4 60", 2, 0, 1),
    OK("b0 7f", 2, 0, 1),
    OK("6a 01", 2, 0, 1),
    OK("a8 01", 2, 0, 1),
    /* Iz: 32 bits, 16 with 66, REX.W keeps 32 (sign-extended) and wins over 66. */
    OK("05 78 56 34 12", 5, 0, 4),
    OK("66 05 34 12", 4, 0, 2),
    OK("48 05 78 56 34 12", 6, 0, 4),
    OK("66 48 05 78 56 34 12", 7, 0, 4),
    OK("68 78 56 34 12", 5, 0, 4),
    OK("66 68 34 12", 4, 0, 2),
    OK("a9 78 56 34 12", 5, 0, 4),
    OK("66 a9 34 12", 4, 0, 2),
    OK("81 c3 78 56 34 12", 6, 0, 4),
    OK("66 81 c3 34 12", 5, 0, 2),
    OK("83 c3 01", 3, 0, 1),
    OK("66 69 c0 34 12", 5, 0, 2),
    OK("69 c0 78 56 34 12", 6, 0, 4),
    OK("6b c0 05", 3, 0, 1),
    /* MOV r, imm: 8 bytes with REX.W, 2 with 66, else 4; a REX followed by a prefix is void. */
    OK("48 b8 01 02 03 04 05 06 07 08", 10, 0, 8),
    OK("49 bf 01 02 03 04 05 06 07 08", 10, 0, 8),
    OK("b8 01 02 03 04", 5, 0, 4),
    OK("41 b8 01 02 03 04", 6, 0, 4),
    OK("66 b8 34 12", 4, 0, 2),
    OK("66 48 b8 01 02 03 04 05 06 07 08", 11, 0, 8),
    OK("48 66 b8 34 12", 5, 0, 2),
    OK("40 40 48 b8 01 02 03 04 05 06 07 08", 12, 0, 8),
    OK("48 40 b8 01 02 03 04", 7, 0, 4),
    /* moffs: an 8-byte address, 4 with 67; the operand size plays no part. */
    OK("a1 01 02 03 04 05 06 07 08", 9, 0, 8),
    OK("a0 01 02 03 04 05 06 07 08", 9, 0, 8),
    OK("48 a3 01 02 03 04 05 06 07 08", 10, 0, 8),
    OK("66 a1 01 02 03 04 05 06 07 08", 10, 0, 8),
    OK("67 a1 01 02 03 04", 6, 0, 4),
    OK("67 48 a2 01 02 03 04", 7, 0, 4),
    /* Group 3: TEST (/0, /1) has an immediate, NOT NEG MUL IMUL DIV IDIV do not. */
    OK("f6 c0 05", 3, 0, 1),
    OK("f6 c8 05", 3, 0, 1),
    OK("f6 d0", 2, 0, 0),
    OK("f6 44 24 08 01", 5, 1, 1),
    OK("f6 54 24 08", 4, 1, 0),
    OK("f7 c0 78 56 34 12", 6, 0, 4),
    OK("66 f7 c0 34 12", 5, 0, 2),
    OK("48 f7 c0 78 56 34 12", 7, 0, 4),
    OK("f7 d8", 2, 0, 0),
    OK("f7 7c 24 08", 4, 1, 0),
    /* Group 11 (C6/C7 /0) and its XABORT / XBEGIN forms; group 2, 4, 5. */
    OK("c6 00 01", 3, 0, 1),
    OK("c7 00 78 56 34 12", 6, 0, 4),
    OK("66 c7 00 34 12", 5, 0, 2),
    OK("48 c7 c0 ff ff ff ff", 7, 0, 4),
    OK("c6 f8 01", 3, 0, 1),
    OK("c7 f8 00 00 00 00", 6, 0, 4),
    OK("66 c7 f8 00 00", 5, 0, 2),
    OK("c0 e0 04", 3, 0, 1),
    OK("c1 e0 04", 3, 0, 1),
    OK("d1 e0", 2, 0, 0),
    OK("fe c0", 2, 0, 0),
    OK("ff e0", 2, 0, 0),
    OK("ff 74 24 08", 4, 1, 0),
    OK("8f 00", 2, 0, 0),
    OK("63 c1", 2, 0, 0),
    OK("d9 ee", 2, 0, 0),       /* x87 register form */
    OK("dd 44 24 08", 4, 1, 0), /* x87 memory form */
    /* ModRM, SIB and displacements. */
    OK("8b c0", 2, 0, 0),
    OK("8b 00", 2, 0, 0),
    OK("8b 40 08", 3, 1, 0),
    OK("8b 80 00 01 00 00", 6, 4, 0),
    OK("8b 04 24", 3, 0, 0),
    OK("8b 44 24 08", 4, 1, 0),
    OK("8b 84 24 00 01 00 00", 7, 4, 0),
    OK("8b 04 25 00 10 00 00", 7, 4, 0), /* SIB with no base: disp32 */
    OK("8b 04 6d 00 10 00 00", 7, 4, 0), /* [rbp*2 + disp32] */
    OK("8b 44 6d 08", 4, 1, 0),          /* mod=01: base rbp, disp8 */
    OK("42 8b 04 2d 00 10 00 00", 8, 4, 0),
    OK("41 8b 45 00", 4, 1, 0), /* r13 needs a displacement like rbp */
    OK("41 8b 04 24", 4, 0, 0), /* r12 needs a SIB like rsp */
    OK("41 8b 45 00", 4, 1, 0),
    OK("67 8b 04 25 00 10 00 00", 8, 4, 0),
    OK("8d 04 9d 00 00 00 00", 7, 4, 0),
    /* RIP-relative, with and without an immediate after the displacement. */
    RIP("8b 05 00 10 00 00", 6, 0),
    RIP("41 8b 05 00 10 00 00", 7, 0), /* REX.B does not change rm=101 */
    RIP("67 8b 05 00 10 00 00", 7, 0), /* EIP-relative */
    RIP("c7 05 d0 d1 d2 d3 e0 e1 e2 e3", 10, 4),
    RIP("66 c7 05 d0 d1 d2 d3 34 12", 9, 2),
    RIP("80 3d d0 d1 d2 d3 05", 7, 1),
    RIP("48 83 05 d0 d1 d2 d3 01", 8, 1),
    RIP("f6 05 d0 d1 d2 d3 01", 7, 1),
    RIP("f7 05 d0 d1 d2 d3 e0 e1 e2 e3", 10, 4),
    RIP("ff 15 00 00 00 00", 6, 0),
    RIP("66 0f 3a 0f 05 00 00 00 00 08", 10, 1),
    /* Branches: Jcc short and near (the condition is in the last opcode byte), CALL/JMP. */
    JCC("74 05", 2, SHORT, 0, 1),
    JCC("7f fe", 2, SHORT, 0, 1),
    JCC("0f 85 00 01 00 00", 6, NEAR, 1, 4),
    JCC("0f 80 00 00 00 00", 6, NEAR, 1, 4),
    JCC("2e 74 05", 3, SHORT, 1, 1),            /* branch hint */
    JCC("3e 0f 84 00 01 00 00", 7, NEAR, 2, 4), /* branch hint */
    JCC("48 0f 8f 00 01 00 00", 7, NEAR, 2, 4), /* REX.W: still rel32 */
    BAD("66 48 0f 8c 00 01 00 00"),             /* REX.W over 66: vendors differ */
    JCC("66 7c 05", 3, SHORT, 1, 1),            /* rel8 whoever decodes it */
    CALLJMP("e8 00 00 00 00", 5, 4),
    CALLJMP("e9 00 00 00 00", 5, 4),
    CALLJMP("eb fe", 2, 1),
    CALLJMP("f2 e8 00 00 00 00", 6, 4), /* BND */
    OK("e3 05", 2, 0, 1),               /* JRCXZ: relative, not a Jcc */
    OK("e2 fe", 2, 0, 1),               /* LOOP */
    BAD("66 e8 00 00 00 00"),           /* rel32 on Intel, rel16 on AMD */
    BAD("66 e9 00 00 00 00"),
    BAD("66 0f 84 00 00 00 00"),
    /* The 0F map. */
    OK("0f 0b", 2, 0, 0),
    OK("0f 05", 2, 0, 0),
    OK("0f a2", 2, 0, 0),
    OK("0f 01 d0", 3, 0, 0),
    OK("0f ae f0", 3, 0, 0),
    OK("0f c7 f0", 3, 0, 0),
    OK("0f ba e0 05", 4, 0, 1),
    OK("0f a4 c2 05", 4, 0, 1),
    OK("0f ac c2 05", 4, 0, 1),
    OK("0f c2 c1 00", 4, 0, 1),
    OK("66 0f 71 d0 05", 5, 0, 1),
    OK("66 0f c6 c1 1b", 5, 0, 1),
    OK("48 0f b6 04 24", 5, 0, 0),
    OK("f0 48 0f b1 0a", 5, 0, 0),
    OK("f3 48 ab", 3, 0, 0),
    OK("f3 0f 1e fa", 4, 0, 0),       /* ENDBR64 */
    OK("f3 0f b8 c1", 4, 0, 0),       /* POPCNT */
    OK("0f 20 d8", 3, 0, 0),          /* MOV from CR3 */
    OK("0f 22 05", 3, 0, 0),          /* mod is ignored: a register pair, no disp32 */
    OK("0f 21 44", 3, 0, 0),          /* ... and no disp8 */
    OK("0f 78 c0", 3, 0, 0),          /* VMREAD */
    OK("66 0f 78 c0 04 08", 6, 0, 2), /* EXTRQ imm8, imm8 */
    OK("f2 0f 78 c1 04 08", 6, 0, 2), /* INSERTQ imm8, imm8 */
    /* Multi-byte NOPs (0F 1F /0), as the toolchain pads with them. */
    OK("0f 1f 00", 3, 0, 0),
    OK("0f 1f 40 00", 4, 1, 0),
    OK("0f 1f 44 00 00", 5, 1, 0),
    OK("66 0f 1f 44 00 00", 6, 1, 0),
    OK("0f 1f 80 00 00 00 00", 7, 4, 0),
    OK("0f 1f 84 00 00 00 00 00", 8, 4, 0),
    OK("66 0f 1f 84 00 00 00 00 00", 9, 4, 0),
    OK("66 2e 0f 1f 84 00 00 00 00 00", 10, 4, 0),
    OK("66 66 2e 0f 1f 84 00 00 00 00 00", 11, 4, 0),
    OK("66 66 66 66 66 66 2e 0f 1f 84 00 00 00 00 00", 15, 4, 0),
    /* The three-byte maps: 0F 38 without, 0F 3A with an imm8. */
    OK("66 0f 38 00 c1", 5, 0, 0),
    OK("0f 38 f0 06", 4, 0, 0),
    OK("f2 0f 38 f1 c1", 5, 0, 0),
    OK("66 0f 38 17 44 24 10", 7, 1, 0),
    OK("66 0f 3a 0f c1 08", 6, 0, 1),
    OK("66 0f 3a 16 c0 01", 6, 0, 1),
    OK("66 0f 3a 63 44 24 08 1a", 8, 1, 1),
    /* VEX, two and three bytes. */
    OK("c5 f8 77", 3, 0, 0), /* VZEROUPPER: no ModRM */
    OK("c5 fc 77", 3, 0, 0),
    OK("c5 f9 6f c1", 4, 0, 0),
    RIP("c5 f9 6f 05 00 00 00 00", 8, 0),
    OK("c5 fd 70 c1 1b", 5, 0, 1),
    OK("c5 f8 c2 c1 00", 5, 0, 1),
    OK("c5 f1 73 d0 04", 5, 0, 1),
    OK("67 c5 f8 10 00", 5, 0, 0),
    OK("c4 e3 79 0f c1 08", 6, 0, 1),
    OK("c4 e2 79 00 c1", 5, 0, 0),
    OK("c4 e2 f0 f2 c3", 5, 0, 0),
    OK("c4 c1 78 28 04 24", 6, 0, 0),
    OK("c4 e3 fd 00 c1 1b", 6, 0, 1),
    OK("c4 e1 f9 7e c0", 5, 0, 0),
    OK("c4 62 7d 18 4c 24 10", 7, 1, 0),
    /* EVEX: ModRM always; an imm8 in 0F 3A and for the 0F map's immediate opcodes. */
    OK("62 f1 7c 48 58 44 24 01", 8, 1, 0),
    OK("62 f1 7c 48 58 c1", 6, 0, 0),
    OK("62 f3 7d 48 03 c1 08", 7, 0, 1),
    OK("62 f1 fd 48 72 c8 05", 7, 0, 1),
    RIP("62 f2 7d 48 18 05 00 00 00 00", 10, 0),
    /* Invalid in 64-bit mode, or outside what the decoder covers. */
    BAD("06"),
    BAD("07"),
    BAD("0e"),
    BAD("16"),
    BAD("17"),
    BAD("1e"),
    BAD("1f"),
    BAD("27"),
    BAD("2f"),
    BAD("37"),
    BAD("3f"),
    BAD("60"),
    BAD("61"),
    BAD("82 c0 01"),
    BAD("9a"),
    BAD("ce"),
    BAD("d4 0a"),
    BAD("d5 0a"),
    BAD("d6"),
    BAD("ea"),
    BAD("fe d0"),    /* FE /2 */
    BAD("ff ff"),    /* FF /7 */
    BAD("c6 c8 01"), /* C6 /1 */
    BAD("c7 c8 01 00 00 00"),
    BAD("8f c8 78 c2 c1 00"), /* XOP */
    BAD("0f 04"),
    BAD("0f 0a"),
    BAD("0f 0c"),
    BAD("0f 24 c0"),
    BAD("0f 36"),
    BAD("0f 39"),
    BAD("0f a6"),
    BAD("0f 7a c0"),
    BAD("0f 0f c1 b4"), /* 3DNow */
    BAD("66 c5 f8 77"), /* VEX after 66 */
    BAD("f3 c5 f8 77"),
    BAD("f0 c5 f8 77"),
    BAD("48 c4 e3 79 0f c1 08"), /* VEX after REX */
    BAD("c4 e0 78 10 c0"),       /* VEX map 0 */
    BAD("c4 e4 78 10 c0"),       /* VEX map 4 */
    BAD("c5 f8 00 c0"),          /* not a VEX 0F opcode */
    BAD("62 f4 7c 48 58 c1"),    /* EVEX map 4 */
    BAD("62 f5 7c 48 58 c1"),    /* EVEX map 5 */
    BAD("66 62 f1 7c 48 58 c1"),
    /* The 15-byte limit. */
    OK("66 66 66 66 66 66 66 66 66 66 66 66 66 66 90", 15, 0, 0),
    BAD("66 66 66 66 66 66 66 66 66 66 66 66 66 66 66 90"),
    BAD("66 66 66 66 66 66 66 66 66 66 66 66 66 66 66"),
    BAD("40 40 40 40 40 40 40 40 40 40 40 40 40 40 40 40"),
    OK("26 2e 36 3e 64 48 b8 01 02 03 04 05 06 07 08", 15, 0, 8),
    BAD("26 2e 36 3e 64 65 48 b8 01 02 03 04 05 06 07 08"),
    BAD("66 66 66 66 66 66 66 66 66 66 c7 05 d0 d1 d2 d3 e0 e1 e2 e3"),
    /* Truncated: more bytes needed than given. */
    SHORT_OF(""),
    SHORT_OF("48"),
    SHORT_OF("66 f0"),
    SHORT_OF("0f"),
    SHORT_OF("0f 38"),
    SHORT_OF("c4 e3"),
    SHORT_OF("62 f1 7c"),
    SHORT_OF("e8 00 00 00"),
    SHORT_OF("8b 04"),
    SHORT_OF("48 b8 01 02 03 04"),
};

/* The bytes of a case; their number. */
static size_t parse_hex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;
    while (*hex) {
        if (*hex == ' ') {
            hex++;
            continue;
        }
        unsigned v;
        if (n == cap || sscanf(hex, "%2x", &v) != 1) {
            fprintf(stderr, "bad case '%s'\n", hex);
            exit(1);
        }
        out[n++] = (uint8_t)v;
        hex += 2;
    }
    return n;
}

/* Decodes from a heap buffer of exactly n bytes, so ASan catches a read past the end. */
static int decode_exact(const uint8_t *bytes, size_t n, struct insn *out)
{
    uint8_t *copy = malloc(n ? n : 1);
    memcpy(copy, bytes, n);
    int rc = insn_decode(copy, n, out);
    free(copy);
    return rc;
}

static void check_case(const struct decode_case *c)
{
    uint8_t bytes[32];
    size_t n = parse_hex(c->hex, bytes, sizeof(bytes));
    struct insn in;
    int rc = decode_exact(bytes, n, &in);
    if (rc != c->rc)
        fprintf(stderr, "case '%s':\n", c->hex);
    CHECK_EQ_INT(rc, c->rc);
    if (rc != 0 || c->rc != 0)
        return;
    bool ok = in.length == c->length && in.is_jcc == (c->jcc != NONE) &&
              in.is_call_or_jmp_rel == c->call_jmp && in.disp_len == c->disp_len &&
              in.imm_len == c->imm_len && in.rip_relative == c->rip;
    if (!ok)
        fprintf(stderr, "case '%s': length %u jcc %d call/jmp %d disp %u imm %u rip %d\n", c->hex,
                in.length, in.is_jcc, in.is_call_or_jmp_rel, in.disp_len, in.imm_len,
                in.rip_relative);
    CHECK_EQ_INT(in.length, c->length);
    CHECK_EQ_INT(in.is_jcc, c->jcc != NONE);
    CHECK_EQ_INT(in.is_call_or_jmp_rel, c->call_jmp);
    CHECK_EQ_INT(in.disp_len, c->disp_len);
    CHECK_EQ_INT(in.imm_len, c->imm_len);
    CHECK_EQ_INT(in.rip_relative, c->rip);
    /* The parts lie inside the instruction, in order, and the immediate ends it. */
    CHECK(in.opcode_offset + in.opcode_len <= in.length);
    if (in.disp_len)
        CHECK_EQ_INT(in.disp_offset + in.disp_len, in.imm_len ? in.imm_offset : in.length);
    if (in.imm_len)
        CHECK_EQ_INT(in.imm_offset + in.imm_len, in.length);
    if (c->jcc != NONE) {
        CHECK_EQ_INT(in.jcc_short, c->jcc == SHORT);
        CHECK_EQ_INT(in.jcc_cond_offset, c->cond_offset);
        uint8_t cond = bytes[in.jcc_cond_offset];
        CHECK(c->jcc == SHORT ? (cond & 0xf0) == 0x70 : (cond & 0xf0) == 0x80);
        CHECK(in.is_rel);
    }
    /* Every shorter buffer is too short; more bytes after it change nothing. */
    for (size_t k = 0; k < n; k++) {
        struct insn part;
        int short_rc = decode_exact(bytes, k, &part);
        if (short_rc != KE_RANGE)
            fprintf(stderr, "case '%s' cut to %zu bytes: %d\n", c->hex, k, short_rc);
        CHECK_EQ_INT(short_rc, KE_RANGE);
    }
    memset(bytes + n, 0x0f, sizeof(bytes) - n);
    struct insn longer;
    CHECK_EQ_INT(decode_exact(bytes, sizeof(bytes), &longer), 0);
    CHECK_EQ_INT(longer.length, in.length);
}

int main(void)
{
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        check_case(&cases[i]);

    /* Flipping bit 0 of the condition byte turns a Jcc into its opposite, and only that. */
    uint8_t je[] = {0x3e, 0x0f, 0x84, 0, 0, 0, 0};
    struct insn in;
    CHECK_EQ_INT(insn_decode(je, sizeof(je), &in), 0);
    je[in.jcc_cond_offset] ^= 1;
    struct insn flipped;
    CHECK_EQ_INT(insn_decode(je, sizeof(je), &flipped), 0);
    CHECK_EQ_INT(je[2], 0x85);
    CHECK_EQ_INT(flipped.length, in.length);
    CHECK(flipped.is_jcc);

    /* A failed decode leaves *out alone. */
    struct insn untouched = {.length = 77};
    CHECK_EQ_INT(insn_decode((const uint8_t *)"\x06", 1, &untouched), KE_INVAL);
    CHECK_EQ_INT(untouched.length, 77);

    /* The maps and encodings are reported. */
    static const uint8_t vex3[] = {0xc4, 0xe3, 0x79, 0x0f, 0xc1, 0x08};
    CHECK_EQ_INT(insn_decode(vex3, sizeof(vex3), &in), 0);
    CHECK_EQ_INT(in.encoding, INSN_VEX);
    CHECK_EQ_INT(in.map, INSN_MAP_0F3A);
    CHECK_EQ_INT(in.opcode_offset, 3);
    CHECK_EQ_INT(in.opcode[0], 0x0f);
    static const uint8_t legacy3[] = {0x66, 0x0f, 0x38, 0x00, 0xc1};
    CHECK_EQ_INT(insn_decode(legacy3, sizeof(legacy3), &in), 0);
    CHECK_EQ_INT(in.encoding, INSN_LEGACY);
    CHECK_EQ_INT(in.map, INSN_MAP_0F38);
    CHECK_EQ_INT(in.opcode_len, 3);
    CHECK_EQ_INT(in.prefix_len, 1);
    static const uint8_t rex_void[] = {0x48, 0x66, 0xb8, 0x34, 0x12};
    CHECK_EQ_INT(insn_decode(rex_void, sizeof(rex_void), &in), 0);
    CHECK_EQ_INT(in.rex, 0);
    CHECK_EQ_INT(in.prefix_len, 2);
    return check_report("insn_decode_test");
}
