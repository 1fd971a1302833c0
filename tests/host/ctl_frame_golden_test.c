/* The control channel's wire format pinned by golden frames (docs/control-channel.md, "Frames").
 * ctl_frame_test checks the codec against itself (one frame.c encodes and decodes), which a
 * change of byte order, field order or checksum would pass; here the bytes are written out by
 * hand, field by field, with the CRC-32s and the HMAC computed apart from Keel's code (Python's
 * zlib.crc32 and hmac/hashlib). Encoding must give exactly these bytes, and decoding them must
 * give exactly these fields. */
#include <stdio.h>
#include <string.h>
#include "check.h"
#include "ctl/frame.h"

static const uint8_t key[CTL_KEY_SIZE] = "0123456789abcdef0123456789abcdef";

/* A PING request without a MAC: payload "abc". */
static const uint8_t golden_plain[] = {
    'K',  'C',  'T',  'L',                          /* magic */
    0x01,                                           /* protocol version */
    0x02,                                           /* type: PING */
    0x00, 0x00,                                     /* flags: none */
    0x03, 0x00, 0x00, 0x00,                         /* payload length 3 */
    0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, /* seq 0x0102030405060708 */
    0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, /* nonce 10..1f */
    0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
    0xb3, 0xfe, 0xa4, 0xa7, /* CRC-32 of bytes 0..35 */
    'a',  'b',  'c',        /* payload */
    0xae, 0x47, 0x09, 0x57, /* CRC-32 of bytes 0..42 */
    'K',  'E',  'N',  'D',  /* end marker */
};

/* A PUSH reply with a MAC (flags AUTH|REPLY): payload 01..05. */
static const uint8_t golden_auth[] = {
    'K',  'C',  'T',  'L',                          /* magic */
    0x01,                                           /* protocol version */
    0x83,                                           /* type: PUSH | reply bit */
    0x03, 0x00,                                     /* flags: AUTH | REPLY */
    0x05, 0x00, 0x00, 0x00,                         /* payload length 5 */
    0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, /* seq 0x1122334455667788 */
    0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, /* nonce a0..af */
    0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf, 0x6a, 0xd1, 0xf5, 0x4c, /* CRC-32 of bytes 0..35
                                                                             */
    0x01, 0x02, 0x03, 0x04, 0x05,                                           /* payload */
    0xb0, 0x59, 0x2d, 0x3d, 0x44, 0x52, 0x4b, 0x71, /* HMAC-SHA256(key, bytes 0..44) */
    0xf8, 0xa5, 0xf4, 0x65, 0x33, 0x6d, 0x75, 0x16, 0x52, 0xba, 0xb4, 0x60, 0x0b, 0xf0, 0x6e,
    0x9f, 0x49, 0x94, 0x7a, 0x3e, 0xb9, 0xa2, 0x9f, 0x4c, 0xe5, 0x7b, 0x82, 0x8a, /* CRC-32 of bytes
                                                                                     0..76 */
    'K',  'E',  'N',  'D',                                                        /* end marker */
};

struct golden {
    const char *what;
    const uint8_t *bytes;
    size_t size;
    struct ctl_header header; /* what the bytes decode to */
    const uint8_t *payload;
};

static void nonce_from(uint8_t *nonce, uint8_t first)
{
    for (int i = 0; i < CTL_NONCE_SIZE; i++)
        nonce[i] = (uint8_t)(first + i);
}

/* Encoding the fields gives the golden bytes; on a difference say where. */
static void check_encode(const struct golden *g)
{
    uint8_t out[256];
    int n = ctl_encode(&g->header, g->payload, g->header.length, key, out, sizeof(out));
    CHECK_EQ_INT(n, (int)g->size);
    for (size_t i = 0; n == (int)g->size && i < g->size; i++)
        if (out[i] != g->bytes[i]) {
            fprintf(stderr, "%s: encoded byte %zu is 0x%02x, the wire format says 0x%02x\n",
                    g->what, i, out[i], g->bytes[i]);
            CHECK(out[i] == g->bytes[i]);
            break;
        }
}

/* Decoding the golden bytes (whole, and one byte at a time) gives the fields. */
static void check_decode(const struct golden *g, size_t piece)
{
    struct ctl_decoder d;
    ctl_decoder_init(&d, key, 4096);
    uint8_t payload[64];
    int events[4], nev = 0;
    size_t pos = 0;
    while (pos < g->size) {
        size_t len = g->size - pos < piece ? g->size - pos : piece, used = 0;
        int ev = ctl_decoder_feed(&d, g->bytes + pos, len, &used);
        CHECK(used <= len);
        pos += used;
        if (ev == CTL_DEC_MORE)
            continue;
        if (nev < 4)
            events[nev++] = ev;
        if (ev == CTL_DEC_HEADER)
            ctl_decoder_set_buffer(&d, payload);
        else if (ev != CTL_DEC_FRAME)
            break; /* a refusal: the checks below report it */
    }
    CHECK_EQ_INT(nev, 2);
    CHECK_EQ_INT(events[0], CTL_DEC_HEADER);
    CHECK_EQ_INT(nev > 1 ? events[1] : 0, CTL_DEC_FRAME);
    CHECK_EQ_INT(d.header.version, CTL_VERSION);
    CHECK_EQ_INT(d.header.type, g->header.type);
    CHECK_EQ_INT(d.header.flags, g->header.flags);
    CHECK_EQ_INT(d.header.length, g->header.length);
    CHECK_EQ_U64(d.header.seq, g->header.seq);
    CHECK(memcmp(d.header.nonce, g->header.nonce, CTL_NONCE_SIZE) == 0);
    CHECK(memcmp(payload, g->payload, g->header.length) == 0);
}

int main(void)
{
    static const uint8_t plain_payload[] = {'a', 'b', 'c'}, auth_payload[] = {1, 2, 3, 4, 5};
    struct golden g[2] = {
        {"plain PING request",
         golden_plain,
         sizeof(golden_plain),
         {.type = 0x02, .flags = 0, .length = 3, .seq = 0x0102030405060708ull},
         plain_payload},
        {"authenticated reply",
         golden_auth,
         sizeof(golden_auth),
         {.type = 0x83,
          .flags = CTL_F_AUTH | CTL_F_REPLY,
          .length = 5,
          .seq = 0x1122334455667788ull},
         auth_payload},
    };
    nonce_from(g[0].header.nonce, 0x10);
    nonce_from(g[1].header.nonce, 0xa0);
    CHECK_EQ_INT(sizeof(golden_plain), ctl_frame_size(3, false));
    CHECK_EQ_INT(sizeof(golden_auth), ctl_frame_size(5, true));
    for (int i = 0; i < 2; i++) {
        check_encode(&g[i]);
        check_decode(&g[i], g[i].size);
        check_decode(&g[i], 1);
    }
    return check_report("ctl_frame_golden_test");
}
