/* The frame decoder is a byte-at-a-time state machine (hunt for the magic, header, payload,
 * MAC, trailer) so it can be fed whatever the UART or a socket delivers, in any pieces. The
 * checksum and the MAC are computed as bytes arrive: a frame is never read twice. */
#include <keel/errno.h>
#include <keel/string.h>
#include "ctl/crc32.h"
#include "ctl/frame.h"

static const uint8_t magic[4] = {'K', 'C', 'T', 'L'};
static const uint8_t end_marker[4] = {'K', 'E', 'N', 'D'};

static const struct {
    int code;
    const char *name, *text;
} errors[] = {
    {CTL_E_HEADER_CRC, "CTL_E_HEADER_CRC", "bad header checksum"},
    {CTL_E_VERSION, "CTL_E_VERSION", "unsupported protocol version"},
    {CTL_E_FLAGS, "CTL_E_FLAGS", "unknown frame flags"},
    {CTL_E_OVERSIZE, "CTL_E_OVERSIZE", "payload too large"},
    {CTL_E_LENGTH, "CTL_E_LENGTH", "bad length: the frame does not end where its length says"},
    {CTL_E_CRC, "CTL_E_CRC", "bad frame checksum"},
    {CTL_E_MAC, "CTL_E_MAC", "bad MAC: the frame is not signed with this build's key"},
    {CTL_E_TRUNCATED, "CTL_E_TRUNCATED", "truncated frame"},
    {CTL_E_NOBUF, "CTL_E_NOBUF", "no memory for the payload"},
    {CTL_E_UNAUTH, "CTL_E_UNAUTH", "unauthenticated request refused"},
    {CTL_E_NONCE, "CTL_E_NONCE", "stale session: not this boot's nonce (say HELLO again)"},
    {CTL_E_REPLAY, "CTL_E_REPLAY", "replayed or reordered frame"},
    {CTL_E_DIRECTION, "CTL_E_DIRECTION", "frame sent in the wrong direction"},
    {CTL_E_TYPE, "CTL_E_TYPE", "unknown request type"},
    {CTL_E_MALFORMED, "CTL_E_MALFORMED", "malformed request"},
};

const char *ctl_strerror(int code)
{
    for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++)
        if (errors[i].code == code)
            return errors[i].text;
    return NULL;
}

const char *ctl_errname(int code)
{
    for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++)
        if (errors[i].code == code)
            return errors[i].name;
    return NULL;
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void write_header(const struct ctl_header *h, uint32_t len, uint8_t *p)
{
    memcpy(p, magic, 4);
    p[4] = CTL_VERSION;
    p[5] = h->type;
    p[6] = (uint8_t)h->flags;
    p[7] = (uint8_t)(h->flags >> 8);
    put32(p + 8, len);
    put32(p + 12, (uint32_t)h->seq);
    put32(p + 16, (uint32_t)(h->seq >> 32));
    memcpy(p + 20, h->nonce, CTL_NONCE_SIZE);
    put32(p + 36, crc32_update(0, p, 36));
}

static void read_header(const uint8_t *p, struct ctl_header *h)
{
    h->version = p[4];
    h->type = p[5];
    h->flags = (uint16_t)(p[6] | p[7] << 8);
    h->length = get32(p + 8);
    h->seq = (uint64_t)get32(p + 12) | (uint64_t)get32(p + 16) << 32;
    memcpy(h->nonce, p + 20, CTL_NONCE_SIZE);
}

