/* The control channel's frame codec (cells/ctl/frame.c), replay protection (session.c) and
 * field codec (wire.h): round trips in any piece sizes, resynchronisation after garbage, and
 * every refusal with its own code. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <keel/errno.h>
#include "check.h"
#include "ctl/crc32.h"
#include "ctl/frame.h"
#include "ctl/session.h"
#include "ctl/wire.h"

static const uint8_t key[CTL_KEY_SIZE] = "0123456789abcdef0123456789abcdef";
static const uint8_t other_key[CTL_KEY_SIZE] = "0123456789abcdef0123456789abcdeX";

/* What a decoder run produced. */
struct run {
    int events[16];
    int n;
    struct ctl_header last;
    uint8_t payload[4096];
    uint32_t payload_len;
};

/* Feed data in pieces of `piece` bytes; on a header give the payload buffer (or none). */
static void feed(struct ctl_decoder *d, struct run *r, const uint8_t *data, size_t n, size_t piece,
                 bool give_buffer)
{
    size_t pos = 0;
    while (pos < n) {
        size_t len = n - pos < piece ? n - pos : piece;
        size_t used = 0;
        int ev = ctl_decoder_feed(d, data + pos, len, &used);
        CHECK(used <= len);
        pos += used;
        if (ev == CTL_DEC_MORE) {
            CHECK_EQ_U64(used, len);
            continue;
        }
        if (r->n < 16)
            r->events[r->n++] = ev;
        if (ev == CTL_DEC_HEADER) {
            CHECK(d->header.length <= sizeof(r->payload));
            ctl_decoder_set_buffer(d, give_buffer ? r->payload : NULL);
        } else if (ev == CTL_DEC_FRAME) {
            r->last = d->header;
            r->payload_len = d->header.length;
        }
    }
}

static size_t make(uint8_t *out, size_t cap, uint8_t type, uint16_t flags, uint64_t seq,
                   const void *payload, uint32_t len, const uint8_t *k)
{
    struct ctl_header h = {.type = type, .flags = flags, .seq = seq};
    memset(h.nonce, 0x5a, sizeof(h.nonce));
    int n = ctl_encode(&h, payload, len, k, out, cap);
    CHECK(n > 0);
    return n > 0 ? (size_t)n : 0;
}

static void fix_header_crc(uint8_t *f)
{
    uint32_t c = crc32_update(0, f, 36);
    for (int i = 0; i < 4; i++)
        f[36 + i] = (uint8_t)(c >> (8 * i));
}

static void fix_frame_crc(uint8_t *f, size_t n)
{
    uint32_t c = crc32_update(0, f, n - 8);
    for (int i = 0; i < 4; i++)
        f[n - 8 + i] = (uint8_t)(c >> (8 * i));
}

static void test_round_trip(void)
{
    uint8_t payload[3000], frame[4096];
    for (size_t i = 0; i < sizeof(payload); i++)
        payload[i] = (uint8_t)(i * 31 + 7);
    const uint32_t lens[] = {0, 1, 63, 64, 1000, 3000};
    const size_t pieces[] = {1, 3, 40, 41, 4096};
    for (size_t li = 0; li < sizeof(lens) / sizeof(lens[0]); li++)
        for (int auth = 0; auth < 2; auth++)
            for (size_t pi = 0; pi < sizeof(pieces) / sizeof(pieces[0]); pi++) {
                uint16_t flags = auth ? CTL_F_AUTH : 0;
                size_t n = make(frame, sizeof(frame), 7, flags, 0x1122334455667788ull, payload,
                                lens[li], key);
                CHECK_EQ_U64(n, ctl_frame_size(lens[li], auth));
                struct ctl_decoder d;
                struct run r = {0};
                ctl_decoder_init(&d, key, 0);
                feed(&d, &r, frame, n, pieces[pi], true);
                CHECK_EQ_INT(r.n, 2);
                CHECK_EQ_INT(r.events[0], CTL_DEC_HEADER);
                CHECK_EQ_INT(r.events[1], CTL_DEC_FRAME);
                CHECK_EQ_INT(r.last.type, 7);
                CHECK_EQ_INT(r.last.flags, flags);
                CHECK_EQ_U64(r.last.seq, 0x1122334455667788ull);
                CHECK_EQ_U64(r.payload_len, lens[li]);
                CHECK(memcmp(r.payload, payload, lens[li]) == 0);
                CHECK(r.last.nonce[0] == 0x5a && r.last.nonce[15] == 0x5a);
                CHECK(!ctl_decoder_busy(&d));
                CHECK_EQ_U64(d.frames, 1);
            }
    /* Two frames back to back in one piece: the second is found after the first. */
    size_t a = make(frame, sizeof(frame), 1, CTL_F_AUTH, 1, "one", 3, key);
    size_t b = make(frame + a, sizeof(frame) - a, 2, CTL_F_AUTH, 2, "two!", 4, key);
    struct ctl_decoder d;
    struct run r = {0};
    ctl_decoder_init(&d, key, 0);
    feed(&d, &r, frame, a + b, sizeof(frame), true);
    CHECK_EQ_INT(r.n, 4);
    CHECK_EQ_INT(r.events[3], CTL_DEC_FRAME);
    CHECK_EQ_INT(r.last.type, 2);
    CHECK(memcmp(r.payload, "two!", 4) == 0);
}

