/* x86-64 instruction decoder: how long one instruction is and where its parts lie, for the fault
 * injector (NOP out one instruction, flip a conditional jump). 64-bit mode only; freestanding,
 * no allocation, reads no byte beyond what the instruction needs (nor beyond `avail`).
 *
 * Covered: legacy prefixes (66 67 F0 F2 F3, segments), REX, the one-byte map, the 0F, 0F 38 and
 * 0F 3A maps, ModRM/SIB/displacements (RIP-relative included; a 67 prefix keeps the 32/64-bit
 * ModRM forms), immediates by operand size, VEX (C4/C5) and EVEX (62, maps 0F, 0F 38, 0F 3A).
 * Refused with KE_INVAL besides what 64-bit mode forbids: 3DNow (0F 0F), XOP, EVEX maps other
 * than those three, VEX maps other than 0F/0F 38/0F 3A, and a 66 prefix on a near CALL, JMP or
 * Jcc with rel32 (Intel ignores it, AMD makes the displacement 16 bits: no one length).
 * Opcodes left undefined inside the 0F 38 and 0F 3A maps, and inside the opcode ranges of the
 * VEX/EVEX 0F map the decoder knows, are decoded with their map's operand shape (a ModRM, plus an
 * imm8 in 0F 3A) rather than refused: the lengths of defined instructions are what matters. */
#ifndef KEEL_INSN_H
#define KEEL_INSN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define INSN_MAX_LENGTH 15 /* the architectural limit: longer raises #GP */

enum insn_encoding {
    INSN_LEGACY, /* prefixes, REX, opcode (escape bytes included) */
    INSN_VEX,    /* C4 / C5 */
    INSN_EVEX,   /* 62 */
};

/* The opcode map the instruction's opcode byte belongs to. */
enum insn_map {
    INSN_MAP_ONE = 0, /* one-byte opcodes */
    INSN_MAP_0F = 1,
    INSN_MAP_0F38 = 2,
    INSN_MAP_0F3A = 3,
};

/* One decoded instruction. Offsets count from the instruction's first byte. */
struct insn {
    uint8_t length;     /* 1..INSN_MAX_LENGTH */
    uint8_t prefix_len; /* legacy prefix bytes and REX, before the opcode (or VEX/EVEX) */
    uint8_t rex;        /* the REX byte in effect (the last prefix byte), 0 if none */
    uint8_t encoding;   /* enum insn_encoding */
    uint8_t map;        /* enum insn_map */
    /* Legacy: the opcode with its escape bytes (0F, 0F 38, 0F 3A), 1..3 bytes. VEX and EVEX: the
     * one opcode byte after the VEX/EVEX prefix (the map says which table). */
    uint8_t opcode_offset;
    uint8_t opcode_len;
    uint8_t opcode[3];
    bool has_modrm;
    uint8_t modrm;
    bool has_sib;
    uint8_t sib;
    bool rip_relative; /* ModRM mod=00 rm=101: disp32 from the next instruction's address */
    uint8_t disp_offset, disp_len; /* the ModRM displacement; len 0 if none */
    /* The immediate, a moffs address or a branch displacement; len 0 if none. ENTER's two
     * immediates count as one of 3 bytes. */
    uint8_t imm_offset, imm_len;
    bool is_rel; /* imm is a displacement from the next instruction: Jcc, JMP, CALL, LOOP,
                    JrCXZ, XBEGIN */
    bool is_jcc; /* Jcc rel8 (70-7F) or rel32 (0F 80-8F): flipping bit 0 of the byte at
                    jcc_cond_offset inverts the condition */
    bool jcc_short;
    uint8_t jcc_cond_offset;
    bool is_call_or_jmp_rel; /* E8 CALL rel32, E9 JMP rel32, EB JMP rel8 */
};

/* Decodes the instruction at code[0 .. avail). Returns 0 and fills *out; KE_RANGE if it needs
 * more than `avail` bytes (nothing read beyond them); KE_INVAL if the bytes are no instruction of
 * 64-bit mode, are outside what this decoder covers, or would be longer than 15 bytes. */
int insn_decode(const uint8_t *code, size_t avail, struct insn *out);

#endif
