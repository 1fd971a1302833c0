/* x86-64 instruction-length decoder (64-bit mode), see <keel/insn.h>.
 *
 * The decoder walks the bytes in the order the processor does: legacy prefixes and REX, then
 * either a VEX/EVEX prefix or the legacy opcode (with its 0F / 0F 38 / 0F 3A escapes), then
 * ModRM, SIB and displacement, then the immediate. What follows the opcode is looked up in a
 * table per map; opcodes whose operands depend on more than the opcode byte (the operand size,
 * ModRM.reg, the address size) are marked SPECIAL and worked out in code. Every byte is read
 * through take(), which refuses to go past `avail` (KE_RANGE) or past 15 bytes (KE_INVAL). */
#include <keel/errno.h>
#include <keel/insn.h>

/* What follows an opcode byte. */
enum {
    A_MODRM = 0x01,   /* a ModRM byte (and SIB and displacement as it says) */
    A_IMM8 = 0x02,    /* an 8-bit immediate */
    A_IMMZ = 0x04,    /* a 16-bit immediate with operand size 16, else 32-bit */
    A_IMM16 = 0x08,   /* a 16-bit immediate whatever the operand size */
    A_IMM32 = 0x10,   /* a 32-bit immediate whatever the operand size */
    A_REL = 0x20,     /* the immediate is a branch displacement */
    A_BAD = 0x40,     /* undefined or invalid in 64-bit mode */
    A_SPECIAL = 0x80, /* prefixes, escapes and opcodes decoded in code */
};

/* Short names so each map's table reads as 16 rows of 16 opcodes. */
#define __ 0
#define MR A_MODRM
#define MI (A_MODRM | A_IMM8)
#define MZ (A_MODRM | A_IMMZ)
#define I8 A_IMM8
#define IZ A_IMMZ
#define IW A_IMM16
#define R8 (A_IMM8 | A_REL)
#define RD (A_IMM32 | A_REL)
#define XX A_BAD
#define SP A_SPECIAL

/* The one-byte map. SP: prefixes (26 2E 36 3E 40-4F 64-67 F0 F2 F3, consumed before the table
 * is consulted), the 0F escape, EVEX (62), VEX (C4 C5), moffs (A0-A3), MOV r, imm (B8-BF),
 * group opcodes whose operands depend on ModRM.reg (8F C6 C7 F6 F7 FE FF) and ENTER (C8). */
static const uint8_t one_byte[256] = {
    /*       0   1   2   3   4   5   6   7   8   9   A   B   C   D   E   F */
    /* 0 */ MR, MR, MR, MR, I8, IZ, XX, XX, MR, MR, MR, MR, I8, IZ, XX, SP,
    /* 1 */ MR, MR, MR, MR, I8, IZ, XX, XX, MR, MR, MR, MR, I8, IZ, XX, XX,
    /* 2 */ MR, MR, MR, MR, I8, IZ, SP, XX, MR, MR, MR, MR, I8, IZ, SP, XX,
    /* 3 */ MR, MR, MR, MR, I8, IZ, SP, XX, MR, MR, MR, MR, I8, IZ, SP, XX,
    /* 4 */ SP, SP, SP, SP, SP, SP, SP, SP, SP, SP, SP, SP, SP, SP, SP, SP,
    /* 5 */ __, __, __, __, __, __, __, __, __, __, __, __, __, __, __, __,
    /* 6 */ XX, XX, SP, MR, SP, SP, SP, SP, IZ, MZ, I8, MI, __, __, __, __,
    /* 7 */ R8, R8, R8, R8, R8, R8, R8, R8, R8, R8, R8, R8, R8, R8, R8, R8,
    /* 8 */ MI, MZ, XX, MI, MR, MR, MR, MR, MR, MR, MR, MR, MR, MR, MR, SP,
    /* 9 */ __, __, __, __, __, __, __, __, __, __, XX, __, __, __, __, __,
    /* A */ SP, SP, SP, SP, __, __, __, __, I8, IZ, __, __, __, __, __, __,
    /* B */ I8, I8, I8, I8, I8, I8, I8, I8, SP, SP, SP, SP, SP, SP, SP, SP,
    /* C */ MI, MI, IW, __, SP, SP, SP, SP, SP, __, IW, __, __, I8, XX, __,
    /* D */ MR, MR, MR, MR, XX, XX, XX, __, MR, MR, MR, MR, MR, MR, MR, MR,
    /* E */ R8, R8, R8, R8, I8, I8, I8, I8, RD, RD, XX, R8, __, __, __, __,
    /* F */ SP, __, SP, SP, __, __, SP, SP, __, __, __, __, __, __, SP, SP,
};