static void test_resync(void)
{
    uint8_t buf[512];
    /* Garbage with partial magics, then a frame. */
    const char *junk = "xxKCKCTKKCTxK\0\xffKC";
    size_t j = 18;
    memcpy(buf, junk, j);
    size_t n = make(buf + j, sizeof(buf) - j, 2, CTL_F_AUTH, 9, "ping", 4, key);
    for (size_t piece = 1; piece <= 64; piece *= 4) {
        struct ctl_decoder d;
        struct run r = {0};
        ctl_decoder_init(&d, key, 0);
        feed(&d, &r, buf, j + n, piece, true);
        CHECK_EQ_INT(r.n, 2);
        CHECK_EQ_INT(r.events[1], CTL_DEC_FRAME);
        CHECK_EQ_U64(r.last.seq, 9);
        CHECK_EQ_U64(d.skipped, j);
    }
    /* A false start: "KCTL" and junk whose 40-byte "header" swallows the start of a real frame,
     * which the rescan of the refused header finds again. */
    memcpy(buf, "KCTL\x01\x02\x03\x04\x05\x06", 10);
    n = make(buf + 10, sizeof(buf) - 10, 3, CTL_F_AUTH, 11, "hello", 5, key);
    struct ctl_decoder d;
    struct run r = {0};
    ctl_decoder_init(&d, key, 0);
    feed(&d, &r, buf, 10 + n, 1, true);
    CHECK_EQ_INT(r.n, 3);
    CHECK_EQ_INT(r.events[0], CTL_E_HEADER_CRC);
    CHECK_EQ_INT(r.events[2], CTL_DEC_FRAME);
    CHECK_EQ_U64(r.last.seq, 11);
    CHECK(!d.header_valid || d.header.seq == 11);
    CHECK_EQ_U64(d.refused, 1);
}

static void test_truncated(void)
{
    uint8_t frame[256];
    size_t n = make(frame, sizeof(frame), 2, CTL_F_AUTH, 5, "0123456789", 10, key);
    struct ctl_decoder d;
    struct run r = {0};
    ctl_decoder_init(&d, key, 0);
    CHECK_EQ_INT(ctl_decoder_timeout(&d), 0); /* idle: nothing to refuse */
    feed(&d, &r, (const uint8_t *)"KC", 2, 2, true);
    CHECK(!ctl_decoder_busy(&d));
    CHECK_EQ_INT(ctl_decoder_timeout(&d), 0); /* a partial magic is just garbage */
    feed(&d, &r, frame, n - 20, 7, true);
    CHECK(ctl_decoder_busy(&d));
    CHECK_EQ_INT(ctl_decoder_timeout(&d), CTL_E_TRUNCATED);
    CHECK_EQ_U64(d.frame_got, n - 20);
    CHECK_EQ_U64(d.frame_size, n);
    CHECK(d.header_valid && d.header.seq == 5);
    CHECK(!ctl_decoder_busy(&d));
    /* Truncated inside the header. */
    feed(&d, &r, frame, 12, 12, true);
    CHECK_EQ_INT(ctl_decoder_timeout(&d), CTL_E_TRUNCATED);
    CHECK_EQ_U64(d.frame_got, 12);
    CHECK(!d.header_valid);
    /* And the next frame decodes. */
    memset(&r, 0, sizeof(r));
    feed(&d, &r, frame, n, 5, true);
    CHECK_EQ_INT(r.n, 2);
    CHECK_EQ_INT(r.events[1], CTL_DEC_FRAME);
}

/* Decode one (possibly damaged) frame and a good one after it; returns the first frame's
 * verdict and checks the good one still gets through. */
