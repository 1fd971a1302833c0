/* Replay protection of the control channel. The guest picks a random nonce at boot; an
 * unauthenticated HELLO tells the host that nonce and the next sequence number, and every other
 * request must be authenticated (MAC checked by the frame decoder), carry that nonce and a
 * sequence number above every one accepted before. A replayed or reordered frame is refused. */
#ifndef CELLS_CTL_SESSION_H
#define CELLS_CTL_SESSION_H
#include <stdint.h>
#include "ctl/frame.h"

struct ctl_session {
    uint8_t nonce[CTL_NONCE_SIZE];
    uint64_t last_seq; /* highest sequence number accepted (0: none yet) */
    uint64_t accepted, refused;
};

void ctl_session_init(struct ctl_session *s, const uint8_t nonce[CTL_NONCE_SIZE]);
/* Decide on a frame the decoder accepted: 0 (and, for a request other than HELLO, its sequence
 * number is now the last one) or CTL_E_DIRECTION (a reply flag), CTL_E_UNAUTH (no MAC on a
 * request other than HELLO), CTL_E_NONCE, CTL_E_REPLAY (seq not above the last); a refusal
 * changes nothing but the refusal count. */
int ctl_session_accept(struct ctl_session *s, const struct ctl_header *h);
/* The sequence number the next request must at least carry. */
uint64_t ctl_session_next_seq(const struct ctl_session *s);

#endif
