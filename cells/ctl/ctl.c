/* ctl: the control channel (docs/control-channel.md). A service task polls COM2 for frames from
 * the host tool keelctl, checks them (frame.c: checksums, MAC; session.c: nonce and sequence),
 * carries out the request (ops.c) and answers with an authenticated reply. A bad frame gets an
 * error reply and changes nothing.
 *
 * Polling is adaptive: QEMU's UART takes only 16 bytes until the guest reads them, so while
 * bytes flow the task reads on, yielding between empty polls, for ACTIVE_NS after the last byte;
 * when the line is idle it sleeps IDLE_SLEEP_NS between polls: two ticks of the default 100 Hz
 * timer, so that a swap of this cell, which retries its quiescence check every tick, finds the
 * task parked in its sleep rather than just woken from it. */
#include <keel/cell.h>
#include <keel/clock.h>
#include <keel/errno.h>
#include <keel/format.h>
#include <keel/kmalloc.h>
#include <keel/log.h>
#include <keel/string.h>
#include <keel/task.h>
#include "ctl/frame.h"
#include "ctl/ops.h"
#include "ctl/session.h"
#include "ctl/sha256.h"
#include "ctl/uart.h"
#include "ctl/wire.h"
#include "ctl_key.h" /* generated from build/ctl.key: static const uint8_t ctl_key[32] */

#define ACTIVE_NS        (50ull * 1000 * 1000)
#define IDLE_SLEEP_NS    (20ull * 1000 * 1000)
#define FRAME_TIMEOUT_NS (1000ull * 1000 * 1000) /* silence inside a frame: truncated */
#define WRITE_TIMEOUT_NS (2000ull * 1000 * 1000)
#define MSG_ROOM         (4 + 2 + CTL_MSG_MAX) /* status and message, before the body */

_Static_assert(sizeof(ctl_key) == CTL_KEY_SIZE, "the build key is 32 bytes");

/* The session survives a swap of this cell: a new version must not accept old frames again. */
static struct ctl_state {
    struct ctl_session session;
    uint32_t started;
} state;

static volatile task_id_t server;
static volatile int stopping;

struct server {
    struct ctl_decoder dec;
    uint8_t *rx;    /* the payload of the frame being received */
    uint8_t *out;   /* MSG_ROOM + CTL_REPLY_MAX: reply payload, assembled in place */
    uint8_t *frame; /* the encoded reply */
    size_t frame_cap;
};

/* Send status, msg and the body_len bytes already at out + MSG_ROOM as one reply frame. */
static void send_reply(struct server *sv, uint8_t type, uint64_t seq, int status, const char *msg,
                       size_t body_len)
{
    size_t mlen = strnlen(msg, CTL_MSG_MAX - 1);
    size_t prefix = 4 + 2 + mlen;
    uint8_t *p = sv->out + MSG_ROOM - prefix;
    struct ctl_wr w;
    ctl_wr_init(&w, p, prefix);
    ctl_wr_u32(&w, (uint32_t)status);
    ctl_wr_strn(&w, msg, mlen);
    struct ctl_header h = {.type = type, .flags = CTL_F_AUTH | CTL_F_REPLY, .seq = seq};
    memcpy(h.nonce, state.session.nonce, CTL_NONCE_SIZE);
    int n = ctl_encode(&h, p, (uint32_t)(prefix + body_len), ctl_key, sv->frame, sv->frame_cap);
    if (n < 0 || !ctl_uart_write(sv->frame, (size_t)n, WRITE_TIMEOUT_NS))
        log_debug("ctl: reply of type 0x%x not sent (%d)", type, n);
}