int ctl_encode(const struct ctl_header *h, const void *payload, uint32_t len,
               const uint8_t key[CTL_KEY_SIZE], uint8_t *out, size_t out_size)
{
    bool auth = h && (h->flags & CTL_F_AUTH);
    if (!h || !out || (len && !payload) || (auth && !key))
        return KE_INVAL;
    if (len > CTL_PAYLOAD_MAX || out_size < ctl_frame_size(len, auth))
        return KE_RANGE;
    write_header(h, len, out);
    size_t pos = CTL_HEADER_SIZE;
    if (len)
        memcpy(out + pos, payload, len);
    pos += len;
    if (auth) {
        hmac_sha256(key, CTL_KEY_SIZE, out, pos, out + pos);
        pos += CTL_MAC_SIZE;
    }
    put32(out + pos, crc32_update(0, out, pos));
    memcpy(out + pos + 4, end_marker, 4);
    return (int)(pos + CTL_TRAILER_SIZE);
}

void ctl_decoder_init(struct ctl_decoder *d, const uint8_t *key, uint32_t max_payload)
{
    memset(d, 0, sizeof(*d));
    d->key = key;
    d->max_payload =
        max_payload == 0 || max_payload > CTL_PAYLOAD_MAX ? CTL_PAYLOAD_MAX : max_payload;
}

static void reset(struct ctl_decoder *d)
{
    d->state = CTL_HUNT;
    d->hfill = 0;
    d->buf = NULL;
    d->got = 0;
    d->mfill = 0;
    d->tfill = 0;
}

/* One byte while hunting: extend the partial magic or start over. "KCTL" has no proper prefix
 * that is also a suffix, so after a mismatch only a 'K' can start the next magic. */
static void hunt(struct ctl_decoder *d, uint8_t b)
{
    if (b == magic[d->hfill]) {
        d->hdr[d->hfill++] = b;
        if (d->hfill == sizeof(magic))
            d->state = CTL_IN_HEADER;
        return;
    }
    d->skipped += d->hfill;
    d->hfill = 0;
    if (b == magic[0])
        d->hdr[d->hfill++] = b;
    else
        d->skipped++;
}

/* A refused header: the true frame may start inside it, so its bytes after the first are
 * hunted through again (fewer than a header's worth, so this cannot complete anything). */
static void rescan_header(struct ctl_decoder *d)
{
    uint8_t again[CTL_HEADER_SIZE];
    size_t n = d->hfill - 1;
    memcpy(again, d->hdr + 1, n);
    d->skipped++;
    reset(d);
    for (size_t i = 0; i < n; i++) {
        if (d->state == CTL_HUNT)
            hunt(d, again[i]);
        else
            d->hdr[d->hfill++] = again[i];
    }
}

static int refuse(struct ctl_decoder *d, int code)
{
    d->refused++;
    return code;
}

/* The header is complete: check it. */
static int header_done(struct ctl_decoder *d)
{
    struct ctl_header h;
    d->frame_got = CTL_HEADER_SIZE;
    d->frame_size = CTL_HEADER_SIZE;
    d->header_valid = false;
    if (crc32_update(0, d->hdr, 36) != get32(d->hdr + 36)) {
        rescan_header(d);
        return refuse(d, CTL_E_HEADER_CRC);
    }
    read_header(d->hdr, &h);
    if (h.version != CTL_VERSION) {
        d->header = h;
        rescan_header(d);
        return refuse(d, CTL_E_VERSION);
    }
    if (h.flags & ~CTL_F_KNOWN) {
        d->header = h;
        rescan_header(d);
        return refuse(d, CTL_E_FLAGS);
    }
    d->header = h;
    d->header_valid = true;
    d->frame_size = ctl_frame_size(h.length, h.flags & CTL_F_AUTH);
    if (h.length > d->max_payload) {
        rescan_header(d); /* its payload is not read: the hunt skips it */
        return refuse(d, CTL_E_OVERSIZE);
    }
    d->crc = crc32_update(0, d->hdr, CTL_HEADER_SIZE);
    if (h.flags & CTL_F_AUTH) {
        hmac_sha256_init(&d->hmac, d->key ? d->key : (const uint8_t *)"",
                         d->key ? CTL_KEY_SIZE : 0);
        hmac_sha256_update(&d->hmac, d->hdr, CTL_HEADER_SIZE);
    }
    d->buf = NULL;
    d->got = 0;
    d->state = CTL_IN_PAYLOAD;
    return CTL_DEC_HEADER;
}

