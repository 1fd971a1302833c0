/* The fault log's ring: a fixed array of records over which sequence numbers run, with a clear
 * mark. No allocation, no locking (tasking/fault.c holds its lock around every call), nothing
 * that can fail: it is written from the fault path. Freestanding and host-testable. */
#ifndef KEEL_FAULT_RING_H
#define KEEL_FAULT_RING_H
#include <stdbool.h>
#include <stdint.h>
#include <keel/task.h>

#define FAULT_RING_SIZE 32

struct fault_ring {
    struct task_fault_record rec[FAULT_RING_SIZE];
    uint64_t written; /* records put so far: the newest sequence number */
    uint64_t cleared; /* records before this sequence number (inclusive) were cleared */
};

/* Store *rec as the newest record, giving it the next sequence number (returned); the oldest
 * goes when the ring is full. */
uint64_t fault_ring_put(struct fault_ring *r, const struct task_fault_record *rec);
/* The record with sequence number seq if the ring still holds it (and it was not cleared). */
bool fault_ring_get(const struct fault_ring *r, uint64_t seq, struct task_fault_record *out);
/* The oldest sequence number held (newest + 1 when none is). */
uint64_t fault_ring_first(const struct fault_ring *r);
void fault_ring_stats(const struct fault_ring *r, struct task_fault_log_stats *out);
void fault_ring_clear(struct fault_ring *r);

#endif