static int verdict(const uint8_t *frame, size_t n, const uint8_t *k, uint32_t max, bool buffer)
{
    uint8_t buf[1024];
    CHECK(n + 100 <= sizeof(buf));
    memcpy(buf, frame, n);
    size_t m = make(buf + n, sizeof(buf) - n, 2, CTL_F_AUTH, 77, "ok", 2, k ? k : key);
    struct ctl_decoder d;
    struct run r = {0};
    ctl_decoder_init(&d, k, max);
    feed(&d, &r, buf, n, 3, buffer);
    int first = r.n ? r.events[r.n - 1] : CTL_DEC_MORE;
    memset(&r, 0, sizeof(r));
    feed(&d, &r, buf + n, m, 3, true);
    if (k) {
        CHECK(r.n >= 2 && r.events[r.n - 1] == CTL_DEC_FRAME && r.last.seq == 77);
    }
    return first;
}

static void test_refusals(void)
{
    uint8_t f[512], g[512];
    const char *p = "payload bytes";
    size_t n = make(f, sizeof(f), 3, CTL_F_AUTH, 42, p, 13, key);
    CHECK_EQ_INT(verdict(f, n, key, 0, true), CTL_DEC_FRAME);

    /* Header checksum: any header byte changed. */
    memcpy(g, f, n);
    g[12] ^= 1;
    CHECK_EQ_INT(verdict(g, n, key, 0, true), CTL_E_HEADER_CRC);
    /* Frame checksum: a payload byte, or the checksum itself. */
    memcpy(g, f, n);
    g[CTL_HEADER_SIZE + 3] ^= 0x10;
    CHECK_EQ_INT(verdict(g, n, key, 0, true), CTL_E_CRC);
    memcpy(g, f, n);
    g[n - 8] ^= 0x80;
    CHECK_EQ_INT(verdict(g, n, key, 0, true), CTL_E_CRC);
    /* MAC: a payload byte changed and the checksum redone (so only the MAC can tell); a MAC
     * byte changed; another key; no key at all. */
    memcpy(g, f, n);
    g[CTL_HEADER_SIZE] ^= 1;
    fix_frame_crc(g, n);
    CHECK_EQ_INT(verdict(g, n, key, 0, true), CTL_E_MAC);
    memcpy(g, f, n);
    g[CTL_HEADER_SIZE + 13 + 5] ^= 4;
    fix_frame_crc(g, n);
    CHECK_EQ_INT(verdict(g, n, key, 0, true), CTL_E_MAC);
    CHECK_EQ_INT(verdict(f, n, other_key, 0, true), CTL_E_MAC);
    CHECK_EQ_INT(verdict(f, n, NULL, 0, true), CTL_E_MAC);
    /* A header field changed with its checksum redone: the MAC covers the header too. */
    memcpy(g, f, n);
    g[12] ^= 1; /* the sequence number */
    fix_header_crc(g);
    fix_frame_crc(g, n);
    CHECK_EQ_INT(verdict(g, n, key, 0, true), CTL_E_MAC);
    /* Length: says one byte less than the payload has (header checksum redone). */
    memcpy(g, f, n);
    g[8] = 12;
    fix_header_crc(g);
    CHECK_EQ_INT(verdict(g, n, key, 0, true), CTL_E_LENGTH);
    /* Oversize: refused at the header, before any payload arrives. */
    memcpy(g, f, n);
    g[8] = 0;
    g[9] = 0;
    g[10] = 0x20; /* 2 MiB */
    fix_header_crc(g);
    CHECK_EQ_INT(verdict(g, CTL_HEADER_SIZE, key, 0, true), CTL_E_OVERSIZE);
    CHECK_EQ_INT(verdict(f, n, key, 12, true), CTL_E_OVERSIZE); /* a lower limit */
    CHECK_EQ_INT(verdict(f, n, key, 13, true), CTL_DEC_FRAME);
    /* Version and flags. */
    memcpy(g, f, n);
    g[4] = 2;
    fix_header_crc(g);
    CHECK_EQ_INT(verdict(g, n, key, 0, true), CTL_E_VERSION);
    memcpy(g, f, n);
    g[7] = 0x80;
    fix_header_crc(g);
    CHECK_EQ_INT(verdict(g, n, key, 0, true), CTL_E_FLAGS);
    /* No buffer for the payload: consumed, then refused. */
    CHECK_EQ_INT(verdict(f, n, key, 0, false), CTL_E_NOBUF);
    /* Unauthenticated frames decode; the session decides about them. */
    n = make(f, sizeof(f), 1, 0, 0, "x", 1, NULL);
    CHECK_EQ_INT(verdict(f, n, key, 0, true), CTL_DEC_FRAME);

    /* Every refusal has its own code, name and message. */
    const int codes[] = {CTL_E_HEADER_CRC, CTL_E_VERSION, CTL_E_FLAGS,    CTL_E_OVERSIZE,
                         CTL_E_LENGTH,     CTL_E_CRC,     CTL_E_MAC,      CTL_E_TRUNCATED,
                         CTL_E_NOBUF,      CTL_E_UNAUTH,  CTL_E_NONCE,    CTL_E_REPLAY,
                         CTL_E_DIRECTION,  CTL_E_TYPE,    CTL_E_MALFORMED};
    size_t nc = sizeof(codes) / sizeof(codes[0]);
    for (size_t i = 0; i < nc; i++) {
        CHECK(ctl_strerror(codes[i]) != NULL);
        CHECK(ctl_errname(codes[i]) != NULL);
        CHECK(codes[i] < -(int)20); /* below every KE_* code */
        for (size_t k = 0; k < i; k++) {
            CHECK(codes[i] != codes[k]);
            CHECK(strcmp(ctl_strerror(codes[i]), ctl_strerror(codes[k])) != 0);
        }
    }
    CHECK(ctl_strerror(KE_NOMEM) == NULL);
    CHECK(ctl_strerror(0) == NULL);
    CHECK_EQ_STR(ctl_errname(CTL_E_MAC), "CTL_E_MAC");
}