/* A frame the decoder refused: say why, with what is known of it. */
static void frame_error(struct server *sv, int code)
{
    const struct ctl_decoder *d = &sv->dec;
    const struct ctl_header *h = &d->header;
    char msg[CTL_MSG_MAX];
    switch (code) {
    case CTL_E_VERSION:
        ksnprintf(msg, sizeof(msg), "unsupported protocol version %u (this guest speaks %u)",
                  h->version, CTL_VERSION);
        break;
    case CTL_E_FLAGS:
        ksnprintf(msg, sizeof(msg), "unknown frame flags 0x%x", h->flags);
        break;
    case CTL_E_OVERSIZE:
        ksnprintf(msg, sizeof(msg),
                  "payload too large: %u bytes, the limit is %u (objects: at most %u bytes)",
                  h->length, CTL_PAYLOAD_MAX, CTL_OBJECT_MAX);
        break;
    case CTL_E_LENGTH:
        ksnprintf(msg, sizeof(msg),
                  "bad length: frame of type %u does not end where its length (%u) says", h->type,
                  h->length);
        break;
    case CTL_E_CRC:
        ksnprintf(msg, sizeof(msg), "bad frame checksum (frame of type %u, %u payload bytes)",
                  h->type, h->length);
        break;
    case CTL_E_TRUNCATED:
        ksnprintf(msg, sizeof(msg), "truncated frame: %zu of %zu bytes, then nothing for %llu ms",
                  d->frame_got, d->frame_size, (unsigned long long)(FRAME_TIMEOUT_NS / 1000000));
        break;
    case CTL_E_NOBUF:
        ksnprintf(msg, sizeof(msg), "no memory for a payload of %u bytes", h->length);
        break;
    default:
        ksnprintf(msg, sizeof(msg), "%s", ctl_strerror(code) ? ctl_strerror(code) : "bad frame");
    }
    log_debug("ctl: refused a frame: %s", msg);
    send_reply(sv, CTL_T_ERROR | CTL_T_REPLY_BIT, d->header_valid ? h->seq : 0, code, msg, 0);
}

static void session_error(char *msg, size_t size, int code, const struct ctl_header *h)
{
    switch (code) {
    case CTL_E_UNAUTH:
        ksnprintf(msg, size,
                  "unauthenticated request (type %u) refused: every request but "
                  "HELLO needs a MAC",
                  h->type);
        break;
    case CTL_E_REPLAY:
        ksnprintf(msg, size,
                  "replayed or reordered frame: sequence number %llu is not above the last one "
                  "accepted (%llu)",
                  (unsigned long long)h->seq, (unsigned long long)state.session.last_seq);
        break;
    default:
        ksnprintf(msg, size, "%s", ctl_strerror(code) ? ctl_strerror(code) : "refused");
    }
}

static void handle_frame(struct server *sv)
{
    const struct ctl_header h = sv->dec.header;
    char msg[CTL_MSG_MAX];
    struct ctl_wr body;
    ctl_wr_init(&body, sv->out + MSG_ROOM, CTL_REPLY_MAX);
    int r = ctl_session_accept(&state.session, &h);
    if (r) {
        session_error(msg, sizeof(msg), r, &h);
        log_debug("ctl: refused a request: %s", msg);
    } else {
        r = ctl_ops_handle(&state.session, &h, sv->rx, &body, msg, sizeof(msg));
        if (body.overflow) {
            r = KE_RANGE;
            ksnprintf(msg, sizeof(msg), "the reply does not fit in %u bytes", CTL_REPLY_MAX);
        }
    }
    send_reply(sv, (uint8_t)(h.type | CTL_T_REPLY_BIT), h.seq, r, msg,
               r && body.overflow ? 0 : body.len);
}

static void drop_rx(struct server *sv)
{
    kfree(sv->rx);
    sv->rx = NULL;
}

static void feed(struct server *sv, const uint8_t *p, size_t n)
{
    while (n) {
        size_t used;
        int r = ctl_decoder_feed(&sv->dec, p, n, &used);
        p += used;
        n -= used;
        if (r == CTL_DEC_HEADER) {
            drop_rx(sv);
            if (sv->dec.header.length)
                sv->rx = kmalloc(sv->dec.header.length); /* NULL: CTL_E_NOBUF at the end */
            ctl_decoder_set_buffer(&sv->dec, sv->rx);
        } else if (r == CTL_DEC_FRAME) {
            handle_frame(sv);
            drop_rx(sv);
        } else if (r < 0) {
            frame_error(sv, r);
            drop_rx(sv);
        }
    }
}

/* The server's buffers outlive one run of its task: a swap of this cell ends the parked service
 * task and starts it again from the new version (same task, so the same heap owner), which finds
 * them here, carried by name, instead of leaving them behind. */
static struct server srv;

