/* keelctl's side of the control channel: the key, the socket, the HELLO handshake and
 * request/reply exchanges (docs/control-channel.md). */
#ifndef KEELCTL_CONN_H
#define KEELCTL_CONN_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ctl/frame.h"
#include "ctl/wire.h"

/* Exit statuses of keelctl. */
enum {
    EXIT_OK = 0,
    EXIT_REFUSED = 1, /* the guest (or a local check) refused the request */
    EXIT_USAGE = 2,   /* bad command line */
    EXIT_COMM = 3,    /* no conversation: socket, key, timeout, or a reply that does not verify */
};

#define ERR_MAX 512

struct conn {
    int fd;
    uint8_t key[CTL_KEY_SIZE];
    char key_path[4096];
    uint8_t nonce[CTL_NONCE_SIZE]; /* the guest's boot nonce, from HELLO */
    uint64_t seq;                  /* the next sequence number to use */
    int timeout_ms;
    bool verbose;
    char system[64];
    uint32_t payload_max, object_max;
    struct ctl_decoder dec;
    uint8_t *rx;
};

struct reply {
    uint8_t type;
    uint64_t seq;
    int status;
    char msg[1024];
    uint8_t *payload; /* malloc'd; the body starts after status and message */
    uint32_t len;
    struct ctl_rd body;
};

/* Read the key: path, else $KEEL_CTL_KEY, else <build>/ctl.key. EXIT_OK or EXIT_COMM with err. */
int conn_load_key(struct conn *c, const char *path, char *err);
/* Connect to the socket (path, else $KEEL_CTL_SOCKET, else <build>/ctl.sock) and say HELLO. */
int conn_open(struct conn *c, const char *socket_path, char *err);
void conn_close(struct conn *c);

/* Send an authenticated request with the next sequence number and wait for its reply (or an
 * error reply). EXIT_OK with *rep filled (rep->status may be an error), or EXIT_COMM. */
int conn_request(struct conn *c, uint8_t type, const void *payload, uint32_t len, struct reply *rep,
                 char *err);
/* Lower level, for the bad-frame tests: send bytes as they are, and wait for the reply to
 * sequence number seq of type want (or an error reply). */
int conn_send_raw(struct conn *c, const void *bytes, size_t n, char *err);
int conn_wait(struct conn *c, uint8_t want, uint64_t seq, int timeout_ms, struct reply *rep,
              char *err);
/* Encode a request with the session's nonce (flags as given) into a malloc'd frame. */
uint8_t *conn_frame(struct conn *c, uint8_t type, uint16_t flags, uint64_t seq, const void *payload,
                    uint32_t len, const uint8_t *key, size_t *size);
void reply_free(struct reply *rep);
/* First 4 bytes of SHA-256(key) as 8 hex digits: the key id the guest logs at boot. */
void key_id(const uint8_t key[CTL_KEY_SIZE], char out[9]);
/* The default build directory (compiled in). */
const char *keelctl_build_dir(void);

#endif
