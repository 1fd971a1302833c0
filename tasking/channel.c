/* Channels (keel/channel.h): a bounded ring of messages (chan_ring) plus three wait queues, all
 * under the scheduler lock. A queued block is owned by OWNER_CORE, so a sender that dies does
 * not take it along; the receiver takes ownership in its own context when it dequeues.
 *
 * A rendezvous channel is a one-slot ring: the sender puts its message, wakes a receiver and
 * waits on ack_wq until taken_seq passes its put_seq. If it is killed or the channel closes
 * first, it takes its message back out (retract), so a send that fails never gave the block
 * away. Lock order: scheduler lock, then the heap lock (kheap_transfer/kfree).
 *
 * The caller's memory is touched only with no lock held (the message is copied in before,
 * the received one stored after), so a bad pointer there faults the caller alone; the channel
 * itself is used under the lock and is checked first (caller_object_ok: KE_FAULT). */
#include <keel/errno.h>
#include <keel/export.h>
#include <keel/kmalloc.h>
#include <keel/string.h>
#include <keel/channel.h>
#include <keel/task.h>
#include <keel/waitq.h>
#include <keel/core/chan_fault.h>
#include "chan_ring.h"
#include "task_internal.h"

#define CHANNEL_MAGIC     0x4348414eu /* "CHAN": a live channel */
#define CHANNEL_ASYNC_MAX 4096u

struct channel {
    uint32_t magic;
    enum channel_kind kind;
    bool closed;
    bool doomed;    /* destroyed while tasks were inside: the last one out frees it */
    bool rv_held;   /* rendezvous: the slot holds a message whose sender waits for the take */
    unsigned users; /* tasks inside send/recv (some maybe blocked) */
    uint64_t put_seq, taken_seq; /* messages put into / taken out of the ring */
    struct waitq recv_wq;        /* receivers waiting for a message */
    struct waitq send_wq;        /* senders waiting for room */
    struct waitq ack_wq;         /* rendezvous: the sender waiting for its message's take */
    struct chan_ring ring;
    struct channel_msg slots[];
};

/* Scheduler lock held: a live channel, not a wild pointer or a destroyed one. */
static bool valid(const struct channel *ch)
{
    return caller_object_ok(ch, sizeof(*ch)) && ch->magic == CHANNEL_MAGIC;
}

/* Frees the channel and the blocks still queued in it (owned by the core). Lock NOT held. */
static void channel_free(struct channel *ch)
{
    struct channel_msg m;
    while (chan_ring_pop(&ch->ring, &m) == 0)
        kfree(m.block);
    kfree(ch);
}

static bool can_block_now(bool may_wait)
{
    return may_wait && task_self() != 0; /* outside tasks nothing could wake us */
}

/* A call leaves the channel; returns true if the caller must now free it (lock held). */
static bool leave(struct channel *ch)
{
    ch->users--;
    struct task *self = task_current();
    if (self && self->channel_depth)
        self->channel_depth--;
    if (ch->doomed && ch->users == 0) {
        ch->magic = 0; /* late callers get KE_INVAL, not a second free */
        return true;
    }
    return false;
}

int channel_create(enum channel_kind kind, size_t capacity, struct channel **out)
{
    size_t nslots;
    if (!out)
        return KE_INVAL;
    (void)*(struct channel *volatile *)out; /* a bad out faults now, before the allocation */
    if (kind == CHANNEL_RENDEZVOUS && capacity == 0)
        nslots = 1;
    else if (kind == CHANNEL_ASYNC && capacity >= 1 && capacity <= CHANNEL_ASYNC_MAX)
        nslots = capacity;
    else
        return KE_INVAL;
    size_t bytes = sizeof(struct channel) + nslots * sizeof(struct channel_msg);
    /* Owned by the core, not the creator: other tasks may still be blocked on the channel when
     * its creator dies, so the channel must not be freed with the creator's memory. It lives
     * until channel_destroy. */
    struct channel *ch = kmalloc_owned(bytes, 0, OWNER_CORE);
    if (!ch)
        return KE_NOMEM;
    memset(ch, 0, bytes);
    ch->kind = kind;
    if (chan_ring_init(&ch->ring, ch->slots, nslots)) {
        kfree(ch);
        return KE_INVAL;
    }
    ch->magic = CHANNEL_MAGIC;
    *out = ch;
    return 0;
}

