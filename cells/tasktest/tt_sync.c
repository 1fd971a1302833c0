/* tasktest: mutexes (ownership, owner-dead), semaphores, condition variables. */
#include <keel/clock.h>
#include <keel/errno.h>
#include <keel/kmalloc.h>
#include <keel/sync.h>
#include "tt.h"

/* ---- mutex basics ---- */

static struct mutex m_basic = MUTEX_INIT;

struct other_ret {
    int trylock, unlock, held;
};

/* Another task's view of a mutex the suite holds. */
static int entry_other(const void *arg, void *ret)
{
    struct other_ret *o = ret;
    o->trylock = mutex_trylock(&m_basic);
    o->unlock = mutex_unlock(&m_basic);
    o->held = mutex_held(&m_basic);
    return 0;
}

void tasktest_t_mutex_basic(void)
{
    int e = mutex_lock(&m_basic);
    REQUIRE(e == 0, "lock of a free mutex: %s", tasktest_err(e));
    CHECK(mutex_held(&m_basic), "mutex_held false after the lock");
    CHECK(m_basic.owner == task_self(), "owner %llu, not the locker",
          (unsigned long long)m_basic.owner);
    e = mutex_lock(&m_basic);
    CHECK(e == KE_BUSY, "locking a mutex you hold gave %s", tasktest_err(e));
    e = mutex_trylock(&m_basic);
    CHECK(e == KE_BUSY, "trylock of a mutex you hold gave %s", tasktest_err(e));
    task_id_t id;
    struct task_result r;
    e = tasktest_spawn("tt_other", entry_other, 0, 0, sizeof(struct other_ret), 0, 0, &id);
    if (e == 0 && tasktest_join(id, &r) == 0 && r.ret) {
        const struct other_ret *o = r.ret;
        CHECK(o->trylock == KE_AGAIN, "another task's trylock gave %s", tasktest_err(o->trylock));
        CHECK(o->unlock == KE_PERM, "another task's unlock gave %s", tasktest_err(o->unlock));
        CHECK(!o->held, "mutex_held true in a task that does not hold it");
        kfree(r.ret);
    } else {
        CHECK(0, "the other task could not be run: %s", tasktest_err(e));
    }
    CHECK(mutex_held(&m_basic), "another task's unlock took the mutex away");
    e = mutex_unlock(&m_basic);
    CHECK(e == 0, "unlock: %s", tasktest_err(e));
    CHECK(!mutex_held(&m_basic) && m_basic.owner == 0, "still held after the unlock");
    e = mutex_unlock(&m_basic);
    CHECK(e == KE_PERM, "unlocking a free mutex gave %s", tasktest_err(e));
    e = mutex_trylock(&m_basic);
    CHECK(e == 0, "trylock of a free mutex: %s", tasktest_err(e));
    mutex_unlock(&m_basic);
    CHECK(mutex_lock(0) == KE_INVAL, "mutex_lock(NULL)");
}

/* ---- owner dead ---- */

static struct mutex m_dead = MUTEX_INIT;
static struct semaphore holder_has_it = SEMAPHORE_INIT(0);
static struct semaphore holder_go = SEMAPHORE_INIT(0);
static volatile int holder_lock_result;

/* Takes m_dead, tells the suite, (if *arg) waits until the waiter has queued up, then faults
 * holding it. */
static int entry_holder(const void *arg, void *ret)
{
    holder_lock_result = mutex_lock(&m_dead);
    semaphore_up(&holder_has_it);
    if (*(const int *)arg)
        semaphore_down(&holder_go);
    return tasktest_null_read();
}

struct waiter_ret {
    int lock, held, unlock, relock;
};

static int entry_waiter(const void *arg, void *ret)
{
    struct waiter_ret *w = ret;
    w->lock = mutex_lock(&m_dead);
    w->held = mutex_held(&m_dead);
    w->unlock = mutex_unlock(&m_dead);
    w->relock = mutex_lock(&m_dead); /* the news is given once */
    mutex_unlock(&m_dead);
    return 0;
}

static void spawn_holder(int wait, task_id_t *id)
{
    holder_lock_result = 12345;
    int e = tasktest_spawn("tt_holder", entry_holder, &wait, sizeof(wait), 0, 0, 0, id);
    if (e == 0)
        e = semaphore_down(&holder_has_it);
    CHECK(e == 0 && holder_lock_result == 0, "the holder did not get the mutex: %s / %s",
          tasktest_err(e), tasktest_err(holder_lock_result));
}

