/* Control-channel frames (docs/control-channel.md): an incremental decoder that finds frames in
 * a byte stream and checks them, and an encoder. Freestanding: the ctl cell, keelctl, the host
 * tests and the fuzzer share this code.
 *
 *   offset  size  field
 *        0     4  magic "KCTL"
 *        4     1  version (CTL_VERSION)
 *        5     1  type (wire.h)
 *        6     2  flags: CTL_F_AUTH (a MAC follows the payload), CTL_F_REPLY (guest -> host)
 *        8     4  payload length
 *       12     8  sequence number
 *       20    16  session nonce
 *       36     4  CRC-32 of bytes 0..35 (so a bad length is caught before it is trusted)
 *       40     L  payload
 *     40+L    32  HMAC-SHA256(key, bytes 0..40+L): only with CTL_F_AUTH
 *        .     4  CRC-32 of everything before it
 *        .     4  end marker "KEND" (where the length says the frame ends)
 * All integers are little-endian. */
#ifndef CELLS_CTL_FRAME_H
#define CELLS_CTL_FRAME_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ctl/hmac.h"

#define CTL_VERSION      1
#define CTL_HEADER_SIZE  40
#define CTL_MAC_SIZE     32
#define CTL_TRAILER_SIZE 8
#define CTL_KEY_SIZE     32
#define CTL_NONCE_SIZE   16
#define CTL_F_AUTH       0x0001u
#define CTL_F_REPLY      0x0002u
#define CTL_F_KNOWN      (CTL_F_AUTH | CTL_F_REPLY)
/* Limits: an object pushed is at most CTL_OBJECT_MAX bytes; a frame's payload at most
 * CTL_PAYLOAD_MAX (an object plus its name and fields). */
#define CTL_OBJECT_MAX  (1024u * 1024u)
#define CTL_PAYLOAD_MAX (CTL_OBJECT_MAX + 1024u)

/* Why a frame was refused: distinct codes below the KE_* range (keel/errno.h). */
enum ctl_error {
    CTL_E_HEADER_CRC = -100, /* header checksum wrong */
    CTL_E_VERSION = -101,    /* unknown protocol version */
    CTL_E_FLAGS = -102,      /* unknown flag bits */
    CTL_E_OVERSIZE = -103,   /* payload length above the limit */
    CTL_E_LENGTH = -104,     /* the frame does not end where its length says */
    CTL_E_CRC = -105,        /* frame checksum wrong */
    CTL_E_MAC = -106,        /* authenticated, but the MAC does not match (wrong key?) */
    CTL_E_TRUNCATED = -107,  /* the line went quiet in the middle of a frame */
    CTL_E_NOBUF = -108,      /* no memory for the payload (frame consumed and dropped) */
    /* Session and request level (session.c, the cell): */
    CTL_E_UNAUTH = -109,    /* a request other than HELLO without a MAC */
    CTL_E_NONCE = -110,     /* not this boot's session nonce */
    CTL_E_REPLAY = -111,    /* sequence number not above the last one accepted */
    CTL_E_DIRECTION = -112, /* a reply frame sent to the guest (or a request to the host) */
    CTL_E_TYPE = -113,      /* unknown request type */
    CTL_E_MALFORMED = -114, /* the payload does not parse for its type */
};
/* "bad frame checksum" etc., or NULL if code is not a CTL_E_* code. */
const char *ctl_strerror(int code);
/* "CTL_E_CRC" etc., or NULL. */
const char *ctl_errname(int code);

struct ctl_header {
    uint8_t version, type;
    uint16_t flags;
    uint32_t length;
    uint64_t seq;
    uint8_t nonce[CTL_NONCE_SIZE];
};

/* Bytes of a whole frame with this payload length. */
static inline size_t ctl_frame_size(uint32_t length, bool auth)
{
    return CTL_HEADER_SIZE + (size_t)length + (auth ? CTL_MAC_SIZE : 0) + CTL_TRAILER_SIZE;
}

/* Encode h (version is set to CTL_VERSION, length to len) and payload into out: the frame size,
 * or KE_INVAL (auth without a key, NULL payload with len > 0) / KE_RANGE (out too small, len
 * above CTL_PAYLOAD_MAX). */
int ctl_encode(const struct ctl_header *h, const void *payload, uint32_t len,
               const uint8_t key[CTL_KEY_SIZE], uint8_t *out, size_t out_size);

/* The decoder's results (besides negative CTL_E_* refusals). */
enum ctl_dec_result {
    CTL_DEC_MORE = 0,   /* every byte consumed, no frame finished */
    CTL_DEC_HEADER = 1, /* a good header: give it a buffer (ctl_decoder_set_buffer) */
    CTL_DEC_FRAME = 2,  /* a complete, checked frame: d->header, payload in the buffer */
};

enum ctl_dec_state { CTL_HUNT = 0, CTL_IN_HEADER, CTL_IN_PAYLOAD, CTL_IN_MAC, CTL_IN_TRAILER };

struct ctl_decoder {
    const uint8_t *key; /* NULL: every authenticated frame fails with CTL_E_MAC */
    uint32_t max_payload;
    enum ctl_dec_state state;
    uint8_t hdr[CTL_HEADER_SIZE];
    size_t hfill;
    uint8_t *buf; /* the payload goes here (NULL: dropped, CTL_E_NOBUF at the end) */
    uint32_t got; /* payload bytes so far */
    uint8_t mac[CTL_MAC_SIZE];
    uint8_t trailer[CTL_TRAILER_SIZE];
    size_t mfill, tfill;
    uint32_t crc;
    struct hmac_sha256 hmac;
    /* The last header that passed its checksum (valid after CTL_DEC_HEADER, CTL_DEC_FRAME and
     * refusals other than CTL_E_HEADER_CRC / CTL_E_VERSION / CTL_E_FLAGS, which clear it):
     * replies echo its type and sequence number. */
    struct ctl_header header;
    bool header_valid;
    /* For messages: bytes of the refused or truncated frame seen, and its full size. */
    size_t frame_got, frame_size;
    /* Statistics. */
    uint64_t skipped; /* bytes dropped while hunting for a frame */
    uint64_t frames, refused;
};

/* max_payload: 1..CTL_PAYLOAD_MAX (larger values are clamped). key (CTL_KEY_SIZE bytes) is
 * referenced, not copied. */
void ctl_decoder_init(struct ctl_decoder *d, const uint8_t *key, uint32_t max_payload);
/* Feed n bytes; *used gets how many were consumed (feed the rest again). Returns CTL_DEC_MORE,
 * CTL_DEC_HEADER, CTL_DEC_FRAME or a negative CTL_E_* (the frame is dropped and the decoder
 * hunts for the next magic: garbage before a frame is skipped silently). */
int ctl_decoder_feed(struct ctl_decoder *d, const uint8_t *data, size_t n, size_t *used);
/* After CTL_DEC_HEADER: where the payload goes (header.length bytes; NULL to drop it). */
void ctl_decoder_set_buffer(struct ctl_decoder *d, uint8_t *buf);
/* The caller saw no byte for its timeout: CTL_E_TRUNCATED if a frame was in progress (it is
 * dropped), else 0. A partial magic is dropped silently. */
int ctl_decoder_timeout(struct ctl_decoder *d);
/* In the middle of a frame (a header has started)? */
bool ctl_decoder_busy(const struct ctl_decoder *d);

#endif
