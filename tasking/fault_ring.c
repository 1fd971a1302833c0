/* The fault log's ring (fault_ring.h). */
#include <keel/string.h>
#include "fault_ring.h"

uint64_t fault_ring_put(struct fault_ring *r, const struct task_fault_record *rec)
{
    uint64_t seq = ++r->written;
    struct task_fault_record *slot = &r->rec[(seq - 1) % FAULT_RING_SIZE];
    *slot = *rec;
    slot->seq = seq;
    return seq;
}

uint64_t fault_ring_first(const struct fault_ring *r)
{
    uint64_t first = r->written > FAULT_RING_SIZE ? r->written - FAULT_RING_SIZE + 1 : 1;
    return first > r->cleared ? first : r->cleared + 1;
}

bool fault_ring_get(const struct fault_ring *r, uint64_t seq, struct task_fault_record *out)
{
    if (seq < fault_ring_first(r) || seq > r->written)
        return false;
    *out = r->rec[(seq - 1) % FAULT_RING_SIZE];
    return true;
}

void fault_ring_stats(const struct fault_ring *r, struct task_fault_log_stats *out)
{
    uint64_t first = fault_ring_first(r);
    out->written = r->written;
    out->cleared = r->cleared;
    out->held = (uint32_t)(r->written + 1 - first);
    out->dropped = first - 1 - r->cleared;
    out->capacity = FAULT_RING_SIZE;
}

void fault_ring_clear(struct fault_ring *r)
{
    r->cleared = r->written;
}