/* Queue m (room was checked): the block moves to the core first, so a failing transfer (bad
 * block: KE_FAULT) changes nothing. */
static int put(struct channel *ch, const struct channel_msg *m)
{
    if (m->block) {
        int r = kheap_transfer(m->block, OWNER_CORE);
        if (r)
            return r;
    }
    chan_ring_push(&ch->ring, m);
    ch->put_seq++;
    waitq_wake_one(&ch->recv_wq);
    return 0;
}

/* Rendezvous: take our untaken message back out of the slot and return the block to us. */
static int retract(struct channel *ch, owner_t me, int result)
{
    struct channel_msg m;
    if (chan_ring_pop_tail(&ch->ring, &m) == 0) {
        ch->put_seq--;
        /* Should this fail (our quota shrank meanwhile), the block stays core-owned but is
         * still ours to use and kfree; nothing else refers to it. */
        if (m.block)
            kheap_transfer(m.block, me);
    }
    ch->rv_held = false;
    waitq_wake_one(&ch->send_wq); /* the slot is free again */
    return result;
}

/* Rendezvous: wait until the message just put is taken. */
static int await_take(struct channel *ch, owner_t me)
{
    uint64_t mine = ch->put_seq;
    ch->rv_held = true;
    for (;;) {
        if (ch->taken_seq >= mine)
            return 0; /* delivered, even if we were killed meanwhile */
        if (ch->closed)
            return retract(ch, me, KE_CLOSED);
        int w = waitq_wait(&ch->ack_wq, 0);
        if (w && ch->taken_seq < mine)
            return retract(ch, me, w);
    }
}

/* Start a send or receive: take the scheduler lock and count ourselves as a user, so a
 * concurrent destroy leaves the freeing to the last one out. KE_FAULT for a pointer to no
 * mapped, writable memory, KE_INVAL for a stale channel (the lock is then not held). */
static int enter(struct channel *ch, int *irq)
{
    *irq = sched_lock();
    int err = !caller_object_ok(ch, sizeof(*ch)) ? KE_FAULT
              : ch->magic != CHANNEL_MAGIC       ? KE_INVAL
                                                 : 0;
    if (err) {
        sched_unlock(*irq);
        return err;
    }
    ch->users++;
    struct task *self = task_current();
    if (self)
        self->channel_depth++;
    return 0;
}

/* End a send or receive (releases the lock taken by enter). */
static void depart(struct channel *ch, int irq)
{
    bool free_it = leave(ch);
    sched_unlock(irq);
    if (free_it)
        channel_free(ch);
}

static int send(struct channel *ch, const struct channel_msg *msg, bool may_wait)
{
    if (!ch || !msg)
        return KE_INVAL;
    struct chan_fault_act fa; /* an armed IPC fault (chan_fault.c) may hit this call */
    msg = chan_fault_send_begin(ch, msg, &fa);
    struct channel_msg m = *msg; /* before the lock: a bad msg faults the caller alone */
    if (chan_fault_send_msg(&fa, ch, &m))
        return 0;
    owner_t me = kheap_current_owner();
    bool can_block = can_block_now(may_wait);
    int irq;
    int r = enter(ch, &irq);
    if (r)
        return r;
    for (;;) {
        if (ch->closed) {
            r = KE_CLOSED;
            break;
        }
        bool room = !chan_ring_full(&ch->ring);
        /* A rendezvous sender that cannot wait for the take completes only by handing the
         * message to a receiver that is already waiting. */
        if (ch->kind == CHANNEL_RENDEZVOUS && !can_block)
            room = room && ch->recv_wq.head;
        if (room) {
            r = put(ch, &m);
            if (r == 0 && ch->kind == CHANNEL_RENDEZVOUS && can_block)
                r = await_take(ch, me);
            break;
        }
        if (!can_block) {
            r = KE_AGAIN;
            break;
        }
        r = waitq_wait(&ch->send_wq, 0);
        if (r)
            break; /* killed while waiting for room: nothing was queued */
    }
    depart(ch, irq);
    chan_fault_send_end(&fa, ch, &m, r);
    return r;
}