void tasktest_t_mutex_owner_dead_waiter(void)
{
    task_id_t hid = 0, wid = 0;
    struct task_result r;
    spawn_holder(1, &hid);
    REQUIRE(hid, "spawn of the holder failed");
    int e = tasktest_spawn("tt_waiter", entry_waiter, 0, 0, sizeof(struct waiter_ret), 0, 0, &wid);
    CHECK(e == 0, "spawn of the waiter: %s", tasktest_err(e));
    CHECK(e || tasktest_wait_blocked(wid), "the waiter did not block on the held mutex");
    semaphore_up(&holder_go);
    e = tasktest_join(hid, &r);
    CHECK(e == 0 && r.how == TASK_FAULTED, "the holder: join %s, ended %s", tasktest_err(e),
          tasktest_how(r.how));
    REQUIRE(wid, "no waiter");
    e = tasktest_join(wid, &r);
    REQUIRE(e == 0 && r.ret, "the waiter: join %s", tasktest_err(e));
    const struct waiter_ret *w = r.ret;
    CHECK(w->lock == KE_OWNERDEAD, "the waiter's lock gave %s, not KE_OWNERDEAD",
          tasktest_err(w->lock));
    CHECK(w->held, "the waiter does not hold the mutex after KE_OWNERDEAD");
    CHECK(w->unlock == 0, "the waiter's unlock: %s", tasktest_err(w->unlock));
    CHECK(w->relock == 0, "the next lock gave %s: owner-dead must be reported once",
          tasktest_err(w->relock));
    kfree(r.ret);
    CHECK(m_dead.owner == 0 && !m_dead.owner_died, "the mutex is not free and clean afterwards");
}

void tasktest_t_mutex_owner_dead_free(void)
{
    task_id_t hid = 0;
    struct task_result r;
    spawn_holder(0, &hid);
    REQUIRE(hid, "spawn of the holder failed");
    int e = tasktest_join(hid, &r);
    CHECK(e == 0 && r.how == TASK_FAULTED, "the holder: join %s, ended %s", tasktest_err(e),
          tasktest_how(r.how));
    e = mutex_trylock(&m_dead);
    CHECK(e == KE_OWNERDEAD, "locking a mutex whose holder died gave %s, not KE_OWNERDEAD",
          tasktest_err(e));
    CHECK(mutex_held(&m_dead), "KE_OWNERDEAD but the mutex is not held");
    e = mutex_unlock(&m_dead);
    CHECK(e == 0, "unlock: %s", tasktest_err(e));
    e = mutex_lock(&m_dead);
    CHECK(e == 0, "the second lock gave %s", tasktest_err(e));
    mutex_unlock(&m_dead);
}

/* ---- semaphores ---- */

static struct semaphore sem;

static int entry_sem_down(const void *arg, void *ret)
{
    return semaphore_down(&sem);
}

void tasktest_t_semaphore(void)
{
    semaphore_init(&sem, 2);
    CHECK(semaphore_try_down(&sem) == 0 && semaphore_try_down(&sem) == 0,
          "two try_downs of a count-2 semaphore failed");
    CHECK(semaphore_try_down(&sem) == KE_AGAIN, "a third try_down succeeded");
    semaphore_up(&sem);
    semaphore_up(&sem);
    semaphore_up(&sem);
    int got = 0;
    while (got < 10 && semaphore_try_down(&sem) == 0)
        got++;
    CHECK(got == 3, "3 ups gave %d downs", got);
    semaphore_init(&sem, -1);
    semaphore_up(&sem);
    CHECK(semaphore_try_down(&sem) == KE_AGAIN, "count -1 + 1 allowed a down");
    semaphore_up(&sem);
    CHECK(semaphore_try_down(&sem) == 0, "count -1 + 2 refused a down");

    /* A down at 0 blocks until an up. */
    task_id_t id;
    struct task_result r;
    int e = tasktest_spawn("tt_sem", entry_sem_down, 0, 0, 0, 0, 0, &id);
    REQUIRE(e == 0, "spawn: %s", tasktest_err(e));
    CHECK(tasktest_wait_blocked(id), "a down at count 0 did not block");
    task_sleep_ns(TT_MS(20));
    struct task_info ti;
    CHECK(task_info(id, &ti) == 0 && ti.state == TASK_BLOCKED,
          "the waiter stopped waiting without an up (state %d)", ti.state);
    semaphore_up(&sem);
    e = tasktest_join(id, &r);
    CHECK(e == 0 && r.how == TASK_RETURNED && r.status == 0, "after the up: %s, %s, status %s",
          tasktest_err(e), tasktest_how(r.how), tasktest_err(r.status));
    CHECK(semaphore_try_down(&sem) == KE_AGAIN, "the woken waiter did not consume the unit");
}