static void test_encode_errors(void)
{
    uint8_t out[128];
    struct ctl_header h = {.type = 1, .flags = CTL_F_AUTH};
    CHECK_EQ_INT(ctl_encode(&h, "x", 1, NULL, out, sizeof(out)), KE_INVAL); /* auth, no key */
    CHECK_EQ_INT(ctl_encode(&h, NULL, 1, key, out, sizeof(out)), KE_INVAL);
    CHECK_EQ_INT(ctl_encode(NULL, "x", 1, key, out, sizeof(out)), KE_INVAL);
    CHECK_EQ_INT(ctl_encode(&h, "x", 1, key, out, ctl_frame_size(1, true) - 1), KE_RANGE);
    CHECK_EQ_INT(ctl_encode(&h, "x", 1, key, out, ctl_frame_size(1, true)),
                 (int)ctl_frame_size(1, true));
    CHECK_EQ_INT(ctl_encode(&h, out, CTL_PAYLOAD_MAX + 1, key, out, sizeof(out)), KE_RANGE);
    h.flags = 0;
    CHECK_EQ_INT(ctl_encode(&h, NULL, 0, NULL, out, sizeof(out)), (int)ctl_frame_size(0, false));
    CHECK(memcmp(out, "KCTL", 4) == 0 && out[4] == CTL_VERSION);
    CHECK(memcmp(out + ctl_frame_size(0, false) - 4, "KEND", 4) == 0);
}

