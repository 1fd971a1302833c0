/* The requests the ctl cell carries out (ops.c): each gets the request payload, writes its
 * reply fields into body and, on failure, a message; it returns 0 or a negative code. */
#ifndef CELLS_CTL_OPS_H
#define CELLS_CTL_OPS_H
#include <stddef.h>
#include <stdint.h>
#include "ctl/frame.h"
#include "ctl/session.h"
#include "ctl/wire.h"

#define CTL_MSG_MAX 320 /* longest reply message, NUL included */

/* Handle a request the session accepted (h->type is a request type). */
int ctl_ops_handle(struct ctl_session *ses, const struct ctl_header *h, const uint8_t *payload,
                   struct ctl_wr *body, char *msg, size_t msg_size);

#endif