/* The 0F map, legacy encoding. SP: MOV to/from control and debug registers (0F 20-23, whose
 * ModRM is always a register pair), the 0F 38 and 0F 3A escapes, and 0F 78 (VMREAD, or with a
 * 66/F2 prefix EXTRQ/INSERTQ with two immediates). 0F 0F (3DNow) is not covered. */
static const uint8_t two_byte[256] = {
    /*       0   1   2   3   4   5   6   7   8   9   A   B   C   D   E   F */
    /* 0 */ MR, MR, MR, MR, XX, __, __, __, __, __, XX, __, XX, MR, __, XX,
    /* 1 */ MR, MR, MR, MR, MR, MR, MR, MR, MR, MR, MR, MR, MR, MR, MR, MR,
    /* 2 */ SP, SP, SP, SP, XX, XX, XX, XX, MR, MR, MR, MR, MR, MR, MR, MR,
    /* 3 */ __, __, __, __, __, __, XX, __, SP, XX, SP, XX, XX, XX, XX, XX,
    /* 4 */ MR, MR, MR, MR, MR, MR, MR, MR, MR, MR, MR, MR, MR, MR, MR, MR,
    /* 5 */ MR, MR, MR, MR, MR, MR, MR, MR, MR, MR, MR, MR, MR, MR, MR, MR,
    /* 6 */ MR, MR, MR, MR, MR, MR, MR, MR, MR, MR, MR, MR, MR, MR, MR, MR,
    /* 7 */ MI, MI, MI, MI, MR, MR, MR, __, SP, MR, XX, XX, MR, MR, MR, MR,
    /* 8 */ RD, RD, RD, RD, RD, RD, RD, RD, RD, RD, RD, RD, RD, RD, RD, RD,
    /* 9 */ MR, MR, MR, MR, MR, MR, MR, MR, MR, MR, MR, MR, MR, MR, MR, MR,
    /* A */ __, __, __, MR, MI, MR, XX, XX, __, __, __, MR, MI, MR, MR, MR,
    /* B */ MR, MR, MR, MR, MR, MR, MR, MR, MR, MR, MI, MR, MR, MR, MR, MR,
    /* C */ MR, MR, MI, MR, MI, MI, MI, MR, __, __, __, __, __, __, __, __,
    /* D */ MR, MR, MR, MR, MR, MR, MR, MR, MR, MR, MR, MR, MR, MR, MR, MR,
    /* E */ MR, MR, MR, MR, MR, MR, MR, MR, MR, MR, MR, MR, MR, MR, MR, MR,
    /* F */ MR, MR, MR, MR, MR, MR, MR, MR, MR, MR, MR, MR, MR, MR, MR, MR,
};

/* The bytes of one instruction as they are read. */
struct cursor {
    const uint8_t *code;
    size_t avail;
    size_t pos;
};

/* The next byte, or KE_INVAL past the 15-byte limit, KE_RANGE past the bytes available. */
static int take(struct cursor *c)
{
    if (c->pos >= INSN_MAX_LENGTH)
        return KE_INVAL;
    if (c->pos >= c->avail)
        return KE_RANGE;
    return c->code[c->pos++];
}

/* What the prefixes said. */
struct prefixes {
    bool opsize;   /* 66 */
    bool addrsize; /* 67 */
    bool rep;      /* F2 or F3 */
    bool repne;    /* F2 */
    bool lock;     /* F0 */
};

