/* Mutexes, semaphores and condition variables (keel/sync.h) on top of wait queues. The scheduler
 * lock protects every field; each blocking call loops "check, else waitq_wait" under it, so a
 * wake-up is never lost and a woken task always re-checks. Unlock hands a contended mutex to
 * its first waiter (owner = MUTEX_OWNER_HANDOFF until it runs): FIFO, no barging.
 *
 * Every object is the caller's memory used under the scheduler lock, so each call first checks
 * it there (caller_object_ok): a wild pointer gets KE_FAULT (void calls do nothing) instead of
 * a fault with the lock held, which would be the core's. */
#include <keel/errno.h>
#include <keel/export.h>
#include "sync_internal.h"
#include "task_internal.h"

#define OBJ_OK(p) caller_object_ok((p), sizeof(*(p)))

/* Who is calling, captured before the scheduler lock is taken. */
struct caller {
    task_id_t id;        /* task id, or MUTEX_OWNER_BOOT outside tasks */
    struct mutex **held; /* its held list, NULL outside tasks (then not tracked) */
    bool can_block;      /* false outside tasks: nothing could ever wake us */
};

static struct caller caller_now(void)
{
    task_id_t id = task_self();
    struct caller c = {id ? id : MUTEX_OWNER_BOOT, id ? task_held_mutexes() : 0, id != 0};
    return c;
}

/* ---- mutexes (all helpers run with the scheduler lock held) ---- */

static void held_push(struct mutex **list, struct mutex *m)
{
    m->next_held = list ? *list : 0;
    if (list)
        *list = m;
}

static void held_remove(struct mutex **list, struct mutex *m)
{
    for (struct mutex **pp = list; pp && *pp; pp = &(*pp)->next_held) {
        if (*pp == m) {
            *pp = m->next_held;
            break;
        }
    }
    m->next_held = 0;
}

static int take(struct mutex *m, const struct caller *me)
{
    m->owner = me->id;
    held_push(me->held, m);
    if (m->owner_died) {
        m->owner_died = false;
        return KE_OWNERDEAD;
    }
    return 0;
}

/* Give m up: straight to the first waiter if there is one, else free. */
static void release(struct mutex *m)
{
    if (m->waiters.head) {
        m->owner = MUTEX_OWNER_HANDOFF;
        waitq_wake_one(&m->waiters);
    } else {
        m->owner = 0;
    }
}

/* Acquire m, waiting if allowed. A woken waiter may take a handed-off mutex; a newcomer may
 * not. Returns 0, KE_OWNERDEAD (acquired), KE_AGAIN (would block, cannot), KE_KILLED. */
static int lock_locked(struct mutex *m, const struct caller *me, bool may_wait)
{
    bool woken = false;
    for (;;) {
        if (m->owner == 0 || (woken && m->owner == MUTEX_OWNER_HANDOFF))
            return take(m, me);
        if (!may_wait || !me->can_block)
            return KE_AGAIN;
        int r = waitq_wait(&m->waiters, 0);
        if (r) {
            /* A killed waiter was taken off the queue by the kill, not by a handoff, so there
             * is nothing to pass on (a handoff target is woken with 0). */
            return r;
        }
        woken = true;
    }
}

void mutex_init(struct mutex *m)
{
    if (!m)
        return;
    *m = (struct mutex)MUTEX_INIT;
}

int mutex_lock(struct mutex *m)
{
    if (!m)
        return KE_INVAL;
    struct caller me = caller_now();
    int irq = sched_lock();
    int r = !OBJ_OK(m) ? KE_FAULT : m->owner == me.id ? KE_BUSY : lock_locked(m, &me, true);
    sched_unlock(irq);
    return r;
}

int mutex_trylock(struct mutex *m)
{
    if (!m)
        return KE_INVAL;
    struct caller me = caller_now();
    int irq = sched_lock();
    int r = !OBJ_OK(m) ? KE_FAULT : m->owner == me.id ? KE_BUSY : lock_locked(m, &me, false);
    sched_unlock(irq);
    return r;
}

int mutex_unlock(struct mutex *m)
{
    if (!m)
        return KE_INVAL;
    struct caller me = caller_now();
    int irq = sched_lock();
    int r = OBJ_OK(m) ? KE_PERM : KE_FAULT;
    if (r == KE_PERM && m->owner == me.id) {
        held_remove(me.held, m);
        release(m);
        r = 0;
    }
    sched_unlock(irq);
    return r;
}

