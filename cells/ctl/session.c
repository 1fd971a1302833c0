/* Accepting a request: direction, authentication, nonce, then sequence, so the cheapest and
 * most telling refusal is reported. */
#include <keel/string.h>
#include "ctl/hmac.h"
#include "ctl/session.h"
#include "ctl/wire.h"

void ctl_session_init(struct ctl_session *s, const uint8_t nonce[CTL_NONCE_SIZE])
{
    memset(s, 0, sizeof(*s));
    memcpy(s->nonce, nonce, CTL_NONCE_SIZE);
}

int ctl_session_accept(struct ctl_session *s, const struct ctl_header *h)
{
    int r = 0;
    if (h->flags & CTL_F_REPLY)
        r = CTL_E_DIRECTION;
    else if (h->type == CTL_T_HELLO)
        r = 0; /* changes nothing: needs neither MAC nor sequence */
    else if (!(h->flags & CTL_F_AUTH))
        r = CTL_E_UNAUTH;
    else if (!ct_equal(h->nonce, s->nonce, CTL_NONCE_SIZE))
        r = CTL_E_NONCE;
    else if (h->seq <= s->last_seq)
        r = CTL_E_REPLAY;
    if (r) {
        s->refused++;
        return r;
    }
    if (h->type != CTL_T_HELLO)
        s->last_seq = h->seq;
    s->accepted++;
    return 0;
}

uint64_t ctl_session_next_seq(const struct ctl_session *s)
{
    return s->last_seq + 1;
}