/* ---- condition variables: a bounded buffer ---- */

#define PC_ITEMS 300
#define PC_SLOTS 4
static struct {
    struct mutex m;
    struct condvar not_empty, not_full;
    int buf[PC_SLOTS];
    unsigned head, count;
    unsigned waits;
} pc = {MUTEX_INIT, CONDVAR_INIT, CONDVAR_INIT, {0}, 0, 0, 0};

static int entry_producer(const void *arg, void *ret)
{
    for (int i = 1; i <= PC_ITEMS; i++) {
        int e = mutex_lock(&pc.m);
        if (e)
            return e;
        while (pc.count == PC_SLOTS) {
            pc.waits++;
            e = condvar_wait(&pc.not_full, &pc.m);
            if (e) {
                if (mutex_held(&pc.m))
                    mutex_unlock(&pc.m);
                return e;
            }
        }
        pc.buf[(pc.head + pc.count) % PC_SLOTS] = i;
        pc.count++;
        condvar_signal(&pc.not_empty);
        mutex_unlock(&pc.m);
    }
    return 0;
}

struct consumer_ret {
    int out_of_order;
    long sum;
};

static int entry_consumer(const void *arg, void *ret)
{
    struct consumer_ret *c = ret;
    for (int i = 1; i <= PC_ITEMS; i++) {
        int e = mutex_lock(&pc.m);
        if (e)
            return e;
        while (pc.count == 0) {
            pc.waits++;
            e = condvar_wait(&pc.not_empty, &pc.m);
            if (e) {
                if (mutex_held(&pc.m))
                    mutex_unlock(&pc.m);
                return e;
            }
        }
        int v = pc.buf[pc.head];
        pc.head = (pc.head + 1) % PC_SLOTS;
        pc.count--;
        condvar_signal(&pc.not_full);
        mutex_unlock(&pc.m);
        if (v != i)
            c->out_of_order++;
        c->sum += v;
    }
    return 0;
}

void tasktest_t_condvar(void)
{
    int e = condvar_wait(&pc.not_empty, &pc.m);
    CHECK(e == KE_PERM, "condvar_wait without the mutex gave %s", tasktest_err(e));
    pc.head = pc.count = pc.waits = 0;
    task_id_t pid, cid;
    struct task_result rp, rc;
    e = tasktest_spawn("tt_producer", entry_producer, 0, 0, 0, 0, 0, &pid);
    REQUIRE(e == 0, "spawn: %s", tasktest_err(e));
    e = tasktest_spawn("tt_consumer", entry_consumer, 0, 0, sizeof(struct consumer_ret), 0, 0,
                       &cid);
    if (e) {
        tasktest_join(pid, &rp);
        REQUIRE(0, "spawn: %s", tasktest_err(e));
    }
    e = tasktest_join(pid, &rp);
    CHECK(e == 0 && rp.how == TASK_RETURNED && rp.status == 0, "producer: %s, %s, %s",
          tasktest_err(e), tasktest_how(rp.how), tasktest_err(rp.status));
    e = tasktest_join(cid, &rc);
    REQUIRE(e == 0 && rc.ret, "consumer join: %s", tasktest_err(e));
    const struct consumer_ret *c = rc.ret;
    CHECK(rc.how == TASK_RETURNED && rc.status == 0, "consumer: %s, %s", tasktest_how(rc.how),
          tasktest_err(rc.status));
    CHECK(c->out_of_order == 0, "%d items out of order", c->out_of_order);
    CHECK(c->sum == (long)PC_ITEMS * (PC_ITEMS + 1) / 2, "sum %ld, expected %ld", c->sum,
          (long)PC_ITEMS * (PC_ITEMS + 1) / 2);
    CHECK(pc.waits > 0, "nobody ever waited: the condvar path was not exercised");
    CHECK(pc.count == 0 && !mutex_held(&pc.m) && pc.m.owner == 0, "the buffer is left in use");
    kfree(rc.ret);
}
