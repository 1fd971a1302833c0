/* A bounded FIFO of channel messages over caller-provided storage: no allocation, no locking
 * (the channel serialises every call with the scheduler lock). Freestanding and host-testable. */
#ifndef KEEL_CHAN_RING_H
#define KEEL_CHAN_RING_H
#include <stdbool.h>
#include <stddef.h>
#include <keel/channel.h>

/* Largest capacity: keeps head + count (< 2 * cap) free of overflow. */
#define CHAN_RING_MAX_CAP (((size_t)-1 / 2) / sizeof(struct channel_msg))

struct chan_ring {
    struct channel_msg *slots;
    size_t cap;   /* number of slots */
    size_t head;  /* index of the oldest message */
    size_t count; /* messages queued */
};

/* Use storage[0..cap) as an empty ring. KE_INVAL: r or storage NULL, cap 0 or too large. */
int chan_ring_init(struct chan_ring *r, struct channel_msg *storage, size_t cap);
size_t chan_ring_count(const struct chan_ring *r);
size_t chan_ring_capacity(const struct chan_ring *r);
bool chan_ring_empty(const struct chan_ring *r);
bool chan_ring_full(const struct chan_ring *r);
/* Append m at the tail; KE_NOSPC when full, KE_INVAL for NULL arguments. */
int chan_ring_push(struct chan_ring *r, const struct channel_msg *m);
/* Copy the oldest message to out without removing it; KE_NOENT when empty. */
int chan_ring_peek(const struct chan_ring *r, struct channel_msg *out);
/* Remove the oldest message (copied to out unless out is NULL); KE_NOENT when empty. */
int chan_ring_pop(struct chan_ring *r, struct channel_msg *out);
/* Remove the NEWEST message (a sender taking back what it just pushed); KE_NOENT when empty. */
int chan_ring_pop_tail(struct chan_ring *r, struct channel_msg *out);

#endif