static void test_session(void)
{
    uint8_t nonce[CTL_NONCE_SIZE], other[CTL_NONCE_SIZE];
    memset(nonce, 0x11, sizeof(nonce));
    memset(other, 0x11, sizeof(other));
    other[15] = 0x12;
    struct ctl_session s;
    ctl_session_init(&s, nonce);
    CHECK_EQ_U64(ctl_session_next_seq(&s), 1);
    struct ctl_header h = {.type = CTL_T_HELLO, .flags = 0, .seq = 0};
    CHECK_EQ_INT(ctl_session_accept(&s, &h), 0); /* HELLO needs no MAC and no sequence */
    CHECK_EQ_U64(ctl_session_next_seq(&s), 1);
    h.type = CTL_T_PING;
    memcpy(h.nonce, nonce, sizeof(nonce));
    h.seq = 1;
    CHECK_EQ_INT(ctl_session_accept(&s, &h), CTL_E_UNAUTH);
    h.flags = CTL_F_AUTH;
    memcpy(h.nonce, other, sizeof(other));
    CHECK_EQ_INT(ctl_session_accept(&s, &h), CTL_E_NONCE);
    memcpy(h.nonce, nonce, sizeof(nonce));
    h.flags = CTL_F_AUTH | CTL_F_REPLY;
    CHECK_EQ_INT(ctl_session_accept(&s, &h), CTL_E_DIRECTION);
    h.flags = CTL_F_AUTH;
    h.seq = 0;
    CHECK_EQ_INT(ctl_session_accept(&s, &h), CTL_E_REPLAY); /* 0 is never above anything */
    CHECK_EQ_U64(s.last_seq, 0);                            /* refusals change nothing */
    h.seq = 5;
    CHECK_EQ_INT(ctl_session_accept(&s, &h), 0);
    CHECK_EQ_U64(ctl_session_next_seq(&s), 6);
    CHECK_EQ_INT(ctl_session_accept(&s, &h), CTL_E_REPLAY); /* the same frame again */
    h.seq = 4;
    CHECK_EQ_INT(ctl_session_accept(&s, &h), CTL_E_REPLAY); /* reordered */
    h.seq = 7;
    CHECK_EQ_INT(ctl_session_accept(&s, &h), 0); /* gaps are fine */
    h.seq = 6;
    CHECK_EQ_INT(ctl_session_accept(&s, &h), CTL_E_REPLAY);
    CHECK_EQ_U64(s.last_seq, 7);
    CHECK_EQ_U64(s.accepted, 3);
    CHECK_EQ_U64(s.refused, 7);
    /* HELLO may be authenticated, and still does not consume a sequence number. */
    h.type = CTL_T_HELLO;
    h.seq = 100;
    CHECK_EQ_INT(ctl_session_accept(&s, &h), 0);
    CHECK_EQ_U64(s.last_seq, 7);
}

static void test_wire(void)
{
    uint8_t buf[64];
    struct ctl_wr w;
    ctl_wr_init(&w, buf, sizeof(buf));
    ctl_wr_u8(&w, 0xab);
    ctl_wr_u16(&w, 0x1234);
    ctl_wr_u32(&w, 0xdeadbeef);
    ctl_wr_u64(&w, 0x0102030405060708ull);
    ctl_wr_str(&w, "cell");
    ctl_wr_blob(&w, "xyz", 3);
    CHECK(!w.overflow);
    CHECK_EQ_U64(w.len, 1 + 2 + 4 + 8 + 2 + 4 + 4 + 3);
    CHECK(buf[1] == 0x34 && buf[2] == 0x12); /* little-endian */
    struct ctl_rd r;
    ctl_rd_init(&r, buf, w.len);
    CHECK_EQ_INT(ctl_rd_u8(&r), 0xab);
    CHECK_EQ_INT(ctl_rd_u16(&r), 0x1234);
    CHECK_EQ_U64(ctl_rd_u32(&r), 0xdeadbeef);
    CHECK_EQ_U64(ctl_rd_u64(&r), 0x0102030405060708ull);
    char s[8];
    ctl_rd_str(&r, s, sizeof(s));
    CHECK_EQ_STR(s, "cell");
    uint32_t n;
    const uint8_t *blob = ctl_rd_blob(&r, &n);
    CHECK(blob && n == 3 && memcmp(blob, "xyz", 3) == 0);
    CHECK(ctl_rd_done(&r));
    CHECK_EQ_INT(ctl_rd_u8(&r), 0); /* past the end */
    CHECK(r.bad && !ctl_rd_done(&r));
    /* A string that does not fit the destination, or holds a NUL. */
    ctl_rd_init(&r, buf + 15, 6);
    char tiny[4];
    ctl_rd_str(&r, tiny, sizeof(tiny));
    CHECK(r.bad && tiny[0] == 0);
    uint8_t nul[] = {3, 0, 'a', 0, 'b'};
    ctl_rd_init(&r, nul, sizeof(nul));
    ctl_rd_str(&r, s, sizeof(s));
    CHECK(r.bad);
    /* A blob longer than what is left. */
    uint8_t big[] = {0xff, 0xff, 0xff, 0xff, 1, 2};
    ctl_rd_init(&r, big, sizeof(big));
    CHECK(ctl_rd_blob(&r, &n) == NULL && n == 0 && r.bad);
    /* Writing past the end sets overflow and writes nothing more. */
    ctl_wr_init(&w, buf, 5);
    ctl_wr_u32(&w, 1);
    ctl_wr_u32(&w, 2);
    CHECK(w.overflow);
    CHECK_EQ_U64(w.len, 4);
}

int main(void)
{
    test_round_trip();
    test_resync();
    test_truncated();
    test_refusals();
    test_encode_errors();
    test_session();
    test_wire();
    return check_report("ctl_frame_test");
}