static bool is_legacy_prefix(uint8_t b)
{
    switch (b) {
    case 0x26:
    case 0x2e:
    case 0x36:
    case 0x3e:
    case 0x64:
    case 0x65:
    case 0x66:
    case 0x67:
    case 0xf0:
    case 0xf2:
    case 0xf3:
        return true;
    default:
        return false;
    }
}

/* Prefixes and REX; returns the first byte after them (the opcode, or VEX/EVEX), or an error.
 * A REX counts only as the last byte before the opcode: a prefix after it cancels it. */
static int read_prefixes(struct cursor *c, struct prefixes *p, struct insn *o)
{
    for (;;) {
        int b = take(c);
        if (b < 0)
            return b;
        if ((b & 0xf0) == 0x40) {
            o->rex = (uint8_t)b;
            continue;
        }
        if (!is_legacy_prefix((uint8_t)b)) {
            o->prefix_len = (uint8_t)(c->pos - 1);
            return b;
        }
        o->rex = 0;
        if (b == 0x66)
            p->opsize = true;
        else if (b == 0x67)
            p->addrsize = true;
        else if (b == 0xf0)
            p->lock = true;
        else if (b == 0xf2 || b == 0xf3) {
            p->rep = true;
            p->repne = b == 0xf2;
        }
    }
}

/* ModRM, then SIB and the displacement length as mod/rm say (the 32/64-bit forms: 16-bit
 * addressing does not exist in 64-bit mode, a 67 prefix only narrows the address). REX.B plays
 * no part here: rm=100 always means a SIB byte and mod=00 rm=101 always RIP-relative. */
static int read_modrm(struct cursor *c, bool register_only, struct insn *o)
{
    int m = take(c);
    if (m < 0)
        return m;
    o->has_modrm = true;
    o->modrm = (uint8_t)m;
    unsigned mod = (unsigned)m >> 6, rm = (unsigned)m & 7;
    if (register_only || mod == 3)
        return 0;
    unsigned disp = mod == 1 ? 1 : mod == 2 ? 4 : 0;
    if (rm == 4) {
        int s = take(c);
        if (s < 0)
            return s;
        o->has_sib = true;
        o->sib = (uint8_t)s;
        if (mod == 0 && (s & 7) == 5)
            disp = 4; /* no base register: disp32 */
    } else if (mod == 0 && rm == 5) {
        o->rip_relative = true;
        disp = 4;
    }
    o->disp_len = (uint8_t)disp;
    return 0;
}

/* A 66 prefix makes the operand size 16 bits, unless REX.W makes it 64. */
static bool operand_size_16(const struct prefixes *p, const struct insn *o)
{
    return p->opsize && !(o->rex & 0x08);
}

/* The immediate's length from the table's flags and the operand size. */
static unsigned imm_length(uint8_t attr, const struct prefixes *p, const struct insn *o)
{
    bool size16 = operand_size_16(p, o);
    if (attr & A_IMM8)
        return 1;
    if (attr & A_IMMZ)
        return size16 ? 2 : 4;
    if (attr & A_IMM16)
        return 2;
    if (attr & A_IMM32)
        return 4;
    return 0;
}

/* The VEX and EVEX forms of the 0F map: which opcodes exist (a superset of both) and which take
 * an immediate. Only VZEROUPPER/VZEROALL (VEX 0F 77) has no ModRM. */
static bool vex_0f_defined(uint8_t op)
{
    return (op >= 0x10 && op <= 0x17) || (op >= 0x28 && op <= 0x2f) || (op >= 0x41 && op <= 0x4b) ||
           (op >= 0x50 && op <= 0x7f) || (op >= 0x90 && op <= 0x93) || op == 0x98 || op == 0x99 ||
           op == 0xae || op == 0xc2 || (op >= 0xc4 && op <= 0xc6) || op >= 0xd0;
}

static bool vex_0f_has_imm8(uint8_t op)
{
    return (op >= 0x70 && op <= 0x73) || op == 0xc2 || (op >= 0xc4 && op <= 0xc6);
}

