#include <keel/errno.h>
#include "runqueue.h"

int rq_push(struct runqueue *rq, struct rq_link *l, unsigned prio)
{
    if (prio >= RQ_PRIORITIES || !l || l->queued)
        return KE_INVAL;
    l->next = 0;
    l->queued = true;
    if (rq->tail[prio])
        rq->tail[prio]->next = l;
    else
        rq->head[prio] = l;
    rq->tail[prio] = l;
    rq->nonempty |= 1u << prio;
    return 0;
}

int rq_highest(const struct runqueue *rq)
{
    return rq->nonempty ? 31 - __builtin_clz(rq->nonempty) : -1;
}

struct rq_link *rq_pop(struct runqueue *rq, unsigned *prio)
{
    int p = rq_highest(rq);
    if (p < 0)
        return 0;
    struct rq_link *l = rq->head[p];
    rq->head[p] = l->next;
    if (!rq->head[p]) {
        rq->tail[p] = 0;
        rq->nonempty &= ~(1u << p);
    }
    l->next = 0;
    l->queued = false;
    if (prio)
        *prio = (unsigned)p;
    return l;
}

int rq_remove(struct runqueue *rq, struct rq_link *l, unsigned prio)
{
    if (prio >= RQ_PRIORITIES || !l || !l->queued)
        return KE_NOENT;
    struct rq_link *prev = 0;
    for (struct rq_link *p = rq->head[prio]; p; prev = p, p = p->next) {
        if (p != l)
            continue;
        if (prev)
            prev->next = l->next;
        else
            rq->head[prio] = l->next;
        if (rq->tail[prio] == l)
            rq->tail[prio] = prev;
        if (!rq->head[prio])
            rq->nonempty &= ~(1u << prio);
        l->next = 0;
        l->queued = false;
        return 0;
    }
    return KE_NOENT;
}

struct rq_link *rq_find_if(const struct runqueue *rq, bool (*ok)(const struct rq_link *, void *),
                           void *ctx, unsigned *prio)
{
    for (int p = RQ_PRIORITIES - 1; p >= 0; p--) {
        if (!(rq->nonempty & (1u << p)))
            continue;
        for (struct rq_link *l = rq->head[p]; l; l = l->next) {
            if (ok(l, ctx)) {
                if (prio)
                    *prio = (unsigned)p;
                return l;
            }
        }
    }
    return 0;
}
