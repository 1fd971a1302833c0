/* libFuzzer target for the control channel's frame decoder (cells/ctl/frame.c): arbitrary bytes
 * in arbitrary pieces, with timeouts in between. Every frame it accepts must re-encode to a frame
 * that decodes the same, and the session check must hold its invariants. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "ctl/frame.h"
#include "ctl/session.h"
#include "ctl/wire.h"

#define MAX_PAYLOAD 4096

static const uint8_t key[CTL_KEY_SIZE] = "fuzzing-key-fuzzing-key-fuzzing";

static void check_reencode(const struct ctl_header *h, const uint8_t *payload)
{
    static uint8_t out[MAX_PAYLOAD + 128], copy[MAX_PAYLOAD];
    int n = ctl_encode(h, payload, h->length, key, out, sizeof(out));
    if (n < 0 || (size_t)n != ctl_frame_size(h->length, h->flags & CTL_F_AUTH))
        abort();
    struct ctl_decoder d;
    ctl_decoder_init(&d, key, MAX_PAYLOAD);
    size_t used;
    if (ctl_decoder_feed(&d, out, (size_t)n, &used) != CTL_DEC_HEADER)
        abort();
    ctl_decoder_set_buffer(&d, copy);
    size_t used2;
    int r = ctl_decoder_feed(&d, out + used, (size_t)n - used, &used2);
    if (r != CTL_DEC_FRAME || used + used2 != (size_t)n)
        abort();
    if (d.header.seq != h->seq || d.header.type != h->type || d.header.flags != h->flags ||
        memcmp(copy, payload, h->length) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t piece = (data[0] & 0x3f) + 1; /* feed in pieces of 1..64 bytes */
    bool timeouts = data[0] & 0x40;
    data++;
    size--;
    struct ctl_decoder d;
    ctl_decoder_init(&d, key, MAX_PAYLOAD);
    struct ctl_session s;
    uint8_t nonce[CTL_NONCE_SIZE] = {0};
    ctl_session_init(&s, nonce);
    uint8_t *buf = NULL;
    size_t pos = 0;
    while (pos < size) {
        size_t len = size - pos < piece ? size - pos : piece;
        size_t used = 0;
        int r = ctl_decoder_feed(&d, data + pos, len, &used);
        if (used > len || (r == CTL_DEC_MORE && used != len) || r > CTL_DEC_FRAME)
            abort(); /* MORE consumes everything; no result outside the documented set */
        pos += used;
        if (r == CTL_DEC_HEADER) {
            if (d.header.length > MAX_PAYLOAD || !d.header_valid)
                abort();
            free(buf);
            buf = d.header.length ? malloc(d.header.length) : NULL;
            ctl_decoder_set_buffer(&d, buf);
        } else if (r == CTL_DEC_FRAME) {
            check_reencode(&d.header, buf);
            uint64_t last = s.last_seq;
            int a = ctl_session_accept(&s, &d.header);
            if (a == 0 && d.header.type != CTL_T_HELLO && s.last_seq <= last)
                abort();
            if (a != 0 && s.last_seq != last)
                abort();
            /* Walk the payload as strings and blobs: the reader must stay in bounds. */
            struct ctl_rd rd;
            ctl_rd_init(&rd, buf, d.header.length);
            char str[64];
            uint32_t n;
            while (!rd.bad && rd.pos < rd.len) {
                ctl_rd_str(&rd, str, sizeof(str));
                ctl_rd_blob(&rd, &n);
            }
            free(buf);
            buf = NULL;
        } else if (r < 0) {
            if (!ctl_strerror(r) || r < CTL_E_NOBUF || r > CTL_E_HEADER_CRC)
                abort(); /* only the decoder's refusals, not the session's */
            free(buf);
            buf = NULL;
        }
        if (timeouts && (pos & 7) == 0) {
            int t = ctl_decoder_timeout(&d);
            if (t != 0 && t != CTL_E_TRUNCATED)
                abort();
            if (ctl_decoder_busy(&d))
                abort();
        }
    }
    free(buf);
    return 0;
}