/* After a VEX (C4/C5) or EVEX (62) byte: the rest of the prefix, the opcode and what follows it.
 * Returns the immediate's flags. 66, F0, F2, F3 or REX before it make it #UD. */
static int read_vex(struct cursor *c, uint8_t first, const struct prefixes *p, struct insn *o)
{
    if (p->opsize || p->rep || p->lock || o->rex)
        return KE_INVAL;
    int b1 = take(c);
    if (b1 < 0)
        return b1;
    unsigned map;
    if (first == 0xc5) {
        o->encoding = INSN_VEX;
        map = INSN_MAP_0F;
    } else {
        int b2 = take(c);
        if (b2 < 0)
            return b2;
        if (first == 0x62) {
            o->encoding = INSN_EVEX;
            map = (unsigned)b1 & 0x07;
            int b3 = take(c);
            if (b3 < 0)
                return b3;
        } else {
            o->encoding = INSN_VEX;
            map = (unsigned)b1 & 0x1f;
        }
    }
    if (map < INSN_MAP_0F || map > INSN_MAP_0F3A)
        return KE_INVAL;
    o->map = (uint8_t)map;
    int op = take(c);
    if (op < 0)
        return op;
    o->opcode_offset = (uint8_t)(c->pos - 1);
    o->opcode_len = 1;
    o->opcode[0] = (uint8_t)op;
    if (map == INSN_MAP_0F && !vex_0f_defined((uint8_t)op))
        return KE_INVAL;
    if (map == INSN_MAP_0F && op == 0x77 && o->encoding == INSN_VEX)
        return 0;
    int r = read_modrm(c, false, o);
    if (r < 0)
        return r;
    if (map == INSN_MAP_0F3A || (map == INSN_MAP_0F && vex_0f_has_imm8((uint8_t)op)))
        return A_IMM8;
    return 0;
}

/* Legacy 0F-escaped opcodes (the 0F byte already read). Returns the immediate's flags. */
static int read_escaped(struct cursor *c, const struct prefixes *p, struct insn *o)
{
    int op = take(c);
    if (op < 0)
        return op;
    o->opcode[1] = (uint8_t)op;
    o->opcode_len = 2;
    o->map = INSN_MAP_0F;
    if (op == 0x38 || op == 0x3a) {
        /* Three-byte maps: every opcode has a ModRM; every 0F 3A one an imm8. */
        int op3 = take(c);
        if (op3 < 0)
            return op3;
        o->opcode[2] = (uint8_t)op3;
        o->opcode_len = 3;
        o->map = op == 0x38 ? INSN_MAP_0F38 : INSN_MAP_0F3A;
        int r = read_modrm(c, false, o);
        if (r < 0)
            return r;
        return op == 0x3a ? A_IMM8 : 0;
    }
    uint8_t attr = two_byte[op];
    if (attr & A_BAD)
        return KE_INVAL;
    if (attr & A_SPECIAL) {
        bool cr_dr = op >= 0x20 && op <= 0x23;
        int r = read_modrm(c, cr_dr, o);
        if (r < 0)
            return r;
        if (op == 0x78 && (p->opsize || p->repne))
            return A_IMM16; /* EXTRQ / INSERTQ: imm8, imm8 */
        return 0;
    }
    if (op >= 0x80 && op <= 0x8f) {
        if (p->opsize)
            return KE_INVAL; /* 66: rel32 on Intel, rel16 on AMD; no one length */
        o->is_jcc = true;
        o->jcc_cond_offset = (uint8_t)(o->opcode_offset + 1);
    }
    if (attr & A_MODRM) {
        int r = read_modrm(c, false, o);
        if (r < 0)
            return r;
    }
    return attr;
}

/* One-byte opcodes marked SPECIAL (other than prefixes and escapes): the immediate's length in
 * *imm, or an error. */
