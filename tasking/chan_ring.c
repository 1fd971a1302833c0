/* Bounded FIFO of channel messages; see chan_ring.h. */
#include <keel/errno.h>
#include "chan_ring.h"

/* Slot of the i-th message from head (i < cap); head + i < 2 * cap cannot overflow. */
static size_t slot_index(const struct chan_ring *r, size_t i)
{
    size_t k = r->head + i;
    return k >= r->cap ? k - r->cap : k;
}

int chan_ring_init(struct chan_ring *r, struct channel_msg *storage, size_t cap)
{
    if (!r || !storage || cap == 0 || cap > CHAN_RING_MAX_CAP)
        return KE_INVAL;
    r->slots = storage;
    r->cap = cap;
    r->head = 0;
    r->count = 0;
    return 0;
}

size_t chan_ring_count(const struct chan_ring *r)
{
    return r ? r->count : 0;
}

size_t chan_ring_capacity(const struct chan_ring *r)
{
    return r ? r->cap : 0;
}

bool chan_ring_empty(const struct chan_ring *r)
{
    return !r || r->count == 0;
}

bool chan_ring_full(const struct chan_ring *r)
{
    return !r || r->count >= r->cap;
}

int chan_ring_push(struct chan_ring *r, const struct channel_msg *m)
{
    if (!r || !m || !r->slots)
        return KE_INVAL;
    if (r->count >= r->cap)
        return KE_NOSPC;
    r->slots[slot_index(r, r->count)] = *m;
    r->count++;
    return 0;
}

int chan_ring_peek(const struct chan_ring *r, struct channel_msg *out)
{
    if (!r || !out)
        return KE_INVAL;
    if (r->count == 0)
        return KE_NOENT;
    *out = r->slots[r->head];
    return 0;
}

int chan_ring_pop(struct chan_ring *r, struct channel_msg *out)
{
    if (!r)
        return KE_INVAL;
    if (r->count == 0)
        return KE_NOENT;
    if (out)
        *out = r->slots[r->head];
    /* Clear the slot so no stale block pointer lingers in storage. */
    r->slots[r->head] = (struct channel_msg){0, 0};
    r->head = slot_index(r, 1);
    r->count--;
    return 0;
}

int chan_ring_pop_tail(struct chan_ring *r, struct channel_msg *out)
{
    if (!r)
        return KE_INVAL;
    if (r->count == 0)
        return KE_NOENT;
    size_t i = slot_index(r, r->count - 1);
    if (out)
        *out = r->slots[i];
    r->slots[i] = (struct channel_msg){0, 0};
    r->count--;
    return 0;
}