static int server_main(const void *arg, void *ret)
{
    server = task_self();
    struct server *sv = &srv;
    sv->frame_cap = ctl_frame_size(MSG_ROOM + CTL_REPLY_MAX, true);
    if (!sv->out)
        sv->out = kmalloc(MSG_ROOM + CTL_REPLY_MAX);
    if (!sv->frame)
        sv->frame = kmalloc(sv->frame_cap);
    if (!sv->out || !sv->frame) {
        log_err("ctl: no memory for the reply buffers; control channel off");
        kfree(sv->out);
        kfree(sv->frame);
        sv->out = sv->frame = NULL;
        return KE_NOMEM;
    }
    /* A frame half received when the task was re-spawned is dropped (the host times out); the
     * decoder is set up again so that it points at this version's key. */
    drop_rx(sv);
    ctl_decoder_init(&sv->dec, ctl_key, CTL_PAYLOAD_MAX);
    uint64_t last_rx = clock_ns();
    uint8_t chunk[256];
    while (!stopping) {
        size_t n = ctl_uart_read(chunk, sizeof(chunk));
        if (n) {
            feed(sv, chunk, n);
            last_rx = clock_ns(); /* after the work: a long request is not silence */
            continue;
        }
        uint64_t quiet = clock_ns() - last_rx;
        if (ctl_decoder_busy(&sv->dec) && quiet > FRAME_TIMEOUT_NS) {
            int r = ctl_decoder_timeout(&sv->dec);
            if (r)
                frame_error(sv, r);
            drop_rx(sv);
        }
        if (quiet < ACTIVE_NS)
            task_yield();
        else if (task_sleep_ns(IDLE_SLEEP_NS)) /* KE_KILLED: the cell is going */
            break;
    }
    drop_rx(sv);
    kfree(sv->out);
    kfree(sv->frame);
    sv->out = sv->frame = NULL;
    return 0;
}

static inline void cpuid(uint32_t leaf, uint32_t r[4])
{
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(0));
}

/* The boot nonce: RDRAND when the CPU has it, mixed with TSC timing noise, through SHA-256. */
static void make_nonce(uint8_t nonce[CTL_NONCE_SIZE])
{
    struct {
        uint64_t tsc0, ns, jitter, rnd[4], tsc1;
    } seed = {.tsc0 = clock_tsc(), .ns = clock_ns()};
    uint32_t r[4];
    cpuid(1, r);
    if (r[2] & (1u << 30)) {
        for (int i = 0; i < 4; i++) {
            unsigned char ok = 0;
            for (int tries = 0; tries < 10 && !ok; tries++)
                __asm__ volatile("rdrand %0; setc %1" : "=r"(seed.rnd[i]), "=qm"(ok));
        }
    }
    seed.jitter = ctl_uart_jitter();
    seed.tsc1 = clock_tsc();
    uint8_t digest[SHA256_DIGEST_SIZE];
    sha256(&seed, sizeof(seed), digest);
    memcpy(nonce, digest, CTL_NONCE_SIZE);
}

static int ctl_init(void)
{
    if (!state.started) { /* a swapped-in version carries the running session */
        uint8_t nonce[CTL_NONCE_SIZE];
        make_nonce(nonce);
        ctl_session_init(&state.session, nonce);
        state.started = 1;
    }
    if (!ctl_uart_init()) {
        log_debug("ctl: no UART at COM2 (0x%x); control channel off", CTL_UART_BASE);
        return 0;
    }
    stopping = 0;
    struct task_spec spec = {.name = "ctl",
                             .entry = server_main,
                             .flags = TASK_DETACHED | TASK_SERVICE,
                             .stack_pages = 8};
    task_id_t id;
    int err = task_spawn(&spec, &id);
    if (err)
        return err;
    server = id;
    uint8_t kid[SHA256_DIGEST_SIZE];
    sha256(ctl_key, sizeof(ctl_key), kid);
    log_info("ctl: control channel on COM2 (protocol %u, key id %02x%02x%02x%02x)",
             CTL_PROTO_VERSION, kid[0], kid[1], kid[2], kid[3]);
    return 0;
}

/* The service task pins this cell, so an unload gets here only after it has ended. */
static void ctl_exit(void)
{
    stopping = 1;
    if (server)
        task_kill(server);
    server = 0;
}

KEEL_CELL(.name = "ctl", .version = KEEL_CELL_VERSION, .init = ctl_init, .exit = ctl_exit,
          .state = &state, .state_size = sizeof(state), .state_version = 1);
