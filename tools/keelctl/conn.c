/* keelctl's conversation with the guest: a unix socket that QEMU connects to COM2, the HELLO
 * handshake that learns the guest's boot nonce and next sequence number, and authenticated
 * request/reply exchanges. Replies are checked like requests: MAC, reply flag, nonce and
 * sequence number; anything else on the line is skipped. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "conn.h"
#include "ctl/sha256.h"

#ifndef KEELCTL_BUILD_DIR
#define KEELCTL_BUILD_DIR "build"
#endif

const char *keelctl_build_dir(void)
{
    return KEELCTL_BUILD_DIR;
}

void key_id(const uint8_t key[CTL_KEY_SIZE], char out[9])
{
    uint8_t d[SHA256_DIGEST_SIZE];
    sha256(key, CTL_KEY_SIZE, d);
    snprintf(out, 9, "%02x%02x%02x%02x", d[0], d[1], d[2], d[3]);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int conn_load_key(struct conn *c, const char *path, char *err)
{
    const char *from = "--key";
    if (!path || !*path) {
        path = getenv("KEEL_CTL_KEY");
        from = "$KEEL_CTL_KEY";
    }
    if (!path || !*path) {
        snprintf(c->key_path, sizeof(c->key_path), "%s/ctl.key", KEELCTL_BUILD_DIR);
        path = c->key_path;
        from = "the build's key";
    } else {
        snprintf(c->key_path, sizeof(c->key_path), "%s", path);
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, ERR_MAX,
                 "cannot read the key %s (%s): %s\n(give --key FILE or set KEEL_CTL_KEY; the "
                 "build writes its key to <build>/ctl.key)",
                 path, from, strerror(errno));
        return EXIT_COMM;
    }
    uint8_t buf[CTL_KEY_SIZE + 1];
    size_t n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    if (n != CTL_KEY_SIZE) {
        snprintf(err, ERR_MAX, "key file %s holds %s%zu bytes; a key is exactly %d bytes", path,
                 n > CTL_KEY_SIZE ? "more than " : "", n > CTL_KEY_SIZE ? (size_t)CTL_KEY_SIZE : n,
                 CTL_KEY_SIZE);
        return EXIT_COMM;
    }
    memcpy(c->key, buf, CTL_KEY_SIZE);
    return EXIT_OK;
}

void reply_free(struct reply *rep)
{
    free(rep->payload);
    rep->payload = NULL;
}

void conn_close(struct conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    free(c->rx);
    c->rx = NULL;
}

int conn_send_raw(struct conn *c, const void *bytes, size_t n, char *err)
{
    const uint8_t *p = bytes;
    int64_t deadline = now_ms() + c->timeout_ms;
    while (n) {
        ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w > 0) {
            p += w;
            n -= (size_t)w;
            continue;
        }
        if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            snprintf(err, ERR_MAX, "writing to the control socket: %s", strerror(errno));
            return EXIT_COMM;
        }
        int left = (int)(deadline - now_ms());
        if (left <= 0) {
            snprintf(err, ERR_MAX,
                     "the guest stopped reading the control channel (%zu bytes "
                     "not sent after %d ms)",
                     n, c->timeout_ms);
            return EXIT_COMM;
        }
        struct pollfd pfd = {.fd = c->fd, .events = POLLOUT};
        poll(&pfd, 1, left);
    }
    return EXIT_OK;
}

uint8_t *conn_frame(struct conn *c, uint8_t type, uint16_t flags, uint64_t seq, const void *payload,
                    uint32_t len, const uint8_t *key, size_t *size)
{
    struct ctl_header h = {.type = type, .flags = flags, .seq = seq};
    memcpy(h.nonce, c->nonce, CTL_NONCE_SIZE);
    size_t cap = ctl_frame_size(len, true);
    uint8_t *f = malloc(cap);
    if (!f)
        return NULL;
    int n = ctl_encode(&h, payload, len, key, f, cap);
    if (n < 0) {
        free(f);
        return NULL;
    }
    *size = (size_t)n;
    return f;
}

/* A decoded frame as a reply: split off status and message. */
static bool parse_reply(struct conn *c, struct reply *rep, char *why, size_t why_size)
{
    const struct ctl_header *h = &c->dec.header;
    if (!(h->flags & CTL_F_REPLY)) {
        snprintf(why, why_size, "a frame without the reply flag");
        return false;
    }
    if (!(h->flags & CTL_F_AUTH)) {
        snprintf(why, why_size, "an unauthenticated reply");
        return false;
    }
    memset(rep, 0, sizeof(*rep));
    rep->type = h->type;
    rep->seq = h->seq;
    rep->payload = c->rx;
    rep->len = h->length;
    c->rx = NULL;
    struct ctl_rd *rd = &rep->body;
    ctl_rd_init(rd, rep->payload, rep->len);
    rep->status = (int32_t)ctl_rd_u32(rd);
    uint16_t mlen = ctl_rd_u16(rd);
    const uint8_t *m = ctl_rd_take(rd, mlen);
    if (rd->bad) {
        snprintf(why, why_size, "a reply without status and message");
        reply_free(rep);
        return false;
    }
    size_t keep = mlen < sizeof(rep->msg) - 1 ? mlen : sizeof(rep->msg) - 1;
    memcpy(rep->msg, m, keep);
    rep->msg[keep] = 0;
    return true;
}