static int read_special(struct cursor *c, uint8_t op, const struct prefixes *p, struct insn *o,
                        unsigned *imm)
{
    bool size16 = operand_size_16(p, o);
    if (op >= 0xa0 && op <= 0xa3) {
        *imm = p->addrsize ? 4 : 8; /* moffs: an address of the address size */
        return 0;
    }
    if (op >= 0xb8 && op <= 0xbf) {
        *imm = (o->rex & 0x08) ? 8 : size16 ? 2 : 4; /* MOV r, imm16/32/64 */
        return 0;
    }
    if (op == 0xc8) {
        *imm = 3; /* ENTER imm16, imm8 */
        return 0;
    }
    int r = read_modrm(c, false, o);
    if (r < 0)
        return r;
    unsigned reg = (o->modrm >> 3) & 7;
    switch (op) {
    case 0x8f: /* POP r/m; the other /reg are AMD's XOP prefix */
        return reg == 0 ? 0 : KE_INVAL;
    case 0xc6: /* MOV r/m8, imm8; C6 F8 ib XABORT */
        if (reg != 0 && o->modrm != 0xf8)
            return KE_INVAL;
        *imm = 1;
        return 0;
    case 0xc7: /* MOV r/m, imm; C7 F8 XBEGIN rel16/32 */
        if (reg != 0 && o->modrm != 0xf8)
            return KE_INVAL;
        *imm = size16 ? 2 : 4;
        o->is_rel = o->modrm == 0xf8;
        return 0;
    case 0xf6: /* TEST r/m8, imm8 (/0, and its alias /1); NOT NEG MUL IMUL DIV IDIV */
        *imm = reg < 2 ? 1 : 0;
        return 0;
    case 0xf7:
        *imm = reg < 2 ? (size16 ? 2 : 4) : 0;
        return 0;
    case 0xfe: /* INC, DEC r/m8 */
        return reg < 2 ? 0 : KE_INVAL;
    case 0xff: /* INC DEC CALL CALLF JMP JMPF PUSH */
        return reg < 7 ? 0 : KE_INVAL;
    default:
        return KE_INVAL;
    }
}

int insn_decode(const uint8_t *code, size_t avail, struct insn *out)
{
    struct cursor c = {code, avail, 0};
    struct prefixes p = {0};
    struct insn o = {0};

    int op = read_prefixes(&c, &p, &o);
    if (op < 0)
        return op;
    o.opcode_offset = (uint8_t)(c.pos - 1);
    o.opcode[0] = (uint8_t)op;
    o.opcode_len = 1;
    o.map = INSN_MAP_ONE;

    unsigned imm = 0;
    int attr;
    if (op == 0x62 || op == 0xc4 || op == 0xc5) {
        attr = read_vex(&c, (uint8_t)op, &p, &o);
    } else if (op == 0x0f) {
        attr = read_escaped(&c, &p, &o);
    } else if (one_byte[op] & A_BAD) {
        attr = KE_INVAL;
    } else if (one_byte[op] & A_SPECIAL) {
        attr = read_special(&c, (uint8_t)op, &p, &o, &imm);
    } else {
        attr = one_byte[op];
        if (attr & A_MODRM) {
            int r = read_modrm(&c, false, &o);
            if (r < 0)
                return r;
        }
        if (op >= 0x70 && op <= 0x7f) {
            o.is_jcc = true;
            o.jcc_short = true;
            o.jcc_cond_offset = o.opcode_offset;
        }
        o.is_call_or_jmp_rel = op == 0xe8 || op == 0xe9 || op == 0xeb;
        if ((op == 0xe8 || op == 0xe9) && p.opsize)
            return KE_INVAL; /* 66: rel32 on Intel, rel16 on AMD; no one length */
    }
    if (attr < 0)
        return attr;
    if (attr & A_REL)
        o.is_rel = true;
    if (!imm)
        imm = imm_length((uint8_t)attr, &p, &o);

    size_t length = c.pos + o.disp_len + imm;
    if (length > INSN_MAX_LENGTH)
        return KE_INVAL;
    if (length > avail)
        return KE_RANGE;
    o.disp_offset = o.disp_len ? (uint8_t)c.pos : 0;
    o.imm_offset = imm ? (uint8_t)(c.pos + o.disp_len) : 0;
    o.imm_len = (uint8_t)imm;
    o.length = (uint8_t)length;
    *out = o;
    return 0;
}
