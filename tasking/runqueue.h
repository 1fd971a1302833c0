/* The ready queues: one FIFO per priority and a bitmap of the non-empty ones, so picking the next
 * task is O(1). Intrusive (the task embeds a struct rq_link) and freestanding: unit-tested on the
 * host. Not locked: the scheduler lock protects it. */
#ifndef KEEL_TASKING_RUNQUEUE_H
#define KEEL_TASKING_RUNQUEUE_H
#include <stdbool.h>
#include <stdint.h>

#define RQ_PRIORITIES 8

struct rq_link {
    struct rq_link *next;
    bool queued;
};

struct runqueue {
    struct rq_link *head[RQ_PRIORITIES], *tail[RQ_PRIORITIES];
    uint32_t nonempty; /* bit p set: head[p] != NULL */
};

/* Append at the tail of priority prio (< RQ_PRIORITIES). Returns 0, or KE_INVAL for a bad
 * priority or a link that is already queued (nothing changes then). */
int rq_push(struct runqueue *rq, struct rq_link *l, unsigned prio);
/* Remove and return the head of the highest non-empty priority (its priority in *prio), or NULL. */
struct rq_link *rq_pop(struct runqueue *rq, unsigned *prio);
/* Highest non-empty priority, or -1 when empty. */
int rq_highest(const struct runqueue *rq);
/* The first link, highest priority first and FIFO within one, that ok(link, ctx) accepts (its
 * priority in *prio), or NULL; nothing is removed. */
struct rq_link *rq_find_if(const struct runqueue *rq, bool (*ok)(const struct rq_link *, void *),
                           void *ctx, unsigned *prio);
/* Remove a queued link from wherever it is (O(n) in its priority); 0 or KE_NOENT. */
int rq_remove(struct runqueue *rq, struct rq_link *l, unsigned prio);

#endif