bool mutex_held(const struct mutex *m)
{
    if (!m)
        return false;
    task_id_t me = caller_now().id;
    int irq = sched_lock();
    bool held = OBJ_OK(m) && m->owner == me;
    sched_unlock(irq);
    return held;
}

void mutex_release_all_of_dead_task(struct mutex **held_list_head)
{
    if (!held_list_head)
        return;
    struct mutex *m = *held_list_head;
    *held_list_head = 0;
    while (m) {
        struct mutex *next = m->next_held;
        m->next_held = 0;
        m->owner_died = true;
        release(m);
        m = next;
    }
}

/* ---- semaphores ---- */

void semaphore_init(struct semaphore *s, int64_t count)
{
    if (!s)
        return;
    *s = (struct semaphore)SEMAPHORE_INIT(count);
}

static int down(struct semaphore *s, bool may_wait)
{
    if (!s)
        return KE_INVAL;
    bool can_block = may_wait && task_self() != 0;
    int irq = sched_lock();
    int r = OBJ_OK(s) ? 0 : KE_FAULT;
    while (r == 0) {
        if (s->count > 0) {
            s->count--;
            r = 0;
            break;
        }
        if (!can_block) {
            r = KE_AGAIN;
            break;
        }
        r = waitq_wait(&s->waiters, 0);
        if (r)
            break;
    }
    sched_unlock(irq);
    return r;
}

int semaphore_down(struct semaphore *s)
{
    return down(s, true);
}

int semaphore_try_down(struct semaphore *s)
{
    return down(s, false);
}

void semaphore_up(struct semaphore *s)
{
    if (!s)
        return;
    int irq = sched_lock();
    if (OBJ_OK(s)) {
        if (s->count < INT64_MAX) /* saturate rather than overflow */
            s->count++;
        if (s->count > 0)
            waitq_wake_one(&s->waiters);
    }
    sched_unlock(irq);
}

/* ---- condition variables ---- */

void condvar_init(struct condvar *c)
{
    if (!c)
        return;
    *c = (struct condvar)CONDVAR_INIT;
}

int condvar_wait(struct condvar *c, struct mutex *m)
{
    if (!c || !m)
        return KE_INVAL;
    struct caller me = caller_now();
    int irq = sched_lock();
    int r;
    struct task *t = task_current();
    if (!OBJ_OK(c) || !OBJ_OK(m)) {
        r = KE_FAULT;
    } else if (m->owner != me.id) {
        r = KE_PERM;
    } else if (t && t->kill_requested) {
        r = KE_KILLED; /* do not give m up only to fail to get it back */
    } else if (!me.can_block) {
        r = KE_AGAIN; /* outside tasks nobody could signal us; m stays held */
    } else {
        held_remove(me.held, m);
        release(m);
        int w = waitq_wait(&c->waiters, 0);
        /* Retake m even if killed; a killed task cannot wait, so it may fail (KE_KILLED). */
        int l = lock_locked(m, &me, true);
        if (l == KE_OWNERDEAD && w) {
            m->owner_died = true; /* keep the news for the next locker */
            l = 0;
        }
        r = l ? l : w;
    }
    sched_unlock(irq);
    return r;
}

void condvar_signal(struct condvar *c)
{
    if (!c)
        return;
    int irq = sched_lock();
    if (OBJ_OK(c))
        waitq_wake_one(&c->waiters);
    sched_unlock(irq);
}

void condvar_broadcast(struct condvar *c)
{
    if (!c)
        return;
    int irq = sched_lock();
    if (OBJ_OK(c))
        waitq_wake_all(&c->waiters);
    sched_unlock(irq);
}

KEEL_EXPORT_FUNC(mutex_init);
KEEL_EXPORT_FUNC(mutex_lock);
KEEL_EXPORT_FUNC(mutex_trylock);
KEEL_EXPORT_FUNC(mutex_unlock);
KEEL_EXPORT_FUNC(mutex_held);
KEEL_EXPORT_FUNC(semaphore_init);
KEEL_EXPORT_FUNC(semaphore_down);
KEEL_EXPORT_FUNC(semaphore_try_down);
KEEL_EXPORT_FUNC(semaphore_up);
KEEL_EXPORT_FUNC(condvar_init);
KEEL_EXPORT_FUNC(condvar_wait);
KEEL_EXPORT_FUNC(condvar_signal);
KEEL_EXPORT_FUNC(condvar_broadcast);
