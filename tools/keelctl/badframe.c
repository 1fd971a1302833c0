/* keelctl badframe: deliberately broken frames, for the tests (docs/control-channel.md). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <keel/errno.h>
#include "common.h"
#include "ctl/crc32.h"

static const char *const bad_kinds[] = {"truncated", "bad-crc", "bad-length", "bad-mac",
                                        "unauth",    "replay",  "reorder",    "stale-nonce",
                                        "oversize",  "version", NULL};

/* A good PING at seq, answered before the broken frame goes out (replay, reorder). */
static int good_ping(struct conn *c, uint64_t seq, uint8_t **frame, size_t *size, char *err)
{
    uint8_t ping[4 + 8];
    struct ctl_wr w;
    ctl_wr_init(&w, ping, sizeof(ping));
    ctl_wr_blob(&w, "badframe", 8);
    *frame = conn_frame(c, CTL_T_PING, CTL_F_AUTH, seq, ping, (uint32_t)w.len, c->key, size);
    if (!*frame) {
        snprintf(err, ERR_MAX, "out of memory");
        return EXIT_COMM;
    }
    struct reply rep;
    int r = conn_send_raw(c, *frame, *size, err);
    if (!r)
        r = conn_wait(c, CTL_T_PING | CTL_T_REPLY_BIT, seq, c->timeout_ms, &rep, err);
    if (!r && rep.status) {
        snprintf(err, ERR_MAX, "the good frame before it was refused: %s", rep.msg);
        r = EXIT_COMM;
    }
    if (!r)
        reply_free(&rep);
    return r;
}

int cmd_badframe(struct opts *o)
{
    const char *kind = o->pos[0];
    int k = 0;
    while (bad_kinds[k] && strcmp(bad_kinds[k], kind) != 0)
        k++;
    if (!bad_kinds[k]) {
        fail("badframe: unknown kind '%s' (truncated, bad-crc, bad-length, bad-mac, unauth, "
             "replay, reorder, stale-nonce, oversize, version)",
             kind);
        return EXIT_USAGE;
    }
    struct conn c;
    int r = connect_guest(o, &c);
    if (r)
        return r;
    char err[ERR_MAX] = "";
    /* The broken frame is a PUSH of a tiny object named badframe-<kind>.o: were it ever taken,
     * the file would show in the ramfs (the tests look for it). */
    uint8_t obj[64] = {0x7f, 'E', 'L', 'F', 2, 1, 1};
    obj[16] = 1;  /* ET_REL */
    obj[18] = 62; /* EM_X86_64 */
    char name[64];
    snprintf(name, sizeof(name), "badframe-%s.o", kind);
    uint8_t push[1 + 2 + 64 + 4 + sizeof(obj)];
    struct ctl_wr w;
    ctl_wr_init(&w, push, sizeof(push));
    ctl_wr_u8(&w, 0);
    ctl_wr_str(&w, name);
    ctl_wr_blob(&w, obj, sizeof(obj));
    uint32_t len = (uint32_t)w.len;
    uint8_t want = CTL_T_PUSH;
    uint64_t seq = c.seq++;
    uint8_t wrong_key[CTL_KEY_SIZE];
    memcpy(wrong_key, c.key, sizeof(wrong_key));
    wrong_key[0] ^= 0xff;
    size_t size = 0;
    uint8_t *f = NULL;
    int wait_ms = c.timeout_ms;
    if (strcmp(kind, "replay") == 0) {
        r = good_ping(&c, seq, &f, &size, err); /* then the very same bytes again */
        want = CTL_T_PING;
    } else if (strcmp(kind, "reorder") == 0) {
        r = good_ping(&c, seq + 1, &f, &size, err); /* then an older sequence number */
        free(f);
        f = r ? NULL : conn_frame(&c, CTL_T_PUSH, CTL_F_AUTH, seq, push, len, c.key, &size);
    } else if (strcmp(kind, "unauth") == 0) {
        f = conn_frame(&c, CTL_T_PUSH, 0, seq, push, len, NULL, &size);
    } else if (strcmp(kind, "bad-mac") == 0) {
        f = conn_frame(&c, CTL_T_PUSH, CTL_F_AUTH, seq, push, len, wrong_key, &size);
    } else if (strcmp(kind, "stale-nonce") == 0) {
        c.nonce[0] ^= 1;
        f = conn_frame(&c, CTL_T_PUSH, CTL_F_AUTH, seq, push, len, c.key, &size);
        c.nonce[0] ^= 1;
    } else {
        f = conn_frame(&c, CTL_T_PUSH, CTL_F_AUTH, seq, push, len, c.key, &size);
        if (f && strcmp(kind, "truncated") == 0) {
            size -= 10; /* the guest gives up after 1 s of silence */
            wait_ms += 2000;
        } else if (f && strcmp(kind, "bad-crc") == 0) {
            f[CTL_HEADER_SIZE + 5] ^= 0x20;
        } else if (f) { /* bad-length, oversize, version: header fields, header checksum redone */
            uint32_t claim = strcmp(kind, "bad-length") == 0 ? len - 1 : CTL_PAYLOAD_MAX + 1;
            if (strcmp(kind, "version") == 0)
                f[4] = CTL_VERSION + 1;
            else
                for (int i = 0; i < 4; i++)
                    f[8 + i] = (uint8_t)(claim >> (8 * i));
            uint32_t crc = crc32_update(0, f, 36);
            for (int i = 0; i < 4; i++)
                f[36 + i] = (uint8_t)(crc >> (8 * i));
            if (strcmp(kind, "oversize") == 0)
                size = CTL_HEADER_SIZE; /* refused at the header */
        }
    }
    if (!r && !f) {
        snprintf(err, ERR_MAX, "out of memory");
        r = EXIT_COMM;
    }
    struct reply rep;
    if (!r)
        r = conn_send_raw(&c, f, size, err);
    if (!r)
        r = conn_wait(&c, (uint8_t)(want | CTL_T_REPLY_BIT), seq, wait_ms, &rep, err);
    free(f);
    if (r) {
        fail("badframe %s: %s", kind, err);
    } else {
        if (rep.status) {
            char what[64];
            snprintf(what, sizeof(what), "badframe %s: the guest refused it", kind);
            r = refused(what, &rep);
        } else {
            printf("badframe %s: the guest ACCEPTED the frame\n", kind);
            r = EXIT_OK;
        }
        reply_free(&rep);
    }
    disconnect(&c);
    return r;
}