int conn_wait(struct conn *c, uint8_t want, uint64_t seq, int timeout_ms, struct reply *rep,
              char *err)
{
    int64_t deadline = now_ms() + timeout_ms;
    char last_problem[200] = "";
    uint8_t buf[65536];
    for (;;) {
        int left = (int)(deadline - now_ms());
        if (left <= 0)
            break;
        struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
        int pr = poll(&pfd, 1, left);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr <= 0)
            break;
        ssize_t n = recv(c->fd, buf, sizeof(buf), 0);
        if (n == 0) {
            snprintf(err, ERR_MAX, "the control socket was closed (QEMU exited?)");
            return EXIT_COMM;
        }
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            snprintf(err, ERR_MAX, "reading the control socket: %s", strerror(errno));
            return EXIT_COMM;
        }
        size_t pos = 0;
        while (pos < (size_t)n) {
            size_t used;
            int r = ctl_decoder_feed(&c->dec, buf + pos, (size_t)n - pos, &used);
            pos += used;
            if (r == CTL_DEC_HEADER) {
                free(c->rx);
                c->rx = malloc(c->dec.header.length ? c->dec.header.length : 1);
                ctl_decoder_set_buffer(&c->dec, c->rx);
            } else if (r < 0) {
                snprintf(last_problem, sizeof(last_problem), "%s", ctl_strerror(r));
                if (c->verbose)
                    fprintf(stderr, "keelctl: skipped a bad frame from the guest: %s\n",
                            last_problem);
            } else if (r == CTL_DEC_FRAME) {
                char why[100];
                if (!parse_reply(c, rep, why, sizeof(why))) {
                    snprintf(last_problem, sizeof(last_problem), "%s", why);
                    continue;
                }
                bool session = memcmp(c->dec.header.nonce, c->nonce, CTL_NONCE_SIZE) == 0 ||
                               want == (CTL_T_HELLO | CTL_T_REPLY_BIT);
                bool error_reply = rep->type == (CTL_T_ERROR | CTL_T_REPLY_BIT) &&
                                   (rep->seq == seq || rep->seq == 0);
                if (session && ((rep->type == want && rep->seq == seq) || error_reply))
                    return EXIT_OK;
                if (c->verbose)
                    fprintf(stderr, "keelctl: skipped an unrelated reply (type 0x%x, seq %llu)\n",
                            rep->type, (unsigned long long)rep->seq);
                reply_free(rep);
            }
        }
    }
    char id[9];
    key_id(c->key, id);
    if (strstr(last_problem, "MAC"))
        snprintf(err, ERR_MAX,
                 "the guest's replies do not verify with the key %s (key id %s): does the guest "
                 "run the build this key belongs to?",
                 c->key_path, id);
    else
        snprintf(err, ERR_MAX,
                 "no answer from the guest within %d ms%s%s (is the ctl cell running? is another "
                 "keelctl connected?)",
                 timeout_ms, last_problem[0] ? "; last problem: " : "", last_problem);
    return EXIT_COMM;
}

