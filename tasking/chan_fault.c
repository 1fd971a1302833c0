/* The IPC fault hook (keel/core/chan_fault.h; docs/fault-injection.md, "IPC faults"). One fault
 * is armed at a time; every send (or receive) call of a task whose entry lies in the fault's cell
 * is counted, and the Nth is hit: its message dropped, duplicated, corrupted or delayed, or the
 * call made to fault on the task's behalf (a bad pointer, a page fault with no lock held: the
 * containment of docs/tasks.md applies). Activation is recorded when the message is changed.
 * State under its own spinlock, taken after the scheduler lock when both are held. */
#include <keel/clock.h>
#include <keel/errno.h>
#include <keel/kmalloc.h>
#include <keel/log.h>
#include <keel/spinlock.h>
#include <keel/string.h>
#include <keel/task.h>
#include <keel/core/chan_fault.h>
#include "task_internal.h"

#define BADPTR_ADDR 0x10u /* in the unmapped page 0: a NULL message with an offset */

static struct spinlock lock = SPINLOCK_INIT;
static struct ipc_fault_record rec;
static bool fired;
static struct {
    bool pending;
    const struct channel *ch;
    uint64_t word;
} replay;
/* Read to fault inside the channel code; volatile so the compiler sees no constant address. */
static volatile uintptr_t pagefault_addr = 0x28;

int chan_fault_arm(const struct ipc_fault_spec *spec, uint64_t seq)
{
    int irq = spin_lock(&lock);
    int r = KE_BUSY;
    if (!rec.valid) {
        memset(&rec, 0, sizeof(rec));
        rec.valid = true;
        rec.seq = seq;
        rec.spec = *spec;
        fired = false;
        replay.pending = false;
        r = 0;
    }
    spin_unlock(&lock, irq);
    return r;
}

bool chan_fault_armed(void)
{
    int irq = spin_lock(&lock);
    bool v = rec.valid;
    spin_unlock(&lock, irq);
    return v;
}

void chan_fault_last(struct ipc_fault_record *out)
{
    int irq = spin_lock(&lock);
    *out = rec;
    spin_unlock(&lock, irq);
}

int chan_fault_disarm(struct ipc_fault_record *out)
{
    int irq = spin_lock(&lock);
    int r = rec.valid ? 0 : KE_NOENT;
    if (out)
        *out = rec;
    rec.valid = false;
    replay.pending = false;
    spin_unlock(&lock, irq);
    return r;
}

/* Counts this call: the kind to apply if it is the one hit, else 0. */
static enum ipc_fault_kind count(enum ipc_fault_side side)
{
    if (!rec.valid || fired) /* unlocked peek: the common path costs one load */
        return 0;
    struct task *self = task_current();
    if (!self)
        return 0;
    enum ipc_fault_kind k = 0;
    int irq = spin_lock(&lock);
    if (rec.valid && !fired && rec.spec.side == side &&
        (!rec.spec.cell[0] || strcmp(rec.spec.cell, self->cell_name) == 0) &&
        ipc_fault_count(&rec.seen, rec.spec.nth)) {
        fired = true;
        k = rec.spec.kind;
    }
    spin_unlock(&lock, irq);
    return k;
}

/* The activation: this task changed message `old` (into `new`) on ch. */
static void activated(const struct channel *ch, uint64_t old, uint64_t new_word, unsigned bit)
{
    struct task *self = task_current();
    int irq = spin_lock(&lock);
    bool first = rec.valid && !rec.activated;
    if (first) {
        rec.activated = true;
        rec.activated_ns = clock_ns();
        rec.task = self ? self->id : 0;
        size_t n = 0;
        for (; self && self->name[n] && n + 1 < sizeof(rec.task_name); n++)
            rec.task_name[n] = self->name[n];
        rec.task_name[n] = 0;
        rec.channel = (uint64_t)(uintptr_t)ch;
        rec.old_word = old;
        rec.new_word = new_word;
        rec.bit = bit;
    }
    struct ipc_fault_record r = rec;
    spin_unlock(&lock, irq);
    if (first) /* no lock held: the log line tells a console watcher the moment it happened */
        log_warn("ipc fault: %s of %s call %llu activated by task %llu '%s'",
                 ipc_fault_kind_name(r.spec.kind), r.spec.side == IPC_SIDE_SEND ? "send" : "recv",
                 (unsigned long long)r.spec.nth, (unsigned long long)r.task, r.task_name);
}

