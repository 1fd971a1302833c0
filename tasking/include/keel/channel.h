/* Channels between tasks. A message is one word plus, optionally, a heap block; sending moves
 * the block's OWNERSHIP to the receiver (the sender must not touch it afterwards, and if the
 * channel is destroyed with messages in it, their blocks are freed).
 *   - CHANNEL_RENDEZVOUS: send blocks until a receiver has taken the message (synchronous);
 *   - CHANNEL_ASYNC: a bounded queue of `capacity` messages; send blocks only when it is full.
 * Calls return 0 or a negative KE_* code: KE_CLOSED once the channel is closed (receivers still
 * drain what is queued), KE_AGAIN from the try_ variants, KE_KILLED, KE_NOMEM; KE_INVAL for a
 * NULL or destroyed channel, KE_FAULT for a pointer to no mapped, writable memory. A bad message
 * or out pointer faults the calling task (read and written with no lock held). */
#ifndef KEEL_CHANNEL_H
#define KEEL_CHANNEL_H
#include <stddef.h>
#include <stdint.h>

enum channel_kind { CHANNEL_RENDEZVOUS = 1, CHANNEL_ASYNC = 2 };

struct channel_msg {
    uint64_t word;
    void *block; /* NULL, or a kmalloc'd block whose ownership travels with the message */
};

struct channel;

/* capacity: ASYNC 1..4096; RENDEZVOUS must be 0. */
int channel_create(enum channel_kind kind, size_t capacity, struct channel **out);
/* Closes the channel, wakes everyone, frees undelivered blocks and the channel. Only after all
 * users have stopped using it. */
void channel_destroy(struct channel *ch);
/* Senders get KE_CLOSED from now on; receivers get queued messages, then KE_CLOSED. */
void channel_close(struct channel *ch);

int channel_send(struct channel *ch, const struct channel_msg *msg);
int channel_try_send(struct channel *ch, const struct channel_msg *msg);
int channel_recv(struct channel *ch, struct channel_msg *out);
int channel_try_recv(struct channel *ch, struct channel_msg *out);
size_t channel_queued(const struct channel *ch);

#endif