/* The trailer is complete: check, in order, the end marker, the checksum and the MAC. */
static int frame_done(struct ctl_decoder *d)
{
    const struct ctl_header *h = &d->header;
    bool auth = h->flags & CTL_F_AUTH;
    uint8_t *buf = d->buf;
    d->frame_got = d->frame_size;
    reset(d);
    if (memcmp(d->trailer + 4, end_marker, 4) != 0)
        return refuse(d, CTL_E_LENGTH);
    if (get32(d->trailer) != d->crc)
        return refuse(d, CTL_E_CRC);
    if (auth) {
        uint8_t want[CTL_MAC_SIZE];
        hmac_sha256_final(&d->hmac, want);
        if (!d->key || !ct_equal(want, d->mac, CTL_MAC_SIZE))
            return refuse(d, CTL_E_MAC);
    }
    if (h->length && !buf)
        return refuse(d, CTL_E_NOBUF);
    d->frames++;
    return CTL_DEC_FRAME;
}

int ctl_decoder_feed(struct ctl_decoder *d, const uint8_t *data, size_t n, size_t *used)
{
    size_t i = 0;
    int r = CTL_DEC_MORE;
    while (i < n && r == CTL_DEC_MORE) {
        switch (d->state) {
        case CTL_HUNT:
            hunt(d, data[i++]);
            break;
        case CTL_IN_HEADER:
            d->hdr[d->hfill++] = data[i++];
            if (d->hfill == CTL_HEADER_SIZE)
                r = header_done(d);
            break;
        case CTL_IN_PAYLOAD: {
            size_t take = d->header.length - d->got;
            if (take > n - i)
                take = n - i;
            if (d->buf)
                memcpy(d->buf + d->got, data + i, take);
            d->crc = crc32_update(d->crc, data + i, take);
            if (d->header.flags & CTL_F_AUTH)
                hmac_sha256_update(&d->hmac, data + i, take);
            d->got += (uint32_t)take;
            i += take;
            break;
        }
        case CTL_IN_MAC:
            d->mac[d->mfill++] = data[i++];
            if (d->mfill == CTL_MAC_SIZE) {
                d->crc = crc32_update(d->crc, d->mac, CTL_MAC_SIZE);
                d->state = CTL_IN_TRAILER;
            }
            break;
        case CTL_IN_TRAILER:
            d->trailer[d->tfill++] = data[i++];
            if (d->tfill == CTL_TRAILER_SIZE)
                r = frame_done(d);
            break;
        }
        /* An empty payload or a finished one moves on without consuming a byte. */
        if (d->state == CTL_IN_PAYLOAD && d->got == d->header.length && r == CTL_DEC_MORE)
            d->state = (d->header.flags & CTL_F_AUTH) ? CTL_IN_MAC : CTL_IN_TRAILER;
    }
    if (used)
        *used = i;
    return r;
}

void ctl_decoder_set_buffer(struct ctl_decoder *d, uint8_t *buf)
{
    if (d->state == CTL_IN_PAYLOAD && d->got == 0)
        d->buf = buf;
}

int ctl_decoder_timeout(struct ctl_decoder *d)
{
    if (d->state == CTL_HUNT) {
        d->skipped += d->hfill;
        d->hfill = 0;
        return 0;
    }
    size_t seen = d->hfill;
    if (d->state != CTL_IN_HEADER)
        seen = CTL_HEADER_SIZE + d->got + d->mfill + d->tfill;
    else
        d->header_valid = false;
    d->frame_got = seen;
    if (d->state == CTL_IN_HEADER)
        d->frame_size = CTL_HEADER_SIZE;
    reset(d);
    return refuse(d, CTL_E_TRUNCATED);
}

bool ctl_decoder_busy(const struct ctl_decoder *d)
{
    return d->state != CTL_HUNT;
}