/* Dequeue the oldest message into *out, moving its block to the receiver. If the transfer
 * fails (KE_QUOTA, KE_NOSPC) the message stays queued and another receiver gets a chance. */
static int take(struct channel *ch, owner_t me, struct channel_msg *out)
{
    struct channel_msg m;
    chan_ring_peek(&ch->ring, &m);
    if (m.block) {
        int r = kheap_transfer(m.block, me);
        if (r) {
            waitq_wake_one(&ch->recv_wq);
            return r;
        }
    }
    chan_ring_pop(&ch->ring, 0);
    ch->taken_seq++;
    ch->rv_held = false;
    waitq_wake_one(&ch->send_wq);
    waitq_wake_all(&ch->ack_wq);
    *out = m;
    return 0;
}

static int recv(struct channel *ch, struct channel_msg *out, bool may_wait)
{
    if (!ch || !out)
        return KE_INVAL;
    /* Touch out before taking anything: a bad pointer faults the caller with the message still
     * queued. The message itself is stored after the lock is released. */
    struct chan_fault_act fa;
    out = chan_fault_recv_begin(ch, out, &fa);
    (void)*(volatile const uint64_t *)&out->word;
    struct channel_msg m = {0, 0};
    owner_t me = kheap_current_owner();
    bool can_block = can_block_now(may_wait);
    int irq;
again:;
    int r = enter(ch, &irq);
    if (r)
        return r;
    for (;;) {
        if (ch->doomed) {
            r = KE_CLOSED;
            break;
        }
        if (chan_fault_replay(ch, &m)) {
            r = 0;
            break;
        }
        /* After close, a rendezvous message whose sender still waits is going back to it. */
        if (!chan_ring_empty(&ch->ring) && !(ch->closed && ch->rv_held)) {
            r = take(ch, me, &m);
            break;
        }
        if (ch->closed) {
            r = KE_CLOSED;
            break;
        }
        if (!can_block) {
            r = KE_AGAIN;
            break;
        }
        r = waitq_wait(&ch->recv_wq, 0);
        if (r)
            break;
    }
    depart(ch, irq);
    if (r == 0 && chan_fault_recv_msg(&fa, ch, &m))
        goto again; /* dropped: wait for the next one */
    if (r == 0)
        *out = m;
    return r;
}

int channel_send(struct channel *ch, const struct channel_msg *msg)
{
    return send(ch, msg, true);
}

int channel_try_send(struct channel *ch, const struct channel_msg *msg)
{
    return send(ch, msg, false);
}

int channel_recv(struct channel *ch, struct channel_msg *out)
{
    return recv(ch, out, true);
}

int channel_try_recv(struct channel *ch, struct channel_msg *out)
{
    return recv(ch, out, false);
}

static void wake_everyone(struct channel *ch)
{
    waitq_wake_all(&ch->recv_wq);
    waitq_wake_all(&ch->send_wq);
    waitq_wake_all(&ch->ack_wq);
}

void channel_close(struct channel *ch)
{
    if (!ch)
        return;
    int irq = sched_lock();
    if (valid(ch) && !ch->closed) {
        ch->closed = true;
        wake_everyone(ch);
    }
    sched_unlock(irq);
}

void channel_destroy(struct channel *ch)
{
    if (!ch)
        return;
    bool free_now = false;
    int irq = sched_lock();
    if (valid(ch) && !ch->doomed) {
        ch->closed = true;
        ch->doomed = true;
        wake_everyone(ch);
        if (ch->users == 0) {
            ch->magic = 0;
            free_now = true;
        }
    }
    sched_unlock(irq);
    if (free_now)
        channel_free(ch);
}

size_t channel_queued(const struct channel *ch)
{
    if (!ch)
        return 0;
    int irq = sched_lock();
    size_t n = valid(ch) ? chan_ring_count(&ch->ring) : 0;
    sched_unlock(irq);
    return n;
}

KEEL_EXPORT_FUNC(channel_create);
KEEL_EXPORT_FUNC(channel_destroy);
KEEL_EXPORT_FUNC(channel_close);
KEEL_EXPORT_FUNC(channel_send);
KEEL_EXPORT_FUNC(channel_try_send);
KEEL_EXPORT_FUNC(channel_recv);
KEEL_EXPORT_FUNC(channel_try_recv);
KEEL_EXPORT_FUNC(channel_queued);