static int hello(struct conn *c, char *err)
{
    uint8_t challenge[CTL_NONCE_SIZE];
    int fd = open("/dev/urandom", O_RDONLY);
    if (fd < 0 || read(fd, challenge, sizeof(challenge)) != (ssize_t)sizeof(challenge)) {
        snprintf(err, ERR_MAX, "cannot read /dev/urandom: %s", strerror(errno));
        if (fd >= 0)
            close(fd);
        return EXIT_COMM;
    }
    close(fd);
    memset(c->nonce, 0, sizeof(c->nonce));
    size_t size;
    uint8_t *f = conn_frame(c, CTL_T_HELLO, 0, 0, challenge, sizeof(challenge), NULL, &size);
    if (!f) {
        snprintf(err, ERR_MAX, "out of memory");
        return EXIT_COMM;
    }
    int r = conn_send_raw(c, f, size, err);
    free(f);
    if (r)
        return r;
    struct reply rep;
    r = conn_wait(c, CTL_T_HELLO | CTL_T_REPLY_BIT, 0, c->timeout_ms, &rep, err);
    if (r)
        return r;
    if (rep.status) {
        snprintf(err, ERR_MAX, "the guest refused HELLO: %s", rep.msg);
        reply_free(&rep);
        return EXIT_COMM;
    }
    const uint8_t *echo = ctl_rd_take(&rep.body, CTL_NONCE_SIZE);
    uint16_t proto = ctl_rd_u16(&rep.body);
    c->seq = ctl_rd_u64(&rep.body);
    c->payload_max = ctl_rd_u32(&rep.body);
    c->object_max = ctl_rd_u32(&rep.body);
    ctl_rd_str(&rep.body, c->system, sizeof(c->system));
    bool ok = echo && memcmp(echo, challenge, sizeof(challenge)) == 0 && !rep.body.bad;
    memcpy(c->nonce, c->dec.header.nonce, CTL_NONCE_SIZE);
    reply_free(&rep);
    if (!ok) {
        snprintf(err, ERR_MAX, "the guest's HELLO reply is malformed or answers another challenge");
        return EXIT_COMM;
    }
    if (proto != CTL_PROTO_VERSION) {
        snprintf(err, ERR_MAX, "the guest speaks control protocol %u, keelctl speaks %u", proto,
                 CTL_PROTO_VERSION);
        return EXIT_COMM;
    }
    if (c->verbose)
        fprintf(stderr, "keelctl: connected to %s, next sequence number %llu\n", c->system,
                (unsigned long long)c->seq);
    return EXIT_OK;
}

int conn_open(struct conn *c, const char *socket_path, char *err)
{
    char def[4096];
    c->fd = -1;
    c->rx = NULL;
    if (!socket_path || !*socket_path)
        socket_path = getenv("KEEL_CTL_SOCKET");
    if (!socket_path || !*socket_path) {
        snprintf(def, sizeof(def), "%s/ctl.sock", KEELCTL_BUILD_DIR);
        socket_path = def;
    }
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(socket_path) >= sizeof(sa.sun_path)) {
        snprintf(err, ERR_MAX, "socket path too long (at most %zu bytes): %s",
                 sizeof(sa.sun_path) - 1, socket_path);
        return EXIT_COMM;
    }
    strcpy(sa.sun_path, socket_path);
    c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        int e = errno;
        snprintf(err, ERR_MAX, "cannot connect to %s: %s%s", socket_path, strerror(e),
                 e == ENOENT || e == ECONNREFUSED
                     ? " (is Keel running with a control channel? tools/keel run starts one)"
                     : "");
        conn_close(c);
        return EXIT_COMM;
    }
    ctl_decoder_init(&c->dec, c->key, CTL_PAYLOAD_MAX);
    int r = hello(c, err);
    if (r)
        conn_close(c);
    return r;
}

int conn_request(struct conn *c, uint8_t type, const void *payload, uint32_t len, struct reply *rep,
                 char *err)
{
    size_t size;
    uint64_t seq = c->seq++;
    uint8_t *f = conn_frame(c, type, CTL_F_AUTH, seq, payload, len, c->key, &size);
    if (!f) {
        snprintf(err, ERR_MAX, "cannot encode the request (%u bytes)", len);
        return EXIT_COMM;
    }
    int64_t start = now_ms();
    int r = conn_send_raw(c, f, size, err);
    free(f);
    if (r)
        return r;
    /* The guest reads the line at a limited rate: allow for the bytes still on the way. */
    int timeout = c->timeout_ms + (int)(size / 16);
    r = conn_wait(c, (uint8_t)(type | CTL_T_REPLY_BIT), seq, timeout, rep, err);
    if (c->verbose && !r)
        fprintf(stderr, "keelctl: request type %u, %zu bytes: reply in %lld ms\n", type, size,
                (long long)(now_ms() - start));
    return r;
}