static void fault_now(const struct channel *ch, uint64_t word)
{
    activated(ch, word, word, 0);
    (void)*(volatile const uint64_t *)pagefault_addr; /* #PF: no lock held, contained */
}

/* Corrupt or delay m (either side); dup stores the replay. */
static void change(struct chan_fault_act *a, const struct channel *ch, struct channel_msg *m)
{
    uint64_t old = m->word;
    switch (a->kind) {
    case IPC_FAULT_CORRUPT:
        m->word = ipc_fault_corrupt(old, rec.spec.seed);
        activated(ch, old, m->word, ipc_fault_bit(rec.spec.seed));
        break;
    case IPC_FAULT_DELAY:
        activated(ch, old, old, 0);
        (void)task_sleep_ns(rec.spec.delay_ns);
        break;
    case IPC_FAULT_DUP: {
        int irq = spin_lock(&lock);
        replay.pending = true;
        replay.ch = ch;
        replay.word = old;
        spin_unlock(&lock, irq);
        activated(ch, old, old, 0);
        break;
    }
    default:
        break;
    }
}

const struct channel_msg *chan_fault_send_begin(const struct channel *ch,
                                                const struct channel_msg *msg,
                                                struct chan_fault_act *a)
{
    a->kind = count(IPC_SIDE_SEND);
    if (a->kind != IPC_FAULT_BADPTR)
        return msg;
    activated(ch, 0, 0, 0);
    return (const struct channel_msg *)(uintptr_t)BADPTR_ADDR;
}

bool chan_fault_send_msg(struct chan_fault_act *a, const struct channel *ch, struct channel_msg *m)
{
    if (a->kind == IPC_FAULT_DROP) {
        activated(ch, m->word, m->word, 0);
        kfree(m->block); /* lost with the message */
        return true;
    }
    if (a->kind == IPC_FAULT_CORRUPT || a->kind == IPC_FAULT_DELAY)
        change(a, ch, m);
    return false;
}

void chan_fault_send_end(struct chan_fault_act *a, const struct channel *ch,
                         const struct channel_msg *m, int r)
{
    if (r != 0)
        return;
    if (a->kind == IPC_FAULT_DUP)
        change(a, ch, (struct channel_msg *)m);
    else if (a->kind == IPC_FAULT_PAGEFAULT)
        fault_now(ch, m->word);
}

struct channel_msg *chan_fault_recv_begin(const struct channel *ch, struct channel_msg *out,
                                          struct chan_fault_act *a)
{
    a->kind = count(IPC_SIDE_RECV);
    if (a->kind != IPC_FAULT_BADPTR)
        return out;
    activated(ch, 0, 0, 0);
    return (struct channel_msg *)(uintptr_t)BADPTR_ADDR;
}

bool chan_fault_recv_msg(struct chan_fault_act *a, const struct channel *ch, struct channel_msg *m)
{
    switch (a->kind) {
    case IPC_FAULT_DROP:
        a->kind = 0; /* the next message is received as usual */
        activated(ch, m->word, m->word, 0);
        kfree(m->block);
        return true;
    case IPC_FAULT_PAGEFAULT:
        fault_now(ch, m->word); /* the message is lost with the task */
        return false;
    default:
        change(a, ch, m);
        return false;
    }
}

bool chan_fault_replay(const struct channel *ch, struct channel_msg *m)
{
    if (!replay.pending)
        return false;
    int irq = spin_lock(&lock);
    bool hit = replay.pending && replay.ch == ch;
    if (hit) {
        m->word = replay.word;
        m->block = NULL; /* a block has one owner: the copy carries the word only */
        replay.pending = false;
    }
    spin_unlock(&lock, irq);
    return hit;
}
