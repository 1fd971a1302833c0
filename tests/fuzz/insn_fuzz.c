/* libFuzzer target for insn_decode: the input is the bytes to decode, copied into a buffer of
 * exactly their size (ASan sees any read past `avail`). Checks the documented results (0,
 * KE_INVAL, KE_RANGE), the shape of a decoded instruction (length 1..15, its parts inside it and
 * in order, a Jcc's condition byte a 7x or 0F 8x opcode), determinism, and that the verdict
 * depends only on the bytes the instruction is made of: decoded again from exactly `length`
 * bytes, or with more bytes after the input, the answer is the same; cut any shorter, it is
 * KE_RANGE. */
#include <keel/errno.h>
#include <keel/insn.h>
#include <keel/string.h>

#include <stdlib.h>

static int decode_copy(const uint8_t *data, size_t n, struct insn *out)
{
    uint8_t *copy = malloc(n ? n : 1);
    if (!copy)
        abort();
    memcpy(copy, data, n);
    memset(out, 0xa5, sizeof(*out));
    int rc = insn_decode(copy, n, out);
    free(copy);
    return rc;
}

static void check_shape(const struct insn *in, const uint8_t *bytes)
{
    if (in->length < 1 || in->length > INSN_MAX_LENGTH)
        abort();
    if (in->opcode_len < 1 || in->opcode_len > 3 ||
        in->opcode_offset + in->opcode_len > in->length || in->prefix_len > in->opcode_offset)
        abort();
    size_t end = (size_t)in->opcode_offset + in->opcode_len + in->has_modrm + in->has_sib;
    if (in->disp_len) {
        if (in->disp_offset != end || (in->disp_len != 1 && in->disp_len != 4))
            abort();
        end += in->disp_len;
    }
    if (in->imm_len) {
        if (in->imm_offset != end || in->imm_len > 8)
            abort();
        end += in->imm_len;
    }
    if (end != in->length)
        abort(); /* the parts add up to the instruction */
    if (in->has_sib && !in->has_modrm)
        abort();
    if (in->rip_relative && (in->disp_len != 4 || in->has_sib || (in->modrm & 0xc7) != 0x05))
        abort();
    if (in->is_jcc) {
        uint8_t op = bytes[in->jcc_cond_offset];
        bool ok = in->jcc_short ? (op & 0xf0) == 0x70 && in->jcc_cond_offset == in->opcode_offset
                                : (op & 0xf0) == 0x80 && bytes[in->jcc_cond_offset - 1] == 0x0f;
        if (!ok || !in->is_rel || in->imm_len != (in->jcc_short ? 1 : 4))
            abort();
    }
    if (in->is_call_or_jmp_rel && !in->is_rel)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct insn in, again;
    int rc = decode_copy(data, size, &in);
    if (rc != 0 && rc != KE_INVAL && rc != KE_RANGE)
        abort();
    if (rc == KE_RANGE && size >= INSN_MAX_LENGTH)
        abort(); /* with 15 bytes at hand, nothing can be missing */

    /* Deterministic; and more bytes after the input change nothing but "too short". */
    if (decode_copy(data, size, &again) != rc || (rc == 0 && memcmp(&in, &again, sizeof(in))))
        abort();
    uint8_t longer[64];
    if (size <= sizeof(longer) - 16) {
        memcpy(longer, data, size);
        memset(longer + size, 0x0f, 16);
        int more = decode_copy(longer, size + 16, &again);
        if (rc != KE_RANGE && more != rc)
            abort();
        if (rc == 0 && memcmp(&in, &again, sizeof(in)))
            abort();
    }
    if (rc != 0)
        return 0;

    if (in.length > size)
        abort();
    check_shape(&in, data);
    /* Exactly its own bytes decode to the same; any fewer are too few. */
    if (decode_copy(data, in.length, &again) != 0 || memcmp(&in, &again, sizeof(in)))
        abort();
    for (size_t k = 0; k < in.length; k++)
        if (decode_copy(data, k, &again) != KE_RANGE)
            abort();
    return 0;
}
