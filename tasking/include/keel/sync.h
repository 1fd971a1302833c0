/* Blocking synchronisation between tasks: mutexes (owner-tracked, owner-dead), counting
 * semaphores and condition variables. All may be embedded in any structure and are initialised
 * with the *_INIT macros or *_init(). Blocking calls return KE_KILLED if the task was killed while
 * it waited (it then ends at once, unless it is the caller that handles it). Outside any task
 * (early boot) nothing can block: a call that would wait returns KE_AGAIN instead. NULL objects
 * give KE_INVAL, pointers to no mapped, writable memory KE_FAULT (void calls ignore both; the
 * *_init calls write with no lock held, so a bad pointer faults the caller). See
 * docs/sync-and-channels.md. */
#ifndef KEEL_SYNC_H
#define KEEL_SYNC_H
#include <stdbool.h>
#include <stdint.h>
#include <keel/task.h>
#include <keel/waitq.h>

/* Values of mutex.owner besides task ids: 0 is free; MUTEX_OWNER_BOOT holds it for code that runs
 * outside any task (early boot, task_self() == 0); MUTEX_OWNER_HANDOFF means it was released to
 * a woken waiter that has not run yet (newcomers queue behind it: no barging). */
#define MUTEX_OWNER_BOOT    ((task_id_t)-1)
#define MUTEX_OWNER_HANDOFF ((task_id_t)-2)

struct mutex {
    task_id_t owner; /* 0: free; a task id, MUTEX_OWNER_BOOT or MUTEX_OWNER_HANDOFF */
    bool owner_died; /* the previous owner ended while holding it */
    struct waitq waiters;
    struct mutex *next_held; /* the owner's list of held mutexes (released if it dies) */
};
#define MUTEX_INIT                                                                                 \
    {                                                                                              \
        0, false, WAITQ_INIT, 0                                                                    \
    }

void mutex_init(struct mutex *m);
/* 0, or KE_OWNERDEAD: the lock is now yours, but its previous owner died holding it (the state
 * it protects may be inconsistent); KE_BUSY if you already hold it; KE_KILLED. */
int mutex_lock(struct mutex *m);
int mutex_trylock(struct mutex *m); /* KE_AGAIN when taken, KE_BUSY if you hold it */
/* KE_PERM if the caller does not hold it. */
int mutex_unlock(struct mutex *m);
/* True if the running task (or the boot context) holds m. */
bool mutex_held(const struct mutex *m);

struct semaphore {
    int64_t count;
    struct waitq waiters;
};
#define SEMAPHORE_INIT(n)                                                                          \
    {                                                                                              \
        (n), WAITQ_INIT                                                                            \
    }
void semaphore_init(struct semaphore *s, int64_t count);
int semaphore_down(struct semaphore *s);     /* 0 or KE_KILLED */
int semaphore_try_down(struct semaphore *s); /* 0 or KE_AGAIN */
void semaphore_up(struct semaphore *s);

struct condvar {
    struct waitq waiters;
};
#define CONDVAR_INIT                                                                               \
    {                                                                                              \
        WAITQ_INIT                                                                                 \
    }
void condvar_init(struct condvar *c);
/* Atomically release m and wait; m is held again on return: 0, or KE_OWNERDEAD (held; its
 * previous owner died). KE_PERM if the caller does not hold m (nothing changes). KE_KILLED: m is
 * held again if it could be retaken (a killed task may be unable to wait for it): check with
 * mutex_held() before unlocking. Wake-ups may be spurious: always re-check the predicate. */
int condvar_wait(struct condvar *c, struct mutex *m);
void condvar_signal(struct condvar *c);
void condvar_broadcast(struct condvar *c);

#endif
